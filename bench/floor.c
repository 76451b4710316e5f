/* bench/floor.c - the least work `arena run` of one agent on N bars must do
 * on this machine, as a plain C program (docs/BENCHMARKS.md, "the floor"):
 *
 *   floor MARKET.h5 OUT [N] [--mapped]     (N bars, default 500000)
 *
 * 1. read N x 48 bytes of the market file (page cache) through a 192 KB
 *    buffer into six fresh columns of N doubles (what ar_market holds);
 * 2. fill N + 1 fresh equity samples of 32 bytes (what ar_run holds);
 * 3. write a file of the size of that run file (N x 42.7 bytes) under a
 *    temporary name and rename it (what ar_run_h5_write does).
 * With --mapped, what arena does since session 10 instead: 1. map the
 * market file read-only, populated, and read each row's time and close
 * once; 2. put the N + 1 samples in one 256 KiB block, written out each
 * time it fills (the curve streamed), then the rest of the file's size.
 * No HDF5, no engine, no league table; fresh memory is 2 MiB aligned and
 * advised for huge pages, as in arena. It does not compute anything
 * meaningful: it measures what touching that much fresh memory and page
 * cache costs. Not built by CMake: bench/run.sh compiles it (static when it
 * can, to leave out shared-library start-up). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *fresh(size_t n) {
    size_t huge = (size_t)2 << 20, w = (n + huge - 1) & ~(huge - 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, w) != 0) {
        perror("posix_memalign");
        exit(1);
    }
    madvise(p, w, MADV_HUGEPAGE);
    return p;
}

/* --mapped: the market file's rows where they lie, the curve in one block. */
static int mapped(const char *market, const char *out, size_t nb) {
    double t0 = now_ms();
    int fd = open(market, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(market);
        return 1;
    }
    size_t len = (size_t)st.st_size;
    const char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    /* rows from 4 KiB in (the file's rows are near there; their values do
     * not matter here, only the memory traffic) */
    size_t rows = (len - 4096) / 48 < nb ? (len - 4096) / 48 : nb;
    double sum = 0;
    int64_t last = 0;
    for (size_t i = 0; i < rows; i++) {
        const double *r = (const double *)(p + 4096 + i * 48);
        int64_t t;
        memcpy(&t, r, sizeof t);
        last ^= t;
        sum += r[4];
    }
    double t1 = now_ms();
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    int o = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0) {
        perror(tmp);
        return 1;
    }
    static double blk[8192 * 4];
    size_t total = nb * 427 / 10, done = 0, k = 0;
    for (size_t i = 0; i <= nb; i++) {
        blk[4 * k] = (double)i;
        blk[4 * k + 1] = sum;
        blk[4 * k + 2] = 1;
        blk[4 * k + 3] = 0;
        if (++k == 8192 || i == nb) {
            if (write(o, blk, k * 32) < 0) {
                perror("write");
                return 1;
            }
            done += k * 32;
            k = 0;
        }
    }
    while (done < total) { /* the rest of the run file's size */
        size_t c = total - done < sizeof blk ? total - done : sizeof blk;
        if (write(o, blk, c) < 0) {
            perror("write");
            return 1;
        }
        done += c;
    }
    close(o);
    if (rename(tmp, out) != 0) perror("rename");
    double t2 = now_ms();
    printf("floor --mapped: %zu bars: map and read %.1f ms, curve and file %.1f ms, total %.1f ms (%lld)\n", nb,
           t1 - t0, t2 - t1, t2 - t0, (long long)(last & 1));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: floor MARKET.h5 OUT [N]\n");
        return 2;
    }
    size_t nb = argc > 3 && argv[3][0] != '-' ? (size_t)strtoull(argv[3], NULL, 10) : 500000;
    if (strcmp(argv[argc - 1], "--mapped") == 0) return mapped(argv[1], argv[2], nb);
    double t0 = now_ms();
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    double *col[6];
    for (int k = 0; k < 6; k++) col[k] = fresh(nb * sizeof(double));
    static double buf[4096 * 6];
    off_t off = 0;
    for (size_t i = 0; i < nb; i += 4096) {
        size_t c = nb - i < 4096 ? nb - i : 4096;
        ssize_t r = pread(fd, buf, c * 48, off);
        if (r < (ssize_t)(c * 48)) memset((char *)buf + (r > 0 ? r : 0), 0, c * 48 - (size_t)(r > 0 ? r : 0));
        off += (off_t)(c * 48);
        for (size_t j = 0; j < c; j++)
            for (int k = 0; k < 6; k++) col[k][i + j] = buf[j * 6 + k];
    }
    close(fd);
    double t1 = now_ms();
    double *eq = fresh((nb + 1) * 32);
    for (size_t i = 0; i <= nb; i++) {
        eq[4 * i] = (double)i;
        eq[4 * i + 1] = col[4][i % nb];
        eq[4 * i + 2] = 1;
        eq[4 * i + 3] = 0;
    }
    double t2 = now_ms();
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
    int o = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0) {
        perror(tmp);
        return 1;
    }
    size_t total = nb * 427 / 10, done = 0, have = (nb + 1) * 32;
    const char *src = (const char *)eq;
    while (done < total) {
        size_t c = total - done < ((size_t)2 << 20) ? total - done : ((size_t)2 << 20);
        if (c > have) c = have;
        if (write(o, src + (done % (have - c + 1)), c) < 0) {
            perror("write");
            return 1;
        }
        done += c;
    }
    close(o);
    if (rename(tmp, argv[2]) != 0) perror("rename");
    double t3 = now_ms();
    printf("floor: %zu bars: read into columns %.1f ms, equity %.1f ms, write %.1f ms, total %.1f ms\n", nb, t1 - t0,
           t2 - t1, t3 - t2, t3 - t0);
    return 0;
}
