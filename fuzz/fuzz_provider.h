/* fuzz/fuzz_provider.h - the body of the three provider targets
 * (fuzz_openai.c, fuzz_anthropic.c, fuzz_gemini.c): one HTTP response read
 * by ar_provider_parse_response.
 *
 * Input: byte 0 picks the HTTP status (from the table below: mostly 200,
 * then every status the parser treats specially), byte 1 picks the
 * Retry-After header (none, or the text up to the first '\n' after byte 1);
 * the rest is the response body. The call starts with stale text and error
 * so the "replaces, freeing the old ones" path runs every time. */
#ifndef ARENA_FUZZ_PROVIDER_H
#define ARENA_FUZZ_PROVIDER_H

#include <math.h>
#include "arena/exec.h"
#include "arena/llm.h"
#include "fuzz_util.h"

static const long fuzz_statuses[16] = {200, 200, 200, 200, 200, 200, 200, 200,
                                       429, 500, 529, 400, 408, 503, 0, 302};

static int fuzz_provider(ar_provider prov, const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    long status = fuzz_statuses[data[0] & 15];
    const uint8_t *body = data + 2;
    size_t blen = size - 2;
    char *ra = NULL;
    if (data[1] & 1) { /* Retry-After: the first line of the rest */
        const uint8_t *nl = memchr(body, '\n', blen);
        size_t rl = nl ? (size_t)(nl - body) : blen;
        ra = fuzz_strdup(body, rl);
        if (ra == NULL) return 0;
        body += nl ? rl + 1 : rl;
        blen -= nl ? rl + 1 : rl;
    }
    /* exactly sized, not NUL-terminated: ASan catches reads past len */
    char *b = malloc(blen ? blen : 1);
    if (b == NULL) {
        free(ra);
        return 0;
    }
    if (blen) memcpy(b, body, blen);
    ar_llm_call call;
    memset(&call, 0, sizeof call);
    call.text = strdup("stale text");
    call.error = strdup("stale error");
    ar_llm_verdict v = {0, 0};
    ar_err e = ar_provider_parse_response(prov, status, b, blen, ra, &call, &v);
    FUZZ_CHECK(e == AR_OK || e == AR_ENOMEM);
    if (e == AR_OK) {
        FUZZ_CHECK(call.status == 0 || call.status == 1);
        FUZZ_CHECK(call.reason >= 0 && call.reason < AR_R_COUNT);
        FUZZ_CHECK(call.status == 1 || call.text != NULL);
        FUZZ_CHECK(call.status == 0 || call.error != NULL);
        FUZZ_CHECK(memchr(call.finish, '\0', sizeof call.finish) != NULL);
        FUZZ_CHECK(v.retry == 0 || v.retry == 1);
        FUZZ_CHECK(v.retry_after_s < 0 || isfinite(v.retry_after_s));
        FUZZ_CHECK(call.tokens_in >= 0 && call.tokens_out >= 0 && call.tokens_reasoning >= 0);
        if (call.error != NULL) FUZZ_CHECK(strchr(call.error, '\n') == NULL); /* one line */
    }
    ar_llm_call_cleanup(&call);
    free(b);
    free(ra);
    return 0;
}

#endif
