/* src/market/csv_int.h - private to src/market (and the fuzz targets): the
 * CSV importer over a buffer instead of a file.
 *
 * ar__csv_import_mem parses len bytes of plain CSV text (no zlib; data need
 * not be NUL-terminated and may contain NULs) exactly as ar_csv_import parses
 * a file of the same bytes, with name standing in for the path in messages.
 * Same contract otherwise: rows appended to sym, sym unchanged on error. */
#ifndef ARENA_MARKET_CSV_INT_H
#define ARENA_MARKET_CSV_INT_H

#include <stddef.h>
#include "arena/err.h"
#include "arena/market.h"

ar_err ar__csv_import_mem(const char *name, const char *data, size_t len, ar_csv_kind kind, ar_symbol *sym,
                          ar_errbuf *eb);

#endif
