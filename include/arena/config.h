/* include/arena/config.h - the tournament configuration (JSON, jansson).
 *
 * Parsing is strict: unknown keys and wrong types are errors naming the key
 * path ("execution.fees.taker_bps: expected a number"). Every default is
 * written down in docs/CONFIG.md. */
#ifndef ARENA_CONFIG_H
#define ARENA_CONFIG_H

#include <stdint.h>
#include <stddef.h>
#include "arena/agent.h"
#include "arena/exec.h"
#include "arena/llm.h"
#include "arena/run.h"

/* Limits (docs/HARDENING.md "Limits"): a config past one is refused with
 * one line naming the key (AR_ECONFIG, exit 2), before anything is sized
 * by it. */
#define AR_MAX_AGENTS 1000                  /* agents + baselines */
#define AR_MAX_EPISODES 1000000             /* windows x seeds */
#define AR_MAX_EQUITY_SAMPLES 250000000.0   /* sum over episodes of (decisions + 1) x agents */
#define AR_MAX_TEMPLATE_BYTES ((size_t)1 << 20) /* a prompt template file */
#define AR_MAX_CONFIG_BYTES ((size_t)64 << 20)  /* the config file */

typedef struct ar_agent_cfg {
    char name[AR_NAME_MAX];
    char kind[16];                /* "builtin", "llm", "exec" or "http" */
    char strategy[AR_NAME_MAX];   /* builtin: strategy name */
    double params[AR_MAX_PARAMS]; /* builtin: validated, in definition order */
    const ar_strategy_def *def;
    int baseline;                 /* added by `baselines` */
    /* llm agents */
    ar_llm_cfg llm;
    double price_in, price_out;   /* USD per million tokens; NAN = unknown */
    double budget_usd;            /* 0 = none */
    /* exec agents: the command (argv, NULL-terminated, owned); http: url */
    char **argv;
    char url[1024];
    double ext_timeout_s;         /* exec/http answer timeout, default 10 s */
} ar_agent_cfg;

typedef struct ar_window {
    int64_t start, end; /* 0 = default (from the data) */
} ar_window;

typedef struct ar_config {
    char name[128];
    char path[4096];      /* the config file, for messages */
    uint64_t seed;
    double capital;
    char data[4096];      /* market file, resolved against the config's folder */
    size_t nsym;
    char (*symbols)[AR_SYM_MAX]; /* NULL/0: every symbol in the file */
    int64_t start, end;   /* 0: defaults from the data */
    /* episodes = windows x seeds */
    size_t nwindows;      /* explicit windows (0: one window [start, end]) */
    ar_window *windows;
    size_t win_count;     /* {"count": N, "length": L}: N evenly spaced windows */
    int64_t win_length;
    size_t nseeds;
    uint64_t *seeds;      /* at least one (default: [seed]) */
    int anon_symbols, anon_dates, anon_prices; /* market.anonymize */
    int64_t cadence;
    ar_exec_cfg exec;
    size_t nagents;
    ar_agent_cfg *agents; /* configured agents first, then baselines */
    size_t nllm;          /* how many agents are llm, exec or http agents (asked each round) */
    double budget_usd;    /* llm.budget_usd: whole run, 0 = none */
    char *prompt_system;  /* template texts (owned), from prompts/ or files */
    char *prompt_user;
    char *canonical_json; /* the config as given, keys sorted, compact */
    /* live runs (docs/LIVE.md): a `live` section instead of market.data */
    int live;
    char live_exchange[16];   /* binance | hyperliquid | coinbase */
    char live_url[1024];      /* "" = the exchange's own host */
    unsigned live_channels;   /* 1 trades, 2 book (bits) */
    int64_t live_interval;    /* bars agents see, ns (default 1m) */
} ar_config;

/* Parse text (from file `path`, used in messages and to resolve
 * market.data). On error *out is NULL and eb names the key path. */
ar_err ar_config_parse(const char *text, const char *path, ar_config **out, ar_errbuf *eb);
ar_err ar_config_load(const char *path, ar_config **out, ar_errbuf *eb);
void ar_config_free(ar_config *c);

#endif
