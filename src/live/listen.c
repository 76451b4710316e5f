/* src/live/listen.c - what the two listeners (`arena feed`, `arena serve`)
 * need beyond libwebsockets: binding only the address asked for, and one
 * line saying why a port could not be had.
 *
 * libwebsockets 4.1 built with IPv6 (as Debian's is) opens an IPv6 socket
 * for every vhost and, given an IPv4 address as its interface, binds the
 * IPv6 wildcard instead: 127.0.0.1 came out as every interface
 * (libwebsockets issue #2290). An IPv4 address therefore turns IPv6 off
 * for the vhost, which then binds that address. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "live/live_int.h"

int ar__iface_ipv4(const char *iface) {
    struct in_addr a;
    return iface != NULL && inet_pton(AF_INET, iface, &a) == 1;
}

/* Why binding iface:port fails, found by trying it with a socket of our
 * own (libwebsockets only logs it): strerror's text, or a generic one. */
const char *ar__listen_why(const char *iface, int port) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, iface, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, iface, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        len = sizeof *v6;
    } else {
        return "not an IP address";
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return strerror(errno);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* as libwebsockets binds */
    const char *why = bind(fd, (struct sockaddr *)&ss, len) != 0 ? strerror(errno) : "libwebsockets could not set it up";
    close(fd);
    return why;
}
