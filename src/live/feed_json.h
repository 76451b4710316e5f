/* src/live/feed_json.h - the feed parsers' JSON layer (private to src/live).
 *
 * A strict scanner turns a message into a flat token tree without allocating
 * (ar__ft_scan). It accepts only input for which it is certain to build the
 * same tree jansson's json_loadb(msg, len, 0) would: an object at the top,
 * plain ASCII strings without escapes or control bytes, integers of at most
 * 18 digits, decimals without an exponent of at most 64 characters, true,
 * false, null, limited nesting and token count. Anything else - escapes,
 * non-ASCII, exponents, long numbers or strings, syntax errors, a top-level
 * array - makes it give up, and the caller parses the message with jansson,
 * which then parses or rejects it. Given up is never an error.
 *
 * Tokens of a container are followed by their children; an object's children
 * are key, value, key, value ... A token's skip is the size of its subtree in
 * tokens, so t + t->skip is the next sibling. */
#ifndef ARENA_LIVE_FEED_JSON_H
#define ARENA_LIVE_FEED_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "arena/feed.h"

enum { AR_FT_OBJ = 1, AR_FT_ARR, AR_FT_STR, AR_FT_INT, AR_FT_REAL, AR_FT_TRUE, AR_FT_FALSE, AR_FT_NULL };

#define AR_FT_MAX_TOKENS 1024 /* more: give up */
#define AR_FT_MAX_DEPTH 16    /* deeper: give up */
#define AR_FT_MAX_STR 256     /* longer strings: give up */
#define AR_FT_MAX_NUM 64      /* longer numbers: give up */

typedef struct ar_ft {
    const char *s; /* string: the bytes between the quotes; number: its text */
    uint32_t len;  /* of s */
    uint32_t skip; /* tokens in this subtree, itself included */
    uint32_t n;    /* object: pairs; array: elements */
    uint8_t type;  /* AR_FT_* */
} ar_ft;

/* Scan msg[0..len) into tok[0..cap). Returns the token count (tok[0] is the
 * top-level object), or 0: give up (let jansson decide). */
size_t ar__ft_scan(const char *msg, size_t len, ar_ft *tok, size_t cap);

/* Test and benchmark hooks. on = 0 sends every message through jansson (the
 * reference the fast path is checked against); 1 (the default) uses the
 * scanner whenever it vouches for a message. */
void ar__feed_parser_set_fast(ar_feed_parser *p, int on);
/* Messages whose JSON the scanner handled (the others went to jansson). */
uint64_t ar__feed_parser_fast_count(const ar_feed_parser *p);

#endif
