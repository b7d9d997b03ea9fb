/* test_json.c — lib/json.c: structure and commas, string escaping (control characters,
 * quotes, backslash, UTF-8 passed through, invalid bytes replaced), integer, fixed-point and
 * double formatting, misuse detection, FILE* output and pretty printing. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static herd_json w;

static void setup(void) { herd_json_init_buf(&w); }
static void teardown(void) { herd_json_free(&w); }

#define JSON_IS(want)                                                                         \
    do {                                                                                      \
        cr_assert_eq(herd_json_finish(&w), 0);                                                \
        cr_assert_str_eq(herd_json_buf(&w, NULL), (want));                                    \
    } while (0)

TestSuite(json, .init = setup, .fini = teardown);

Test(json, structure_and_commas)
{
    herd_json_obj_begin(&w);
    herd_json_kv_str(&w, "verdict", "pass");
    herd_json_kv_u64(&w, "seed", 42);
    herd_json_key(&w, "empty_obj");
    herd_json_obj_begin(&w);
    herd_json_obj_end(&w);
    herd_json_key(&w, "empty_arr");
    herd_json_arr_begin(&w);
    herd_json_arr_end(&w);
    herd_json_key(&w, "list");
    herd_json_arr_begin(&w);
    herd_json_u64(&w, 1);
    herd_json_obj_begin(&w);
    herd_json_kv_bool(&w, "ok", true);
    herd_json_kv_null(&w, "none");
    herd_json_obj_end(&w);
    herd_json_arr_begin(&w);
    herd_json_arr_end(&w);
    herd_json_bool(&w, false);
    herd_json_arr_end(&w);
    herd_json_kv_i64(&w, "neg", -3);
    herd_json_obj_end(&w);
    JSON_IS("{\"verdict\":\"pass\",\"seed\":42,\"empty_obj\":{},\"empty_arr\":[],"
            "\"list\":[1,{\"ok\":true,\"none\":null},[],false],\"neg\":-3}");
    size_t len;
    herd_json_buf(&w, &len);
    cr_assert_eq(len, strlen(herd_json_buf(&w, NULL)));
}

Test(json, top_level_scalars)
{
    herd_json_str(&w, "x");
    JSON_IS("\"x\"");
}

Test(json, string_escaping)
{
    herd_json_arr_begin(&w);
    herd_json_str(&w, "quote\" backslash\\ slash/");
    herd_json_str(&w, "\b\f\n\r\t");
    herd_json_strn(&w, "\x00\x01\x1f\x7f", 4);
    herd_json_str(&w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x91"); /* é € 🐑 */
    herd_json_str(&w, "bad\xff\xc3");                              /* stray and truncated */
    herd_json_str(&w, "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80");    /* overlong, surrogate, >U+10FFFF */
    herd_json_str(&w, NULL);
    herd_json_str(&w, "");
    herd_json_arr_end(&w);
    JSON_IS("[\"quote\\\" backslash\\\\ slash/\",\"\\b\\f\\n\\r\\t\",\"\\u0000\\u0001\\u001f\x7f\","
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x91\",\"bad\\ufffd\\ufffd\","
            "\"\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd\",null,\"\"]");
}

Test(json, keys_are_escaped)
{
    herd_json_obj_begin(&w);
    herd_json_kv_u64(&w, "a\"b\n", 1);
    herd_json_obj_end(&w);
    JSON_IS("{\"a\\\"b\\n\":1}");
}

Test(json, integers)
{
    herd_json_arr_begin(&w);
    herd_json_u64(&w, 0);
    herd_json_u64(&w, UINT64_MAX);
    herd_json_i64(&w, INT64_MIN);
    herd_json_i64(&w, INT64_MAX);
    herd_json_i64(&w, -1);
    herd_json_arr_end(&w);
    JSON_IS("[0,18446744073709551615,-9223372036854775808,9223372036854775807,-1]");
}

Test(json, fixed_point)
{
    herd_json_arr_begin(&w);
    herd_json_fixed(&w, 12345, 3);
    herd_json_fixed(&w, -12345, 3);
    herd_json_fixed(&w, 5, 3);
    herd_json_fixed(&w, -5, 3);
    herd_json_fixed(&w, 12000, 3);
    herd_json_fixed(&w, 7, 0);
    herd_json_fixed(&w, 0, 2);
    herd_json_fixed(&w, INT64_MIN, 18);
    herd_json_fixed(&w, INT64_MAX, 1);
    herd_json_arr_end(&w);
    JSON_IS("[12.345,-12.345,0.005,-0.005,12.000,7,0.00,-9.223372036854775808,"
            "922337203685477580.7]");
}

Test(json, fixed_rejects_too_many_decimals)
{
    herd_json_fixed(&w, 1, 19);
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
}

Test(json, doubles)
{
    herd_json_arr_begin(&w);
    herd_json_double(&w, 0.1);
    herd_json_double(&w, 1.0);
    herd_json_double(&w, -2.5);
    herd_json_double(&w, 1e300);
    herd_json_double(&w, NAN);
    herd_json_double(&w, INFINITY);
    herd_json_double(&w, -INFINITY);
    herd_json_double(&w, 5e-324);
    herd_json_arr_end(&w);
    JSON_IS("[0.10000000000000001,1,-2.5,1.0000000000000001e+300,null,null,null,"
            "4.9406564584124654e-324]");
}

Test(json, raw_values)
{
    herd_json_obj_begin(&w);
    herd_json_key(&w, "r");
    herd_json_raw(&w, "[1,2]");
    herd_json_obj_end(&w);
    JSON_IS("{\"r\":[1,2]}");
}

Test(json, misuse_is_a_sticky_error)
{
    herd_json_obj_begin(&w);
    herd_json_u64(&w, 1); /* a value where a key is expected */
    herd_json_kv_u64(&w, "a", 2);
    herd_json_obj_end(&w);
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
    cr_assert_str_eq(herd_json_buf(&w, NULL), "");
}

Test(json, key_in_array_is_an_error)
{
    herd_json_arr_begin(&w);
    herd_json_key(&w, "a");
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
}

Test(json, dangling_key_is_an_error)
{
    herd_json_obj_begin(&w);
    herd_json_key(&w, "a");
    herd_json_obj_end(&w);
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
}

Test(json, mismatched_close_is_an_error)
{
    herd_json_obj_begin(&w);
    herd_json_arr_end(&w);
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
}

Test(json, unbalanced_is_an_error)
{
    herd_json_arr_begin(&w);
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
}

Test(json, two_top_level_values_are_an_error)
{
    herd_json_u64(&w, 1);
    herd_json_u64(&w, 2);
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
}

Test(json, depth_bound)
{
    for (int i = 0; i < HERD_JSON_DEPTH_MAX; i++)
        herd_json_arr_begin(&w);
    for (int i = 0; i < HERD_JSON_DEPTH_MAX; i++)
        herd_json_arr_end(&w);
    cr_assert_eq(herd_json_finish(&w), 0);
    herd_json_free(&w);
    herd_json_init_buf(&w);
    for (int i = 0; i <= HERD_JSON_DEPTH_MAX; i++)
        herd_json_arr_begin(&w);
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
}

Test(json, large_buffer_grows)
{
    herd_json_arr_begin(&w);
    for (int i = 0; i < 100000; i++)
        herd_json_u64(&w, 1234567);
    herd_json_arr_end(&w);
    cr_assert_eq(herd_json_finish(&w), 0);
    size_t len;
    const char *s = herd_json_buf(&w, &len);
    cr_assert_eq(len, 2 + 100000 * 8 - 1);
    cr_assert_eq(s[len - 1], ']');
}

Test(json, to_a_file)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    herd_json fw;
    herd_json_init_file(&fw, f);
    herd_json_obj_begin(&fw);
    herd_json_kv_fixed(&fw, "goodput", 987654, 3);
    herd_json_kv_double(&fw, "x", 0.5);
    herd_json_obj_end(&fw);
    cr_assert_eq(herd_json_finish(&fw), 0);
    fclose(f);
    cr_assert_str_eq(buf, "{\"goodput\":987.654,\"x\":0.5}");
    free(buf);
}

Test(json, pretty)
{
    herd_json_set_pretty(&w, true);
    herd_json_obj_begin(&w);
    herd_json_kv_u64(&w, "a", 1);
    herd_json_key(&w, "b");
    herd_json_arr_begin(&w);
    herd_json_u64(&w, 2);
    herd_json_obj_begin(&w);
    herd_json_obj_end(&w);
    herd_json_arr_end(&w);
    herd_json_obj_end(&w);
    JSON_IS("{\n  \"a\": 1,\n  \"b\": [\n    2,\n    {}\n  ]\n}");
}

Test(json, reset_reuses_the_buffer_for_json_lines)
{
    herd_json_obj_begin(&w);
    herd_json_kv_u64(&w, "step", 1);
    herd_json_obj_end(&w);
    JSON_IS("{\"step\":1}");
    const char *before = herd_json_buf(&w, NULL);
    herd_json_reset(&w);
    cr_assert_str_eq(herd_json_buf(&w, NULL), "");
    herd_json_obj_begin(&w);
    herd_json_kv_u64(&w, "step", 2);
    herd_json_obj_end(&w);
    JSON_IS("{\"step\":2}");
    cr_assert_eq(herd_json_buf(&w, NULL), before, "same allocation");
    herd_json_u64(&w, 3); /* a second top-level value without reset: misuse */
    cr_assert_eq(herd_json_finish(&w), -EINVAL);
    herd_json_reset(&w);
    herd_json_u64(&w, 4);
    JSON_IS("4");
}
