/* src/core/shard.c - shard files of a run: write after every finished
 * episode, find, read back, merge into the whole run (include/arena/shard.h).
 *
 * The merge rebuilds the run's prompt table exactly as the engine's
 * merge_prompts does: every episode's own prompt table, in episode order,
 * deduplicated in first-use order. That is why a shard keeps the episode
 * tables apart (their lengths are in the manifest's "shard" key) instead of
 * deduplicating across its episodes. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "arena/shard.h"
#include "core/episode_int.h"
#include "arena/util.h"

/* One stored episode. `agents` is our own array of shallow copies whose llm
 * arrays are our own copies with episode-local prompt ids; everything else
 * is borrowed (from the engine's run during the tournament, or from a loaded
 * shard file kept in ar_shard.loaded). */
typedef struct sh_ep {
    size_t index;
    ar_run_episode ep;
    char **prompts;
    size_t nprompts;
} sh_ep;

struct ar_shard {
    char *path;
    size_t total;
    ar_run *head;   /* header (name, config, manifest without "shard", ...), no episodes */
    ar_run *loaded; /* the shard file found at open (keep), owns borrowed arrays */
    sh_ep *v;       /* sorted by index */
    size_t n, cap;
    int pieces;     /* piece files written since the last ar_shard_finish */
    ar_spill *own;   /* the kept shard's curves and logs (spill_loaded) */
};

/* ---- small helpers -------------------------------------------------------- */

static void free_strs(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

static void sh_ep_cleanup(sh_ep *x) {
    for (size_t a = 0; x->ep.agents && a < x->ep.nagents; a++) free(x->ep.agents[a].llm);
    free(x->ep.agents);
    free_strs(x->prompts, x->nprompts);
    memset(x, 0, sizeof *x);
}

/* A copy of ep with own agents and llm arrays; prompt ids shifted by -off
 * (into the episode's own table of np texts). */
static ar_err copy_episode(const ar_run_episode *ep, int32_t off, size_t np, ar_run_episode *out) {
    *out = *ep;
    out->agents = calloc(ep->nagents ? ep->nagents : 1, sizeof *out->agents);
    if (out->agents == NULL) return AR_ENOMEM;
    for (size_t a = 0; a < ep->nagents; a++) {
        ar_run_agent *g = &out->agents[a];
        *g = ep->agents[a];
        g->llm = NULL;
        if (g->nllm == 0) continue;
        if ((g->llm = malloc(g->nllm * sizeof *g->llm)) == NULL) return AR_ENOMEM;
        memcpy(g->llm, ep->agents[a].llm, g->nllm * sizeof *g->llm);
        for (size_t i = 0; i < g->nllm; i++) {
            ar_llm_rec *r = &g->llm[i];
            if (r->prompt_system >= 0) r->prompt_system -= off;
            if (r->prompt_user >= 0) r->prompt_user -= off;
            if (r->prompt_system >= (int32_t)np || r->prompt_user >= (int32_t)np || r->prompt_system < -1 ||
                r->prompt_user < -1)
                return AR_EFORMAT;
        }
    }
    return AR_OK;
}

static ar_err copy_strs(char *const *src, size_t n, char ***out) {
    *out = calloc(n ? n : 1, sizeof **out);
    if (*out == NULL) return AR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (((*out)[i] = strdup(src[i])) == NULL) return AR_ENOMEM;
    return AR_OK;
}

/* The header of r (no episodes, no prompts) with manifest as given. */
static ar_run *copy_head(const ar_run *r, const char *manifest) {
    ar_run *h = calloc(1, sizeof *h);
    if (h == NULL) return NULL;
    memcpy(h->name, r->name, sizeof h->name);
    h->cadence = r->cadence;
    h->capital = r->capital;
    h->mode = r->mode;
    h->rescored = r->rescored;
    h->nsym = r->nsym;
    h->config_json = strdup(r->config_json ? r->config_json : "");
    h->manifest_json = strdup(manifest ? manifest : "");
    h->symbols = calloc(r->nsym ? r->nsym : 1, sizeof *h->symbols);
    if (!h->config_json || !h->manifest_json || !h->symbols) {
        ar_run_free(h);
        return NULL;
    }
    if (r->nsym) memcpy(h->symbols, r->symbols, r->nsym * sizeof *h->symbols);
    return h;
}

static int same_head(const ar_run *a, const ar_run *b) {
    if (strcmp(a->name, b->name) || strcmp(a->config_json, b->config_json) ||
        strcmp(a->manifest_json, b->manifest_json) || a->cadence != b->cadence || a->mode != b->mode ||
        a->rescored != b->rescored || a->nsym != b->nsym || memcmp(&a->capital, &b->capital, sizeof a->capital))
        return 0;
    for (size_t s = 0; s < a->nsym; s++)
        if (strcmp(a->symbols[s], b->symbols[s])) return 0;
    return 1;
}

/* ---- the manifest's "shard" key ------------------------------------------- */

typedef struct shard_info {
    size_t n, of;
    size_t *episodes, *prompts;
    char *manifest; /* without "shard", as the engine wrote it */
} shard_info;

static void info_cleanup(shard_info *i) {
    free(i->episodes);
    free(i->prompts);
    free(i->manifest);
    memset(i, 0, sizeof *i);
}

static ar_err parse_info(const char *path, const ar_run *r, shard_info *out, ar_errbuf *eb) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *m = json_loads(r->manifest_json ? r->manifest_json : "", 0, &je);
    json_t *s = m ? json_object_get(m, "shard") : NULL;
    json_t *ep = json_object_get(s, "episodes"), *pr = json_object_get(s, "prompts"), *of = json_object_get(s, "of");
    if (!json_is_array(ep) || !json_is_array(pr) || !json_is_integer(of) || json_integer_value(of) < 0 ||
        json_array_size(ep) != r->nepisodes || json_array_size(pr) != r->nepisodes) {
        json_decref(m);
        return ar_errf(eb, AR_EFORMAT, "%s: manifest: not a shard file (no valid \"shard\" key)", path);
    }
    out->n = r->nepisodes;
    out->of = (size_t)json_integer_value(of);
    out->episodes = calloc(out->n ? out->n : 1, sizeof *out->episodes);
    out->prompts = calloc(out->n ? out->n : 1, sizeof *out->prompts);
    ar_err e = AR_OK;
    if (!out->episodes || !out->prompts) e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    size_t sum = 0;
    for (size_t i = 0; !e && i < out->n; i++) {
        json_t *a = json_array_get(ep, i), *b = json_array_get(pr, i);
        if (!json_is_integer(a) || !json_is_integer(b) || json_integer_value(a) < 0 ||
            (size_t)json_integer_value(a) >= out->of || json_integer_value(b) < 0 ||
            (i > 0 && (size_t)json_integer_value(a) <= out->episodes[i - 1]))
            e = ar_errf(eb, AR_EFORMAT, "%s: manifest: shard entry %zu is not a valid episode index", path, i);
        else {
            out->episodes[i] = (size_t)json_integer_value(a);
            out->prompts[i] = (size_t)json_integer_value(b);
            sum += out->prompts[i];
        }
    }
    if (!e && sum != r->nprompts)
        e = ar_errf(eb, AR_EFORMAT, "%s: manifest: shard prompt counts add up to %zu, /prompts has %zu", path, sum,
                    r->nprompts);
    if (!e) {
        json_object_del(m, "shard");
        if ((out->manifest = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT)) == NULL)
            e = ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    json_decref(m);
    if (e) info_cleanup(out);
    return e;
}

/* Read a shard file: the run, its info, and its header with the plain
 * manifest. */
static ar_err read_shard(const char *path, ar_run **r, shard_info *info, ar_run **head, ar_errbuf *eb) {
    *r = NULL;
    *head = NULL;
    ar_err e = ar_run_h5_read_lean(path, r, eb); /* curves and logs stay in the file */
    if (e) return e;
    if ((e = parse_info(path, *r, info, eb))) {
        ar_run_free(*r);
        *r = NULL;
        return e;
    }
    if ((*head = copy_head(*r, info->manifest)) == NULL) {
        info_cleanup(info);
        ar_run_free(*r);
        *r = NULL;
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    return AR_OK;
}

/* ---- the writer ------------------------------------------------------------ */

void ar_shard_path(const char *out_path, int rank, char *buf, size_t size) {
    snprintf(buf, size, "%s" AR_SHARD_SUFFIX "%d", out_path, rank);
}

size_t ar_shard_count(const ar_shard *s) { return s ? s->n : 0; }

void ar_shard_free(ar_shard *s) {
    if (s == NULL) return;
    for (size_t i = 0; i < s->n; i++) sh_ep_cleanup(&s->v[i]);
    free(s->v);
    ar_run_free(s->head);
    ar_run_free(s->loaded);
    ar_spill_free(s->own);
    free(s->path);
    free(s);
}

static ar_err push_ep(ar_shard *s, sh_ep *x) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        sh_ep *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) return AR_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    size_t i = s->n;
    while (i > 0 && s->v[i - 1].index > x->index) i--;
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof *s->v);
    s->v[i] = *x;
    s->n++;
    return AR_OK;
}

/* Agent g's logs that are still in the file `from` reads (episode i
 * there), copied into spill sp block by block through buf. */
static ar_err copy_logs(ar_equity_src *from, size_t i, ar_run_agent *g, ar_spill *sp, void *buf, size_t bufbytes,
                        ar_errbuf *eb) {
    static const ar_log logs[] = {AR_LOG_ORDERS, AR_LOG_FILLS, AR_LOG_TRADES, AR_LOG_FUNDING, AR_LOG_DECISIONS};
    ar_err e = AR_OK;
    for (size_t j = 0; j < sizeof logs / sizeof logs[0] && !e; j++) {
        ar_log L = logs[j];
        size_t cnt = ar_run_log_count(g, L), sz = ar_log_size(L), blk = bufbytes / sz;
        if (cnt == 0 || ar_run_log_data(g, L) != NULL) continue; /* none, or in memory */
        if (g->spilled == NULL && (g->spilled = calloc(AR_LOG_SLOTS, sizeof *g->spilled)) == NULL)
            return ar_errf(eb, AR_ENOMEM, "out of memory");
        for (size_t off = 0; off < cnt && !e; off += blk) {
            size_t m = cnt - off < blk ? cnt - off : blk;
            if (!(e = ar_equity_src_read_log(from, L, i, g->name, off, m, buf, eb)))
                e = ar_spill_append(sp, &g->spilled[L], buf, m, sz, eb);
        }
    }
    return e;
}

/* Agent g's curve still in the file, block by block to put(ctx, off, rows,
 * n). */
typedef ar_err (*put_fn)(void *ctx, size_t off, const ar_equity_rec *rows, size_t n, ar_errbuf *eb);
static ar_err copy_curve(ar_equity_src *from, size_t i, const ar_run_agent *g, put_fn put, void *ctx, void *buf,
                         size_t bufbytes, ar_errbuf *eb) {
    ar_err e = AR_OK;
    size_t blk = bufbytes / sizeof(ar_equity_rec);
    for (size_t off = 0; g->equity == NULL && off < g->nequity && !e; off += blk) {
        size_t m = g->nequity - off < blk ? g->nequity - off : blk;
        if (!(e = ar_equity_src_read(from, i, g->name, off, m, buf, eb))) e = put(ctx, off, buf, m, eb);
    }
    return e;
}

typedef struct {
    ar_run_agent *g;
    ar_spill *sp;
} to_spill_ctx;

static ar_err curve_to_spill(void *ctx, size_t off, const ar_equity_rec *rows, size_t n, ar_errbuf *eb) {
    to_spill_ctx *c = ctx;
    (void)off; /* blocks come in order */
    if (c->g->spilled == NULL && (c->g->spilled = calloc(AR_LOG_SLOTS, sizeof *c->g->spilled)) == NULL)
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    return ar_spill_append(c->sp, &c->g->spilled[AR_SPILL_EQUITY], rows, n, sizeof *rows, eb);
}

/* A shard kept on --resume, read lean: its curves and logs go into the
 * shard's own spill, so its episodes are rewritten without being held. */
static ar_err spill_loaded(ar_shard *s, ar_errbuf *eb) {
    ar_run *r = s->loaded;
    size_t bufbytes = (size_t)AR_EQUITY_BLOCK * sizeof(ar_equity_rec);
    void *buf = malloc(bufbytes);
    if (buf == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    ar_err e = ar_spill_open(s->path, &s->own, eb);
    for (size_t k = 0; !e && k < r->nepisodes; k++)
        for (size_t a = 0; !e && a < r->episodes[k].nagents; a++) {
            ar_run_agent *g = &r->episodes[k].agents[a];
            to_spill_ctx c = {g, s->own};
            if (!(e = copy_curve(r->eqsrc, k, g, curve_to_spill, &c, buf, bufbytes, eb)))
                e = copy_logs(r->eqsrc, k, g, s->own, buf, bufbytes, eb);
        }
    free(buf);
    return e;
}

ar_err ar_shard_open(const char *path, size_t total, int keep, ar_shard **out, ar_errbuf *eb) {
    *out = NULL;
    ar_shard *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    s->total = total;
    if (!keep || access(path, F_OK) != 0) {
        if (unlink(path) != 0 && errno != ENOENT) {
            ar_err e = ar_errf(eb, AR_EIO, "%s: cannot remove: %s", path, strerror(errno));
            ar_shard_free(s);
            return e;
        }
        *out = s;
        return AR_OK;
    }
    shard_info info;
    ar_err e = read_shard(path, &s->loaded, &info, &s->head, eb);
    if (e) {
        ar_shard_free(s);
        return e;
    }
    if (!e && (e = spill_loaded(s, eb))) {
        info_cleanup(&info);
        ar_shard_free(s);
        return e;
    }
    if (info.of != total)
        e = ar_errf(eb, AR_ECONFIG, "%s: a shard of a run of %zu episodes, this run has %zu", path, info.of, total);
    size_t off = 0;
    for (size_t i = 0; !e && i < info.n; i++) {
        sh_ep x;
        memset(&x, 0, sizeof x);
        x.index = info.episodes[i];
        x.nprompts = info.prompts[i];
        char *const *texts = x.nprompts ? s->loaded->prompts + off : NULL;
        if ((e = copy_episode(&s->loaded->episodes[i], (int32_t)off, x.nprompts, &x.ep)) ||
            (e = copy_strs(texts, x.nprompts, &x.prompts)) || (e = push_ep(s, &x))) {
            sh_ep_cleanup(&x);
            e = ar_errf(eb, e, "%s: %s", path, e == AR_ENOMEM ? "out of memory" : "prompt index out of range");
        }
        off += info.prompts[i];
    }
    info_cleanup(&info);
    if (e) {
        ar_shard_free(s);
        return e;
    }
    *out = s;
    return AR_OK;
}

/* Write the held episodes v[from .. from + cnt) as a shard file at path. */
static ar_err write_shard(ar_shard *s, const char *path, size_t from, size_t cnt, ar_errbuf *eb) {
    ar_run r = *s->head; /* curves and logs in a spill are found through their segments */
    sh_ep *v = s->v + from;
    r.nepisodes = cnt;
    r.episodes = calloc(cnt ? cnt : 1, sizeof *r.episodes);
    size_t np = 0;
    for (size_t i = 0; i < cnt; i++) np += v[i].nprompts;
    r.nprompts = np;
    r.prompts = calloc(np ? np : 1, sizeof *r.prompts);
    json_t *man = json_loads(s->head->manifest_json, 0, NULL);
    json_t *sh = json_object(), *eps = json_array(), *prs = json_array();
    ar_err e = AR_OK;
    if (!r.episodes || !r.prompts || !man || !sh || !eps || !prs) e = AR_ENOMEM;
    size_t off = 0;
    for (size_t i = 0; !e && i < cnt; i++) {
        sh_ep *x = &v[i];
        for (size_t p = 0; p < x->nprompts; p++) r.prompts[off + p] = x->prompts[p];
        /* prompt ids into the concatenated table */
        if ((e = copy_episode(&x->ep, -(int32_t)off, np, &r.episodes[i]))) break;
        off += x->nprompts;
        if (json_array_append_new(eps, json_integer((json_int_t)x->index)) ||
            json_array_append_new(prs, json_integer((json_int_t)x->nprompts)))
            e = AR_ENOMEM;
    }
    char *mj = NULL;
    if (!e && (json_object_set(sh, "episodes", eps) || json_object_set(sh, "prompts", prs) ||
               json_object_set_new(sh, "of", json_integer((json_int_t)s->total)) ||
               json_object_set(man, "shard", sh) || (mj = json_dumps(man, JSON_SORT_KEYS | JSON_COMPACT)) == NULL))
        e = AR_ENOMEM;
    if (e) ar_errf(eb, e, "%s: %s", path, e == AR_ENOMEM ? "out of memory" : "bad prompt index");
    else {
        r.manifest_json = mj;
        e = ar_run_h5_write(path, &r, eb);
    }
    free(mj);
    json_decref(eps);
    json_decref(prs);
    json_decref(sh);
    json_decref(man);
    for (size_t i = 0; r.episodes && i < cnt; i++) {
        for (size_t a = 0; r.episodes[i].agents && a < r.episodes[i].nagents; a++) free(r.episodes[i].agents[a].llm);
        free(r.episodes[i].agents);
    }
    free(r.episodes);
    free(r.prompts);
    return e;
}

ar_err ar_shard_add(void *shard, const ar_run *run, size_t index, const ar_run_episode *ep, char *const *prompts,
                    size_t nprompts, ar_errbuf *eb) {
    ar_shard *s = shard;
    if (s->head == NULL && (s->head = copy_head(run, run->manifest_json)) == NULL)
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    if (!same_head(s->head, run))
        return ar_errf(eb, AR_ECONFIG, "%s: a shard of another run (config, data or version differ)", s->path);
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].index == index) return AR_OK; /* already there (deterministic: same content) */
    sh_ep x;
    memset(&x, 0, sizeof x);
    x.index = index;
    x.nprompts = nprompts;
    ar_err e;
    if ((e = copy_episode(ep, 0, nprompts, &x.ep)) || (e = copy_strs(prompts, nprompts, &x.prompts)) ||
        (e = push_ep(s, &x))) {
        sh_ep_cleanup(&x);
        return ar_errf(eb, e, "%s: %s", s->path, e == AR_ENOMEM ? "out of memory" : "prompt index out of range");
    }
    /* this episode alone, into its piece file: O(episode), not O(shard) */
    size_t at = 0;
    while (s->v[at].index != index) at++;
    size_t len = strlen(s->path) + 32;
    char *piece = malloc(len);
    if (piece == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    snprintf(piece, len, "%s.%zu", s->path, index);
    e = write_shard(s, piece, at, 1, eb);
    free(piece);
    if (e == AR_OK) s->pieces = 1;
    return e;
}

ar_err ar_shard_finish(ar_shard *s, ar_errbuf *eb) {
    if (s == NULL || !s->pieces) return AR_OK;
    ar_err e = write_shard(s, s->path, 0, s->n, eb);
    if (e) return e;
    size_t len = strlen(s->path) + 32;
    char *piece = malloc(len);
    if (piece == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        snprintf(piece, len, "%s.%zu", s->path, s->v[i].index);
        unlink(piece); /* absent for episodes loaded at open */
    }
    free(piece);
    s->pieces = 0;
    return AR_OK;
}

/* ---- finding and reading shards --------------------------------------------- */

void ar_shard_paths_free(char **paths, size_t n) { free_strs(paths, n); }

typedef struct {
    char *path;
    long rank;
    long long piece; /* -1: the rank's shard file */
} found;

static int cmp_found(const void *a, const void *b) {
    const found *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->piece < y->piece ? -1 : x->piece > y->piece;
}

ar_err ar_shard_find(const char *out_path, char ***paths, size_t *n, ar_errbuf *eb) {
    *paths = NULL;
    *n = 0;
    const char *slash = strrchr(out_path, '/');
    size_t dlen = slash ? (size_t)(slash - out_path) : 0;
    char *dir = slash ? strndup(out_path, dlen ? dlen : 1) : strdup(".");
    const char *base = slash ? slash + 1 : out_path;
    size_t blen = strlen(base), slen = strlen(AR_SHARD_SUFFIX);
    if (dir == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    DIR *d = opendir(dir);
    if (d == NULL) {
        free(dir);
        return AR_OK; /* no directory: no shards */
    }
    found *v = NULL;
    size_t nv = 0, cap = 0;
    ar_err e = AR_OK;
    struct dirent *de;
    while (!e && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strncmp(nm, base, blen) || strncmp(nm + blen, AR_SHARD_SUFFIX, slen)) continue;
        const char *num = nm + blen + slen;
        size_t d1 = strspn(num, "0123456789"), d2 = 0;
        if (num[d1] == '.') d2 = strspn(num + d1 + 1, "0123456789");
        if (d1 == 0 || d1 > 9 || d2 > 18 || (num[d1] != '\0' && (d2 == 0 || num[d1 + 1 + d2] != '\0'))) continue;
        if (nv == cap) {
            cap = cap ? 2 * cap : 16;
            found *w = realloc(v, cap * sizeof *v);
            if (w == NULL) {
                e = AR_ENOMEM;
                break;
            }
            v = w;
        }
        size_t len = strlen(out_path) + slen + strlen(num) + 1;
        if ((v[nv].path = malloc(len)) == NULL) {
            e = AR_ENOMEM;
            break;
        }
        snprintf(v[nv].path, len, "%s%s%s", out_path, AR_SHARD_SUFFIX, num);
        v[nv].rank = strtol(num, NULL, 10);
        v[nv++].piece = num[d1] == '.' ? strtoll(num + d1 + 1, NULL, 10) : -1;
    }
    closedir(d);
    free(dir);
    if (e) {
        for (size_t i = 0; i < nv; i++) free(v[i].path);
        free(v);
        return ar_errf(eb, e, "out of memory");
    }
    if (nv) qsort(v, nv, sizeof *v, cmp_found);
    char **p = calloc(nv ? nv : 1, sizeof *p);
    if (p == NULL) {
        for (size_t i = 0; i < nv; i++) free(v[i].path);
        free(v);
        return ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nv; i++) p[i] = v[i].path;
    free(v);
    *paths = p;
    *n = nv;
    return AR_OK;
}

ar_err ar_shard_done(char *const *paths, size_t n, const char *config_json, const char *data_sha256,
                     unsigned char *done, size_t total, ar_errbuf *eb) {
    for (size_t f = 0; f < n; f++) {
        ar_run *r = NULL, *h = NULL;
        shard_info info;
        ar_err e = read_shard(paths[f], &r, &info, &h, eb); /* curves and logs stay in the file */
        if (e) return e;
        json_t *m = json_loads(info.manifest, 0, NULL);
        const char *sha = json_string_value(json_object_get(m, "data_sha256"));
        if (info.of != total || strcmp(r->config_json, config_json) ||
            (data_sha256 && (sha == NULL || strcmp(sha, data_sha256))))
            e = ar_errf(eb, AR_ECONFIG,
                        "%s: a shard of another run (its config, data or episode count differ); remove it or run "
                        "without --resume",
                        paths[f]);
        for (size_t i = 0; !e && i < info.n; i++) done[info.episodes[i]] = 1;
        json_decref(m);
        info_cleanup(&info);
        ar_run_free(h);
        ar_run_free(r);
        if (e) return e;
    }
    return AR_OK;
}

/* ---- merging --------------------------------------------------------------- */

typedef struct src_shard {
    ar_run *run, *head;
    shard_info info;
    size_t *poff; /* prompt offset of each stored episode */
} src_shard;

/* What merge() leaves for copying a lean merge's rows: the shards and, per
 * run episode, its shard and place there. Shard files are opened one at a
 * time (`at`, through `src_of`), not left to the readers' shared limit
 * (ar_equity_src: up to 64 open), so a merge holds one file's HDF5 cache.
 * Episodes alternate between shards when ranks shared them by cost, and
 * then a shard is opened again for each of its episodes. */
typedef struct {
    src_shard *src;
    size_t n;
    size_t *wf, *wi;
    char *const *paths;
    size_t at; /* shard whose file `open` reads, SIZE_MAX: none */
    ar_equity_src *open;
} merge_src;

static ar_err src_of(merge_src *m, size_t f, ar_equity_src **out, ar_errbuf *eb) {
    if (m->at != f) {
        ar_equity_src_free(m->open);
        m->open = NULL;
        m->at = SIZE_MAX;
        ar_err e = ar_equity_src_open(m->paths[f], &m->open, eb);
        if (e) return e;
        m->at = f;
    }
    *out = m->open;
    return AR_OK;
}

static void merge_src_free(merge_src *m) {
    ar_equity_src_free(m->open);
    for (size_t f = 0; m->src && f < m->n; f++) {
        ar_run_free(m->src[f].run);
        ar_run_free(m->src[f].head);
        info_cleanup(&m->src[f].info);
        free(m->src[f].poff);
    }
    free(m->src);
    free(m->wf);
    free(m->wi);
    memset(m, 0, sizeof *m);
}

/* The merged run, its curves and logs left in the shard files, which *ms
 * keeps open (freed here on failure). */
static ar_err merge(char *const *paths, size_t n, ar_run **out, merge_src *ms, size_t *missing, ar_errbuf *eb) {
    *out = NULL;
    memset(ms, 0, sizeof *ms);
    if (missing) *missing = 0;
    if (n == 0) return ar_errf(eb, AR_ENOTFOUND, "no shard files");
    src_shard *src = calloc(n, sizeof *src);
    if (src == NULL) return ar_errf(eb, AR_ENOMEM, "out of memory");
    ar_err e = AR_OK;
    size_t total = 0;
    for (size_t f = 0; f < n && !e; f++) {
        if ((e = read_shard(paths[f], &src[f].run, &src[f].info, &src[f].head, eb))) break;
        ar_equity_src_free(src[f].run->eqsrc); /* reopened one at a time (src_of) */
        src[f].run->eqsrc = NULL;
        if (f == 0) total = src[0].info.of;
        else if (src[f].info.of != total || !same_head(src[0].head, src[f].head))
            e = ar_errf(eb, AR_EFORMAT, "%s and %s: shards of different runs", paths[0], paths[f]);
        if (!e && (src[f].poff = calloc(src[f].info.n + 1, sizeof *src[f].poff)) == NULL)
            e = ar_errf(eb, AR_ENOMEM, "out of memory");
        for (size_t i = 0; !e && i < src[f].info.n; i++) src[f].poff[i + 1] = src[f].poff[i] + src[f].info.prompts[i];
    }
    /* where each episode is: (shard, position), first shard wins */
    size_t *wf = NULL, *wi = NULL;
    if (!e && ((wf = malloc((total ? total : 1) * sizeof *wf)) == NULL ||
               (wi = malloc((total ? total : 1) * sizeof *wi)) == NULL))
        e = ar_errf(eb, AR_ENOMEM, "out of memory");
    if (!e) {
        for (size_t k = 0; k < total; k++) wf[k] = SIZE_MAX;
        for (size_t f = 0; f < n; f++)
            for (size_t i = 0; i < src[f].info.n; i++)
                if (wf[src[f].info.episodes[i]] == SIZE_MAX) {
                    wf[src[f].info.episodes[i]] = f;
                    wi[src[f].info.episodes[i]] = i;
                }
        size_t miss = 0, first = SIZE_MAX;
        for (size_t k = 0; k < total; k++)
            if (wf[k] == SIZE_MAX) {
                if (first == SIZE_MAX) first = k;
                miss++;
            }
        if (miss) {
            if (missing) *missing = miss;
            e = ar_errf(eb, AR_ENOTFOUND, "%zu of %zu episodes are in no shard (the first: episode %zu)", miss, total,
                        first);
        }
    }
    ar_run *r = NULL;
    prompt_table all; /* distinct texts in first-use order (core/episode_int.h) */
    memset(&all, 0, sizeof all);
    if (!e) {
        r = src[0].head;
        src[0].head = NULL;
        r->nepisodes = total;
        if ((r->episodes = calloc(total ? total : 1, sizeof *r->episodes)) == NULL)
            e = ar_errf(eb, AR_ENOMEM, "out of memory");
    }
    for (size_t k = 0; !e && k < total; k++) {
        src_shard *s = &src[wf[k]];
        size_t i = wi[k], off = s->poff[i], np = s->info.prompts[i];
        int32_t *map = malloc((np + 1) * sizeof *map);
        if (map == NULL) {
            e = ar_errf(eb, AR_ENOMEM, "out of memory");
            break;
        }
        /* each episode's prompts are its own and it is merged once: the
         * texts move out of the shard's run, never held twice */
        for (size_t p = 0; p < np && !e; p++) {
            char *t = s->run->prompts[off + p];
            s->run->prompts[off + p] = NULL;
            if ((map[p] = t ? ar__pt_adopt(&all, t) : ar__pt_add(&all, "")) < 0) e = AR_ENOMEM;
        }
        if (e) {
            free(map);
            e = ar_errf(eb, e, "out of memory");
            break;
        }
        ar_run_episode *ep = &s->run->episodes[i];
        for (size_t a = 0; !e && a < ep->nagents; a++)
            for (size_t j = 0; j < ep->agents[a].nllm; j++) {
                ar_llm_rec *x = &ep->agents[a].llm[j];
                int32_t ps = x->prompt_system, pu = x->prompt_user;
                if ((ps >= 0 && ((size_t)ps < off || (size_t)ps >= off + np)) ||
                    (pu >= 0 && ((size_t)pu < off || (size_t)pu >= off + np))) {
                    e = ar_errf(eb, AR_EFORMAT, "%s: episode %zu: a prompt index outside its episode's prompts",
                                paths[wf[k]], k);
                    break;
                }
                if (ps >= 0) x->prompt_system = map[(size_t)ps - off];
                if (pu >= 0) x->prompt_user = map[(size_t)pu - off];
            }
        free(map);
        if (e) break;
        r->episodes[k] = *ep; /* move */
        memset(ep, 0, sizeof *ep);
    }
    if (!e) {
        r->prompts = all.text;
        r->nprompts = all.n;
        all.text = NULL;
        all.n = 0;
    }
    ar__pt_cleanup(&all);
    *ms = (merge_src){src, n, wf, wi, paths, SIZE_MAX, NULL};
    if (e) merge_src_free(ms);
    if (e) {
        ar_run_free(r);
        return e;
    }
    *out = r;
    return AR_OK;
}

/* Where curve_to_writer puts a curve: agent a of episode k of the run file
 * being written. */
typedef struct {
    ar_run_writer *w;
    size_t k, a;
} to_writer_ctx;

static ar_err curve_to_writer(void *ctx, size_t off, const ar_equity_rec *rows, size_t n, ar_errbuf *eb) {
    to_writer_ctx *c = ctx;
    return ar_run_writer_equity(c->w, c->k, c->a, off, rows, n, eb);
}

/* Rows of one agent's curve and logs from its shard file: the curve into the
 * run file being written, the logs into the merged run's spill (the
 * writer's finish reads them back). */
static ar_err copy_agent(merge_src *ms, size_t k, size_t a, ar_run *r, ar_run_writer *w, void *buf,
                         size_t bufbytes, ar_errbuf *eb) {
    size_t i = ms->wi[k];
    ar_run_agent *g = &r->episodes[k].agents[a];
    to_writer_ctx c = {w, k, a};
    ar_equity_src *from = NULL;
    ar_err e = src_of(ms, ms->wf[k], &from, eb);
    if (!e) e = copy_curve(from, i, g, curve_to_writer, &c, buf, bufbytes, eb);
    return e ? e : copy_logs(from, i, g, r->spill, buf, bufbytes, eb);
}

ar_err ar_shard_merge_write(char *const *paths, size_t n, const char *out_path, ar_run **out, size_t *missing,
                            ar_errbuf *eb) {
    merge_src ms;
    ar_run *r = NULL;
    ar_err e = merge(paths, n, &r, &ms, missing, eb);
    if (e) return e;
    /* the merged run is its own skeleton: every episode's agents with
     * their sample counts */
    ar_run_writer *w = NULL;
    size_t bufbytes = (size_t)AR_EQUITY_BLOCK * sizeof(ar_equity_rec);
    void *buf = malloc(bufbytes);
    if (buf == NULL) e = ar_errf(eb, AR_ENOMEM, "out of memory");
    if (!e) e = ar_spill_open(out_path, &r->spill, eb);
    if (!e) e = ar_run_writer_open(out_path, r, &w, eb);
    for (size_t k = 0; !e && k < r->nepisodes; k++)
        for (size_t a = 0; !e && a < r->episodes[k].nagents; a++) e = copy_agent(&ms, k, a, r, w, buf, bufbytes, eb);
    free(buf);
    merge_src_free(&ms);
    if (!e) {
        e = ar_run_writer_finish(w, r, eb); /* frees w, also on failure */
        w = NULL;
    }
    /* from now on everything is read from the merged file */
    if (!e) e = ar_equity_src_open(out_path, &r->eqsrc, eb);
    if (!e) ar_run_logs_in_file(r);
    ar_run_writer_abort(w);
    if (e) {
        ar_run_free(r);
        return e;
    }
    *out = r;
    return AR_OK;
}

/* ---- episode lists, assignment, limits ------------------------------------- */

ar_err ar_shard_parse_list(const char *s, size_t n, unsigned char *sel, ar_errbuf *eb) {
    const char *p = s;
    if (*p == '\0') return ar_errf(eb, AR_EINVAL, "--episodes: empty list");
    for (;;) {
        char *end;
        if (*p < '0' || *p > '9') return ar_errf(eb, AR_EINVAL, "--episodes: expected a number at '%s'", p);
        errno = 0;
        unsigned long long a = strtoull(p, &end, 10), b = a;
        if (errno) return ar_errf(eb, AR_EINVAL, "--episodes: number too large at '%s'", p);
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9') return ar_errf(eb, AR_EINVAL, "--episodes: expected a number at '%s'", p);
            b = strtoull(p, &end, 10);
            if (errno) return ar_errf(eb, AR_EINVAL, "--episodes: number too large at '%s'", p);
            p = end;
        }
        if (b < a) return ar_errf(eb, AR_EINVAL, "--episodes: range %llu-%llu is backwards", a, b);
        if (b >= n)
            return ar_errf(eb, AR_EINVAL, "--episodes: episode %llu does not exist (this run has %zu: 0-%zu)", b, n,
                           n ? n - 1 : 0);
        for (unsigned long long k = a; k <= b; k++) sel[k] = 1;
        if (*p == '\0') return AR_OK;
        if (*p != ',') return ar_errf(eb, AR_EINVAL, "--episodes: unexpected '%c' (expected ',' or '-')", *p);
        p++;
    }
}

static const ar_episode_info *g_eps; /* the costs cmp_cost sorts by (ar_shard_assign is not reentrant) */

static int cmp_cost(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    double cx = g_eps[x].cost, cy = g_eps[y].cost;
    if (cx != cy) return cx > cy ? -1 : 1;
    return x < y ? -1 : x > y;
}

void ar_shard_assign(const ar_episode_info *eps, const unsigned char *todo, size_t n, int parts, int *owner) {
    if (parts < 1) parts = 1;
    size_t *ord = malloc((n ? n : 1) * sizeof *ord);
    double *load = calloc((size_t)parts, sizeof *load);
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        owner[k] = -1;
        if (todo == NULL || todo[k]) {
            if (ord) ord[m] = k;
            m++;
        }
    }
    if (ord == NULL || load == NULL) { /* no memory: round robin, still deterministic */
        size_t j = 0;
        for (size_t k = 0; k < n; k++)
            if (todo == NULL || todo[k]) owner[k] = (int)(j++ % (size_t)parts);
        free(ord);
        free(load);
        return;
    }
    g_eps = eps;
    qsort(ord, m, sizeof *ord, cmp_cost);
    g_eps = NULL;
    for (size_t i = 0; i < m; i++) {
        int best = 0;
        for (int p = 1; p < parts; p++)
            if (load[p] < load[best]) best = p;
        owner[ord[i]] = best;
        load[best] += eps[ord[i]].cost;
    }
    free(ord);
    free(load);
}

ar_err ar_shard_split_limits(ar_config *cfg, int parts, ar_errbuf *eb) {
    if (parts <= 1) return AR_OK;
    for (size_t i = 0; i < cfg->nagents; i++) {
        ar_agent_cfg *a = &cfg->agents[i];
        if (strcmp(a->kind, "llm")) continue;
        if (a->llm.max_concurrent > 0) {
            if (a->llm.max_concurrent < parts)
                return ar_errf(eb, AR_ECONFIG,
                               "%s: agents: %s: max_concurrent %d cannot be shared by %d processes (each needs at "
                               "least 1): raise it or use at most %d ranks",
                               cfg->path, a->name, a->llm.max_concurrent, parts, a->llm.max_concurrent);
            a->llm.max_concurrent /= parts;
        }
        if (a->llm.rpm > 0) a->llm.rpm /= parts;
    }
    return AR_OK;
}
