/* tests/test_shard.c - the pure parts of sharding: episode lists, the
 * cost-balanced assignment of episodes to ranks, and the division of LLM
 * rate limits across ranks. (Writing, resuming and merging shard files is
 * tested end to end in tests/cli_merge.sh and tests/cli_mpi.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "arena/shard.h"

static void test_parse_list(void **st) {
    (void)st;
    unsigned char sel[12];
    ar_errbuf eb = {{0}};
    memset(sel, 0, sizeof sel);
    assert_int_equal(ar_shard_parse_list("0-3,7,9-11", 12, sel, &eb), AR_OK);
    const unsigned char want[12] = {1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1};
    assert_memory_equal(sel, want, 12);
    assert_int_equal(ar_shard_parse_list("12", 12, sel, &eb), AR_EINVAL);
    assert_non_null(strstr(eb.msg, "episode 12 does not exist"));
    assert_int_equal(ar_shard_parse_list("3-1", 12, sel, &eb), AR_EINVAL);
    assert_int_equal(ar_shard_parse_list("", 12, sel, &eb), AR_EINVAL);
    assert_int_equal(ar_shard_parse_list("1,", 12, sel, &eb), AR_EINVAL);
    assert_int_equal(ar_shard_parse_list("1;2", 12, sel, &eb), AR_EINVAL);
    assert_int_equal(ar_shard_parse_list("99999999999999999999999", 12, sel, &eb), AR_EINVAL);
}

static void test_assign(void **st) {
    (void)st;
    ar_episode_info e[6];
    memset(e, 0, sizeof e);
    double c[6] = {10, 1, 8, 3, 7, 2};
    for (int i = 0; i < 6; i++) e[i].cost = c[i];
    int owner[6];
    ar_shard_assign(e, NULL, 6, 3, owner);
    /* largest first: 0 (10) -> p0, 2 (8) -> p1, 4 (7) -> p2, 3 (3) -> p2 (now 10),
     * 5 (2) -> p1 (now 10), 1 (1) -> p0 (all at 10: the lowest part) */
    const int want[6] = {0, 0, 1, 2, 2, 1};
    assert_memory_equal(owner, want, sizeof want);
    double load[3] = {0};
    for (int i = 0; i < 6; i++) load[owner[i]] += c[i];
    assert_true(load[0] == 11 && load[1] == 10 && load[2] == 10);
    /* only the todo episodes; one part takes everything */
    unsigned char todo[6] = {1, 0, 1, 0, 0, 1};
    ar_shard_assign(e, todo, 6, 1, owner);
    const int want1[6] = {0, -1, 0, -1, -1, 0};
    assert_memory_equal(owner, want1, sizeof want1);
    /* equal costs: ties go by episode index, round robin over the parts */
    for (int i = 0; i < 6; i++) e[i].cost = 5;
    ar_shard_assign(e, NULL, 6, 4, owner);
    const int want2[6] = {0, 1, 2, 3, 0, 1};
    assert_memory_equal(owner, want2, sizeof want2);
    /* more parts than episodes: the extra parts get nothing */
    ar_shard_assign(e, NULL, 2, 5, owner);
    assert_int_equal(owner[0], 0);
    assert_int_equal(owner[1], 1);
}

static void test_split_limits(void **st) {
    (void)st;
    ar_agent_cfg ag[3];
    memset(ag, 0, sizeof ag);
    strcpy(ag[0].kind, "llm");
    strcpy(ag[0].name, "a");
    ag[0].llm.max_concurrent = 8;
    ag[0].llm.rpm = 600;
    strcpy(ag[1].kind, "llm");
    strcpy(ag[1].name, "b"); /* no limits: stays unlimited */
    strcpy(ag[2].kind, "builtin");
    strcpy(ag[2].name, "c");
    ar_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.path, "x.json");
    cfg.agents = ag;
    cfg.nagents = 3;
    ar_errbuf eb = {{0}};
    assert_int_equal(ar_shard_split_limits(&cfg, 1, &eb), AR_OK);
    assert_int_equal(ag[0].llm.max_concurrent, 8);
    assert_int_equal(ar_shard_split_limits(&cfg, 3, &eb), AR_OK);
    assert_int_equal(ag[0].llm.max_concurrent, 2); /* 8 / 3 rounded down: the sum 6 <= 8 */
    assert_true(ag[0].llm.rpm == 200);
    assert_int_equal(ag[1].llm.max_concurrent, 0);
    assert_true(ag[1].llm.rpm == 0);
    ag[0].llm.max_concurrent = 2;
    assert_int_equal(ar_shard_split_limits(&cfg, 3, &eb), AR_ECONFIG);
    assert_non_null(strstr(eb.msg, "a: max_concurrent 2 cannot be shared by 3 processes"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_assign),
        cmocka_unit_test(test_split_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
