/* fuzz/fuzz_cassette.c - ar_cassette_open on a cassette (JSON Lines) file.
 * The input is written to an in-memory file (memfd) and opened in replay
 * mode; a loaded cassette is then searched (a hit returns owned copies). */
#include "arena/cassette.h"
#include "arena/err.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file(data, size);
    ar_errbuf eb;
    memset(&eb, 0, sizeof eb);
    ar_cassette *c = ar_cassette_open(path, AR_CASSETTE_REPLAY, &eb);
    if (c == NULL) {
        FUZZ_CHECK(eb.msg[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(ar_cassette_get_mode(c) == AR_CASSETTE_REPLAY);
    static const char *const agents[] = {"gpt", "a", ""};
    for (uint32_t ep = 0; ep < 2; ep++)
        for (size_t k = 0; k < 3; k++)
            for (uint32_t dec = 0; dec < 3; dec++) {
                ar_llm_call call;
                memset(&call, 0, sizeof call);
                int r = ar_cassette_find(c, ep, agents[k], dec, "", &call, &eb);
                FUZZ_CHECK(r >= -1 && r <= 1);
                if (r == 1) {
                    FUZZ_CHECK(call.nlog >= 0 && call.nlog <= AR_LLM_MAX_ATTEMPTS);
                    FUZZ_CHECK(memchr(call.finish, '\0', sizeof call.finish) != NULL);
                }
                ar_llm_call_cleanup(&call);
            }
    ar_cassette_free(c);
    return 0;
}
