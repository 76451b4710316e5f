/* include/arena/util.h - small shared pieces: time, durations, files.
 *
 * Time everywhere in arena is int64 nanoseconds since the Unix epoch, UTC.
 * All functions are thread-safe (no global state). */
#ifndef ARENA_UTIL_H
#define ARENA_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include "arena/err.h"

#define AR_NS_PER_US INT64_C(1000)
#define AR_NS_PER_MS INT64_C(1000000)
#define AR_NS_PER_S INT64_C(1000000000)
#define AR_NS_PER_MIN (INT64_C(60) * AR_NS_PER_S)
#define AR_NS_PER_HOUR (INT64_C(3600) * AR_NS_PER_S)
#define AR_NS_PER_DAY (INT64_C(86400) * AR_NS_PER_S)
#define AR_NS_PER_YEAR (INT64_C(365) * AR_NS_PER_DAY) /* the stats convention */

/* Hints to the compiler, used where a profile said so: keep a rare path out
 * of a hot loop's function (AR_NOINLINE), or put a function's body into
 * each caller so constant arguments fold (AR_ALWAYS_INLINE). */
#if defined(__GNUC__) || defined(__clang__)
#define AR_NOINLINE __attribute__((noinline))
#define AR_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define AR_NOINLINE
#define AR_ALWAYS_INLINE inline
#endif

/* Parse a timestamp of len bytes (len may be (size_t)-1 for NUL-terminated).
 * Accepts ISO-8601 "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.frac]]" with an
 * optional "Z" or "+HH:MM"/"-HH:MM"/"+HHMM" offset (no offset means UTC), and
 * plain integers or decimals as epoch time whose unit is guessed from the
 * magnitude: < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else
 * nanoseconds. AR_EFORMAT when the text is none of these (eb says why). */
ar_err ar_time_parse(const char *s, size_t len, int64_t *out, ar_errbuf *eb);

/* Parse a duration: an integer followed by a unit ns, us, ms, s, m, h, d, w
 * ("3m", "8h", "500ms", "1d"). AR_EFORMAT on anything else, or if <= 0. */
ar_err ar_duration_parse(const char *s, int64_t *out, ar_errbuf *eb);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" (with ".fffffffff" only when the
 * nanoseconds are not zero, trimmed of trailing zeros). buf >= 40 bytes. */
void ar_time_format(int64_t t, char *buf, size_t n);

/* Format a duration compactly ("1m", "3m", "8h", "1d", "90s", "250ms"). */
void ar_duration_format(int64_t d, char *buf, size_t n);

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm); used by the parser and the formatter. */
int64_t ar_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Read a whole file into a NUL-terminated heap buffer (caller frees). */
ar_err ar_read_file(const char *path, char **out, size_t *len, ar_errbuf *eb);

/* Replace path atomically: the caller writes to tmp (from ar_tmp_path) and
 * renames on success. tmp is "<path>.tmp-<random>"; n >= strlen(path)+32. */
void ar_tmp_path(const char *path, char *tmp, size_t n);

/* Lowercase hex sha256 of data (65 bytes with the NUL). */
void ar_sha256_hex(const void *data, size_t len, char out[65]);

/* Streaming sha256: begin (NULL on ENOMEM), update any number of times, end
 * writes the hex digest and frees the context. */
typedef struct ar_sha256 ar_sha256;
ar_sha256 *ar_sha256_begin(void);
void ar_sha256_update(ar_sha256 *h, const void *data, size_t len);
void ar_sha256_end(ar_sha256 *h, char out[65]);

/* Replace, in place, every byte of s that does not start or continue a
 * well-formed UTF-8 sequence by '?': text from outside (answers, error
 * bodies) must be valid UTF-8 before JSON holds it. Returns the bytes
 * replaced. */
size_t ar_utf8_sanitize(char *s);
/* Offset of the first byte of s[0..len) that does not begin a well-formed
 * UTF-8 sequence (a NUL counts as one), or (size_t)-1 when it is all valid
 * text. */
size_t ar_utf8_invalid_at(const char *s, size_t len);

/* 64-bit mixing hash (splitmix64 finaliser) used to derive seeds per
 * (episode, agent) so that streams never depend on scheduling order. */
uint64_t ar_mix64(uint64_t x);
uint64_t ar_hash_str(uint64_t h, const char *s);

/* An array of bytes bytes for data written once, front to back, and then
 * scanned: from AR_HUGE_MIN up, 2 MiB aligned, rounded up to whole 2 MiB
 * pages and advised for transparent huge pages (src/util/mem.c says why);
 * below that, plain malloc. Not zeroed. free() releases it; NULL on ENOMEM. */
#define AR_HUGE_MIN ((size_t)2 << 20)
void *ar_alloc_huge(size_t bytes);
/* The same advice for an existing block (one grown by realloc); nothing
 * below AR_HUGE_MIN. */
void ar_advise_huge(void *p, size_t bytes);

#endif
