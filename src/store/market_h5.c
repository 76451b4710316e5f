/* src/store/market_h5.c - market files (layout in docs/DATA.md).
 *
 * Root attributes format="arena-market", version=1, source; /symbols (fixed
 * strings, market order); /bars/SYM {t,open,high,low,close,volume} with
 * attributes interval / interval_ns; /trades/SYM {t,price,qty,side};
 * /funding/SYM {t,rate}. File types are packed little-endian compounds, so
 * pandas/h5py see plain record arrays. Object time tracking is off on the
 * file, every group and every dataset: identical content, identical bytes.
 *
 * Writers build "<path>.tmp-PID" and rename it over path only when complete.
 * Append mode reads the existing file, merges, and rewrites it the same way:
 * simple, and a crash never leaves a half-merged file. Debian's HDF5 is a
 * thread-safe build (H5is_library_threadsafe) that serialises its calls;
 * a market being read belongs to one thread until it is returned. */
#define _GNU_SOURCE /* MAP_POPULATE */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <hdf5.h>
#include "arena/store.h"
#include "arena/util.h"
#include "store/store_int.h"

#define FORMAT_NAME "arena-market"
#define FORMAT_VERSION 1
#define CHUNK_ROWS 65536

/* In-memory records: their layout equals the packed file layout for bars and
 * funding, so HDF5 copies without conversion. Bars are the market's own rows. */
typedef ar_bar bar_rec;
_Static_assert(sizeof(bar_rec) == 48, "ar_bar is the packed file record");
typedef struct trade_rec {
    int64_t t;
    double price, qty;
    int8_t side;
} trade_rec;
typedef struct funding_rec {
    int64_t t;
    double rate;
} funding_rec;

/* ---- types ---------------------------------------------------------------- */

static hid_t bar_type(int file) {
    hid_t t = H5Tcreate(H5T_COMPOUND, file ? 48 : sizeof(bar_rec));
    hid_t i64 = file ? H5T_STD_I64LE : H5T_NATIVE_INT64, f64 = file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
    H5Tinsert(t, "t", file ? 0 : HOFFSET(bar_rec, t), i64);
    H5Tinsert(t, "open", file ? 8 : HOFFSET(bar_rec, open), f64);
    H5Tinsert(t, "high", file ? 16 : HOFFSET(bar_rec, high), f64);
    H5Tinsert(t, "low", file ? 24 : HOFFSET(bar_rec, low), f64);
    H5Tinsert(t, "close", file ? 32 : HOFFSET(bar_rec, close), f64);
    H5Tinsert(t, "volume", file ? 40 : HOFFSET(bar_rec, volume), f64);
    return t;
}

static hid_t trade_type(int file) {
    hid_t t = H5Tcreate(H5T_COMPOUND, file ? 25 : sizeof(trade_rec));
    H5Tinsert(t, "t", file ? 0 : HOFFSET(trade_rec, t), file ? H5T_STD_I64LE : H5T_NATIVE_INT64);
    H5Tinsert(t, "price", file ? 8 : HOFFSET(trade_rec, price), file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "qty", file ? 16 : HOFFSET(trade_rec, qty), file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "side", file ? 24 : HOFFSET(trade_rec, side), file ? H5T_STD_I8LE : H5T_NATIVE_INT8);
    return t;
}

static hid_t funding_type(int file) {
    hid_t t = H5Tcreate(H5T_COMPOUND, file ? 16 : sizeof(funding_rec));
    H5Tinsert(t, "t", file ? 0 : HOFFSET(funding_rec, t), file ? H5T_STD_I64LE : H5T_NATIVE_INT64);
    H5Tinsert(t, "rate", file ? 8 : HOFFSET(funding_rec, rate), file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE);
    return t;
}

/* ---- writing ---------------------------------------------------------------- */

static herr_t write_str_attr(hid_t loc, const char *name, const char *val) {
    size_t len = strlen(val);
    hid_t ty = H5Tcopy(H5T_C_S1);
    H5Tset_size(ty, len ? len : 1);
    H5Tset_strpad(ty, H5T_STR_NULLPAD);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ty, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, ty, len ? val : "");
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(ty);
    return st;
}

static herr_t write_int_attr(hid_t loc, const char *name, hid_t ftype, int64_t v) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_INT64, &v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return st;
}

typedef void (*fill_fn)(const ar_symbol *s, size_t from, size_t n, void *buf);

static void fill_bars(const ar_symbol *s, size_t from, size_t n, void *buf) {
    memcpy(buf, &s->bars.row[from], n * sizeof(bar_rec));
}

static void fill_trades(const ar_symbol *s, size_t from, size_t n, void *buf) {
    trade_rec *r = buf;
    memset(r, 0, n * sizeof *r); /* padding bytes never reach the file, but keep them defined */
    for (size_t i = 0; i < n; i++) {
        size_t k = from + i;
        r[i].t = s->trades.t[k];
        r[i].price = s->trades.price[k];
        r[i].qty = s->trades.qty[k];
        r[i].side = s->trades.side[k];
    }
}

static void fill_funding(const ar_symbol *s, size_t from, size_t n, void *buf) {
    funding_rec *r = buf;
    for (size_t i = 0; i < n; i++) r[i] = (funding_rec){s->funding.t[from + i], s->funding.rate[from + i]};
}

/* Chunked 1-D dataset grp/name of n records, filled CHUNK_ROWS at a time. */
static hid_t write_table(hid_t grp, const char *name, hid_t ftype, hid_t mtype, size_t recsz,
                         const ar_symbol *s, size_t n, fill_fn fill) {
    hsize_t dims = n, maxd = H5S_UNLIMITED, chunk = n < CHUNK_ROWS ? (n ? n : 1) : CHUNK_ROWS;
    hid_t sp = H5Screate_simple(1, &dims, &maxd);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    H5Pset_chunk(dcpl, 1, &chunk);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    hid_t d = H5Dcreate2(grp, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    void *buf = d >= 0 && n ? malloc((n < CHUNK_ROWS ? n : CHUNK_ROWS) * recsz) : NULL;
    ar_sha256 *h = ar_sha256_begin();
    int ok = d >= 0 && (n == 0 || buf != NULL) && h != NULL;
    for (size_t from = 0; ok && from < n; from += CHUNK_ROWS) {
        size_t cnt = n - from < CHUNK_ROWS ? n - from : CHUNK_ROWS;
        fill(s, from, cnt, buf);
        ar_sha256_update(h, buf, cnt * recsz);
        hsize_t off = from, c = cnt;
        hid_t ms = H5Screate_simple(1, &c, NULL);
        H5Sselect_hyperslab(sp, H5S_SELECT_SET, &off, NULL, &c, NULL);
        if (H5Dwrite(d, mtype, ms, sp, H5P_DEFAULT, buf) < 0) ok = 0;
        H5Sclose(ms);
    }
    free(buf);
    H5Sclose(sp);
    /* The content hash lets a run name its data exactly without re-reading
     * the whole file (docs/DATA.md, "sha256"). */
    char hex[65];
    ar_sha256_end(h, hex);
    if (ok && write_str_attr(d, "sha256", hex) < 0) ok = 0;
    if (!ok) {
        if (d >= 0) H5Dclose(d);
        return -1;
    }
    return d;
}

static hid_t make_group(hid_t f, const char *name) {
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    return g;
}

static int bad_name(const char *n) {
    return n[0] == '\0' || strchr(n, '/') != NULL || !strcmp(n, ".") || !strcmp(n, "..");
}

static ar_err write_file(const char *tmp, const char *path, const ar_market *m, ar_errbuf *eb) {
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_obj_track_times(fcpl, 0);
    /* every object at a multiple of 8 bytes, so that the bars of every
     * symbol can be mapped where they lie (map_bars), whatever came before
     * them (25-byte trade records, say) */
    H5Pset_alignment(fapl, 1, 8);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (f < 0) return ar_errf(eb, AR_EIO, "%s: cannot create %s", path, tmp);
    const char *fail = NULL;
    char what[160] = "";
    hid_t gb = -1, gt = -1, gf = -1;
    hid_t bf = bar_type(1), bm = bar_type(0), tf = trade_type(1), tm = trade_type(0);
    hid_t ff = funding_type(1), fm = funding_type(0);
    if (write_str_attr(f, "format", FORMAT_NAME) < 0 || write_int_attr(f, "version", H5T_STD_I32LE, FORMAT_VERSION) < 0 ||
        write_str_attr(f, "source", m->source) < 0) {
        fail = "root attributes";
        goto out;
    }
    { /* /symbols */
        hsize_t n = m->nsym;
        hid_t ty = H5Tcopy(H5T_C_S1);
        H5Tset_size(ty, AR_SYM_MAX);
        H5Tset_strpad(ty, H5T_STR_NULLPAD);
        char *names = calloc(m->nsym ? m->nsym : 1, AR_SYM_MAX);
        for (size_t i = 0; names && i < m->nsym; i++) memcpy(names + i * AR_SYM_MAX, m->sym[i].name, AR_SYM_MAX);
        hid_t sp = H5Screate_simple(1, &n, NULL);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_obj_track_times(dcpl, 0);
        hid_t d = names ? H5Dcreate2(f, "symbols", ty, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1;
        herr_t st = d < 0 ? -1 : (m->nsym ? H5Dwrite(d, ty, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) : 0);
        if (d >= 0) H5Dclose(d);
        H5Pclose(dcpl);
        H5Sclose(sp);
        H5Tclose(ty);
        free(names);
        if (st < 0) {
            fail = "/symbols";
            goto out;
        }
    }
    gb = make_group(f, "bars");
    gt = make_group(f, "trades");
    gf = make_group(f, "funding");
    if (gb < 0 || gt < 0 || gf < 0) {
        fail = "groups";
        goto out;
    }
    for (size_t i = 0; i < m->nsym; i++) {
        const ar_symbol *s = &m->sym[i];
        snprintf(what, sizeof what, "/bars/%s", s->name);
        if (s->bars.n) {
            hid_t d = write_table(gb, s->name, bf, bm, sizeof(bar_rec), s, s->bars.n, fill_bars);
            if (d < 0) {
                fail = what;
                goto out;
            }
            char iv[32];
            ar_duration_format(s->interval, iv, sizeof iv);
            herr_t st = write_str_attr(d, "interval", iv);
            if (st >= 0) st = write_int_attr(d, "interval_ns", H5T_STD_I64LE, s->interval);
            H5Dclose(d);
            if (st < 0) {
                fail = what;
                goto out;
            }
        }
        snprintf(what, sizeof what, "/trades/%s", s->name);
        if (s->trades.n) {
            hid_t d = write_table(gt, s->name, tf, tm, sizeof(trade_rec), s, s->trades.n, fill_trades);
            if (d < 0) {
                fail = what;
                goto out;
            }
            H5Dclose(d);
        }
        snprintf(what, sizeof what, "/funding/%s", s->name);
        if (s->funding.n) {
            hid_t d = write_table(gf, s->name, ff, fm, sizeof(funding_rec), s, s->funding.n, fill_funding);
            if (d < 0) {
                fail = what;
                goto out;
            }
            H5Dclose(d);
        }
    }
out:
    if (gb >= 0) H5Gclose(gb);
    if (gt >= 0) H5Gclose(gt);
    if (gf >= 0) H5Gclose(gf);
    H5Tclose(bf);
    H5Tclose(bm);
    H5Tclose(tf);
    H5Tclose(tm);
    H5Tclose(ff);
    H5Tclose(fm);
    if (H5Fclose(f) < 0 && fail == NULL) fail = "closing the file";
    if (fail) return ar_errf(eb, AR_EIO, "%s: cannot write %s (disk full or not writable?)", path, fail);
    return AR_OK;
}

ar_err ar_market_h5_write(const char *path, const ar_market *m, int append, ar_errbuf *eb) {
    if (path == NULL || m == NULL) return ar_errf(eb, AR_EINVAL, "ar_market_h5_write: NULL argument");
    for (size_t i = 0; i < m->nsym; i++)
        if (bad_name(m->sym[i].name))
            return ar_errf(eb, AR_EINVAL, "%s: symbol name '%s' cannot be an HDF5 dataset name (expected no '/', not '.' or '..')",
                           path, m->sym[i].name);
    ar_market *old = NULL;
    ar_market merged;
    const ar_market *w = m;
    if (append && access(path, F_OK) == 0) {
        ar_err e = ar_market_h5_read(path, NULL, 0, &old, eb);
        if (e != AR_OK) return e;
        /* Shallow merge: the old file's symbols in their order, replaced by m's
         * of the same name, then m's new ones. Arrays stay owned by old / m. */
        memset(&merged, 0, sizeof merged);
        merged.sym = malloc((old->nsym + m->nsym) * sizeof *merged.sym + 1);
        if (merged.sym == NULL) {
            ar_market_free(old);
            return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
        }
        for (size_t i = 0; i < old->nsym; i++) {
            int k = ar_market_find(m, old->sym[i].name);
            merged.sym[merged.nsym++] = k >= 0 ? m->sym[k] : old->sym[i];
        }
        for (size_t i = 0; i < m->nsym; i++)
            if (ar_market_find(old, m->sym[i].name) < 0) merged.sym[merged.nsym++] = m->sym[i];
        snprintf(merged.source, sizeof merged.source, "%s", m->source[0] ? m->source : old->source);
        w = &merged;
    }
    size_t tl = strlen(path) + 40;
    char *tmp = malloc(tl);
    ar_err e = AR_OK;
    if (tmp == NULL) {
        e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    } else {
        ar_tmp_path(path, tmp, tl);
        e = write_file(tmp, path, w, eb);
        if (e == AR_OK && rename(tmp, path) != 0)
            e = ar_errf(eb, AR_EIO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        if (e != AR_OK) unlink(tmp);
        free(tmp);
    }
    if (old) {
        free(merged.sym);
        ar_market_free(old);
    }
    return e;
}

/* ---- reading ------------------------------------------------------------------ */

/* String attribute (fixed or variable length) into buf; 0 ok, -1 missing/bad. */
static int read_str_attr(hid_t loc, const char *name, char *buf, size_t n) {
    buf[0] = '\0';
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t ft = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(ft) == H5T_STRING) {
        /* HDF5 does not convert between character sets: read in the
         * attribute's own (h5py writes str as variable-length UTF-8) */
        H5T_cset_t cs = H5Tget_cset(ft);
        if (H5Tis_variable_str(ft) > 0) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            if (cs >= 0) H5Tset_cset(mt, cs);
            char *s = NULL;
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(buf, n, "%s", s);
                H5free_memory(s);
                rc = 0;
            }
            H5Tclose(mt);
        } else {
            size_t sz = H5Tget_size(ft);
            char *tmp = calloc(1, sz + 1);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, sz);
            H5Tset_strpad(mt, H5T_STR_NULLPAD);
            if (cs >= 0) H5Tset_cset(mt, cs);
            if (tmp && H5Aread(a, mt, tmp) >= 0) {
                snprintf(buf, n, "%s", tmp);
                rc = 0;
            }
            H5Tclose(mt);
            free(tmp);
        }
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

static int read_int_attr(hid_t loc, const char *name, int64_t *v) {
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    herr_t st = H5Aread(a, H5T_NATIVE_INT64, v);
    H5Aclose(a);
    return st < 0 ? -1 : 0;
}

static int link_exists(hid_t f, const char *grp, const char *name) {
    char p[AR_SYM_MAX + 16];
    snprintf(p, sizeof p, "/%s", grp);
    if (H5Lexists(f, p, H5P_DEFAULT) <= 0) return 0;
    snprintf(p, sizeof p, "/%s/%s", grp, name);
    return H5Lexists(f, p, H5P_DEFAULT) > 0;
}

/* Open /grp/name; its row count in *n. The dataset must be 1-D. */
static hid_t open_table(hid_t f, const char *grp, const char *name, size_t *n) {
    char p[AR_SYM_MAX + 16];
    snprintf(p, sizeof p, "/%s/%s", grp, name);
    hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int nd = H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    if (nd != 1) {
        H5Dclose(d);
        return -1;
    }
    *n = (size_t)dims[0];
    return d;
}

/* The dataset's "sha256" attribute, or "" when the file has none. */
static void dataset_sha(hid_t d, char out[65]);

/* Bars are used where they lie when the file allows it: a read-only
 * mapping of the dataset's bytes, populated at once from the page cache
 * (map_bars). No copy, no fresh memory: on the VM of docs/BENCHMARKS.md,
 * reading 500k bars into memory took 12-18 ms, most of it the first touch of
 * 24 MB of fresh pages; mapping and scanning them takes about 2 ms. The
 * bytes must be exactly ar_bar's: our own packed little-endian record on a
 * little-endian host, no filter, and all rows in one run of the file (a
 * contiguous dataset, or chunks allocated in order back to back, which is
 * how arena and h5py write them); any other file is read with H5Dread,
 * which converts (read_bars). Files are never rewritten in place (writers
 * rename a new file over the old), so the mapped rows cannot change under
 * a run. */
static int map_bars(hid_t d, size_t n, ar_bars *b) {
    if (n == 0) return -1;
    /* the file the rows are in: the market file, or another one when
     * /bars/SYM is an external link */
    hid_t f = H5Iget_file_id(d);
    hid_t ft = H5Dget_type(d), mt = bar_type(0), dcpl = H5Dget_create_plist(d);
    hid_t fcpl = f >= 0 ? H5Fget_create_plist(f) : -1, fapl = f >= 0 ? H5Fget_access_plist(f) : -1;
    hsize_t ub = 1;
    int ok = ft >= 0 && H5Tequal(ft, mt) > 0 && dcpl >= 0 && H5Pget_nfilters(dcpl) == 0 && fcpl >= 0 &&
             H5Pget_userblock(fcpl, &ub) >= 0 && ub == 0 && fapl >= 0 && H5Pget_driver(fapl) == H5FD_SEC2;
    haddr_t addr = HADDR_UNDEF;
    size_t bytes = n * sizeof(ar_bar), extent = bytes; /* extent: what the file must hold from addr on */
    if (ok && H5Pget_layout(dcpl) == H5D_CONTIGUOUS) {
        addr = H5Dget_offset(d);
    } else if (ok && H5Pget_layout(dcpl) == H5D_CHUNKED) {
        hsize_t chunk = 0, nch = 0;
        hid_t fs = H5Dget_space(d);
        ok = H5Pget_chunk(dcpl, 1, &chunk) == 1 && chunk > 0 && fs >= 0 && H5Dget_num_chunks(d, fs, &nch) >= 0 &&
             nch == (n + chunk - 1) / chunk;
        for (hsize_t i = 0; ok && i < nch; i++) {
            hsize_t off = 0, size = 0;
            unsigned mask = 0;
            haddr_t at = HADDR_UNDEF;
            ok = H5Dget_chunk_info(d, fs, i, &off, &mask, &at, &size) >= 0 && at != HADDR_UNDEF &&
                 off == i * chunk && size == chunk * sizeof(ar_bar) && (i == 0 || at == addr + off * sizeof(ar_bar));
            if (i == 0) addr = at;
        }
        if (fs >= 0) H5Sclose(fs);
        if (!ok) addr = HADDR_UNDEF;
        extent = (size_t)(nch * chunk) * sizeof(ar_bar); /* the last chunk whole, as HDF5 reads it */
    }
    void *vh = NULL;
    struct stat st;
    /* the rows must also lie where an ar_bar may (HDF5 puts data at any
     * byte: after 25-byte trade records, say), else they are read */
    ok = ok && addr != HADDR_UNDEF && addr % _Alignof(ar_bar) == 0 && H5Fget_vfd_handle(f, fapl, &vh) >= 0 && vh != NULL &&
         fstat(*(int *)vh, &st) == 0 && (uint64_t)st.st_size >= (uint64_t)addr + extent;
    if (ok) {
        long pg = sysconf(_SC_PAGESIZE);
        size_t lead = (size_t)(addr % (haddr_t)(pg > 0 ? pg : 4096));
        void *p = mmap(NULL, bytes + lead, PROT_READ, MAP_PRIVATE | MAP_POPULATE, *(int *)vh, (off_t)(addr - lead));
        if (p == MAP_FAILED) {
            ok = 0;
        } else {
            b->map = p;
            b->map_len = bytes + lead;
            b->row = (ar_bar *)((char *)p + lead);
            b->n = n;
        }
    }
    if (fapl >= 0) H5Pclose(fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (ft >= 0) H5Tclose(ft);
    if (f >= 0) H5Fclose(f);
    H5Tclose(mt);
    return ok ? 0 : -1;
}

/* The bars of d: mapped (map_bars) when map is set and the file allows it,
 * else read into memory with H5Dread, which converts any other layout,
 * chunking, filter or byte order. h, when not NULL, hashes the rows as
 * ar_bar records. */
static ar_err read_bars(hid_t d, size_t n, int map, int novol, ar_bars *b, ar_sha256 *h) {
    if (!map || getenv("ARENA_NO_MAP") != NULL || map_bars(d, n, b) != 0) {
        if (ar_bars_reserve(b, n) != AR_OK) return AR_ENOMEM;
        if (novol && n) memset(b->row, 0, n * sizeof *b->row); /* H5Dread leaves a missing field alone */
        hid_t mt = bar_type(0);
        herr_t st = n ? H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, b->row) : 0;
        H5Tclose(mt);
        if (st < 0) return AR_EFORMAT;
        b->n = n;
    }
    if (h) ar_sha256_update(h, b->row, n * sizeof *b->row);
    return AR_OK;
}

static ar_err read_trades(hid_t d, size_t n, ar_trades *tr, ar_sha256 *h) {
    trade_rec *r = calloc(n + 1, sizeof *r); /* zeroed: padding is hashed */
    if (r == NULL) return AR_ENOMEM;
    hid_t mt = trade_type(0);
    herr_t st = n ? H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, r) : 0;
    H5Tclose(mt);
    ar_err e = st < 0 ? AR_EFORMAT : AR_OK;
    if (e == AR_OK && h) ar_sha256_update(h, r, n * sizeof *r);
    for (size_t i = 0; e == AR_OK && i < n; i++)
        e = ar_trades_push(tr, r[i].t, r[i].price, r[i].qty, r[i].side);
    free(r);
    return e;
}

static ar_err read_funding(hid_t d, size_t n, ar_funding *fu, ar_sha256 *h) {
    funding_rec *r = malloc(n * sizeof *r + 1);
    if (r == NULL) return AR_ENOMEM;
    hid_t mt = funding_type(0);
    herr_t st = n ? H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, r) : 0;
    H5Tclose(mt);
    ar_err e = st < 0 ? AR_EFORMAT : AR_OK;
    if (e == AR_OK && h) ar_sha256_update(h, r, n * sizeof *r);
    for (size_t i = 0; e == AR_OK && i < n; i++) e = ar_funding_push(fu, r[i].t, r[i].rate);
    free(r);
    return e;
}

/* The engine relies on ordered series; a file edited by hand may not be. */
static ar_err order_error(const char *path, const char *what, const char *name, size_t i, int strict,
                          ar_errbuf *eb) {
    return ar_errf(eb, AR_EFORMAT, "%s: /%s/%s row %zu: time not after row %zu (expected %s times)", path, what, name,
                   i, i - 1, strict ? "strictly increasing" : "non-decreasing");
}

static ar_err check_bars_order(const char *path, const char *name, const ar_bar *row, size_t n, ar_errbuf *eb) {
    for (size_t i = 1; i < n; i++)
        if (row[i].t <= row[i - 1].t) return order_error(path, "bars", name, i, 1, eb);
    return AR_OK;
}

static ar_err check_order(const char *path, const char *what, const char *name, const int64_t *t, size_t n,
                          int strict, ar_errbuf *eb) {
    for (size_t i = 1; i < n; i++)
        if (t[i] < t[i - 1] || (strict && t[i] == t[i - 1]))
            return order_error(path, what, name, i, strict, eb);
    return AR_OK;
}

static void dataset_sha(hid_t d, char out[65]) {
    out[0] = '\0';
    if (read_str_attr(d, "sha256", out, 65) != 0 || strlen(out) != 64) out[0] = '\0';
}

/* Use the stored hash when there is one, else hash the records as read;
 * with verify, hash them anyway (stored keeps the attribute's value). */
static ar_sha256 *maybe_hash(hid_t d, char sha[65], int verify, char stored[65]) {
    dataset_sha(d, stored);
    memcpy(sha, stored, 65);
    return sha[0] && !verify ? NULL : ar_sha256_begin();
}

/* After a verifying read: the rows must hash to the stored value. */
static ar_err check_stored(const char *path, const char *group, const char *name, const char *stored,
                           const char *sha, ar_errbuf *eb) {
    if (stored[0] == '\0' || strcmp(stored, sha) == 0) return AR_OK;
    return ar_errf(eb, AR_EFORMAT,
                   "%s: /%s/%s: the rows do not match their sha256 attribute (edited since arena wrote them: "
                   "delete the attribute, or import the data again)",
                   path, group, name);
}

/* ---- windowed bars ---------------------------------------------------------
 * ar_market_h5_read_windowed: the bars of each symbol stay in the file and
 * are read block by block as the engine pins them (include/arena/market.h).
 * Opening reads them once, block by block, for what a whole read checks and
 * learns: strictly increasing times (the same error), the content hash when
 * the file stores none, each block's first time, the last time and the
 * longest run of rows with a bad price. */

typedef struct win_ctx {
    hid_t file, ds, mt;
    bar_rec *buf; /* AR_BARS_BLOCK records */
    int novol;    /* the file has no volume field: rows are zeroed before each read */
} win_ctx;

static void win_ctx_free(void *p) {
    win_ctx *c = p;
    if (c == NULL) return;
    if (c->mt >= 0) H5Tclose(c->mt);
    if (c->ds >= 0) H5Dclose(c->ds);
    if (c->file >= 0) H5Fclose(c->file);
    free(c->buf);
    free(c);
}

/* Rows [from, from + n) of the dataset into dst. */
static ar_err win_read(win_ctx *c, size_t from, size_t n, bar_rec *dst) {
    if (c->novol) memset(dst, 0, n * sizeof *dst); /* (a reused block holds other rows) */
    hsize_t off = from, cnt = n;
    hid_t fs = H5Dget_space(c->ds), ms = H5Screate_simple(1, &cnt, NULL);
    herr_t st = fs >= 0 && ms >= 0 ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, &off, NULL, &cnt, NULL) : -1;
    if (st >= 0) st = H5Dread(c->ds, c->mt, ms, fs, H5P_DEFAULT, dst);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
    return st < 0 ? AR_EFORMAT : AR_OK;
}

static ar_err win_load(void *ctx, size_t from, size_t n, ar_bars *b, ar_errbuf *eb) {
    win_ctx *c = ctx;
    if (win_read(c, from, n, &b->row[from]))
        return ar_errf(eb, AR_EIO, "cannot read bars %zu..%zu from the market file", from, from + n);
    return AR_OK;
}

static ar_err read_bars_windowed(const char *path, const char *name, size_t n, int sums, int novol, ar_bars *b,
                                 ar_sha256 *h, ar_errbuf *eb) {
    if (n == 0) return AR_OK;
    win_ctx *c = calloc(1, sizeof *c);
    size_t nblk = (n + AR_BARS_BLOCK - 1) / AR_BARS_BLOCK;
    int64_t *t0 = malloc(nblk * sizeof *t0);
    double *s0 = sums ? malloc(3 * nblk * sizeof *s0) : NULL, *pc = sums ? malloc(nblk * sizeof *pc) : NULL;
    if (c == NULL || t0 == NULL || (sums && (s0 == NULL || pc == NULL)) ||
        (c->buf = malloc(AR_BARS_BLOCK * sizeof *c->buf)) == NULL) {
        free(t0);
        free(s0);
        free(pc);
        if (c) free(c->buf);
        free(c);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    c->ds = c->mt = -1;
    c->novol = novol;
    char p[AR_SYM_MAX + 16];
    snprintf(p, sizeof p, "/bars/%s", name);
    c->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (c->file >= 0) c->ds = H5Dopen2(c->file, p, H5P_DEFAULT);
    c->mt = bar_type(0);
    ar_err e = c->file < 0 || c->ds < 0 ? ar_errf(eb, AR_EIO, "%s: cannot open %s", path, p) : AR_OK;
    int64_t prev = 0, last = 0;
    size_t bad = 0, maxbad = 0;
    int64_t minstep = 0;
    double acc[3] = {0, 0, 0}, prevc = 0; /* the sqrt slippage sums, as exec makes them */
    for (size_t k = 0; k < nblk && !e; k++) {
        size_t from = k * AR_BARS_BLOCK, cnt = n - from < AR_BARS_BLOCK ? n - from : AR_BARS_BLOCK;
        if (win_read(c, from, cnt, c->buf)) {
            e = ar_errf(eb, AR_EFORMAT, "%s: cannot read /bars/%s (expected fields t,open,high,low,close,volume)",
                        path, name);
            break;
        }
        if (h) ar_sha256_update(h, c->buf, cnt * sizeof *c->buf);
        t0[k] = c->buf[0].t;
        if (sums) {
            memcpy(&s0[3 * k], acc, sizeof acc);
            pc[k] = prevc;
        }
        for (size_t i = 0; i < cnt && !e; i++) {
            size_t row = from + i;
            if (sums) {
                ar_sums_step(row, c->buf[i].volume, c->buf[i].close, prevc, acc, acc);
                prevc = c->buf[i].close;
            }
            if (row > 0 && (minstep == 0 || c->buf[i].t - prev < minstep)) minstep = c->buf[i].t - prev;
            if (row > 0 && c->buf[i].t <= prev)
                e = ar_errf(eb, AR_EFORMAT,
                            "%s: /bars/%s row %zu: time not after row %zu (expected strictly increasing times)", path,
                            name, row, row - 1);
            prev = last = c->buf[i].t;
            const bar_rec *x = &c->buf[i];
            bad = ar_bar_prices_ok(x->open, x->high, x->low, x->close) ? 0 : bad + 1;
            if (bad > maxbad) maxbad = bad;
        }
    }
    if (!e) {
        e = ar_bars_window(b, n, t0, last, maxbad, win_load, c, win_ctx_free, eb);
        if (e) {
            win_ctx_free(c);
        } else {
            ar_bars_window_set_min_step(b, minstep);
            if (sums) e = ar_bars_window_sums(b, s0, pc, eb); /* (b owns c now) */
        }
    } else {
        win_ctx_free(c);
    }
    free(t0);
    free(s0);
    free(pc);
    return e;
}

#define READ_VERIFY 4 /* market_read: hash every dataset and check the stored hashes */
#define READ_MAP 8    /* market_read: bars may be mapped (map_bars) */

static ar_err read_symbol(hid_t f, const char *path, ar_symbol *s, int windowed, ar_errbuf *eb) {
    int sums = windowed & AR_WINDOW_SUMS, verify = windowed & READ_VERIFY, map = windowed & READ_MAP;
    windowed &= ~(READ_VERIFY | READ_MAP);
    size_t n = 0;
    ar_err e;
    char sha[3][65] = {"", "", ""}, stored[3][65];
    ar_sha256 *h;
    if (link_exists(f, "bars", s->name)) {
        hid_t d = open_table(f, "bars", s->name, &n);
        if (d < 0) return ar_errf(eb, AR_EFORMAT, "%s: /bars/%s is not a 1-D table", path, s->name);
        /* every price field and the time must be there; volume may be
         * missing (0, as a CSV without it imports) */
        static const char *const need[] = {"t", "open", "high", "low", "close"};
        hid_t ft = H5Dget_type(d);
        int compound = ft >= 0 && H5Tget_class(ft) == H5T_COMPOUND, novol = compound && H5Tget_member_index(ft, "volume") < 0;
        for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
            if (!compound || H5Tget_member_index(ft, need[k]) < 0) {
                if (ft >= 0) H5Tclose(ft);
                H5Dclose(d);
                return ar_errf(eb, AR_EFORMAT, "%s: /bars/%s has no field '%s' (expected fields t,open,high,low,close,volume)",
                               path, s->name, need[k]);
            }
        H5Tclose(ft);
        int64_t iv = 0;
        char ivs[32];
        ar_errbuf ignore;
        /* interval_ns, else the interval string (a file written by hand may
         * carry only that); neither: 0, which a run refuses */
        if ((read_int_attr(d, "interval_ns", &iv) != 0 || iv <= 0) && read_str_attr(d, "interval", ivs, sizeof ivs) == 0 &&
            ar_duration_parse(ivs, &iv, &ignore) != AR_OK)
            iv = 0;
        s->interval = iv > 0 ? iv : 0;
        h = maybe_hash(d, sha[0], verify, stored[0]);
        if (windowed) {
            H5Dclose(d);
            e = read_bars_windowed(path, s->name, n, sums, novol, &s->bars, h, eb);
            if (h) ar_sha256_end(h, sha[0]);
            if (e != AR_OK) return e;
            if ((e = check_stored(path, "bars", s->name, stored[0], sha[0], eb))) return e;
        } else {
            e = read_bars(d, n, map, novol, &s->bars, h);
            if (h) ar_sha256_end(h, sha[0]);
            H5Dclose(d);
            if (e != AR_OK)
                return ar_errf(eb, e, "%s: cannot read /bars/%s (expected fields t,open,high,low,close,volume)", path,
                               s->name);
            if ((e = check_bars_order(path, s->name, s->bars.row, s->bars.n, eb)) != AR_OK) return e;
            if ((e = check_stored(path, "bars", s->name, stored[0], sha[0], eb))) return e;
        }
    }
    if (link_exists(f, "trades", s->name)) {
        hid_t d = open_table(f, "trades", s->name, &n);
        if (d < 0) return ar_errf(eb, AR_EFORMAT, "%s: /trades/%s is not a 1-D table", path, s->name);
        h = maybe_hash(d, sha[1], verify, stored[1]);
        e = read_trades(d, n, &s->trades, h);
        if (h) ar_sha256_end(h, sha[1]);
        H5Dclose(d);
        if (e != AR_OK)
            return ar_errf(eb, e, "%s: cannot read /trades/%s (expected fields t,price,qty,side)", path, s->name);
        if ((e = check_order(path, "trades", s->name, s->trades.t, s->trades.n, 0, eb)) != AR_OK) return e;
        if ((e = check_stored(path, "trades", s->name, stored[1], sha[1], eb))) return e;
    }
    if (link_exists(f, "funding", s->name)) {
        hid_t d = open_table(f, "funding", s->name, &n);
        if (d < 0) return ar_errf(eb, AR_EFORMAT, "%s: /funding/%s is not a 1-D table", path, s->name);
        h = maybe_hash(d, sha[2], verify, stored[2]);
        e = read_funding(d, n, &s->funding, h);
        if (h) ar_sha256_end(h, sha[2]);
        H5Dclose(d);
        if (e != AR_OK) return ar_errf(eb, e, "%s: cannot read /funding/%s (expected fields t,rate)", path, s->name);
        if ((e = check_order(path, "funding", s->name, s->funding.t, s->funding.n, 1, eb)) != AR_OK) return e;
        if ((e = check_stored(path, "funding", s->name, stored[2], sha[2], eb))) return e;
    }
    char all[3 * 64 + 1];
    snprintf(all, sizeof all, "%s%s%s", sha[0], sha[1], sha[2]);
    ar_sha256_hex(all, strlen(all), s->sha256);
    return AR_OK;
}

static ar_err market_read(const char *path, const char *const *names, size_t nnames, int windowed,
                          ar_market **out, ar_errbuf *eb);

ar_err ar_market_h5_count_bars(const char *path, const char *const *names, size_t nnames, size_t *rows,
                               ar_errbuf *eb) {
    *rows = 0;
    if (access(path, R_OK) != 0) return ar_errf(eb, AR_EIO, "%s: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0) return ar_errf(eb, AR_EFORMAT, "%s: not an HDF5 file (expected an arena market file)", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return ar__h5_open_failed(path, eb);
    hid_t g = H5Lexists(f, "bars", H5P_DEFAULT) > 0 ? H5Gopen2(f, "bars", H5P_DEFAULT) : -1;
    H5G_info_t gi;
    size_t nl = g >= 0 && H5Gget_info(g, &gi) >= 0 ? (size_t)gi.nlinks : 0;
    for (size_t i = 0; i < (names ? nnames : nl); i++) {
        char nm[AR_SYM_MAX] = "";
        if (names) snprintf(nm, sizeof nm, "%s", names[i]);
        else if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nm, sizeof nm, H5P_DEFAULT) < 0) continue;
        size_t n = 0;
        hid_t d = link_exists(f, "bars", nm) ? open_table(f, "bars", nm, &n) : -1;
        if (d >= 0) {
            *rows += n;
            H5Dclose(d);
        }
    }
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
    return AR_OK;
}

ar_err ar_market_h5_read(const char *path, const char *const *names, size_t nnames, ar_market **out,
                         ar_errbuf *eb) {
    return market_read(path, names, nnames, 0, out, eb);
}

ar_err ar_market_h5_read_mapped(const char *path, const char *const *names, size_t nnames, ar_market **out,
                                ar_errbuf *eb) {
    return market_read(path, names, nnames, READ_MAP, out, eb);
}

ar_err ar_market_h5_verify(const char *path, ar_errbuf *eb) {
    ar_market *m = NULL;
    ar_err e = market_read(path, NULL, 0, READ_VERIFY, &m, eb);
    ar_market_free(m);
    return e;
}

ar_err ar_market_h5_read_windowed(const char *path, const char *const *names, size_t nnames, int flags,
                                  ar_market **out, ar_errbuf *eb) {
    return market_read(path, names, nnames, 1 | (flags & AR_WINDOW_SUMS), out, eb);
}

static ar_err market_read(const char *path, const char *const *names, size_t nnames, int windowed,
                          ar_market **out, ar_errbuf *eb) {
    if (out) *out = NULL;
    if (path == NULL || out == NULL) return ar_errf(eb, AR_EINVAL, "ar_market_h5_read: NULL argument");
    if (access(path, R_OK) != 0) return ar_errf(eb, AR_EIO, "%s: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0) return ar_errf(eb, AR_EFORMAT, "%s: not an HDF5 file (expected an arena market file)", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return ar__h5_open_failed(path, eb);
    char buf[256];
    int64_t version = 0;
    ar_market *m = NULL;
    char *all = NULL;
    size_t nall = 0;
    ar_err e = AR_OK;
    if (read_str_attr(f, "format", buf, sizeof buf) != 0 || strcmp(buf, FORMAT_NAME) != 0) {
        e = ar_errf(eb, AR_EFORMAT, "%s: attribute format is '%s' (expected '%s')", path, buf, FORMAT_NAME);
        goto out;
    }
    if (read_int_attr(f, "version", &version) != 0 || version != FORMAT_VERSION) {
        e = ar_errf(eb, AR_EFORMAT, "%s: attribute version is %lld (expected %d)", path, (long long)version, FORMAT_VERSION);
        goto out;
    }
    { /* /symbols: fixed-length strings as we write them, or the
       * variable-length ones h5py writes for a list of str */
        hid_t d = H5Lexists(f, "/symbols", H5P_DEFAULT) > 0 ? H5Dopen2(f, "/symbols", H5P_DEFAULT) : -1;
        hid_t sp = d >= 0 ? H5Dget_space(d) : -1, ft = d >= 0 ? H5Dget_type(d) : -1;
        hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
        int vlen = ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, vlen ? H5T_VARIABLE : AR_SYM_MAX);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        if (ft >= 0 && H5Tget_class(ft) == H5T_STRING) H5Tset_cset(mt, H5Tget_cset(ft));
        char **v = NULL;
        if (np >= 0) {
            nall = (size_t)np;
            all = calloc(nall ? nall : 1, AR_SYM_MAX);
            if (vlen) v = calloc(nall ? nall : 1, sizeof *v);
        }
        herr_t st = all && (!vlen || v) && nall ? H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, vlen ? (void *)v : all)
                                                : (all ? 0 : -1);
        for (size_t i = 0; vlen && v && st >= 0 && i < nall; i++) {
            if (v[i] == NULL || strlen(v[i]) >= AR_SYM_MAX) st = -1; /* too long for a symbol */
            else memcpy(all + i * AR_SYM_MAX, v[i], strlen(v[i]) + 1);
        }
        if (v && np > 0) H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        free(v);
        H5Tclose(mt);
        if (ft >= 0) H5Tclose(ft);
        if (sp >= 0) H5Sclose(sp);
        if (d >= 0) H5Dclose(d);
        if (st < 0) {
            e = ar_errf(eb, AR_EFORMAT, "%s: cannot read /symbols (expected 1-D strings of at most %d bytes)", path,
                        AR_SYM_MAX - 1);
            goto out;
        }
    }
    m = ar_market_create();
    if (m == NULL) {
        e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    read_str_attr(f, "source", m->source, sizeof m->source);
    size_t want = names ? nnames : nall;
    for (size_t i = 0; i < want; i++) {
        const char *nm = names ? names[i] : all + i * AR_SYM_MAX;
        if (names) {
            size_t k = 0;
            while (k < nall && strncmp(all + k * AR_SYM_MAX, nm, AR_SYM_MAX) != 0) k++;
            if (k == nall) {
                char have[512] = "";
                size_t hl = 0;
                for (size_t j = 0; j < nall && hl + AR_SYM_MAX + 8 < sizeof have; j++)
                    hl += (size_t)snprintf(have + hl, sizeof have - hl, "%s%s", j ? ", " : "", all + j * AR_SYM_MAX);
                e = ar_errf(eb, AR_ENOTFOUND, "%s: symbol '%s' not found (have: %s)", path, nm, nall ? have : "none");
                goto out;
            }
        }
        int si = ar_market_add_symbol(m, nm);
        if (si < 0) {
            e = ar_errf(eb, AR_EFORMAT, "%s: symbol '%s' is empty, too long or repeated", path, nm);
            goto out;
        }
        if ((e = read_symbol(f, path, &m->sym[si], windowed, eb)) != AR_OK) goto out;
    }
out:
    free(all);
    H5Fclose(f);
    if (e != AR_OK) {
        ar_market_free(m);
        return e;
    }
    *out = m;
    return AR_OK;
}
