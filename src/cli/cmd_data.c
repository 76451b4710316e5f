/* src/cli/cmd_data.c - `arena data import|synth|info|fetch`: build and
 * inspect market files.
 *
 * import  CSV files (OHLCV, Binance kline, trades; .gz too) into one symbol of
 *         a market file; other symbols already in the file are kept.
 * synth   a seeded synthetic market (src/market/synth.c).
 * info    ranges, rows and gaps per symbol.
 * fetch   bars (and perp funding) from an exchange's REST API
 *         (src/market/fetch.c); resumable through MARKET.h5.SYM.part.
 * Errors: one line on stderr prefixed "arena data: "; exit 2 for usage, 1 for
 * data and I/O. Single-threaded. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "arena/err.h"
#include "arena/fetch.h"
#include "arena/market.h"
#include "arena/store.h"
#include "arena/util.h"
#include "cli/cli.h"

#define PFX "arena data: "

static const char import_help[] =
    "usage: arena data import FILE... --symbol SYM -o MARKET.h5 [--kind auto|ohlcv|kline|trades]\n"
    "\n"
    "Import CSV files (plain or .gz) into symbol SYM of MARKET.h5. Several files are\n"
    "concatenated in the order given and must continue each other in time. Other\n"
    "symbols already in MARKET.h5 are kept; of SYM, what the files hold (bars or trades) is\n"
    "replaced and the rest (the other kind, funding) kept.\n"
    "  --kind auto    (default) decide from the first line:\n"
    "         ohlcv   header with a time column (timestamp|time|date|datetime|open_time)\n"
    "                 and open,high,low,close[,volume]; other columns are ignored\n"
    "         kline   Binance kline rows: 12 columns, no header, open time in ms (us if > 1e14)\n"
    "         trades  header with a time column, price, amount|qty|size|quantity[, side]\n"
    "Times: ISO-8601 (date, date time, fraction, Z or +HH:MM) or epoch s/ms/us/ns.\n";

static const char synth_help[] =
    "usage: arena data synth -o MARKET.h5 [--symbols BTC,ETH,SOL,BNB,DOGE,XRP] [--days N | --bars N]\n"
    "                        [--interval 1m] [--seed S] [--start 2025-01-01] [--funding]\n"
    "\n"
    "Write a seeded synthetic market: correlated Student-t returns, GARCH(1,1)\n"
    "volatility, jumps, volume following volatility, calibrated per coin to Bybit\n"
    "1m perps (docs/DATA.md). Unknown symbols get BTC-like parameters. The same\n"
    "options always give the same file, byte for byte.\n"
    "  --symbols LIST  comma-separated names (default BTC,ETH,SOL,BNB,DOGE,XRP)\n"
    "  --days N        length in days (default 30)\n"
    "  --bars N        exact number of bars per symbol (overrides --days)\n"
    "  --interval D    bar interval, e.g. 1m, 5m, 1h (default 1m)\n"
    "  --seed S        unsigned integer (default 1)\n"
    "  --start T       first bar open time, ISO-8601 UTC (default 2025-01-01T00:00:00Z)\n"
    "  --funding       also write an 8h funding series per symbol\n";

static const char info_help[] =
    "usage: arena data info MARKET.h5 [--verify]\n"
    "\n"
    "Print per symbol: interval, first and last bar, rows, gaps (steps larger than\n"
    "the interval) and the largest gap; trade and funding rows and ranges.\n"
    "--verify also hashes every dataset and checks it against the sha256 attribute\n"
    "arena stored with it (runs trust that attribute: docs/DATA.md); exit 1 when\n"
    "some rows were edited since.\n";

static const char fetch_help[] =
    "usage: arena data fetch binance|bybit|hyperliquid SYMBOL... --interval 1m --from T [--to T]\n"
    "                        -o MARKET.h5 [--category spot|linear] [--as NAME] [--base-url URL] [--quiet]\n"
    "\n"
    "Download bars with open time in [--from, --to) from the exchange's klines endpoint\n"
    "and add them to MARKET.h5 (other symbols are kept; bars already there are not asked\n"
    "for again). SYMBOL is the exchange's own name (BTCUSDT on Binance and Bybit, BTC on\n"
    "Hyperliquid); it is stored under its name without the quote currency (BTC) or --as.\n"
    "  --interval D      bar interval (1m, 5m, 1h, 1d, ...; the exchange must have it)\n"
    "  --from T, --to T  ISO-8601 UTC or epoch; --to defaults to now (unfinished bars are dropped)\n"
    "  --category C      spot (default on Binance and Bybit) or linear (perps, default on\n"
    "                    Hyperliquid): perp bars plus the funding-rate history into /funding/SYM\n"
    "  --as NAME         arena name for a single SYMBOL\n"
    "  --base-url URL    replaces the exchange's scheme, host and port (a mirror, a test server)\n"
    "  --quiet           no progress bar and no summary line\n"
    "An interrupted or failed fetch keeps what it got in MARKET.h5.SYM.part and leaves\n"
    "MARKET.h5 as it was; the same command resumes. Gaps at the exchange are reported, not filled.\n";

static const char data_help[] =
    "usage: arena data import|synth|info|fetch ... (arena data COMMAND --help for options)\n"
    "  import FILE... --symbol SYM -o MARKET.h5 [--kind K]   CSV into a market file\n"
    "  synth -o MARKET.h5 [--symbols ...] [--days N] ...     seeded synthetic market\n"
    "  info MARKET.h5                                        ranges, rows, gaps\n"
    "  fetch EXCHANGE SYMBOL... --interval 1m --from T ...   bars and funding from an exchange\n";

static int usage_err(const char *help_of, const char *msg, const char *arg) {
    fprintf(stderr, PFX "%s%s%s (try 'arena data %s --help')\n", msg, arg ? " " : "", arg ? arg : "", help_of);
    return AR_EXIT_USAGE;
}

static int is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

static ar_err load_one(const char *path, const char *name, ar_market **out, ar_errbuf *eb);

static int cmd_import(int argc, char **argv) {
    const char *out = NULL, *symname = NULL;
    ar_csv_kind kind = AR_CSV_AUTO;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    size_t nfiles = 0;
    if (files == NULL) {
        fprintf(stderr, PFX "out of memory\n");
        return AR_EXIT_FAIL;
    }
    int rc = AR_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            fputs(import_help, stdout);
            free(files);
            return AR_EXIT_OK;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--symbol") || !strcmp(a, "--kind")) {
            if (i + 1 >= argc) {
                free(files);
                return usage_err("import", "missing value after", a);
            }
            const char *v = argv[++i];
            if (a[1] == 'o' || !strcmp(a, "--output")) out = v;
            else if (!strcmp(a, "--symbol")) symname = v;
            else if (!strcmp(v, "auto")) kind = AR_CSV_AUTO;
            else if (!strcmp(v, "ohlcv")) kind = AR_CSV_OHLCV;
            else if (!strcmp(v, "kline")) kind = AR_CSV_KLINE;
            else if (!strcmp(v, "trades")) kind = AR_CSV_TRADES;
            else {
                free(files);
                return usage_err("import", "--kind must be auto, ohlcv, kline or trades, not", v);
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            free(files);
            return usage_err("import", "unknown option", a);
        } else {
            files[nfiles++] = a;
        }
    }
    if (nfiles == 0) rc = usage_err("import", "no input file given", NULL);
    else if (symname == NULL) rc = usage_err("import", "--symbol SYM is required", NULL);
    else if (out == NULL) rc = usage_err("import", "-o MARKET.h5 is required", NULL);
    else if (strlen(symname) == 0 || strlen(symname) >= AR_SYM_MAX || strchr(symname, '/'))
        rc = usage_err("import", "--symbol must be 1-31 bytes without '/':", symname);
    if (rc != AR_EXIT_OK) {
        free(files);
        return rc;
    }
    ar_errbuf eb;
    ar_market *m = ar_market_create();
    if (m == NULL || ar_market_add_symbol(m, symname) < 0) {
        fprintf(stderr, PFX "out of memory\n");
        ar_market_free(m);
        free(files);
        return AR_EXIT_FAIL;
    }
    snprintf(m->source, sizeof m->source, "import");
    for (size_t i = 0; i < nfiles && rc == AR_EXIT_OK; i++) {
        ar_err e = ar_csv_import(files[i], kind, &m->sym[0], &eb);
        if (e != AR_OK) {
            fprintf(stderr, PFX "%s\n", eb.msg);
            rc = AR_EXIT_FAIL;
        }
    }
    /* The files replace what they hold of the symbol (its bars, or its
     * trades); the rest of it in the file (the other kind, its funding)
     * stays: importing a symbol's trades must not drop its bars. */
    ar_market *old = NULL;
    char kept[48] = "";
    if (rc == AR_EXIT_OK && load_one(out, symname, &old, &eb) != AR_OK) {
        fprintf(stderr, PFX "%s\n", eb.msg);
        rc = AR_EXIT_FAIL;
    }
    if (rc == AR_EXIT_OK) {
#define SWAP(T, x, y) do { T t_ = (x); (x) = (y); (y) = t_; } while (0)
        ar_symbol *s = &m->sym[0], *o = &old->sym[0];
        /* (an import always brings rows: never both bars and trades kept) */
        int kb = s->bars.n == 0 && o->bars.n > 0, kt = s->trades.n == 0 && o->trades.n > 0, kf = o->funding.n > 0;
        if (kb) {
            SWAP(ar_bars, s->bars, o->bars);
            SWAP(int64_t, s->interval, o->interval);
        }
        if (kt) SWAP(ar_trades, s->trades, o->trades);
        if (kf) SWAP(ar_funding, s->funding, o->funding);
#undef SWAP
        if (kb || kt || kf)
            snprintf(kept, sizeof kept, "; its %s%s%s kept", kb ? "bars" : kt ? "trades" : "",
                     (kb || kt) && kf ? " and " : "", kf ? "funding" : "");
    }
    if (rc == AR_EXIT_OK && ar_market_h5_write(out, m, 1, &eb) != AR_OK) {
        fprintf(stderr, PFX "%s\n", eb.msg);
        rc = AR_EXIT_FAIL;
    }
    if (rc == AR_EXIT_OK) {
        const ar_symbol *s = &m->sym[0];
        char iv[32] = "-";
        if (s->interval) ar_duration_format(s->interval, iv, sizeof iv);
        printf("%s: %s: %zu bars (interval %s), %zu trades from %zu file%s%s\n", out, s->name, s->bars.n, iv,
               s->trades.n, nfiles, nfiles == 1 ? "" : "s", kept);
    }
    ar_market_free(old);
    ar_market_free(m);
    free(files);
    return rc;
}

static int cmd_synth(int argc, char **argv) {
    const char *out = NULL, *syms = "BTC,ETH,SOL,BNB,DOGE,XRP";
    int64_t interval = AR_NS_PER_MIN, start = 0;
    unsigned long long seed = 1, days = 30, bars = 0;
    int funding = 0;
    ar_errbuf eb;
    ar_time_parse("2025-01-01T00:00:00Z", (size_t)-1, &start, NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            fputs(synth_help, stdout);
            return AR_EXIT_OK;
        }
        if (!strcmp(a, "--funding")) {
            funding = 1;
            continue;
        }
        if (strcmp(a, "-o") && strcmp(a, "--output") && strcmp(a, "--symbols") && strcmp(a, "--days") &&
            strcmp(a, "--bars") && strcmp(a, "--interval") && strcmp(a, "--seed") && strcmp(a, "--start"))
            return usage_err("synth", "unknown option or argument", a);
        if (i + 1 >= argc) return usage_err("synth", "missing value after", a);
        const char *v = argv[++i];
        char *end = NULL;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) out = v;
        else if (!strcmp(a, "--symbols")) syms = v;
        else if (!strcmp(a, "--days") || !strcmp(a, "--seed") || !strcmp(a, "--bars")) {
            if (v[0] < '0' || v[0] > '9') return usage_err("synth", a, "expects a non-negative integer");
            unsigned long long x = strtoull(v, &end, 10);
            if (*end != '\0') return usage_err("synth", a, "expects a non-negative integer");
            if (a[2] == 'd') days = x;
            else if (a[2] == 'b') bars = x;
            else seed = x;
        } else if (!strcmp(a, "--interval")) {
            if (ar_duration_parse(v, &interval, &eb) != AR_OK) return usage_err("synth", "--interval:", eb.msg);
        } else if (ar_time_parse(v, (size_t)-1, &start, &eb) != AR_OK) {
            return usage_err("synth", "--start:", eb.msg);
        }
    }
    if (out == NULL) return usage_err("synth", "-o MARKET.h5 is required", NULL);
    if (days == 0 || days > 36500) return usage_err("synth", "--days must be 1..36500", NULL);
    if (bars > 100000000ULL) return usage_err("synth", "--bars must be at most 100000000", NULL);
    if ((int64_t)days * AR_NS_PER_DAY / interval < 1)
        return usage_err("synth", "--interval is longer than --days", NULL);
    /* split the symbol list in a private copy */
    char *list = strdup(syms);
    const char **names = calloc(strlen(syms) + 1, sizeof *names);
    if (list == NULL || names == NULL) {
        free(list);
        free(names);
        fprintf(stderr, PFX "out of memory\n");
        return AR_EXIT_FAIL;
    }
    size_t n = 0;
    for (char *tok = list, *next; tok != NULL; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = '\0';
        if (*tok == '\0' || strlen(tok) >= AR_SYM_MAX || strchr(tok, '/')) {
            free(list);
            free(names);
            return usage_err("synth", "--symbols: each name must be 1-31 bytes without '/', got", syms);
        }
        names[n++] = tok;
    }
    ar_synth_params p = {.symbols = names, .nsym = n, .start = start, .interval = interval,
                         .nbars = bars ? (size_t)bars : (size_t)((int64_t)days * AR_NS_PER_DAY / interval), .seed = seed,
                         .funding = funding};
    ar_market *m = NULL;
    int rc = AR_EXIT_OK;
    ar_err e = ar_synth_generate(&p, &m, &eb);
    if (e == AR_EINVAL) rc = AR_EXIT_USAGE;
    else if (e != AR_OK) rc = AR_EXIT_FAIL;
    if (e != AR_OK) fprintf(stderr, PFX "%s\n", eb.msg);
    if (rc == AR_EXIT_OK && ar_market_h5_write(out, m, 0, &eb) != AR_OK) {
        fprintf(stderr, PFX "%s\n", eb.msg);
        rc = AR_EXIT_FAIL;
    }
    if (rc == AR_EXIT_OK) {
        char iv[32];
        ar_duration_format(interval, iv, sizeof iv);
        printf("%s: %zu symbols x %zu bars of %s, seed %llu%s\n", out, n, p.nbars, iv, seed,
               funding ? ", with funding" : "");
    }
    ar_market_free(m);
    free(list);
    free(names);
    return rc;
}

static int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int verify = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(info_help, stdout);
            return AR_EXIT_OK;
        }
        if (!strcmp(argv[i], "--verify")) {
            verify = 1;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') return usage_err("info", "unknown option", argv[i]);
        if (path) return usage_err("info", "expected one market file, got another:", argv[i]);
        path = argv[i];
    }
    if (path == NULL) return usage_err("info", "no market file given", NULL);
    ar_errbuf eb;
    ar_market *m = NULL;
    if (ar_market_h5_read(path, NULL, 0, &m, &eb) != AR_OK) {
        fprintf(stderr, PFX "%s\n", eb.msg);
        return AR_EXIT_FAIL;
    }
    printf("file: %s\n", path);
    ar_market_print_info(m, stdout);
    ar_market_free(m);
    if (verify) {
        fflush(stdout);
        if (ar_market_h5_verify(path, &eb) != AR_OK) {
            fprintf(stderr, PFX "%s\n", eb.msg);
            return AR_EXIT_FAIL;
        }
        printf("sha256: every dataset matches the hash stored with it\n");
    }
    return AR_EXIT_OK;
}

/* ---- fetch ---------------------------------------------------------------- */

static volatile sig_atomic_t fetch_stop;
static void on_signal(int sig) {
    (void)sig;
    fetch_stop = 1;
}

typedef struct fetch_ui {
    const char *out, *part, *label;
    int tty, drawn;
    int64_t last_pct;
    size_t saved; /* bars in the last checkpoint */
} fetch_ui;

static void ui_clear(fetch_ui *u) {
    if (u->drawn) fputs("\r\033[K", stderr);
    u->drawn = 0;
}

static void ui_progress(void *ud, int64_t done, int64_t total, size_t bars) {
    fetch_ui *u = ud;
    if (!u->tty || total <= 0) return;
    int64_t pct = done >= total ? 100 : done * 100 / total;
    if (pct == u->last_pct && bars % 5000 != 0) return;
    u->last_pct = pct;
    char bar[31];
    for (int i = 0; i < 30; i++) bar[i] = i < pct * 30 / 100 ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%% %zu bars", u->label, bar, (int)pct, bars);
    fflush(stderr);
    u->drawn = 1;
}

static void ui_notice(void *ud, const char *line) {
    fetch_ui *u = ud;
    ui_clear(u);
    fprintf(stderr, PFX "%s\n", line);
}

static ar_err ui_checkpoint(void *ud, const ar_symbol *sym, ar_errbuf *eb) {
    fetch_ui *u = ud;
    ar_market m;
    memset(&m, 0, sizeof m);
    m.nsym = 1;
    m.sym = (ar_symbol *)sym; /* only read by the writer */
    snprintf(m.source, sizeof m.source, "partial fetch (resume with the same command)");
    ar_err e = ar_market_h5_write(u->part, &m, 0, eb);
    if (e == AR_OK) u->saved = sym->bars.n;
    return e;
}

/* Read symbol name of path into *out (a new one-symbol market, empty when the
 * file or the symbol is absent). */
static ar_err load_one(const char *path, const char *name, ar_market **out, ar_errbuf *eb) {
    *out = NULL;
    if (access(path, F_OK) == 0) {
        const char *names[1] = {name};
        ar_err e = ar_market_h5_read(path, names, 1, out, eb);
        if (e != AR_OK && e != AR_ENOTFOUND) return e;
    }
    if (*out == NULL) {
        *out = ar_market_create();
        if (*out == NULL || ar_market_add_symbol(*out, name) < 0) return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    return AR_OK;
}

static int cmd_fetch(int argc, char **argv) {
    const char *out = NULL, *as = NULL, *base = NULL, *cat = NULL, *ivs = NULL, *froms = NULL, *tos = NULL;
    int quiet = 0;
    const char **syms = calloc((size_t)argc + 1, sizeof *syms);
    size_t nsyms = 0;
    ar_fetch_ex ex = AR_FETCH_BINANCE;
    int have_ex = 0;
    if (syms == NULL) {
        fprintf(stderr, PFX "out of memory\n");
        return AR_EXIT_FAIL;
    }
#define FUSAGE(msg, arg)                                 \
    do {                                                 \
        free(syms);                                      \
        return usage_err("fetch", msg, arg);             \
    } while (0)
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            fputs(fetch_help, stdout);
            free(syms);
            return AR_EXIT_OK;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = 1;
            continue;
        }
        const char **slot = !strcmp(a, "-o") || !strcmp(a, "--output") ? &out
                            : !strcmp(a, "--as")                         ? &as
                            : !strcmp(a, "--base-url")                   ? &base
                            : !strcmp(a, "--category")                   ? &cat
                            : !strcmp(a, "--interval")                   ? &ivs
                            : !strcmp(a, "--from")                       ? &froms
                            : !strcmp(a, "--to")                         ? &tos
                                                                         : NULL;
        if (slot != NULL) {
            if (i + 1 >= argc) FUSAGE("missing value after", a);
            *slot = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            FUSAGE("unknown option", a);
        } else if (!have_ex) {
            if (ar_fetch_exchange_parse(a, &ex)) FUSAGE("exchange must be binance, bybit or hyperliquid, not", a);
            have_ex = 1;
        } else {
            syms[nsyms++] = a;
        }
    }
    ar_errbuf eb;
    int64_t interval = 0, from = 0, to = 0;
    struct timespec now_ts;
    clock_gettime(CLOCK_REALTIME, &now_ts);
    int64_t now = (int64_t)now_ts.tv_sec * AR_NS_PER_S + now_ts.tv_nsec;
    if (!have_ex) FUSAGE("no exchange given (binance, bybit or hyperliquid)", NULL);
    if (nsyms == 0) FUSAGE("no SYMBOL given", NULL);
    if (out == NULL) FUSAGE("-o MARKET.h5 is required", NULL);
    if (ivs == NULL) FUSAGE("--interval is required", NULL);
    if (froms == NULL) FUSAGE("--from is required", NULL);
    if (as != NULL && nsyms > 1) FUSAGE("--as names a single SYMBOL; got several", NULL);
    if (cat != NULL && strcmp(cat, "spot") && strcmp(cat, "linear"))
        FUSAGE("--category must be spot or linear, not", cat);
    int linear = cat ? !strcmp(cat, "linear") : ex == AR_FETCH_HYPERLIQUID;
    if (ex == AR_FETCH_HYPERLIQUID && !linear) FUSAGE("hyperliquid: only perps (--category linear) are supported", NULL);
    if (ar_duration_parse(ivs, &interval, &eb) != AR_OK) FUSAGE("--interval:", eb.msg);
    if (ar_fetch_interval_name(ex, interval) == NULL) {
        char m[256];
        snprintf(m, sizeof m, "%s has no %s interval (it has %s)", ar_fetch_exchange_name(ex), ivs, ar_fetch_intervals(ex));
        FUSAGE(m, NULL);
    }
    if (ar_time_parse(froms, (size_t)-1, &from, &eb) != AR_OK) FUSAGE("--from:", eb.msg);
    if (tos != NULL && ar_time_parse(tos, (size_t)-1, &to, &eb) != AR_OK) FUSAGE("--to:", eb.msg);
    if (tos == NULL) to = now;
    if (to <= from) {
        char a[40], b[40], m[128];
        ar_time_format(from, a, sizeof a);
        ar_time_format(to, b, sizeof b);
        snprintf(m, sizeof m, "--to %s is not after --from %s", b, a);
        FUSAGE(m, NULL);
    }
    if (from >= now) FUSAGE("--from is in the future:", froms);
    char (*names)[AR_SYM_MAX] = calloc(nsyms, sizeof *names);
    if (names == NULL) {
        free(syms);
        fprintf(stderr, PFX "out of memory\n");
        return AR_EXIT_FAIL;
    }
    for (size_t k = 0; k < nsyms; k++) {
        if (as != NULL) {
            if (strlen(as) == 0 || strlen(as) >= AR_SYM_MAX || strchr(as, '/')) {
                free(names);
                FUSAGE("--as must be 1-31 bytes without '/':", as);
            }
            snprintf(names[k], AR_SYM_MAX, "%s", as);
        } else if (ar_fetch_arena_name(ex, syms[k], names[k], &eb) != AR_OK) {
            free(names);
            FUSAGE(eb.msg, NULL);
        }
    }
#undef FUSAGE
    const char *env = getenv("ARENA_FETCH_BACKOFF_MS"); /* tests: shorter waits */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    fetch_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = AR_EXIT_OK;
    size_t plen = strlen(out) + AR_SYM_MAX + 16;
    char *part = malloc(plen);
    /* a symbol that fails is said and the others are still fetched (exit 1
     * at the end); an interruption or an unreadable output file stops all */
    for (size_t k = 0; k < nsyms && !fetch_stop; k++) {
        if (part == NULL) {
            fprintf(stderr, PFX "out of memory\n");
            rc = AR_EXIT_FAIL;
            break;
        }
        snprintf(part, plen, "%s.%s.part", out, names[k]);
        fetch_ui ui = {out, part, syms[k], !quiet && isatty(STDERR_FILENO), 0, -1, 0};
        ar_market *m = NULL, *pm = NULL;
        ar_err e = load_one(out, names[k], &m, &eb);
        if (e == AR_OK && access(part, F_OK) == 0) {
            /* resume: what an earlier run of this fetch kept */
            if ((e = load_one(part, names[k], &pm, &eb)) == AR_OK) e = ar_fetch_merge(&m->sym[0], &pm->sym[0], &eb);
            if (e == AR_OK && !quiet)
                fprintf(stderr, PFX "%s: resuming with %zu bars from %s\n", names[k], pm->sym[0].bars.n, part);
            ar_market_free(pm);
        }
        if (e != AR_OK) {
            fprintf(stderr, PFX "%s\n", eb.msg);
            ar_market_free(m);
            rc = AR_EXIT_FAIL;
            break;
        }
        ar_fetch_req req = {.ex = ex, .symbol = syms[k], .linear = linear, .interval = interval, .from = from,
                            .to = to, .now = now, .base_url = base,
                            .backoff_ms = env ? (unsigned)strtoul(env, NULL, 10) : 0, .stop = &fetch_stop,
                            .checkpoint = ui_checkpoint, .progress = ui_progress, .notice = ui_notice, .ud = &ui};
        ar_fetch_stats st;
        size_t before = m->sym[0].bars.n;
        e = ar_fetch_symbol(&req, &m->sym[0], &st, &eb);
        ui_clear(&ui);
        if (e != AR_OK && strstr(eb.msg, syms[k]) == NULL) { /* the exchange's words rarely name it */
            char was[sizeof eb.msg];
            snprintf(was, sizeof was, "%s", eb.msg);
            ar_errf(&eb, e, "%s: %s", syms[k], was);
        }
        if (e == AR_OK) {
            snprintf(m->source, sizeof m->source, "fetch %s", ar_fetch_exchange_name(ex));
            e = ar_market_h5_write(out, m, 1, &eb);
        }
        if (e != AR_OK) {
            if (ui.saved > 0)
                fprintf(stderr, PFX "%s; %zu bars kept in %s (the same command resumes)\n", eb.msg, ui.saved,
                        part);
            else
                fprintf(stderr, PFX "%s\n", eb.msg);
            rc = AR_EXIT_FAIL;
        } else {
            unlink(part);
            const ar_symbol *s = &m->sym[0];
            char a[40] = "-", b[40] = "-";
            if (s->bars.n) {
                ar_time_format(s->bars.row[0].t, a, sizeof a);
                ar_time_format(s->bars.row[s->bars.n - 1].t, b, sizeof b);
            }
            char fu[64] = "";
            if (linear) snprintf(fu, sizeof fu, ", +%zu funding (%zu in all)", st.funding_new, s->funding.n);
            if (!quiet)
                printf("%s: %s: +%zu bars (%zu in all, %s .. %s, %zu gaps, %zu bars missing)%s, %zu requests\n", out,
                       s->name, s->bars.n - before, s->bars.n, a, b, st.gaps, st.gap_bars, fu, st.requests);
        }
        ar_market_free(m);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(part);
    free(names);
    free(syms);
    return rc;
}

int ar_cmd_data(int argc, char **argv) {
    if (argc < 2) {
        fputs(data_help, stderr);
        return AR_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (is_help(sub)) {
        fputs(data_help, stdout);
        return AR_EXIT_OK;
    }
    if (!strcmp(sub, "import")) return cmd_import(argc - 1, argv + 1);
    if (!strcmp(sub, "synth")) return cmd_synth(argc - 1, argv + 1);
    if (!strcmp(sub, "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(sub, "fetch")) return cmd_fetch(argc - 1, argv + 1);
    fprintf(stderr, PFX "unknown subcommand '%s' (expected import, synth, info or fetch)\n", sub);
    return AR_EXIT_USAGE;
}
