/* fuzz/fuzz_config.c - ar_config_parse on a config text. The config path is
 * in a folder that does not exist, so template files named relative to it
 * are never found; absolute template paths are read (a harness limit: see
 * docs/HARDENING.md). An accepted config must parse again, to the same
 * canonical JSON, from its own canonical JSON. */
#include "arena/config.h"
#include "arena/err.h"
#include "fuzz_util.h"

#define CFG_PATH "/nonexistent-arena-fuzz/cfg.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_strdup(data, size);
    if (text == NULL) return 0;
    ar_config *c = NULL;
    ar_errbuf eb;
    memset(&eb, 0, sizeof eb);
    ar_err e = ar_config_parse(text, CFG_PATH, &c, &eb);
    if (e != AR_OK) {
        FUZZ_CHECK(c == NULL);
        FUZZ_CHECK(memchr(eb.msg, '\0', sizeof eb.msg) != NULL);
    } else {
        FUZZ_CHECK(c != NULL && c->canonical_json != NULL);
        FUZZ_CHECK(c->nagents > 0 && c->nseeds > 0 && c->seeds != NULL);
        ar_config *c2 = NULL;
        ar_err e2 = ar_config_parse(c->canonical_json, CFG_PATH, &c2, &eb);
        if (e2 != AR_ENOMEM) {
            if (e2 != AR_OK) fprintf(stderr, "reparse failed: %s\n", eb.msg);
            FUZZ_CHECK(e2 == AR_OK);
            FUZZ_CHECK(strcmp(c->canonical_json, c2->canonical_json) == 0);
            FUZZ_CHECK(c2->nagents == c->nagents && c2->seed == c->seed);
        }
        ar_config_free(c2);
    }
    ar_config_free(c);
    free(text);
    return 0;
}
