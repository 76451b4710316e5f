/* src/util/mem.c - large arrays on transparent huge pages.
 *
 * On virtual machines like the one docs/BENCHMARKS.md was measured on, the
 * first touch of every fresh 4 KiB page is expensive (a guest fault and,
 * often, a host one), and a scan of a large 4 KiB-paged array misses the TLB
 * at every page with a two-dimensional page walk. An array that is filled
 * once, front to back, and then scanned (market columns, equity samples, the
 * record tables of a run file) is better placed on 2 MiB pages: one fault
 * per 2 MiB. Plain heap blocks: free() releases them. */
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "arena/util.h"

void ar_advise_huge(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    /* the whole pages inside [p, p + bytes) */
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095, b = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
    if (bytes >= AR_HUGE_MIN && b > a) madvise((void *)a, b - a, MADV_HUGEPAGE); /* advice only */
#else
    (void)p;
    (void)bytes;
#endif
}

void *ar_alloc_huge(size_t bytes) {
    if (bytes < AR_HUGE_MIN) return malloc(bytes ? bytes : 1);
    /* whole huge pages: the kernel maps one only where all of its 2 MiB lie
     * in the advised range */
    size_t whole = (bytes + AR_HUGE_MIN - 1) & ~(AR_HUGE_MIN - 1);
    void *p = NULL;
    if (whole < bytes || posix_memalign(&p, AR_HUGE_MIN, whole) != 0) return NULL;
    ar_advise_huge(p, whole); /* advice only: 4 KiB pages when refused */
    return p;
}
