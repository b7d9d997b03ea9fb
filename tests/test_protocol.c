/* test_protocol.c — protocol variant names (src/protocol.c) and the error space
 * (src/error.c). */
#include "error.h"
#include "protocol.h"

#include <criterion/criterion.h>
#include <string.h>

Test(protocol, every_name_parses_and_round_trips)
{
    for (int i = 0; herd_protocol_names[i]; i++) {
        herd_protocol p;
        cr_assert_eq(herd_protocol_parse(herd_protocol_names[i], &p), HERD_OK);
        cr_assert_str_eq(herd_protocol_name(&p), herd_protocol_names[i]);
    }
    herd_protocol p = herd_protocol_correct();
    cr_assert_eq(herd_protocol_parse("dedup-none", &p), HERD_EINVAL);
    cr_assert_eq(p.dedup_mode, HERD_DEDUP_STORE, "a failed parse leaves *p alone");
    p.resend = 0;
    p.gap_detection = 0;
    cr_assert_str_eq(herd_protocol_name(&p), "custom");
}

Test(protocol, each_broken_variant_changes_exactly_one_field)
{
    herd_protocol ok = herd_protocol_correct();
    for (int i = 1; herd_protocol_names[i]; i++) {
        herd_protocol p;
        herd_protocol_parse(herd_protocol_names[i], &p);
        const uint8_t *a = (const uint8_t *)&ok, *b = (const uint8_t *)&p;
        int diff = 0;
        for (size_t k = 0; k < sizeof p; k++) diff += a[k] != b[k];
        cr_assert_eq(diff, 1, "%s", herd_protocol_names[i]);
    }
}

Test(error, every_code_has_a_name_and_fatality_is_stated)
{
    const int codes[] = {HERD_OK, HERD_EINVAL, HERD_EFULL, HERD_EOUTBOX, HERD_ESTATE, HERD_ESTALE,
                         HERD_ESTOP, HERD_ETIME, HERD_ENOSPACE, HERD_EFRAME_TRUNCATED,
                         HERD_EFRAME_TYPE, HERD_EFRAME_VARINT, HERD_EFRAME_RANGE,
                         HERD_EFRAME_TRAILING, HERD_ESTORE_ID, HERD_ESTORE_ROOM, HERD_ESTORE_FULL};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        cr_assert_str_neq(herd_strerror(codes[i]), "unknown error", "code %d", codes[i]);
    cr_assert_str_eq(herd_strerror(-999), "unknown error");
    cr_assert(herd_error_is_fatal(HERD_EOUTBOX));
    cr_assert(!herd_error_is_fatal(HERD_EFULL));
    cr_assert(!herd_error_is_fatal(HERD_ESTALE));
}
