/* tests/test_config.c - the config parser: defaults, baselines, and one
 * clear error naming the key path for each kind of mistake. */
/* arena-test-deps: core strategies agents exec market util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "arena/config.h"
#include "arena/util.h"

static ar_config *parse_ok(const char *text) {
    ar_config *c = NULL;
    ar_errbuf eb = {{0}};
    ar_err e = ar_config_parse(text, "dir/cfg.json", &c, &eb);
    if (e) fail_msg("unexpected error: %s", eb.msg);
    return c;
}

static void expect_error(const char *text, const char *needle) {
    ar_config *c = NULL;
    ar_errbuf eb = {{0}};
    ar_err e = ar_config_parse(text, "cfg.json", &c, &eb);
    assert_int_equal(e, AR_ECONFIG);
    assert_null(c);
    if (strstr(eb.msg, needle) == NULL) fail_msg("error '%s' does not contain '%s'", eb.msg, needle);
    assert_non_null(strstr(eb.msg, "cfg.json"));
}

static void full_example(void **state) {
    (void)state;
    ar_config *c = parse_ok(
        "{\"name\": \"demo\", \"seed\": 7, \"capital\": 10000,"
        " \"market\": {\"data\": \"market.h5\", \"symbols\": [\"BTC\", \"ETH\"],"
        "            \"start\": \"2025-06-01T00:00:00Z\", \"end\": \"2025-06-08T00:00:00Z\", \"mode\": \"perp\"},"
        " \"cadence\": \"3m\","
        " \"execution\": {\"fill\": \"next_open\", \"latency_ms\": 250,"
        "               \"fees\": {\"taker_bps\": 4.5, \"maker_bps\": 1.5},"
        "               \"slippage\": {\"model\": \"sqrt\", \"k\": 0.1},"
        "               \"max_leverage\": 20, \"maintenance_margin\": 0.005,"
        "               \"funding\": {\"rate\": 0.0001, \"interval\": \"8h\"}},"
        " \"baselines\": [\"flat\", \"buy_hold\", \"random\"],"
        " \"agents\": [{\"name\": \"sma\", \"kind\": \"builtin\", \"strategy\": \"sma_cross\","
        "              \"params\": {\"fast\": 10, \"slow\": 30}}]}");
    assert_string_equal(c->name, "demo");
    assert_int_equal(c->seed, 7);
    assert_string_equal(c->data, "dir/market.h5"); /* relative to the config's folder */
    assert_int_equal(c->nsym, 2);
    assert_string_equal(c->symbols[1], "ETH");
    assert_int_equal(c->start, INT64_C(1748736000) * AR_NS_PER_S);
    assert_int_equal(c->end - c->start, 7 * AR_NS_PER_DAY);
    assert_int_equal(c->cadence, 3 * AR_NS_PER_MIN);
    assert_int_equal(c->exec.latency, 250 * AR_NS_PER_MS);
    assert_int_equal(c->exec.mode, AR_MODE_PERP);
    assert_int_equal(c->exec.slip, AR_SLIP_SQRT);
    assert_true(c->exec.slip_k == 0.1);
    assert_true(c->exec.taker_bps == 4.5 && c->exec.maker_bps == 1.5);
    assert_int_equal(c->exec.funding_interval, 8 * AR_NS_PER_HOUR);
    assert_int_equal(c->nagents, 4);
    assert_string_equal(c->agents[0].name, "sma");
    assert_true(c->agents[0].params[0] == 10 && c->agents[0].params[1] == 30);
    assert_string_equal(c->agents[1].name, "flat");
    assert_int_equal(c->agents[3].baseline, 1);
    assert_non_null(strstr(c->canonical_json, "\"cadence\":\"3m\""));
    ar_config_free(c);
}

static void defaults(void **state) {
    (void)state;
    ar_config *c = parse_ok("{\"market\": {\"data\": \"/abs/m.h5\"}}");
    assert_string_equal(c->data, "/abs/m.h5");
    assert_int_equal(c->nsym, 0);
    assert_true(c->capital == 10000);
    assert_int_equal(c->cadence, 0); /* resolved from the data's interval */
    assert_int_equal(c->nagents, 3);  /* the three baselines */
    assert_string_equal(c->agents[2].name, "random");
    assert_true(c->exec.max_leverage == 20 && c->exec.maintenance_margin == 0.005);
    ar_config_free(c);
    c = parse_ok("{\"market\": {\"data\": \"m.h5\"}, \"baselines\": [],"
                 " \"agents\": [{\"name\": \"m\", \"strategy\": \"momentum\"}]}");
    assert_int_equal(c->nagents, 1);
    assert_true(c->agents[0].params[0] == 60);
    ar_config_free(c);
}

static void errors_name_the_key(void **state) {
    (void)state;
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"execution\": {\"fees\": {\"taker_bps\": \"4\"}}}",
                 "execution.fees.taker_bps: expected a number");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"executon\": {}}", "executon: unknown key");
    expect_error("{\"market\": {\"data\": \"m.h5\", \"mode\": \"margin\"}}", "market.mode: expected");
    expect_error("{}", "market: missing");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"cadence\": \"3 minutes\"}", "cadence: expected a duration");
    expect_error("{\"market\": {\"data\": \"m.h5\", \"start\": \"yesterday\"}}", "market.start: expected");
    /* model agents: what every call would fail on is refused here */
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\", \"kind\": \"llm\","
                 " \"provider\": \"anthropic\", \"model\": \"claude-x\", \"temperature\": 1.5}]}",
                 "agents[0].temperature: out of range for anthropic (expected 0 to 1)");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\", \"kind\": \"llm\","
                 " \"provider\": \"gemini\", \"model\": \"gemini pro?\"}]}",
                 "agents[0].model: expected letters, digits and -._~:;=,%/@+ only");
    expect_error("{\"name\": \"\", \"market\": {\"data\": \"m.h5\"}}", "name: empty");
    /* a live session shows the feed's symbols and prices: only dates can be hidden */
    expect_error("{\"market\": {\"symbols\": [\"BTC\"], \"anonymize\": {\"symbols\": true}},"
                 " \"live\": {\"exchange\": \"binance\"}}",
                 "market.anonymize.symbols: not applied in a live run (only dates)");
    expect_error("{\"market\": {\"symbols\": [\"BTC\"], \"anonymize\": {\"prices\": true}},"
                 " \"live\": {\"exchange\": \"binance\"}}",
                 "market.anonymize.prices: not applied in a live run (only dates)");
    /* counts are whole numbers: 1.5 tokens would go out as 1 */
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\", \"kind\": \"llm\","
                 " \"provider\": \"openai\", \"model\": \"gpt-x\", \"max_tokens\": 1.5}]}",
                 "agents[0].max_tokens: expected a whole number");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\", \"kind\": \"llm\","
                 " \"provider\": \"gemini\", \"model\": \"g\", \"seed\": 2.7}]}",
                 "agents[0].seed: expected a whole number");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\", \"kind\": \"llm\","
                 " \"provider\": \"anthropic\", \"model\": \"a\", \"max_concurrent\": 1.5}]}",
                 "agents[0].max_concurrent: expected a whole number");
    /* a strategy's leverage above max_leverage would have every order
     * refused: an error when given, brought down to it when a default */
    expect_error("{\"market\": {\"data\": \"m.h5\", \"mode\": \"perp\"}, \"execution\": {\"max_leverage\": 20},"
                 " \"agents\": [{\"name\": \"m\", \"strategy\": \"momentum\", \"params\": {\"leverage\": 100}}]}",
                 "agents[0].params.leverage: 100 is above execution.max_leverage 20 (every order would be refused)");
    {
        ar_config *c = parse_ok("{\"market\": {\"data\": \"m.h5\", \"mode\": \"perp\"},"
                                " \"execution\": {\"max_leverage\": 1.5}, \"baselines\": [\"random\"]}");
        const ar_agent_cfg *r = &c->agents[0];
        size_t li = 0;
        while (strcmp(r->def->params[li].name, "leverage")) li++;
        assert_true(r->params[li] == 1.5); /* random's default 2, brought down */
        ar_config_free(c);
        /* in spot the parameter is not used (leverage 1): not checked */
        ar_config_free(parse_ok("{\"market\": {\"data\": \"m.h5\", \"mode\": \"spot\"}, \"execution\":"
                                " {\"max_leverage\": 2}, \"agents\": [{\"name\": \"m\", \"strategy\": \"momentum\","
                                " \"params\": {\"leverage\": 5}}]}"));
    }
    { /* a key pasted where its variable's name goes: refused, and never echoed */
        ar_config *c = NULL;
        ar_errbuf eb = {{0}};
        assert_int_equal(ar_config_parse("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\","
                                         " \"kind\": \"llm\", \"provider\": \"openai\", \"model\": \"gpt-x\","
                                         " \"api_key_env\": \"sk-LEAKME-999\"}]}",
                                         "cfg.json", &c, &eb),
                         AR_ECONFIG);
        assert_non_null(strstr(eb.msg, "cfg.json: agents[0].api_key_env: expected the name of an environment variable"));
        assert_null(strstr(eb.msg, "LEAKME"));
        ar_config_free(c);
    }
    ar_config_free(parse_ok("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\", \"kind\": \"llm\","
                            " \"provider\": \"openai\", \"model\": \"gpt-x\", \"api_key_env\": \"my_Key_2\"}]}"));
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"c\", \"kind\": \"llm\","
                 " \"provider\": \"openai\", \"model\": \"gpt-x\", \"budget_usd\": 1}]}",
                 "agents[0].budget_usd: needs a price to count spending");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"llm\": {\"budget_usd\": 5}, \"agents\": [{\"name\": \"c\","
                 " \"kind\": \"llm\", \"provider\": \"openai\", \"model\": \"gpt-x\"}]}",
                 "llm.budget_usd: needs a price on some llm agent to count spending");
    expect_error("{\"market\": {\"data\": \"m.h5\", \"end\": 1735689600.5}}",
                 "market.end: expected a whole epoch number or an ISO-8601 time string");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"a\", \"strategy\": \"sma_cross\","
                 " \"params\": {\"fast\": 2.5}}]}",
                 "agents[0].params.fast: expected a whole number");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"a\", \"strategy\": \"sma_cross\","
                 " \"params\": {\"speed\": 2}}]}",
                 "agents[0].params.speed: unknown parameter");
    /* parameters in range one by one, but not together: refused here, with
     * both values, rather than by the strategy when the run starts */
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"a\", \"strategy\": \"sma_cross\","
                 " \"params\": {\"slow\": 10}}]}",
                 "agents[0].params: fast 10 is not below slow 10 (expected fast < slow)");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"a\", \"strategy\": \"mean_revert\","
                 " \"params\": {\"entry_z\": 1, \"exit_z\": 1.5}}]}",
                 "agents[0].params: exit_z 1.5 is above entry_z 1 (expected exit_z <= entry_z)");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"a\", \"strategy\": \"magic\"}]}",
                 "agents[0].strategy: unknown strategy");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"a/b\", \"strategy\": \"flat\"}]}",
                 "agents[0].name");
    /* 22 CJK characters are 66 bytes: the limit is in bytes, and says so */
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \""
                 "\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d"
                 "\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d"
                 "\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\", \"strategy\": \"flat\"}]}",
                 "agents[0].name: expected 1 to 63 bytes of UTF-8 (a CJK character takes 3)");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"a\", \"strategy\": \"flat\"},"
                 " {\"name\": \"a\", \"strategy\": \"flat\"}]}",
                 "agents[1].name: duplicate");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"baselines\": [\"hodl\"]}", "baselines[0]");
    /* more baselines than the three defaults: the fourth is read from the list */
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"baselines\": [\"flat\", \"buy_hold\", \"random\", \"flat\"]}",
                 "baselines[3]: an agent already has this name");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"agents\": [{\"name\": \"flat\", \"strategy\": \"sma_cross\"}]}",
                 "baselines[0]: an agent already has this name");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"execution\": {\"slippage\": {\"model\": \"fixed\"}}}",
                 "execution.slippage.bps: missing");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"execution\": {\"max_leverage\": 0.5}}",
                 "execution.max_leverage: 0.5 is out of range");
    expect_error("{\"market\": {\"data\": \"m.h5\"}, \"seed\": -1}", "seed: expected a non-negative integer");
    expect_error("{\"market\": {\"data\": \"m.h5\"},}", "invalid JSON");
    expect_error("{\"market\": {\"data\": \"m.h5\", \"start\": \"2025-02-01\", \"end\": \"2025-01-01\"}}",
                 "market.end: must be after market.start");
    expect_error("{\"market\": {\"data\": \"m.h5\", \"symbols\": [\"BTC\", \"BTC\"]}}", "market.symbols[1]: duplicate");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_example),
        cmocka_unit_test(defaults),
        cmocka_unit_test(errors_name_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
