/* model_file.c — model files: YAML (lib/config.h, the scenarios' loader and error style)
 * into an hm_config and an expectation. The keys and their defaults are documented in
 * docs/model-checking.md; an unknown key is an error with a suggestion, and nothing runs. */
#include "model_file.h"

#include "config.h"
#include "json.h"
#include "protocol.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

static const char *const top_keys[] = {"model", "world", "protocol", "store", "lb", "faults",
                                       "check", "expect", "local_dedup", "client", "network", NULL};
static const char *const network_keys[] = {"server_to_client", NULL};
static const char *const s2c_names[] = {"queued", "eager", "auto", NULL};
static const char *const world_keys[] = {"clients", "servers", "messages", NULL};
static const char *const store_keys[] = {"durability", "maxlen", "dedup_capacity", "dedup_window", NULL};
static const char *const local_keys[] = {"capacity", "window", NULL};
static const char *const fault_keys[] = {"drops", "duplicates", "closes", "close_codes", "server_crashes",
                                         "store_crashes", "offline", "time_jumps", NULL};
static const char *const check_keys[] = {"properties", "liveness_steps", "symmetry", NULL};
static const char *const client_keys[] = {"queue_max", "backoff", "timeout", NULL};
static const char *const lb_names[] = {"sticky", "any", NULL};
static const char *const durability_names[] = {"none", "aof_everysec", "aof_always", "pg_sync", "pg_async", NULL};

static void load_world(herd_cfg_doc *d, const herd_cfg_node *root, hm_config *cfg)
{
    const herd_cfg_node *w = herd_cfg_get(root, "world");
    herd_cfg_check_keys(d, w, "world", world_keys);
    uint64_t v;
    herd_cfg_u64(d, w, "clients", false, 1, HM_CLIENTS_MAX, cfg->clients, &v); cfg->clients = (uint32_t)v;
    herd_cfg_u64(d, w, "servers", false, 1, HM_SERVERS_MAX, cfg->servers, &v); cfg->servers = (uint32_t)v;
    herd_cfg_u64(d, w, "messages", false, 1, HM_MSGS_MAX, cfg->messages, &v); cfg->messages = (uint32_t)v;
    int idx = 0;
    herd_cfg_enum(d, root, "protocol", false, herd_protocol_names, 0, &idx);
    herd_protocol_parse(herd_protocol_names[idx], &cfg->proto);
    herd_cfg_enum(d, root, "lb", false, lb_names, HM_LB_STICKY, &idx);
    cfg->lb = (uint8_t)idx;
    const herd_cfg_node *n = herd_cfg_get(root, "network");
    herd_cfg_check_keys(d, n, "network", network_keys);
    herd_cfg_enum(d, n, "server_to_client", false, s2c_names, cfg->s2c_eager, &idx);
    cfg->s2c_eager = (uint8_t)idx;
}

static void load_store(herd_cfg_doc *d, const herd_cfg_node *root, hm_config *cfg)
{
    const herd_cfg_node *s = herd_cfg_get(root, "store");
    herd_cfg_check_keys(d, s, "store", store_keys);
    int idx = 0;
    herd_cfg_enum(d, s, "durability", false, durability_names, cfg->store.durability, &idx);
    cfg->store.durability = (uint8_t)idx;
    uint64_t v;
    herd_cfg_u64(d, s, "maxlen", false, 1, HERD_READ_MAX, cfg->store.maxlen, &v); cfg->store.maxlen = (uint32_t)v;
    herd_cfg_u64(d, s, "dedup_capacity", false, 1, 64, cfg->store.dedup_capacity, &v);
    cfg->store.dedup_capacity = (uint32_t)v;
    herd_cfg_duration_us(d, s, "dedup_window", false, 0, 3600u * HERD_US_PER_S, 0, &cfg->store.dedup_window_us);
    const herd_cfg_node *l = herd_cfg_get(root, "local_dedup");
    herd_cfg_check_keys(d, l, "local_dedup", local_keys);
    herd_cfg_u64(d, l, "capacity", false, 1, 16, cfg->local_capacity, &v); cfg->local_capacity = (uint32_t)v;
    herd_cfg_duration_us(d, l, "window", false, 0, 3600u * HERD_US_PER_S, 0, &cfg->local_window_us);
    const herd_cfg_node *c = herd_cfg_get(root, "client");
    herd_cfg_check_keys(d, c, "client", client_keys);
    herd_cfg_u64(d, c, "queue_max", false, 1, HERD_QUEUE_MAX, cfg->messages, &v); cfg->client.queue_max = (uint32_t)v;
    uint64_t us;
    herd_cfg_duration_us(d, c, "backoff", false, 1, 60u * HERD_US_PER_S, cfg->client.backoff.base_us, &us);
    cfg->client.backoff.base_us = cfg->client.backoff.base_max_us = (uint32_t)us;
    herd_cfg_duration_us(d, c, "timeout", false, 1, 60u * HERD_US_PER_S, cfg->client.ack_timeout_us, &us);
    cfg->client.ack_timeout_us = cfg->client.connect_timeout_us = cfg->client.resume_timeout_us = us;
}

/* The faults: keys in enum hm_fault's order. */
static const char *const budget_keys[HM_F_COUNT] = {"drops", "duplicates", "closes", "server_crashes",
                                                    "store_crashes", "offline", "time_jumps"};

static void load_faults(herd_cfg_doc *d, const herd_cfg_node *root, hm_config *cfg)
{
    const char *const *keys = budget_keys;
    const herd_cfg_node *f = herd_cfg_get(root, "faults");
    herd_cfg_check_keys(d, f, "faults", fault_keys);
    for (int k = 0; k < HM_F_COUNT; k++) {
        uint64_t v;
        herd_cfg_u64(d, f, keys[k], false, 0, 8, 0, &v);
        cfg->budget[k] = (uint16_t)v;
    }
    const herd_cfg_node *codes = herd_cfg_get(f, "close_codes");
    if (codes == NULL) return;
    if (!herd_cfg_is_seq(codes) || herd_cfg_len(codes) < 1 || herd_cfg_len(codes) > HM_CLOSE_CODES_MAX) {
        herd_cfg_errorf(d, codes, "close_codes must be a list of 1 to %d close codes", HM_CLOSE_CODES_MAX);
        return;
    }
    cfg->n_close_codes = (uint8_t)herd_cfg_len(codes);
    for (size_t i = 0; i < herd_cfg_len(codes); i++) {
        uint64_t v = 1006;
        herd_cfg_node_u64(d, herd_cfg_at(codes, i), 1000, 4999, &v);
        cfg->close_codes[i] = (uint16_t)v;
    }
}

static void load_check(herd_cfg_doc *d, const herd_cfg_node *root, hm_config *cfg)
{
    const herd_cfg_node *c = herd_cfg_get(root, "check");
    herd_cfg_check_keys(d, c, "check", check_keys);
    uint64_t v;
    herd_cfg_u64(d, c, "liveness_steps", false, 1, 100000, cfg->liveness_steps, &v);
    cfg->liveness_steps = (uint32_t)v;
    bool sym = true;
    herd_cfg_bool(d, c, "symmetry", true, &sym);
    cfg->symmetry = sym;
    const herd_cfg_node *props = herd_cfg_get(c, "properties");
    if (props == NULL) return;
    if (!herd_cfg_is_seq(props)) { herd_cfg_errorf(d, props, "properties must be a list such as [I1, I2, L1]"); return; }
    if (herd_cfg_len(props) == 0) {
        /* Checking nothing proves nothing: a pass would be vacuous. */
        herd_cfg_errorf(d, props, "properties is empty: a check of no property passes vacuously; list at least "
                        "one (I1, I2, I3, I4, I5, I6, I7, I8, L1) or leave the key out to check them all");
        return;
    }
    cfg->props_mask = 1u << HM_P_INTERNAL;
    for (size_t i = 0; i < herd_cfg_len(props); i++) {
        const herd_cfg_node *n = herd_cfg_at(props, i);
        const char *s = herd_cfg_scalar(n);
        int p = s ? hm_prop_parse(s) : -1;
        if (p < 0) { herd_cfg_errorf(d, n, "unknown property '%s' (one of: I1, I2, I3, I4, I5, I6, I7, I8, L1)", s ? s : "?"); return; }
        cfg->props_mask |= 1u << p;
    }
}

/* "pass", "violation" or "violation I2". */
static void load_expect(herd_cfg_doc *d, const herd_cfg_node *root, const hm_config *cfg, hm_expect *ex)
{
    const char *s = "pass";
    herd_cfg_str(d, root, "expect", true, "pass", &s);
    ex->violation = false;
    ex->property = HM_P_NONE;
    if (herd_cfg_failed(d) || strcmp(s, "pass") == 0) return;
    if (strncmp(s, "violation", 9) == 0 && (s[9] == 0 || s[9] == ' ')) {
        ex->violation = true;
        if (s[9] == ' ') {
            int p = hm_prop_parse(s + 10);
            if (p < 0) herd_cfg_errorf(d, herd_cfg_get(root, "expect"), "unknown property in expect: '%s'", s + 10);
            else if (!((cfg->props_mask >> p) & 1u))
                /* The search cannot find what it does not check: the expectation could never be met. */
                herd_cfg_errorf(d, herd_cfg_get(root, "expect"), "expect: violation %s, but check.properties "
                                "does not check %s; add it to the list", hm_prop_name(p), hm_prop_name(p));
            else ex->property = p;
        }
        return;
    }
    herd_cfg_errorf(d, herd_cfg_get(root, "expect"), "expect must be 'pass', 'violation' or 'violation <property>', not '%s'", s);
}

int hm_model_load(const char *path, hm_config *cfg, hm_expect *ex, char *err, size_t err_size)
{
    hm_config_defaults(cfg);
    herd_cfg_doc *d = herd_cfg_load_file(path);
    if (d == NULL) { snprintf(err, err_size, "%s: out of memory", path); return 70; }
    const herd_cfg_node *root = herd_cfg_root(d);
    if (root != NULL && !herd_cfg_is_map(root)) herd_cfg_errorf(d, root, "a model file is a mapping");
    if (!herd_cfg_failed(d)) {
        herd_cfg_check_keys(d, root, "the model", top_keys);
        load_world(d, root, cfg);
        load_store(d, root, cfg);
        load_faults(d, root, cfg);
        load_check(d, root, cfg);
        load_expect(d, root, cfg, ex);
        const char *name = "";
        herd_cfg_str(d, root, "model", false, "", &name);
        snprintf(ex->name, sizeof ex->name, "%s", name);
    }
    const char *why = NULL;
    if (!herd_cfg_failed(d) && hm_config_check(cfg, &why) != 0) herd_cfg_errorf(d, NULL, "%s", why);
    int rc = herd_cfg_error_exit(d);
    if (rc != 0) snprintf(err, err_size, "%s", herd_cfg_error(d));
    herd_cfg_free(d);
    return rc;
}

void hm_config_json(herd_json *j, const hm_config *cfg)
{
    herd_json_obj_begin(j);
    herd_json_key(j, "world");
    herd_json_obj_begin(j);
    herd_json_kv_u64(j, "clients", cfg->clients);
    herd_json_kv_u64(j, "servers", cfg->servers);
    herd_json_kv_u64(j, "messages", cfg->messages);
    herd_json_obj_end(j);
    herd_json_kv_str(j, "protocol", herd_protocol_name(&cfg->proto));
    herd_json_key(j, "store");
    herd_json_obj_begin(j);
    herd_json_kv_str(j, "durability", herd_durability_name(cfg->store.durability));
    herd_json_kv_u64(j, "maxlen", cfg->store.maxlen);
    herd_json_kv_u64(j, "dedup_capacity", cfg->store.dedup_capacity);
    herd_json_kv_u64(j, "dedup_window_us", (uint64_t)cfg->store.dedup_window_us);
    herd_json_obj_end(j);
    herd_json_kv_str(j, "lb", lb_names[cfg->lb]);
    herd_json_key(j, "network");
    herd_json_obj_begin(j);
    herd_json_kv_str(j, "server_to_client", s2c_names[cfg->s2c_eager]);
    herd_json_obj_end(j);
    herd_json_key(j, "faults");
    herd_json_obj_begin(j);
    for (int k = 0; k < HM_F_COUNT; k++) herd_json_kv_u64(j, budget_keys[k], cfg->budget[k]);
    herd_json_key(j, "close_codes");
    herd_json_arr_begin(j);
    for (unsigned i = 0; i < cfg->n_close_codes; i++) herd_json_u64(j, cfg->close_codes[i]);
    herd_json_arr_end(j);
    herd_json_obj_end(j);
    herd_json_key(j, "check");
    herd_json_obj_begin(j);
    herd_json_key(j, "properties");
    herd_json_arr_begin(j);
    for (int p = 0; p < HM_P_COUNT; p++)
        if (cfg->props_mask & (1u << p)) herd_json_str(j, hm_prop_name(p));
    herd_json_arr_end(j);
    herd_json_kv_u64(j, "liveness_steps", cfg->liveness_steps);
    herd_json_kv_bool(j, "symmetry", cfg->symmetry != 0);
    herd_json_obj_end(j);
    herd_json_key(j, "client");
    herd_json_obj_begin(j);
    herd_json_kv_u64(j, "queue_max", cfg->client.queue_max);
    herd_json_kv_u64(j, "backoff_us", cfg->client.backoff.base_us);
    herd_json_kv_u64(j, "timeout_us", (uint64_t)cfg->client.ack_timeout_us);
    herd_json_obj_end(j);
    herd_json_obj_end(j);
}
