/* src/util/file.c - whole-file reads, temporary names, hashing, seeds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "arena/util.h"

ar_err ar_read_file(const char *path, char **out, size_t *len, ar_errbuf *eb) {
    *out = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return ar_errf(eb, AR_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        fclose(f);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (cap - n < 2) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ar_errf(eb, AR_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return AR_OK;
}

void ar_tmp_path(const char *path, char *tmp, size_t n) {
    /* The suffix only has to avoid collisions between concurrent writers of
     * the same path; it never reaches the file's content. */
    snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
}

void ar_sha256_hex(const void *data, size_t len, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

struct ar_sha256 {
    EVP_MD_CTX *ctx;
};

ar_sha256 *ar_sha256_begin(void) {
    ar_sha256 *h = malloc(sizeof *h);
    if (h == NULL) return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void ar_sha256_update(ar_sha256 *h, const void *data, size_t len) {
    if (h != NULL && len) EVP_DigestUpdate(h->ctx, data, len);
}

void ar_sha256_end(ar_sha256 *h, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    out[0] = '\0';
    if (h == NULL) return;
    EVP_DigestFinal_ex(h->ctx, md, &mdlen);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

uint64_t ar_mix64(uint64_t x) {
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

uint64_t ar_hash_str(uint64_t h, const char *s) {
    /* FNV-1a over the bytes, then mixed with h. */
    uint64_t f = UINT64_C(1469598103934665603);
    for (; *s; s++) f = (f ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return ar_mix64(h ^ f);
}
