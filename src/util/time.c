/* src/util/time.c - timestamps and durations as int64 nanoseconds UTC.
 *
 * The parser is on the hot path of CSV import (one call per row), so it reads
 * digits by hand: no sscanf, strptime or timegm, no locale, no allocation.
 * Calendar arithmetic is Howard Hinnant's days_from_civil / civil_from_days,
 * which is exact for the proleptic Gregorian calendar and needs no tables.
 * Pure functions, no global state: thread-safe. */
#include <stdio.h>
#include <string.h>
#include "arena/util.h"

int64_t ar_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);                     /* [0, 399] */
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* n digits at s as a number, or -1 when any is not a digit. */
static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static unsigned days_in_month(int64_t y, unsigned m) {
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

/* Show at most 60 bytes of the offending text; eb->msg is one line. */
#define SHOWN(len) ((int)((len) > 60 ? 60 : (len)))

static ar_err bad_time(ar_errbuf *eb, const char *s, size_t len, const char *why) {
    return ar_errf(eb, AR_EFORMAT, "bad timestamp '%.*s': %s", SHOWN(len), s, why);
}

/* Plain number: epoch time whose unit follows from the magnitude. */
static ar_err parse_epoch(const char *s, size_t len, int64_t *out, ar_errbuf *eb) {
    size_t i = 0;
    uint64_t ip = 0;
    int nint = 0;
    while (i < len && is_digit(s[i])) {
        if (ip > (UINT64_MAX - 9) / 10)
            return bad_time(eb, s, len, "epoch number too large");
        ip = ip * 10 + (uint64_t)(s[i] - '0');
        i++;
        nint++;
    }
    uint64_t frac = 0; /* fraction in units of 1e-18 of the integer unit */
    int nfrac = 0;
    if (i < len && s[i] == '.') {
        i++;
        uint64_t scale = UINT64_C(100000000000000000);
        while (i < len && is_digit(s[i])) {
            frac += (uint64_t)(s[i] - '0') * scale; /* digits past 18 are below 1 ns */
            scale /= 10;
            i++;
            nfrac++;
        }
        if (nfrac == 0) return bad_time(eb, s, len, "no digits after '.'");
    }
    if (nint == 0 || i != len)
        return bad_time(eb, s, len, "expected YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|+HH:MM] or an epoch number");
    int64_t unit; /* ns per unit */
    if (ip < UINT64_C(100000000000)) unit = AR_NS_PER_S;
    else if (ip < UINT64_C(100000000000000)) unit = AR_NS_PER_MS;
    else if (ip < UINT64_C(100000000000000000)) unit = AR_NS_PER_US;
    else unit = 1;
    if (ip > (uint64_t)INT64_MAX / (uint64_t)unit)
        return bad_time(eb, s, len, "epoch number out of range");
    int64_t t = (int64_t)ip * unit;
    /* frac * unit / 1e18, done as (frac / 1e9) * (unit / 1e9)-free integer steps */
    int64_t fr = (int64_t)((frac / UINT64_C(1000000000)) * (uint64_t)unit / UINT64_C(1000000000));
    if (t > INT64_MAX - fr) return bad_time(eb, s, len, "epoch number out of range");
    *out = t + fr;
    return AR_OK;
}

ar_err ar_time_parse(const char *s, size_t len, int64_t *out, ar_errbuf *eb) {
    if (s == NULL) return ar_errf(eb, AR_EINVAL, "bad timestamp: NULL");
    if (len == (size_t)-1) len = strlen(s);
    if (len == 0) return ar_errf(eb, AR_EFORMAT, "empty timestamp (expected a date or an epoch number)");
    /* A date has '-' at index 4; anything else is tried as a number. */
    if (len < 10 || s[4] != '-') return parse_epoch(s, len, out, eb);
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || s[7] != '-' || mo < 0 || d < 0)
        return bad_time(eb, s, len, "expected a date YYYY-MM-DD");
    if (mo < 1 || mo > 12) return bad_time(eb, s, len, "month out of range (expected 01-12)");
    if (d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
        return bad_time(eb, s, len, "day out of range for the month");
    int64_t days = ar_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = 0, ns = 0;
    size_t i = 10;
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (len < i + 5 || s[i + 2] != ':')
            return bad_time(eb, s, len, "expected a time HH:MM after the date");
        int hh = digits(s + i, 2), mm = digits(s + i + 3, 2), ss = 0;
        if (hh < 0 || mm < 0) return bad_time(eb, s, len, "expected a time HH:MM after the date");
        if (hh > 23) return bad_time(eb, s, len, "hour out of range (expected 00-23)");
        if (mm > 59) return bad_time(eb, s, len, "minute out of range (expected 00-59)");
        i += 5;
        if (i < len && s[i] == ':') {
            if (len < i + 3 || (ss = digits(s + i + 1, 2)) < 0)
                return bad_time(eb, s, len, "expected seconds SS after ':'");
            if (ss > 59) return bad_time(eb, s, len, "second out of range (expected 00-59)");
            i += 3;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                int nd = 0;
                int64_t scale = 100000000;
                while (i < len && is_digit(s[i])) {
                    if (nd < 9) ns += (s[i] - '0') * scale; /* finer than 1 ns is dropped */
                    scale /= 10;
                    nd++;
                    i++;
                }
                if (nd == 0) return bad_time(eb, s, len, "no digits after the decimal point");
            }
        }
        secs = (int64_t)hh * 3600 + mm * 60 + ss;
        if (i < len) {
            if (s[i] == 'Z' || s[i] == 'z') {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                int sign = s[i] == '+' ? 1 : -1;
                i++;
                int oh = -1, om = -1;
                if (len - i == 5 && s[i + 2] == ':') {
                    oh = digits(s + i, 2);
                    om = digits(s + i + 3, 2);
                    i += 5;
                } else if (len - i == 4) {
                    oh = digits(s + i, 2);
                    om = digits(s + i + 2, 2);
                    i += 4;
                }
                if (oh < 0 || om < 0)
                    return bad_time(eb, s, len, "bad UTC offset (expected +HH:MM, -HH:MM or +HHMM)");
                if (oh > 23 || om > 59) return bad_time(eb, s, len, "UTC offset out of range");
                /* local = UTC + offset, so UTC = local - offset */
                secs -= sign * ((int64_t)oh * 3600 + om * 60);
            }
        }
    }
    if (i != len)
        return bad_time(eb, s, len, "unexpected text after the time (expected Z or +HH:MM)");
    /* int64 ns spans 1677-09-21 to 2262-04-11; days and secs are small
     * (4-digit years), only the scaling to ns can overflow */
    int64_t total = days * 86400 + secs;
    if (total > (INT64_MAX - ns) / AR_NS_PER_S || total < INT64_MIN / AR_NS_PER_S)
        return bad_time(eb, s, len, "out of range (expected a time from 1677-09-21 to 2262-04-11)");
    *out = total * AR_NS_PER_S + ns;
    return AR_OK;
}

ar_err ar_duration_parse(const char *s, int64_t *out, ar_errbuf *eb) {
    if (s == NULL) return ar_errf(eb, AR_EINVAL, "bad duration: NULL");
    const char *p = s;
    int64_t v = 0;
    if (!is_digit(*p))
        return ar_errf(eb, AR_EFORMAT, "bad duration '%.60s' (expected a positive integer and a unit ns|us|ms|s|m|h|d|w, e.g. 3m)", s);
    while (is_digit(*p)) {
        if (v > (INT64_MAX - 9) / 10) return ar_errf(eb, AR_EFORMAT, "bad duration '%.60s': too large", s);
        v = v * 10 + (*p - '0');
        p++;
    }
    static const struct { const char *u; int64_t ns; } units[] = {
        {"ns", 1}, {"us", AR_NS_PER_US}, {"ms", AR_NS_PER_MS}, {"s", AR_NS_PER_S},
        {"m", AR_NS_PER_MIN}, {"h", AR_NS_PER_HOUR}, {"d", AR_NS_PER_DAY},
        {"w", 7 * AR_NS_PER_DAY},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(p, units[i].u) != 0) continue;
        if (v <= 0) return ar_errf(eb, AR_EFORMAT, "bad duration '%.60s' (expected > 0)", s);
        if (v > INT64_MAX / units[i].ns) return ar_errf(eb, AR_EFORMAT, "bad duration '%.60s': too large", s);
        *out = v * units[i].ns;
        return AR_OK;
    }
    return ar_errf(eb, AR_EFORMAT, "bad duration '%.60s' (expected a unit ns|us|ms|s|m|h|d|w after the number)", s);
}

void ar_time_format(int64_t t, char *buf, size_t n) {
    if (buf == NULL || n == 0) return;
    /* floor division so that times before 1970 format correctly */
    int64_t days = t / AR_NS_PER_DAY, rem = t % AR_NS_PER_DAY;
    if (rem < 0) {
        rem += AR_NS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / AR_NS_PER_S, ns = rem % AR_NS_PER_S;
    int hh = (int)(secs / 3600), mm = (int)(secs / 60 % 60), ss = (int)(secs % 60);
    if (ns == 0) {
        snprintf(buf, n, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, hh, mm, ss);
        return;
    }
    char frac[16];
    snprintf(frac, sizeof frac, "%09lld", (long long)ns);
    size_t fl = 9;
    while (fl > 1 && frac[fl - 1] == '0') fl--;
    frac[fl] = '\0';
    snprintf(buf, n, "%04lld-%02u-%02uT%02d:%02d:%02d.%sZ", (long long)y, m, d, hh, mm, ss, frac);
}

void ar_duration_format(int64_t d, char *buf, size_t n) {
    if (buf == NULL || n == 0) return;
    static const struct { const char *u; int64_t ns; } units[] = {
        {"w", 7 * AR_NS_PER_DAY}, {"d", AR_NS_PER_DAY}, {"h", AR_NS_PER_HOUR},
        {"m", AR_NS_PER_MIN}, {"s", AR_NS_PER_S}, {"ms", AR_NS_PER_MS},
        {"us", AR_NS_PER_US}, {"ns", 1},
    };
    if (d == 0) {
        snprintf(buf, n, "0s");
        return;
    }
    const char *sign = d < 0 ? "-" : "";
    /* INT64_MIN has no positive counterpart; it is a multiple of 1 ns only */
    uint64_t a = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        uint64_t u = (uint64_t)units[i].ns;
        if (a % u == 0) {
            snprintf(buf, n, "%s%llu%s", sign, (unsigned long long)(a / u), units[i].u);
            return;
        }
    }
}
