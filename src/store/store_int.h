/* src/store/store_int.h - internals shared by the store's run-file writers.
 *
 * run_h5.c owns layout v1 (docs/RUNFILE.md): the record tables (field name =
 * C member name, offset, scalar kind) from which both the in-memory and the
 * packed little-endian file compound types are built, and the code that lays
 * out a run's groups, attributes and datasets. live_h5.c (live runs under
 * HDF5 SWMR) reuses all of it so that a live file has exactly the layout of
 * a finished one, plus its own tables (ticks, state). Includes HDF5: only
 * for src/store. */
#ifndef ARENA_STORE_INT_H
#define ARENA_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <hdf5.h>
#include "arena/run.h"

typedef enum { AR__K_I32, AR__K_I64, AR__K_U64, AR__K_F64 } ar__kind;
typedef struct {
    const char *name; /* = the C struct member name */
    size_t off;
    ar__kind k;
} ar__field;
typedef struct {
    const char *name; /* dataset name */
    const ar__field *f;
    size_t nf, size;  /* fields, sizeof the C struct */
} ar__table;
#define AR__FLD(S, m, k) {#m, offsetof(S, m), k}

/* Compound types of a table: in memory (C offsets) and in the file (packed,
 * little-endian). -1 on failure; the caller closes with H5Tclose. */
hid_t ar__mem_type(const ar__table *t);
/* The transfer property list for H5Dread/H5Dwrite calls that convert
 * records (src/store/init.c): a 64 KiB conversion buffer. */
hid_t ar__xfer(void);
hid_t ar__file_type(const ar__table *t);

/* The run tables of layout v1, in the order of an agent's datasets. */
enum { AR__RT_ORDERS, AR__RT_FILLS, AR__RT_TRADES, AR__RT_FUNDING, AR__RT_EQUITY, AR__RT_DECISIONS,
       AR__RT_LLM, AR__RT_INDEX /* /prompts/index, rows of ar__prompt_span */, AR__RT_COUNT };
typedef struct {
    int64_t offset, length;
} ar__prompt_span;
const ar__table *ar__run_table(int id);

/* Lay r out in the open file: root attributes, /symbols, /prompts, every
 * episode and agent with its attributes and datasets holding r's records.
 * chunk_rows > 0 chunks every record and byte dataset by that many rows and
 * creates /prompts even when r has no prompt (live files append to all of
 * them); 0 is ar_run_h5_write's rule. path only names the file in eb. */
ar_err ar__run_write_layout(hid_t file, const char *path, const ar_run *r, size_t chunk_rows, ar_errbuf *eb);

/* Open a run file for reading into *file: plain read-only first; when HDF5
 * refuses (a live file still being written, or one left by a crashed
 * writer, whose superblock marks it open for SWMR writing) again with SWMR
 * read. *swmr (may be NULL) says which worked. AR_EFORMAT when not HDF5,
 * AR_EIO when neither open works; *file is -1 on failure. */
ar_err ar__run_open_read(const char *path, hid_t *file, int *swmr, ar_errbuf *eb);

/* A file shorter than its superblock's end-of-file address (a write that
 * failed at the end: truncated.c). stored_eof: that address and the file's
 * size, 0 on success, -1 when it is no HDF5 file of ours. pad_truncated:
 * extend such a file with zeros to that address; 1 if it did, 0 if there
 * was nothing to do, -1 (errno set) when it could not. */
/* Have opens through fapl clear the "open for writing" mark a crashed
 * writer leaves in the superblock (the private property h5clear -s uses).
 * 0 when set, -1 when this HDF5 has no such property. */
int ar__fapl_clear_status(hid_t fapl);
int ar__h5_stored_eof(const char *path, uint64_t *stored, uint64_t *size);
int ar__h5_pad_truncated(const char *path);
/* The error for an HDF5 file that H5Fopen refused: cut short (with its
 * sizes) or damaged. And, after a read of a file that opened failed,
 * eb's message with " (the file is cut short: ...)" added when it is. */
ar_err ar__h5_open_failed(const char *path, ar_errbuf *eb);
void ar__h5_note_cut(const char *path, ar_errbuf *eb);

#endif
