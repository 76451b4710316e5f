/* fuzz/fuzz_csv.c - CSV import (OHLCV, Binance kline, trades) through the
 * buffer-level ar__csv_import_mem (src/market/csv_int.h), the same parse
 * ar_csv_import runs on a plain-text file.
 *
 * Input: byte 0 bits 0-1 pick the kind (auto, ohlcv, kline, trades); bit 2
 * pre-fills the symbol with one bar and one trade and a 1m interval, so the
 * "continues after the symbol's last row" and "same interval" checks run;
 * the rest is the file. Checked after every import: an error leaves the
 * symbol exactly as it was; an accepted file leaves bars strictly
 * increasing with low <= open, close <= high, all finite and >= 0, trades
 * non-decreasing. */
#include <math.h>
#include "arena/market.h"
#include "arena/util.h"
#include "market/csv_int.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    ar_csv_kind kind = (ar_csv_kind)(data[0] & 3);
    int prefill = (data[0] >> 2) & 1;
    ar_symbol sym;
    memset(&sym, 0, sizeof sym);
    snprintf(sym.name, sizeof sym.name, "BTC");
    if (prefill) {
        const int64_t t0 = INT64_C(1704067200) * AR_NS_PER_S; /* 2024-01-01 */
        if (ar_bars_push(&sym.bars, t0, 100, 101, 99, 100.5, 3) != AR_OK ||
            ar_trades_push(&sym.trades, t0, 100, 0.5, 1) != AR_OK)
            goto out;
        sym.interval = AR_NS_PER_MIN;
    }
    size_t nb0 = sym.bars.n, nt0 = sym.trades.n;
    int64_t iv0 = sym.interval;
    ar_errbuf eb;
    memset(&eb, 0, sizeof eb);
    /* exactly sized, not NUL-terminated: ASan catches reads past the end */
    size_t n = size - 1;
    char *buf = malloc(n ? n : 1);
    if (buf == NULL) goto out;
    if (n) memcpy(buf, data + 1, n);
    ar_err e = ar__csv_import_mem("fuzz.csv", buf, n, kind, &sym, &eb);
    free(buf);
    if (e != AR_OK) {
        if (e != AR_ENOMEM) {
            FUZZ_CHECK(sym.bars.n == nb0 && sym.trades.n == nt0 && sym.interval == iv0);
            FUZZ_CHECK(eb.msg[0] != '\0' && memchr(eb.msg, '\0', sizeof eb.msg) != NULL);
        }
        goto out;
    }
    FUZZ_CHECK(sym.bars.n >= nb0 && sym.trades.n >= nt0);
    const ar_bars *b = &sym.bars;
    for (size_t i = 0; i < b->n; i++) {
        const ar_bar *r = &b->row[i];
        FUZZ_CHECK(isfinite(r->open) && isfinite(r->high) && isfinite(r->low) && isfinite(r->close) &&
                   isfinite(r->volume));
        FUZZ_CHECK(r->low >= 0 && r->volume >= 0);
        FUZZ_CHECK(r->low <= r->open && r->open <= r->high);
        FUZZ_CHECK(r->low <= r->close && r->close <= r->high);
        if (i > 0) FUZZ_CHECK(r->t > b->row[i - 1].t);
    }
    if (b->n > nb0) FUZZ_CHECK(sym.interval >= 0);
    const ar_trades *t = &sym.trades;
    for (size_t i = 0; i < t->n; i++) {
        FUZZ_CHECK(isfinite(t->price[i]) && isfinite(t->qty[i]) && t->price[i] >= 0 && t->qty[i] >= 0);
        FUZZ_CHECK(t->side[i] >= -1 && t->side[i] <= 1);
        if (i > 0) FUZZ_CHECK(t->t[i] >= t->t[i - 1]);
    }
out:
    ar_bars_free(&sym.bars);
    ar_trades_free(&sym.trades);
    ar_funding_free(&sym.funding);
    return 0;
}
