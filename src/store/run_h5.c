/* src/store/run_h5.c - run files: an ar_run written to HDF5 and read back.
 *
 * Layout v1 (docs/RUNFILE.md): root attributes format/version/name/config/
 * manifest/cadence_ns/capital/mode, a /symbols dataset, and per episode
 * /episodes/<k> with attributes and an agents group whose members keep the
 * run's agent order (link creation order is tracked and indexed). Each agent
 * holds seven compound datasets whose fields carry the C struct member names
 * and an answers byte dataset; /prompts keeps the run's distinct prompt texts
 * as one byte dataset plus an (offset, length) index. llm, answers, /prompts
 * and @rescored came later within v1: readers take their absence as empty.
 *
 * Two promises shape the code. Identical input gives identical bytes: object
 * time tracking is off on the root group (file creation plist), on every
 * group and every dataset; strings are copied into zeroed buffers; the write
 * order is fixed; nothing about the machine (path, pid, clock) is written.
 * And a run file that exists is complete: we write "<path>.tmp-<pid>" and
 * rename it over path only after H5Fclose succeeded, removing the tmp on any
 * failure. Datasets are chunked with unlimited maximum size (live mode will
 * append) and uncompressed (writing 500k equity rows must take milliseconds);
 * the file types are packed so no padding byte of a C struct reaches the file.
 *
 * Not thread-safe (the HDF5 library is not): call from one thread. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <hdf5.h>
#include "arena/run.h"
#include "arena/util.h"
#include "store/store_int.h"

#define RUN_FORMAT "arena-run"
#define RUN_VERSION 1
#define CHUNK_ROWS 65536
#define EQ_CHUNK AR_EQUITY_BLOCK /* rows per chunk of a finished run's equity */

/* ---- record tables -------------------------------------------------------
 * One table per record struct: field name (= C member name), offset and
 * scalar kind. Memory types are built from the offsets, file types from the
 * same list laid end to end; both come from this single description so they
 * cannot drift apart. Padding members (ar_funding_rec.pad_) are left out. */

typedef ar__kind kind;
typedef ar__field field;
#define FLD AR__FLD

static const field order_fields[] = {
    FLD(ar_order_rec, t_decision, AR__K_I64), FLD(ar_order_rec, t_active, AR__K_I64),
    FLD(ar_order_rec, t_done, AR__K_I64),     FLD(ar_order_rec, id, AR__K_I32),
    FLD(ar_order_rec, sym, AR__K_I32),        FLD(ar_order_rec, type, AR__K_I32),
    FLD(ar_order_rec, status, AR__K_I32),     FLD(ar_order_rec, reason, AR__K_I32),
    FLD(ar_order_rec, reduce_only, AR__K_I32), FLD(ar_order_rec, qty, AR__K_F64),
    FLD(ar_order_rec, price, AR__K_F64),      FLD(ar_order_rec, leverage, AR__K_F64),
    FLD(ar_order_rec, tp, AR__K_F64),         FLD(ar_order_rec, sl, AR__K_F64),
    FLD(ar_order_rec, filled_qty, AR__K_F64), FLD(ar_order_rec, fill_price, AR__K_F64),
};
static const field fill_fields[] = {
    FLD(ar_fill_rec, t, AR__K_I64),         FLD(ar_fill_rec, order_id, AR__K_I32),
    FLD(ar_fill_rec, sym, AR__K_I32),       FLD(ar_fill_rec, kind, AR__K_I32),
    FLD(ar_fill_rec, maker, AR__K_I32),     FLD(ar_fill_rec, qty, AR__K_F64),
    FLD(ar_fill_rec, price, AR__K_F64),     FLD(ar_fill_rec, ref_price, AR__K_F64),
    FLD(ar_fill_rec, fee, AR__K_F64),       FLD(ar_fill_rec, realized_pnl, AR__K_F64),
};
static const field trade_fields[] = {
    FLD(ar_trade_rec, t_open, AR__K_I64), FLD(ar_trade_rec, t_close, AR__K_I64),
    FLD(ar_trade_rec, sym, AR__K_I32),    FLD(ar_trade_rec, side, AR__K_I32),
    FLD(ar_trade_rec, qty, AR__K_F64),    FLD(ar_trade_rec, entry, AR__K_F64),
    FLD(ar_trade_rec, exit, AR__K_F64),   FLD(ar_trade_rec, pnl, AR__K_F64),
    FLD(ar_trade_rec, fees, AR__K_F64),   FLD(ar_trade_rec, funding, AR__K_F64),
};
static const field funding_fields[] = {
    FLD(ar_funding_rec, t, AR__K_I64),     FLD(ar_funding_rec, sym, AR__K_I32),
    FLD(ar_funding_rec, rate, AR__K_F64),  FLD(ar_funding_rec, price, AR__K_F64),
    FLD(ar_funding_rec, qty, AR__K_F64),   FLD(ar_funding_rec, amount, AR__K_F64),
};
static const field equity_fields[] = {
    FLD(ar_equity_rec, t, AR__K_I64), FLD(ar_equity_rec, equity, AR__K_F64),
    FLD(ar_equity_rec, cash, AR__K_F64), FLD(ar_equity_rec, gross_exposure, AR__K_F64),
};
static const field decision_fields[] = {
    FLD(ar_decision_rec, t, AR__K_I64),          FLD(ar_decision_rec, n_actions, AR__K_I32),
    FLD(ar_decision_rec, n_rejected, AR__K_I32), FLD(ar_decision_rec, status, AR__K_I32),
    FLD(ar_decision_rec, reason, AR__K_I32),     FLD(ar_decision_rec, equity, AR__K_F64),
};

static const field llm_fields[] = {
    FLD(ar_llm_rec, t, AR__K_I64),            FLD(ar_llm_rec, prompt_system, AR__K_I32),
    FLD(ar_llm_rec, prompt_user, AR__K_I32),  FLD(ar_llm_rec, status, AR__K_I32),
    FLD(ar_llm_rec, reason, AR__K_I32),       FLD(ar_llm_rec, http_status, AR__K_I32),
    FLD(ar_llm_rec, attempts, AR__K_I32),     FLD(ar_llm_rec, n_actions, AR__K_I32),
    FLD(ar_llm_rec, n_accepted, AR__K_I32),   FLD(ar_llm_rec, cached, AR__K_I32),
    FLD(ar_llm_rec, latency_ms, AR__K_F64),   FLD(ar_llm_rec, cost_usd, AR__K_F64),
    FLD(ar_llm_rec, tokens_in, AR__K_I64),    FLD(ar_llm_rec, tokens_out, AR__K_I64),
    FLD(ar_llm_rec, answer_off, AR__K_I64),   FLD(ar_llm_rec, answer_len, AR__K_I64),
    FLD(ar_llm_rec, actions_off, AR__K_I64),  FLD(ar_llm_rec, actions_len, AR__K_I64),
};

/* One row of /prompts/index: where prompt k sits in /prompts/text. */
typedef ar__prompt_span prompt_span;
static const field span_fields[] = {
    FLD(prompt_span, offset, AR__K_I64), FLD(prompt_span, length, AR__K_I64),
};

typedef ar__table table;

/* The first T_AGENT tables are an agent's record logs; llm is optional on
 * reading (files from before it existed have none). */
enum { T_ORDERS, T_FILLS, T_TRADES, T_FUNDING, T_EQUITY, T_DECISIONS, T_LLM,
       T_AGENT, T_INDEX = T_AGENT, T_COUNT };
_Static_assert((int)T_LLM == (int)AR__RT_LLM && (int)T_INDEX == (int)AR__RT_INDEX && (int)T_COUNT == (int)AR__RT_COUNT,
               "store_int.h table ids");
#define NF(a) (sizeof(a) / sizeof(a)[0])
static const table tables[T_COUNT] = {
    {"orders", order_fields, NF(order_fields), sizeof(ar_order_rec)},
    {"fills", fill_fields, NF(fill_fields), sizeof(ar_fill_rec)},
    {"trades", trade_fields, NF(trade_fields), sizeof(ar_trade_rec)},
    {"funding", funding_fields, NF(funding_fields), sizeof(ar_funding_rec)},
    {"equity", equity_fields, NF(equity_fields), sizeof(ar_equity_rec)},
    {"decisions", decision_fields, NF(decision_fields), sizeof(ar_decision_rec)},
    {"llm", llm_fields, NF(llm_fields), sizeof(ar_llm_rec)},
    {"index", span_fields, NF(span_fields), sizeof(prompt_span)},
};

const table *ar__run_table(int id) { return id >= 0 && id < T_COUNT ? &tables[id] : NULL; }

/* Whether a's curve is in a spill (a shard's episode: ar_engine_opts.spill_curves). */
static int curve_spilled(const ar_run_agent *a) {
    return a->nequity > 0 && a->spilled != NULL && a->spilled[AR_SPILL_EQUITY].n > 0;
}

/* The record arrays of an agent, in table order. */
static void agent_arrays(ar_run_agent *a, void ***rows, size_t **n) {
    rows[T_ORDERS] = (void **)&a->orders;        n[T_ORDERS] = &a->norders;
    rows[T_FILLS] = (void **)&a->fills;          n[T_FILLS] = &a->nfills;
    rows[T_TRADES] = (void **)&a->trades;        n[T_TRADES] = &a->ntrades;
    rows[T_FUNDING] = (void **)&a->funding_log;  n[T_FUNDING] = &a->nfunding;
    rows[T_EQUITY] = (void **)&a->equity;        n[T_EQUITY] = &a->nequity;
    rows[T_DECISIONS] = (void **)&a->decisions;  n[T_DECISIONS] = &a->ndecisions;
    rows[T_LLM] = (void **)&a->llm;              n[T_LLM] = &a->nllm;
}

static hid_t native_of(kind k) {
    switch (k) {
    case AR__K_I32: return H5T_NATIVE_INT32;
    case AR__K_I64: return H5T_NATIVE_INT64;
    case AR__K_U64: return H5T_NATIVE_UINT64;
    default: return H5T_NATIVE_DOUBLE;
    }
}

/* File types are little-endian whatever the writer's machine, so a file's
 * bytes do not depend on where it was made. */
static hid_t file_of(kind k) {
    switch (k) {
    case AR__K_I32: return H5T_STD_I32LE;
    case AR__K_I64: return H5T_STD_I64LE;
    case AR__K_U64: return H5T_STD_U64LE;
    default: return H5T_IEEE_F64LE;
    }
}

static size_t kind_size(kind k) { return k == AR__K_I32 ? 4 : 8; }

/* Bytes of t's file record: its fields end to end. */
static size_t packed_size(const table *t) {
    size_t n = 0;
    for (size_t i = 0; i < t->nf; i++) n += kind_size(t->f[i].k);
    return n;
}

hid_t ar__mem_type(const table *t) {
    hid_t ty = H5Tcreate(H5T_COMPOUND, t->size);
    if (ty < 0) return -1;
    for (size_t i = 0; i < t->nf; i++)
        if (H5Tinsert(ty, t->f[i].name, t->f[i].off, native_of(t->f[i].k)) < 0) {
            H5Tclose(ty);
            return -1;
        }
    return ty;
}

hid_t ar__file_type(const table *t) {
    hid_t ty = H5Tcreate(H5T_COMPOUND, packed_size(t));
    if (ty < 0) return -1;
    size_t off = 0;
    for (size_t i = 0; i < t->nf; i++) {
        if (H5Tinsert(ty, t->f[i].name, off, file_of(t->f[i].k)) < 0) {
            H5Tclose(ty);
            return -1;
        }
        off += kind_size(t->f[i].k);
    }
    /* Already laid end to end; H5Tpack states the intent and would remove
     * any gap should a field kind ever be narrower than its slot. */
    if (H5Tpack(ty) < 0) {
        H5Tclose(ty);
        return -1;
    }
    return ty;
}

/* The llm records point into the run's prompts and the agent's answers
 * blob; readers slice with these numbers, so a record that points outside
 * is refused both when writing (a file we could not read back) and when
 * reading (a file from elsewhere). NULL when all are in range, else what is
 * wrong, and the row in *row. */
static const char *llm_bad(const ar_llm_rec *l, size_t n, size_t nprompts, size_t answers_len, size_t *row) {
    int64_t np = (int64_t)nprompts, alen = (int64_t)answers_len;
    for (size_t k = 0; k < n; k++) {
        const ar_llm_rec *x = &l[k];
        *row = k;
        if (x->prompt_system < -1 || x->prompt_system >= np) return "prompt_system out of range";
        if (x->prompt_user < -1 || x->prompt_user >= np) return "prompt_user out of range";
        if (x->answer_off < 0 || x->answer_len < 0 || x->answer_off > alen || x->answer_len > alen - x->answer_off)
            return "answer_off/answer_len outside answers";
        if (x->actions_off < 0 || x->actions_len < 0 || x->actions_off > alen ||
            x->actions_len > alen - x->actions_off)
            return "actions_off/actions_len outside answers";
    }
    return NULL;
}

/* ---- freeing ------------------------------------------------------------ */

void ar_run_agent_cleanup(ar_run_agent *a) {
    if (a == NULL) return;
    free(a->orders);
    free(a->fills);
    free(a->trades);
    free(a->funding_log);
    free(a->equity);
    free(a->decisions);
    free(a->llm);
    free(a->answers);
    ar_log_segs_free(a->spilled);
    a->spilled = NULL;
    a->orders = NULL;
    a->fills = NULL;
    a->trades = NULL;
    a->funding_log = NULL;
    a->equity = NULL;
    a->decisions = NULL;
    a->llm = NULL;
    a->answers = NULL;
    a->norders = a->nfills = a->ntrades = a->nfunding = a->nequity = a->ndecisions = 0;
    a->nllm = a->answers_len = 0;
}

static atomic_size_t lean_used; /* bytes small tables of lazy reads hold (lean_take) */

void ar_run_free(ar_run *r) {
    if (r == NULL) return;
    for (size_t e = 0; e < r->nepisodes && r->episodes; e++) {
        ar_run_episode *ep = &r->episodes[e];
        for (size_t i = 0; i < ep->nagents && ep->agents; i++) ar_run_agent_cleanup(&ep->agents[i]);
        free(ep->agents);
    }
    free(r->episodes);
    for (size_t i = 0; i < r->nprompts && r->prompts; i++) free(r->prompts[i]);
    free(r->prompts);
    free(r->symbols);
    free(r->config_json);
    free(r->manifest_json);
    ar_equity_src_free(r->eqsrc);
    ar_spill_free(r->spill);
    atomic_fetch_sub(&lean_used, r->lean_kept);
    free(r);
}

/* ---- writing ------------------------------------------------------------ */

typedef struct {
    const char *path; /* the final path: messages name it, never the tmp */
    ar_errbuf *eb;
    hid_t gcpl;       /* plain groups: no times */
    hid_t gcpl_order; /* agents groups: no times, creation order tracked */
    hid_t str;        /* variable-length UTF-8 string */
    hid_t scalar;     /* scalar dataspace for attributes */
    hid_t mt[T_COUNT], ft[T_COUNT];
    size_t nprompts;  /* for checking the llm records' prompt indices */
    size_t chunk;     /* live files: rows per chunk of every dataset; 0: by size */
    const ar_run *run; /* what is being written (logs not in memory are read through it) */
} wctx;

static ar_err werr(wctx *w, const char *where, const char *what) {
    return ar_errf(w->eb, AR_EIO, "%s: %s: %s", w->path, where, what);
}

static ar_err put_attr(wctx *w, hid_t obj, const char *where, const char *name, hid_t ftype,
                       hid_t mtype, const void *val) {
    hid_t a = H5Acreate2(obj, name, ftype, w->scalar, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return ar_errf(w->eb, AR_EIO, "%s: %s: cannot create attribute %s", w->path, where, name);
    herr_t st = H5Awrite(a, mtype, val);
    H5Aclose(a);
    if (st < 0) return ar_errf(w->eb, AR_EIO, "%s: %s: cannot write attribute %s", w->path, where, name);
    return AR_OK;
}

/* Strings are variable length: config and manifest can exceed the 64 KiB an
 * attribute of fixed size may hold, and h5py reads these as str. maxlen
 * bounds fixed char arrays that may lack their terminator. */
static ar_err put_str(wctx *w, hid_t obj, const char *where, const char *name, const char *s,
                      size_t maxlen) {
    size_t len = s ? strnlen(s, maxlen) : 0;
    char *buf = malloc(len + 1);
    if (buf == NULL) return ar_errf(w->eb, AR_ENOMEM, "%s: %s: %s: out of memory", w->path, where, name);
    if (len) memcpy(buf, s, len);
    buf[len] = '\0';
    const char *p = buf;
    ar_err e = put_attr(w, obj, where, name, w->str, w->str, &p);
    free(buf);
    return e;
}

static ar_err put_i32(wctx *w, hid_t obj, const char *where, const char *name, int32_t v) {
    return put_attr(w, obj, where, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &v);
}
static ar_err put_i64(wctx *w, hid_t obj, const char *where, const char *name, int64_t v) {
    return put_attr(w, obj, where, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}
static ar_err put_u64(wctx *w, hid_t obj, const char *where, const char *name, uint64_t v) {
    return put_attr(w, obj, where, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}
static ar_err put_f64(wctx *w, hid_t obj, const char *where, const char *name, double v) {
    return put_attr(w, obj, where, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* A rank-1 chunked dataset of n rows, maximum size unlimited; chunk_rows
 * rows per chunk, or (0) as many as there are up to CHUNK_ROWS. */
static hid_t make_dataset(hid_t loc, const char *name, hid_t ftype, size_t n, size_t chunk_rows) {
    hsize_t dims[1] = {n}, maxd[1] = {H5S_UNLIMITED};
    hsize_t chunk[1] = {chunk_rows ? chunk_rows : n < 1 ? 1 : (n > CHUNK_ROWS ? CHUNK_ROWS : n)};
    hid_t sp = H5Screate_simple(1, dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, chunk) >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0)
        ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return ds;
}

/* A finished run's equity dataset: chunked like make_dataset (EQ_CHUNK
 * rows), but every chunk allocated when it is created and no fill value
 * ever written. The chunks then sit where they sit however the rows
 * arrive later, so a run whose episodes hand in their equity blocks in
 * whatever order the threads finish (ar_run_writer_equity) gives the same
 * bytes as one written from memory. */
static hid_t make_fixed(hid_t loc, const char *name, hid_t ftype, size_t n) {
    hsize_t dims[1] = {n}, maxd[1] = {H5S_UNLIMITED};
    hsize_t chunk[1] = {n < 1 ? 1 : (n > EQ_CHUNK ? EQ_CHUNK : n)};
    hid_t sp = H5Screate_simple(1, dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, chunk) >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0 &&
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
        ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return ds;
}

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LITTLE_ENDIAN_HOST 1
#else
#define LITTLE_ENDIAN_HOST 0
#endif

/* Whether the C struct of t is byte for byte its packed little-endian file
 * record: fields laid end to end from offset 0 with nothing after them, on
 * a little-endian machine. */
static int raw_layout(const table *t) {
    if (!LITTLE_ENDIAN_HOST) return 0;
    size_t off = 0;
    for (size_t i = 0; i < t->nf; i++) {
        if (t->f[i].off != off) return 0;
        off += kind_size(t->f[i].k);
    }
    return off == t->size;
}

/* cnt rows of t as its packed little-endian file records (a little-endian
 * host: the fields' bytes as they are, padding left out), then zeros up to
 * crows rows: the chunk H5Dwrite's conversion would build. */
static void pack_chunk(const table *t, const unsigned char *rows, size_t cnt, size_t crows, unsigned char *out) {
    size_t ps = packed_size(t);
    for (size_t i = 0; i < cnt; i++) {
        const unsigned char *r = rows + i * t->size;
        for (size_t f = 0, o = 0; f < t->nf; o += kind_size(t->f[f].k), f++)
            memcpy(out + i * ps + o, r + t->f[f].off, kind_size(t->f[f].k));
    }
    memset(out + cnt * ps, 0, (crows - cnt) * ps);
}

/* The n rows of ds (created by make_dataset with chunk_rows 0) written chunk
 * by chunk with H5Dwrite_chunk, straight from rows when their struct is the
 * file record (raw_layout), else packed a chunk at a time (pack_chunk). What
 * H5Dwrite would do here (no filter, default fill value) is to build each
 * chunk in a buffer (zeroed, then the rows copied or converted in) and write
 * that buffer: the same bytes in the same chunks, allocated in the same
 * order, without the passes over the data, and without the 1 MiB background
 * buffer HDF5 allocates and zeroes for every converting H5Dwrite (about
 * 0.5 ms a call: 120 ms of a tournament's 240 funding logs). The last chunk,
 * when partial, goes through a zeroed buffer like H5Dwrite's. Little-endian
 * hosts only (the caller checks). Measured in docs/BENCHMARKS.md. */
static herr_t write_chunks(hid_t ds, const table *t, const void *rows, size_t n) {
    int raw = raw_layout(t);
    size_t ps = packed_size(t), crows = n > CHUNK_ROWS ? CHUNK_ROWS : n, cbytes = crows * ps;
    const unsigned char *p = rows;
    unsigned char *buf = NULL;
    herr_t st = 0;
    for (size_t from = 0; from < n && st >= 0; from += crows) {
        hsize_t off[1] = {from};
        size_t cnt = n - from < crows ? n - from : crows;
        if (raw && cnt == crows) {
            st = H5Dwrite_chunk(ds, H5P_DEFAULT, 0, off, cbytes, p + from * t->size);
            continue;
        }
        if (buf == NULL && (buf = malloc(cbytes)) == NULL) {
            st = -1;
            break;
        }
        pack_chunk(t, p + from * t->size, cnt, crows, buf);
        st = H5Dwrite_chunk(ds, H5P_DEFAULT, 0, off, cbytes, buf);
    }
    free(buf);
    return st;
}

/* Rows [off, off + n) of ds from rows (memory type mt) through H5Dwrite. */
static herr_t write_at(hid_t ds, hid_t mt, size_t off, size_t n, const void *rows) {
    hsize_t o[1] = {off}, c[1] = {n};
    hid_t fsp = H5Dget_space(ds), msp = H5Screate_simple(1, c, NULL);
    herr_t st = fsp >= 0 && msp >= 0 && H5Sselect_hyperslab(fsp, H5S_SELECT_SET, o, NULL, c, NULL) >= 0
                    ? H5Dwrite(ds, mt, msp, fsp, ar__xfer(), rows)
                    : -1;
    if (msp >= 0) H5Sclose(msp);
    if (fsp >= 0) H5Sclose(fsp);
    return st;
}

/* A log that is not in memory (ar_run_agent.spilled, or a run read lazily):
 * read back and written one chunk at a time, each chunk's bytes exactly
 * those write_chunks or H5Dwrite put there from memory. */
static ar_err write_log_rows(wctx *w, hid_t ds, const char *at, int ti, const ar_run_agent *a, size_t n) {
    const table *t = &tables[ti];
    size_t crows = n > CHUNK_ROWS ? CHUNK_ROWS : n;
    unsigned char *buf = malloc(crows * t->size), *packed = malloc(crows * packed_size(t));
    if (buf == NULL || packed == NULL) {
        free(buf);
        free(packed);
        return ar_errf(w->eb, AR_ENOMEM, "%s: %s: out of memory", w->path, at);
    }
    ar_err e = AR_OK;
    for (size_t from = 0; from < n && !e; from += crows) {
        size_t cnt = n - from < crows ? n - from : crows;
        if ((e = ar_run_log_rows(w->run, a, (ar_log)ti, from, cnt, buf, w->eb))) break;
        herr_t st;
        hsize_t off[1] = {from};
        if (w->chunk == 0 && LITTLE_ENDIAN_HOST) { /* as write_chunks writes them */
            pack_chunk(t, buf, cnt, crows, packed);
            st = H5Dwrite_chunk(ds, H5P_DEFAULT, 0, off, crows * packed_size(t), packed);
        } else {
            st = write_at(ds, w->mt[ti], from, cnt, buf);
        }
        if (st < 0) e = werr(w, at, "cannot write dataset");
    }
    free(buf);
    free(packed);
    return e;
}

static ar_err write_table(wctx *w, hid_t loc, const char *where, int ti, const void *rows, size_t n,
                          const ar_run_agent *a) {
    const table *t = &tables[ti];
    char at[512];
    snprintf(at, sizeof at, "%s/%s", where, t->name);
    int away = n > 0 && rows == NULL && a != NULL && w->run != NULL && ti != T_EQUITY && ti < T_LLM;
    if (n > 0 && rows == NULL && !away)
        return ar_errf(w->eb, AR_EINVAL, "%s: %s: %zu rows but no data", w->path, at, n);
    hid_t ds = make_dataset(loc, t->name, w->ft[ti], n, w->chunk);
    if (ds < 0) return werr(w, at, "cannot create dataset");
    if (away) {
        ar_err e = write_log_rows(w, ds, at, ti, a, n);
        H5Dclose(ds);
        return e;
    }
    herr_t st = 0;
    if (n > 0 && w->chunk == 0 && LITTLE_ENDIAN_HOST)
        st = write_chunks(ds, t, rows, n); /* finished runs only: live files keep H5Dwrite */
    else if (n > 0)
        st = H5Dwrite(ds, w->mt[ti], H5S_ALL, H5S_ALL, ar__xfer(), rows);
    H5Dclose(ds);
    return st < 0 ? werr(w, at, "cannot write dataset") : AR_OK;
}

/* A byte blob as a 1-D uint8 dataset: chunked like the record logs, since
 * HDF5 1.10 SWMR can append to fixed-size types only, never to variable-
 * length strings. */
static ar_err write_bytes(wctx *w, hid_t loc, const char *where, const char *name, const void *p, size_t n) {
    char at[512];
    snprintf(at, sizeof at, "%s/%s", where, name);
    if (n > 0 && p == NULL) return ar_errf(w->eb, AR_EINVAL, "%s: %s: %zu bytes but no data", w->path, at, n);
    hid_t ds = make_dataset(loc, name, H5T_STD_U8LE, n, w->chunk ? w->chunk * 16 : 0);
    if (ds < 0) return werr(w, at, "cannot create dataset");
    herr_t st = n ? H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, p) : 0;
    H5Dclose(ds);
    return st < 0 ? werr(w, at, "cannot write dataset") : AR_OK;
}

/* Agent names become group names: HDF5 would read '/' as a path and '.' as
 * the group itself, so refuse those rather than write a different layout. */
static int bad_group_name(const char *s, size_t max) {
    size_t n = strnlen(s, max);
    return n == 0 || n == max || memchr(s, '/', n) != NULL || (n == 1 && s[0] == '.');
}

/* What a call lays out: a finished run is written in two phases (the
 * skeleton when the writer opens, with every equity dataset allocated, and
 * the rest when it finishes: ar_run_writer); a live file in one. */
enum { PH_SKEL = 1, PH_REST = 2, PH_ALL = 3 };

/* The rows of a finished run's equity dataset (made by make_fixed) from
 * row off on: whole chunks go straight to the file with H5Dwrite_chunk
 * (the last one of the dataset through a zeroed buffer, as H5Dwrite would
 * pad it), anything else through H5Dwrite. */
static herr_t write_equity_rows(hid_t ds, hid_t mt, size_t total, size_t off, const ar_equity_rec *rows, size_t n) {
    const table *t = &tables[T_EQUITY];
    size_t c = total < 1 ? 1 : (total > EQ_CHUNK ? EQ_CHUNK : total), cbytes = c * t->size;
    unsigned char *tail = NULL;
    herr_t st = 0;
    size_t i = 0;
    while (i < n && st >= 0) {
        size_t at = off + i, left = n - i;
        size_t inchunk = c - at % c; /* rows from at to the end of its chunk */
        size_t piece = left < inchunk ? left : inchunk;
        int whole = at % c == 0 && (piece == c || at + piece == total);
        if (whole && raw_layout(t)) {
            hsize_t o[1] = {at};
            if (piece == c) {
                st = H5Dwrite_chunk(ds, H5P_DEFAULT, 0, o, cbytes, rows + i);
            } else if (tail == NULL && (tail = calloc(1, cbytes)) == NULL) {
                st = -1;
            } else {
                memset(tail, 0, cbytes);
                memcpy(tail, rows + i, piece * t->size);
                st = H5Dwrite_chunk(ds, H5P_DEFAULT, 0, o, cbytes, tail);
            }
        } else {
            st = write_at(ds, mt, at, piece, rows + i);
        }
        i += piece;
    }
    free(tail);
    return st;
}

/* A curve that is neither in memory nor handed in (a shard's episode whose
 * curve went to the spill): read back a block at a time. */
static ar_err write_equity_away(wctx *w, hid_t g, const char *where, const ar_run_agent *a) {
    ar_equity_rec *buf = malloc(EQ_CHUNK * sizeof *buf);
    hid_t ds = H5Dopen2(g, tables[T_EQUITY].name, H5P_DEFAULT);
    ar_err e = buf == NULL ? ar_errf(w->eb, AR_ENOMEM, "%s: %s: out of memory", w->path, where)
               : ds < 0    ? werr(w, where, "cannot open dataset equity")
                           : AR_OK;
    for (size_t off = 0; !e && off < a->nequity; off += EQ_CHUNK) {
        size_t m = a->nequity - off < EQ_CHUNK ? a->nequity - off : EQ_CHUNK;
        if ((e = ar_run_equity_rows(w->run, a, off, m, buf, w->eb))) break;
        if (write_equity_rows(ds, w->mt[T_EQUITY], a->nequity, off, buf, m) < 0)
            e = werr(w, where, "cannot write dataset equity");
    }
    if (ds >= 0) H5Dclose(ds);
    free(buf);
    return e;
}

static ar_err write_agent(wctx *w, hid_t agents, const char *epwhere, const ar_run_agent *a, int ph) {
    char where[256];
    if (bad_group_name(a->name, AR_NAME_MAX))
        return ar_errf(w->eb, AR_EINVAL, "%s: %s/agents: agent name '%.*s' is empty, too long or has '/'",
                       w->path, epwhere, AR_NAME_MAX - 1, a->name);
    snprintf(where, sizeof where, "%s/agents/%s", epwhere, a->name);
    hid_t g = (ph & PH_SKEL) ? H5Gcreate2(agents, a->name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT)
                             : H5Gopen2(agents, a->name, H5P_DEFAULT);
    if (g < 0) return werr(w, where, (ph & PH_SKEL) ? "cannot create group (duplicate agent name?)" : "cannot open group");
    ar_err e = AR_OK;
    int split = w->chunk == 0; /* a finished run: equity made in the skeleton */
    if ((ph & PH_SKEL) && split) {
        hid_t ds = make_fixed(g, tables[T_EQUITY].name, w->ft[T_EQUITY], a->nequity);
        if (ds < 0) e = werr(w, where, "cannot create dataset equity");
        else H5Dclose(ds);
    }
    if (e || !(ph & PH_REST)) {
        H5Gclose(g);
        return e;
    }
    if ((e = put_str(w, g, where, "kind", a->kind, sizeof a->kind)) ||
        (e = put_str(w, g, where, "detail", a->detail, sizeof a->detail)) ||
        (e = put_i32(w, g, where, "baseline", a->baseline)) ||
        (e = put_f64(w, g, where, "capital", a->capital)) ||
        (e = put_f64(w, g, where, "final_equity", a->final_equity)) ||
        (e = put_f64(w, g, where, "fees", a->fees)) ||
        (e = put_f64(w, g, where, "funding", a->funding))) {
        H5Gclose(g);
        return e;
    }
    void **rows[T_COUNT];
    size_t *n[T_COUNT];
    agent_arrays((ar_run_agent *)a, rows, n); /* read only: nothing is written through */
    size_t row = 0;
    const char *bad = a->nllm && a->llm ? llm_bad(a->llm, a->nllm, w->nprompts, a->answers_len, &row) : NULL;
    if (bad) e = ar_errf(w->eb, AR_EINVAL, "%s: %s/llm: row %zu: %s", w->path, where, row, bad);
    for (int ti = 0; ti < T_AGENT && !e; ti++) {
        if (ti != T_EQUITY || !split) {
            e = write_table(w, g, where, ti, *rows[ti], *n[ti], a);
        } else if (a->equity != NULL && a->nequity > 0) {
            /* kept in memory: into the dataset the skeleton allocated */
            hid_t ds = H5Dopen2(g, tables[T_EQUITY].name, H5P_DEFAULT);
            herr_t st = ds >= 0 ? write_equity_rows(ds, w->mt[T_EQUITY], a->nequity, 0, a->equity, a->nequity) : -1;
            if (ds >= 0) H5Dclose(ds);
            if (st < 0) e = werr(w, where, "cannot write dataset equity");
        } else if (curve_spilled(a)) {
            e = write_equity_away(w, g, where, a);
        }
    }
    if (!e) e = write_bytes(w, g, where, "answers", a->answers, a->answers_len);
    H5Gclose(g);
    return e;
}

static ar_err write_episode(wctx *w, hid_t episodes, size_t k, const ar_run_episode *ep, int ph) {
    char name[32], where[64];
    snprintf(name, sizeof name, "%zu", k);
    snprintf(where, sizeof where, "/episodes/%zu", k);
    if (ep->nagents > 0 && ep->agents == NULL)
        return ar_errf(w->eb, AR_EINVAL, "%s: %s: %zu agents but no data", w->path, where, ep->nagents);
    hid_t g = (ph & PH_SKEL) ? H5Gcreate2(episodes, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT)
                             : H5Gopen2(episodes, name, H5P_DEFAULT);
    if (g < 0) return werr(w, where, (ph & PH_SKEL) ? "cannot create group" : "cannot open group");
    ar_err e = AR_OK;
    hid_t ag = -1;
    if ((ph & PH_REST) &&
        ((e = put_i32(w, g, where, "window", ep->window)) || (e = put_u64(w, g, where, "seed", ep->seed)) ||
         (e = put_i64(w, g, where, "start", ep->start)) || (e = put_i64(w, g, where, "end", ep->end))))
        goto done;
    ag = (ph & PH_SKEL) ? H5Gcreate2(g, "agents", H5P_DEFAULT, w->gcpl_order, H5P_DEFAULT)
                        : H5Gopen2(g, "agents", H5P_DEFAULT);
    if (ag < 0) {
        e = werr(w, where, "cannot create or open group agents");
        goto done;
    }
    for (size_t i = 0; i < ep->nagents && !e; i++) e = write_agent(w, ag, where, &ep->agents[i], ph);
done:
    if (ag >= 0) H5Gclose(ag);
    H5Gclose(g);
    return e;
}

static ar_err write_symbols(wctx *w, hid_t file, const ar_run *r) {
    if (r->nsym > 0 && r->symbols == NULL)
        return ar_errf(w->eb, AR_EINVAL, "%s: /symbols: %zu symbols but no data", w->path, r->nsym);
    /* Copy through strncpy into a zeroed buffer: the bytes after each name's
     * terminator in the caller's array are whatever was there before. */
    char(*buf)[AR_SYM_MAX] = calloc(r->nsym ? r->nsym : 1, AR_SYM_MAX);
    if (buf == NULL) return ar_errf(w->eb, AR_ENOMEM, "%s: /symbols: out of memory", w->path);
    for (size_t i = 0; i < r->nsym; i++) strncpy(buf[i], r->symbols[i], AR_SYM_MAX - 1);
    hid_t t = H5Tcopy(H5T_C_S1);
    ar_err e = AR_OK;
    if (t < 0 || H5Tset_size(t, AR_SYM_MAX) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        e = werr(w, "/symbols", "cannot make string type");
    } else {
        hid_t ds = make_dataset(file, "symbols", t, r->nsym, 0);
        if (ds < 0) e = werr(w, "/symbols", "cannot create dataset");
        else {
            if (r->nsym && H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
                e = werr(w, "/symbols", "cannot write dataset");
            H5Dclose(ds);
        }
    }
    if (t >= 0) H5Tclose(t);
    free(buf);
    return e;
}

/* /prompts: every text laid end to end in one byte dataset plus an index of
 * (offset, length) rows, rather than a dataset of variable-length strings
 * (not appendable under SWMR, and stored in the global heap). The texts go
 * out through a buffer of whole chunks (PROMPT_PIECE bytes) rather than one
 * copy of them all: the same chunks in the same order as one write, so the
 * same bytes, and a model run's prompts (megabytes per thousand decisions)
 * are not held twice. */
#define PROMPT_PIECE (16 * CHUNK_ROWS)
static ar_err write_prompts(wctx *w, hid_t file, const ar_run *r) {
    if (r->nprompts == 0 && !w->chunk) return AR_OK;
    if (r->nprompts > 0 && r->prompts == NULL)
        return ar_errf(w->eb, AR_EINVAL, "%s: /prompts: %zu prompts but no data", w->path, r->nprompts);
    size_t total = 0;
    for (size_t i = 0; i < r->nprompts; i++) {
        if (r->prompts[i] == NULL) return ar_errf(w->eb, AR_EINVAL, "%s: /prompts: prompt %zu is NULL", w->path, i);
        total += strlen(r->prompts[i]);
    }
    prompt_span *idx = calloc(r->nprompts ? r->nprompts : 1, sizeof *idx);
    char *buf = malloc(PROMPT_PIECE);
    ar_err e = AR_OK;
    if (idx == NULL || buf == NULL) e = ar_errf(w->eb, AR_ENOMEM, "%s: /prompts: out of memory", w->path);
    hid_t g = -1, ds = -1;
    if (!e && (g = H5Gcreate2(file, "prompts", H5P_DEFAULT, w->gcpl, H5P_DEFAULT)) < 0)
        e = werr(w, "/prompts", "cannot create group");
    if (!e && (ds = make_dataset(g, "text", H5T_STD_U8LE, total, w->chunk ? w->chunk * 16 : 0)) < 0)
        e = werr(w, "/prompts/text", "cannot create dataset");
    size_t off = 0, done = 0, fill = 0; /* bytes laid out, written, waiting in buf */
    for (size_t i = 0; i < r->nprompts && !e; i++) {
        const char *p = r->prompts[i];
        size_t len = strlen(p);
        idx[i] = (prompt_span){(int64_t)off, (int64_t)len};
        off += len;
        while (len > 0 && !e) {
            size_t k = PROMPT_PIECE - fill < len ? PROMPT_PIECE - fill : len;
            memcpy(buf + fill, p, k);
            fill += k;
            p += k;
            len -= k;
            if (fill == PROMPT_PIECE) {
                if (write_at(ds, H5T_NATIVE_UINT8, done, fill, buf) < 0)
                    e = werr(w, "/prompts/text", "cannot write dataset");
                done += fill;
                fill = 0;
            }
        }
    }
    if (!e && fill > 0 && write_at(ds, H5T_NATIVE_UINT8, done, fill, buf) < 0)
        e = werr(w, "/prompts/text", "cannot write dataset");
    if (ds >= 0) H5Dclose(ds);
    if (!e) e = write_table(w, g, "/prompts", T_INDEX, idx, r->nprompts, NULL);
    if (g >= 0) H5Gclose(g);
    free(buf);
    free(idx);
    return e;
}

static ar_err write_file(wctx *w, hid_t file, const ar_run *r, int ph) {
    ar_err e;
    w->run = r;
    int32_t version = RUN_VERSION;
    if (r->mode != AR_MODE_SPOT && r->mode != AR_MODE_PERP)
        return ar_errf(w->eb, AR_EINVAL, "%s: mode: unknown mode %d", w->path, (int)r->mode);
    if ((ph & PH_REST) &&
        ((e = put_str(w, file, "/", "format", RUN_FORMAT, SIZE_MAX)) ||
         (e = put_i32(w, file, "/", "version", version)) ||
         (e = put_str(w, file, "/", "name", r->name, sizeof r->name)) ||
         (e = put_str(w, file, "/", "config", r->config_json, SIZE_MAX)) ||
         (e = put_str(w, file, "/", "manifest", r->manifest_json, SIZE_MAX)) ||
         (e = put_i64(w, file, "/", "cadence_ns", r->cadence)) ||
         (e = put_f64(w, file, "/", "capital", r->capital)) ||
         (e = put_str(w, file, "/", "mode", r->mode == AR_MODE_SPOT ? "spot" : "perp", SIZE_MAX)) ||
         (e = put_i32(w, file, "/", "rescored", r->rescored)) || (e = write_symbols(w, file, r)) ||
         (e = write_prompts(w, file, r))))
        return e;
    if (r->nepisodes > 0 && r->episodes == NULL)
        return ar_errf(w->eb, AR_EINVAL, "%s: /episodes: %zu episodes but no data", w->path, r->nepisodes);
    hid_t eps = (ph & PH_SKEL) ? H5Gcreate2(file, "episodes", H5P_DEFAULT, w->gcpl, H5P_DEFAULT)
                               : H5Gopen2(file, "episodes", H5P_DEFAULT);
    if (eps < 0) return werr(w, "/episodes", "cannot create group");
    e = AR_OK;
    for (size_t k = 0; k < r->nepisodes && !e; k++) e = write_episode(w, eps, k, &r->episodes[k], ph);
    H5Gclose(eps);
    return e;
}

static int wctx_init(wctx *w, const char *path, const ar_run *r, size_t chunk, ar_errbuf *eb);
static void wctx_cleanup(wctx *w);

/* A finished run being written: the file under its temporary name, the
 * shape the skeleton gave (episodes, agent names, equity rows) and how many
 * equity rows each agent has handed in. */
struct ar_run_writer {
    char *path, *tmp;
    hid_t file, fcpl, fapl;
    wctx w;
    int w_ok;
    pthread_mutex_t mu;       /* ar_run_writer_equity may be called from any thread */
    size_t nep;
    size_t *agent0;           /* episode k's agents are slots agent0[k] .. agent0[k+1] */
    char (*names)[AR_NAME_MAX];
    size_t *rows, *written;   /* per slot: equity rows in the dataset, rows handed in */
};

static void writer_free(ar_run_writer *wr) {
    if (wr == NULL) return;
    if (wr->file >= 0) H5Fclose(wr->file);
    if (wr->w_ok >= 0) wctx_cleanup(&wr->w);
    if (wr->fapl >= 0) H5Pclose(wr->fapl);
    if (wr->fcpl >= 0) H5Pclose(wr->fcpl);
    if (wr->tmp) unlink(wr->tmp);
    pthread_mutex_destroy(&wr->mu);
    free(wr->path);
    free(wr->tmp);
    free(wr->agent0);
    free(wr->names);
    free(wr->rows);
    free(wr->written);
    free(wr);
}

void ar_run_writer_abort(ar_run_writer *wr) { writer_free(wr); }

ar_err ar_run_writer_open(const char *path, const ar_run *skel, ar_run_writer **out, ar_errbuf *eb) {
    *out = NULL;
    if (path == NULL || skel == NULL) return ar_errf(eb, AR_EINVAL, "run file: no path or no run");
    if (skel->nepisodes > 0 && skel->episodes == NULL)
        return ar_errf(eb, AR_EINVAL, "%s: /episodes: %zu episodes but no data", path, skel->nepisodes);
    ar_run_writer *wr = calloc(1, sizeof *wr);
    if (wr == NULL) return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    wr->file = wr->fcpl = wr->fapl = -1;
    wr->w_ok = -1;
    pthread_mutex_init(&wr->mu, NULL);
    size_t slots = 0;
    for (size_t k = 0; k < skel->nepisodes; k++) slots += skel->episodes[k].nagents;
    size_t tn = strlen(path) + 32;
    wr->nep = skel->nepisodes;
    wr->path = strdup(path);
    wr->tmp = malloc(tn);
    wr->agent0 = calloc(wr->nep + 1, sizeof *wr->agent0);
    wr->names = calloc(slots ? slots : 1, sizeof *wr->names);
    wr->rows = calloc(slots ? slots : 1, sizeof *wr->rows);
    wr->written = calloc(slots ? slots : 1, sizeof *wr->written);
    if (!wr->path || !wr->tmp || !wr->agent0 || !wr->names || !wr->rows || !wr->written) {
        free(wr->tmp);
        wr->tmp = NULL;
        writer_free(wr);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    ar_tmp_path(path, wr->tmp, tn);
    size_t j = 0;
    for (size_t k = 0; k < wr->nep; k++) {
        wr->agent0[k] = j;
        const ar_run_episode *ep = &skel->episodes[k];
        for (size_t a = 0; a < ep->nagents && ep->agents; a++, j++) {
            memcpy(wr->names[j], ep->agents[a].name, AR_NAME_MAX);
            wr->rows[j] = ep->agents[a].nequity;
        }
    }
    wr->agent0[wr->nep] = j;

    /* Create the file ourselves first: HDF5's own failure says little, the
     * errno here says why (missing directory, permissions). Then HDF5
     * creates it anew (exclusively): opening an existing file with O_TRUNC,
     * as H5F_ACC_TRUNC does, makes ext4 (auto_da_alloc) write the whole
     * file out at close, inside the run's time (docs/BENCHMARKS.md). */
    int fd = open(wr->tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        ar_err e = ar_errf(eb, AR_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(wr->tmp);
        wr->tmp = NULL;
        writer_free(wr);
        return e;
    }
    close(fd);
    unlink(wr->tmp);
    ar_err e = AR_OK;
    wr->w_ok = wctx_init(&wr->w, wr->path, skel, 0, eb);
    wr->fcpl = H5Pcreate(H5P_FILE_CREATE);
    wr->fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (!wr->w_ok || wr->fcpl < 0 || wr->fapl < 0 || H5Pset_obj_track_times(wr->fcpl, 0) < 0 ||
        H5Pset_fclose_degree(wr->fapl, H5F_CLOSE_STRONG) < 0) {
        e = ar_errf(eb, AR_EIO, "%s: cannot set up HDF5 types and property lists", path);
    } else if ((wr->file = H5Fcreate(wr->tmp, H5F_ACC_EXCL, wr->fcpl, wr->fapl)) < 0) {
        e = ar_errf(eb, AR_EIO, "%s: cannot create HDF5 file", path);
    } else {
        e = write_file(&wr->w, wr->file, skel, PH_SKEL);
    }
    if (e) {
        writer_free(wr);
        return e;
    }
    *out = wr;
    return AR_OK;
}

ar_err ar_run_writer_equity(ar_run_writer *wr, size_t ep, size_t agent, size_t off, const ar_equity_rec *recs,
                            size_t n, ar_errbuf *eb) {
    if (ep >= wr->nep || agent >= wr->agent0[ep + 1] - wr->agent0[ep])
        return ar_errf(eb, AR_EINVAL, "%s: equity of episode %zu agent %zu: no such agent", wr->path, ep, agent);
    size_t slot = wr->agent0[ep] + agent;
    if (n == 0) return AR_OK;
    if (recs == NULL || off > wr->rows[slot] || n > wr->rows[slot] - off)
        return ar_errf(eb, AR_EINVAL, "%s: /episodes/%zu/agents/%s/equity: rows %zu..%zu outside its %zu rows",
                       wr->path, ep, wr->names[slot], off, off + n, wr->rows[slot]);
    char p[160];
    snprintf(p, sizeof p, "/episodes/%zu/agents/%s/equity", ep, wr->names[slot]);
    pthread_mutex_lock(&wr->mu);
    hid_t ds = H5Dopen2(wr->file, p, H5P_DEFAULT);
    herr_t st = ds >= 0 ? write_equity_rows(ds, wr->w.mt[T_EQUITY], wr->rows[slot], off, recs, n) : -1;
    if (ds >= 0) H5Dclose(ds);
    if (st >= 0) wr->written[slot] += n;
    pthread_mutex_unlock(&wr->mu);
    return st < 0 ? ar_errf(eb, AR_EIO, "%s: %s: cannot write dataset (disk full?)", wr->path, p) : AR_OK;
}

ar_err ar_run_writer_finish(ar_run_writer *wr, const ar_run *r, ar_errbuf *eb) {
    ar_err e = AR_OK;
    if (r == NULL || r->nepisodes != wr->nep)
        e = ar_errf(eb, AR_EINVAL, "%s: the run has %zu episodes, the file was laid out for %zu", wr->path,
                    r ? r->nepisodes : 0, wr->nep);
    for (size_t k = 0; k < wr->nep && !e; k++) {
        const ar_run_episode *ep = &r->episodes[k];
        size_t na = wr->agent0[k + 1] - wr->agent0[k];
        if (ep->nagents != na) {
            e = ar_errf(eb, AR_EINVAL, "%s: /episodes/%zu: %zu agents, the file was laid out for %zu", wr->path, k,
                        ep->nagents, na);
            break;
        }
        for (size_t a = 0; a < na && !e; a++) {
            size_t slot = wr->agent0[k] + a;
            const ar_run_agent *g = &ep->agents[a];
            if (strncmp(g->name, wr->names[slot], AR_NAME_MAX) != 0 || g->nequity != wr->rows[slot])
                e = ar_errf(eb, AR_EINVAL, "%s: /episodes/%zu/agents/%.*s: not the agent or the equity rows laid out",
                            wr->path, k, AR_NAME_MAX - 1, g->name);
            else if (g->equity == NULL && !curve_spilled(g) && wr->written[slot] != wr->rows[slot])
                e = ar_errf(eb, AR_EINVAL, "%s: /episodes/%zu/agents/%s/equity: %zu of %zu rows handed in", wr->path,
                            k, wr->names[slot], wr->written[slot], wr->rows[slot]);
        }
    }
    if (!e) {
        wr->w.eb = eb;
        wr->w.nprompts = r->nprompts;
        e = write_file(&wr->w, wr->file, r, PH_REST);
    }
    if (!e) {
        herr_t st = H5Fclose(wr->file);
        wr->file = -1;
        if (st < 0) e = ar_errf(eb, AR_EIO, "%s: cannot close (disk full?)", wr->path);
    }
    if (!e && rename(wr->tmp, wr->path) != 0)
        e = ar_errf(eb, AR_EIO, "%s: cannot rename into place: %s", wr->path, strerror(errno));
    if (!e) { /* in place: nothing to remove */
        free(wr->tmp);
        wr->tmp = NULL;
    }
    writer_free(wr);
    return e;
}

ar_err ar_run_h5_write(const char *path, const ar_run *r, ar_errbuf *eb) {
    ar_run_writer *wr;
    ar_err e = ar_run_writer_open(path, r, &wr, eb);
    return e ? e : ar_run_writer_finish(wr, r, eb);
}

ar_err ar__run_write_layout(hid_t file, const char *path, const ar_run *r, size_t chunk_rows, ar_errbuf *eb) {
    if (r == NULL) return ar_errf(eb, AR_EINVAL, "%s: no run", path);
    wctx w;
    ar_err e = wctx_init(&w, path, r, chunk_rows, eb) ? write_file(&w, file, r, PH_ALL)
                                                      : ar_errf(eb, AR_EIO, "%s: cannot set up HDF5 types", path);
    wctx_cleanup(&w);
    return e;
}

/* Property lists and types every writer needs; 0 when HDF5 refused one
 * (what was made is still released by wctx_cleanup). */
static int wctx_init(wctx *w, const char *path, const ar_run *r, size_t chunk, ar_errbuf *eb) {
    *w = (wctx){.path = path, .eb = eb, .gcpl = -1, .gcpl_order = -1, .str = -1, .scalar = -1,
                .nprompts = r->nprompts, .chunk = chunk};
    for (int i = 0; i < T_COUNT; i++) w->mt[i] = w->ft[i] = -1;
    w->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    w->gcpl_order = H5Pcreate(H5P_GROUP_CREATE);
    w->str = H5Tcopy(H5T_C_S1);
    w->scalar = H5Screate(H5S_SCALAR);
    int ok = w->gcpl >= 0 && w->gcpl_order >= 0 && w->str >= 0 && w->scalar >= 0 &&
             H5Pset_obj_track_times(w->gcpl, 0) >= 0 && H5Pset_obj_track_times(w->gcpl_order, 0) >= 0 &&
             H5Pset_link_creation_order(w->gcpl_order, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0 &&
             H5Tset_size(w->str, H5T_VARIABLE) >= 0 && H5Tset_cset(w->str, H5T_CSET_UTF8) >= 0;
    for (int i = 0; i < T_COUNT && ok; i++) {
        w->mt[i] = ar__mem_type(&tables[i]);
        w->ft[i] = ar__file_type(&tables[i]);
        ok = w->mt[i] >= 0 && w->ft[i] >= 0;
    }
    return ok;
}

static void wctx_cleanup(wctx *w) {
    for (int i = 0; i < T_COUNT; i++) {
        if (w->mt[i] >= 0) H5Tclose(w->mt[i]);
        if (w->ft[i] >= 0) H5Tclose(w->ft[i]);
    }
    if (w->scalar >= 0) H5Sclose(w->scalar);
    if (w->str >= 0) H5Tclose(w->str);
    if (w->gcpl_order >= 0) H5Pclose(w->gcpl_order);
    if (w->gcpl >= 0) H5Pclose(w->gcpl);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct {
    const char *path;
    ar_errbuf *eb;
    size_t nprompts; /* read before the episodes: llm records index them */
    int live_open;   /* @live = 1: a live file not closed (yet): totals come from the records */
    int lazy; /* 1: equity rows stay in the file (ar_run_h5_read_lazy); 2: log rows too (_lean) */
    size_t kept; /* bytes of small tables a lazy read took into memory (lean_take) */
    size_t left; /* tables a lazy read left in the file */
    hid_t mt[T_COUNT], ft[T_COUNT]; /* memory and file types of the tables, made once per read (-1: not yet) */
} rctx;

static void rctx_types_close(rctx *c) {
    for (int ti = 0; ti < T_COUNT; ti++) {
        if (c->mt[ti] >= 0) H5Tclose(c->mt[ti]);
        if (c->ft[ti] >= 0) H5Tclose(c->ft[ti]);
        c->mt[ti] = c->ft[ti] = -1;
    }
}

/* A lazy read still takes a table into memory when it is small (a short
 * episode's curve and logs): one read now instead of a dataset opened again
 * at every later block. All lazy reads in the process share one budget for
 * these, given back by ar_run_free, so memory stays bounded however many
 * files are read. Neither changes what is read, only where it waits. */
#define LEAN_SMALL ((size_t)64 << 10)
static atomic_size_t lean_budget = AR_READ_MEMORY_DEFAULT;

void ar_run_read_memory(size_t bytes) { atomic_store(&lean_budget, bytes); }

static int lean_take(rctx *c, size_t bytes) {
    if (bytes > LEAN_SMALL) return 0;
    if (atomic_fetch_add(&lean_used, bytes) + bytes > atomic_load(&lean_budget)) {
        atomic_fetch_sub(&lean_used, bytes);
        return 0;
    }
    c->kept += bytes;
    return 1;
}

static ar_err rerr(rctx *c, const char *where, const char *what) {
    return ar_errf(c->eb, AR_EFORMAT, "%s: %s: %s", c->path, where, what);
}

/* Open attribute name of obj, which must hold exactly one value of class cls. */
static hid_t open_attr(rctx *c, hid_t obj, const char *where, const char *name, H5T_class_t cls, ar_err *e) {
    char msg[160];
    if (H5Aexists(obj, name) <= 0) {
        snprintf(msg, sizeof msg, "missing attribute %s", name);
        *e = rerr(c, where, msg);
        return -1;
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) {
        snprintf(msg, sizeof msg, "cannot open attribute %s", name);
        *e = rerr(c, where, msg);
        return -1;
    }
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    int good = t >= 0 && sp >= 0 && H5Tget_class(t) == cls && H5Sget_simple_extent_npoints(sp) == 1;
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (!good) {
        H5Aclose(a);
        snprintf(msg, sizeof msg, "attribute %s has the wrong type or size", name);
        *e = rerr(c, where, msg);
        return -1;
    }
    return a;
}

static ar_err get_num(rctx *c, hid_t obj, const char *where, const char *name, H5T_class_t cls, hid_t mtype,
                      void *out) {
    ar_err e = AR_OK;
    hid_t a = open_attr(c, obj, where, name, cls, &e);
    if (a < 0) return e;
    herr_t st = H5Aread(a, mtype, out);
    H5Aclose(a);
    if (st < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "cannot read attribute %s", name);
        return rerr(c, where, msg);
    }
    return AR_OK;
}
static ar_err get_i32(rctx *c, hid_t o, const char *w, const char *n, int32_t *v) {
    return get_num(c, o, w, n, H5T_INTEGER, H5T_NATIVE_INT32, v);
}
static ar_err get_i64(rctx *c, hid_t o, const char *w, const char *n, int64_t *v) {
    return get_num(c, o, w, n, H5T_INTEGER, H5T_NATIVE_INT64, v);
}
static ar_err get_u64(rctx *c, hid_t o, const char *w, const char *n, uint64_t *v) {
    return get_num(c, o, w, n, H5T_INTEGER, H5T_NATIVE_UINT64, v);
}
static ar_err get_f64(rctx *c, hid_t o, const char *w, const char *n, double *v) {
    return get_num(c, o, w, n, H5T_FLOAT, H5T_NATIVE_DOUBLE, v);
}

/* A string attribute (variable or fixed length) as a new heap string. */
static ar_err get_str(rctx *c, hid_t obj, const char *where, const char *name, char **out) {
    ar_err e = AR_OK;
    *out = NULL;
    hid_t a = open_attr(c, obj, where, name, H5T_STRING, &e);
    if (a < 0) return e;
    hid_t ft = H5Aget_type(a);
    hid_t mt = H5Tcopy(H5T_C_S1);
    char *s = NULL;
    herr_t st = -1;
    /* HDF5 will not convert between character sets: read in the file's. */
    H5T_cset_t cset = ft >= 0 ? H5Tget_cset(ft) : H5T_CSET_ERROR;
    if (ft >= 0 && mt >= 0 && cset != H5T_CSET_ERROR && H5Tset_cset(mt, cset) >= 0) {
        if (H5Tis_variable_str(ft) > 0) {
            char *p = NULL;
            if (H5Tset_size(mt, H5T_VARIABLE) >= 0 && (st = H5Aread(a, mt, &p)) >= 0) {
                s = strdup(p ? p : "");
                H5free_memory(p);
            }
        } else {
            size_t n = H5Tget_size(ft);
            s = calloc(n + 1, 1);
            if (s && n > 0 && H5Tset_size(mt, n) >= 0) st = H5Aread(a, mt, s);
            else if (s) st = 0;
        }
    }
    if (mt >= 0) H5Tclose(mt);
    if (ft >= 0) H5Tclose(ft);
    H5Aclose(a);
    char msg[160];
    if (st < 0) {
        free(s);
        snprintf(msg, sizeof msg, "cannot read attribute %s", name);
        return rerr(c, where, msg);
    }
    if (s == NULL) return ar_errf(c->eb, AR_ENOMEM, "%s: %s: %s: out of memory", c->path, where, name);
    *out = s;
    return AR_OK;
}

/* A string attribute into a fixed char array (n bytes with the NUL). */
static ar_err get_strn(rctx *c, hid_t obj, const char *where, const char *name, char *dst, size_t n) {
    char *s = NULL;
    ar_err e = get_str(c, obj, where, name, &s);
    if (e) return e;
    if (strlen(s) >= n) {
        free(s);
        char msg[160];
        snprintf(msg, sizeof msg, "attribute %s longer than %zu bytes", name, n - 1);
        return rerr(c, where, msg);
    }
    memset(dst, 0, n);
    strcpy(dst, s);
    free(s);
    return AR_OK;
}

/* Open a rank-1 dataset and return its row count. */
static hid_t open_rows(rctx *c, hid_t loc, const char *where, const char *name, size_t *n, ar_err *e) {
    char at[512];
    snprintf(at, sizeof at, "%s/%s", where, name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT); /* the link is looked up only to say why it failed */
    if (ds < 0) {
        *e = rerr(c, at, H5Lexists(loc, name, H5P_DEFAULT) <= 0 ? "missing dataset" : "cannot open dataset");
        return -1;
    }
    hid_t sp = H5Dget_space(ds);
    hsize_t dims[1] = {0};
    int good = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 && H5Sget_simple_extent_dims(sp, dims, NULL) == 1;
    if (sp >= 0) H5Sclose(sp);
    if (!good || dims[0] > (hsize_t)(SIZE_MAX / 256)) {
        H5Dclose(ds);
        *e = rerr(c, at, "not a one-dimensional dataset");
        return -1;
    }
    *n = (size_t)dims[0];
    return ds;
}

/* Tables added to layout v1 later (llm, answers, /prompts) are optional:
 * a file from an older writer has none, which reads as empty. */
static int absent(hid_t loc, const char *name) { return H5Lexists(loc, name, H5P_DEFAULT) <= 0; }

static ar_err read_table(rctx *c, hid_t loc, const char *where, int ti, void **rows, size_t *nrows) {
    const table *t = &tables[ti];
    char at[512];
    snprintf(at, sizeof at, "%s/%s", where, t->name);
    ar_err e = AR_OK;
    size_t n = 0;
    *rows = NULL;
    *nrows = 0;
    if (ti == T_LLM && absent(loc, t->name)) return AR_OK;
    hid_t ds = open_rows(c, loc, where, t->name, &n, &e);
    if (ds < 0) return e;
    /* Every field must be present by name: HDF5 would otherwise leave the
     * missing member untouched and the reader would see zeros. */
    hid_t ft = H5Dget_type(ds);
    if (ft < 0 || H5Tget_class(ft) != H5T_COMPOUND) {
        if (ft >= 0) H5Tclose(ft);
        H5Dclose(ds);
        return rerr(c, at, "not a compound dataset");
    }
    if (c->mt[ti] < 0 && ((c->mt[ti] = ar__mem_type(t)) < 0 || (c->ft[ti] = ar__file_type(t)) < 0)) {
        H5Tclose(ft);
        H5Dclose(ds);
        return ar_errf(c->eb, AR_EIO, "%s: cannot make HDF5 types", c->path);
    }
    int ours = H5Tequal(ft, c->ft[ti]) > 0; /* our own writer's type: every field is there */
    for (size_t i = 0; i < t->nf && !ours; i++)
        if (H5Tget_member_index(ft, t->f[i].name) < 0) {
            H5Tclose(ft);
            H5Dclose(ds);
            char msg[160];
            snprintf(msg, sizeof msg, "field %s missing", t->f[i].name);
            return rerr(c, at, msg);
        }
    H5Tclose(ft);
    if ((ti == T_EQUITY ? c->lazy >= 1 : ti < T_LLM && c->lazy >= 2) && !c->live_open && n > 0 &&
        !lean_take(c, n * t->size)) {
        /* left in the file: read in blocks through ar_run.eqsrc */
        H5Dclose(ds);
        c->left++;
        *nrows = n;
        return AR_OK;
    }
    /* zeroed: padding between fields is not read, and runs are rewritten
     * byte for byte (arena merge) */
    void *buf = n <= SIZE_MAX / t->size ? ar_alloc_huge(n * t->size) : NULL;
    if (buf) memset(buf, 0, n * t->size);
    hid_t mt = c->mt[ti];
    herr_t st = (buf && n) ? H5Dread(ds, mt, H5S_ALL, H5S_ALL, ar__xfer(), buf) : 0;
    H5Dclose(ds);
    if (buf == NULL) return ar_errf(c->eb, AR_ENOMEM, "%s: %s: out of memory (%zu rows)", c->path, at, n);
    if (st < 0) {
        free(buf);
        return rerr(c, at, "cannot read dataset (field types?)");
    }
    if (n == 0) {
        free(buf);
        buf = NULL;
    }
    *rows = buf;
    *nrows = n;
    return AR_OK;
}

/* A 1-D dataset of single-byte integers into a new buffer of n bytes plus a
 * NUL (not counted), so texts in it can be printed directly; NULL when empty. */
static ar_err read_bytes(rctx *c, hid_t loc, const char *where, const char *name, char **out, size_t *nout) {
    char at[512];
    snprintf(at, sizeof at, "%s/%s", where, name);
    ar_err e = AR_OK;
    size_t n = 0;
    *out = NULL;
    *nout = 0;
    hid_t ds = open_rows(c, loc, where, name, &n, &e);
    if (ds < 0) return e;
    hid_t ft = H5Dget_type(ds);
    int good = ft >= 0 && H5Tget_class(ft) == H5T_INTEGER && H5Tget_size(ft) == 1;
    if (ft >= 0) H5Tclose(ft);
    if (!good) {
        H5Dclose(ds);
        return rerr(c, at, "not a dataset of bytes (uint8)");
    }
    char *buf = malloc(n + 1);
    herr_t st = (buf && n) ? H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Dclose(ds);
    if (buf == NULL) return ar_errf(c->eb, AR_ENOMEM, "%s: %s: out of memory (%zu bytes)", c->path, at, n);
    if (st < 0) {
        free(buf);
        return rerr(c, at, "cannot read dataset");
    }
    if (n == 0) {
        free(buf);
        return AR_OK;
    }
    buf[n] = '\0';
    *out = buf;
    *nout = n;
    return AR_OK;
}

static ar_err read_agent(rctx *c, hid_t g, const char *where, ar_run_agent *a) {
    ar_err e;
    if ((e = get_strn(c, g, where, "kind", a->kind, sizeof a->kind)) ||
        (e = get_strn(c, g, where, "detail", a->detail, sizeof a->detail)) ||
        (e = get_i32(c, g, where, "baseline", &a->baseline)) ||
        (e = get_f64(c, g, where, "capital", &a->capital)) ||
        (e = get_f64(c, g, where, "final_equity", &a->final_equity)) ||
        (e = get_f64(c, g, where, "fees", &a->fees)) ||
        (e = get_f64(c, g, where, "funding", &a->funding)))
        return e;
    void **rows[T_COUNT];
    size_t *n[T_COUNT];
    agent_arrays(a, rows, n);
    for (int ti = 0; ti < T_AGENT; ti++)
        if ((e = read_table(c, g, where, ti, rows[ti], n[ti]))) return e;
    if (!absent(g, "answers") && (e = read_bytes(c, g, where, "answers", &a->answers, &a->answers_len))) return e;
    /* A live writer can only append under SWMR, so the totals it set at
     * creation stay stale until its clean close rewrites them; until then
     * (and forever after a crash) they are what the records say. */
    if (c->live_open) {
        /* Rows past a crashed writer's last flush may be allocated but
         * unwritten (zeros); every record starts with a time, never 0. */
        for (int ti = 0; ti < T_AGENT; ti++)
            while (*n[ti] > 0 && *(const int64_t *)((const char *)*rows[ti] + (*n[ti] - 1) * tables[ti].size) == 0)
                (*n[ti])--;
        if (a->nequity) a->final_equity = a->equity[a->nequity - 1].equity;
        a->fees = a->funding = 0;
        for (size_t k = 0; k < a->nfills; k++) a->fees += a->fills[k].fee;
        for (size_t k = 0; k < a->nfunding; k++) a->funding += a->funding_log[k].amount;
    }
    size_t row = 0;
    const char *bad = llm_bad(a->llm, a->nllm, c->nprompts, a->answers_len, &row);
    if (bad) {
        char at[512];
        snprintf(at, sizeof at, "%s/llm", where);
        return ar_errf(c->eb, AR_EFORMAT, "%s: %s: row %zu: %s", c->path, at, row, bad);
    }
    return AR_OK;
}

static ar_err read_episode(rctx *c, hid_t eps, size_t k, ar_run_episode *ep) {
    char name[32], where[64];
    snprintf(name, sizeof name, "%zu", k);
    snprintf(where, sizeof where, "/episodes/%zu", k);
    if (H5Lexists(eps, name, H5P_DEFAULT) <= 0) return rerr(c, where, "missing (episodes are numbered 0..n-1)");
    hid_t g = H5Gopen2(eps, name, H5P_DEFAULT);
    if (g < 0) return rerr(c, where, "not a group");
    ar_err e;
    hid_t ag = -1;
    if ((e = get_i32(c, g, where, "window", &ep->window)) || (e = get_u64(c, g, where, "seed", &ep->seed)) ||
        (e = get_i64(c, g, where, "start", &ep->start)) || (e = get_i64(c, g, where, "end", &ep->end)))
        goto done;
    char at[96];
    snprintf(at, sizeof at, "%s/agents", where);
    H5G_info_t info;
    if (H5Lexists(g, "agents", H5P_DEFAULT) <= 0 || (ag = H5Gopen2(g, "agents", H5P_DEFAULT)) < 0 ||
        H5Gget_info(ag, &info) < 0) {
        e = rerr(c, at, "missing group");
        goto done;
    }
    /* Agent order is the order of creation; a file from another writer may
     * not index it, and then name order is the best we can do. */
    H5_index_t idx = H5_INDEX_CRT_ORDER;
    hid_t gcpl = H5Gget_create_plist(ag);
    unsigned flags = 0;
    if (gcpl < 0 || H5Pget_link_creation_order(gcpl, &flags) < 0 || !(flags & H5P_CRT_ORDER_INDEXED))
        idx = H5_INDEX_NAME;
    if (gcpl >= 0) H5Pclose(gcpl);
    ep->agents = calloc(info.nlinks ? info.nlinks : 1, sizeof *ep->agents);
    if (ep->agents == NULL) {
        e = ar_errf(c->eb, AR_ENOMEM, "%s: %s: out of memory", c->path, at);
        goto done;
    }
    for (hsize_t i = 0; i < info.nlinks && !e; i++) {
        ar_run_agent *a = &ep->agents[i];
        ep->nagents = (size_t)i + 1;
        ssize_t len = H5Lget_name_by_idx(ag, ".", idx, H5_ITER_INC, i, a->name, sizeof a->name, H5P_DEFAULT);
        if (len < 0 || (size_t)len >= sizeof a->name) {
            e = rerr(c, at, "agent name missing or longer than 63 bytes");
            break;
        }
        char aw[160];
        snprintf(aw, sizeof aw, "%s/%s", at, a->name);
        hid_t gg = H5Gopen2(ag, a->name, H5P_DEFAULT);
        if (gg < 0) {
            e = rerr(c, aw, "not a group");
            break;
        }
        e = read_agent(c, gg, aw, a);
        H5Gclose(gg);
    }
done:
    if (ag >= 0) H5Gclose(ag);
    H5Gclose(g);
    return e;
}

static ar_err read_symbols(rctx *c, hid_t file, ar_run *r) {
    ar_err e = AR_OK;
    size_t n = 0;
    hid_t ds = open_rows(c, file, "", "symbols", &n, &e);
    if (ds < 0) return e;
    hid_t ft = H5Dget_type(ds);
    int isstr = ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) == 0 &&
                H5Tget_size(ft) <= AR_SYM_MAX;
    H5T_cset_t cset = isstr ? H5Tget_cset(ft) : H5T_CSET_ERROR;
    if (ft >= 0) H5Tclose(ft);
    if (!isstr || cset == H5T_CSET_ERROR) {
        H5Dclose(ds);
        return rerr(c, "/symbols", "not fixed-length strings of at most 32 bytes");
    }
    r->symbols = calloc(n ? n : 1, AR_SYM_MAX);
    hid_t mt = H5Tcopy(H5T_C_S1);
    herr_t st = -1;
    if (r->symbols && mt >= 0 && H5Tset_size(mt, AR_SYM_MAX) >= 0 && H5Tset_strpad(mt, H5T_STR_NULLPAD) >= 0 &&
        H5Tset_cset(mt, cset) >= 0)
        st = n ? H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, r->symbols) : 0;
    if (mt >= 0) H5Tclose(mt);
    H5Dclose(ds);
    if (r->symbols == NULL) return ar_errf(c->eb, AR_ENOMEM, "%s: /symbols: out of memory", c->path);
    if (st < 0) return rerr(c, "/symbols", "cannot read dataset");
    r->nsym = n;
    for (size_t i = 0; i < n; i++)
        if (r->symbols[i][AR_SYM_MAX - 1] != '\0') return rerr(c, "/symbols", "symbol name longer than 31 bytes");
    return AR_OK;
}

/* /prompts back into NUL-terminated strings. A text with a NUL byte inside
 * could not round-trip through a C string, so it is refused. */
static ar_err read_prompts(rctx *c, hid_t file, ar_run *r) {
    if (absent(file, "prompts")) return AR_OK;
    hid_t g = H5Gopen2(file, "prompts", H5P_DEFAULT);
    if (g < 0) return rerr(c, "/prompts", "not a group");
    char *text = NULL;
    size_t ntext = 0, nidx = 0;
    prompt_span *idx = NULL;
    ar_err e = read_bytes(c, g, "/prompts", "text", &text, &ntext);
    if (!e) e = read_table(c, g, "/prompts", T_INDEX, (void **)&idx, &nidx);
    H5Gclose(g);
    if (!e && nidx && (r->prompts = calloc(nidx, sizeof *r->prompts)) == NULL)
        e = ar_errf(c->eb, AR_ENOMEM, "%s: /prompts: out of memory", c->path);
    for (size_t i = 0; i < nidx && !e; i++) {
        int64_t off = idx[i].offset, len = idx[i].length, nt = (int64_t)ntext;
        char msg[96];
        if (off < 0 || len < 0 || off > nt || len > nt - off) {
            snprintf(msg, sizeof msg, "row %zu: offset/length outside text", i);
            e = rerr(c, "/prompts/index", msg);
        } else if (len > 0 && memchr(text + off, '\0', (size_t)len) != NULL) {
            snprintf(msg, sizeof msg, "prompt %zu contains a NUL byte", i);
            e = rerr(c, "/prompts/text", msg);
        } else if ((r->prompts[i] = malloc((size_t)len + 1)) == NULL) {
            e = ar_errf(c->eb, AR_ENOMEM, "%s: /prompts: out of memory", c->path);
        } else {
            if (len) memcpy(r->prompts[i], text + off, (size_t)len);
            r->prompts[i][len] = '\0';
            r->nprompts = i + 1;
        }
    }
    /* On failure r->nprompts counts the strings made, so ar_run_free frees
     * exactly those; c->nprompts is set only once all are in. */
    if (!e) c->nprompts = r->nprompts = nidx;
    free(text);
    free(idx);
    return e;
}

static ar_err read_file(rctx *c, hid_t file, ar_run *r) {
    ar_err e;
    char *fmt = NULL, *mode = NULL;
    int32_t version = 0;
    /* format and version first, so a foreign file gets one clear message. */
    if (H5Aexists(file, "format") <= 0 || get_str(c, file, "/", "format", &fmt) || strcmp(fmt, RUN_FORMAT) != 0) {
        free(fmt);
        return ar_errf(c->eb, AR_EFORMAT, "%s: format: not an arena run file (no format=\"arena-run\")", c->path);
    }
    free(fmt);
    if ((e = get_i32(c, file, "/", "version", &version))) return e;
    if (version != RUN_VERSION)
        return ar_errf(c->eb, AR_EFORMAT, "%s: version: unknown run file version %d (this arena reads %d)",
                       c->path, (int)version, RUN_VERSION);
    if ((e = get_strn(c, file, "/", "name", r->name, sizeof r->name)) ||
        (e = get_str(c, file, "/", "config", &r->config_json)) ||
        (e = get_str(c, file, "/", "manifest", &r->manifest_json)) ||
        (e = get_i64(c, file, "/", "cadence_ns", &r->cadence)) ||
        (e = get_f64(c, file, "/", "capital", &r->capital)) || (e = get_str(c, file, "/", "mode", &mode)))
        return e;
    if (!strcmp(mode, "spot")) r->mode = AR_MODE_SPOT;
    else if (!strcmp(mode, "perp")) r->mode = AR_MODE_PERP;
    else e = ar_errf(c->eb, AR_EFORMAT, "%s: mode: expected \"spot\" or \"perp\", got \"%.32s\"", c->path, mode);
    free(mode);
    int32_t live = 0;
    if (!e && H5Aexists(file, "live") > 0 && !(e = get_i32(c, file, "/", "live", &live))) c->live_open = live == 1;
    if (e || (H5Aexists(file, "rescored") > 0 && (e = get_i32(c, file, "/", "rescored", &r->rescored))) ||
        (e = read_symbols(c, file, r)) || (e = read_prompts(c, file, r)))
        return e;

    H5G_info_t info;
    hid_t eps = -1;
    if (H5Lexists(file, "episodes", H5P_DEFAULT) <= 0 || (eps = H5Gopen2(file, "episodes", H5P_DEFAULT)) < 0 ||
        H5Gget_info(eps, &info) < 0) {
        if (eps >= 0) H5Gclose(eps);
        return rerr(c, "/episodes", "missing group");
    }
    r->episodes = calloc(info.nlinks ? info.nlinks : 1, sizeof *r->episodes);
    if (r->episodes == NULL) {
        H5Gclose(eps);
        return ar_errf(c->eb, AR_ENOMEM, "%s: /episodes: out of memory", c->path);
    }
    for (hsize_t k = 0; k < info.nlinks && !e; k++) {
        r->nepisodes = (size_t)k + 1;
        e = read_episode(c, eps, (size_t)k, &r->episodes[k]);
    }
    H5Gclose(eps);
    return e;
}

int ar__fapl_clear_status(hid_t fapl) {
    hbool_t clear = 1;
    return H5Pexist(fapl, "clear_status_flags") > 0 && H5Pset(fapl, "clear_status_flags", &clear) >= 0 ? 0 : -1;
}

/* A file cut short by a failed write (truncated.c), opened from a copy in
 * memory padded with zeros to the length its superblock says: the file on
 * disk is not touched. HDF5's core driver without a backing store; the
 * status flags a crashed live writer left are cleared in the copy only.
 * Files of up to 2 GiB missing at most 256 MiB. */
static hid_t open_padded(const char *path, uint64_t stored, uint64_t size) {
    /* larger: extend the file (truncate -s); a file claiming far more than
     * it holds is not one a failed flush left */
    if (stored > (UINT64_C(2) << 30) || stored > SIZE_MAX || stored - size > (UINT64_C(256) << 20)) return -1;
    unsigned char *buf = calloc(1, (size_t)stored);
    int fd = buf ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    size_t got = 0;
    while (fd >= 0 && got < size) {
        ssize_t n = pread(fd, buf + got, (size_t)size - got, (off_t)got);
        if (n <= 0 && !(n < 0 && errno == EINTR)) break;
        if (n > 0) got += (size_t)n;
    }
    if (fd >= 0) close(fd);
    hid_t file = -1, fapl = got == size ? H5Pcreate(H5P_FILE_ACCESS) : -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) >= 0 &&
        H5Pset_file_image(fapl, buf, (size_t)stored) >= 0 && ar__fapl_clear_status(fapl) == 0) {
        /* the core driver refuses a name that exists on disk for an image */
        char name[PATH_MAX + 32];
        snprintf(name, sizeof name, "%s.arena-padded-copy", path);
        file = H5Fopen(name, H5F_ACC_RDWR, fapl); /* writes would go to the copy; none are made */
    }
    if (fapl >= 0) H5Pclose(fapl);
    free(buf);
    return file;
}

ar_err ar__run_open_read(const char *path, hid_t *out, int *swmr, ar_errbuf *eb) {
    *out = -1;
    if (swmr) *swmr = 0;
    if (H5Fis_hdf5(path) <= 0) return ar_errf(eb, AR_EFORMAT, "%s: not an HDF5 file", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        return ar_errf(eb, AR_EIO, "%s: cannot set up HDF5", path);
    }
    /* HDF5 1.10 refuses a plain open of a file whose superblock says it is
     * open for writing: a live run's file while the run goes on, and after
     * a crash until `h5clear -s`. SWMR readers may open both (only files of
     * superblock version 3, which live files are), so try that second. */
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (file < 0) {
        file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
        if (file >= 0 && swmr) *swmr = 1;
    }
    H5Pclose(fapl);
    uint64_t stored = 0, size = 0;
    if (file < 0 && ar__h5_stored_eof(path, &stored, &size) == 0 && size < stored) {
        file = open_padded(path, stored, size);
        if (file < 0)
            return ar_errf(eb, AR_EIO, "%s: cut short by a failed write (%llu of %llu bytes) and unreadable", path,
                           (unsigned long long)size, (unsigned long long)stored);
    }
    if (file < 0) return ar__h5_open_failed(path, eb);
    *out = file;
    return AR_OK;
}

static ar_err run_read(const char *path, int lazy, ar_run **out, ar_errbuf *eb);

ar_err ar_run_h5_read(const char *path, ar_run **out, ar_errbuf *eb) { return run_read(path, 0, out, eb); }

ar_err ar_run_h5_read_lazy(const char *path, ar_run **out, ar_errbuf *eb) { return run_read(path, 1, out, eb); }

ar_err ar_run_h5_read_lean(const char *path, ar_run **out, ar_errbuf *eb) { return run_read(path, 2, out, eb); }

static ar_err run_read(const char *path, int lazy, ar_run **out, ar_errbuf *eb) {
    *out = NULL;
    if (path == NULL) return ar_errf(eb, AR_EINVAL, "run file: no path");
    /* fopen first for an errno-quality message on a missing file. */
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) return ar_errf(eb, AR_EIO, "%s: %s", path, strerror(errno));
    fclose(fp);
    hid_t file = -1;
    ar_err oe = ar__run_open_read(path, &file, NULL, eb);
    if (oe) return oe;
    ar_run *r = calloc(1, sizeof *r);
    if (r == NULL) {
        H5Fclose(file);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    rctx c = {.path = path, .eb = eb, .lazy = lazy};
    for (int ti = 0; ti < T_COUNT; ti++) c.mt[ti] = c.ft[ti] = -1;
    ar_err e = read_file(&c, file, r);
    if (e && e != AR_ENOMEM) ar__h5_note_cut(path, eb); /* opened padded (open_padded): say why it failed */
    rctx_types_close(&c);
    r->lean_kept = c.kept;
    H5Fclose(file);
    if (!e && c.left > 0) e = ar_equity_src_open(path, &r->eqsrc, eb);
    if (e) {
        ar_run_free(r);
        return e;
    }
    *out = r;
    return AR_OK;
}

/* ---- equity and logs read in blocks ---------------------------------------- */

/* One open dataset per table, so a reader going through an agent's fills,
 * orders and equity side by side does not reopen them at every block. */
typedef struct {
    hid_t ds, mt, ft;         /* the dataset read last; memory and file types of the table */
    size_t ep;
    char agent[AR_NAME_MAX];
    size_t rows, crows;       /* its rows and rows per chunk (0: not read as chunks) */
    unsigned char *tail;      /* a whole chunk, for the dataset's last one */
    size_t tailcap;
} src_slot;

/* A league over thousands of run files keeps one source per file, but only
 * a share of the process's descriptor limit hold their file open: past it
 * one is closed (src_ensure_open says which), and opened again (after
 * checking it is the same file) when it is read next. One mutex guards the
 * list and the reads (HDF5 serialises its calls anyway). */
struct ar_equity_src {
    char *path;
    hid_t file; /* -1 while closed */
    src_slot slot[T_AGENT];
    dev_t dev; /* the file first opened: a reopen must find the same one */
    ino_t ino;
    off_t size;
    struct timespec mtime;
    ar_equity_src *newer, *older; /* in the list of open sources */
};

static pthread_mutex_t src_mu = PTHREAD_MUTEX_INITIALIZER;
static ar_equity_src *src_newest; /* the file opened last; ->older leads to the others */
static size_t src_nopen;

/* An eighth of the descriptors (read at each open: cheap next to opening
 * an HDF5 file), leaving the rest to the run file, spills, sockets and
 * HDF5's own; at least 2, and at most 64: each open file also holds about
 * 3 MB of HDF5's (see small_cache), and a league reads its runs mostly one
 * after another, so more would cost memory without saving reopens. */
static size_t src_limit(void) {
    struct rlimit rl;
    rlim_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    return soft == RLIM_INFINITY || soft / 8 > 64 ? 64 : soft / 8 < 2 ? 2 : (size_t)(soft / 8);
}

static void src_unlink(ar_equity_src *s) {
    if (s->newer) s->newer->older = s->older; else src_newest = s->older;
    if (s->older) s->older->newer = s->newer;
    s->newer = s->older = NULL;
}

static void src_close_file(ar_equity_src *s) {
    if (s->file < 0) return;
    for (int ti = 0; ti < T_AGENT; ti++)
        if (s->slot[ti].ds >= 0) {
            H5Dclose(s->slot[ti].ds);
            s->slot[ti].ds = -1;
        }
    H5Fclose(s->file);
    s->file = -1;
    src_unlink(s);
    src_nopen--;
}

/* A reader going through curves and logs block by block keeps its
 * datasets open and needs little of HDF5's metadata cache. By default the
 * cache grows to 2 MiB of entries per open file, about 20 MB of memory
 * once a run of many short episodes has been read through (each chunk
 * index node is far larger in memory than on disk); held to 256 KiB it
 * stays near 3 MB, no slower. A file whose cache cannot be set keeps the
 * default (it only costs memory). */
static void small_cache(hid_t f) {
    H5AC_cache_config_t cc;
    memset(&cc, 0, sizeof cc);
    cc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Fget_mdc_config(f, &cc) < 0) return;
    cc.set_initial_size = 1;
    cc.initial_size = (size_t)256 << 10;
    cc.min_size = (size_t)64 << 10;
    cc.max_size = (size_t)256 << 10;
    H5Fset_mdc_config(f, &cc);
}

/* s's file open; src_mu held. The list is in the order files were opened.
 * At the limit the file opened last is closed: a league reads its runs in
 * turn, agent after agent, and under that cycle closing the least recently
 * read (or the most recently read) would soon close every file just before
 * it is read again, where this keeps the first limit - 1 open for good. */
static ar_err src_ensure_open(ar_equity_src *s, ar_errbuf *eb) {
    if (s->file >= 0) return AR_OK;
    while (src_nopen >= src_limit() && src_newest) src_close_file(src_newest);
    struct stat st;
    if (stat(s->path, &st) != 0) return ar_errf(eb, AR_EIO, "%s: %s", s->path, strerror(errno));
    if (s->ino != 0 || s->dev != 0) {
        if (st.st_dev != s->dev || st.st_ino != s->ino || st.st_size != s->size ||
            st.st_mtim.tv_sec != s->mtime.tv_sec || st.st_mtim.tv_nsec != s->mtime.tv_nsec)
            return ar_errf(eb, AR_EIO, "%s: the file changed while it was being read", s->path);
    }
    hid_t f = -1;
    ar_err e = ar__run_open_read(s->path, &f, NULL, eb);
    if (e) return e;
    small_cache(f);
    s->file = f;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    s->older = src_newest;
    s->newer = NULL;
    if (src_newest) src_newest->newer = s;
    src_newest = s;
    src_nopen++;
    return AR_OK;
}

ar_err ar_equity_src_open(const char *path, ar_equity_src **out, ar_errbuf *eb) {
    *out = NULL;
    ar_equity_src *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    s->file = -1;
    for (int ti = 0; ti < T_AGENT; ti++) s->slot[ti].ds = s->slot[ti].mt = s->slot[ti].ft = -1;
    ar_err e = AR_OK;
    for (int ti = 0; ti < T_AGENT && !e; ti++)
        if ((s->slot[ti].mt = ar__mem_type(&tables[ti])) < 0 || (s->slot[ti].ft = ar__file_type(&tables[ti])) < 0)
            e = ar_errf(eb, AR_EIO, "%s: cannot make HDF5 types", path);
    /* The file is opened at the first read (a league that has every
     * curve summarised reads none: opening HDF5 costs about a millisecond),
     * and must then be the file as it is now. */
    struct stat st;
    if (!e && stat(path, &st) != 0) e = ar_errf(eb, AR_EIO, "%s: %s", path, strerror(errno));
    if (e) {
        ar_equity_src_free(s);
        return e;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    *out = s;
    return AR_OK;
}

static ar_err src_read_open(ar_equity_src *s, int ti, size_t ep, const char *agent, size_t off, size_t n,
                            void *out, ar_errbuf *eb);

/* Rows [off, off + n) of table ti of agent `agent` in episode ep. */
static ar_err src_read(ar_equity_src *s, int ti, size_t ep, const char *agent, size_t off, size_t n, void *out,
                       ar_errbuf *eb) {
    pthread_mutex_lock(&src_mu);
    ar_err e = src_ensure_open(s, eb);
    if (!e) e = src_read_open(s, ti, ep, agent, off, n, out, eb);
    pthread_mutex_unlock(&src_mu);
    return e;
}

static ar_err src_read_open(ar_equity_src *s, int ti, size_t ep, const char *agent, size_t off, size_t n,
                            void *out, ar_errbuf *eb) {
    const table *t = &tables[ti];
    src_slot *sl = &s->slot[ti];
    char p[160];
    snprintf(p, sizeof p, "/episodes/%zu/agents/%.*s/%s", ep, AR_NAME_MAX - 1, agent, t->name);
    if (sl->ds < 0 || sl->ep != ep || strncmp(sl->agent, agent, AR_NAME_MAX) != 0) {
        if (sl->ds >= 0) H5Dclose(sl->ds);
        sl->ds = H5Lexists(s->file, p, H5P_DEFAULT) > 0 ? H5Dopen2(s->file, p, H5P_DEFAULT) : -1;
        if (sl->ds < 0) return ar_errf(eb, AR_EFORMAT, "%s: %s: cannot open dataset", s->path, p);
        sl->ep = ep;
        snprintf(sl->agent, sizeof sl->agent, "%s", agent);
        /* Chunks of a packed, unfiltered table of our own type can be read
         * as they are (H5Dread_chunk): no type conversion, no copy. */
        sl->rows = sl->crows = 0;
        hid_t sp = H5Dget_space(sl->ds), pl = H5Dget_create_plist(sl->ds), ft = H5Dget_type(sl->ds);
        hsize_t dims[1] = {0}, cd[1] = {0};
        if (sp >= 0 && H5Sget_simple_extent_dims(sp, dims, NULL) == 1) sl->rows = (size_t)dims[0];
        if (pl >= 0 && ft >= 0 && raw_layout(t) && H5Pget_layout(pl) == H5D_CHUNKED &&
            H5Pget_chunk(pl, 1, cd) == 1 && H5Pget_nfilters(pl) == 0 && H5Tget_size(ft) == t->size &&
            H5Tequal(ft, sl->ft) > 0)
            sl->crows = (size_t)cd[0];
        if (ft >= 0) H5Tclose(ft);
        if (pl >= 0) H5Pclose(pl);
        if (sp >= 0) H5Sclose(sp);
    }
    if (n == 0) return AR_OK;
    if (sl->crows > 0 && off % sl->crows == 0 && off < sl->rows &&
        n == (sl->rows - off < sl->crows ? sl->rows - off : sl->crows)) {
        hsize_t o[1] = {off};
        uint32_t filters = 0;
        void *dst = out;
        if (n < sl->crows) { /* the last chunk is stored whole */
            if (sl->tailcap < sl->crows) {
                unsigned char *tl = realloc(sl->tail, sl->crows * t->size);
                if (tl == NULL) return ar_errf(eb, AR_ENOMEM, "%s: out of memory", s->path);
                sl->tail = tl;
                sl->tailcap = sl->crows;
            }
            dst = sl->tail;
        }
        hsize_t bytes = 0;
        if (H5Dget_chunk_storage_size(sl->ds, o, &bytes) >= 0 && bytes == sl->crows * t->size &&
            H5Dread_chunk(sl->ds, H5P_DEFAULT, o, &filters, dst) >= 0) {
            if (dst != out) memcpy(out, dst, n * t->size);
            return AR_OK;
        }
    }
    /* zeroed: padding between fields is not read */
    memset(out, 0, n * t->size);
    hsize_t o[1] = {off}, cnt[1] = {n};
    hid_t fsp = H5Dget_space(sl->ds), msp = H5Screate_simple(1, cnt, NULL);
    hsize_t dims[1] = {0};
    herr_t st = -1;
    if (fsp >= 0 && msp >= 0 && H5Sget_simple_extent_dims(fsp, dims, NULL) == 1 && off <= dims[0] &&
        n <= dims[0] - off && H5Sselect_hyperslab(fsp, H5S_SELECT_SET, o, NULL, cnt, NULL) >= 0)
        st = H5Dread(sl->ds, sl->mt, msp, fsp, ar__xfer(), out);
    if (msp >= 0) H5Sclose(msp);
    if (fsp >= 0) H5Sclose(fsp);
    return st < 0 ? ar_errf(eb, AR_EFORMAT, "%s: %s: cannot read rows %zu..%zu", s->path, p, off, off + n) : AR_OK;
}

ar_err ar_equity_src_read(ar_equity_src *s, size_t ep, const char *agent, size_t off, size_t n, ar_equity_rec *out,
                          ar_errbuf *eb) {
    return src_read(s, T_EQUITY, ep, agent, off, n, out, eb);
}

static int is_log(ar_log log);

ar_err ar_equity_src_read_log(ar_equity_src *s, ar_log log, size_t ep, const char *agent, size_t off, size_t n,
                              void *out, ar_errbuf *eb) {
    if (!is_log(log)) return ar_errf(eb, AR_EINVAL, "%s: no log %d", s->path, (int)log);
    return src_read(s, (int)log, ep, agent, off, n, out, eb);
}

void ar_equity_src_free(ar_equity_src *s) {
    if (s == NULL) return;
    pthread_mutex_lock(&src_mu);
    src_close_file(s);
    pthread_mutex_unlock(&src_mu);
    for (int ti = 0; ti < T_AGENT; ti++) {
        src_slot *sl = &s->slot[ti];
        if (sl->mt >= 0) H5Tclose(sl->mt);
        if (sl->ft >= 0) H5Tclose(sl->ft);
        free(sl->tail);
    }
    free(s->path);
    free(s);
}

_Static_assert((int)AR_LOG_ORDERS == T_ORDERS && (int)AR_LOG_FILLS == T_FILLS && (int)AR_LOG_TRADES == T_TRADES &&
                   (int)AR_LOG_FUNDING == T_FUNDING && (int)AR_LOG_DECISIONS == T_DECISIONS &&
                   AR_LOG_SLOTS == T_DECISIONS + 1,
               "ar_log numbers the run file's tables");

static int is_log(ar_log log) {
    return log == AR_LOG_ORDERS || log == AR_LOG_FILLS || log == AR_LOG_TRADES || log == AR_LOG_FUNDING ||
           log == AR_LOG_DECISIONS;
}

size_t ar_log_size(ar_log log) { return is_log(log) ? tables[log].size : 0; }

size_t ar_run_log_count(const ar_run_agent *a, ar_log log) {
    void **rows[T_COUNT];
    size_t *n[T_COUNT];
    if (!is_log(log)) return 0;
    agent_arrays((ar_run_agent *)a, rows, n); /* read only */
    return *n[log];
}

const void *ar_run_log_data(const ar_run_agent *a, ar_log log) {
    void **rows[T_COUNT];
    size_t *n[T_COUNT];
    if (!is_log(log)) return NULL;
    agent_arrays((ar_run_agent *)a, rows, n); /* read only */
    return *rows[log];
}

/* The episode index of agent a in r, or SIZE_MAX. */
static size_t episode_of(const ar_run *r, const ar_run_agent *a) {
    for (size_t k = 0; r != NULL && k < r->nepisodes; k++) {
        const ar_run_episode *ep = &r->episodes[k];
        if (a >= ep->agents && a < ep->agents + ep->nagents) return k;
    }
    return SIZE_MAX;
}

ar_err ar_run_log_rows(const ar_run *r, const ar_run_agent *a, ar_log log, size_t off, size_t n, void *out,
                       ar_errbuf *eb) {
    if (!is_log(log)) return ar_errf(eb, AR_EINVAL, "%s: no log %d", a->name, (int)log);
    void **rows[T_COUNT];
    size_t *cnt[T_COUNT];
    agent_arrays((ar_run_agent *)a, rows, cnt); /* read only */
    size_t total = *cnt[log], sz = tables[log].size;
    if (off > total || n > total - off)
        return ar_errf(eb, AR_EINVAL, "%s: %s rows %zu..%zu of %zu", a->name, tables[log].name, off, off + n, total);
    if (n == 0) return AR_OK;
    if (*rows[log] != NULL) {
        memcpy(out, (const char *)*rows[log] + off * sz, n * sz);
        return AR_OK;
    }
    if (a->spilled != NULL && a->spilled[log].n > 0 && a->spilled[log].spill != NULL)
        return ar_spill_read(&a->spilled[log], off, n, sz, out, eb);
    size_t k = episode_of(r, a);
    if (k != SIZE_MAX && r->eqsrc != NULL) return src_read(r->eqsrc, log, k, a->name, off, n, out, eb);
    return ar_errf(eb, AR_EINVAL, "%s: %s not loaded", a->name, tables[log].name);
}

void ar_run_logs_in_file(ar_run *r) {
    for (size_t k = 0; r != NULL && k < r->nepisodes; k++)
        for (size_t i = 0; i < r->episodes[k].nagents; i++) {
            ar_run_agent *a = &r->episodes[k].agents[i];
            ar_log_segs_free(a->spilled);
            a->spilled = NULL;
        }
    if (r != NULL) {
        ar_spill_free(r->spill);
        r->spill = NULL;
    }
}

ar_err ar_run_equity_rows(const ar_run *r, const ar_run_agent *a, size_t off, size_t n, ar_equity_rec *out,
                          ar_errbuf *eb) {
    if (off > a->nequity || n > a->nequity - off)
        return ar_errf(eb, AR_EINVAL, "%s: equity rows %zu..%zu of %zu", a->name, off, off + n, a->nequity);
    if (n == 0) return AR_OK;
    if (a->equity != NULL) {
        memcpy(out, a->equity + off, n * sizeof *out);
        return AR_OK;
    }
    if (curve_spilled(a))
        return ar_spill_read(&a->spilled[AR_SPILL_EQUITY], off, n, sizeof *out, out, eb);
    size_t k = episode_of(r, a);
    if (k != SIZE_MAX && r->eqsrc != NULL) return ar_equity_src_read(r->eqsrc, k, a->name, off, n, out, eb);
    return ar_errf(eb, AR_EINVAL, "%s: equity curve not loaded", a->name);
}
