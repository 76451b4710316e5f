/* src/llm/provider.c - provider wire formats: request bodies and responses.
 *
 * Three wire formats cover every model we call: OpenAI Chat Completions
 * (also DeepSeek, xAI, Qwen compatible mode, OpenRouter, Ollama /v1,
 * llama.cpp and vLLM through base_url), Anthropic Messages and Gemini
 * generateContent. Everything here is pure - no network, no clock, no
 * globals - so request bytes and response readings are unit-tested exactly
 * and the pool (pool.c) only moves bytes. The facts behind each quirk are in
 * refs/wire-formats.md; the choices are documented in docs/LLM.md.
 *
 * Two rules hold throughout: the key only ever goes into one header line,
 * and reasoning text that providers return beside the answer
 * (reasoning_content, reasoning, thinking blocks, Gemini thought parts) is
 * never kept, so it cannot be sent back or recorded as the answer. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "arena/exec.h"
#include "arena/llm.h"
#include "arena/util.h"

/* Real numbers at 15 significant digits print 0.7 as "0.7", not
 * "0.69999999999999996": the body stays readable and stable. */
#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
#define ERR_TEXT_MAX 300

static const char default_schema[] =
    "{\"type\":\"object\",\"properties\":{\"actions\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"object\",\"properties\":{"
    "\"signal\":{\"type\":\"string\",\"enum\":[\"buy_to_enter\",\"sell_to_enter\",\"hold\",\"close\"]},"
    "\"coin\":{\"type\":\"string\"},"
    "\"quantity\":{\"type\":\"number\"},"
    "\"leverage\":{\"type\":\"number\"},"
    "\"profit_target\":{\"type\":[\"number\",\"null\"]},"
    "\"stop_loss\":{\"type\":[\"number\",\"null\"]},"
    "\"invalidation_condition\":{\"type\":\"string\"},"
    "\"confidence\":{\"type\":\"number\"},"
    "\"risk_usd\":{\"type\":\"number\"},"
    "\"justification\":{\"type\":\"string\"}},"
    "\"required\":[\"signal\",\"coin\",\"quantity\",\"leverage\",\"profit_target\",\"stop_loss\","
    "\"invalidation_condition\",\"confidence\",\"risk_usd\",\"justification\"],"
    "\"additionalProperties\":false}}},"
    "\"required\":[\"actions\"],\"additionalProperties\":false}";

const char *ar_llm_default_schema(void) { return default_schema; }

static const char *const prov_names[] = {"openai", "anthropic", "gemini"};

const char *ar_provider_name(int p) {
    if (p < 0 || p > AR_PROV_GEMINI) return "?";
    return prov_names[p];
}

ar_err ar_provider_from_name(const char *s, ar_provider *out) {
    if (s == NULL) return AR_EINVAL;
    for (int i = 0; i <= AR_PROV_GEMINI; i++)
        if (strcmp(s, prov_names[i]) == 0) {
            *out = (ar_provider)i;
            return AR_OK;
        }
    return AR_EINVAL;
}

void ar_llm_cfg_default(ar_llm_cfg *c) {
    memset(c, 0, sizeof *c);
    c->provider = AR_PROV_OPENAI;
    c->max_tokens = 1024;
    c->timeout_s = 60;
    c->reasoning = -1;
    c->max_retries = 4;
    c->max_retry_wait_s = 120;
}

/* ---- small helpers ---- */

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL) memcpy(d, s, n);
    return d;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (s == NULL) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* The answer of a reasoning model is billed and capped differently and a
 * non-default temperature is a 400, so recognise the families by name; an
 * OpenRouter-style "openai/o3" counts too. */
static int is_reasoning_model(const ar_llm_cfg *c) {
    if (c->reasoning >= 0) return c->reasoning != 0;
    const char *m = strrchr(c->model, '/');
    m = m ? m + 1 : c->model;
    return strncmp(m, "o1", 2) == 0 || strncmp(m, "o3", 2) == 0 || strncmp(m, "o4", 2) == 0 ||
           strncmp(m, "gpt-5", 5) == 0;
}

/* The model goes into the Gemini URL path unescaped, so only characters that
 * are safe there (and in every model id we know) are accepted. */
int ar_llm_model_ok(const char *m) {
    if (*m == '\0') return 0;
    for (const unsigned char *p = (const unsigned char *)m; *p; p++)
        if (!(isalnum(*p) || strchr("-._~:;=,%/@+", *p) != NULL)) return 0;
    return 1;
}

static int set_new(json_t *o, const char *k, json_t *v) {
    return v == NULL || json_object_set_new(o, k, v) != 0 ? -1 : 0;
}

static json_t *text_message(const char *role, const char *text) {
    return json_pack("{s:s, s:s}", "role", role, "content", text);
}

static json_t *gemini_content(const char *role, const char *text) {
    if (role != NULL) return json_pack("{s:s, s:[{s:s}]}", "role", role, "parts", "text", text);
    return json_pack("{s:[{s:s}]}", "parts", "text", text);
}

static ar_err build_body(const ar_llm_cfg *c, const char *system, const char *user, json_t *schema,
                         json_t **out) {
    json_t *b = json_object();
    if (b == NULL) return AR_ENOMEM;
    int rc = 0, has_sys = system != NULL && *system != '\0';
    if (c->provider == AR_PROV_OPENAI) {
        int reasoning = is_reasoning_model(c);
        json_t *msgs = json_array();
        rc |= set_new(b, "model", json_string(c->model));
        rc |= set_new(b, "messages", msgs);
        if (msgs != NULL) {
            if (has_sys) rc |= json_array_append_new(msgs, text_message("system", system));
            rc |= json_array_append_new(msgs, text_message("user", user));
        }
        if (!reasoning && c->has_temperature) rc |= set_new(b, "temperature", json_real(c->temperature));
        if (!reasoning && c->has_top_p) rc |= set_new(b, "top_p", json_real(c->top_p));
        rc |= set_new(b, reasoning ? "max_completion_tokens" : "max_tokens", json_integer(c->max_tokens));
        if (reasoning && c->reasoning_effort[0])
            rc |= set_new(b, "reasoning_effort", json_string(c->reasoning_effort));
        if (c->has_seed) rc |= set_new(b, "seed", json_integer(c->seed));
        if (schema != NULL)
            rc |= set_new(b, "response_format",
                          json_pack("{s:s, s:{s:s, s:b, s:O}}", "type", "json_schema", "json_schema",
                                    "name", "decision", "strict", 1, "schema", schema));
        if (c->disable_thinking) rc |= set_new(b, "enable_thinking", json_false());
        /* OpenRouter silently drops response_format/seed on upstreams that
         * lack them unless told to route only to those that have them. */
        if (strstr(c->base_url, "openrouter.ai") != NULL && (schema != NULL || c->has_seed))
            rc |= set_new(b, "provider", json_pack("{s:b}", "require_parameters", 1));
    } else if (c->provider == AR_PROV_ANTHROPIC) {
        json_t *msgs = json_array();
        rc |= set_new(b, "model", json_string(c->model));
        rc |= set_new(b, "max_tokens", json_integer(c->max_tokens));
        if (has_sys) rc |= set_new(b, "system", json_string(system));
        rc |= set_new(b, "messages", msgs);
        if (msgs != NULL) rc |= json_array_append_new(msgs, text_message("user", user));
        /* Newer Claude models reject temperature and top_p together: the
         * temperature wins when both are configured. */
        if (c->has_temperature) rc |= set_new(b, "temperature", json_real(c->temperature));
        else if (c->has_top_p) rc |= set_new(b, "top_p", json_real(c->top_p));
        if (schema != NULL)
            rc |= set_new(b, "output_config",
                          json_pack("{s:{s:s, s:O}}", "format", "type", "json_schema", "schema", schema));
    } else {
        json_t *gc = json_object();
        if (has_sys) rc |= set_new(b, "systemInstruction", gemini_content(NULL, system));
        rc |= set_new(b, "contents", json_pack("[o]", gemini_content("user", user)));
        rc |= set_new(b, "generationConfig", gc);
        if (gc != NULL) {
            if (c->has_temperature) rc |= set_new(gc, "temperature", json_real(c->temperature));
            if (c->has_top_p) rc |= set_new(gc, "topP", json_real(c->top_p));
            rc |= set_new(gc, "maxOutputTokens", json_integer(c->max_tokens));
            if (c->has_seed) rc |= set_new(gc, "seed", json_integer(c->seed));
            if (c->structured) rc |= set_new(gc, "responseMimeType", json_string("application/json"));
        }
    }
    if (rc != 0) {
        json_decref(b);
        return AR_ENOMEM;
    }
    *out = b;
    return AR_OK;
}

void ar_llm_request_cleanup(ar_llm_request *r) {
    if (r == NULL) return;
    for (size_t i = 0; i < r->nheaders && i < sizeof r->headers / sizeof r->headers[0]; i++) {
        if (r->headers[i] == NULL) continue;
        /* volatile: the wipe must not be optimised away before free. */
        volatile char *v = r->headers[i];
        for (size_t k = 0; v[k] != '\0'; k++) v[k] = 0;
        free(r->headers[i]);
    }
    free(r->url);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static int add_header(ar_llm_request *r, char *h) {
    if (h == NULL || r->nheaders >= sizeof r->headers / sizeof r->headers[0]) {
        free(h);
        return -1;
    }
    r->headers[r->nheaders++] = h;
    return 0;
}

ar_err ar_provider_build_request(const ar_llm_cfg *c, const char *system, const char *user,
                                 const char *key, ar_llm_request *out, ar_errbuf *eb) {
    memset(out, 0, sizeof *out);
    if (c == NULL || user == NULL || (int)c->provider < 0 || c->provider > AR_PROV_GEMINI)
        return ar_errf(eb, AR_EINVAL, "llm request: no config, user prompt or unknown provider");
    const char *pn = ar_provider_name(c->provider);
    if (memchr(c->model, '\0', sizeof c->model) == NULL ||
        memchr(c->base_url, '\0', sizeof c->base_url) == NULL ||
        memchr(c->reasoning_effort, '\0', sizeof c->reasoning_effort) == NULL)
        return ar_errf(eb, AR_EINVAL, "%s: model, base_url or reasoning_effort not terminated", pn);
    if (!ar_llm_model_ok(c->model))
        return ar_errf(eb, AR_EINVAL, "%s: model must be non-empty letters, digits and -._~:;=,%%/@+",
                       pn);
    if (c->max_tokens < 1) return ar_errf(eb, AR_EINVAL, "%s %s: max_tokens must be >= 1", pn, c->model);
    if (c->has_temperature && !(c->temperature >= 0 && c->temperature <= 2))
        return ar_errf(eb, AR_EINVAL, "%s %s: temperature must be within 0..2", pn, c->model);
    if (c->provider == AR_PROV_ANTHROPIC && c->has_temperature && c->temperature > 1)
        return ar_errf(eb, AR_EINVAL, "anthropic %s: temperature must be within 0..1", c->model);
    if (c->has_top_p && !(c->top_p >= 0 && c->top_p <= 1))
        return ar_errf(eb, AR_EINVAL, "%s %s: top_p must be within 0..1", pn, c->model);

    json_t *schema = NULL;
    if (c->structured && c->provider != AR_PROV_GEMINI) {
        json_error_t je;
        schema = json_loads(c->schema ? c->schema : default_schema, 0, &je);
        if (schema == NULL || !json_is_object(schema)) {
            json_decref(schema);
            return ar_errf(eb, AR_EINVAL, "%s %s: schema is not a JSON object (%s)", pn, c->model, je.text);
        }
    }
    json_t *body = NULL;
    ar_err e = build_body(c, system, user, schema, &body);
    json_decref(schema);
    if (e != AR_OK) return ar_errf(eb, e, "%s: out of memory building the request", pn);
    out->body = json_dumps(body, JSON_FLAGS);
    json_decref(body);

    /* Base URL without trailing slashes, so "http://h:1/v1/" works too. */
    static const char *const defaults[] = {"https://api.openai.com/v1", "https://api.anthropic.com",
                                           "https://generativelanguage.googleapis.com"};
    const char *base = c->base_url[0] ? c->base_url : defaults[c->provider];
    int blen = (int)strlen(base);
    while (blen > 0 && base[blen - 1] == '/') blen--;
    const char *model = strncmp(c->model, "models/", 7) == 0 ? c->model + 7 : c->model;
    if (c->provider == AR_PROV_OPENAI) out->url = xprintf("%.*s/chat/completions", blen, base);
    else if (c->provider == AR_PROV_ANTHROPIC) out->url = xprintf("%.*s/v1/messages", blen, base);
    else out->url = xprintf("%.*s/v1beta/models/%s:generateContent", blen, base, model);

    int rc = add_header(out, xstrdup("Content-Type: application/json"));
    int has_key = key != NULL && *key != '\0';
    if (c->provider == AR_PROV_OPENAI) {
        if (has_key) rc |= add_header(out, xprintf("Authorization: Bearer %s", key));
    } else if (c->provider == AR_PROV_ANTHROPIC) {
        if (has_key) rc |= add_header(out, xprintf("x-api-key: %s", key));
        rc |= add_header(out, xstrdup("anthropic-version: 2023-06-01"));
    } else if (has_key) {
        rc |= add_header(out, xprintf("x-goog-api-key: %s", key));
    }
    if (rc != 0 || out->body == NULL || out->url == NULL) {
        ar_llm_request_cleanup(out);
        return ar_errf(eb, AR_ENOMEM, "%s: out of memory building the request", pn);
    }
    return AR_OK;
}

/* ---- responses ---- */

void ar_llm_call_cleanup(ar_llm_call *c) {
    if (c == NULL) return;
    free(c->text);
    free(c->error);
    c->text = c->error = NULL;
}

/* A token count, 0 when absent or nonsense: negative (it would refund the
 * budget) or above 1e15 (a sum of three must not overflow). Some servers
 * send counts as reals. */
static int64_t int_at(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i >= 0 && i <= (json_int_t)1000000000000000 ? (int64_t)i : 0;
    }
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) <= 1e15) return (int64_t)json_real_value(v);
    return 0;
}

/* One line of at most ERR_TEXT_MAX bytes: control bytes become spaces so a
 * hostile or HTML error body cannot forge log lines, and what is not UTF-8
 * (a Latin-1 page, a character the cut went through) becomes '?' so that a
 * cassette (JSON) can hold it. */
static char *one_line(const char *prefix, const char *msg, size_t mlen) {
    if (msg == NULL) msg = "", mlen = 0;
    if (mlen > ERR_TEXT_MAX) mlen = ERR_TEXT_MAX;
    char *s = xprintf("%s%.*s", prefix, (int)mlen, msg);
    if (s != NULL)
        for (char *p = s; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    ar_utf8_sanitize(s);
    return s;
}

static int set_text(ar_llm_call *call, char *s) {
    free(call->text);
    call->text = s;
    return s == NULL ? -1 : 0;
}

static int set_error(ar_llm_call *call, char *s) {
    free(call->error);
    call->error = s;
    return s == NULL ? -1 : 0;
}

/* Join the strings found under key in each object of arr (skipping objects
 * that say "thought": true and, when type_eq is set, whose "type" differs). */
static char *join_parts(json_t *arr, const char *key, const char *type_eq) {
    size_t total = 0, i;
    json_t *it;
    for (int pass = 0; pass < 2; pass++) {
        char *out = NULL, *w = NULL;
        if (pass == 1) {
            out = w = malloc(total + 1);
            if (out == NULL) return NULL;
        }
        json_array_foreach(arr, i, it) {
            if (json_is_true(json_object_get(it, "thought"))) continue;
            if (type_eq && !json_is_string(json_object_get(it, "type"))) continue;
            if (type_eq && strcmp(json_string_value(json_object_get(it, "type")), type_eq) != 0) continue;
            json_t *t = json_object_get(it, key);
            if (!json_is_string(t)) continue;
            size_t n = json_string_length(t);
            if (pass == 0) total += n;
            else {
                memcpy(w, json_string_value(t), n);
                w += n;
            }
        }
        if (pass == 1) {
            *w = '\0';
            return out;
        }
    }
    return NULL;
}

static void set_finish(ar_llm_call *call, const char *f) {
    snprintf(call->finish, sizeof call->finish, "%s", f);
}

static const char *norm_openai_finish(const char *f) {
    if (f == NULL) return "other";
    if (strcmp(f, "stop") == 0 || strcmp(f, "eos") == 0) return "stop";
    if (strcmp(f, "length") == 0) return "length";
    if (strcmp(f, "content_filter") == 0) return "content_filter";
    return "other";
}

static const char *norm_anthropic_finish(const char *f) {
    if (f == NULL) return "other";
    if (strcmp(f, "end_turn") == 0 || strcmp(f, "stop_sequence") == 0) return "stop";
    if (strcmp(f, "max_tokens") == 0) return "length";
    if (strcmp(f, "refusal") == 0) return "refusal";
    return "other";
}

static const char *norm_gemini_finish(const char *f) {
    if (f == NULL) return "other";
    if (strcmp(f, "STOP") == 0) return "stop";
    if (strcmp(f, "MAX_TOKENS") == 0) return "length";
    static const char *const filt[] = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT",
                                       "SPII", "IMAGE_SAFETY", "LANGUAGE"};
    for (size_t i = 0; i < sizeof filt / sizeof filt[0]; i++)
        if (strcmp(f, filt[i]) == 0) return "content_filter";
    return "other";
}

/* "30s", "1.5s" (protobuf Duration as JSON) -> seconds, -1 when not that. */
static double parse_seconds(const char *s, int need_suffix) {
    if (s == NULL) return -1;
    while (*s == ' ' || *s == '\t') s++;
    if (!isdigit((unsigned char)*s)) return -1;
    char *end;
    double v = strtod(s, &end);
    if (!isfinite(v) || v < 0) return -1;
    if (*end == 's') end++;
    else if (need_suffix) return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
    return *end == '\0' ? v : -1;
}

static int contains_ci(const char *hay, const char *needle) {
    if (hay == NULL) return 0;
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return 1;
    return 0;
}

/* Read the error shape of any provider: {"error":{"message","type"|"code"|
 * "status","details"}} (Anthropic adds an outer "type":"error"). */
static ar_err read_error(ar_provider prov, long http, json_t *root, const char *body, size_t len,
                         const char *retry_after, ar_llm_call *call, ar_llm_verdict *v) {
    json_t *err = json_object_get(root, "error");
    const char *msg = NULL, *code = NULL, *type = NULL;
    char codebuf[32];
    int quota = 0;
    if (json_is_object(err)) {
        json_t *m = json_object_get(err, "message"), *cd = json_object_get(err, "code");
        json_t *ty = json_object_get(err, "type"), *st = json_object_get(err, "status");
        if (json_is_string(m)) msg = json_string_value(m);
        if (json_is_string(cd)) code = json_string_value(cd);
        else if (json_is_integer(cd)) {
            snprintf(codebuf, sizeof codebuf, "%lld", (long long)json_integer_value(cd));
            code = codebuf;
        }
        if (json_is_string(ty)) type = json_string_value(ty);
        else if (json_is_string(st)) type = json_string_value(st);
        /* Quota exhausted: retrying only burns the attempts. */
        if ((code && strcmp(code, "insufficient_quota") == 0) ||
            (type && strcmp(type, "insufficient_quota") == 0) ||
            (code && strstr(code, "spend_limit")) || (type && strstr(type, "spend_limit")) ||
            contains_ci(msg, "enforced_spend_limit") || contains_ci(msg, "spend limit") ||
            contains_ci(msg, "billing") || contains_ci(msg, "credit balance") ||
            contains_ci(msg, "per day") || contains_ci(msg, "daily") || contains_ci(msg, "PerDay"))
            quota = 1;
        json_t *det = json_object_get(err, "details"), *d;
        size_t i;
        json_array_foreach(det, i, d) {
            json_t *rd = json_object_get(d, "retryDelay");
            if (json_is_string(rd) && v->retry_after_s < 0)
                v->retry_after_s = parse_seconds(json_string_value(rd), 1);
            json_t *viol = json_object_get(d, "violations"), *q;
            size_t k;
            json_array_foreach(viol, k, q) {
                json_t *qid = json_object_get(q, "quotaId");
                if (json_is_string(qid) && contains_ci(json_string_value(qid), "PerDay")) quota = 1;
            }
        }
    } else if (json_is_string(err)) {
        msg = json_string_value(err); /* some compatible servers */
    } else {
        /* FastAPI-style servers (vLLM, local proxies): {"detail": ...} or
         * {"message": ...}; with neither, the body itself (below) */
        json_t *m = json_object_get(root, "message"), *dt = json_object_get(root, "detail");
        if (json_is_string(m)) msg = json_string_value(m);
        else if (json_is_string(dt)) msg = json_string_value(dt);
    }
    double ra = parse_seconds(retry_after, 0);
    if (ra >= 0) v->retry_after_s = ra; /* the header beats the body */
    if (http != 429) quota = 0;
    v->retry = !quota && (http == 408 || http == 409 || http == 429 || (http >= 500 && http <= 599));
    call->status = 1;
    call->reason = AR_R_HTTP;
    char prefix[160];
    const char *label = code ? code : type;
    snprintf(prefix, sizeof prefix, "%s HTTP %ld%s%s%s%s: ", ar_provider_name(prov), http,
             label ? " (" : "", label ? label : "", label ? ")" : "", quota ? " quota exhausted" : "");
    char *line;
    if (msg != NULL) line = one_line(prefix, msg, strlen(msg));
    else line = one_line(prefix, body, len);
    return set_error(call, line) == 0 ? AR_OK : AR_ENOMEM;
}

static ar_err invalid(ar_llm_call *call, int32_t reason, const char *pn, const char *what) {
    call->status = 1;
    call->reason = reason;
    char pre[64];
    snprintf(pre, sizeof pre, "%s: ", pn);
    return set_error(call, one_line(pre, what, strlen(what))) == 0 ? AR_OK : AR_ENOMEM;
}

ar_err ar_provider_parse_response(ar_provider prov, long http, const char *body, size_t len,
                                  const char *retry_after, ar_llm_call *call, ar_llm_verdict *v) {
    v->retry = 0;
    v->retry_after_s = -1;
    call->http_status = (int32_t)http;
    call->status = 1;
    call->reason = AR_R_NONE;
    call->tokens_in = call->tokens_out = call->tokens_reasoning = 0;
    call->finish[0] = '\0';
    free(call->text);
    free(call->error);
    call->text = call->error = NULL;
    const char *pn = ar_provider_name(prov);
    if (body == NULL) body = "", len = 0;
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (http < 200 || http > 299) { /* any 2xx carries an answer */
        ar_err e = read_error(prov, http, json_is_object(root) ? root : NULL, body, len, retry_after, call, v);
        json_decref(root);
        return e;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return invalid(call, AR_R_BAD_JSON, pn, "HTTP 200 body is not a JSON object");
    }
    ar_err e = AR_OK;
    if (prov == AR_PROV_OPENAI) {
        json_t *ch = json_array_get(json_object_get(root, "choices"), 0);
        json_t *msg = json_object_get(ch, "message");
        if (!json_is_object(msg)) {
            /* OpenRouter reports upstream failures as a 200 with an error
             * object; its numeric code is the HTTP status it stands for. A
             * code in words ("context_length_exceeded") is a request the
             * server refused, retried only when it speaks of a rate limit. */
            json_t *err = json_object_get(root, "error");
            if (json_is_object(err)) {
                json_t *cd = json_object_get(err, "code");
                long code = json_is_integer(cd)                                          ? (long)json_integer_value(cd)
                            : json_is_string(cd) && contains_ci(json_string_value(cd), "rate") ? 429
                            : json_is_string(cd)                                         ? 400
                                                                                         : 502;
                e = read_error(prov, code, root, body, len, retry_after, call, v);
                call->http_status = 200;
            } else {
                e = invalid(call, AR_R_BAD_JSON, pn, "HTTP 200 without choices[0].message");
            }
            json_decref(root);
            return e;
        }
        json_t *content = json_object_get(msg, "content");
        if (content == NULL) {
            json_decref(root);
            return invalid(call, AR_R_BAD_JSON, pn, "HTTP 200 without choices[0].message.content");
        }
        char *text;
        if (json_is_string(content)) text = xstrdup(json_string_value(content));
        else if (json_is_array(content)) text = join_parts(content, "text", NULL);
        else text = xstrdup(""); /* null with tool_calls: an empty answer */
        if (set_text(call, text) != 0) e = AR_ENOMEM;
        json_t *fr = json_object_get(ch, "finish_reason");
        set_finish(call, norm_openai_finish(json_string_value(fr)));
        json_t *u = json_object_get(root, "usage");
        call->tokens_in = int_at(u, "prompt_tokens");
        call->tokens_out = int_at(u, "completion_tokens");
        call->tokens_reasoning = int_at(json_object_get(u, "completion_tokens_details"), "reasoning_tokens");
        json_t *refusal = json_object_get(msg, "refusal");
        if (json_is_string(refusal) && json_string_length(refusal) > 0) {
            set_finish(call, "refusal");
            if (e == AR_OK) e = invalid(call, AR_R_REFUSAL, pn, json_string_value(refusal));
        } else if (strcmp(call->finish, "content_filter") == 0) {
            if (e == AR_OK) e = invalid(call, AR_R_REFUSAL, pn, "answer stopped by the content filter");
        } else {
            call->status = 0;
        }
    } else if (prov == AR_PROV_ANTHROPIC) {
        json_t *content = json_object_get(root, "content");
        if (!json_is_array(content)) {
            /* An error object after a 200 (overload mid-answer) is retried. */
            if (json_is_object(json_object_get(root, "error")))
                e = read_error(prov, 500, root, body, len, retry_after, call, v);
            else
                e = invalid(call, AR_R_BAD_JSON, pn, "HTTP 200 without a content list");
            call->http_status = 200;
            json_decref(root);
            return e;
        }
        if (set_text(call, join_parts(content, "text", "text")) != 0) e = AR_ENOMEM;
        set_finish(call, norm_anthropic_finish(json_string_value(json_object_get(root, "stop_reason"))));
        json_t *u = json_object_get(root, "usage");
        call->tokens_in = int_at(u, "input_tokens") + int_at(u, "cache_creation_input_tokens") +
                          int_at(u, "cache_read_input_tokens");
        call->tokens_out = int_at(u, "output_tokens");
        if (strcmp(call->finish, "refusal") == 0) {
            if (e == AR_OK) e = invalid(call, AR_R_REFUSAL, pn, "the model refused (stop_reason refusal)");
        } else {
            call->status = 0;
        }
    } else {
        json_t *cands = json_object_get(root, "candidates");
        json_t *u = json_object_get(root, "usageMetadata");
        call->tokens_in = int_at(u, "promptTokenCount");
        call->tokens_reasoning = int_at(u, "thoughtsTokenCount");
        call->tokens_out = int_at(u, "candidatesTokenCount") + call->tokens_reasoning;
        if (json_array_size(cands) == 0 && json_object_get(root, "promptFeedback") == NULL) {
            json_decref(root);
            return invalid(call, AR_R_BAD_JSON, pn, "HTTP 200 without candidates or promptFeedback");
        }
        if (json_array_size(cands) == 0) {
            /* A blocked prompt gets no candidates at all. */
            json_t *br = json_object_get(json_object_get(root, "promptFeedback"), "blockReason");
            char what[128];
            snprintf(what, sizeof what, "prompt blocked (%s)",
                     json_is_string(br) ? json_string_value(br) : "no candidates");
            set_finish(call, "refusal");
            if (set_text(call, xstrdup("")) != 0) e = AR_ENOMEM;
            else e = invalid(call, AR_R_REFUSAL, pn, what);
            json_decref(root);
            return e;
        }
        json_t *c0 = json_array_get(cands, 0);
        json_t *parts = json_object_get(json_object_get(c0, "content"), "parts");
        if (set_text(call, json_is_array(parts) ? join_parts(parts, "text", NULL) : xstrdup("")) != 0)
            e = AR_ENOMEM;
        set_finish(call, norm_gemini_finish(json_string_value(json_object_get(c0, "finishReason"))));
        if (!json_is_object(c0)) {
            if (e == AR_OK) e = invalid(call, AR_R_BAD_JSON, pn, "candidates[0] is not an object");
        } else if (strcmp(call->finish, "content_filter") == 0) {
            if (e == AR_OK) e = invalid(call, AR_R_REFUSAL, pn, "answer stopped by the safety filter");
        } else {
            call->status = 0;
        }
    }
    json_decref(root);
    return e;
}
