/* fuzz/fuzz_answer.c - ar_answer_parse: a model's answer text, parsed and
 * validated against a fixed account (the one of tests/test_answer.c). The
 * input is the answer text as is; an odd length selects spot mode (no
 * shorts, leverage 1), an even one perp. */
#include <jansson.h>
#include <math.h>
#include "arena/agent.h"
#include "arena/exec.h"
#include "arena/llm.h"
#include "fuzz_util.h"

static const char *const coins[] = {"BTC", "ETH", "SOL", "XRP"};
static const double marks[] = {50000, 3000, 100, NAN};
static const double position[] = {0, 1, 0, 0};
static const double pmargin[] = {0, 600, 0, 0};
static const double pentry[] = {0, 3000, 0, 0};

static void one(const char *text, size_t len, int spot) {
    ar_answer_ctx ctx = {4, coins, marks, position, 10000, 20, spot, 0.00045, pmargin, pentry, 0};
    ar_answer ans;
    ar_actions out = {0};
    ar_err e = ar_answer_parse(text, len, &ctx, &ans, &out);
    if (e == AR_ENOMEM) {
        ar_actions_cleanup(&out);
        return;
    }
    FUZZ_CHECK(e == AR_OK);
    FUZZ_CHECK(ans.status == 0 || ans.status == 1);
    FUZZ_CHECK(ans.reason >= 0 && ans.reason < AR_R_COUNT);
    FUZZ_CHECK(ans.nactions <= AR_ANSWER_MAX_ACTIONS);
    FUZZ_CHECK(out.n <= ans.nactions);
    FUZZ_CHECK((ans.nactions == 0) == (ans.actions == NULL));
    for (size_t k = 0; k < ans.nactions; k++) {
        const ar_answer_action *a = &ans.actions[k];
        FUZZ_CHECK(a->signal >= -1 && a->signal <= 3); /* -1: bad signal */
        FUZZ_CHECK(a->sym >= -1 && a->sym < 4);
        FUZZ_CHECK(a->reason >= 0 && a->reason < AR_R_COUNT);
    }
    for (size_t k = 0; k < out.n; k++) {
        const ar_order_req *r = &out.v[k];
        FUZZ_CHECK(r->sym >= 0 && r->sym < 4);
        FUZZ_CHECK(isfinite(r->qty));
        FUZZ_CHECK(isfinite(r->leverage) && r->leverage <= 20);
        FUZZ_CHECK(!spot || r->qty >= 0 || r->reduce_only || r->type == AR_OT_CLOSE);
    }
    if (ans.canonical_json != NULL) { /* must be valid JSON */
        json_error_t je;
        json_t *j = json_loads(ans.canonical_json, 0, &je);
        FUZZ_CHECK(j != NULL);
        json_decref(j);
    }
    ar_answer_cleanup(&ans);
    ar_actions_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    one((const char *)data, size, (int)(size & 1));
    return 0;
}
