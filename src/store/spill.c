/* src/store/spill.c - record logs that leave memory while a run goes on.
 *
 * A long run's accounts log an order, a fill and half a round trip for
 * nearly every trade they make: hundreds of bytes per decision of an active
 * agent, far more than its equity sample. The engine hands the settled part
 * of those logs here in runs of rows (segments), so an account keeps only
 * its latest rows in memory, and the run file's writer and the league read
 * them back in blocks. The file is ours alone and never part of a result:
 * an unnamed temporary file (O_TMPFILE) in the run file's directory, or a
 * named one unlinked at once where the file system has no O_TMPFILE. The
 * kernel's page cache holds what fits; nothing counts against the process.
 *
 * Appends from several episode threads reserve their byte range under a
 * mutex and write outside it; a segment list belongs to one agent, so one
 * thread, and needs no lock. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_TMPFILE */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "arena/run.h"

struct ar_spill {
    int fd;
    char dir[PATH_MAX];
    char near[PATH_MAX]; /* the run file it serves, for messages */
    pthread_mutex_t mu;
    uint64_t end; /* bytes reserved so far */
};

/* The directory part of path ("." when it has none). */
static void dir_of(const char *path, char *dir, size_t n) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, n, ".");
    } else if (slash == path) {
        snprintf(dir, n, "/");
    } else {
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
    }
}

ar_err ar_spill_open(const char *near, ar_spill **out, ar_errbuf *eb) {
    *out = NULL;
    ar_spill *s = calloc(1, sizeof *s);
    if (s == NULL) return ar_errf(eb, AR_ENOMEM, "spill: out of memory");
    dir_of(near ? near : ".", s->dir, sizeof s->dir);
    snprintf(s->near, sizeof s->near, "%s", near ? near : ".");
    s->fd = -1;
#ifdef O_TMPFILE
    s->fd = open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (s->fd < 0) { /* no O_TMPFILE here: a named file, unlinked at once */
        char tmpl[PATH_MAX + 32];
        snprintf(tmpl, sizeof tmpl, "%s/.arena-spill-XXXXXX", s->dir);
        s->fd = mkstemp(tmpl);
        if (s->fd >= 0) unlink(tmpl);
    }
    if (s->fd < 0) {
        int en = errno;
        free(s);
        return ar_errf(eb, AR_EIO, "%s: cannot make a temporary file for the logs: %s", near ? near : ".",
                       strerror(en));
    }
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return AR_OK;
}

void ar_spill_free(ar_spill *s) {
    if (s == NULL) return;
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void ar_log_segs_free(ar_log_segs *segs) {
    if (segs == NULL) return;
    for (int k = 0; k < AR_LOG_SLOTS; k++) free(segs[k].v);
    free(segs);
}

/* All of [off, off + bytes) of fd from or into buf: pwrite (wr) or pread,
 * again after EINTR and short counts. -1 with errno set (0 when the file
 * ended early or took nothing). */
static int io_all(int fd, int wr, char *buf, size_t bytes, uint64_t off) {
    for (size_t done = 0; done < bytes;) {
        ssize_t k = wr ? pwrite(fd, buf + done, bytes - done, (off_t)(off + done))
                       : pread(fd, buf + done, bytes - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k == 0) errno = 0;
            return -1;
        }
        done += (size_t)k;
    }
    return 0;
}

ar_err ar_spill_append(ar_spill *s, ar_log_segs *segs, const void *recs, size_t n, size_t size, ar_errbuf *eb) {
    if (n == 0) return AR_OK;
    if (n > SIZE_MAX / size) return ar_errf(eb, AR_EINVAL, "spill: %zu records of %zu bytes", n, size);
    if (segs->spill != NULL && segs->spill != s) return ar_errf(eb, AR_EINVAL, "spill: a log in two spills");
    size_t bytes = n * size;
    if (segs->n == segs->cap) {
        size_t cap = segs->cap ? segs->cap * 2 : 8;
        ar_spill_seg *v = realloc(segs->v, cap * sizeof *v);
        if (v == NULL) return ar_errf(eb, AR_ENOMEM, "spill: out of memory");
        segs->v = v;
        segs->cap = cap;
    }
    pthread_mutex_lock(&s->mu);
    uint64_t off = s->end;
    s->end += bytes;
    pthread_mutex_unlock(&s->mu);
    if (io_all(s->fd, 1, (char *)(uintptr_t)recs, bytes, off) != 0)
        return ar_errf(eb, AR_EIO, "%s: writing the run's logs to a temporary file in %s: %s", s->near, s->dir,
                       errno ? strerror(errno) : "no space written");
    segs->spill = s;
    /* merged into the last segment when it ends where this one starts */
    ar_spill_seg *last = segs->n ? &segs->v[segs->n - 1] : NULL;
    if (last && last->off + (uint64_t)last->rows * size == off) {
        last->rows += n;
    } else {
        segs->v[segs->n++] = (ar_spill_seg){off, n};
    }
    return AR_OK;
}

ar_err ar_spill_read(const ar_log_segs *segs, size_t off, size_t n, size_t size, void *out, ar_errbuf *eb) {
    const ar_spill *s = segs->spill;
    char *dst = out;
    size_t base = 0; /* first row of segment k */
    for (size_t k = 0; k < segs->n && n > 0; k++) {
        const ar_spill_seg *g = &segs->v[k];
        if (off >= base + g->rows) {
            base += g->rows;
            continue;
        }
        size_t from = off - base, take = g->rows - from < n ? g->rows - from : n;
        if (io_all(s->fd, 0, dst, take * size, g->off + (uint64_t)from * size) != 0)
            return ar_errf(eb, AR_EIO, "%s: reading the run's logs back from a temporary file in %s: %s", s->near,
                           s->dir, errno ? strerror(errno) : "short file");
        dst += take * size;
        off += take;
        n -= take;
        base += g->rows;
    }
    return n == 0 ? AR_OK : ar_errf(eb, AR_EINVAL, "spill: rows past the end of a log");
}
