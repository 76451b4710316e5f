/* src/llm/answer.c - reading a model's answer into order requests.
 *
 * A model answers in text. We look for the first JSON value in it (inside a
 * ``` fence first, then anywhere), read it as a list of Alpha Arena actions
 * and validate every action against the agent's account at decision time.
 * The rules, the shapes accepted and every reason code are in docs/LLM.md
 * "Answers"; this file is the one place that implements them.
 *
 * Policy: an action that fails validation is recorded with its reason and
 * skipped; the others proceed. The whole answer is invalid (status 1,
 * treated as hold) only when nothing could be read, or when it asked for at
 * least one trade and every trade was refused - a model that only made
 * mistakes did not decide anything. A close of a coin without a position is
 * a hold (reason no_position), not a mistake: models often "close" to mean
 * "stay out".
 *
 * Hostile text cannot crash or stall this: answers over 1 MiB and lists of
 * more than 64 actions are refused before any work, the bracket scan tries
 * at most MAX_CANDIDATES starting points, and jansson bounds the nesting
 * depth. Every byte of JSON goes through jansson. Thread-safe (no state). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "arena/exec.h"
#include "arena/llm.h"

#define MAX_CANDIDATES 32   /* JSON starting points tried per answer */
#define MAX_FENCES 16       /* ``` regions looked at first */
#define MAX_OVERFLOW_FIXES 64
#define MAX_QUANTITY 1e12   /* more coins than any market has: a unit mistake */
/* 15 significant digits print any decimal a model wrote exactly ("0.1", not
 * "0.10000000000000001") */
#define CANON_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))

enum { SIG_BAD = -1, SIG_HOLD = 0, SIG_BUY = 1, SIG_SELL = 2, SIG_CLOSE = 3 };

static const char *const signal_names[] = {"hold", "buy_to_enter", "sell_to_enter", "close"};

static int is_ws(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- finding the JSON ----------------------------------------------------- */

/* End (exclusive) of the bracketed value starting at t[s], honouring JSON
 * strings; 0 when the text ends first (an answer cut off mid-JSON). */
static size_t balanced_end(const char *t, size_t len, size_t s) {
    size_t depth = 0;
    int in_str = 0, esc = 0;
    for (size_t i = s; i < len; i++) {
        char c = t[i];
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        else if (c == '[' || c == '{') depth++;
        else if (c == ']' || c == '}') {
            if (--depth == 0) return i + 1;
        }
    }
    return 0;
}

/* Could a JSON value start here? Cheap look at the next non-blank byte, so
 * prose like "[see below]" or "{braces}" costs nothing. */
static int viable_start(const char *t, size_t len, size_t s) {
    char o = t[s];
    if (o != '[' && o != '{') return 0;
    size_t i = s + 1;
    while (i < len && is_ws((unsigned char)t[i])) i++;
    if (i >= len) return 1; /* "[" at the very end: cut off */
    char c = t[i];
    if (o == '{') return c == '"' || c == '}';
    return c == '{' || c == '[' || c == ']' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' ||
           c == 'f' || c == 'n';
}

/* jansson refuses numbers that overflow a double ("1e400") or an int64.
 * Such a number is still a number the model wrote, and the action should be
 * refused for its quantity, not the whole answer for its syntax: quote the
 * token and parse again, so it reaches the validator as "1e400". */
static json_t *parse_value(const char *t, size_t n) {
    json_error_t e;
    json_t *j = json_loadb(t, n, 0, &e);
    if (j != NULL || json_error_code(&e) != json_error_numeric_overflow) return j;
    char *copy = malloc(n + 2 * MAX_OVERFLOW_FIXES + 1);
    if (copy == NULL) return NULL;
    memcpy(copy, t, n);
    size_t m = n;
    for (int k = 0; k < MAX_OVERFLOW_FIXES && j == NULL; k++) {
        if (json_error_code(&e) != json_error_numeric_overflow) break;
        size_t end = (size_t)e.position;
        if (end > m) break;
        size_t beg = end;
        while (beg > 0 && strchr("0123456789+-.eE", copy[beg - 1]) != NULL && copy[beg - 1] != '\0') beg--;
        if (beg == end) break;
        memmove(copy + end + 2, copy + end, m - end);
        memmove(copy + beg + 1, copy + beg, end - beg);
        copy[beg] = '"';
        copy[end + 1] = '"';
        m += 2;
        j = json_loadb(copy, m, 0, &e);
    }
    free(copy);
    return j;
}

static int is_coin_keyed(const json_t *j, const ar_answer_ctx *c);

/* A value we know how to read as actions (as opposed to some other JSON the
 * model quoted, such as market data): a list is one of objects ("[100, 200]"
 * or "[\"BTC\", \"ETH\"]" in the prose before the answer is not). An empty
 * list is recognised too, but the search goes on for a non-empty one. */
static int recognised(const json_t *j, const ar_answer_ctx *c) {
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) if (!json_is_object(v)) return 0;
        return 1;
    }
    if (!json_is_object(j)) return 0;
    return json_object_get(j, "actions") != NULL || json_object_get(j, "decisions") != NULL ||
           json_object_get(j, "signal") != NULL || is_coin_keyed(j, c);
}

typedef struct finder {
    const char *t;
    size_t len;
    const ar_answer_ctx *ctx;
    int tries;
    int saw_unbalanced, saw_candidate;
    size_t first_unbalanced, best_at; /* offsets in t (SIZE_MAX: none) */
    json_t *best;     /* recognised value: stop */
    json_t *empty;    /* first recognised empty list: used when nothing else is */
    json_t *fallback; /* first value that parsed but is not recognised */
} finder;

/* Try candidates starting in [from, to). Returns 1 when done. */
static int scan_range(finder *f, size_t from, size_t to) {
    for (size_t s = from; s < to && f->tries < MAX_CANDIDATES; s++) {
        if (!viable_start(f->t, f->len, s)) continue;
        f->tries++;
        f->saw_candidate = 1;
        size_t e = balanced_end(f->t, f->len, s);
        if (e == 0) {
            f->saw_unbalanced = 1;
            if (s < f->first_unbalanced) f->first_unbalanced = s;
            continue;
        }
        json_t *j = parse_value(f->t + s, e - s);
        if (j == NULL) continue;
        int rec = recognised(j, f->ctx);
        if (rec && json_is_array(j) && json_array_size(j) == 0) {
            if (f->empty == NULL) f->empty = j;
            else json_decref(j);
            continue;
        }
        if (rec) {
            f->best = j;
            f->best_at = s;
            return 1;
        }
        if (f->fallback == NULL) f->fallback = j;
        else json_decref(j);
    }
    return 0;
}

/* The JSON value of the answer (new reference) or NULL with *why set. */
static json_t *find_json(const char *t, size_t len, const ar_answer_ctx *ctx, int *why) {
    finder f = {t, len, ctx, 0, 0, 0, SIZE_MAX, SIZE_MAX, NULL, NULL, NULL};
    /* fenced regions first: models that explain themselves usually put the
     * answer proper in a code block */
    size_t fence[2 * MAX_FENCES], nf = 0;
    for (size_t i = 0; i + 2 < len && nf < 2 * MAX_FENCES; i++) {
        if (t[i] == '`' && t[i + 1] == '`' && t[i + 2] == '`') {
            fence[nf++] = i + 3;
            i += 2;
        }
    }
    for (size_t k = 0; k + 1 <= nf && f.best == NULL; k += 2) {
        size_t to = k + 1 < nf ? fence[k + 1] : len;
        if (scan_range(&f, fence[k], to)) break;
    }
    if (f.best == NULL) scan_range(&f, 0, len);
    /* The provider cut the answer (ctx->truncated) and the value found lies
     * inside an unfinished one, e.g. the first object of a list that never
     * closes: it is part of an answer, not the answer. */
    if (ctx->truncated && f.best != NULL && f.first_unbalanced < f.best_at) {
        json_decref(f.best);
        json_decref(f.empty);
        json_decref(f.fallback);
        *why = AR_R_TRUNCATED;
        return NULL;
    }
    json_t *j = f.best;
    if (j == NULL) {
        j = f.empty;
        f.empty = NULL;
    }
    if (j != NULL) {
        json_decref(f.fallback);
        json_decref(f.empty);
    } else {
        j = f.fallback;
    }
    if (j == NULL) {
        *why = f.saw_unbalanced ? AR_R_TRUNCATED : f.saw_candidate ? AR_R_BAD_JSON : AR_R_NONE;
    }
    return j;
}

/* A copy of text (len bytes, NUL added) with every <think>...</think>
 * region, tags included, turned into spaces; an opening tag never closed
 * blanks the rest. Offsets stay those of text. NULL on ENOMEM. */
static char *think_blanked(const char *text, size_t len) {
    char *s = malloc(len + 1);
    if (s == NULL) return NULL;
    if (len) memcpy(s, text, len);
    s[len] = '\0';
    static const char open[] = "<think>", close[] = "</think>";
    size_t i = 0;
    while (i + sizeof open - 1 <= len) {
        if (strncasecmp(s + i, open, sizeof open - 1) != 0) {
            i++;
            continue;
        }
        size_t e = i + sizeof open - 1;
        while (e + sizeof close - 1 <= len && strncasecmp(s + e, close, sizeof close - 1) != 0) e++;
        e = e + sizeof close - 1 <= len ? e + sizeof close - 1 : len;
        memset(s + i, ' ', e - i);
        i = e;
    }
    return s;
}

/* Case-insensitive search for refusal phrases in text that holds no JSON. */
static int looks_like_refusal(const char *t, size_t len) {
    static const char *const phrases[] = {
        "i can't", "i cannot", "i can\xe2\x80\x99t", "i'm sorry", "i\xe2\x80\x99m sorry", "i am sorry",
        "as an ai", "i'm unable", "i am unable", "i\xe2\x80\x99m unable", "i'm not able", "i am not able",
        "i\xe2\x80\x99m not able",
    };
    for (size_t k = 0; k < sizeof phrases / sizeof *phrases; k++) {
        size_t pl = strlen(phrases[k]);
        for (size_t i = 0; i + pl <= len; i++) {
            size_t j = 0;
            while (j < pl && tolower((unsigned char)t[i + j]) == (unsigned char)phrases[k][j]) j++;
            if (j == pl) return 1;
        }
    }
    return 0;
}

/* ---- reading fields ------------------------------------------------------- */

/* Numbers and numeric strings ("0.5", " 12 ", "1e400" -> inf). 0 when the
 * value is neither (including "NaN", "inf", "0x10", true). */
static int num_of(const json_t *j, double *v) {
    if (json_is_number(j)) {
        *v = json_number_value(j);
        return 1;
    }
    if (!json_is_string(j)) return 0;
    const char *s = json_string_value(j);
    size_t n = json_string_length(j), i = 0;
    if (n > 64) return 0;
    while (i < n && is_ws((unsigned char)s[i])) i++;
    while (n > i && is_ws((unsigned char)s[n - 1])) n--;
    size_t b = i;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    size_t digits = 0;
    while (i < n && isdigit((unsigned char)s[i])) i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && isdigit((unsigned char)s[i])) i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t ed = 0;
        while (i < n && isdigit((unsigned char)s[i])) i++, ed++;
        if (ed == 0) return 0;
    }
    if (i != n) return 0;
    char buf[72];
    memcpy(buf, s + b, n - b);
    buf[n - b] = '\0';
    *v = strtod(buf, NULL);
    return 1;
}

/* A field that is absent or JSON null counts as absent. */
static const json_t *field(const json_t *o, const char *k) {
    const json_t *v = json_object_get(o, k);
    return json_is_null(v) ? NULL : v;
}

static int ieq(const char *a, size_t an, const char *b, size_t bn) {
    if (an != bn) return 0;
    for (size_t i = 0; i < an; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return 0;
    return 1;
}

static int iprefix(const char *s, size_t n, const char *p) {
    size_t pn = strlen(p);
    return n >= pn && ieq(s, pn, p, pn);
}

/* Is rest a quote/contract suffix: [sep](USDT|USDC|USD)[[sep]PERP] | [sep]PERP ? */
static int quote_suffix(const char *s, size_t n) {
    if (n > 0 && strchr("-/_:", s[0]) != NULL && s[0] != '\0') s++, n--;
    static const char *const quotes[] = {"USDT", "USDC", "USD"};
    for (size_t k = 0; k < 3; k++) {
        if (!iprefix(s, n, quotes[k])) continue;
        size_t q = strlen(quotes[k]);
        const char *r = s + q;
        size_t rn = n - q;
        if (rn == 0) return 1;
        if (strchr("-/_:", r[0]) != NULL && r[0] != '\0') r++, rn--;
        return ieq(r, rn, "PERP", 4);
    }
    return ieq(s, n, "PERP", 4);
}

static int32_t find_coin(const ar_answer_ctx *c, const char *s, size_t n) {
    while (n > 0 && is_ws((unsigned char)s[0])) s++, n--;
    while (n > 0 && is_ws((unsigned char)s[n - 1])) n--;
    if (n == 0 || c->coins == NULL) return -1;
    for (size_t i = 0; i < c->nsym; i++)
        if (c->coins[i] != NULL && ieq(s, n, c->coins[i], strlen(c->coins[i]))) return (int32_t)i;
    for (size_t i = 0; i < c->nsym; i++) {
        if (c->coins[i] == NULL) continue;
        size_t cl = strlen(c->coins[i]);
        if (cl > 0 && cl < n && ieq(s, cl, c->coins[i], cl) && quote_suffix(s + cl, n - cl)) return (int32_t)i;
    }
    return -1;
}

static int32_t coin_of(const ar_answer_ctx *c, const json_t *v) {
    if (!json_is_string(v)) return -1;
    return find_coin(c, json_string_value(v), json_string_length(v));
}

static int is_coin_keyed(const json_t *j, const ar_answer_ctx *c) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        if (find_coin(c, k, strlen(k)) >= 0 && (json_is_object(v) || json_is_string(v))) return 1;
    }
    return 0;
}

static int32_t signal_of(const json_t *v) {
    if (!json_is_string(v)) return SIG_BAD;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    while (n > 0 && is_ws((unsigned char)s[0])) s++, n--;
    while (n > 0 && is_ws((unsigned char)s[n - 1])) n--;
    for (int32_t k = 0; k < 4; k++)
        if (ieq(s, n, signal_names[k], strlen(signal_names[k]))) return k;
    return SIG_BAD;
}

/* ---- the list of actions -------------------------------------------------- */

/* Append the actions of value j to list (new references). Coin-keyed
 * objects become one action per coin with "coin" filled in from the key. */
static int collect(json_t *j, const ar_answer_ctx *c, json_t *list, int depth, unsigned char *clash) {
    if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) {
            if (json_array_append(list, v)) return -1;
        }
        return 0;
    }
    if (json_is_object(j) && depth < 2) {
        json_t *inner = json_object_get(j, "actions");
        if (inner == NULL) inner = json_object_get(j, "decisions");
        if (json_is_array(inner) || (json_is_object(inner) && is_coin_keyed(inner, c)))
            return collect(inner, c, list, depth + 1, clash);
        if (json_object_get(j, "signal") == NULL && is_coin_keyed(j, c)) {
            const char *k;
            json_t *v;
            json_object_foreach(j, k, v) {
                if (find_coin(c, k, strlen(k)) < 0) continue; /* "reasoning" and the like */
                json_t *a;
                json_t *args = json_object_get(v, "trade_signal_args");
                if (json_is_object(args)) v = args;
                if (json_is_object(v)) {
                    a = json_copy(v);
                } else if (json_is_string(v)) {
                    a = json_pack("{sO}", "signal", v);
                } else {
                    a = json_incref(v); /* reported as bad_json */
                }
                if (a == NULL) return -1;
                if (json_is_object(a) && json_object_get(a, "coin") == NULL &&
                    json_object_set_new(a, "coin", json_string(k))) {
                    json_decref(a);
                    return -1;
                }
                /* {"BTC": {"coin": "ETH", ...}}: which coin was meant is not
                 * known, so the action is refused (marked in clash; a list
                 * longer than that is refused whole anyway) */
                const json_t *ic = json_is_object(a) ? json_object_get(a, "coin") : NULL;
                size_t at = json_array_size(list);
                if (ic != NULL && coin_of(c, ic) != find_coin(c, k, strlen(k)) && at < AR_ANSWER_MAX_ACTIONS)
                    clash[at] = 1;
                if (json_array_append_new(list, a)) return -1;
            }
            return 0;
        }
    }
    return json_array_append(list, j) ? -1 : 0;
}

typedef struct vstate {
    const ar_answer_ctx *c;
    double reserved; /* margin + fees of entries accepted so far in this answer */
    double *used;    /* per symbol, how much of the open position earlier actions of
                        this answer already reduce (NULL: not counted) */
} vstate;

static int check_optional(const json_t *a) {
    double v;
    const json_t *f;
    if ((f = field(a, "confidence")) != NULL && !(num_of(f, &v) && v >= 0 && v <= 1)) return AR_R_BAD_FIELD;
    if ((f = field(a, "risk_usd")) != NULL && !(num_of(f, &v) && isfinite(v) && v >= 0)) return AR_R_BAD_FIELD;
    if ((f = field(a, "justification")) != NULL && !json_is_string(f)) return AR_R_BAD_FIELD;
    if ((f = field(a, "invalidation_condition")) != NULL && !json_is_string(f)) return AR_R_BAD_FIELD;
    return AR_R_NONE;
}

static double num_or_nan(const json_t *a, const char *k) {
    double v;
    const json_t *f = field(a, k);
    return f != NULL && num_of(f, &v) ? v : NAN;
}

/* Validate one action; fill act, and req when accepted (returns 1). */
static int validate(const json_t *a, vstate *st, ar_answer_action *act, ar_order_req *req) {
    const ar_answer_ctx *c = st->c;
    act->signal = SIG_BAD;
    act->sym = -1;
    act->quantity = act->leverage = act->profit_target = act->stop_loss = NAN;
    act->confidence = act->risk_usd = NAN;
    if (!json_is_object(a)) return act->reason = AR_R_BAD_JSON, 0;
    act->quantity = num_or_nan(a, "quantity");
    act->leverage = num_or_nan(a, "leverage");
    act->profit_target = num_or_nan(a, "profit_target");
    act->stop_loss = num_or_nan(a, "stop_loss");
    act->confidence = num_or_nan(a, "confidence");
    act->risk_usd = num_or_nan(a, "risk_usd");
    const json_t *sig = field(a, "signal");
    const json_t *coin = field(a, "coin");
    act->sym = coin_of(c, coin);
    if (sig == NULL) return act->reason = AR_R_MISSING_FIELD, 0;
    act->signal = signal_of(sig);
    if (act->signal == SIG_BAD) return act->reason = AR_R_BAD_SIGNAL, 0;
    if (act->signal == SIG_HOLD) return act->reason = AR_R_NONE, 0;

    int enter = act->signal == SIG_BUY || act->signal == SIG_SELL;
    if (coin == NULL || (enter && (field(a, "quantity") == NULL || field(a, "leverage") == NULL)))
        return act->reason = AR_R_MISSING_FIELD, 0;
    if (act->sym < 0) return act->reason = AR_R_UNKNOWN_SYM, 0;
    int32_t s = act->sym;
    double pos = c->position != NULL ? c->position[s] : 0;

    if (act->signal == SIG_CLOSE) {
        if ((act->reason = check_optional(a)) != AR_R_NONE) return 0;
        if (!(pos != 0 && isfinite(pos))) return act->reason = AR_R_NO_POSITION, 0;
        if (st->used != NULL) st->used[s] = fabs(pos); /* nothing left to reduce */
        *req = (ar_order_req){s, AR_OT_CLOSE, 0, NAN, 1, NAN, NAN, 1};
        return 1;
    }

    double side = act->signal == SIG_BUY ? 1 : -1;
    if (c->spot && side < 0) return act->reason = AR_R_SPOT_SHORT, 0;
    double q = act->quantity;
    if (!(isfinite(q) && q > 0 && q <= MAX_QUANTITY)) return act->reason = AR_R_BAD_QTY, 0;
    double lev = act->leverage, cap = c->spot ? 1 : c->max_leverage;
    if (!(cap >= 1)) cap = 1;
    if (!(isfinite(lev) && lev >= 1 && lev <= cap)) return act->reason = AR_R_LEVERAGE, 0;
    double mark = c->marks != NULL ? c->marks[s] : NAN;
    if (!(isfinite(mark) && mark > 0)) return act->reason = AR_R_NO_DATA, 0;
    /* the exit plan must be on the profitable / protective side of the mark */
    const json_t *tpf = field(a, "profit_target"), *slf = field(a, "stop_loss");
    double tp = act->profit_target, sl = act->stop_loss;
    if (tpf != NULL && !(isfinite(tp) && tp > 0 && side * (tp - mark) > 0)) return act->reason = AR_R_BAD_PRICE, 0;
    if (slf != NULL && !(isfinite(sl) && sl > 0 && side * (mark - sl) > 0)) return act->reason = AR_R_BAD_PRICE, 0;
    if ((act->reason = check_optional(a)) != AR_R_NONE) return 0;

    /* margin as exec checks it: the opening part at the mark plus the taker
     * fee on the whole order, against cash not yet promised to earlier
     * entries of this answer plus what reducing an opposite position frees */
    double open = q, release = 0, cl = 0;
    if (pos != 0 && isfinite(pos) && (pos > 0) != (side > 0)) {
        /* what earlier actions of this answer already reduce is gone: two
         * sells of a long do not each free all of its margin */
        double ap = fabs(pos), left = ap - (st->used != NULL ? st->used[s] : 0);
        if (left < 0) left = 0;
        cl = q < left ? q : left;
        open = q - cl;
        if (c->pos_margin != NULL && c->pos_entry != NULL) {
            release = c->pos_margin[s] * (cl / ap) + (pos > 0 ? 1 : -1) * cl * (mark - c->pos_entry[s]);
            if (!(release > 0)) release = 0;
        }
    }
    double fee = isfinite(c->taker_fee) && c->taker_fee > 0 ? c->taker_fee : 0;
    double need = open * mark / lev + q * mark * fee;
    double avail = c->cash - st->reserved + release;
    if (!(need <= avail + 1e-9 * fabs(avail))) return act->reason = AR_R_MARGIN_SHORT, 0;
    if (open > 0) st->reserved += need;
    if (st->used != NULL) st->used[s] += cl;
    *req = (ar_order_req){s, AR_OT_MARKET, side * q, NAN, lev, isfinite(tp) ? tp : NAN, isfinite(sl) ? sl : NAN, 0};
    act->reason = AR_R_NONE;
    return 1;
}

/* ---- entry points --------------------------------------------------------- */

static void finish(ar_answer *ans, ar_actions *out, int32_t status, int32_t reason) {
    ans->status = status;
    ans->reason = reason;
    if (out != NULL) {
        out->status = status;
        out->reason = reason;
    }
}

static char *dump_compact(const json_t *j) {
    size_t n = json_dumpb(j, NULL, 0, CANON_FLAGS);
    if (n == 0) return NULL;
    char *s = malloc(n + 1);
    if (s == NULL) return NULL;
    if (json_dumpb(j, s, n, CANON_FLAGS) != n) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

ar_err ar_answer_parse(const char *text, size_t len, const ar_answer_ctx *ctx, ar_answer *ans, ar_actions *out) {
    if (ans == NULL || ctx == NULL) return AR_EINVAL;
    memset(ans, 0, sizeof *ans);
    if (text == NULL) len = 0;
    if (len > AR_ANSWER_MAX_BYTES) return finish(ans, out, 1, AR_R_TOO_LONG), AR_OK;
    size_t i = 0;
    while (i < len && is_ws((unsigned char)text[i])) i++;
    if (i == len) return finish(ans, out, 1, ctx->truncated ? AR_R_TRUNCATED : AR_R_EMPTY), AR_OK;

    /* Reasoning a local server leaves in the content (<think>...</think>,
     * or an opening tag the budget cut off) is not the answer: blanked, so
     * a draft in it is never traded. */
    char *seen = think_blanked(text, len);
    if (seen == NULL) return AR_ENOMEM;
    i = 0;
    while (i < len && is_ws((unsigned char)seen[i])) i++;
    if (i == len) {
        free(seen);
        return finish(ans, out, 1, ctx->truncated ? AR_R_TRUNCATED : AR_R_EMPTY), AR_OK;
    }
    int why = AR_R_NONE;
    json_t *j = find_json(seen, len, ctx, &why);
    if (j == NULL) {
        int refusal = looks_like_refusal(seen, len);
        free(seen);
        if (why == AR_R_TRUNCATED) return finish(ans, out, 1, AR_R_TRUNCATED), AR_OK;
        if (refusal) return finish(ans, out, 1, AR_R_REFUSAL), AR_OK;
        return finish(ans, out, 1, ctx->truncated ? AR_R_TRUNCATED : AR_R_BAD_JSON), AR_OK;
    }
    free(seen);
    json_t *list = json_array();
    unsigned char clashes[AR_ANSWER_MAX_ACTIONS] = {0};
    if (list == NULL || collect(j, ctx, list, 0, clashes) != 0) {
        json_decref(list);
        json_decref(j);
        return AR_ENOMEM;
    }
    json_decref(j);
    size_t n = json_array_size(list);
    if (n > AR_ANSWER_MAX_ACTIONS) {
        json_decref(list);
        return finish(ans, out, 1, AR_R_TOO_LONG), AR_OK;
    }
    ar_order_req reqs[AR_ANSWER_MAX_ACTIONS];
    int accepted[AR_ANSWER_MAX_ACTIONS];
    if (n > 0) {
        ans->actions = calloc(n, sizeof *ans->actions);
        if (ans->actions == NULL) {
            json_decref(list);
            return AR_ENOMEM;
        }
    }
    ans->nactions = n;
    vstate st = {ctx, 0, calloc(ctx->nsym ? ctx->nsym : 1, sizeof(double))};
    if (st.used == NULL) {
        json_decref(list);
        ar_answer_cleanup(ans);
        return AR_ENOMEM;
    }
    size_t ntrade = 0, nok = 0;
    int32_t first_bad = AR_R_NONE, first_any = AR_R_NONE;
    for (size_t k = 0; k < n; k++) {
        ar_answer_action *act = &ans->actions[k];
        if (clashes[k]) { /* read as any action (for the record), refused, nothing reserved */
            vstate scratch = {st.c, st.reserved, NULL};
            validate(json_array_get(list, k), &scratch, act, &reqs[k]);
            act->reason = AR_R_BAD_FIELD;
            accepted[k] = 0;
        } else {
            accepted[k] = validate(json_array_get(list, k), &st, act, &reqs[k]);
        }
        int hold = (act->signal == SIG_HOLD && act->reason == AR_R_NONE) ||
                   (act->signal == SIG_CLOSE && act->reason == AR_R_NO_POSITION);
        if (!hold) ntrade++;
        if (accepted[k]) nok++;
        if (!hold && !accepted[k] && first_bad == AR_R_NONE) first_bad = act->reason;
        if (act->reason != AR_R_NONE && first_any == AR_R_NONE) first_any = act->reason;
    }
    free(st.used);
    ans->canonical_json = dump_compact(list);
    json_decref(list);
    if (ans->canonical_json == NULL) {
        ar_answer_cleanup(ans);
        return AR_ENOMEM;
    }
    if (ntrade > 0 && nok == 0) return finish(ans, out, 1, first_bad), AR_OK;
    if (out != NULL) {
        size_t n0 = out->n;
        for (size_t k = 0; k < n; k++) {
            if (accepted[k] && ar_actions_push(out, &reqs[k]) != AR_OK) {
                out->n = n0;
                ar_answer_cleanup(ans);
                return AR_ENOMEM;
            }
        }
    }
    finish(ans, out, 0, first_any);
    return AR_OK;
}

void ar_answer_cleanup(ar_answer *ans) {
    if (ans == NULL) return;
    free(ans->actions);
    free(ans->canonical_json);
    memset(ans, 0, sizeof *ans);
}
