/* src/live/feed_json.c - the strict JSON scanner of the feed parsers' fast
 * path (feed_json.h says what it accepts and why).
 *
 * Soundness is the one rule: when the scanner returns tokens, jansson
 * (json_loadb with flags 0) would have accepted the same bytes and built the
 * same tree, so the parser's shared logic sees the same values either way.
 * Hence it gives up on everything jansson treats specially:
 *  - escapes (jansson decodes them; \u0000 is an error), control bytes (an
 *    error) and non-ASCII bytes (jansson validates UTF-8);
 *  - integers of 19+ digits (jansson fails on int64 overflow: bad_json) and
 *    numbers with an exponent (jansson fails on double overflow); a decimal
 *    without an exponent and at most AR_FT_MAX_NUM characters cannot
 *    overflow, and its value is strtod of its text, as in jansson;
 *  - a top level that is not an object, bytes after it, and any syntax error
 *    (jansson reports them; the parser counts bad_json).
 * Duplicate keys are kept as tokens; lookups take the last one, as jansson's
 * object does. */
#include <string.h>
#include "live/feed_json.h"

/* Skip JSON whitespace; one comparison when there is none (compact JSON). */
static inline size_t ws(const char *m, size_t i, size_t len) {
    while (i < len && (unsigned char)m[i] <= ' ' && (m[i] == ' ' || m[i] == '\n' || m[i] == '\r' || m[i] == '\t'))
        i++;
    return i;
}

static inline int is_digit(char c) {
    return (unsigned char)(c - '0') <= 9;
}

/* m[i] == '"': index after the closing quote, or 0 (give up: a backslash, a
 * control or non-ASCII byte, no closing quote, more than AR_FT_MAX_STR
 * bytes). */
static inline size_t scan_str(const char *m, size_t i, size_t len) {
    size_t j = i + 1;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* Eight bytes at a time: flag quote bytes (fq: has-zero of x ^ '"') and
     * bad bytes (bad: backslash, < 0x20 via the high bit of x - 0x20..,
     * >= 0x80). A borrow can set a wrong flag only above a true one in the
     * same mask, so the lowest flag of each mask is exact. */
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    for (; j + 8 <= len; j += 8) {
        uint64_t x;
        memcpy(&x, m + j, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t fq = (q - ones) & ~q & high;
        uint64_t bad = (((b - ones) & ~b) | (x - ones * 0x20) | x) & high;
        if ((fq | bad) != 0) {
            /* The end comes from the quote flags alone (the short chain the
             * next token waits for); a bad byte before that quote - any bad
             * flag below it is a true one - only decides to give up. */
            if (fq == 0 || (bad & ((fq & (0 - fq)) - 1)) != 0) return 0;
            size_t e = j + ((size_t)__builtin_ctzll(fq) >> 3);
            return e - i - 1 <= AR_FT_MAX_STR ? e + 1 : 0;
        }
        if (j - i > AR_FT_MAX_STR) return 0;
    }
#endif
    for (; j < len; j++) {
        unsigned char ch = (unsigned char)m[j];
        if (ch == '"') return j - i - 1 <= AR_FT_MAX_STR ? j + 1 : 0;
        if (ch == '\\' || ch < 0x20 || ch >= 0x80) return 0;
    }
    return 0; /* unterminated */
}

/* JSON number at m[i]: index after it, or 0 (give up); *real = has '.'. */
static inline size_t scan_num(const char *m, size_t i, size_t len, int *real) {
    size_t j = i;
    if (m[j] == '-') j++;
    if (j >= len || !is_digit(m[j])) return 0;
    size_t d0 = j;
    if (m[j] == '0') j++;
    else
        while (j < len && is_digit(m[j])) j++;
    size_t nint = j - d0;
    *real = 0;
    if (j < len && m[j] == '.') {
        size_t f = ++j;
        while (j < len && is_digit(m[j])) j++;
        if (j == f) return 0;
        *real = 1;
    }
    if (j < len && (m[j] == 'e' || m[j] == 'E')) return 0;
    if (j - i > AR_FT_MAX_NUM || (!*real && nint > 18)) return 0;
    return j;
}

size_t ar__ft_scan(const char *m, size_t len, ar_ft *tok, size_t cap) {
    uint32_t open[AR_FT_MAX_DEPTH], cnt[AR_FT_MAX_DEPTH]; /* per open container: token, children */
    int depth = 0;
    char closer = '}'; /* of the innermost open container */
    size_t n = 1, i = ws(m, 0, len);
    if (i >= len || m[i] != '{' || cap < 3) return 0;
    tok[0] = (ar_ft){.skip = 1, .type = AR_FT_OBJ};
    i = ws(m, i + 1, len);
    if (i < len && m[i] == '}') return ws(m, i + 1, len) == len ? 1 : 0;
    open[0] = 0;
    cnt[0] = 0;
    depth = 1;
    for (;;) {
        /* At the start of an element of the innermost container. */
        if (n + 2 > cap) return 0;
        ar_ft *t = &tok[n];
        if (closer == '}') {
            if (i >= len || m[i] != '"') return 0;
            size_t e = scan_str(m, i, len);
            if (e == 0) return 0;
            *t++ = (ar_ft){.s = m + i + 1, .len = (uint32_t)(e - i - 2), .skip = 1, .type = AR_FT_STR};
            n++;
            i = e;
            if (i >= len || m[i] != ':') {
                i = ws(m, i, len);
                if (i >= len || m[i] != ':') return 0;
            }
            i = ws(m, i + 1, len);
        }
        cnt[depth - 1]++;
        if (i >= len) return 0;
        char ch = m[i];
        size_t e;
        if (ch == '"') {
            e = scan_str(m, i, len);
            if (e == 0) return 0;
            *t = (ar_ft){.s = m + i + 1, .len = (uint32_t)(e - i - 2), .skip = 1, .type = AR_FT_STR};
        } else if (ch == '-' || is_digit(ch)) {
            int real;
            e = scan_num(m, i, len, &real);
            if (e == 0) return 0;
            *t = (ar_ft){.s = m + i, .len = (uint32_t)(e - i), .skip = 1, .type = real ? AR_FT_REAL : AR_FT_INT};
        } else if (ch == '{' || ch == '[') {
            if (depth == AR_FT_MAX_DEPTH) return 0;
            *t = (ar_ft){.type = ch == '{' ? AR_FT_OBJ : AR_FT_ARR};
            closer = ch == '{' ? '}' : ']';
            open[depth] = (uint32_t)n++;
            cnt[depth++] = 0;
            i = ws(m, i + 1, len);
            if (i >= len || m[i] != closer) continue; /* its first element */
            e = i; /* empty: closed below */
        } else if (ch == 't' && len - i >= 4 && !memcmp(m + i, "true", 4)) {
            e = i + 4;
            *t = (ar_ft){.skip = 1, .type = AR_FT_TRUE};
        } else if (ch == 'f' && len - i >= 5 && !memcmp(m + i, "false", 5)) {
            e = i + 5;
            *t = (ar_ft){.skip = 1, .type = AR_FT_FALSE};
        } else if (ch == 'n' && len - i >= 4 && !memcmp(m + i, "null", 4)) {
            e = i + 4;
            *t = (ar_ft){.skip = 1, .type = AR_FT_NULL};
        } else {
            return 0;
        }
        if (t->type != AR_FT_OBJ && t->type != AR_FT_ARR) n++;
        i = e;
        /* After a value: ',' starts the next element, the closer ends the
         * container (and maybe its parents). Anything else - a letter after
         * true, a digit after 0, a missing comma - gives up. */
        for (;;) {
            if (i < len && m[i] == ',') {
                i = ws(m, i + 1, len);
                break;
            }
            i = ws(m, i, len);
            if (i >= len) return 0;
            if (m[i] == ',') continue;
            if (m[i] != closer) return 0;
            depth--;
            tok[open[depth]].skip = (uint32_t)(n - open[depth]);
            tok[open[depth]].n = cnt[depth];
            i++;
            if (depth == 0) return ws(m, i, len) == len ? n : 0;
            closer = tok[open[depth - 1]].type == AR_FT_OBJ ? '}' : ']';
        }
    }
}
