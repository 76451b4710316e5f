/* src/store/live_h5.c - run files appended to while a live run goes on.
 *
 * HDF5 1.10 SWMR (single writer, multiple readers) lets readers open a file
 * while one process appends to it, and leaves a file a crash cannot corrupt
 * beyond losing what was not flushed. Its rules shape this file: every
 * object must exist before the switch to SWMR writing (H5Fstart_swmr_write),
 * after which datasets may only grow (H5Dset_extent + a hyperslab write),
 * attributes cannot be rewritten and variable-length data cannot be
 * appended; the file needs the latest format (superblock v3). So the writer
 * lays out the complete layout-v1 file with empty chunked datasets through
 * run_h5.c's own code (store_int.h), adds the live-only datasets (ticks,
 * per-agent state), renames it into place, switches to SWMR and from then
 * on only appends. Totals that are attributes in v1 (final_equity, fees,
 * funding) cannot follow the records under SWMR: readers derive them from
 * the records while @live is 1, and a clean close reopens the file normally
 * to write them and set @live to 2.
 *
 * Not thread-safe (HDF5 is not): one thread per writer, and no other HDF5
 * use in the process at the same time. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hdf5.h>
#include "arena/live_store.h"
#include "arena/util.h"
#include "store/store_int.h"

/* Rows per chunk of every live dataset (bytes datasets: 16x as many): small
 * enough that a flush of a few rows writes little, large enough that a day
 * of one-second equity samples is ~170 chunks. */
#define LIVE_CHUNK 512

static const ar__field tick_fields[] = {
    AR__FLD(ar_tick_rec, t, AR__K_I64),       AR__FLD(ar_tick_rec, sym, AR__K_I32),
    AR__FLD(ar_tick_rec, side, AR__K_I32),    AR__FLD(ar_tick_rec, price, AR__K_F64),
    AR__FLD(ar_tick_rec, qty, AR__K_F64),
};
static const ar__field state_fields[] = {
    AR__FLD(ar_live_state_rec, t, AR__K_I64),        AR__FLD(ar_live_state_rec, seq, AR__K_I64),
    AR__FLD(ar_live_state_rec, sym, AR__K_I32),      AR__FLD(ar_live_state_rec, nsym, AR__K_I32),
    AR__FLD(ar_live_state_rec, cash, AR__K_F64),     AR__FLD(ar_live_state_rec, equity, AR__K_F64),
    AR__FLD(ar_live_state_rec, fees, AR__K_F64),     AR__FLD(ar_live_state_rec, funding, AR__K_F64),
    AR__FLD(ar_live_state_rec, qty, AR__K_F64),      AR__FLD(ar_live_state_rec, entry, AR__K_F64),
    AR__FLD(ar_live_state_rec, margin, AR__K_F64),   AR__FLD(ar_live_state_rec, leverage, AR__K_F64),
    AR__FLD(ar_live_state_rec, tp, AR__K_F64),       AR__FLD(ar_live_state_rec, sl, AR__K_F64),
    AR__FLD(ar_live_state_rec, liq, AR__K_F64),      AR__FLD(ar_live_state_rec, t_open, AR__K_I64),
    AR__FLD(ar_live_state_rec, nfills, AR__K_I64),
};
static const ar__table tick_table = {"ticks", tick_fields, sizeof tick_fields / sizeof tick_fields[0],
                                     sizeof(ar_tick_rec)};
static const ar__table state_table = {"state", state_fields, sizeof state_fields / sizeof state_fields[0],
                                      sizeof(ar_live_state_rec)};

/* Memory types, by table id: the run tables, then these two. */
enum { MT_TICKS = AR__RT_COUNT, MT_STATE, MT_COUNT };
static const ar__table *table_of(int id) {
    return id == MT_TICKS ? &tick_table : id == MT_STATE ? &state_table : ar__run_table(id);
}

typedef struct {
    hid_t ds;
    hsize_t n; /* rows on disk (after this writer's appends) */
} dset;

/* An agent's datasets: the seven record logs in run-table order, answers,
 * state. */
enum { D_ANSWERS = AR__RT_INDEX, D_STATE, D_COUNT };
typedef struct {
    char name[AR_NAME_MAX];
    dset d[D_COUNT];
    ar_live_state_rec *snap; /* nsym rows waiting for the next flush */
    int pending;
    int64_t seq;             /* last snapshot number written */
} lagent;

struct ar_live_writer {
    char *path;
    hid_t file;
    hid_t mt[MT_COUNT];
    size_t nsym, nagents;
    lagent *agents;
    dset ticks, ptext, pindex;
    size_t np, pcap; /* prompts stored, for deduplication */
    char **ptexts;
    uint64_t *phash;
};

static const char *const agent_ds[D_COUNT] = {"orders", "fills", "trades", "funding", "equity",
                                              "decisions", "llm", "answers", "state"};

/* ---- small HDF5 helpers -------------------------------------------------- */

static hid_t live_fapl(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    /* SWMR needs the latest file format (superblock v3, v2 B-trees and
     * extensible-array chunk indices that readers can follow while they grow). */
    if (H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

static hid_t make_empty(hid_t loc, const char *name, hid_t ftype, hsize_t chunk) {
    hsize_t dims[1] = {0}, maxd[1] = {H5S_UNLIMITED};
    hid_t sp = H5Screate_simple(1, dims, maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = -1;
    if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0)
        ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    return ds;
}

static int write_attr_i32(hid_t obj, const char *name, int32_t v, int create) {
    hid_t a = -1;
    if (create) {
        hid_t sp = H5Screate(H5S_SCALAR);
        if (sp >= 0) a = H5Acreate2(obj, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (sp >= 0) H5Sclose(sp);
    } else {
        a = H5Aopen(obj, name, H5P_DEFAULT);
    }
    if (a < 0) return -1;
    herr_t st = H5Awrite(a, H5T_NATIVE_INT32, &v);
    H5Aclose(a);
    return st < 0 ? -1 : 0;
}

static int write_attr_num(hid_t obj, const char *name, hid_t mtype, const void *v) {
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t st = H5Awrite(a, mtype, v);
    H5Aclose(a);
    return st < 0 ? -1 : 0;
}

static hsize_t extent(hid_t ds) {
    hsize_t n = 0;
    hid_t sp = H5Dget_space(ds);
    if (sp >= 0) {
        if (H5Sget_simple_extent_ndims(sp) == 1) H5Sget_simple_extent_dims(sp, &n, NULL);
        H5Sclose(sp);
    }
    return n;
}

static ar_err append(ar_live_writer *w, dset *d, hid_t mt, const void *rows, size_t n, const char *what,
                     ar_errbuf *eb) {
    if (n == 0) return AR_OK;
    if (rows == NULL) return ar_errf(eb, AR_EINVAL, "%s: %s: %zu rows but no data", w->path, what, n);
    hsize_t start = d->n, cnt = n, total = d->n + n;
    hid_t fs = -1, ms = -1;
    int ok = H5Dset_extent(d->ds, &total) >= 0 && (fs = H5Dget_space(d->ds)) >= 0 &&
             H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &cnt, NULL) >= 0 &&
             (ms = H5Screate_simple(1, &cnt, NULL)) >= 0 && H5Dwrite(d->ds, mt, ms, fs, ar__xfer(), rows) >= 0;
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    if (!ok) return ar_errf(eb, AR_EIO, "%s: %s: cannot append %zu rows", w->path, what, n);
    d->n = total;
    return AR_OK;
}

/* ---- writer life cycle ---------------------------------------------------- */

static void writer_free(ar_live_writer *w) {
    if (w == NULL) return;
    for (size_t i = 0; i < w->nagents && w->agents; i++) {
        for (int k = 0; k < D_COUNT; k++)
            if (w->agents[i].d[k].ds >= 0) H5Dclose(w->agents[i].d[k].ds);
        free(w->agents[i].snap);
    }
    if (w->ticks.ds >= 0) H5Dclose(w->ticks.ds);
    if (w->ptext.ds >= 0) H5Dclose(w->ptext.ds);
    if (w->pindex.ds >= 0) H5Dclose(w->pindex.ds);
    for (int i = 0; i < MT_COUNT; i++)
        if (w->mt[i] >= 0) H5Tclose(w->mt[i]);
    if (w->file >= 0) H5Fclose(w->file);
    for (size_t i = 0; i < w->np; i++) free(w->ptexts[i]);
    free(w->ptexts);
    free(w->phash);
    free(w->agents);
    free(w->path);
    free(w);
}

static ar_live_writer *writer_new(const char *path, size_t nagents) {
    ar_live_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->file = w->ticks.ds = w->ptext.ds = w->pindex.ds = -1;
    for (int i = 0; i < MT_COUNT; i++) w->mt[i] = -1;
    w->path = strdup(path);
    w->agents = calloc(nagents ? nagents : 1, sizeof *w->agents);
    if (w->path == NULL || w->agents == NULL) {
        free(w->path);
        free(w->agents);
        free(w);
        return NULL;
    }
    w->nagents = nagents;
    for (size_t i = 0; i < nagents; i++)
        for (int k = 0; k < D_COUNT; k++) w->agents[i].d[k].ds = -1;
    for (int i = 0; i < MT_COUNT; i++) w->mt[i] = ar__mem_type(table_of(i));
    return w;
}

static int remember_prompt(ar_live_writer *w, const char *text, size_t len) {
    if (w->np == w->pcap) {
        size_t cap = w->pcap ? 2 * w->pcap : 64;
        char **t = realloc(w->ptexts, cap * sizeof *t);
        if (t == NULL) return -1;
        w->ptexts = t;
        uint64_t *h = realloc(w->phash, cap * sizeof *h);
        if (h == NULL) return -1;
        w->phash = h;
        w->pcap = cap;
    }
    char *s = malloc(len + 1);
    if (s == NULL) return -1;
    memcpy(s, text, len);
    s[len] = '\0';
    w->ptexts[w->np] = s;
    w->phash[w->np] = ar_hash_str(0, s);
    w->np++;
    return 0;
}

/* Open every dataset the writer appends to (after the switch to SWMR) and
 * take the row counts on disk. */
static ar_err open_datasets(ar_live_writer *w, ar_errbuf *eb) {
    w->ticks.ds = H5Dopen2(w->file, "/episodes/0/ticks", H5P_DEFAULT);
    w->ptext.ds = H5Dopen2(w->file, "/prompts/text", H5P_DEFAULT);
    w->pindex.ds = H5Dopen2(w->file, "/prompts/index", H5P_DEFAULT);
    if (w->ticks.ds < 0 || w->ptext.ds < 0 || w->pindex.ds < 0)
        return ar_errf(eb, AR_EFORMAT, "%s: /episodes/0/ticks or /prompts missing (not a live run file?)", w->path);
    w->ticks.n = extent(w->ticks.ds);
    w->ptext.n = extent(w->ptext.ds);
    w->pindex.n = extent(w->pindex.ds);
    for (size_t i = 0; i < w->nagents; i++) {
        lagent *a = &w->agents[i];
        for (int k = 0; k < D_COUNT; k++) {
            char p[160];
            snprintf(p, sizeof p, "/episodes/0/agents/%s/%s", a->name, agent_ds[k]);
            if ((a->d[k].ds = H5Dopen2(w->file, p, H5P_DEFAULT)) < 0)
                return ar_errf(eb, AR_EFORMAT, "%s: %s: missing dataset", w->path, p);
            a->d[k].n = extent(a->d[k].ds);
        }
        a->snap = calloc(w->nsym ? w->nsym : 1, sizeof *a->snap);
        if (a->snap == NULL) return ar_errf(eb, AR_ENOMEM, "%s: out of memory", w->path);
    }
    return AR_OK;
}

static ar_err start_swmr(ar_live_writer *w, ar_errbuf *eb) {
    if (H5Fstart_swmr_write(w->file) < 0)
        return ar_errf(eb, AR_EIO, "%s: cannot switch to SWMR writing", w->path);
    return open_datasets(w, eb);
}

ar_live_writer *ar_live_writer_create(const char *path, const ar_run *h, ar_errbuf *eb) {
    if (path == NULL || h == NULL) {
        ar_errf(eb, AR_EINVAL, "live run file: no path or no header");
        return NULL;
    }
    if (h->nepisodes != 1 || h->episodes == NULL || h->nprompts != 0) {
        ar_errf(eb, AR_EINVAL, "%s: a live header has exactly one episode and no prompts", path);
        return NULL;
    }
    const ar_run_episode *ep = &h->episodes[0];
    for (size_t i = 0; i < ep->nagents; i++) {
        const ar_run_agent *a = &ep->agents[i];
        if (a->norders || a->nfills || a->ntrades || a->nfunding || a->nequity || a->ndecisions || a->nllm ||
            a->answers_len) {
            ar_errf(eb, AR_EINVAL, "%s: agent %s: a live header has no records", path, a->name);
            return NULL;
        }
    }
    ar_live_writer *w = writer_new(path, ep->nagents);
    size_t tn = strlen(path) + 32;
    char *tmp = malloc(tn);
    if (w == NULL || tmp == NULL) {
        writer_free(w);
        free(tmp);
        ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    ar_tmp_path(path, tmp, tn);
    w->nsym = h->nsym;
    for (size_t i = 0; i < ep->nagents; i++) snprintf(w->agents[i].name, AR_NAME_MAX, "%s", ep->agents[i].name);

    ar_err e = AR_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        e = ar_errf(eb, AR_EIO, "%s: cannot create: %s", path, strerror(errno));
        goto fail;
    }
    close(fd);
    for (int i = 0; i < MT_COUNT; i++)
        if (w->mt[i] < 0) {
            e = ar_errf(eb, AR_EIO, "%s: cannot make HDF5 types", path);
            goto fail;
        }
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = live_fapl();
    if (fcpl >= 0 && fapl >= 0 && H5Pset_obj_track_times(fcpl, 0) >= 0)
        w->file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    if (w->file < 0) {
        e = ar_errf(eb, AR_EIO, "%s: cannot create HDF5 file", path);
        goto fail;
    }
    if ((e = ar__run_write_layout(w->file, path, h, LIVE_CHUNK, eb))) goto fail;
    /* The live-only objects, in a fixed order: @live, ticks, each agent's state. */
    hid_t tft = ar__file_type(&tick_table), sft = ar__file_type(&state_table), ds;
    int ok = tft >= 0 && sft >= 0 && write_attr_i32(w->file, "live", 1, 1) == 0 &&
             (ds = make_empty(w->file, "/episodes/0/ticks", tft, LIVE_CHUNK)) >= 0 && H5Dclose(ds) >= 0;
    for (size_t i = 0; i < w->nagents && ok; i++) {
        char p[160];
        snprintf(p, sizeof p, "/episodes/0/agents/%s/state", w->agents[i].name);
        ok = (ds = make_empty(w->file, p, sft, LIVE_CHUNK)) >= 0 && H5Dclose(ds) >= 0;
    }
    if (tft >= 0) H5Tclose(tft);
    if (sft >= 0) H5Tclose(sft);
    if (!ok) {
        e = ar_errf(eb, AR_EIO, "%s: cannot create the live datasets", path);
        goto fail;
    }
    /* Laid out completely before the file takes its name: a reader never
     * finds a half-made live file. */
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0 || rename(tmp, path) != 0) {
        e = ar_errf(eb, AR_EIO, "%s: cannot put the file in place: %s", path, strerror(errno));
        goto fail;
    }
    free(tmp);
    tmp = NULL;
    if ((e = start_swmr(w, eb))) goto fail;
    return w;
fail:
    writer_free(w);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    (void)e;
    return NULL;
}

/* Rows past the last flush may exist after a crash with their space
 * allocated but never written: they read as zeros. Every live table starts
 * with an int64 time (state: snapshot time), never 0 in a real record, so
 * trailing rows with t == 0 are dropped before appending resumes. */
static int trim_zero_tail(hid_t ds, hsize_t *n) {
    if (*n == 0) return 0;
    int64_t *t = malloc((size_t)*n * sizeof *t);
    hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(int64_t));
    hid_t ft = H5Dget_type(ds);
    char *first = ft >= 0 ? H5Tget_member_name(ft, 0) : NULL;
    int ok = t && mt >= 0 && first && H5Tinsert(mt, first, 0, H5T_NATIVE_INT64) >= 0 &&
             H5Dread(ds, mt, H5S_ALL, H5S_ALL, ar__xfer(), t) >= 0;
    if (first) H5free_memory(first);
    if (ft >= 0) H5Tclose(ft);
    if (mt >= 0) H5Tclose(mt);
    hsize_t k = *n;
    while (ok && k > 0 && t[k - 1] == 0) k--;
    free(t);
    if (!ok) return -1;
    if (k != *n) {
        if (H5Dset_extent(ds, &k) < 0) return -1;
        *n = k;
    }
    return 0;
}

ar_live_writer *ar_live_writer_open_append(const char *path, ar_errbuf *eb) {
    if (path == NULL) {
        ar_errf(eb, AR_EINVAL, "live run file: no path");
        return NULL;
    }
    /* A writer that stopped on a failed write (disk full) may leave the
     * file shorter than its superblock says; what it flushed before is
     * intact, and the rest is what readers see as zeros: extend it so. */
    if (ar__h5_pad_truncated(path) < 0) {
        ar_errf(eb, AR_EIO, "%s: cut short by a failed write, and cannot be extended: %s", path, strerror(errno));
        return NULL;
    }
    hid_t fapl = live_fapl();
    if (fapl < 0) {
        ar_errf(eb, AR_EIO, "%s: cannot set up HDF5", path);
        return NULL;
    }
    /* A crashed writer leaves the superblock marked open for (SWMR)
     * writing, and HDF5 refuses to open it for writing again. */
    hid_t fapl_clear = H5Pcopy(fapl);
    hid_t file = -1;
    if (fapl_clear >= 0 && ar__fapl_clear_status(fapl_clear) == 0) file = H5Fopen(path, H5F_ACC_RDWR, fapl_clear);
    if (file < 0) file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    if (fapl_clear >= 0) H5Pclose(fapl_clear);
    H5Pclose(fapl);
    if (file < 0) {
        ar_errf(eb, AR_EIO, "%s: cannot open for appending (another writer, or not a live run file?)", path);
        return NULL;
    }
    if (H5Aexists(file, "live") <= 0) {
        H5Fclose(file);
        ar_errf(eb, AR_EFORMAT, "%s: live: not a live run file (no @live attribute)", path);
        return NULL;
    }
    hid_t ag = H5Gopen2(file, "/episodes/0/agents", H5P_DEFAULT);
    H5G_info_t info;
    if (ag < 0 || H5Gget_info(ag, &info) < 0) {
        if (ag >= 0) H5Gclose(ag);
        H5Fclose(file);
        ar_errf(eb, AR_EFORMAT, "%s: /episodes/0/agents: missing group", path);
        return NULL;
    }
    ar_live_writer *w = writer_new(path, (size_t)info.nlinks);
    ar_err e = AR_OK;
    if (w == NULL) {
        H5Gclose(ag);
        H5Fclose(file);
        ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    w->file = file;
    for (hsize_t i = 0; i < info.nlinks && !e; i++) {
        ssize_t len = H5Lget_name_by_idx(ag, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, w->agents[i].name,
                                         AR_NAME_MAX, H5P_DEFAULT);
        if (len < 0 || len >= AR_NAME_MAX) e = ar_errf(eb, AR_EFORMAT, "%s: agent %zu: bad name", path, (size_t)i);
    }
    H5Gclose(ag);
    hid_t sym = e ? -1 : H5Dopen2(file, "/symbols", H5P_DEFAULT);
    if (!e && sym < 0) e = ar_errf(eb, AR_EFORMAT, "%s: /symbols: missing dataset", path);
    if (sym >= 0) {
        w->nsym = (size_t)extent(sym);
        H5Dclose(sym);
    }
    /* Before SWMR: drop unwritten tails, learn the prompts and the last
     * snapshot number, mark the file live again. */
    if (!e) e = open_datasets(w, eb);
    for (size_t i = 0; i < w->nagents && !e; i++) {
        lagent *a = &w->agents[i];
        for (int k = 0; k < D_COUNT && !e; k++)
            if (k != D_ANSWERS && trim_zero_tail(a->d[k].ds, &a->d[k].n) < 0)
                e = ar_errf(eb, AR_EIO, "%s: agent %s: %s: cannot read", path, a->name, agent_ds[k]);
        if (!e && a->d[D_STATE].n > 0) {
            ar_live_state_rec last;
            hsize_t start = a->d[D_STATE].n - 1, one = 1;
            hid_t fs = H5Dget_space(a->d[D_STATE].ds), ms = H5Screate_simple(1, &one, NULL);
            if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL) < 0 ||
                H5Dread(a->d[D_STATE].ds, w->mt[MT_STATE], ms, fs, ar__xfer(), &last) < 0)
                e = ar_errf(eb, AR_EIO, "%s: agent %s: state: cannot read", path, a->name);
            else
                a->seq = last.seq;
            if (fs >= 0) H5Sclose(fs);
            if (ms >= 0) H5Sclose(ms);
        }
    }
    if (!e && trim_zero_tail(w->ticks.ds, &w->ticks.n) < 0) e = ar_errf(eb, AR_EIO, "%s: ticks: cannot read", path);
    if (!e && w->pindex.n > 0) {
        size_t n = (size_t)w->pindex.n, nt = (size_t)w->ptext.n;
        ar__prompt_span *idx = calloc(n, sizeof *idx);
        char *text = malloc(nt + 1);
        if (idx == NULL || text == NULL) e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
        else if (H5Dread(w->pindex.ds, w->mt[AR__RT_INDEX], H5S_ALL, H5S_ALL, ar__xfer(), idx) < 0 ||
                 (nt && H5Dread(w->ptext.ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) < 0))
            e = ar_errf(eb, AR_EIO, "%s: /prompts: cannot read", path);
        /* A row pointing past the text (its bytes lost in a crash) ends the
         * usable index: later appends overwrite from there. */
        size_t good = 0;
        while (!e && good < n && idx[good].offset >= 0 && idx[good].length >= 0 &&
               idx[good].offset <= (int64_t)nt && idx[good].length <= (int64_t)nt - idx[good].offset) {
            if (remember_prompt(w, text + idx[good].offset, (size_t)idx[good].length) < 0)
                e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
            good++;
        }
        if (!e && good != n) {
            hsize_t g = good;
            if (H5Dset_extent(w->pindex.ds, &g) < 0) e = ar_errf(eb, AR_EIO, "%s: /prompts/index: cannot trim", path);
            w->pindex.n = good;
        }
        free(idx);
        free(text);
    }
    if (!e && write_attr_i32(file, "live", 1, 0) < 0) e = ar_errf(eb, AR_EIO, "%s: cannot write @live", path);
    /* H5Fstart_swmr_write wants no dataset open: close, switch, reopen. */
    for (size_t i = 0; i < w->nagents; i++)
        for (int k = 0; k < D_COUNT; k++)
            if (w->agents[i].d[k].ds >= 0) {
                H5Dclose(w->agents[i].d[k].ds);
                w->agents[i].d[k].ds = -1;
            }
    dset *root[3] = {&w->ticks, &w->ptext, &w->pindex};
    for (int k = 0; k < 3; k++)
        if (root[k]->ds >= 0) {
            H5Dclose(root[k]->ds);
            root[k]->ds = -1;
        }
    hsize_t keep_ticks = w->ticks.n, keep_pindex = w->pindex.n;
    for (size_t i = 0; i < w->nagents; i++) {
        free(w->agents[i].snap);
        w->agents[i].snap = NULL;
    }
    if (!e) e = start_swmr(w, eb);
    if (!e && (w->ticks.n != keep_ticks || w->pindex.n != keep_pindex))
        e = ar_errf(eb, AR_EIO, "%s: row counts changed while reopening", path);
    if (e) {
        writer_free(w);
        return NULL;
    }
    return w;
}

int ar_live_writer_agent(const ar_live_writer *w, const char *name) {
    for (size_t i = 0; w && name && i < w->nagents; i++)
        if (!strcmp(w->agents[i].name, name)) return (int)i;
    return -1;
}

size_t ar_live_writer_nsym(const ar_live_writer *w) { return w ? w->nsym : 0; }

/* ---- appending ----------------------------------------------------------- */

static ar_err agent_append(ar_live_writer *w, int agent, int k, const void *rows, size_t n, ar_errbuf *eb) {
    if (w == NULL || agent < 0 || (size_t)agent >= w->nagents)
        return ar_errf(eb, AR_EINVAL, "%s: no agent %d", w ? w->path : "live run file", agent);
    lagent *a = &w->agents[agent];
    char what[160];
    snprintf(what, sizeof what, "/episodes/0/agents/%s/%s", a->name, agent_ds[k]);
    return append(w, &a->d[k], w->mt[k == D_STATE ? MT_STATE : k], rows, n, what, eb);
}

ar_err ar_live_append_ticks(ar_live_writer *w, const ar_tick_rec *recs, size_t n, ar_errbuf *eb) {
    if (w == NULL) return ar_errf(eb, AR_EINVAL, "live run file: no writer");
    return append(w, &w->ticks, w->mt[MT_TICKS], recs, n, "/episodes/0/ticks", eb);
}
ar_err ar_live_append_orders(ar_live_writer *w, int agent, const ar_order_rec *r, size_t n, ar_errbuf *eb) {
    return agent_append(w, agent, AR__RT_ORDERS, r, n, eb);
}
ar_err ar_live_append_fills(ar_live_writer *w, int agent, const ar_fill_rec *r, size_t n, ar_errbuf *eb) {
    return agent_append(w, agent, AR__RT_FILLS, r, n, eb);
}
ar_err ar_live_append_trades(ar_live_writer *w, int agent, const ar_trade_rec *r, size_t n, ar_errbuf *eb) {
    return agent_append(w, agent, AR__RT_TRADES, r, n, eb);
}
ar_err ar_live_append_funding(ar_live_writer *w, int agent, const ar_funding_rec *r, size_t n, ar_errbuf *eb) {
    return agent_append(w, agent, AR__RT_FUNDING, r, n, eb);
}
ar_err ar_live_append_equity(ar_live_writer *w, int agent, const ar_equity_rec *r, size_t n, ar_errbuf *eb) {
    return agent_append(w, agent, AR__RT_EQUITY, r, n, eb);
}
ar_err ar_live_append_decisions(ar_live_writer *w, int agent, const ar_decision_rec *r, size_t n,
                                ar_errbuf *eb) {
    return agent_append(w, agent, AR__RT_DECISIONS, r, n, eb);
}

ar_err ar_live_append_llm(ar_live_writer *w, int agent, const ar_llm_rec *r, size_t n, ar_errbuf *eb) {
    if (w == NULL || agent < 0 || (size_t)agent >= w->nagents)
        return ar_errf(eb, AR_EINVAL, "%s: no agent %d", w ? w->path : "live run file", agent);
    /* The same bounds ar_run_h5_write and the reader enforce. */
    int64_t np = (int64_t)w->np, alen = (int64_t)w->agents[agent].d[D_ANSWERS].n;
    for (size_t k = 0; k < n && r; k++) {
        const ar_llm_rec *x = &r[k];
        if (x->prompt_system < -1 || x->prompt_system >= np || x->prompt_user < -1 || x->prompt_user >= np ||
            x->answer_off < 0 || x->answer_len < 0 || x->answer_off > alen || x->answer_len > alen - x->answer_off ||
            x->actions_off < 0 || x->actions_len < 0 || x->actions_off > alen ||
            x->actions_len > alen - x->actions_off)
            return ar_errf(eb, AR_EINVAL, "%s: agent %s: llm row %zu points outside prompts or answers", w->path,
                           w->agents[agent].name, k);
    }
    return agent_append(w, agent, AR__RT_LLM, r, n, eb);
}

ar_err ar_live_append_answer(ar_live_writer *w, int agent, const char *text, size_t len, int64_t *off,
                             ar_errbuf *eb) {
    if (off) *off = 0;
    if (w == NULL || agent < 0 || (size_t)agent >= w->nagents)
        return ar_errf(eb, AR_EINVAL, "%s: no agent %d", w ? w->path : "live run file", agent);
    lagent *a = &w->agents[agent];
    int64_t at = (int64_t)a->d[D_ANSWERS].n;
    char what[160];
    snprintf(what, sizeof what, "/episodes/0/agents/%s/answers", a->name);
    ar_err e = append(w, &a->d[D_ANSWERS], H5T_NATIVE_UINT8, text, len, what, eb);
    if (!e && off) *off = at;
    return e;
}

ar_err ar_live_add_prompt(ar_live_writer *w, const char *text, int32_t *index, ar_errbuf *eb) {
    if (index) *index = -1;
    if (w == NULL || text == NULL) return ar_errf(eb, AR_EINVAL, "live run file: no writer or no prompt");
    uint64_t h = ar_hash_str(0, text);
    for (size_t i = 0; i < w->np; i++)
        if (w->phash[i] == h && !strcmp(w->ptexts[i], text)) {
            if (index) *index = (int32_t)i;
            return AR_OK;
        }
    if (w->np >= INT32_MAX) return ar_errf(eb, AR_ELIMIT, "%s: /prompts: too many prompts", w->path);
    size_t len = strlen(text);
    ar__prompt_span sp = {(int64_t)w->ptext.n, (int64_t)len};
    ar_err e = append(w, &w->ptext, H5T_NATIVE_UINT8, text, len, "/prompts/text", eb);
    if (!e) e = append(w, &w->pindex, w->mt[AR__RT_INDEX], &sp, 1, "/prompts/index", eb);
    if (!e && remember_prompt(w, text, len) < 0) e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", w->path);
    if (!e && index) *index = (int32_t)(w->np - 1);
    return e;
}

ar_err ar_live_set_state(ar_live_writer *w, int agent, int64_t t, double cash, double equity, double fees,
                         double funding, const ar_position *pos, ar_errbuf *eb) {
    if (w == NULL || agent < 0 || (size_t)agent >= w->nagents)
        return ar_errf(eb, AR_EINVAL, "%s: no agent %d", w ? w->path : "live run file", agent);
    if (t == 0) return ar_errf(eb, AR_EINVAL, "%s: state at time 0", w->path);
    if (w->nsym && pos == NULL) return ar_errf(eb, AR_EINVAL, "%s: state without positions", w->path);
    lagent *a = &w->agents[agent];
    for (size_t s = 0; s < w->nsym; s++) {
        const ar_position *p = &pos[s];
        a->snap[s] = (ar_live_state_rec){.t = t, .sym = (int32_t)s, .nsym = (int32_t)w->nsym, .cash = cash,
                                         .equity = equity, .fees = fees, .funding = funding, .qty = p->qty,
                                         .entry = p->entry, .margin = p->margin, .leverage = p->leverage,
                                         .tp = p->tp, .sl = p->sl, .liq = p->liq, .t_open = p->t_open};
    }
    a->pending = 1;
    return AR_OK;
}

ar_err ar_live_writer_flush(ar_live_writer *w, ar_errbuf *eb) {
    if (w == NULL) return ar_errf(eb, AR_EINVAL, "live run file: no writer");
    for (size_t i = 0; i < w->nagents; i++) {
        lagent *a = &w->agents[i];
        if (!a->pending || w->nsym == 0) continue;
        a->seq++;
        for (size_t s = 0; s < w->nsym; s++) {
            a->snap[s].seq = a->seq;
            a->snap[s].nfills = (int64_t)a->d[AR__RT_FILLS].n;
        }
        ar_err e = agent_append(w, (int)i, D_STATE, a->snap, w->nsym, eb);
        if (e) return e;
        a->pending = 0;
    }
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        return ar_errf(eb, AR_EIO, "%s: cannot flush (disk full?); what was flushed before is kept, and "
                       "resuming continues it once there is room", w->path);
    return AR_OK;
}

ar_err ar_live_writer_close(ar_live_writer *w, ar_errbuf *eb) {
    if (w == NULL) return AR_OK;
    ar_err e = ar_live_writer_flush(w, eb);
    char *path = strdup(w->path);
    herr_t st = 0;
    if (w->file >= 0) {
        hid_t f = w->file;
        w->file = -1;
        writer_free(w);
        st = H5Fclose(f);
    } else {
        writer_free(w);
    }
    if (path == NULL) return e ? e : ar_errf(eb, AR_ENOMEM, "live run file: out of memory");
    if (!e && st < 0) e = ar_errf(eb, AR_EIO, "%s: cannot close (disk full?)", path);
    /* Totals from the records (the reader derives them while @live is 1),
     * written as v1 attributes now that the file is out of SWMR mode. */
    ar_run *r = NULL;
    if (!e) e = ar_run_h5_read(path, &r, eb);
    hid_t fapl = e ? -1 : live_fapl();
    hid_t file = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDWR, fapl) : -1;
    if (fapl >= 0) H5Pclose(fapl);
    if (!e && file < 0) e = ar_errf(eb, AR_EIO, "%s: cannot reopen to finish", path);
    if (!e && r->nepisodes == 1) {
        ar_run_episode *ep = &r->episodes[0];
        int64_t last = ep->start;
        for (size_t i = 0; i < ep->nagents && !e; i++) {
            ar_run_agent *a = &ep->agents[i];
            if (a->nequity && a->equity[a->nequity - 1].t > last) last = a->equity[a->nequity - 1].t;
            char p[160];
            snprintf(p, sizeof p, "/episodes/0/agents/%s", a->name);
            hid_t g = H5Gopen2(file, p, H5P_DEFAULT);
            if (g < 0 || write_attr_num(g, "final_equity", H5T_NATIVE_DOUBLE, &a->final_equity) < 0 ||
                write_attr_num(g, "fees", H5T_NATIVE_DOUBLE, &a->fees) < 0 ||
                write_attr_num(g, "funding", H5T_NATIVE_DOUBLE, &a->funding) < 0)
                e = ar_errf(eb, AR_EIO, "%s: %s: cannot write totals", path, p);
            if (g >= 0) H5Gclose(g);
        }
        hid_t g = e ? -1 : H5Gopen2(file, "/episodes/0", H5P_DEFAULT);
        if (!e && (g < 0 || (ep->end <= ep->start && write_attr_num(g, "end", H5T_NATIVE_INT64, &last) < 0)))
            e = ar_errf(eb, AR_EIO, "%s: /episodes/0: cannot write @end", path);
        if (g >= 0) H5Gclose(g);
    }
    if (!e && write_attr_i32(file, "live", 2, 0) < 0) e = ar_errf(eb, AR_EIO, "%s: cannot write @live", path);
    if (file >= 0 && H5Fclose(file) < 0 && !e) e = ar_errf(eb, AR_EIO, "%s: cannot close (disk full?)", path);
    ar_run_free(r);
    free(path);
    return e;
}

/* ---- resuming ------------------------------------------------------------ */

void ar_live_state_free(ar_live_state *s) {
    if (s == NULL) return;
    for (size_t i = 0; i < s->nagents && s->agents; i++) {
        free(s->agents[i].pos);
        free(s->agents[i].fills_after);
    }
    free(s->agents);
    free(s->symbols);
    free(s->config_json);
    free(s);
}

/* The last complete snapshot in rows[0..n): nsym rows of one seq, symbols
 * 0..nsym-1 in order. Index of its first row, or -1. */
static long last_snapshot(const ar_live_state_rec *rows, size_t n, size_t nsym) {
    if (nsym == 0) return -1;
    for (size_t end = n; end >= nsym; end--) {
        const ar_live_state_rec *r = &rows[end - nsym];
        int ok = r[0].seq > 0;
        for (size_t s = 0; s < nsym && ok; s++)
            ok = r[s].seq == r[0].seq && r[s].sym == (int32_t)s && r[s].nsym == (int32_t)nsym && r[s].t == r[0].t;
        if (ok) return (long)(end - nsym);
    }
    return -1;
}

ar_err ar_live_state_read(const char *path, ar_live_state **out, ar_errbuf *eb) {
    *out = NULL;
    ar_run *r = NULL;
    ar_err e = ar_run_h5_read(path, &r, eb);
    if (e) return e;
    hid_t file = -1, mt = -1, ds = -1;
    ar_live_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        ar_run_free(r);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    if (r->nepisodes != 1) {
        e = ar_errf(eb, AR_EFORMAT, "%s: a live run file has one episode, this one %zu", path, r->nepisodes);
        goto done;
    }
    if ((e = ar__run_open_read(path, &file, NULL, eb))) goto done;
    hid_t a = H5Aexists(file, "live") > 0 ? H5Aopen(file, "live", H5P_DEFAULT) : -1;
    if (a < 0 || H5Aread(a, H5T_NATIVE_INT32, &s->live) < 0) {
        if (a >= 0) H5Aclose(a);
        e = ar_errf(eb, AR_EFORMAT, "%s: live: not a live run file (no @live attribute)", path);
        goto done;
    }
    H5Aclose(a);
    /* Ownership moves from the run to the state. */
    s->config_json = r->config_json;
    r->config_json = NULL;
    s->symbols = r->symbols;
    r->symbols = NULL;
    s->nsym = r->nsym;
    ar_run_episode *ep = &r->episodes[0];
    s->agents = calloc(ep->nagents ? ep->nagents : 1, sizeof *s->agents);
    if (s->agents == NULL) {
        e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    s->nagents = ep->nagents;
    if ((ds = H5Dopen2(file, "/episodes/0/ticks", H5P_DEFAULT)) >= 0) {
        hsize_t n = extent(ds);
        ar_tick_rec *t = n ? calloc((size_t)n, sizeof *t) : NULL;
        hid_t tmt = ar__mem_type(&tick_table);
        if (t && tmt >= 0 && H5Dread(ds, tmt, H5S_ALL, H5S_ALL, ar__xfer(), t) >= 0) {
            while (n > 0 && t[n - 1].t == 0) n--; /* never written (crash) */
            s->nticks = (size_t)n;
            s->last_tick_t = n ? t[n - 1].t : 0;
        }
        if (tmt >= 0) H5Tclose(tmt);
        free(t);
        H5Dclose(ds);
        ds = -1;
    }
    mt = ar__mem_type(&state_table);
    for (size_t i = 0; i < ep->nagents && !e; i++) {
        ar_run_agent *ra = &ep->agents[i];
        ar_live_agent_state *as = &s->agents[i];
        snprintf(as->name, sizeof as->name, "%s", ra->name);
        as->norders = ra->norders;
        as->nfills = ra->nfills;
        as->ndecisions = ra->ndecisions;
        as->last_equity = ra->nequity ? ra->equity[ra->nequity - 1].equity : NAN;
        as->last_equity_t = ra->nequity ? ra->equity[ra->nequity - 1].t : 0;
        char p[160];
        snprintf(p, sizeof p, "/episodes/0/agents/%s/state", ra->name);
        ds = H5Dopen2(file, p, H5P_DEFAULT);
        if (ds < 0) {
            e = ar_errf(eb, AR_EFORMAT, "%s: %s: missing dataset", path, p);
            break;
        }
        size_t n = (size_t)extent(ds);
        ar_live_state_rec *rows = calloc(n ? n : 1, sizeof *rows);
        if (rows == NULL || mt < 0 || (n && H5Dread(ds, mt, H5S_ALL, H5S_ALL, ar__xfer(), rows) < 0))
            e = ar_errf(eb, AR_EIO, "%s: %s: cannot read", path, p);
        H5Dclose(ds);
        ds = -1;
        long k = e ? -1 : last_snapshot(rows, n, s->nsym);
        size_t from = 0; /* fills already in the snapshot */
        if (k >= 0) {
            const ar_live_state_rec *sn = &rows[k];
            as->have = 1;
            as->t = sn->t;
            as->cash = sn->cash;
            as->equity = sn->equity;
            as->fees = sn->fees;
            as->funding = sn->funding;
            as->pos = calloc(s->nsym, sizeof *as->pos);
            if (as->pos == NULL) e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
            for (size_t y = 0; y < s->nsym && !e; y++)
                as->pos[y] = (ar_position){.qty = sn[y].qty, .entry = sn[y].entry, .margin = sn[y].margin,
                                           .leverage = sn[y].leverage, .tp = sn[y].tp, .sl = sn[y].sl,
                                           .liq = sn[y].liq, .t_open = sn[y].t_open};
            from = sn->nfills < 0 ? 0 : (size_t)sn->nfills;
            if (from > ra->nfills) from = ra->nfills;
        }
        free(rows);
        if (!e && ra->nfills > from) {
            as->nfills_after = ra->nfills - from;
            as->fills_after = malloc(as->nfills_after * sizeof *as->fills_after);
            if (as->fills_after == NULL) e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
            else memcpy(as->fills_after, ra->fills + from, as->nfills_after * sizeof *as->fills_after);
        }
    }
done:
    if (mt >= 0) H5Tclose(mt);
    if (file >= 0) H5Fclose(file);
    ar_run_free(r);
    if (e) {
        ar_live_state_free(s);
        return e;
    }
    *out = s;
    return AR_OK;
}
