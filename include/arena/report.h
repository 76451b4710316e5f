/* include/arena/report.h - a run (or several runs of one tournament) as one
 * self-contained static HTML page: header with config and manifest, the
 * league table, equity and drawdown charts as inline SVG, and per agent its
 * episodes, round-trip trades and, for llm/exec/http agents, the decision
 * log with answers and prompts (docs/REPORT.md).
 *
 * The page makes no network request (inline CSS and SVG, no script, a
 * Content-Security-Policy of default-src 'none'), escapes every text that
 * comes from the run (agent names, answers and prompts are untrusted), and
 * is a pure function of its inputs: the same runs and labels give the same
 * bytes. Nothing is global; thread-safe over borrowed runs. */
#ifndef ARENA_REPORT_H
#define ARENA_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include "arena/err.h"
#include "arena/run.h"

typedef struct ar_report_opts {
    size_t max_points;    /* per curve after downsampling (>= 16); default 2000 */
    size_t max_trades;    /* trade rows per agent; default 500 */
    size_t max_decisions; /* decision-log rows per agent; default 200 */
    size_t max_text;      /* bytes of one answer / prompt shown; default 65536 */
    size_t max_episodes;  /* small-multiple charts per agent; default 12 */
} ar_report_opts;

void ar_report_opts_default(ar_report_opts *o);

/* Write the page for runs[0..nruns-1] to f. labels[i] names run i in the
 * page (the file's base name, say; NULL: the run's own name). opts NULL:
 * defaults. The league rows come from ar_league_compute, so its errors
 * (AR_ECONFIG for runs that are not one tournament) pass through with eb
 * filled. AR_EIO when writing to f fails. */
ar_err ar_report_write(const ar_run *const *runs, const char *const *labels, size_t nruns,
                       const ar_report_opts *opts, FILE *f, ar_errbuf *eb);

/* As ar_report_write into the file path: written to a temporary name
 * (ar_tmp_path) and renamed over path only when complete; on failure the tmp
 * is removed and an existing file is left as it was. Messages in eb start
 * with path when the failure is about the output file. */
ar_err ar_report_write_file(const char *path, const ar_run *const *runs, const char *const *labels,
                            size_t nruns, const ar_report_opts *opts, ar_errbuf *eb);

#endif
