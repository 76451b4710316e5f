/* include/arena/store.h - the only module that includes HDF5.
 *
 * Market files (layout: docs/DATA.md) and run files (docs/RUNFILE.md). All
 * writers create "<path>.tmp-XXXX" and rename over path only when the file is
 * complete, so a failed write never leaves a file that looks finished. Object
 * time tracking is off on every object, so identical content gives identical
 * bytes. HDF5 (Debian's build) is thread-safe and serialises its calls;
 * a writer shared by threads has its own lock (ar_run_writer_equity). */
#ifndef ARENA_STORE_H
#define ARENA_STORE_H

#include <stdio.h>
#include "arena/market.h"

/* Write every symbol of m into the market file at path. When path exists and
 * append is set, symbols already in the file are kept and those in m are
 * added (a symbol present in both is replaced). */
ar_err ar_market_h5_write(const char *path, const ar_market *m, int append, ar_errbuf *eb);

/* Read the named symbols (all when names is NULL) into a new market.
 * AR_ENOTFOUND naming the symbol when one is missing. */
ar_err ar_market_h5_read(const char *path, const char *const *names, size_t nnames,
                         ar_market **out, ar_errbuf *eb);

/* The same, but the bars may be used where they lie in the file: a
 * read-only mapping, when the file's records are exactly ar_bar's (docs/
 * DATA.md; otherwise they are read as above). Nothing is copied, but the
 * market then depends on the file: a file truncated while the market is
 * held (not one replaced by rename, as arena's writers do) makes reading a
 * lost row raise SIGBUS. For short-lived readers: `arena run` maps only
 * when every agent is a builtin strategy. */
ar_err ar_market_h5_read_mapped(const char *path, const char *const *names, size_t nnames,
                                ar_market **out, ar_errbuf *eb);

/* Read every dataset of the market file and check it against its stored
 * sha256 attribute (which reads trust): AR_EFORMAT naming the first
 * dataset whose rows were edited since. */
ar_err ar_market_h5_verify(const char *path, ar_errbuf *eb);

/* The same, but each symbol's bars stay in the file and are read block by
 * block as they are pinned (windowed bars, include/arena/market.h): the
 * file stays open until the market is freed. The checks and the content
 * hashes are those of ar_market_h5_read (the bars are read through once).
 * With AR_WINDOW_SUMS that pass also finds each block's start sums. */
#define AR_WINDOW_SUMS 2 /* flags: also the sqrt slippage sums, windowed (ar_bars_window_sums) */
ar_err ar_market_h5_read_windowed(const char *path, const char *const *names, size_t nnames, int flags,
                                  ar_market **out, ar_errbuf *eb);

/* Rows of bars the named symbols (all when names is NULL) have in the file,
 * without reading them. */
ar_err ar_market_h5_count_bars(const char *path, const char *const *names, size_t nnames, size_t *rows,
                               ar_errbuf *eb);

/* Silence HDF5's automatic error stack printing (call once at start-up);
 * errors are reported through ar_errbuf instead. The library is built
 * thread-safe, which makes that setting per thread: a thread of ours that
 * may call into the store calls ar_store_thread_init first. */
void ar_store_init(void);
void ar_store_thread_init(void);

#endif
