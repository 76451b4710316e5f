/* src/util/utf8.c - text from outside (model answers, error bodies, a
 * program's output) made valid UTF-8 before JSON (cassettes) or a terminal
 * sees it. */
#include <stddef.h>
#include "arena/util.h"

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 when there is none. */
static size_t seq_len(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if (s[k] < 0x80 || s[k] > 0xBF) return 0;
    return n;
}

size_t ar_utf8_sanitize(char *s) {
    size_t fixed = 0;
    if (s == NULL) return 0;
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = seq_len(p); /* a NUL inside a sequence fails its range check */
        if (n == 0) {
            *p++ = '?';
            fixed++;
        } else {
            p += n;
        }
    }
    return fixed;
}

size_t ar_utf8_invalid_at(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] == 0) return i;
        size_t n = len - i >= 4 ? seq_len(p + i) : 0;
        if (n == 0 && len - i < 4) { /* near the end: check on a padded copy */
            unsigned char b[4] = {0, 0, 0, 0};
            for (size_t k = 0; k < len - i; k++) b[k] = p[i + k];
            n = seq_len(b);
            if (n > len - i) n = 0;
        }
        if (n == 0) return i;
        i += n;
    }
    return (size_t)-1;
}
