/* src/live/live_int.h - internals shared by the files of the live module. */
#ifndef ARENA_LIVE_INT_H
#define ARENA_LIVE_INT_H

#include <stdint.h>

/* Shortest of %.15g/%.16g/%.17g that reads back to v. */
void ar__fmt_num(double v, char out[32]);
/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" */
void ar__fmt_iso(int64_t t, char out[48]);
/* Wall clock in ns (CLOCK_REALTIME) and a monotonic clock in ns. */
int64_t ar__wall_ns(void);
int64_t ar__mono_ns(void);
/* listen.c: whether iface is an IPv4 address (the vhost must then have
 * IPv6 off to bind it, not every interface), and why iface:port cannot be
 * bound (strerror's text). */
int ar__iface_ipv4(const char *iface);
const char *ar__listen_why(const char *iface, int port);

#endif
