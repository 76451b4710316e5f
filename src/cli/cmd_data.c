/* src/cli/cmd_data.c - `arena data import|synth|info`: build and inspect
 * market files.
 *
 * import  CSV files (OHLCV, Binance kline, trades; .gz too) into one symbol of
 *         a market file; other symbols already in the file are kept.
 * synth   a seeded synthetic market (src/market/synth.c).
 * info    ranges, rows and gaps per symbol.
 * Errors: one line on stderr prefixed "arena data: "; exit 2 for usage, 1 for
 * data and I/O. Single-threaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena/err.h"
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
    "symbols already in MARKET.h5 are kept; SYM itself is replaced.\n"
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
    "usage: arena data info MARKET.h5\n"
    "\n"
    "Print per symbol: interval, first and last bar, rows, gaps (steps larger than\n"
    "the interval) and the largest gap; trade and funding rows and ranges.\n";

static const char data_help[] =
    "usage: arena data import|synth|info ... (arena data COMMAND --help for options)\n"
    "  import FILE... --symbol SYM -o MARKET.h5 [--kind K]   CSV into a market file\n"
    "  synth -o MARKET.h5 [--symbols ...] [--days N] ...     seeded synthetic market\n"
    "  info MARKET.h5                                        ranges, rows, gaps\n";

static int usage_err(const char *help_of, const char *msg, const char *arg) {
    fprintf(stderr, PFX "%s%s%s (try 'arena data %s --help')\n", msg, arg ? " " : "", arg ? arg : "", help_of);
    return AR_EXIT_USAGE;
}

static int is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

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
    if (rc == AR_EXIT_OK && ar_market_h5_write(out, m, 1, &eb) != AR_OK) {
        fprintf(stderr, PFX "%s\n", eb.msg);
        rc = AR_EXIT_FAIL;
    }
    if (rc == AR_EXIT_OK) {
        const ar_symbol *s = &m->sym[0];
        char iv[32] = "-";
        if (s->interval) ar_duration_format(s->interval, iv, sizeof iv);
        printf("%s: %s: %zu bars (interval %s), %zu trades from %zu file%s\n", out, s->name, s->bars.n, iv,
               s->trades.n, nfiles, nfiles == 1 ? "" : "s");
    }
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
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(info_help, stdout);
            return AR_EXIT_OK;
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
    return AR_EXIT_OK;
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
    fprintf(stderr, PFX "unknown subcommand '%s' (expected import, synth or info)\n", sub);
    return AR_EXIT_USAGE;
}
