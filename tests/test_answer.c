/* tests/test_answer.c - answer parsing and validation (src/llm/answer.c).
 *
 * A table of answers, each with the exact status, answer reason, reason per
 * action and the orders that must come out, against one account: cash
 * 10000, BTC 50000 / ETH 3000 / SOL 100 / XRP no price, a long of 1 ETH,
 * max leverage 20, taker fee 4.5 bps (perp; "spot" cases use spot mode).
 * Then the generated hostile cases (65 actions, 2 MiB, deep nesting, random
 * bytes) and the exact canonical JSON. */
/* arena-test-deps: llm agents exec market util */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arena/exec.h"
#include "arena/llm.h"

static const char *const coins[] = {"BTC", "ETH", "SOL", "XRP"};
static const double marks[] = {50000, 3000, 100, NAN};
static const double position[] = {0, 1, 0, 0};
static const double pmargin[] = {0, 600, 0, 0};
static const double pentry[] = {0, 3000, 0, 0};

static ar_answer_ctx make_ctx(int spot) {
    ar_answer_ctx c = {4, coins, marks, position, 10000, 20, spot, 0.00045, pmargin, pentry, 0};
    return c;
}

typedef struct xo {
    int32_t sym, type;
    double qty, lev, tp, sl;
} xo;

typedef struct tcase {
    const char *name, *text;
    int spot;
    int status, reason;
    size_t nact;
    int areason[4];
    size_t nord;
    xo ord[3];
} tcase;

#define N NAN
#define R(x) AR_R_##x
static const tcase cases[] = {
    {"valid list",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":10,\"profit_target\":55000,"
     "\"stop_loss\":48000,\"confidence\":0.7,\"risk_usd\":200,\"justification\":\"trend\","
     "\"invalidation_condition\":\"close below 47000\"},{\"signal\":\"close\",\"coin\":\"ETH\"},"
     "{\"signal\":\"hold\",\"coin\":\"SOL\"}]",
     0, 0, R(NONE), 3, {0, 0, 0}, 2,
     {{0, AR_OT_MARKET, 0.1, 10, 55000, 48000}, {1, AR_OT_CLOSE, 0, 1, N, N}}},
    {"fenced json in prose",
     "Looking at SOL, momentum is fading.\n```json\n[{\"signal\": \"sell_to_enter\", \"coin\": \"SOL\", "
     "\"quantity\": 5, \"leverage\": 3}]\n```\nGood luck!",
     0, 0, R(NONE), 1, {0}, 1, {{2, AR_OT_MARKET, -5, 3, N, N}}},
    {"single object, lower-case coin", "{\"signal\":\"buy_to_enter\",\"coin\":\"eth\",\"quantity\":2,\"leverage\":5}",
     0, 0, R(NONE), 1, {0}, 1, {{1, AR_OT_MARKET, 2, 5, N, N}}},
    {"object with actions", "{\"reasoning\":\"[flat]\",\"actions\":[{\"signal\":\"hold\"}]}", 0, 0, R(NONE), 1,
     {0}, 0, {{0}}},
    {"decisions and BTCUSDT",
     "{\"decisions\":[{\"signal\":\"buy_to_enter\",\"coin\":\"BTCUSDT\",\"quantity\":0.01,\"leverage\":2}]}", 0, 0,
     R(NONE), 1, {0}, 1, {{0, AR_OT_MARKET, 0.01, 2, N, N}}},
    {"numeric strings and BTC-USD",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC-USD\",\"quantity\":\"0.5\",\"leverage\":\" 10 \","
     "\"profit_target\":\"60000\",\"stop_loss\":\"45000.5\",\"confidence\":\"0.5\"}]",
     0, 0, R(NONE), 1, {0}, 1, {{0, AR_OT_MARKET, 0.5, 10, 60000, 45000.5}}},
    {"coin keyed, Alpha Arena style",
     "{\"BTC\":{\"signal\":\"hold\"},\"SOL/USDT\":{\"trade_signal_args\":{\"signal\":\"buy_to_enter\","
     "\"quantity\":10,\"leverage\":1}},\"ETH\":\"hold\",\"note\":\"x\"}",
     0, 0, R(NONE), 3, {0, 0, 0}, 1, {{2, AR_OT_MARKET, 10, 1, N, N}}},
    /* coin-keyed with a coin inside: the same coin (any spelling) is fine;
     * another is a contradiction, refused rather than guessed */
    {"coin key and a clashing inner coin",
     "{\"BTC\":{\"signal\":\"buy_to_enter\",\"coin\":\"ETH\",\"quantity\":1,\"leverage\":1}}", 0, 1,
     R(BAD_FIELD), 1, {R(BAD_FIELD)}, 0, {{0}}},
    {"coin key and the same inner coin",
     "{\"BTC\":{\"signal\":\"buy_to_enter\",\"coin\":\"btcusdt\",\"quantity\":0.01,\"leverage\":1}}", 0, 0,
     R(NONE), 1, {0}, 1, {{0, AR_OT_MARKET, 0.01, 1, N, N}}},
    {"prose brackets before the json",
     "Given [risk] and {volatility}, I hold: [{\"signal\":\"hold\"}]", 0, 0, R(NONE), 1, {0}, 0, {{0}}},
    {"empty list", "[]", 0, 0, R(NONE), 0, {0}, 0, {{0}}},
    /* lists in the prose before the answer are not the answer: of numbers,
     * of strings, or empty when a non-empty one follows */
    {"a list of numbers in the prose",
     "Prices [100, 200] are up. [{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.01,\"leverage\":2}]",
     0, 0, R(NONE), 1, {0}, 1, {{0, AR_OT_MARKET, 0.01, 2, N, N}}},
    {"a list of names in the prose",
     "I considered [\"BTC\",\"ETH\"] and chose: {\"signal\":\"sell_to_enter\",\"coin\":\"SOL\",\"quantity\":1,"
     "\"leverage\":2}",
     0, 0, R(NONE), 1, {0}, 1, {{2, AR_OT_MARKET, -1, 2, N, N}}},
    {"an empty list, then the answer",
     "No positions: []. Now: [{\"signal\":\"buy_to_enter\",\"coin\":\"ETH\",\"quantity\":1,\"leverage\":1}]",
     0, 0, R(NONE), 1, {0}, 1, {{1, AR_OT_MARKET, 1, 1, N, N}}},
    /* reasoning left in the content is not read: a draft there never trades */
    {"a draft inside <think>",
     "<think>Option A: [{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.05,\"leverage\":20}] is too "
     "risky, so I will hold.</think>\n[{\"signal\":\"hold\"}]",
     0, 0, R(NONE), 1, {0}, 0, {{0}}},
    {"an unclosed <think>",
     "<THINK>maybe [{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.05,\"leverage\":2}]", 0, 1,
     R(EMPTY), 0, {0}, 0, {{0}}},
    {"refusal, curly apostrophe", "I\xe2\x80\x99m not able to provide trading decisions.", 0, 1, R(REFUSAL), 0,
     {0}, 0, {{0}}},
    {"bad json", "{\"signal\": \"buy_to_enter\", coin: BTC}", 0, 1, R(BAD_JSON), 0, {0}, 0, {{0}}},
    {"prose without json", "Market looks bullish, buying BTC now.", 0, 1, R(BAD_JSON), 0, {0}, 0, {{0}}},
    {"empty", "", 0, 1, R(EMPTY), 0, {0}, 0, {{0}}},
    {"whitespace", " \n\t\r ", 0, 1, R(EMPTY), 0, {0}, 0, {{0}}},
    {"refusal", "I'm sorry, but I can't help with trading decisions.", 0, 1, R(REFUSAL), 0, {0}, 0, {{0}}},
    {"refusal as an AI", "As an AI language model, I do not give financial advice.", 0, 1, R(REFUSAL), 0, {0}, 0,
     {{0}}},
    {"truncated", "```json\n[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1", 0, 1, R(TRUNCATED), 0,
     {0}, 0, {{0}}},
    {"missing coin", "[{\"signal\":\"buy_to_enter\",\"quantity\":1,\"leverage\":2}]", 0, 1, R(MISSING_FIELD), 1,
     {R(MISSING_FIELD)}, 0, {{0}}},
    {"missing quantity", "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"leverage\":2}]", 0, 1,
     R(MISSING_FIELD), 1, {R(MISSING_FIELD)}, 0, {{0}}},
    {"missing leverage", "[{\"signal\":\"sell_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":null}]", 0,
     1, R(MISSING_FIELD), 1, {R(MISSING_FIELD)}, 0, {{0}}},
    {"missing signal", "[{\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":2}]", 0, 1, R(MISSING_FIELD), 1,
     {R(MISSING_FIELD)}, 0, {{0}}},
    {"bad signal", "[{\"signal\":\"buy\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":2}]", 0, 1, R(BAD_SIGNAL),
     1, {R(BAD_SIGNAL)}, 0, {{0}}},
    {"not an object", "[1]", 0, 1, R(BAD_JSON), 1, {R(BAD_JSON)}, 0, {{0}}},
    {"unknown coin", "[{\"signal\":\"buy_to_enter\",\"coin\":\"DOGE\",\"quantity\":1,\"leverage\":2}]", 0, 1,
     R(UNKNOWN_SYM), 1, {R(UNKNOWN_SYM)}, 0, {{0}}},
    {"NaN string quantity", "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":\"NaN\",\"leverage\":2}]",
     0, 1, R(BAD_QTY), 1, {R(BAD_QTY)}, 0, {{0}}},
    {"1e400 quantity", "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":1e400,\"leverage\":2}]", 0, 1,
     R(BAD_QTY), 1, {R(BAD_QTY)}, 0, {{0}}},
    {"huge integer quantity",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":123456789012345678901234567890,\"leverage\":2}]", 0,
     1, R(BAD_QTY), 1, {R(BAD_QTY)}, 0, {{0}}},
    {"negative quantity", "[{\"signal\":\"sell_to_enter\",\"coin\":\"BTC\",\"quantity\":-0.1,\"leverage\":2}]", 0, 1,
     R(BAD_QTY), 1, {R(BAD_QTY)}, 0, {{0}}},
    {"zero quantity", "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0,\"leverage\":2}]", 0, 1,
     R(BAD_QTY), 1, {R(BAD_QTY)}, 0, {{0}}},
    {"absurd quantity", "[{\"signal\":\"buy_to_enter\",\"coin\":\"SOL\",\"quantity\":2e12,\"leverage\":2}]", 0, 1,
     R(BAD_QTY), 1, {R(BAD_QTY)}, 0, {{0}}},
    {"1000x leverage", "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":1000}]", 0, 1,
     R(LEVERAGE), 1, {R(LEVERAGE)}, 0, {{0}}},
    {"leverage below 1", "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":0.5}]", 0, 1,
     R(LEVERAGE), 1, {R(LEVERAGE)}, 0, {{0}}},
    {"margin short", "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":5,\"leverage\":10}]", 0, 1,
     R(MARGIN_SHORT), 1, {R(MARGIN_SHORT)}, 0, {{0}}},
    {"margin counted across actions",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":1,\"leverage\":10},"
     "{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":1,\"leverage\":10}]",
     0, 0, R(MARGIN_SHORT), 2, {0, R(MARGIN_SHORT)}, 1, {{0, AR_OT_MARKET, 1, 10, N, N}}},
    {"flip counts the released margin",
     "[{\"signal\":\"sell_to_enter\",\"coin\":\"ETH\",\"quantity\":4.5,\"leverage\":1}]", 0, 0, R(NONE), 1, {0}, 1,
     {{1, AR_OT_MARKET, -4.5, 1, N, N}}},
    /* the first sell closes the ETH long (freeing its 600 of margin); the
     * second opens a short (reserving 3001.35); the third would need
     * 9004.05 against 6998.65 left: margin. Counting the long's margin for
     * every sell would have let it through. */
    {"sells carry what they reduce",
     "[{\"signal\":\"sell_to_enter\",\"coin\":\"ETH\",\"quantity\":1,\"leverage\":1},"
     "{\"signal\":\"sell_to_enter\",\"coin\":\"ETH\",\"quantity\":1,\"leverage\":1},"
     "{\"signal\":\"sell_to_enter\",\"coin\":\"ETH\",\"quantity\":3,\"leverage\":1}]",
     0, 0, R(MARGIN_SHORT), 3, {0, 0, R(MARGIN_SHORT)}, 2,
     {{1, AR_OT_MARKET, -1, 1, N, N}, {1, AR_OT_MARKET, -1, 1, N, N}}},
    {"spot short", "[{\"signal\":\"sell_to_enter\",\"coin\":\"SOL\",\"quantity\":1,\"leverage\":1}]", 1, 1,
     R(SPOT_SHORT), 1, {R(SPOT_SHORT)}, 0, {{0}}},
    {"spot leverage", "[{\"signal\":\"buy_to_enter\",\"coin\":\"SOL\",\"quantity\":1,\"leverage\":2}]", 1, 1,
     R(LEVERAGE), 1, {R(LEVERAGE)}, 0, {{0}}},
    {"spot buy", "[{\"signal\":\"buy_to_enter\",\"coin\":\"SOL\",\"quantity\":1,\"leverage\":1}]", 1, 0, R(NONE), 1,
     {0}, 1, {{2, AR_OT_MARKET, 1, 1, N, N}}},
    {"close without position", "[{\"signal\":\"close\",\"coin\":\"BTC\"}]", 0, 0, R(NO_POSITION), 1,
     {R(NO_POSITION)}, 0, {{0}}},
    {"close of unknown coin", "[{\"signal\":\"close\",\"coin\":\"LTC\"}]", 0, 1, R(UNKNOWN_SYM), 1,
     {R(UNKNOWN_SYM)}, 0, {{0}}},
    {"no price", "[{\"signal\":\"buy_to_enter\",\"coin\":\"XRP\",\"quantity\":1,\"leverage\":1}]", 0, 1, R(NO_DATA),
     1, {R(NO_DATA)}, 0, {{0}}},
    {"take profit below a long",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":5,\"profit_target\":40000}]", 0, 1,
     R(BAD_PRICE), 1, {R(BAD_PRICE)}, 0, {{0}}},
    {"stop below a short",
     "[{\"signal\":\"sell_to_enter\",\"coin\":\"SOL\",\"quantity\":1,\"leverage\":5,\"stop_loss\":90}]", 0, 1,
     R(BAD_PRICE), 1, {R(BAD_PRICE)}, 0, {{0}}},
    {"negative stop",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"SOL\",\"quantity\":1,\"leverage\":5,\"stop_loss\":-5}]", 0, 1,
     R(BAD_PRICE), 1, {R(BAD_PRICE)}, 0, {{0}}},
    {"confidence 1.5",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":5,\"confidence\":1.5}]", 0, 1,
     R(BAD_FIELD), 1, {R(BAD_FIELD)}, 0, {{0}}},
    {"negative risk_usd", "[{\"signal\":\"close\",\"coin\":\"ETH\",\"risk_usd\":-1}]", 0, 1, R(BAD_FIELD), 1,
     {R(BAD_FIELD)}, 0, {{0}}},
    {"partly valid",
     "[{\"signal\":\"buy_to_enter\",\"coin\":\"DOGE\",\"quantity\":1,\"leverage\":2},"
     "{\"signal\":\"sell_to_enter\",\"coin\":\"btc/usdt\",\"quantity\":0.2,\"leverage\":4,\"stop_loss\":51000}]",
     0, 0, R(UNKNOWN_SYM), 2, {R(UNKNOWN_SYM), 0}, 1, {{0, AR_OT_MARKET, -0.2, 4, N, 51000}}},
};
#undef N
#undef R

/* The provider cut the answer (finish "length"): the first whole object of
 * a list that never closes is not traded, nor an empty cut answer; a
 * complete answer followed by cut prose still is. */
static void truncated_by_provider(void **state) {
    (void)state;
    static const struct {
        const char *text;
        int status, reason;
        size_t nord;
    } tc[] = {
        {"[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":2},{\"signal\":\"sell_to_en", 1,
         AR_R_TRUNCATED, 0},
        {"{\"actions\":[{\"signal\":\"close\",\"coin\":\"ETH\"},{\"signal\":\"buy_to_enter\",\"coin\":\"SOL\"", 1,
         AR_R_TRUNCATED, 0},
        {"", 1, AR_R_TRUNCATED, 0},
        {"I think the market", 1, AR_R_TRUNCATED, 0},
        {"[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":0.1,\"leverage\":2}]\nReasoning: {because the", 0,
         AR_R_NONE, 1},
    };
    for (size_t k = 0; k < sizeof tc / sizeof *tc; k++) {
        ar_answer_ctx ctx = make_ctx(0);
        ctx.truncated = 1;
        ar_answer ans;
        ar_actions out = {0};
        assert_int_equal(ar_answer_parse(tc[k].text, strlen(tc[k].text), &ctx, &ans, &out), AR_OK);
        if (ans.status != tc[k].status || ans.reason != tc[k].reason || out.n != tc[k].nord)
            fail_msg("case %zu: status %d reason %d orders %zu", k, ans.status, ans.reason, out.n);
        ar_answer_cleanup(&ans);
        ar_actions_cleanup(&out);
    }
}

static void same(double got, double want, const char *what, const char *name) {
    if (isnan(want) ? !isnan(got) : got != want) fail_msg("%s: %s = %.17g, want %.17g", name, what, got, want);
}

static void test_table(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const tcase *c = &cases[k];
        ar_answer_ctx ctx = make_ctx(c->spot);
        ar_answer ans;
        ar_actions out = {0};
        ar_order_req pre = {3, AR_OT_MARKET, 1, NAN, 1, NAN, NAN, 0};
        assert_int_equal(ar_actions_push(&out, &pre), AR_OK); /* orders are appended after it */
        assert_int_equal(ar_answer_parse(c->text, strlen(c->text), &ctx, &ans, &out), AR_OK);
        if (ans.status != c->status || ans.reason != c->reason)
            fail_msg("%s: status %d reason %s, want %d %s", c->name, ans.status, ar_reason_name(ans.reason),
                     c->status, ar_reason_name(c->reason));
        assert_int_equal(out.status, c->status);
        assert_int_equal(out.reason, c->reason);
        if (ans.nactions != c->nact) fail_msg("%s: %zu actions, want %zu", c->name, ans.nactions, c->nact);
        for (size_t i = 0; i < c->nact && i < 4; i++)
            if (ans.actions[i].reason != c->areason[i])
                fail_msg("%s: action %zu reason %s, want %s", c->name, i, ar_reason_name(ans.actions[i].reason),
                         ar_reason_name(c->areason[i]));
        if (out.n != 1 + c->nord) fail_msg("%s: %zu orders, want %zu", c->name, out.n - 1, c->nord);
        for (size_t i = 0; i < c->nord; i++) {
            const ar_order_req *r = &out.v[1 + i];
            const xo *x = &c->ord[i];
            if (r->sym != x->sym || r->type != x->type)
                fail_msg("%s: order %zu sym %d type %d, want %d %d", c->name, i, r->sym, r->type, x->sym, x->type);
            same(r->qty, x->qty, "qty", c->name);
            same(r->leverage, x->lev, "leverage", c->name);
            same(r->tp, x->tp, "tp", c->name);
            same(r->sl, x->sl, "sl", c->name);
            assert_int_equal(r->reduce_only, x->type == AR_OT_CLOSE);
        }
        /* canonical JSON exists exactly when something was parsed */
        if ((ans.canonical_json != NULL) != (c->nact > 0 || c->status == 0))
            fail_msg("%s: canonical_json %s", c->name, ans.canonical_json ? ans.canonical_json : "NULL");
        ar_answer_cleanup(&ans);
        ar_actions_cleanup(&out);
    }
}

static void parse(const char *text, size_t len, ar_answer *ans, ar_actions *out) {
    ar_answer_ctx ctx = make_ctx(0);
    assert_int_equal(ar_answer_parse(text, len, &ctx, ans, out), AR_OK);
}

static void test_canonical(void **state) {
    (void)state;
    ar_answer ans;
    ar_actions out = {0};
    const char *t = "Sure:\n```\n{\"coin\":\"BTC\",\"signal\":\"buy_to_enter\",\"quantity\":0.1,\"leverage\":10,"
                    "\"justification\":\"a \\\"b\\\"\",\"zeta\":[1,2]}\n```";
    parse(t, strlen(t), &ans, &out);
    assert_string_equal(ans.canonical_json, "[{\"coin\":\"BTC\",\"justification\":\"a \\\"b\\\"\",\"leverage\":10,"
                                            "\"quantity\":0.1,\"signal\":\"buy_to_enter\",\"zeta\":[1,2]}]");
    assert_int_equal(ans.actions[0].signal, 1);
    assert_int_equal(ans.actions[0].sym, 0);
    assert_true(ans.actions[0].quantity == 0.1 && ans.actions[0].leverage == 10);
    assert_true(isnan(ans.actions[0].confidence) && isnan(ans.actions[0].profit_target));
    ar_answer_cleanup(&ans);
    /* an overflowing number reaches the validator as the string the model wrote */
    t = "[{\"signal\":\"buy_to_enter\",\"coin\":\"BTC\",\"quantity\":1e400,\"leverage\":2}]";
    parse(t, strlen(t), &ans, &out);
    assert_string_equal(ans.canonical_json,
                        "[{\"coin\":\"BTC\",\"leverage\":2,\"quantity\":\"1e400\",\"signal\":\"buy_to_enter\"}]");
    assert_true(isinf(ans.actions[0].quantity));
    ar_answer_cleanup(&ans);
    /* a coin-keyed answer is recorded as the list it stands for */
    t = "{\"SOL\":{\"signal\":\"hold\"}}";
    parse(t, strlen(t), &ans, &out);
    assert_string_equal(ans.canonical_json, "[{\"coin\":\"SOL\",\"signal\":\"hold\"}]");
    assert_int_equal(ans.actions[0].sym, 2);
    ar_answer_cleanup(&ans);
    parse("nothing", 7, &ans, &out);
    assert_null(ans.canonical_json);
    assert_null(ans.actions);
    ar_answer_cleanup(&ans);
    ar_answer_cleanup(NULL);
    ar_actions_cleanup(&out);
}

static void test_limits(void **state) {
    (void)state;
    ar_answer ans;
    ar_actions out = {0};
    /* 64 actions pass, 65 are refused whole */
    const char *hold = "{\"signal\":\"hold\"},";
    char *t = malloc(65 * strlen(hold) + 3);
    assert_non_null(t);
    for (int n = 64; n <= 65; n++) {
        strcpy(t, "[");
        for (int i = 0; i < n; i++) strcat(t, hold);
        t[strlen(t) - 1] = ']';
        parse(t, strlen(t), &ans, &out);
        assert_int_equal(ans.status, n == 64 ? 0 : 1);
        assert_int_equal(ans.reason, n == 64 ? AR_R_NONE : AR_R_TOO_LONG);
        assert_int_equal(ans.nactions, n == 64 ? 64 : 0);
        ar_answer_cleanup(&ans);
    }
    free(t);
    /* 2 MiB is refused before any scan; exactly 1 MiB is read */
    size_t big = (size_t)2 << 20;
    t = malloc(big);
    assert_non_null(t);
    memset(t, ' ', big);
    memcpy(t, "[{\"signal\":\"hold\"}]", 19);
    parse(t, big, &ans, &out);
    assert_int_equal(ans.status, 1);
    assert_int_equal(ans.reason, AR_R_TOO_LONG);
    ar_answer_cleanup(&ans);
    parse(t, AR_ANSWER_MAX_BYTES, &ans, &out);
    assert_int_equal(ans.status, 0);
    assert_int_equal(ans.nactions, 1);
    ar_answer_cleanup(&ans);
    /* nesting deeper than jansson allows: balanced -> bad_json, open -> truncated */
    size_t depth = 100000;
    for (size_t i = 0; i < depth; i++) {
        t[i] = '[';
        t[depth + i] = ']';
    }
    parse(t, 2 * depth, &ans, &out);
    assert_int_equal(ans.status, 1);
    assert_int_equal(ans.reason, AR_R_BAD_JSON);
    ar_answer_cleanup(&ans);
    parse(t, depth, &ans, &out);
    assert_int_equal(ans.reason, AR_R_TRUNCATED);
    ar_answer_cleanup(&ans);
    /* a megabyte of unbalanced braces and quotes: bounded work, no crash */
    for (size_t i = 0; i < AR_ANSWER_MAX_BYTES; i++) t[i] = "{\"[:,"[i % 5];
    parse(t, AR_ANSWER_MAX_BYTES, &ans, &out);
    assert_int_equal(ans.status, 1);
    ar_answer_cleanup(&ans);
    free(t);
    assert_int_equal(out.n, 0);
    ar_actions_cleanup(&out);
}

/* Bytes the text is not supposed to contain: NUL, invalid UTF-8, NULL. */
static void test_hostile(void **state) {
    (void)state;
    ar_answer ans;
    ar_actions out = {0};
    const char nul[] = "x\0[{\"signal\":\"hold\"}]";
    parse(nul, sizeof nul - 1, &ans, &out);
    assert_int_equal(ans.status, 0);
    assert_int_equal(ans.nactions, 1);
    ar_answer_cleanup(&ans);
    const char *bad = "[{\"signal\":\"hold\",\"justification\":\"\xff\xfe\"}]";
    parse(bad, strlen(bad), &ans, &out);
    assert_int_equal(ans.reason, AR_R_BAD_JSON);
    ar_answer_cleanup(&ans);
    parse(NULL, 10, &ans, &out);
    assert_int_equal(ans.reason, AR_R_EMPTY);
    ar_answer_cleanup(&ans);
    /* seeded random answers built from JSON-ish pieces */
    static const char *const pieces[] = {"[", "]", "{", "}", "\"", ":", ",", "\\", "signal", "coin",
                                         "buy_to_enter", "close", "BTC", "quantity", "1e400", "-0",
                                         "leverage", "null", " ", "```", "\xe2\x80", "I can't"};
    uint64_t x = 88172645463325252ULL;
    char buf[512];
    for (int it = 0; it < 20000; it++) {
        size_t n = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int np = (int)(x % 40);
        for (int k = 0; k < np; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *p = pieces[x % (sizeof pieces / sizeof *pieces)];
            size_t pl = strlen(p);
            if (n + pl >= sizeof buf) break;
            memcpy(buf + n, p, pl);
            n += pl;
        }
        ar_actions_clear(&out);
        parse(buf, n, &ans, &out);
        assert_true(ans.status == 0 || ans.status == 1);
        assert_true(ans.reason >= 0 && ans.reason < AR_R_COUNT);
        assert_true(ans.nactions <= AR_ANSWER_MAX_ACTIONS);
        ar_answer_cleanup(&ans);
    }
    ar_actions_cleanup(&out);
}

static void test_reason_names(void **state) {
    (void)state;
    assert_string_equal(ar_reason_name(AR_R_TOO_LONG), "too_long");
    assert_string_equal(ar_reason_name(AR_R_BAD_FIELD), "bad_field");
    assert_string_equal(ar_reason_name(AR_R_AGENT_ERROR), "agent_error");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),   cmocka_unit_test(test_canonical),   cmocka_unit_test(test_limits),
        cmocka_unit_test(test_hostile), cmocka_unit_test(test_reason_names),
        cmocka_unit_test(truncated_by_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
