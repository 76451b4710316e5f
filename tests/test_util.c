/* tests/test_util.c - hashing, seeds, error text and UTF-8 repair. */
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

/* Each case: input, what sanitising leaves, bytes replaced. Valid text
 * of 1 to 4 bytes a character stays; every byte of an ill-formed sequence
 * becomes '?' (the first, then each byte that cannot start a character). */
static void utf8_repair(void **state) {
    (void)state;
    static const struct {
        const char *in, *out;
        size_t n;
    } cases[] = {
        {"plain ascii", "plain ascii", 0},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0},
        {"r\xe9" "essayez", "r?essayez", 1},                /* Latin-1 */
        {"cut \xe2\x82", "cut ??", 2},                    /* a character cut short */
        {"\xc0\xaf", "??", 2},                             /* overlong '/' */
        {"\xe0\x80\xaf", "???", 3},                        /* overlong, 3 bytes */
        {"\xed\xa0\x80", "???", 3},                        /* a surrogate */
        {"\xf4\x90\x80\x80", "????", 4},                  /* above U+10FFFF */
        {"\xf5\x80", "??", 2},
        {"\x80 lone", "? lone", 1},
        {"ok \xf0\x9f\x98", "ok ???", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        strcpy(buf, cases[i].in);
        size_t n = ar_utf8_sanitize(buf);
        if (strcmp(buf, cases[i].out) != 0 || n != cases[i].n)
            fail_msg("case %zu: got '%s' (%zu replaced), want '%s' (%zu)", i, buf, n, cases[i].out, cases[i].n);
    }
    assert_int_equal(ar_utf8_sanitize(NULL), 0);
    /* the first invalid byte, by length (a NUL is one; a character may end
     * the buffer; one cut by the end is not whole) */
    const size_t ok = (size_t)-1;
    assert_true(ar_utf8_invalid_at("caf\xc3\xa9", 5) == ok);
    assert_true(ar_utf8_invalid_at("\xf0\x9f\x98\x80", 4) == ok);
    assert_true(ar_utf8_invalid_at("ab\xe2\x82", 4) == 2);
    assert_true(ar_utf8_invalid_at("ab\0cd", 5) == 2);
    assert_true(ar_utf8_invalid_at("Rules \xff\xfe", 8) == 6);
    assert_true(ar_utf8_invalid_at("\xed\xa0\x80 surrogate", 13) == 0);
    assert_true(ar_utf8_invalid_at("", 0) == ok);
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
        cmocka_unit_test(utf8_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
