/* fuzz/fuzz_util.h - helpers shared by the libFuzzer targets (fuzz/README
 * in docs/HARDENING.md "Fuzzing"). Header-only; each target is one file. */
#ifndef ARENA_FUZZ_UTIL_H
#define ARENA_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A violated invariant is a finding: abort so libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* A NUL-terminated heap copy of the input (exactly n + 1 bytes, so ASan sees
 * any read past the terminator). NULL only when out of memory. */
static inline char *fuzz_strdup(const uint8_t *d, size_t n) {
    char *s = malloc(n + 1);
    if (s == NULL) return NULL;
    if (n) memcpy(s, d, n);
    s[n] = '\0';
    return s;
}

/* Parsers that only take a path read the input from a temporary file
 * (created once, in /dev/shm when there is one, rewritten every run and
 * removed at exit). */
static char fuzz_tmp_path[64];
static void fuzz_tmp_remove(void) {
    if (fuzz_tmp_path[0]) unlink(fuzz_tmp_path);
}
static inline const char *fuzz_file(const uint8_t *d, size_t n) {
    static int fd = -1;
    if (fd < 0) {
        snprintf(fuzz_tmp_path, sizeof fuzz_tmp_path, "%s/arena-fuzz-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        fd = mkstemp(fuzz_tmp_path);
        if (fd < 0) {
            perror("mkstemp");
            abort();
        }
        atexit(fuzz_tmp_remove);
    }
    if (ftruncate(fd, 0) != 0) abort();
    size_t off = 0;
    while (off < n) {
        ssize_t w = pwrite(fd, d + off, n - off, (off_t)off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    return fuzz_tmp_path;
}

#endif
