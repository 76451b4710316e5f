/* tests/test_llm_pool.c - provider wire formats and the request pool.
 *
 * Unit tests build requests and read responses byte for byte (no network);
 * the pool tests talk to tests/llm_server.py, a scripted fake of the three
 * wire formats on 127.0.0.1, and exercise every retry path: 429 with
 * Retry-After, 500, 529, Gemini retryDelay, hangs past the timeout,
 * truncated and oversized bodies, malformed answers, 401 and exhausted
 * quotas. A recognisable fake key is used throughout and must appear only in
 * the one auth header the server receives - never in anything we return.
 * The pool tests are skipped (with a message) when python3 is missing. */
/* arena-test-deps: llm agents exec market util */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <jansson.h>
#include "arena/exec.h"
#include "arena/llm.h"
#include "arena/util.h"
#include "llm/pool_int.h"

#define KEY "sk-test-SECRET-1234"
#define KEY_ENV "ARENA_TEST_LLM_KEY"

static pid_t g_pid = -1;
static int g_port = 0;
static char g_log[256];
static ar_llm_pool *g_pool;

/* ---- helpers ---- */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* memmem is a GNU extension; the build is strict POSIX. */
static int has_bytes(const void *hay, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp((const char *)hay + i, needle, k) == 0) return 1;
    return 0;
}

static void assert_no_key(const ar_llm_call *c) {
    if (c->text) assert_null(strstr(c->text, KEY));
    if (c->error) assert_null(strstr(c->error, KEY));
    assert_false(has_bytes(c, sizeof *c, KEY));
    assert_false(has_bytes(c->finish, sizeof c->finish, "sk-"));
}

static ar_llm_cfg mk(ar_provider p, const char *model) {
    ar_llm_cfg c;
    ar_llm_cfg_default(&c);
    c.provider = p;
    snprintf(c.model, sizeof c.model, "%s", model);
    snprintf(c.base_url, sizeof c.base_url, "http://127.0.0.1:%d%s", g_port, p == AR_PROV_OPENAI ? "/v1" : "");
    snprintf(c.api_key_env, sizeof c.api_key_env, "%s", KEY_ENV);
    c.timeout_s = 5;
    return c;
}

static void run_one(const ar_llm_cfg *c, ar_llm_call *out) {
    const ar_llm_cfg *cfgs[1] = {c};
    const char *sys[1] = {"You are a careful trader."};
    const char *user[1] = {"BTC is at 64000. What now?"};
    ar_errbuf eb;
    assert_int_equal(ar_llm_pool_run(g_pool, cfgs, sys, user, 1, out, &eb), AR_OK);
    assert_no_key(out);
}

#define NEED_SERVER()                                                       \
    do {                                                                    \
        if (g_port == 0) {                                                  \
            print_message("llm_server.py not running (no python3?): skipped\n"); \
            skip();                                                         \
        }                                                                   \
    } while (0)

/* ---- server lifecycle ---- */

static int start_server(void **state) {
    (void)state;
    setenv(KEY_ENV, KEY, 1);
    unsetenv("ARENA_TEST_LLM_UNSET");
    ar_errbuf eb;
    g_pool = ar_llm_pool_create(42, &eb);
    if (g_pool == NULL) return -1;
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char script[1024];
    snprintf(script, sizeof script, "%s/tests/llm_server.py", ARENA_SOURCE_DIR);
    snprintf(g_log, sizeof g_log, "/tmp/arena-llm-test-%ld.jsonl", (long)getpid());
    unlink(g_log);
    int fd[2];
    if (pipe(fd) != 0) return 0;
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execlp(py, py, script, "0", "--log", g_log, "--idle", "60", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    g_pid = pid;
    char line[32];
    size_t n = 0;
    double t0 = now_ms();
    while (n + 1 < sizeof line && now_ms() - t0 < 15000) {
        struct pollfd pf = {fd[0], POLLIN, 0};
        if (poll(&pf, 1, 200) <= 0) continue;
        ssize_t r = read(fd[0], line + n, 1);
        if (r <= 0) break;
        if (line[n] == '\n') break;
        n++;
    }
    line[n] = '\0';
    close(fd[0]);
    g_port = atoi(line);
    if (g_port <= 0) {
        fprintf(stderr, "llm_server.py did not start (python3 missing?): pool tests skipped\n");
        g_port = 0;
    }
    return 0;
}

static int stop_server(void **state) {
    (void)state;
    if (g_pid > 0) {
        kill(g_pid, SIGTERM);
        waitpid(g_pid, NULL, 0);
    }
    ar_llm_pool_free(g_pool);
    unlink(g_log);
    return 0;
}

/* ---- request building ---- */

static void build_openai_exact(void **state) {
    (void)state;
    ar_llm_cfg c;
    ar_llm_cfg_default(&c);
    strcpy(c.model, "gpt-4.1-mini");
    c.temperature = 0.7, c.has_temperature = 1;
    c.max_tokens = 500;
    c.seed = 7, c.has_seed = 1;
    ar_llm_request r;
    ar_errbuf eb;
    assert_int_equal(ar_provider_build_request(&c, "S", "U", KEY, &r, &eb), AR_OK);
    assert_string_equal(r.url, "https://api.openai.com/v1/chat/completions");
    assert_string_equal(r.body, "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
                                "{\"role\":\"user\",\"content\":\"U\"}],\"temperature\":0.7,\"max_tokens\":500,"
                                "\"seed\":7}");
    assert_int_equal(r.nheaders, 2);
    assert_string_equal(r.headers[0], "Content-Type: application/json");
    assert_string_equal(r.headers[1], "Authorization: Bearer " KEY);
    assert_null(strstr(r.body, KEY));
    assert_null(strstr(r.url, KEY));
    ar_llm_request_cleanup(&r);

    /* No system prompt, no key (local server), trailing slash in base_url,
     * Qwen thinking off. */
    strcpy(c.base_url, "http://localhost:11434/v1/");
    c.has_seed = 0, c.has_temperature = 0, c.disable_thinking = 1;
    assert_int_equal(ar_provider_build_request(&c, "", "U", NULL, &r, &eb), AR_OK);
    assert_string_equal(r.url, "http://localhost:11434/v1/chat/completions");
    assert_string_equal(r.body, "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"U\"}],"
                                "\"max_tokens\":500,\"enable_thinking\":false}");
    assert_int_equal(r.nheaders, 1);
    ar_llm_request_cleanup(&r);
    ar_llm_request_cleanup(&r); /* twice: harmless */
}

static void build_openai_reasoning_and_structured(void **state) {
    (void)state;
    ar_llm_cfg c;
    ar_llm_cfg_default(&c);
    strcpy(c.model, "o3-mini");
    c.temperature = 0.2, c.has_temperature = 1;
    c.top_p = 0.9, c.has_top_p = 1;
    c.max_tokens = 800;
    strcpy(c.reasoning_effort, "low");
    ar_llm_request r;
    ar_errbuf eb;
    assert_int_equal(ar_provider_build_request(&c, "S", "U", KEY, &r, &eb), AR_OK);
    assert_string_equal(r.body, "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
                                "{\"role\":\"user\",\"content\":\"U\"}],\"max_completion_tokens\":800,"
                                "\"reasoning_effort\":\"low\"}");
    ar_llm_request_cleanup(&r);

    /* gpt-5 behind OpenRouter, structured with a seed: the schema goes in
     * response_format and OpenRouter is told to keep both parameters. */
    strcpy(c.model, "openai/gpt-5");
    strcpy(c.base_url, "https://openrouter.ai/api/v1");
    c.reasoning_effort[0] = '\0';
    c.structured = 1;
    c.seed = 3, c.has_seed = 1;
    assert_int_equal(ar_provider_build_request(&c, NULL, "U", KEY, &r, &eb), AR_OK);
    json_t *b = json_loads(r.body, 0, NULL);
    assert_non_null(b);
    assert_null(json_object_get(b, "temperature"));
    assert_null(json_object_get(b, "top_p"));
    assert_null(json_object_get(b, "max_tokens"));
    assert_int_equal(json_integer_value(json_object_get(b, "max_completion_tokens")), 800);
    json_t *rf = json_object_get(b, "response_format");
    assert_string_equal(json_string_value(json_object_get(rf, "type")), "json_schema");
    json_t *js = json_object_get(rf, "json_schema");
    assert_true(json_is_true(json_object_get(js, "strict")));
    json_t *schema = json_object_get(js, "schema");
    assert_true(json_is_false(json_object_get(schema, "additionalProperties")));
    assert_true(json_is_true(json_object_get(json_object_get(b, "provider"), "require_parameters")));
    assert_int_equal(json_integer_value(json_object_get(b, "seed")), 3);
    json_decref(b);
    ar_llm_request_cleanup(&r);

    /* reasoning forced off for a name that looks like one. */
    c.reasoning = 0;
    c.structured = 0;
    c.has_top_p = 0;
    assert_int_equal(ar_provider_build_request(&c, NULL, "U", NULL, &r, &eb), AR_OK);
    assert_non_null(strstr(r.body, "\"temperature\":0.2,\"max_tokens\":800"));
    ar_llm_request_cleanup(&r);

    /* Bad configs are refused with a message and nothing allocated. */
    strcpy(c.model, "gpt 4o?");
    assert_int_equal(ar_provider_build_request(&c, NULL, "U", KEY, &r, &eb), AR_EINVAL);
    assert_null(r.body);
    assert_null(strstr(eb.msg, KEY));
    strcpy(c.model, "gpt-4o");
    c.structured = 1;
    c.schema = "{not json";
    assert_int_equal(ar_provider_build_request(&c, NULL, "U", KEY, &r, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, "schema"));
}

static void build_anthropic_exact(void **state) {
    (void)state;
    ar_llm_cfg c;
    ar_llm_cfg_default(&c);
    c.provider = AR_PROV_ANTHROPIC;
    strcpy(c.model, "claude-sonnet-4-5");
    c.temperature = 0.2, c.has_temperature = 1;
    c.top_p = 0.9, c.has_top_p = 1;
    c.max_tokens = 500;
    ar_llm_request r;
    ar_errbuf eb;
    assert_int_equal(ar_provider_build_request(&c, "S", "U", KEY, &r, &eb), AR_OK);
    assert_string_equal(r.url, "https://api.anthropic.com/v1/messages");
    assert_string_equal(r.body, "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":500,\"system\":\"S\","
                                "\"messages\":[{\"role\":\"user\",\"content\":\"U\"}],\"temperature\":0.2}");
    assert_int_equal(r.nheaders, 3);
    assert_string_equal(r.headers[1], "x-api-key: " KEY);
    assert_string_equal(r.headers[2], "anthropic-version: 2023-06-01");
    ar_llm_request_cleanup(&r);
    /* top_p alone is sent; never both. */
    c.has_temperature = 0;
    assert_int_equal(ar_provider_build_request(&c, NULL, "U", KEY, &r, &eb), AR_OK);
    assert_string_equal(r.body, "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":500,"
                                "\"messages\":[{\"role\":\"user\",\"content\":\"U\"}],\"top_p\":0.9}");
    ar_llm_request_cleanup(&r);
    c.structured = 1;
    assert_int_equal(ar_provider_build_request(&c, NULL, "U", KEY, &r, &eb), AR_OK);
    assert_non_null(strstr(r.body, "\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":{"));
    ar_llm_request_cleanup(&r);
    c.temperature = 1.5, c.has_temperature = 1;
    assert_int_equal(ar_provider_build_request(&c, NULL, "U", KEY, &r, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, "0..1"));
}

static void build_gemini_exact(void **state) {
    (void)state;
    ar_llm_cfg c;
    ar_llm_cfg_default(&c);
    c.provider = AR_PROV_GEMINI;
    strcpy(c.model, "models/gemini-2.5-flash");
    c.temperature = 1.0, c.has_temperature = 1;
    c.max_tokens = 500;
    c.seed = 7, c.has_seed = 1;
    c.structured = 1;
    ar_llm_request r;
    ar_errbuf eb;
    assert_int_equal(ar_provider_build_request(&c, "S", "U", KEY, &r, &eb), AR_OK);
    assert_string_equal(r.url,
                        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
    assert_string_equal(r.body, "{\"systemInstruction\":{\"parts\":[{\"text\":\"S\"}]},\"contents\":[{\"role\":"
                                "\"user\",\"parts\":[{\"text\":\"U\"}]}],\"generationConfig\":{\"temperature\":1.0,"
                                "\"maxOutputTokens\":500,\"seed\":7,\"responseMimeType\":\"application/json\"}}");
    assert_int_equal(r.nheaders, 2);
    assert_string_equal(r.headers[1], "x-goog-api-key: " KEY);
    assert_null(strstr(r.url, KEY));
    ar_llm_request_cleanup(&r);
}

/* ---- response parsing ---- */

static void parse(ar_provider p, long http, const char *body, const char *ra, ar_llm_call *c, ar_llm_verdict *v) {
    assert_int_equal(ar_provider_parse_response(p, http, body, strlen(body), ra, c, v), AR_OK);
}

static void parse_answers(void **state) {
    (void)state;
    ar_llm_call c = {0};
    ar_llm_verdict v;
    parse(AR_PROV_OPENAI, 200,
          "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"a\\\":1}\","
          "\"reasoning_content\":\"hmm\",\"reasoning\":\"hmm\"},\"finish_reason\":\"length\"}],"
          "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":22,\"completion_tokens_details\":"
          "{\"reasoning_tokens\":5}}}",
          NULL, &c, &v);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.text, "{\"a\":1}");
    assert_string_equal(c.finish, "length");
    assert_int_equal(c.tokens_in, 11);
    assert_int_equal(c.tokens_out, 22);
    assert_int_equal(c.tokens_reasoning, 5);
    assert_null(c.error);

    parse(AR_PROV_OPENAI, 200,
          "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"x\"}]},"
          "\"finish_reason\":\"tool_calls\"}]}",
          NULL, &c, &v);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.text, "");
    assert_string_equal(c.finish, "other");

    parse(AR_PROV_OPENAI, 200,
          "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"no\"},\"finish_reason\":\"stop\"}]}", NULL, &c, &v);
    assert_int_equal(c.status, 1);
    assert_int_equal(c.reason, AR_R_REFUSAL);
    assert_string_equal(c.finish, "refusal");

    parse(AR_PROV_ANTHROPIC, 200,
          "{\"content\":[{\"type\":\"thinking\",\"thinking\":\"secret\",\"text\":\"not me\"},"
          "{\"type\":\"text\",\"text\":\"hel\"},{\"type\":\"tool_use\",\"id\":\"t\",\"input\":{}},"
          "{\"type\":\"text\",\"text\":\"lo\"}],\"stop_reason\":\"max_tokens\","
          "\"usage\":{\"input_tokens\":3,\"cache_read_input_tokens\":4,\"output_tokens\":9}}",
          NULL, &c, &v);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.text, "hello");
    assert_string_equal(c.finish, "length");
    assert_int_equal(c.tokens_in, 7);
    assert_int_equal(c.tokens_out, 9);

    parse(AR_PROV_ANTHROPIC, 200, "{\"content\":[],\"stop_reason\":\"refusal\"}", NULL, &c, &v);
    assert_int_equal(c.status, 1);
    assert_int_equal(c.reason, AR_R_REFUSAL);

    parse(AR_PROV_GEMINI, 200,
          "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"think\",\"thought\":true},"
          "{\"text\":\"ab\"},{\"text\":\"cd\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":"
          "{\"promptTokenCount\":4,\"candidatesTokenCount\":6,\"thoughtsTokenCount\":10}}",
          NULL, &c, &v);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.text, "abcd");
    assert_string_equal(c.finish, "stop");
    assert_int_equal(c.tokens_in, 4);
    assert_int_equal(c.tokens_out, 16);
    assert_int_equal(c.tokens_reasoning, 10);

    parse(AR_PROV_GEMINI, 200, "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}", NULL, &c, &v);
    assert_int_equal(c.status, 1);
    assert_int_equal(c.reason, AR_R_REFUSAL);
    assert_string_equal(c.finish, "refusal");
    assert_non_null(strstr(c.error, "SAFETY"));
    assert_int_equal(v.retry, 0);

    parse(AR_PROV_GEMINI, 200,
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"SAFETY\"}]}", NULL, &c, &v);
    assert_int_equal(c.reason, AR_R_REFUSAL);
    assert_string_equal(c.finish, "content_filter");

    /* Nonsense token counts count as 0: a negative one would refund the
     * budget, huge ones overflowed the sums (found by fuzz_openai). */
    parse(AR_PROV_OPENAI, 200,
          "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}],"
          "\"usage\":{\"prompt_tokens\":-11,\"completion_tokens\":-2.5e3}}",
          NULL, &c, &v);
    assert_int_equal(c.status, 0);
    assert_int_equal(c.tokens_in, 0);
    assert_int_equal(c.tokens_out, 0);
    parse(AR_PROV_ANTHROPIC, 200,
          "{\"content\":[],\"usage\":{\"input_tokens\":9000000000000000000,"
          "\"cache_read_input_tokens\":9000000000000000000,\"cache_creation_input_tokens\":7,\"output_tokens\":1e300}}",
          NULL, &c, &v);
    assert_int_equal(c.tokens_in, 7);
    assert_int_equal(c.tokens_out, 0);

    /* 200s we cannot read: an invalid answer, reason bad_json, not retried. */
    parse(AR_PROV_OPENAI, 200, "{\"choices\":[{\"message\":{\"content\":\"x\"", NULL, &c, &v);
    assert_int_equal(c.status, 1);
    assert_int_equal(c.reason, AR_R_BAD_JSON);
    assert_int_equal(v.retry, 0);
    parse(AR_PROV_OPENAI, 200, "{\"id\":\"x\"}", NULL, &c, &v);
    assert_int_equal(c.reason, AR_R_BAD_JSON);
    parse(AR_PROV_ANTHROPIC, 200, "[1,2]", NULL, &c, &v);
    assert_int_equal(c.reason, AR_R_BAD_JSON);
    parse(AR_PROV_GEMINI, 200, "", NULL, &c, &v);
    assert_int_equal(c.reason, AR_R_BAD_JSON);
    /* {} from Gemini: no candidates and no promptFeedback is not a blocked
     * prompt, it lacks the answer fields */
    parse(AR_PROV_GEMINI, 200, "{}", NULL, &c, &v);
    assert_int_equal(c.reason, AR_R_BAD_JSON);

    /* Any 2xx carries an answer. */
    parse(AR_PROV_OPENAI, 203, "{\"choices\":[{\"message\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}",
          NULL, &c, &v);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.text, "ok");
    assert_int_equal(c.http_status, 203);

    /* A 200 with an error whose code is a word: a refused request, not a
     * 502 to retry; a rate limit in words is retried. */
    parse(AR_PROV_OPENAI, 200, "{\"error\":{\"message\":\"context too long\",\"code\":\"context_length_exceeded\"}}",
          NULL, &c, &v);
    assert_int_equal(c.status, 1);
    assert_int_equal(c.reason, AR_R_HTTP);
    assert_int_equal(c.http_status, 200);
    assert_int_equal(v.retry, 0);
    assert_non_null(strstr(c.error, "context too long"));
    parse(AR_PROV_OPENAI, 200, "{\"error\":{\"message\":\"slow down\",\"code\":\"rate_limit_exceeded\"}}", NULL, &c,
          &v);
    assert_int_equal(v.retry, 1);

    /* Error bodies without an "error" key keep their text. */
    parse(AR_PROV_OPENAI, 400, "{\"detail\":\"max_tokens is too large\"}", NULL, &c, &v);
    assert_non_null(strstr(c.error, "max_tokens is too large"));
    parse(AR_PROV_OPENAI, 422, "{\"object\":\"error\",\"message\":\"bad model name\"}", NULL, &c, &v);
    assert_non_null(strstr(c.error, "bad model name"));
    parse(AR_PROV_OPENAI, 404, "{\"x\":1}", NULL, &c, &v);
    assert_non_null(strstr(c.error, "{\"x\":1}"));
    ar_llm_call_cleanup(&c);
    ar_llm_call_cleanup(&c);
    ar_llm_call_cleanup(NULL);
}

static void parse_errors(void **state) {
    (void)state;
    ar_llm_call c = {0};
    ar_llm_verdict v;
    parse(AR_PROV_OPENAI, 429,
          "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\","
          "\"param\":null,\"code\":\"insufficient_quota\"}}",
          "0", &c, &v);
    assert_int_equal(v.retry, 0);
    assert_int_equal(c.reason, AR_R_HTTP);
    assert_int_equal(c.http_status, 429);
    assert_non_null(strstr(c.error, "quota"));

    parse(AR_PROV_OPENAI, 429, "{\"error\":{\"message\":\"slow\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
          "3", &c, &v);
    assert_int_equal(v.retry, 1);
    assert_true(v.retry_after_s == 3.0);
    assert_string_equal(c.error, "openai HTTP 429 (rate_limit_exceeded): slow");

    parse(AR_PROV_ANTHROPIC, 529, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
          NULL, &c, &v);
    assert_int_equal(v.retry, 1);
    assert_true(v.retry_after_s < 0);
    assert_string_equal(c.error, "anthropic HTTP 529 (overloaded_error): Overloaded");

    parse(AR_PROV_ANTHROPIC, 429,
          "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"enforced_spend_limit_reached\"}}",
          NULL, &c, &v);
    assert_int_equal(v.retry, 0);

    parse(AR_PROV_GEMINI, 429,
          "{\"error\":{\"code\":429,\"message\":\"per minute\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":"
          "[{\"@type\":\"x.RetryInfo\",\"retryDelay\":\"30s\"}]}}",
          NULL, &c, &v);
    assert_int_equal(v.retry, 1);
    assert_true(v.retry_after_s == 30.0);
    parse(AR_PROV_GEMINI, 429,
          "{\"error\":{\"code\":429,\"message\":\"x\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":"
          "[{\"violations\":[{\"quotaId\":\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\"}]},"
          "{\"retryDelay\":\"1.5s\"}]}}",
          NULL, &c, &v);
    assert_int_equal(v.retry, 0);

    static const long final_codes[] = {400, 401, 403, 404, 402, 422};
    for (size_t i = 0; i < sizeof final_codes / sizeof final_codes[0]; i++) {
        parse(AR_PROV_OPENAI, final_codes[i], "{\"error\":{\"message\":\"no\",\"code\":null}}", NULL, &c, &v);
        assert_int_equal(v.retry, 0);
    }
    static const long retry_codes[] = {408, 409, 500, 502, 503, 504, 529};
    for (size_t i = 0; i < sizeof retry_codes / sizeof retry_codes[0]; i++) {
        parse(AR_PROV_GEMINI, retry_codes[i], "not json at all", "bogus", &c, &v);
        assert_int_equal(v.retry, 1);
        assert_true(v.retry_after_s < 0);
    }
    /* A proxy's HTML page: one line, bounded, still classified by status. */
    parse(AR_PROV_OPENAI, 502, "<html>\n<body>Bad\tGateway</body>\n</html>", "2.5", &c, &v);
    assert_int_equal(v.retry, 1);
    assert_true(v.retry_after_s == 2.5);
    assert_null(strchr(c.error, '\n'));
    assert_non_null(strstr(c.error, "Bad Gateway"));
    /* OpenRouter: upstream failure as a 200 with a numeric code. */
    parse(AR_PROV_OPENAI, 200, "{\"error\":{\"code\":502,\"message\":\"upstream down\"}}", NULL, &c, &v);
    assert_int_equal(v.retry, 1);
    assert_int_equal(c.reason, AR_R_HTTP);
    ar_llm_call_cleanup(&c);
}

/* ---- the pool against the fake server ---- */

static void round_trip_each_provider(void **state) {
    (void)state;
    NEED_SERVER();
    ar_llm_cfg o = mk(AR_PROV_OPENAI, "script;id=rt-o;think=1;tin=17;tout=9;tr=4;answer=%7B%22actions%22%3A%5B%5D%7D");
    ar_llm_cfg a = mk(AR_PROV_ANTHROPIC, "script;id=rt-a;think=1;tin=18;tout=8;answer=hello%20claude");
    ar_llm_cfg g = mk(AR_PROV_GEMINI, "script;id=rt-g;think=1;tin=19;tout=7;tr=3;answer=hello%20gemini");
    o.temperature = a.temperature = g.temperature = 0.5;
    o.has_temperature = a.has_temperature = g.has_temperature = 1;
    a.top_p = 0.9, a.has_top_p = 1; /* the server rejects both like the real API */
    const ar_llm_cfg *cfgs[3] = {&o, &a, &g};
    const char *sys[3] = {"system words here", NULL, "sys"};
    const char *user[3] = {"u1", "u2", "u3"};
    ar_llm_call out[3];
    ar_errbuf eb;
    assert_int_equal(ar_llm_pool_run(g_pool, cfgs, sys, user, 3, out, &eb), AR_OK);
    assert_int_equal(out[0].status, 0);
    assert_string_equal(out[0].text, "{\"actions\":[]}");
    assert_int_equal(out[0].tokens_in, 17);
    assert_int_equal(out[0].tokens_out, 9);
    assert_int_equal(out[0].tokens_reasoning, 4);
    assert_string_equal(out[0].finish, "stop");
    assert_int_equal(out[1].status, 0);
    assert_string_equal(out[1].text, "hello claude");
    assert_int_equal(out[1].tokens_in, 18);
    assert_int_equal(out[1].tokens_out, 8);
    assert_int_equal(out[2].status, 0);
    assert_string_equal(out[2].text, "hello gemini");
    assert_int_equal(out[2].tokens_in, 19);
    assert_int_equal(out[2].tokens_out, 10);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(out[i].attempts, 1);
        assert_int_equal(out[i].http_status, 200);
        assert_null(out[i].error);
        assert_null(strstr(out[i].text, "THOUGHTS"));
        assert_true(out[i].latency_ms > 0);
        assert_no_key(&out[i]);
        ar_llm_call_cleanup(&out[i]);
    }
}

static void requests_run_concurrently(void **state) {
    (void)state;
    NEED_SERVER();
    enum { N = 6 };
    static const int delays[N] = {50, 120, 190, 260, 330, 400};
    ar_llm_cfg c[N];
    const ar_llm_cfg *cfgs[N];
    const char *user[N];
    int sum = 0;
    for (int i = 0; i < N; i++) {
        char m[96];
        snprintf(m, sizeof m, "script;id=conc-%d;delay=%d;answer=a%d", i, delays[i], i);
        c[i] = mk((ar_provider)(i % 3), m);
        cfgs[i] = &c[i];
        user[i] = "go";
        sum += delays[i];
    }
    ar_llm_call out[N];
    ar_errbuf eb;
    double t0 = now_ms();
    assert_int_equal(ar_llm_pool_run(g_pool, cfgs, NULL, user, N, out, &eb), AR_OK);
    double wall = now_ms() - t0;
    print_message("concurrency: %d requests, delays sum %d ms, max 400 ms, wall %.0f ms\n", N, sum, wall);
    assert_true(wall >= 390);
    assert_true(wall < sum - 400); /* clearly concurrent, generous for slow CI */
    for (int i = 0; i < N; i++) {
        char want[8];
        snprintf(want, sizeof want, "a%d", i);
        assert_int_equal(out[i].status, 0);
        assert_string_equal(out[i].text, want);
        assert_true(out[i].latency_ms >= delays[i] - 5);
        ar_llm_call_cleanup(&out[i]);
    }
}

static void retries_then_success(void **state) {
    (void)state;
    NEED_SERVER();
    struct { ar_provider p; const char *model; int attempts; double min_wait, max_wait; } cases[] = {
        {AR_PROV_OPENAI, "script;id=r429;seq=e429,ok;ra=0;answer=ok", 2, 0, 0},
        {AR_PROV_GEMINI, "script;id=r429g;seq=e429,ok;ra=0;answer=ok", 2, 0, 0},
        {AR_PROV_OPENAI, "script;id=r500;seq=e500,ok;answer=ok", 2, 250, 312.5},
        {AR_PROV_ANTHROPIC, "script;id=r529;seq=e529,ok;answer=ok", 2, 250, 312.5},
        {AR_PROV_GEMINI, "script;id=rdel;seq=rdelay,ok;ra=0;answer=ok", 2, 0, 0},
        {AR_PROV_ANTHROPIC, "script;id=r503;seq=e503,ok;ra=0;answer=ok", 2, 0, 0},
        {AR_PROV_GEMINI, "script;id=rtr;seq=trunc,ok;answer=ok", 2, 250, 312.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ar_llm_cfg c = mk(cases[i].p, cases[i].model);
        ar_llm_call out;
        run_one(&c, &out);
        if (out.status != 0 || out.attempts != cases[i].attempts)
            print_message("case %zu: status %d attempts %d error %s\n", i, out.status, out.attempts,
                          out.error ? out.error : "-");
        assert_int_equal(out.status, 0);
        assert_string_equal(out.text, "ok");
        assert_int_equal(out.attempts, cases[i].attempts);
        assert_int_equal(out.nlog, cases[i].attempts);
        assert_int_equal(out.log[0].retryable, 1);
        assert_int_equal(out.log[0].reason, i == 6 ? AR_R_TRUNCATED : AR_R_HTTP);
        assert_true(out.log[1].wait_ms >= cases[i].min_wait && out.log[1].wait_ms <= cases[i].max_wait);
        assert_int_equal(out.log[1].http_status, 200);
        assert_null(out.error);
        ar_llm_call_cleanup(&out);
    }
}

static void final_failures_are_not_retried(void **state) {
    (void)state;
    NEED_SERVER();
    struct { ar_provider p; const char *model; int reason; int http; } cases[] = {
        {AR_PROV_OPENAI, "script;id=f401;seq=e401,ok", AR_R_HTTP, 401},
        {AR_PROV_OPENAI, "script;id=fq-o;seq=quota,ok", AR_R_HTTP, 429},
        {AR_PROV_ANTHROPIC, "script;id=fq-a;seq=quota,ok", AR_R_HTTP, 429},
        {AR_PROV_GEMINI, "script;id=fq-g;seq=quota,ok", AR_R_HTTP, 429},
        {AR_PROV_ANTHROPIC, "script;id=f400;seq=e400,ok", AR_R_HTTP, 400},
        {AR_PROV_OPENAI, "script;id=fbad;seq=badjson,ok", AR_R_BAD_JSON, 200},
        {AR_PROV_ANTHROPIC, "script;id=fnof;seq=nofields,ok", AR_R_BAD_JSON, 200},
        {AR_PROV_GEMINI, "script;id=fblk;seq=blocked,ok", AR_R_REFUSAL, 200},
        {AR_PROV_OPENAI, "script;id=fbig;seq=big,ok", AR_R_TRUNCATED, 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ar_llm_cfg c = mk(cases[i].p, cases[i].model);
        ar_llm_call out;
        run_one(&c, &out);
        if (out.attempts != 1 || out.reason != cases[i].reason)
            print_message("case %zu: attempts %d reason %s error %s\n", i, out.attempts, ar_reason_name(out.reason),
                          out.error ? out.error : "-");
        assert_int_equal(out.status, 1);
        assert_int_equal(out.attempts, 1);
        assert_int_equal(out.reason, cases[i].reason);
        assert_int_equal(out.http_status, cases[i].http);
        assert_non_null(out.error);
        assert_null(strchr(out.error, '\n'));
        ar_llm_call_cleanup(&out);
    }
}

static void timeouts_and_dead_ports(void **state) {
    (void)state;
    NEED_SERVER();
    ar_llm_cfg c = mk(AR_PROV_ANTHROPIC, "script;id=hang;seq=hang;hang=3000");
    c.timeout_s = 0.3;
    c.max_retries = 1;
    ar_llm_call out;
    double t0 = now_ms();
    run_one(&c, &out);
    double wall = now_ms() - t0;
    print_message("timeout: 2 attempts of 0.3 s + backoff, wall %.0f ms\n", wall);
    assert_int_equal(out.status, 1);
    assert_int_equal(out.reason, AR_R_TIMEOUT);
    assert_int_equal(out.attempts, 2);
    assert_int_equal(out.http_status, 0);
    assert_true(wall >= 800 && wall < 2500);
    assert_true(out.total_ms >= 800);
    ar_llm_call_cleanup(&out);

    /* A port nobody listens on: connection errors are retried. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(s, (struct sockaddr *)&sa, &sl);
    close(s);
    c = mk(AR_PROV_OPENAI, "gpt-4o");
    snprintf(c.base_url, sizeof c.base_url, "http://127.0.0.1:%d/v1", ntohs(sa.sin_port));
    c.max_retries = 1;
    run_one(&c, &out);
    assert_int_equal(out.status, 1);
    assert_int_equal(out.reason, AR_R_HTTP);
    assert_int_equal(out.attempts, 2);
    assert_non_null(strstr(out.error, "connection failed"));
    ar_llm_call_cleanup(&out);

    /* Retry-After beyond max_retry_wait_s: give up rather than stall a round. */
    c = mk(AR_PROV_OPENAI, "script;id=longra;seq=e429,ok;ra=600");
    c.max_retry_wait_s = 5;
    run_one(&c, &out);
    assert_int_equal(out.status, 1);
    assert_int_equal(out.attempts, 1);
    assert_non_null(strstr(out.error, "600"));
    ar_llm_call_cleanup(&out);

    /* max_retries bounds the attempts. */
    c = mk(AR_PROV_OPENAI, "script;id=always500;seq=e500");
    c.max_retries = 2;
    run_one(&c, &out);
    assert_int_equal(out.attempts, 3);
    assert_int_equal(out.reason, AR_R_HTTP);
    assert_true(out.log[1].wait_ms >= 250 && out.log[1].wait_ms <= 312.5);
    assert_true(out.log[2].wait_ms >= 500 && out.log[2].wait_ms <= 625);
    ar_llm_call_cleanup(&out);
}

static void jitter_is_seeded(void **state) {
    (void)state;
    NEED_SERVER();
    double w[2][2];
    for (int k = 0; k < 2; k++) {
        ar_errbuf eb;
        ar_llm_pool *p = ar_llm_pool_create(1234, &eb);
        assert_non_null(p);
        char m[64];
        snprintf(m, sizeof m, "script;id=jit%d;seq=e500,e500,ok;answer=ok", k);
        ar_llm_cfg c = mk(AR_PROV_GEMINI, m);
        const ar_llm_cfg *cfgs[1] = {&c};
        const char *user[1] = {"x"};
        ar_llm_call out;
        assert_int_equal(ar_llm_pool_run(p, cfgs, NULL, user, 1, &out, &eb), AR_OK);
        assert_int_equal(out.status, 0);
        assert_int_equal(out.attempts, 3);
        w[k][0] = out.log[1].wait_ms;
        w[k][1] = out.log[2].wait_ms;
        ar_llm_call_cleanup(&out);
        ar_llm_pool_free(p);
    }
    print_message("backoff waits: %.1f ms, %.1f ms\n", w[0][0], w[0][1]);
    assert_true(w[0][0] == w[1][0] && w[0][1] == w[1][1]);
    assert_true(w[0][0] >= 250 && w[0][0] <= 312.5);
    assert_true(w[0][1] >= 500 && w[0][1] <= 625);
}

static void limits_per_endpoint(void **state) {
    (void)state;
    NEED_SERVER();
    enum { N = 4 };
    ar_llm_cfg c[N];
    const ar_llm_cfg *cfgs[N];
    const char *user[N];
    for (int i = 0; i < N; i++) {
        char m[64];
        snprintf(m, sizeof m, "script;id=lim-%d;delay=200", i);
        c[i] = mk(AR_PROV_OPENAI, m);
        c[i].max_concurrent = 2;
        cfgs[i] = &c[i];
        user[i] = "x";
    }
    ar_llm_call out[7];
    ar_errbuf eb;
    double t0 = now_ms();
    assert_int_equal(ar_llm_pool_run(g_pool, cfgs, NULL, user, N, out, &eb), AR_OK);
    double wall = now_ms() - t0;
    print_message("max_concurrent 2: 4 x 200 ms in %.0f ms\n", wall);
    assert_true(wall >= 390);
    for (int i = 0; i < N; i++) {
        assert_int_equal(out[i].status, 0);
        ar_llm_call_cleanup(&out[i]);
    }
    /* 300 rpm: a burst of 5, then one every 200 ms. */
    ar_llm_cfg r[7];
    const ar_llm_cfg *rc[7];
    const char *ru[7];
    for (int i = 0; i < 7; i++) {
        r[i] = mk(AR_PROV_ANTHROPIC, "script;id=rpm");
        r[i].rpm = 300;
        rc[i] = &r[i];
        ru[i] = "x";
    }
    t0 = now_ms();
    assert_int_equal(ar_llm_pool_run(g_pool, rc, NULL, ru, 7, out, &eb), AR_OK);
    wall = now_ms() - t0;
    print_message("rpm 300: 7 requests in %.0f ms\n", wall);
    assert_true(wall >= 350 && wall < 2000);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(out[i].status, 0);
        ar_llm_call_cleanup(&out[i]);
    }
}

/* The server's own count (tests/llm_server.py grp=): the most requests of
 * group grp it had read and not yet answered at once; *n = how many it saw. */
static int max_inflight(const char *grp, int *n) {
    FILE *f = fopen(g_log, "r");
    assert_non_null(f);
    static char line[1 << 16];
    int max = 0;
    *n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        json_t *rec = json_loads(line, 0, NULL);
        if (rec == NULL) continue;
        const char *g = json_string_value(json_object_get(rec, "grp"));
        if (g != NULL && strcmp(g, grp) == 0) {
            int k = (int)json_integer_value(json_object_get(rec, "inflight"));
            if (k > max) max = k;
            (*n)++;
        }
        json_decref(rec);
    }
    fclose(f);
    return max;
}

/* One pool driven by one thread; both threads start together. */
enum { PER_POOL = 3 };
typedef struct drive_arg {
    ar_llm_pool *pool;
    pthread_barrier_t *bar;
    ar_llm_cfg cfg[PER_POOL];
    const ar_llm_cfg *cfgs[PER_POOL];
    const char *user[PER_POOL];
    size_t n;
    ar_llm_call out[PER_POOL];
    ar_err rc;
    ar_errbuf eb;
} drive_arg;

static void *drive(void *v) {
    drive_arg *a = v;
    pthread_barrier_wait(a->bar);
    a->rc = ar_llm_pool_run(a->pool, a->cfgs, NULL, a->user, a->n, a->out, &a->eb);
    return NULL;
}

/* Two pools (shared limits or not) on two threads, n requests each of
 * group grp to one endpoint; every call must answer. */
static void two_threads(ar_llm_limits *lim, const char *grp, size_t n, int max_conc, double rpm, int delay_ms) {
    pthread_barrier_t bar;
    assert_int_equal(pthread_barrier_init(&bar, NULL, 2), 0);
    drive_arg a[2];
    memset(a, 0, sizeof a);
    ar_errbuf eb;
    for (int t = 0; t < 2; t++) {
        a[t].pool = ar_llm_pool_create(100 + (uint64_t)t, &eb);
        assert_non_null(a[t].pool);
        if (lim) assert_int_equal(ar_llm_pool_set_limits(a[t].pool, lim, &eb), AR_OK);
        a[t].bar = &bar;
        a[t].n = n;
        for (size_t i = 0; i < n; i++) {
            char m[128];
            snprintf(m, sizeof m, "script;id=%s-%d-%zu;grp=%s;delay=%d", grp, t, i, grp, delay_ms);
            a[t].cfg[i] = mk(AR_PROV_OPENAI, m);
            a[t].cfg[i].max_concurrent = max_conc;
            a[t].cfg[i].rpm = rpm;
            a[t].cfgs[i] = &a[t].cfg[i];
            a[t].user[i] = "x";
        }
    }
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, drive, &a[1]), 0);
    drive(&a[0]);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_barrier_destroy(&bar);
    for (int t = 0; t < 2; t++) {
        assert_int_equal(a[t].rc, AR_OK);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(a[t].out[i].status, 0);
            assert_int_equal(a[t].out[i].attempts, 1);
            ar_llm_call_cleanup(&a[t].out[i]);
        }
        /* back to its own limits, then freed: either order is fine */
        if (t == 0 && lim) assert_int_equal(ar_llm_pool_set_limits(a[t].pool, NULL, &eb), AR_OK);
        ar_llm_pool_free(a[t].pool);
    }
}

static void limits_shared_across_threads(void **state) {
    (void)state;
    NEED_SERVER();
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/v1", g_port);
    /* Shared: the server never has more than max_concurrent of the two
     * pools' requests at once. */
    for (int conc = 1; conc <= 2; conc++) {
        char grp[32];
        snprintf(grp, sizeof grp, "shared%d", conc);
        ar_llm_limits *lim = ar_llm_limits_create();
        assert_non_null(lim);
        two_threads(lim, grp, PER_POOL, conc, 0, 100);
        int n, max = max_inflight(grp, &n);
        print_message("shared limits, max_concurrent %d: %d requests, at most %d in flight\n", conc, n, max);
        assert_int_equal(n, 2 * PER_POOL);
        assert_true(max >= 1 && max <= conc);
        uint64_t taken, waits;
        assert_int_equal(ar__llm_limits_counts(lim, AR_PROV_OPENAI, base, &taken, &waits), AR_OK);
        assert_int_equal(taken, 2 * PER_POOL);
        assert_int_equal(waits, 0);
        ar_llm_limits_free(lim);
    }
    /* Not shared: each pool keeps its own max_concurrent 1, so the two
     * threads together have two requests out (each pool's three 150 ms
     * requests in a row overlap the other's). */
    two_threads(NULL, "own1", PER_POOL, 1, 0, 150);
    int n, max = max_inflight("own1", &n);
    print_message("own limits, max_concurrent 1 per pool: %d requests, at most %d in flight\n", n, max);
    assert_int_equal(n, 2 * PER_POOL);
    assert_int_equal(max, 2);
    /* rpm 30 (a burst of one, then one every 2 s) shared: of the two
     * threads' requests, one takes the only token and the other has to
     * wait for the next. */
    ar_llm_limits *lim = ar_llm_limits_create();
    assert_non_null(lim);
    uint64_t taken, waits;
    assert_int_equal(ar__llm_limits_counts(lim, AR_PROV_OPENAI, base, &taken, &waits), AR_ENOTFOUND);
    two_threads(lim, "rpm", 1, 0, 30, 0);
    assert_int_equal(ar__llm_limits_counts(lim, AR_PROV_OPENAI, base, &taken, &waits), AR_OK);
    print_message("shared rpm 30: %llu requests, %llu refused takes waiting for a token\n",
                  (unsigned long long)taken, (unsigned long long)waits);
    assert_int_equal(taken, 2);
    assert_true(waits >= 1);
    ar_llm_limits_free(lim);
}

static void keys_stay_secret(void **state) {
    (void)state;
    NEED_SERVER();
    /* Missing variable: immediate failure naming the variable only. */
    ar_llm_cfg c = mk(AR_PROV_OPENAI, "gpt-4o");
    strcpy(c.api_key_env, "ARENA_TEST_LLM_UNSET");
    ar_llm_call out;
    run_one(&c, &out);
    assert_int_equal(out.status, 1);
    assert_int_equal(out.reason, AR_R_HTTP);
    assert_int_equal(out.attempts, 0);
    assert_string_equal(out.error, "environment variable ARENA_TEST_LLM_UNSET is not set");
    ar_llm_call_cleanup(&out);

    /* A server that echoes the key back in its error: masked. */
    for (int p = 0; p < 3; p++) {
        char m[64];
        snprintf(m, sizeof m, "script;id=echo%d;seq=echokey", p);
        c = mk((ar_provider)p, m);
        run_one(&c, &out);
        assert_int_equal(out.attempts, 1);
        assert_int_equal(out.http_status, 401);
        assert_non_null(strstr(out.error, "***"));
        ar_llm_call_cleanup(&out);
    }

    /* The key echoed where the error text is cut (300 bytes): what is left
     * of it is masked too; and a Latin-1 error page becomes valid UTF-8
     * (a cassette is JSON: it must be able to hold every error). */
    for (int p = 0; p < 3; p++) {
        char m[64];
        snprintf(m, sizeof m, "script;id=cut%d;seq=echokeycut", p);
        c = mk((ar_provider)p, m);
        run_one(&c, &out);
        assert_int_equal(out.http_status, 401);
        assert_non_null(out.error);
        if (strstr(out.error, "sk-t") != NULL) fail_msg("key prefix left in '%s'", out.error);
        assert_non_null(strstr(out.error, "***"));
        ar_llm_call_cleanup(&out);
        snprintf(m, sizeof m, "script;id=l1%d;seq=latin1", p);
        c = mk((ar_provider)p, m);
        c.max_retries = 0;
        run_one(&c, &out);
        assert_int_equal(out.http_status, 503);
        assert_non_null(out.error);
        char *copy = strdup(out.error);
        assert_int_equal(ar_utf8_sanitize(copy), 0); /* already valid */
        free(copy);
        if (strstr(out.error, "Service indisponible: r?essayez") == NULL) fail_msg("error '%s'", out.error);
        ar_llm_call_cleanup(&out);
    }

    /* Every request the server saw: the key only in the auth header. */
    char *data = NULL;
    FILE *f = fopen(g_log, "r");
    assert_non_null(f);
    char line[1 << 16];
    int with_key = 0, lines = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        json_t *rec = json_loads(line, 0, NULL);
        if (rec == NULL) continue; /* a 9 MiB body is not logged; lines are short */
        lines++;
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(rec, "headers"), k, v) {
            const char *s = json_string_value(v);
            if (s == NULL || strstr(s, KEY) == NULL) continue;
            assert_true(strcasecmp(k, "authorization") == 0 || strcasecmp(k, "x-api-key") == 0 ||
                        strcasecmp(k, "x-goog-api-key") == 0);
            with_key++;
        }
        assert_null(strstr(json_string_value(json_object_get(rec, "body")), KEY));
        assert_null(strstr(json_string_value(json_object_get(rec, "path")), KEY));
        json_decref(rec);
    }
    fclose(f);
    free(data);
    print_message("server log: %d requests, %d carried the key in the auth header\n", lines, with_key);
    assert_true(lines > 20);
    assert_int_equal(with_key, lines);
}

static void bad_arguments(void **state) {
    (void)state;
    ar_llm_call out[1];
    ar_errbuf eb;
    const char *user[1] = {"x"};
    const ar_llm_cfg *cfgs[1] = {NULL};
    assert_int_equal(ar_llm_pool_run(g_pool, NULL, NULL, user, 1, out, &eb), AR_EINVAL);
    assert_int_equal(ar_llm_pool_run(g_pool, cfgs, NULL, user, 1, out, &eb), AR_EINVAL);
    assert_int_equal(ar_llm_pool_run(g_pool, cfgs, NULL, user, 0, out, &eb), AR_OK);
    /* An unusable config is a recorded failure of that call only. */
    ar_llm_cfg c;
    ar_llm_cfg_default(&c);
    strcpy(c.model, "bad model");
    cfgs[0] = &c;
    assert_int_equal(ar_llm_pool_run(g_pool, cfgs, NULL, user, 1, out, &eb), AR_OK);
    assert_int_equal(out[0].status, 1);
    assert_int_equal(out[0].reason, AR_R_AGENT_ERROR);
    assert_int_equal(out[0].attempts, 0);
    ar_llm_call_cleanup(&out[0]);
    ar_provider p;
    assert_int_equal(ar_provider_from_name("gemini", &p), AR_OK);
    assert_int_equal(p, AR_PROV_GEMINI);
    assert_int_equal(ar_provider_from_name("bard", &p), AR_EINVAL);
    assert_string_equal(ar_provider_name(7), "?");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_openai_exact),
        cmocka_unit_test(build_openai_reasoning_and_structured),
        cmocka_unit_test(build_anthropic_exact),
        cmocka_unit_test(build_gemini_exact),
        cmocka_unit_test(parse_answers),
        cmocka_unit_test(parse_errors),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(round_trip_each_provider),
        cmocka_unit_test(requests_run_concurrently),
        cmocka_unit_test(retries_then_success),
        cmocka_unit_test(final_failures_are_not_retried),
        cmocka_unit_test(timeouts_and_dead_ports),
        cmocka_unit_test(jitter_is_seeded),
        cmocka_unit_test(limits_per_endpoint),
        cmocka_unit_test(limits_shared_across_threads),
        cmocka_unit_test(keys_stay_secret),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
