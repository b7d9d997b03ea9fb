/* model_file.h — loading a model file (YAML) into a world configuration and the
 * expectation it states ("pass" or "violation [property]"). */
#ifndef HERD_MODEL_FILE_H
#define HERD_MODEL_FILE_H

#include "world.h"

typedef struct hm_expect {
    bool violation;  /* expect a counterexample */
    int property;    /* HM_P_NONE: any property */
    char name[128];  /* the model's one-line description */
} hm_expect;

/* 0, or an exit status (65 invalid, 74 unreadable, 70 internal) with err = "file:line:col: ...". */
int hm_model_load(const char *path, hm_config *cfg, hm_expect *ex, char *err, size_t err_size);
/* The model as loaded, every key with its value (defaults included), as one JSON object
 * in the shape of the model file: what `herd check --json` reports under "config", so a
 * tool (tests/spin_agree.sh) reads the model as herd did rather than parse YAML again. */
struct herd_json;
void hm_config_json(struct herd_json *j, const hm_config *cfg);

#endif
