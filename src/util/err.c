/* src/util/err.c - error text and the detail buffer. */
#include <stdarg.h>
#include <stdio.h>
#include "arena/err.h"

static const char *const err_text[] = {
#define AR__ERR_TEXT(name, text) text,
    AR_ERR_MAP(AR__ERR_TEXT)
#undef AR__ERR_TEXT
};

const char *ar_strerror(ar_err e) {
    if ((int)e < 0 || e >= AR_ERR_COUNT) return "unknown error";
    return err_text[e];
}

ar_err ar_errf(ar_errbuf *eb, ar_err code, const char *fmt, ...) {
    if (eb != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
