/* fuzz/fuzz_rank.c - the battle CSV parser of `arena rank`
 * (src/cli/cmd_rank.c, through ar__rank_parse in src/cli/rank_int.h), which
 * runs the RFC 4180 record reader ar__csv_next shared with `arena stats`.
 * The input is the file. Its one-line errors go to stderr: run it with
 * -close_fd_mask=2 (libFuzzer keeps its own and the sanitizers' reports on a
 * duplicate of stderr), as scripts/fuzz.sh does. */
#include "arena/err.h"
#include "cli/rank_int.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_strdup(data, size);
    if (text == NULL) return 0;
    size_t m = 0, n = 0;
    int rc = ar__rank_parse("fuzz.csv", text, size, &m, &n);
    FUZZ_CHECK(rc == AR_EXIT_OK || rc == AR_EXIT_FAIL);
    if (rc == AR_EXIT_OK) FUZZ_CHECK(n >= 1 && m >= 2 && m <= 2 * n);
    free(text);
    return 0;
}
