/* src/core/config.c - strict parsing of the tournament configuration.
 *
 * The config is a JSON document read with jansson. Every object is checked
 * against the keys it may hold, so a typo is an error rather than a silently
 * ignored setting; every error names the key path and what was expected.
 * Defaults are applied here and documented in docs/CONFIG.md. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "arena/config.h"
#include "arena/util.h"

typedef struct pctx {
    const char *file;
    ar_errbuf *eb;
} pctx;

static ar_err fail(pctx *p, const char *path, const char *what) {
    return ar_errf(p->eb, AR_ECONFIG, "%s: %s: %s", p->file, path, what);
}

static void join(char *buf, size_t n, const char *path, const char *key) {
    /* Key paths are short; a cut one still names the place well enough. */
    if (snprintf(buf, n, "%s%s%s", path, *path ? "." : "", key) >= (int)n) buf[n - 1] = '\0';
}

/* Reject keys of obj that are not in allowed (NULL-terminated). */
static ar_err check_keys(pctx *p, json_t *obj, const char *path, const char *const *allowed) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (!strcmp(*a, key)) ok = 1;
        if (!ok) {
            char full[256], msg[600];
            join(full, sizeof full, path, key);
            snprintf(msg, sizeof msg, "unknown key (expected one of:");
            for (const char *const *a = allowed; *a; a++) {
                strncat(msg, " ", sizeof msg - strlen(msg) - 1);
                strncat(msg, *a, sizeof msg - strlen(msg) - 1);
            }
            strncat(msg, ")", sizeof msg - strlen(msg) - 1);
            return fail(p, full, msg);
        }
    }
    return AR_OK;
}


/* Optional number; *present tells whether it was there. */
static ar_err get_num(pctx *p, json_t *obj, const char *path, const char *key, double *out,
                      double lo, double hi, int *present) {
    char full[256];
    join(full, sizeof full, path, key);
    json_t *v = json_object_get(obj, key);
    if (present) *present = v != NULL;
    if (v == NULL) return AR_OK;
    if (!json_is_number(v)) return fail(p, full, "expected a number");
    double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi) {
        char msg[160];
        snprintf(msg, sizeof msg, "%g is out of range (expected %g to %g)", x, lo, hi);
        return fail(p, full, msg);
    }
    *out = x;
    return AR_OK;
}

/* get_num for a count: a whole number (1.5 tokens would be cut to 1 in
 * silence). */
static ar_err get_whole(pctx *p, json_t *obj, const char *path, const char *key, double *out, double lo, double hi,
                        int *present) {
    double x = *out;
    ar_err e = get_num(p, obj, path, key, &x, lo, hi, present);
    if (e) return e;
    if (x != floor(x)) {
        char full[256];
        join(full, sizeof full, path, key);
        return fail(p, full, "expected a whole number");
    }
    *out = x;
    return AR_OK;
}

static ar_err get_str(pctx *p, json_t *obj, const char *path, const char *key, const char **out) {
    char full[256];
    join(full, sizeof full, path, key);
    json_t *v = json_object_get(obj, key);
    if (v == NULL) return AR_OK;
    if (!json_is_string(v)) return fail(p, full, "expected a string");
    *out = json_string_value(v);
    return AR_OK;
}

static ar_err get_obj(pctx *p, json_t *obj, const char *path, const char *key, json_t **out) {
    char full[256];
    join(full, sizeof full, path, key);
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL) return AR_OK;
    if (!json_is_object(v)) return fail(p, full, "expected an object");
    *out = v;
    return AR_OK;
}

static ar_err get_duration(pctx *p, json_t *obj, const char *path, const char *key, int64_t *out) {
    const char *s = NULL;
    char full[256];
    ar_err e = get_str(p, obj, path, key, &s);
    if (e || s == NULL) return e;
    join(full, sizeof full, path, key);
    ar_errbuf tmp;
    if (ar_duration_parse(s, out, &tmp) != AR_OK)
        return fail(p, full, "expected a duration such as \"1m\", \"3m\", \"8h\", \"1d\"");
    return AR_OK;
}

static ar_err get_time(pctx *p, json_t *obj, const char *path, const char *key, int64_t *out) {
    const char *s = NULL;
    char full[256];
    join(full, sizeof full, path, key);
    json_t *v = json_object_get(obj, key);
    if (v == NULL) return AR_OK;
    if (json_is_integer(v)) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        ar_errbuf tmp;
        if (ar_time_parse(num, (size_t)-1, out, &tmp) != AR_OK) return fail(p, full, "expected a time");
        return AR_OK;
    }
    if (json_is_real(v)) return fail(p, full, "expected a whole epoch number or an ISO-8601 time string");
    ar_err e = get_str(p, obj, path, key, &s);
    if (e) return e;
    ar_errbuf tmp;
    if (ar_time_parse(s, (size_t)-1, out, &tmp) != AR_OK)
        return fail(p, full, "expected an ISO-8601 time such as \"2025-06-01T00:00:00Z\"");
    return AR_OK;
}

static int valid_agent_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n >= AR_NAME_MAX || s[0] == '.') return 0;
    for (; *s; s++)
        if (*s == '/' || (unsigned char)*s < 32) return 0;
    return 1;
}

static ar_err parse_params(pctx *p, json_t *params, const char *path, ar_agent_cfg *a) {
    const ar_param_def *defs = a->def->params;
    size_t nd = 0;
    for (; defs[nd].name; nd++) a->params[nd] = defs[nd].dflt;
    if (params == NULL) return AR_OK;
    char full[256];
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v) {
        size_t i = 0;
        while (i < nd && strcmp(defs[i].name, key)) i++;
        join(full, sizeof full, path, key);
        if (i == nd) {
            char msg[300] = "unknown parameter (expected one of:";
            for (size_t j = 0; j < nd; j++) {
                strncat(msg, " ", sizeof msg - strlen(msg) - 1);
                strncat(msg, defs[j].name, sizeof msg - strlen(msg) - 1);
            }
            strncat(msg, ")", sizeof msg - strlen(msg) - 1);
            return fail(p, full, msg);
        }
        if (!json_is_number(v)) return fail(p, full, "expected a number");
        double x = json_number_value(v);
        char msg[160];
        if (!isfinite(x) || x < defs[i].min || x > defs[i].max) {
            snprintf(msg, sizeof msg, "%g is out of range (expected %g to %g)", x, defs[i].min, defs[i].max);
            return fail(p, full, msg);
        }
        if (defs[i].integer && x != floor(x)) return fail(p, full, "expected a whole number");
        a->params[i] = x;
    }
    char why[160];
    const char *bad = a->def->check ? a->def->check(a->params, why, sizeof why) : NULL;
    return bad ? fail(p, path, bad) : AR_OK;
}

/* A builtin strategy's leverage against execution.max_leverage (perp; in
 * spot every position has leverage 1): above it every order would be
 * refused, so a leverage given in the config is an error, and a default
 * (random's 2) comes down to the limit. */
static ar_err check_leverage(pctx *p, const ar_config *c, ar_agent_cfg *a, const char *path, int given) {
    if (a->def == NULL || c->exec.mode != AR_MODE_PERP) return AR_OK;
    for (size_t i = 0; a->def->params[i].name; i++) {
        if (strcmp(a->def->params[i].name, "leverage") || a->params[i] <= c->exec.max_leverage) continue;
        if (!given) {
            a->params[i] = c->exec.max_leverage;
            continue;
        }
        char full[256], msg[160];
        snprintf(full, sizeof full, "%s.params.leverage", path);
        snprintf(msg, sizeof msg, "%g is above execution.max_leverage %g (every order would be refused)",
                 a->params[i], c->exec.max_leverage);
        return fail(p, full, msg);
    }
    return AR_OK;
}

static ar_err get_bool(pctx *p, json_t *obj, const char *path, const char *key, int *out) {
    char full[256];
    join(full, sizeof full, path, key);
    json_t *v = json_object_get(obj, key);
    if (v == NULL) return AR_OK;
    if (!json_is_boolean(v)) return fail(p, full, "expected true or false");
    *out = json_is_true(v);
    return AR_OK;
}

static ar_err copy_str(pctx *p, json_t *obj, const char *path, const char *key, char *dst, size_t n) {
    const char *v = NULL;
    char full[256];
    ar_err e = get_str(p, obj, path, key, &v);
    if (e || v == NULL) return e;
    join(full, sizeof full, path, key);
    if (strlen(v) >= n) return fail(p, full, "too long");
    snprintf(dst, n, "%s", v);
    return AR_OK;
}

/* A POSIX shell's variable name, or empty (the provider's default). */
static int env_name_ok(const char *s) {
    if (s[0] >= '0' && s[0] <= '9') return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static ar_err parse_llm_agent(pctx *p, json_t *o, const char *path, ar_agent_cfg *a) {
    static const char *const keys[] = {"name", "kind", "provider", "model", "base_url", "api_key_env",
                                       "temperature", "top_p", "max_tokens", "timeout_s", "structured",
                                       "reasoning", "reasoning_effort", "disable_thinking", "seed",
                                       "max_concurrent", "rpm", "max_retries", "price", "budget_usd", NULL};
    ar_err e = check_keys(p, o, path, keys);
    if (e) return e;
    ar_llm_cfg *c = &a->llm;
    ar_llm_cfg_default(c);
    char full[256];
    const char *prov = NULL;
    if ((e = get_str(p, o, path, "provider", &prov))) return e;
    join(full, sizeof full, path, "provider");
    if (prov == NULL) return fail(p, full, "missing (expected \"openai\", \"anthropic\" or \"gemini\")");
    if (ar_provider_from_name(prov, &c->provider) != AR_OK)
        return fail(p, full, "expected \"openai\", \"anthropic\" or \"gemini\"");
    if ((e = copy_str(p, o, path, "model", c->model, sizeof c->model)) ||
        (e = copy_str(p, o, path, "base_url", c->base_url, sizeof c->base_url)) ||
        (e = copy_str(p, o, path, "api_key_env", c->api_key_env, sizeof c->api_key_env)) ||
        (e = copy_str(p, o, path, "reasoning_effort", c->reasoning_effort, sizeof c->reasoning_effort)))
        return e;
    if (!env_name_ok(c->api_key_env)) { /* never echoed: it may be the key itself */
        join(full, sizeof full, path, "api_key_env");
        return fail(p, full, "expected the name of an environment variable (letters, digits and _, not starting "
                             "with a digit); the key itself goes in that variable, never in the config");
    }
    join(full, sizeof full, path, "model");
    if (c->model[0] == '\0') return fail(p, full, "missing (the provider's model id)");
    if (!ar_llm_model_ok(c->model)) return fail(p, full, "expected letters, digits and -._~:;=,%/@+ only");
    if (c->base_url[0] && strncmp(c->base_url, "http://", 7) && strncmp(c->base_url, "https://", 8)) {
        join(full, sizeof full, path, "base_url");
        return fail(p, full, "expected an http:// or https:// URL");
    }
    double x;
    int has = 0;
    if ((e = get_num(p, o, path, "temperature", &c->temperature, 0, 2, &c->has_temperature)) ||
        (e = get_num(p, o, path, "top_p", &c->top_p, 0, 1, &c->has_top_p)) ||
        (e = get_num(p, o, path, "timeout_s", &c->timeout_s, 0.001, 3600, NULL)) ||
        (e = get_num(p, o, path, "rpm", &c->rpm, 0, 1e6, NULL)))
        return e;
    if (c->provider == AR_PROV_ANTHROPIC && c->has_temperature && c->temperature > 1) {
        join(full, sizeof full, path, "temperature");
        return fail(p, full, "out of range for anthropic (expected 0 to 1)");
    }
    x = c->max_tokens;
    if ((e = get_whole(p, o, path, "max_tokens", &x, 1, 1e6, NULL))) return e;
    c->max_tokens = (int)x;
    x = c->max_concurrent;
    if ((e = get_whole(p, o, path, "max_concurrent", &x, 0, 1e4, NULL))) return e;
    c->max_concurrent = (int)x;
    x = c->max_retries;
    if ((e = get_whole(p, o, path, "max_retries", &x, 0, 15, NULL))) return e;
    c->max_retries = (int)x;
    x = 0;
    if ((e = get_whole(p, o, path, "seed", &x, 0, 9e15, &has))) return e;
    if (has) {
        c->seed = (long long)x;
        c->has_seed = 1;
    }
    int b = -1;
    if ((e = get_bool(p, o, path, "structured", &c->structured)) ||
        (e = get_bool(p, o, path, "disable_thinking", &c->disable_thinking)) ||
        (e = get_bool(p, o, path, "reasoning", &b)))
        return e;
    if (b >= 0) c->reasoning = b;
    a->price_in = a->price_out = NAN;
    json_t *price;
    if ((e = get_obj(p, o, path, "price", &price))) return e;
    if (price) {
        static const char *const pk[] = {"input_per_mtok", "output_per_mtok", NULL};
        join(full, sizeof full, path, "price");
        int h1 = 0, h2 = 0;
        if ((e = check_keys(p, price, full, pk)) ||
            (e = get_num(p, price, full, "input_per_mtok", &a->price_in, 0, 1e6, &h1)) ||
            (e = get_num(p, price, full, "output_per_mtok", &a->price_out, 0, 1e6, &h2)))
            return e;
        if (!h1 || !h2) return fail(p, full, "expected both input_per_mtok and output_per_mtok");
    }
    if ((e = get_num(p, o, path, "budget_usd", &a->budget_usd, 0, 1e9, NULL))) return e;
    if (a->budget_usd > 0 && price == NULL) {
        join(full, sizeof full, path, "budget_usd");
        return fail(p, full, "needs a price to count spending (expected \"price\": {\"input_per_mtok\", \"output_per_mtok\"})");
    }
    /* detail shown in tables: provider/model, cut to fit */
    if (snprintf(a->strategy, sizeof a->strategy, "%s/%s", ar_provider_name(c->provider), c->model) >=
        (int)sizeof a->strategy)
        a->strategy[sizeof a->strategy - 1] = '\0';
    return AR_OK;
}

static ar_err parse_ext_agent(pctx *p, json_t *o, const char *path, ar_agent_cfg *a) {
    static const char *const xk[] = {"name", "kind", "command", "timeout_s", NULL};
    static const char *const hk[] = {"name", "kind", "url", "timeout_s", NULL};
    int is_exec = !strcmp(a->kind, "exec");
    ar_err e = check_keys(p, o, path, is_exec ? xk : hk);
    if (e) return e;
    char full[256];
    a->ext_timeout_s = 10;
    if ((e = get_num(p, o, path, "timeout_s", &a->ext_timeout_s, 0.001, 3600, NULL))) return e;
    a->price_in = a->price_out = NAN;
    if (is_exec) {
        json_t *cmd = json_object_get(o, "command");
        join(full, sizeof full, path, "command");
        if (!json_is_array(cmd) || json_array_size(cmd) == 0 || json_array_size(cmd) > 64)
            return fail(p, full, "expected the program and its arguments as a list of strings");
        size_t n = json_array_size(cmd);
        a->argv = calloc(n + 1, sizeof *a->argv);
        if (a->argv == NULL) return AR_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(cmd, i);
            if (!json_is_string(v)) return fail(p, full, "expected a list of strings");
            if ((a->argv[i] = strdup(json_string_value(v))) == NULL) return AR_ENOMEM;
        }
        snprintf(a->strategy, sizeof a->strategy, "%.60s", a->argv[0]);
    } else {
        if ((e = copy_str(p, o, path, "url", a->url, sizeof a->url))) return e;
        join(full, sizeof full, path, "url");
        if (strncmp(a->url, "http://", 7) && strncmp(a->url, "https://", 8))
            return fail(p, full, "expected an http:// or https:// URL");
        snprintf(a->strategy, sizeof a->strategy, "%.60s", a->url);
    }
    return AR_OK;
}

static ar_err parse_agent(pctx *p, json_t *o, const char *path, ar_agent_cfg *a) {
    static const char *const keys[] = {"name", "kind", "strategy", "params", NULL};
    if (!json_is_object(o)) return fail(p, path, "expected an object");
    const char *name = NULL, *kind = "builtin", *strategy = NULL;
    ar_err e;
    if ((e = get_str(p, o, path, "kind", &kind))) return e;
    if (kind == NULL) kind = "builtin";
    int model_kind = !strcmp(kind, "llm") || !strcmp(kind, "exec") || !strcmp(kind, "http");
    if (!model_kind && (e = check_keys(p, o, path, keys))) return e;
    if ((e = get_str(p, o, path, "name", &name)) || (e = get_str(p, o, path, "strategy", &strategy))) return e;
    char full[256];
    join(full, sizeof full, path, "name");
    if (name == NULL) return fail(p, full, "missing (every agent needs a name)");
    if (!valid_agent_name(name))
        return fail(p, full, "expected 1 to 63 bytes of UTF-8 (a CJK character takes 3), no '/' or control "
                             "characters, not starting with '.'");
    snprintf(a->name, sizeof a->name, "%s", name);
    join(full, sizeof full, path, "kind");
    if (strcmp(kind, "builtin") && !model_kind)
        return fail(p, full, "expected \"builtin\", \"llm\", \"exec\" or \"http\"");
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    if (!strcmp(kind, "llm")) return parse_llm_agent(p, o, path, a);
    if (model_kind) return parse_ext_agent(p, o, path, a);
    join(full, sizeof full, path, "strategy");
    if (strategy == NULL) return fail(p, full, "missing (a builtin agent names a strategy)");
    a->def = ar_strategy_find(strategy);
    if (a->def == NULL) {
        char msg[400] = "unknown strategy (expected one of:";
        for (const ar_strategy_def *d = ar_strategy_table(); d->name; d++) {
            strncat(msg, " ", sizeof msg - strlen(msg) - 1);
            strncat(msg, d->name, sizeof msg - strlen(msg) - 1);
        }
        strncat(msg, ")", sizeof msg - strlen(msg) - 1);
        return fail(p, full, msg);
    }
    snprintf(a->strategy, sizeof a->strategy, "%s", strategy);
    json_t *params;
    if ((e = get_obj(p, o, path, "params", &params))) return e;
    join(full, sizeof full, path, "params");
    return parse_params(p, params, full, a);
}

static ar_err parse_exec(pctx *p, json_t *x, ar_exec_cfg *c) {
    static const char *const keys[] = {"fill", "latency_ms", "fees", "slippage", "max_leverage",
                                       "maintenance_margin", "funding", "intrabar", NULL};
    ar_err e;
    if (x == NULL) return AR_OK;
    if ((e = check_keys(p, x, "execution", keys))) return e;
    const char *fill = NULL, *intrabar = NULL;
    if ((e = get_str(p, x, "execution", "fill", &fill))) return e;
    if (fill && strcmp(fill, "next_open")) return fail(p, "execution.fill", "expected \"next_open\"");
    double lat = 0;
    if ((e = get_num(p, x, "execution", "latency_ms", &lat, 0, 86400e3, NULL))) return e;
    c->latency = (int64_t)llround(lat * 1e6);
    json_t *fees, *slip, *fund;
    if ((e = get_obj(p, x, "execution", "fees", &fees))) return e;
    if (fees) {
        static const char *const fk[] = {"taker_bps", "maker_bps", NULL};
        if ((e = check_keys(p, fees, "execution.fees", fk)) ||
            (e = get_num(p, fees, "execution.fees", "taker_bps", &c->taker_bps, -100, 1000, NULL)) ||
            (e = get_num(p, fees, "execution.fees", "maker_bps", &c->maker_bps, -100, 1000, NULL)))
            return e;
    }
    if ((e = get_obj(p, x, "execution", "slippage", &slip))) return e;
    if (slip) {
        static const char *const sk[] = {"model", "bps", "k", "window", "noise_bps", NULL};
        if ((e = check_keys(p, slip, "execution.slippage", sk))) return e;
        const char *model = NULL;
        if ((e = get_str(p, slip, "execution.slippage", "model", &model))) return e;
        if (model == NULL) return fail(p, "execution.slippage.model", "missing (expected \"none\", \"fixed\" or \"sqrt\")");
        int has_bps = 0, has_k = 0;
        if ((e = get_num(p, slip, "execution.slippage", "bps", &c->slip_bps, 0, 10000, &has_bps)) ||
            (e = get_num(p, slip, "execution.slippage", "k", &c->slip_k, 0, 1000, &has_k)) ||
            (e = get_num(p, slip, "execution.slippage", "noise_bps", &c->slip_noise_bps, 0, 10000, NULL)) ||
            (e = get_duration(p, slip, "execution.slippage", "window", &c->slip_window)))
            return e;
        if (!strcmp(model, "none")) c->slip = AR_SLIP_NONE;
        else if (!strcmp(model, "fixed")) {
            c->slip = AR_SLIP_FIXED;
            if (!has_bps) return fail(p, "execution.slippage.bps", "missing (the fixed model needs bps)");
        } else if (!strcmp(model, "sqrt")) {
            c->slip = AR_SLIP_SQRT;
            if (!has_k) return fail(p, "execution.slippage.k", "missing (the sqrt model needs k)");
        } else
            return fail(p, "execution.slippage.model", "expected \"none\", \"fixed\" or \"sqrt\"");
    }
    if ((e = get_num(p, x, "execution", "max_leverage", &c->max_leverage, 1, 1000, NULL)) ||
        (e = get_num(p, x, "execution", "maintenance_margin", &c->maintenance_margin, 0, 0.5, NULL)))
        return e;
    if ((e = get_obj(p, x, "execution", "funding", &fund))) return e;
    if (fund) {
        static const char *const fk[] = {"rate", "interval", NULL};
        c->funding_interval = 8 * AR_NS_PER_HOUR;
        if ((e = check_keys(p, fund, "execution.funding", fk)) ||
            (e = get_num(p, fund, "execution.funding", "rate", &c->funding_rate, -1, 1, NULL)) ||
            (e = get_duration(p, fund, "execution.funding", "interval", &c->funding_interval)))
            return e;
    }
    if ((e = get_str(p, x, "execution", "intrabar", &intrabar))) return e;
    if (intrabar) {
        if (!strcmp(intrabar, "adverse_first")) c->both_touched_favorable = 0;
        else if (!strcmp(intrabar, "favorable_first")) c->both_touched_favorable = 1;
        else return fail(p, "execution.intrabar", "expected \"adverse_first\" or \"favorable_first\"");
    }
    return AR_OK;
}

/* Template: a name of the built-in prompts/ set, or a file path (contains a
 * '/' or ends in .txt; relative to the config's folder). */
static ar_err load_template(pctx *p, const char *path, const char *spec, char **out) {
    const char *b = ar_prompt_builtin(spec);
    if (b != NULL) {
        *out = strdup(b);
        return *out ? AR_OK : AR_ENOMEM;
    }
    char file[4096];
    if (spec[0] == '/' || strchr(p->file, '/') == NULL)
        snprintf(file, sizeof file, "%s", spec);
    else {
        const char *slash = strrchr(p->file, '/');
        snprintf(file, sizeof file, "%.*s/%s", (int)(slash - p->file), p->file, spec);
    }
    ar_errbuf tmp;
    struct stat st;
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > AR_MAX_TEMPLATE_BYTES) {
        char msg[4400];
        if (snprintf(msg, sizeof msg, "template %s is %llu bytes, at most %zu", file, (unsigned long long)st.st_size,
                     AR_MAX_TEMPLATE_BYTES) >= (int)sizeof msg)
            msg[sizeof msg - 1] = '\0';
        return fail(p, path, msg);
    }
    size_t len = 0;
    if (ar_read_file(file, out, &len, &tmp) != AR_OK) {
        char msg[4400];
        if (snprintf(msg, sizeof msg, "cannot read template %s (expected a built-in name such as "
                                      "\"alpha_arena_user\" or a file)", file) >= (int)sizeof msg)
            msg[sizeof msg - 1] = '\0';
        return fail(p, path, msg);
    }
    size_t bad = ar_utf8_invalid_at(*out, len); /* prompts go out as JSON strings */
    if (bad != (size_t)-1) {
        char msg[4400];
        if (snprintf(msg, sizeof msg, "template %s: byte %zu is not UTF-8 text (expected a UTF-8 file)", file,
                     bad + 1) >= (int)sizeof msg)
            msg[sizeof msg - 1] = '\0';
        free(*out);
        *out = NULL;
        return fail(p, path, msg);
    }
    if (ar_prompt_check(*out, &tmp) != AR_OK) {
        char msg[5200];
        if (snprintf(msg, sizeof msg, "%s: %s", file, tmp.msg) >= (int)sizeof msg) msg[sizeof msg - 1] = '\0';
        free(*out);
        *out = NULL;
        return fail(p, path, msg);
    }
    return AR_OK;
}

static ar_err parse_llm_section(pctx *p, json_t *root, ar_config *c) {
    json_t *l;
    ar_err e;
    if ((e = get_obj(p, root, "", "llm", &l))) return e;
    const char *sys = "alpha_arena_system", *user = "alpha_arena_user";
    if (l) {
        static const char *const lk[] = {"budget_usd", "prompt_system", "prompt_user", NULL};
        if ((e = check_keys(p, l, "llm", lk)) || (e = get_num(p, l, "llm", "budget_usd", &c->budget_usd, 0, 1e9, NULL)) ||
            (e = get_str(p, l, "llm", "prompt_system", &sys)) || (e = get_str(p, l, "llm", "prompt_user", &user)))
            return e;
        if (sys == NULL) sys = "alpha_arena_system";
        if (user == NULL) user = "alpha_arena_user";
    }
    if (c->nllm == 0) return AR_OK;
    if (c->budget_usd > 0) { /* spending is counted from prices */
        int priced = 0;
        for (size_t i = 0; i < c->nagents; i++)
            priced |= !strcmp(c->agents[i].kind, "llm") && isfinite(c->agents[i].price_in);
        if (!priced) return fail(p, "llm.budget_usd", "needs a price on some llm agent to count spending");
    }
    if ((e = load_template(p, "llm.prompt_system", sys, &c->prompt_system)) ||
        (e = load_template(p, "llm.prompt_user", user, &c->prompt_user)))
        return e;
    return AR_OK;
}

static void free_argv(char **argv) {
    for (size_t i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}

static ar_err add_agent(ar_config *c, const ar_agent_cfg *a) {
    ar_agent_cfg *na = realloc(c->agents, (c->nagents + 1) * sizeof *na);
    if (na == NULL) return AR_ENOMEM;
    c->agents = na;
    c->agents[c->nagents++] = *a;
    return AR_OK;
}

/* The live section: {"exchange", "url", "channels", "interval"}. */
static ar_err parse_live(pctx *p, json_t *lv, ar_config *c) {
    if (lv == NULL) return AR_OK;
    static const char *const keys[] = {"exchange", "url", "channels", "interval", NULL};
    ar_err e = check_keys(p, lv, "live", keys);
    if (e) return e;
    const char *ex = NULL, *url = NULL;
    if ((e = get_str(p, lv, "live", "exchange", &ex)) || (e = get_str(p, lv, "live", "url", &url))) return e;
    if (ex == NULL) return fail(p, "live.exchange", "missing (expected \"binance\", \"hyperliquid\" or \"coinbase\")");
    if (strcmp(ex, "binance") && strcmp(ex, "hyperliquid") && strcmp(ex, "coinbase"))
        return fail(p, "live.exchange", "expected \"binance\", \"hyperliquid\" or \"coinbase\"");
    snprintf(c->live_exchange, sizeof c->live_exchange, "%s", ex);
    if (url != NULL) {
        if (strncmp(url, "ws://", 5) && strncmp(url, "wss://", 6))
            return fail(p, "live.url", "expected ws://host[:port] or wss://host[:port]");
        if (strlen(url) >= sizeof c->live_url) return fail(p, "live.url", "too long");
        snprintf(c->live_url, sizeof c->live_url, "%s", url);
    }
    json_t *ch = json_object_get(lv, "channels");
    c->live_channels = 1;
    if (ch != NULL) {
        if (!json_is_array(ch) || json_array_size(ch) == 0)
            return fail(p, "live.channels", "expected a non-empty list of \"trades\", \"book\"");
        c->live_channels = 0;
        for (size_t i = 0; i < json_array_size(ch); i++) {
            json_t *v = json_array_get(ch, i);
            char full[64];
            snprintf(full, sizeof full, "live.channels[%zu]", i);
            const char *n = json_string_value(v);
            if (n && !strcmp(n, "trades")) c->live_channels |= 1;
            else if (n && !strcmp(n, "book")) c->live_channels |= 2;
            else return fail(p, full, "expected \"trades\" or \"book\"");
        }
    }
    c->live_interval = 60 * AR_NS_PER_S;
    if ((e = get_duration(p, lv, "live", "interval", &c->live_interval))) return e;
    if (c->live_interval < AR_NS_PER_S || c->live_interval % AR_NS_PER_S)
        return fail(p, "live.interval", "expected a whole number of seconds, at least \"1s\"");
    c->live = 1;
    return AR_OK;
}

static ar_err parse_root(pctx *p, json_t *root, ar_config *c) {
    static const char *const keys[] = {"name", "seed", "seeds", "capital", "market", "cadence",
                                       "execution", "baselines", "agents", "llm", "live", NULL};
    ar_err e;
    if (!json_is_object(root)) return ar_errf(p->eb, AR_ECONFIG, "%s: expected a JSON object at the top", p->file);
    if ((e = check_keys(p, root, "", keys))) return e;
    const char *name = NULL;
    if ((e = get_str(p, root, "", "name", &name))) return e;
    if (name && name[0] == '\0') return fail(p, "name", "empty (leave it out for \"arena\")");
    snprintf(c->name, sizeof c->name, "%s", name ? name : "arena");
    json_t *seed = json_object_get(root, "seed");
    c->seed = 1;
    if (seed) {
        if (!json_is_integer(seed) || json_integer_value(seed) < 0) return fail(p, "seed", "expected a non-negative integer");
        c->seed = (uint64_t)json_integer_value(seed);
    }
    json_t *seeds = json_object_get(root, "seeds");
    if (seeds && seed) return fail(p, "seeds", "give either seed or seeds, not both");
    if (seeds) {
        if (json_is_integer(seeds)) {
            json_int_t n = json_integer_value(seeds);
            if (n < 1 || n > 100000) return fail(p, "seeds", "expected a count from 1 to 100000, or a list of seeds");
            c->nseeds = (size_t)n;
            if ((c->seeds = malloc(c->nseeds * sizeof *c->seeds)) == NULL) return AR_ENOMEM;
            for (size_t i = 0; i < c->nseeds; i++) c->seeds[i] = i + 1;
        } else if (json_is_array(seeds) && json_array_size(seeds) > 0 && json_array_size(seeds) <= 100000) {
            c->nseeds = json_array_size(seeds);
            if ((c->seeds = malloc(c->nseeds * sizeof *c->seeds)) == NULL) return AR_ENOMEM;
            for (size_t i = 0; i < c->nseeds; i++) {
                json_t *v = json_array_get(seeds, i);
                char full[64];
                snprintf(full, sizeof full, "seeds[%zu]", i);
                if (!json_is_integer(v) || json_integer_value(v) < 0) return fail(p, full, "expected a non-negative integer");
                c->seeds[i] = (uint64_t)json_integer_value(v);
                for (size_t j = 0; j < i; j++)
                    if (c->seeds[j] == c->seeds[i]) return fail(p, full, "duplicate seed");
            }
        } else
            return fail(p, "seeds", "expected a count N (meaning 1..N) or a non-empty list of seeds");
        c->seed = c->seeds[0];
    } else {
        c->nseeds = 1;
        if ((c->seeds = malloc(sizeof *c->seeds)) == NULL) return AR_ENOMEM;
        c->seeds[0] = c->seed;
    }
    c->capital = 10000;
    if ((e = get_num(p, root, "", "capital", &c->capital, 1e-6, 1e15, NULL))) return e;
    if ((e = get_duration(p, root, "", "cadence", &c->cadence))) return e;

    json_t *m;
    if ((e = get_obj(p, root, "", "market", &m))) return e;
    if (m == NULL) return fail(p, "market", "missing (expected {\"data\": \"market.h5\", ...})");
    static const char *const mk[] = {"data", "symbols", "start", "end", "mode", "windows", "anonymize", NULL};
    if ((e = check_keys(p, m, "market", mk))) return e;
    const char *data = NULL, *mode = NULL;
    if ((e = get_str(p, m, "market", "data", &data)) || (e = get_str(p, m, "market", "mode", &mode))) return e;
    json_t *lv;
    if ((e = get_obj(p, root, "", "live", &lv)) || (e = parse_live(p, lv, c))) return e;
    if (c->live) {
        if (data != NULL) return fail(p, "market.data", "a live run takes its data from the feed (remove market.data)");
        if (json_object_get(m, "symbols") == NULL)
            return fail(p, "market.symbols", "missing (a live run needs the symbols to subscribe to)");
        if (json_object_get(m, "windows") != NULL)
            return fail(p, "market.windows", "a live run has one window (use market.start and market.end)");
        if (json_object_get(root, "seeds") != NULL) return fail(p, "seeds", "a live run has one seed (use seed)");
        data = "";
    }
    if (data == NULL) return fail(p, "market.data", "missing (expected the path of a market file)");
    if (c->live) {
        c->data[0] = '\0';
    } else if (data[0] == '/' || strchr(p->file, '/') == NULL) {
        snprintf(c->data, sizeof c->data, "%s", data);
    } else {
        const char *slash = strrchr(p->file, '/');
        snprintf(c->data, sizeof c->data, "%.*s/%s", (int)(slash - p->file), p->file, data);
    }
    if (mode == NULL || !strcmp(mode, "perp")) c->exec.mode = AR_MODE_PERP;
    else if (!strcmp(mode, "spot")) c->exec.mode = AR_MODE_SPOT;
    else return fail(p, "market.mode", "expected \"perp\" or \"spot\"");
    json_t *syms = json_object_get(m, "symbols");
    if (syms) {
        if (!json_is_array(syms) || json_array_size(syms) == 0)
            return fail(p, "market.symbols", "expected a non-empty list of symbol names");
        c->nsym = json_array_size(syms);
        c->symbols = calloc(c->nsym, sizeof *c->symbols);
        if (c->symbols == NULL) return AR_ENOMEM;
        for (size_t i = 0; i < c->nsym; i++) {
            json_t *s = json_array_get(syms, i);
            char full[64];
            snprintf(full, sizeof full, "market.symbols[%zu]", i);
            if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) >= AR_SYM_MAX)
                return fail(p, full, "expected a symbol name (1 to 31 characters)");
            snprintf(c->symbols[i], AR_SYM_MAX, "%s", json_string_value(s));
            for (size_t j = 0; j < i; j++)
                if (!strcmp(c->symbols[j], c->symbols[i])) return fail(p, full, "duplicate symbol");
        }
    }
    if ((e = get_time(p, m, "market", "start", &c->start)) || (e = get_time(p, m, "market", "end", &c->end))) return e;
    if (c->start && c->end && c->end <= c->start) return fail(p, "market.end", "must be after market.start");
    json_t *win = json_object_get(m, "windows");
    if (win && json_is_array(win)) {
        c->nwindows = json_array_size(win);
        if (c->nwindows == 0 || c->nwindows > 100000) return fail(p, "market.windows", "expected 1 to 100000 windows");
        if ((c->windows = calloc(c->nwindows, sizeof *c->windows)) == NULL) return AR_ENOMEM;
        for (size_t i = 0; i < c->nwindows; i++) {
            char path[64];
            snprintf(path, sizeof path, "market.windows[%zu]", i);
            json_t *w = json_array_get(win, i);
            static const char *const wk[] = {"start", "end", NULL};
            if (!json_is_object(w)) return fail(p, path, "expected {\"start\": ..., \"end\": ...}");
            if ((e = check_keys(p, w, path, wk)) || (e = get_time(p, w, path, "start", &c->windows[i].start)) ||
                (e = get_time(p, w, path, "end", &c->windows[i].end)))
                return e;
            if (!c->windows[i].start || !c->windows[i].end || c->windows[i].end <= c->windows[i].start)
                return fail(p, path, "expected a start and a later end");
        }
    } else if (win && json_is_object(win)) {
        static const char *const wk[] = {"count", "length", NULL};
        double cnt = 0;
        int hc = 0;
        if ((e = check_keys(p, win, "market.windows", wk)) ||
            (e = get_whole(p, win, "market.windows", "count", &cnt, 1, 100000, &hc)) ||
            (e = get_duration(p, win, "market.windows", "length", &c->win_length)))
            return e;
        if (!hc) return fail(p, "market.windows.count", "missing (a whole number of windows)");
        if (c->win_length <= 0) return fail(p, "market.windows.length", "missing (a duration such as \"3d\")");
        c->win_count = (size_t)cnt;
    } else if (win) {
        return fail(p, "market.windows", "expected a list of {\"start\", \"end\"} or {\"count\": N, \"length\": \"3d\"}");
    }
    size_t nw = c->nwindows ? c->nwindows : c->win_count ? c->win_count : 1;
    if ((double)nw * (double)c->nseeds > AR_MAX_EPISODES) {
        char msg[160];
        snprintf(msg, sizeof msg, "%zu windows x %zu seeds = %.0f episodes, at most %d", nw, c->nseeds,
                 (double)nw * (double)c->nseeds, AR_MAX_EPISODES);
        return fail(p, c->nwindows || c->win_count ? "market.windows" : "seeds", msg);
    }
    json_t *anon;
    if ((e = get_obj(p, m, "market", "anonymize", &anon))) return e;
    if (anon) {
        static const char *const ak[] = {"symbols", "dates", "prices", NULL};
        if ((e = check_keys(p, anon, "market.anonymize", ak)) ||
            (e = get_bool(p, anon, "market.anonymize", "symbols", &c->anon_symbols)) ||
            (e = get_bool(p, anon, "market.anonymize", "dates", &c->anon_dates)) ||
            (e = get_bool(p, anon, "market.anonymize", "prices", &c->anon_prices)))
            return e;
        /* a live session shows the feed's own symbols and prices: only the
         * dates can be hidden there */
        if (c->live && c->anon_symbols) return fail(p, "market.anonymize.symbols", "not applied in a live run (only dates)");
        if (c->live && c->anon_prices) return fail(p, "market.anonymize.prices", "not applied in a live run (only dates)");
    }

    json_t *x;
    if ((e = get_obj(p, root, "", "execution", &x)) || (e = parse_exec(p, x, &c->exec))) return e;

    json_t *agents = json_object_get(root, "agents");
    if (agents && !json_is_array(agents)) return fail(p, "agents", "expected a list of agents");
    {
        /* before anything per agent: the duplicate-name check is quadratic */
        json_t *b = json_object_get(root, "baselines");
        size_t na = (agents ? json_array_size(agents) : 0) + (b ? json_array_size(b) : 3);
        if (na > AR_MAX_AGENTS) {
            char msg[120];
            snprintf(msg, sizeof msg, "at most %d agents (baselines included), got %zu", AR_MAX_AGENTS, na);
            return fail(p, "agents", msg);
        }
    }
    for (size_t i = 0; agents && i < json_array_size(agents); i++) {
        char path[64];
        snprintf(path, sizeof path, "agents[%zu]", i);
        ar_agent_cfg a;
        memset(&a, 0, sizeof a);
        json_t *ao = json_array_get(agents, i), *ap = json_is_object(ao) ? json_object_get(ao, "params") : NULL;
        if ((e = parse_agent(p, ao, path, &a)) ||
            (e = check_leverage(p, c, &a, path, json_is_object(ap) && json_object_get(ap, "leverage") != NULL))) {
            free_argv(a.argv);
            return e;
        }
        for (size_t j = 0; j < c->nagents; j++)
            if (!strcmp(c->agents[j].name, a.name)) {
                char full[80];
                snprintf(full, sizeof full, "%s.name", path);
                free_argv(a.argv);
                return fail(p, full, "duplicate agent name");
            }
        if ((e = add_agent(c, &a))) {
            free_argv(a.argv);
            return e;
        }
    }
    json_t *bl = json_object_get(root, "baselines");
    static const char *const defaults[] = {"flat", "buy_hold", "random"};
    size_t nb = bl ? json_array_size(bl) : 3;
    if (bl && !json_is_array(bl)) return fail(p, "baselines", "expected a list such as [\"flat\", \"buy_hold\", \"random\"]");
    for (size_t i = 0; i < nb; i++) {
        char path[64];
        snprintf(path, sizeof path, "baselines[%zu]", i);
        const char *bn = bl ? NULL : defaults[i];
        if (bl) {
            json_t *s = json_array_get(bl, i);
            if (!json_is_string(s)) return fail(p, path, "expected \"flat\", \"buy_hold\" or \"random\"");
            bn = json_string_value(s);
        }
        if (strcmp(bn, "flat") && strcmp(bn, "buy_hold") && strcmp(bn, "random"))
            return fail(p, path, "expected \"flat\", \"buy_hold\" or \"random\"");
        ar_agent_cfg a;
        memset(&a, 0, sizeof a);
        snprintf(a.name, sizeof a.name, "%s", bn);
        snprintf(a.kind, sizeof a.kind, "builtin");
        snprintf(a.strategy, sizeof a.strategy, "%s", bn);
        a.def = ar_strategy_find(bn);
        a.baseline = 1;
        if (a.def == NULL) return fail(p, path, "strategy missing from this build");
        if ((e = parse_params(p, NULL, path, &a)) || (e = check_leverage(p, c, &a, path, 0))) return e;
        for (size_t j = 0; j < c->nagents; j++)
            if (!strcmp(c->agents[j].name, bn))
                return fail(p, path, "an agent already has this name (rename the agent or drop the baseline)");
        if ((e = add_agent(c, &a))) return e;
    }
    if (c->nagents == 0) return fail(p, "agents", "no agents and no baselines: nothing to run");
    for (size_t i = 0; i < c->nagents; i++) c->nllm += strcmp(c->agents[i].kind, "builtin") != 0;
    if ((e = parse_llm_section(p, root, c))) return e;
    c->canonical_json = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (c->canonical_json == NULL) return AR_ENOMEM;
    return AR_OK;
}

ar_err ar_config_parse(const char *text, const char *path, ar_config **out, ar_errbuf *eb) {
    *out = NULL;
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return ar_errf(eb, AR_ECONFIG, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column, je.text);
    ar_config *c = calloc(1, sizeof *c);
    if (c == NULL) {
        json_decref(root);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory", path);
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    ar_exec_cfg_default(&c->exec);
    pctx p = {path, eb};
    ar_err e = parse_root(&p, root, c);
    json_decref(root);
    if (e) {
        if (e == AR_ENOMEM) ar_errf(eb, e, "%s: out of memory", path);
        ar_config_free(c);
        return e;
    }
    *out = c;
    return AR_OK;
}

ar_err ar_config_load(const char *path, ar_config **out, ar_errbuf *eb) {
    char *text;
    *out = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > AR_MAX_CONFIG_BYTES)
        return ar_errf(eb, AR_ECONFIG, "%s: config file is %llu bytes, at most %zu", path,
                       (unsigned long long)st.st_size, AR_MAX_CONFIG_BYTES);
    ar_err e = ar_read_file(path, &text, NULL, eb);
    if (e) return e;
    e = ar_config_parse(text, path, out, eb);
    free(text);
    return e;
}

void ar_config_free(ar_config *c) {
    if (c == NULL) return;
    free(c->symbols);
    free(c->windows);
    free(c->seeds);
    for (size_t i = 0; i < c->nagents; i++) free_argv(c->agents[i].argv);
    free(c->agents);
    free(c->canonical_json);
    free(c->prompt_system);
    free(c->prompt_user);
    free(c);
}
