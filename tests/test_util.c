/* tests/test_util.c - hashing, seeds and error text. */
/* arena-test-deps: util */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "arena/util.h"

static void sha256_known_vectors(void **state) {
    (void)state;
    char hex[65];
    ar_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ar_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void seeds_differ_per_name(void **state) {
    (void)state;
    uint64_t a = ar_hash_str(7, "sma"), b = ar_hash_str(7, "random"), c = ar_hash_str(8, "sma");
    assert_true(a != b && a != c && b != c);
    assert_int_equal(ar_hash_str(7, "sma"), a);
}

static void error_text(void **state) {
    (void)state;
    ar_errbuf eb;
    assert_int_equal(ar_errf(&eb, AR_EFORMAT, "%s:%d: bad", "x.csv", 3), AR_EFORMAT);
    assert_string_equal(eb.msg, "x.csv:3: bad");
    assert_string_equal(ar_strerror(AR_ENOMEM), "out of memory");
    assert_string_equal(ar_strerror((ar_err)999), "unknown error");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_vectors),
        cmocka_unit_test(seeds_differ_per_name),
        cmocka_unit_test(error_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
