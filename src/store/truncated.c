/* src/store/truncated.c - HDF5 files cut short by a failed write.
 *
 * When a write fails at the end of a file (a full disk, a file size
 * limit), HDF5 may already have written a superblock whose end-of-file
 * address lies past the bytes that made it to disk. HDF5 then refuses to
 * open the file ("truncated file"), though everything flushed before the
 * failure is intact: a live run file's flushes are ordered so that what is
 * on disk only points at what was written before it. The bytes that never
 * arrived are the ones a reader would have seen as zeros, and a live file's
 * reader already drops zero rows (rows allocated but never written).
 *
 * The superblock layouts are those of the HDF5 file format specification:
 * versions 0 and 1 keep the end-of-file address at byte 24 or 28 plus two
 * addresses, versions 2 and 3 at byte 12 plus two addresses; addresses are
 * little-endian, relative to the base address, of the size byte 13 (v0,
 * v1) or 9 (v2, v3) gives. Only files whose superblock is at offset 0 (no
 * user block, as arena writes them) are recognised. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store_int.h"

static uint64_t le(const unsigned char *p, unsigned n) {
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

int ar__h5_stored_eof(const char *path, uint64_t *stored, uint64_t *size) {
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char b[96];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    ssize_t n = fstat(fd, &st) == 0 ? pread(fd, b, sizeof b, 0) : -1;
    close(fd);
    if (n < 16 || memcmp(b, sig, sizeof sig) != 0) return -1;
    unsigned ver = b[8], o;
    size_t base;
    if (ver == 0 || ver == 1) {
        o = b[13];
        base = ver == 0 ? 24 : 28;
    } else if (ver == 2 || ver == 3) {
        o = b[9];
        base = 12;
    } else {
        return -1;
    }
    if ((o != 2 && o != 4 && o != 8) || base + 3 * (size_t)o > (size_t)n) return -1;
    uint64_t addr0 = le(b + base, o), eof = le(b + base + 2 * o, o);
    if (eof == UINT64_MAX || (o < 8 && eof == (UINT64_C(1) << (8 * o)) - 1)) return -1; /* undefined address */
    *stored = addr0 + eof;
    *size = (uint64_t)st.st_size;
    return 0;
}

int ar__h5_pad_truncated(const char *path) {
    uint64_t stored = 0, size = 0;
    if (ar__h5_stored_eof(path, &stored, &size) != 0 || size >= stored) return 0;
    /* at most 1 TiB past the data: a wilder address is not ours to trust */
    if (stored - size > (UINT64_C(1) << 40) || stored > (uint64_t)INT64_MAX) return 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = ftruncate(fd, (off_t)stored); /* a hole: no disk space needed */
    int en = errno;
    close(fd);
    errno = en;
    return rc == 0 ? 1 : -1;
}

ar_err ar__h5_open_failed(const char *path, ar_errbuf *eb) {
    uint64_t stored = 0, size = 0;
    if (ar__h5_stored_eof(path, &stored, &size) == 0 && size < stored)
        return ar_errf(eb, AR_EIO, "%s: cannot open: the file is cut short (%llu of the %llu bytes it says it has; "
                                   "a copy or write that did not finish?)",
                       path, (unsigned long long)size, (unsigned long long)stored);
    return ar_errf(eb, AR_EIO, "%s: cannot open: HDF5 cannot read its structure (a damaged file?)", path);
}

void ar__h5_note_cut(const char *path, ar_errbuf *eb) {
    uint64_t stored = 0, size = 0;
    if (ar__h5_stored_eof(path, &stored, &size) != 0 || size >= stored) return;
    char was[sizeof eb->msg];
    snprintf(was, sizeof was, "%s", eb->msg);
    ar_errf(eb, AR_EIO, "%s (the file is cut short: %llu of the %llu bytes it says it has)", was,
            (unsigned long long)size, (unsigned long long)stored);
}
