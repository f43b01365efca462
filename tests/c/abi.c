/* The C ABI's contract (bindings/c/include/hookseal.h) checked function by function: NULL and zero-length
 * arguments, malformed arguments, status strings, the last error message, binary bodies, rotation, a sign/verify
 * round trip for every provider, sharing a verifier between threads; everything allocated is freed (run it under
 * valgrind: see tests/c/Makefile).
 *
 * usage: abi        prints each failed check and "N of N ABI checks passed"; exits 1 on any failure
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookseal.h"
#include "json.h"

static unsigned checks, failures;

static int check_at(int line, int ok, const char *fmt, ...) {
    checks++;
    if (!ok) {
        va_list ap;
        failures++;
        fprintf(stderr, "FAIL abi.c:%d: ", line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    return ok;
}
#define CHECK(cond, ...) check_at(__LINE__, (cond) ? 1 : 0, __VA_ARGS__)

/* This thread's last error message, NUL-terminated in a static buffer (for failure reports). */
static const char *last_message(void) {
    static char buf[1024];
    size_t n = 0;
    if (hookseal_last_error_message(buf, sizeof buf - 1, &n) != HOOKSEAL_STATUS_OK) return "(no message)";
    buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = '\0';
    return buf;
}

/* The status of an expression must be `want`. */
#define EXPECT(expr, want)                                                                                          \
    do {                                                                                                            \
        hookseal_status got_ = (expr);                                                                              \
        check_at(__LINE__, got_ == (hookseal_status)(want), "%s: expected %s, got %u %s (%s)", #expr,               \
                 hookseal_status_code(want), (unsigned)got_, hookseal_status_code(got_),                            \
                 got_ ? last_message() : "");                                                                       \
    } while (0)

/* Sentinels: a pointer value no call may write over an out-parameter on failure. */
static char sentinel_storage[2];
#define V_SENTINEL ((hookseal_verifier *)(void *)&sentinel_storage[0])
#define B_SENTINEL ((hookseal_bytes *)(void *)&sentinel_storage[1])

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

static const char ELMED_SECRET[] = "elmed_whsk_4f9c2a7e1b6d3c8a5e0f";
static const char ELMED_OPTIONS[] = "{\"secret\": \"elmed_whsk_4f9c2a7e1b6d3c8a5e0f\"}";
static const char ELMED_BODY[] =
    "{\"event\": \"prescription.issued\", \"timestamp\": \"2026-03-29T10:45:00\", \"data\": {\"prescription_id\": 42}}";
static const int64_t NOW = 1774781100; /* 2026-03-29T10:45:00Z */

static hookseal_verifier *new_verifier(int line, const char *provider, const char *options) {
    hookseal_verifier *v = NULL;
    hookseal_status st = hookseal_verifier_new(provider, options, &v);
    if (!check_at(line, st == HOOKSEAL_STATUS_OK && v != NULL, "hookseal_verifier_new(%s, %s): %s (%s)", provider,
                  options ? options : "NULL", hookseal_status_code(st), st ? last_message() : ""))
        return NULL;
    return v;
}

/* The headers block "name\0value\0..." of a headers JSON object from hookseal_sign (malloc'd; NULL on error). */
static char *block_of(const hookseal_bytes *headers_json, size_t *len) {
    char err[300];
    json_value *h = json_parse((const char *)hookseal_bytes_data(headers_json), hookseal_bytes_len(headers_json), err,
                               sizeof err);
    if (!CHECK(h && h->type == JSON_OBJECT, "hookseal_sign's headers are not a JSON object: %s", h ? "" : err)) {
        json_free(h);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++) {
        CHECK(h->members[i].value.type == JSON_STRING, "header %s is not a string", h->members[i].key);
        if (h->members[i].value.type != JSON_STRING) { json_free(h); return NULL; }
        n += h->members[i].key_len + 1 + h->members[i].value.str_len + 1;
    }
    char *block = xmalloc(n), *p = block;
    for (size_t i = 0; i < h->count; i++) {
        memcpy(p, h->members[i].key, h->members[i].key_len + 1);
        p += h->members[i].key_len + 1;
        memcpy(p, h->members[i].value.str, h->members[i].value.str_len + 1);
        p += h->members[i].value.str_len + 1;
    }
    json_free(h);
    *len = n;
    return block;
}

/* hookseal_sign, which must succeed, as a headers block (malloc'd; NULL on failure). */
static char *sign_block(int line, const char *provider, const char *body, size_t body_len, const char *options,
                        size_t *len) {
    hookseal_bytes *headers = NULL;
    hookseal_status st = hookseal_sign(provider, body, body_len, options, &headers);
    if (!check_at(line, st == HOOKSEAL_STATUS_OK && headers != NULL, "hookseal_sign(%s, %s): %s (%s)", provider,
                  options ? options : "NULL", hookseal_status_code(st), st ? last_message() : ""))
        return NULL;
    char *block = block_of(headers, len);
    hookseal_bytes_free(headers);
    return block;
}

/* A verification that must succeed: the event, parsed (caller frees; NULL on failure). */
static json_value *verified(int line, const hookseal_verifier *v, const char *body, size_t body_len,
                            const char *block, size_t block_len, const int64_t *now) {
    hookseal_bytes *event = NULL;
    hookseal_status st = hookseal_verify(v, body, body_len, block, block_len, now, &event);
    if (!check_at(line, st == HOOKSEAL_STATUS_OK && event != NULL, "hookseal_verify: %s (%s)",
                  hookseal_status_code(st), st ? last_message() : ""))
        return NULL;
    char err[300];
    json_value *parsed = json_parse((const char *)hookseal_bytes_data(event), hookseal_bytes_len(event), err, sizeof err);
    check_at(line, parsed != NULL, "the event is not JSON: %s", parsed ? "" : err);
    hookseal_bytes_free(event);
    return parsed;
}

/* The status of a verification that must fail, checking that *event_json_out is left untouched. */
static hookseal_status verify_fails(int line, const hookseal_verifier *v, const char *body, size_t body_len,
                                    const char *block, size_t block_len, const int64_t *now) {
    hookseal_bytes *event = B_SENTINEL;
    hookseal_status st = hookseal_verify(v, body, body_len, block, block_len, now, &event);
    check_at(line, event == B_SENTINEL, "hookseal_verify wrote *event_json_out on %s", hookseal_status_code(st));
    if (st == HOOKSEAL_STATUS_OK && event != B_SENTINEL) hookseal_bytes_free(event);
    return st;
}

static int str_is(const json_value *v, const char *s) {
    return v && v->type == JSON_STRING && v->str_len == strlen(s) && memcmp(v->str, s, v->str_len) == 0;
}

/* ---------------------------------------------------------------------------------------------------------------- */

static void test_status_codes(void) {
    static const struct { uint32_t status; const char *code; } all[] = {
        {HOOKSEAL_STATUS_OK, "ok"},
        {HOOKSEAL_STATUS_MISSING_HEADER, "missing_header"},
        {HOOKSEAL_STATUS_MALFORMED_HEADER, "malformed_header"},
        {HOOKSEAL_STATUS_SIGNATURE_MISMATCH, "signature_mismatch"},
        {HOOKSEAL_STATUS_KEY_MISMATCH, "key_mismatch"},
        {HOOKSEAL_STATUS_PAYLOAD_TOO_LARGE, "payload_too_large"},
        {HOOKSEAL_STATUS_INVALID_JSON, "invalid_json"},
        {HOOKSEAL_STATUS_MISSING_FIELD, "missing_field"},
        {HOOKSEAL_STATUS_EVENT_MISMATCH, "event_mismatch"},
        {HOOKSEAL_STATUS_CLINIC_MISMATCH, "clinic_mismatch"},
        {HOOKSEAL_STATUS_TIMESTAMP_OUT_OF_TOLERANCE, "timestamp_out_of_tolerance"},
        {HOOKSEAL_STATUS_STORE_UNAVAILABLE, "store_unavailable"},
        {HOOKSEAL_STATUS_INVALID_SECRET, "invalid_secret"},
        {HOOKSEAL_STATUS_INSECURE_DEFAULT_KEY, "insecure_default_key"},
        {HOOKSEAL_STATUS_UNKNOWN_PROVIDER, "unknown_provider"},
        {HOOKSEAL_STATUS_INVALID_OPTION, "invalid_option"},
        {HOOKSEAL_STATUS_NULL_PARAMETER, "null_parameter"},
        {HOOKSEAL_STATUS_INVALID_UTF8, "invalid_utf8"},
        {HOOKSEAL_STATUS_PANIC, "panic"},
        {HOOKSEAL_STATUS_INVALID_ARGUMENT, "invalid_argument"},
    };
    /* the numbers are the stable contract: 0, 1-11, 101-104, 1000-1003 */
    static const uint32_t numbers[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 101, 102, 103, 104, 1000, 1001, 1002, 1003};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *got = hookseal_status_code(all[i].status);
        CHECK(all[i].status == numbers[i], "%s is %u, not %u", all[i].code, all[i].status, numbers[i]);
        CHECK(got && strcmp(got, all[i].code) == 0, "hookseal_status_code(%u) = %s, not %s", all[i].status,
              got ? got : "NULL", all[i].code);
        CHECK(got == hookseal_status_code(all[i].status), "hookseal_status_code(%u) is not static", all[i].status);
    }
    static const uint32_t unknown[] = {12, 13, 100, 105, 999, 1004, 2000, 0x7FFFFFFFu, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *got = hookseal_status_code(unknown[i]);
        CHECK(got && strcmp(got, "unknown_status") == 0, "hookseal_status_code(%u) = %s", unknown[i], got ? got : "NULL");
    }
}

static void test_free_and_getters_with_null(void) {
    hookseal_verifier_free(NULL);
    hookseal_bytes_free(NULL);
    CHECK(hookseal_bytes_data(NULL) == NULL, "hookseal_bytes_data(NULL) is not NULL");
    CHECK(hookseal_bytes_len(NULL) == 0, "hookseal_bytes_len(NULL) is not 0");
}

static void test_verifier_new_arguments(void) {
    hookseal_verifier *v = V_SENTINEL;
    EXPECT(hookseal_verifier_new(NULL, ELMED_OPTIONS, &v), HOOKSEAL_STATUS_NULL_PARAMETER);
    CHECK(v == V_SENTINEL, "NULL provider: *out written");
    EXPECT(hookseal_verifier_new("elmed", ELMED_OPTIONS, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_verifier_new(NULL, NULL, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    /* non-UTF-8 names: a stray continuation byte, an invalid byte, an overlong '/', a lone surrogate (CESU) */
    static const char *const not_utf8[] = {"elmed\x80", "\xff", "\xc0\xaf", "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof not_utf8 / sizeof not_utf8[0]; i++) {
        EXPECT(hookseal_verifier_new(not_utf8[i], ELMED_OPTIONS, &v), HOOKSEAL_STATUS_INVALID_UTF8);
        CHECK(v == V_SENTINEL, "non-UTF-8 provider: *out written");
    }
    EXPECT(hookseal_verifier_new("elmed", "{\"secret\": \"\xff\xfe-not-utf8\"}", &v), HOOKSEAL_STATUS_INVALID_UTF8);
    CHECK(v == V_SENTINEL, "non-UTF-8 options: *out written");
    /* zero-length and unknown names */
    EXPECT(hookseal_verifier_new("", ELMED_OPTIONS, &v), HOOKSEAL_STATUS_UNKNOWN_PROVIDER);
    EXPECT(hookseal_verifier_new("stripe", ELMED_OPTIONS, &v), HOOKSEAL_STATUS_UNKNOWN_PROVIDER);
    EXPECT(hookseal_verifier_new("ELMED", ELMED_OPTIONS, &v), HOOKSEAL_STATUS_UNKNOWN_PROVIDER);
    CHECK(v == V_SENTINEL, "unknown provider: *out written");
    /* options: NULL is "none" (so no secret); text that is not a JSON object is invalid_option */
    EXPECT(hookseal_verifier_new("elmed", NULL, &v), HOOKSEAL_STATUS_INVALID_SECRET);
    EXPECT(hookseal_verifier_new("elmed", "{}", &v), HOOKSEAL_STATUS_INVALID_SECRET);
    static const char *const not_object[] = {"", " ", "{", "[]", "null", "\"secret\"", "42", "{\"secret\": }",
                                             "{\"secret\": \"a\"} trailing", "{'secret': 'a'}"};
    for (size_t i = 0; i < sizeof not_object / sizeof not_object[0]; i++) {
        EXPECT(hookseal_verifier_new("elmed", not_object[i], &v), HOOKSEAL_STATUS_INVALID_OPTION);
        CHECK(v == V_SENTINEL, "options %s: *out written", not_object[i]);
    }
    EXPECT(hookseal_verifier_new("elmed", "{\"secret\": \"s3cr3t-value\", \"tolerance\": 1.5}", &v),
           HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_verifier_new("elmed", "{\"secret\": \"\"}", &v), HOOKSEAL_STATUS_INVALID_SECRET);
    /* a repeated option is refused, never "the last one wins" */
    EXPECT(hookseal_verifier_new("elmed", "{\"secret\": \"first-secret\", \"secret\": \"second-secret\"}", &v),
           HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_verifier_new("baremeds", "{\"secret\": \"xxx\"}", &v), HOOKSEAL_STATUS_INSECURE_DEFAULT_KEY);
    EXPECT(hookseal_verifier_new("standard-webhooks", "{\"secret\": \"whsec_!!not-base64!!\"}", &v),
           HOOKSEAL_STATUS_INVALID_SECRET);
    CHECK(v == V_SENTINEL, "config error: *out written");

    /* The options text is not kept after the call: build it in a heap buffer, wipe and free it, then use the
     * verifier (valgrind reports any read of the freed buffer). */
    size_t n = sizeof ELMED_OPTIONS;
    char *options = memcpy(xmalloc(n), ELMED_OPTIONS, n);
    char *provider = memcpy(xmalloc(6), "elmed", 6);
    hookseal_verifier *kept = NULL;
    EXPECT(hookseal_verifier_new(provider, options, &kept), HOOKSEAL_STATUS_OK);
    memset(options, 'x', n - 1);
    memset(provider, 'x', 5);
    free(options);
    free(provider);
    size_t block_len = 0;
    char *block = sign_block(__LINE__, "elmed", ELMED_BODY, strlen(ELMED_BODY), ELMED_OPTIONS, &block_len);
    json_value *event = kept && block ? verified(__LINE__, kept, ELMED_BODY, strlen(ELMED_BODY), block, block_len, NULL) : NULL;
    json_free(event);
    free(block);
    hookseal_verifier_free(kept);
}

static void test_verify_arguments(void) {
    hookseal_verifier *v = new_verifier(__LINE__, "elmed", ELMED_OPTIONS);
    if (!v) return;
    size_t len = strlen(ELMED_BODY), block_len = 0, empty_len = 0;
    char *block = sign_block(__LINE__, "elmed", ELMED_BODY, len, ELMED_OPTIONS, &block_len);
    /* the empty body, signed from NULL with length 0 */
    char *empty_block = sign_block(__LINE__, "elmed", NULL, 0, ELMED_OPTIONS, &empty_len);
    if (!block || !empty_block) goto out;

    hookseal_bytes *event = B_SENTINEL;
    EXPECT(hookseal_verify(NULL, ELMED_BODY, len, block, block_len, NULL, &event), HOOKSEAL_STATUS_NULL_PARAMETER);
    CHECK(event == B_SENTINEL, "NULL verifier: *event_json_out written");
    EXPECT(hookseal_verify(v, ELMED_BODY, len, block, block_len, NULL, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_verify(NULL, NULL, 0, NULL, 0, NULL, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    /* body: NULL with a length is an error; NULL with 0 is the empty body */
    EXPECT(verify_fails(__LINE__, v, NULL, len, block, block_len, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(verify_fails(__LINE__, v, NULL, 0, block, block_len, NULL), HOOKSEAL_STATUS_SIGNATURE_MISMATCH);
    EXPECT(verify_fails(__LINE__, v, NULL, 0, NULL, 0, NULL), HOOKSEAL_STATUS_MISSING_HEADER);
    /* the empty body's own signature verifies, and then it is not JSON */
    EXPECT(verify_fails(__LINE__, v, NULL, 0, empty_block, empty_len, NULL), HOOKSEAL_STATUS_INVALID_JSON);
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, 0, empty_block, empty_len, NULL), HOOKSEAL_STATUS_INVALID_JSON);
    /* headers: NULL with 0 (or any pointer with 0) is no headers; NULL with a length is an error */
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len, NULL, 0, NULL), HOOKSEAL_STATUS_MISSING_HEADER);
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len, block, 0, NULL), HOOKSEAL_STATUS_MISSING_HEADER);
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len, NULL, block_len, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    /* a headers block that does not end in a complete entry */
    static const struct { const char *block; size_t len; } malformed[] = {
        {"X-ELMED-Signature", 17},                       /* no NUL at all */
        {"X-ELMED-Signature\0sha256=00", 27},            /* the value lacks its NUL */
        {"X-ELMED-Signature\0", 18},                     /* a name with no value */
        {"\0", 1},                                       /* an empty name with no value */
        {"a\0b\0c\0", 6},                                /* an odd number of strings */
        {"a\0b\0c", 5},
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len, malformed[i].block, malformed[i].len, NULL),
               HOOKSEAL_STATUS_INVALID_ARGUMENT);
    /* well-formed blocks without the signature header */
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len, "\0\0", 2, NULL), HOOKSEAL_STATUS_MISSING_HEADER);
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len, "Content-Type\0application/json\0", 30, NULL),
           HOOKSEAL_STATUS_MISSING_HEADER);
    /* header names and values are bytes: non-UTF-8 ones are refused by a verification code, never a crash */
    static const char bin_value[] = "X-ELMED-Signature\0sha256=\xff\xfe\x80\0";
    static const char bin_name[] = "X-ELMED-\xff\0sha256=00\0";
    hookseal_status st = verify_fails(__LINE__, v, ELMED_BODY, len, bin_value, sizeof bin_value - 1, NULL);
    CHECK(st >= 1 && st <= 10, "a non-UTF-8 signature value: %u %s", st, hookseal_status_code(st));
    st = verify_fails(__LINE__, v, ELMED_BODY, len, bin_name, sizeof bin_name - 1, NULL);
    CHECK(st >= 1 && st <= 10, "a non-UTF-8 header name: %u %s", st, hookseal_status_code(st));
    /* the block's length is honoured: bytes past it are not read as headers */
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len, block, 0, NULL), HOOKSEAL_STATUS_MISSING_HEADER);
    /* the body's length is honoured: one byte short is another body */
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, len - 1, block, block_len, NULL), HOOKSEAL_STATUS_SIGNATURE_MISMATCH);
    /* `now` given or NULL (the system clock): ELMED has no replay window by default */
    int64_t now = NOW, zero = 0, far = INT64_MAX;
    json_value *a = verified(__LINE__, v, ELMED_BODY, len, block, block_len, NULL);
    json_value *b = verified(__LINE__, v, ELMED_BODY, len, block, block_len, &now);
    json_value *c = verified(__LINE__, v, ELMED_BODY, len, block, block_len, &zero);
    json_value *d = verified(__LINE__, v, ELMED_BODY, len, block, block_len, &far);
    CHECK(a && b && c && d && json_equal(a, b) && json_equal(a, c) && json_equal(a, d), "events differ with the clock");
    if (a) {
        CHECK(str_is(json_get(a, "provider"), "elmed"), "provider");
        CHECK(str_is(json_get(a, "event_type"), "prescription.issued"), "event_type");
        CHECK(a->count == 10, "the event has %zu fields, not 10", a->count);
    }
    json_free(a);
    json_free(b);
    json_free(c);
    json_free(d);
out:
    free(block);
    free(empty_block);
    hookseal_verifier_free(v);
}

static void test_sign_arguments(void) {
    hookseal_bytes *out = B_SENTINEL;
    size_t len = strlen(ELMED_BODY);
    EXPECT(hookseal_sign(NULL, ELMED_BODY, len, ELMED_OPTIONS, &out), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_sign("elmed", ELMED_BODY, len, ELMED_OPTIONS, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_sign("elmed", NULL, len, ELMED_OPTIONS, &out), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_sign(NULL, NULL, 0, NULL, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_sign("\xff", ELMED_BODY, len, ELMED_OPTIONS, &out), HOOKSEAL_STATUS_INVALID_UTF8);
    EXPECT(hookseal_sign("elmed", ELMED_BODY, len, "{\"secret\": \"\x80\"}", &out), HOOKSEAL_STATUS_INVALID_UTF8);
    EXPECT(hookseal_sign("", ELMED_BODY, len, ELMED_OPTIONS, &out), HOOKSEAL_STATUS_UNKNOWN_PROVIDER);
    EXPECT(hookseal_sign("elmed", ELMED_BODY, len, NULL, &out), HOOKSEAL_STATUS_INVALID_SECRET);
    EXPECT(hookseal_sign("elmed", ELMED_BODY, len, "", &out), HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_sign("elmed", ELMED_BODY, len, "{\"secret\": \"s3cr3t-value\", \"now\": 5}", &out),
           HOOKSEAL_STATUS_INVALID_OPTION); /* now applies only to standard-webhooks */
    EXPECT(hookseal_sign("standard-webhooks", ELMED_BODY, len, "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"now\": \"5\"}", &out),
           HOOKSEAL_STATUS_INVALID_OPTION);
    CHECK(out == B_SENTINEL, "a failed hookseal_sign wrote *headers_json_out");
    /* an empty body from NULL, 0 and from a pointer with 0 sign alike */
    hookseal_bytes *h1 = NULL, *h2 = NULL;
    EXPECT(hookseal_sign("elmed", NULL, 0, ELMED_OPTIONS, &h1), HOOKSEAL_STATUS_OK);
    EXPECT(hookseal_sign("elmed", ELMED_BODY, 0, ELMED_OPTIONS, &h2), HOOKSEAL_STATUS_OK);
    CHECK(h1 && h2 && hookseal_bytes_len(h1) == hookseal_bytes_len(h2) &&
              memcmp(hookseal_bytes_data(h1), hookseal_bytes_data(h2), hookseal_bytes_len(h1)) == 0,
          "the empty body signs differently from NULL and from a pointer");
    hookseal_bytes_free(h1);
    hookseal_bytes_free(h2);
}

static void test_last_error_message(void) {
    size_t n = 12345, full = 0;
    char buf[512];
    /* the pointer arguments */
    EXPECT(hookseal_last_error_message(NULL, 0, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_last_error_message(buf, sizeof buf, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_last_error_message(NULL, 8, &n), HOOKSEAL_STATUS_NULL_PARAMETER);
    CHECK(n == 12345, "hookseal_last_error_message(NULL, 8, &n) wrote n");

    /* a failure with a secret in play: the message says why, never the secret */
    hookseal_verifier *v = new_verifier(__LINE__, "elmed", ELMED_OPTIONS);
    if (!v) return;
    const char *wrong = "X-ELMED-Signature\0sha256=0000000000000000000000000000000000000000000000000000000000000000\0";
    size_t wrong_len = 18 + 7 + 64 + 1;
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, strlen(ELMED_BODY), wrong, wrong_len, NULL),
           HOOKSEAL_STATUS_SIGNATURE_MISMATCH);
    /* the length first: NULL and 0 */
    EXPECT(hookseal_last_error_message(NULL, 0, &full), HOOKSEAL_STATUS_OK);
    CHECK(full > 0 && full < sizeof buf, "the message's length is %zu", full);
    if (full == 0 || full >= sizeof buf) goto out;
    /* a buffer that is large enough: exactly `full` bytes written, nothing past them */
    memset(buf, '#', sizeof buf);
    n = 0;
    EXPECT(hookseal_last_error_message(buf, sizeof buf, &n), HOOKSEAL_STATUS_OK);
    CHECK(n == full, "full length %zu, then %zu", full, n);
    CHECK(buf[full] == '#' && buf[sizeof buf - 1] == '#', "bytes past the message were written");
    CHECK(memchr(buf, '\0', full) == NULL, "the message holds NUL");
    char message[512];
    memcpy(message, buf, full);
    message[full] = '\0';
    CHECK(strstr(message, ELMED_SECRET) == NULL, "the message holds the secret: %s", message);
    CHECK(strstr(message, "elmed_whsk") == NULL, "the message holds part of the secret: %s", message);
    /* a short buffer: the first bytes, the full length reported, nothing past the buffer */
    memset(buf, '#', sizeof buf);
    n = 0;
    EXPECT(hookseal_last_error_message(buf, 5, &n), HOOKSEAL_STATUS_OK);
    CHECK(n == full, "a short buffer reports %zu, not the full length %zu", n, full);
    CHECK(memcmp(buf, message, 5) == 0 && buf[5] == '#', "a short buffer gets other bytes");
    /* a non-NULL buffer of length 0: the length, nothing written */
    memset(buf, '#', sizeof buf);
    EXPECT(hookseal_last_error_message(buf, 0, &n), HOOKSEAL_STATUS_OK);
    CHECK(n == full && buf[0] == '#', "len 0 wrote into the buffer");
    /* asking does not consume it, and a success does not clear it ("stays until the thread's next failure") */
    size_t block_len = 0;
    char *block = sign_block(__LINE__, "elmed", ELMED_BODY, strlen(ELMED_BODY), ELMED_OPTIONS, &block_len);
    json_value *event = block ? verified(__LINE__, v, ELMED_BODY, strlen(ELMED_BODY), block, block_len, NULL) : NULL;
    json_free(event);
    free(block);
    EXPECT(hookseal_last_error_message(buf, sizeof buf, &n), HOOKSEAL_STATUS_OK);
    CHECK(n == full && memcmp(buf, message, full) == 0, "a success changed the last error message");
    /* the next failure replaces it */
    EXPECT(verify_fails(__LINE__, v, ELMED_BODY, strlen(ELMED_BODY), NULL, 0, NULL), HOOKSEAL_STATUS_MISSING_HEADER);
    EXPECT(hookseal_last_error_message(buf, sizeof buf, &n), HOOKSEAL_STATUS_OK);
    CHECK(n > 0 && (n != full || memcmp(buf, message, full) != 0), "the next failure did not replace the message");

    /* configuration failures with secrets in the options never show them */
    static const struct { const char *provider, *options, *secret; hookseal_status want; } config[] = {
        {"standard-webhooks", "{\"secret\": \"whsec_!!not-base64-SECRET-7f3a!!\"}", "not-base64-SECRET-7f3a", HOOKSEAL_STATUS_INVALID_SECRET},
        {"elmed", "{\"secret\": \"SECRET-7f3a-9d1c\", \"secrets\": [\"SECRET-2b4e-8a0f\"]}", "SECRET-", HOOKSEAL_STATUS_INVALID_OPTION},
        {"elmed", "{\"secrets\": [\"SECRET-7f3a-9d1c\", \"\"]}", "SECRET-", HOOKSEAL_STATUS_INVALID_SECRET},
        {"elmed", "{\"secret\": \"SECRET-7f3a-9d1c\", \"clinic_id\": \"c1\"}", "SECRET-", HOOKSEAL_STATUS_INVALID_OPTION},
        {"elmed", "{\"secret\": [\"SECRET-7f3a-9d1c\", 1]}", "SECRET-", HOOKSEAL_STATUS_INVALID_OPTION},
        {"elmed", "{\"secret\": \"SECRET-7f3a-9d1c\", \"secert\": \"SECRET-2b4e-8a0f\"}", "SECRET-2b4e", HOOKSEAL_STATUS_INVALID_OPTION},
        {"novamed", "{\"secret\": \"SECRET-7f3a-9d1c\", \"clinic_id\": \"  \"}", "SECRET-", HOOKSEAL_STATUS_INVALID_OPTION},
        {"custom", "{\"secret\": \"SECRET-7f3a-9d1c\"}", "SECRET-", HOOKSEAL_STATUS_INVALID_OPTION},
    };
    for (size_t i = 0; i < sizeof config / sizeof config[0]; i++) {
        hookseal_verifier *w = V_SENTINEL;
        EXPECT(hookseal_verifier_new(config[i].provider, config[i].options, &w), config[i].want);
        CHECK(w == V_SENTINEL, "a config error wrote *out");
        hookseal_bytes *h = B_SENTINEL;
        EXPECT(hookseal_sign(config[i].provider, "{}", 2, config[i].options, &h), config[i].want);
        CHECK(h == B_SENTINEL, "a config error wrote *headers_json_out");
        EXPECT(hookseal_last_error_message(buf, sizeof buf - 1, &n), HOOKSEAL_STATUS_OK);
        buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = '\0';
        CHECK(n > 0 && strstr(buf, config[i].secret) == NULL, "config message %s", buf);
    }
    /* a shared key that does not match is not echoed either */
    hookseal_verifier *nm = new_verifier(__LINE__, "novamed", "{\"secret\": \"nm_key_2f8a61c0d94b37e5\"}");
    if (nm) {
        const char *sent = "x-api-key\0nm_key_WRONG_9c8b7a6d\0";
        EXPECT(verify_fails(__LINE__, nm, "{}", 2, sent, 32, NULL), HOOKSEAL_STATUS_KEY_MISMATCH);
        EXPECT(hookseal_last_error_message(buf, sizeof buf - 1, &n), HOOKSEAL_STATUS_OK);
        buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = '\0';
        CHECK(strstr(buf, "nm_key_") == NULL, "key_mismatch message holds a key: %s", buf);
        hookseal_verifier_free(nm);
    }
out:
    hookseal_verifier_free(v);
}

/* The last error message belongs to the thread. */
static void *fresh_thread(void *arg) {
    size_t *n = arg;
    if (hookseal_last_error_message(NULL, 0, n) != HOOKSEAL_STATUS_OK) *n = (size_t)-1;
    hookseal_verifier *v = NULL;
    (void)hookseal_verifier_new("nope", NULL, &v); /* a failure on this thread only */
    return NULL;
}

static void test_last_error_is_per_thread(void) {
    hookseal_verifier *v = NULL;
    char before[512], after[512];
    size_t n_before = 0, n_after = 0, in_thread = 99;
    EXPECT(hookseal_verifier_new("elmed", NULL, &v), HOOKSEAL_STATUS_INVALID_SECRET);
    EXPECT(hookseal_last_error_message(before, sizeof before, &n_before), HOOKSEAL_STATUS_OK);
    pthread_t t;
    if (!CHECK(pthread_create(&t, NULL, fresh_thread, &in_thread) == 0, "pthread_create")) return;
    pthread_join(t, NULL);
    CHECK(in_thread == 0, "a new thread sees a last error message of %zu bytes", in_thread);
    EXPECT(hookseal_last_error_message(after, sizeof after, &n_after), HOOKSEAL_STATUS_OK);
    CHECK(n_before == n_after && n_before <= sizeof before && memcmp(before, after, n_before) == 0,
          "another thread's failure changed this thread's message");
}

/* A body with NUL bytes and bytes that are not UTF-8 crosses intact: its own signature verifies (then it is not
 * JSON), while the same bytes changed after the NUL, or cut at the NUL, do not. */
static void test_binary_body(void) {
    static const char body[] = "{\"a\": \"\0\xff\xfe\x80\xc0\xaf\x00zz\xed\xa0\x80\"}";
    const size_t len = sizeof body - 1;
    static const struct { const char *provider, *verify_options, *sign_options; } hmac[] = {
        {"elmed", ELMED_OPTIONS, ELMED_OPTIONS},
        {"standard-webhooks", "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}",
         "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"now\": 1774781100}"},
        {"custom", "{\"secret\": \"custom-signing-secret-7781\", \"scheme\": \"hmac-sha256\", \"header\": \"X-Signature\", \"encoding\": \"base64\"}",
         "{\"secret\": \"custom-signing-secret-7781\", \"scheme\": \"hmac-sha256\", \"header\": \"X-Signature\", \"encoding\": \"base64\"}"},
    };
    for (size_t i = 0; i < sizeof hmac / sizeof hmac[0]; i++) {
        hookseal_verifier *v = new_verifier(__LINE__, hmac[i].provider, hmac[i].verify_options);
        size_t block_len = 0;
        char *block = sign_block(__LINE__, hmac[i].provider, body, len, hmac[i].sign_options, &block_len);
        if (v && block) {
            char *copy = memcpy(xmalloc(len), body, len);
            int64_t now = NOW;
            EXPECT(verify_fails(__LINE__, v, copy, len, block, block_len, &now), HOOKSEAL_STATUS_INVALID_JSON);
            copy[len - 4] ^= 0x01; /* a byte after the NULs */
            EXPECT(verify_fails(__LINE__, v, copy, len, block, block_len, &now), HOOKSEAL_STATUS_SIGNATURE_MISMATCH);
            copy[len - 4] ^= 0x01;
            EXPECT(verify_fails(__LINE__, v, copy, strlen(copy), block, block_len, &now),
                   HOOKSEAL_STATUS_SIGNATURE_MISMATCH); /* cut at the first NUL */
            EXPECT(verify_fails(__LINE__, v, copy, len, block, block_len, &now), HOOKSEAL_STATUS_INVALID_JSON);
            free(copy);
        }
        free(block);
        hookseal_verifier_free(v);
    }
}

/* Rotation: a verifier with secrets [new, old] accepts deliveries signed with either, and nothing else. */
static void test_rotation(void) {
    static const struct {
        const char *provider, *verifier, *sign_new, *sign_old, *sign_other;
        hookseal_status other;
    } cases[] = {
        {"elmed", "{\"secrets\": [\"elmed_whsk_new_1111\", \"elmed_whsk_old_2222\"]}", "{\"secret\": \"elmed_whsk_new_1111\"}",
         "{\"secret\": \"elmed_whsk_old_2222\"}", "{\"secret\": \"elmed_whsk_other_3333\"}", HOOKSEAL_STATUS_SIGNATURE_MISMATCH},
        {"novamed", "{\"secrets\": [\"nm_key_new_1111\", \"nm_key_old_2222\"]}", "{\"secret\": \"nm_key_new_1111\"}",
         "{\"secret\": \"nm_key_old_2222\"}", "{\"secret\": \"nm_key_other_3333\"}", HOOKSEAL_STATUS_KEY_MISMATCH},
        {"standard-webhooks", "{\"secrets\": [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"whsec_H0PbD7J0TsKQaVuvyOaqpIkcfaPv8N6IrBnqy1bxCwA=\"]}",
         "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"now\": 1774781100}",
         "{\"secret\": \"whsec_H0PbD7J0TsKQaVuvyOaqpIkcfaPv8N6IrBnqy1bxCwA=\", \"now\": 1774781100}",
         "{\"secret\": \"whsec_c2VjcmV0LW90aGVyLWtleS0zMzMz\", \"now\": 1774781100}", HOOKSEAL_STATUS_SIGNATURE_MISMATCH},
    };
    static const char body[] = "{\"event\": \"order:shipped\", \"event_type\": \"order:shipped\", \"type\": \"order.shipped\", "
                               "\"event_id\": \"evt_1\", \"id\": \"evt_1\", \"data\": {\"order_id\": \"ord_1\"}}";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hookseal_verifier *v = new_verifier(__LINE__, cases[i].provider, cases[i].verifier);
        if (!v) continue;
        int64_t now = NOW;
        const char *signers[3] = {cases[i].sign_new, cases[i].sign_old, cases[i].sign_other};
        json_value *events[2] = {NULL, NULL};
        for (int s = 0; s < 3; s++) {
            size_t block_len = 0;
            char *block = sign_block(__LINE__, cases[i].provider, body, strlen(body), signers[s], &block_len);
            if (!block) continue;
            if (s < 2) events[s] = verified(__LINE__, v, body, strlen(body), block, block_len, &now);
            else EXPECT(verify_fails(__LINE__, v, body, strlen(body), block, block_len, &now), cases[i].other);
            free(block);
        }
        CHECK(events[0] && events[1], "%s: rotation", cases[i].provider);
        if (events[0] && events[1] && i < 2) /* Standard Webhooks' id is derived from nothing secret: same event */
            CHECK(json_equal(events[0], events[1]), "%s: the two secrets give different events", cases[i].provider);
        json_free(events[0]);
        json_free(events[1]);
        hookseal_verifier_free(v);
    }
}

/* Every provider (and every custom scheme): sign, verify, compare the event with the body. */
static void test_round_trip(void) {
    static const struct { const char *provider, *options, *body, *event_type; int sw; } cases[] = {
        {"elmed", ELMED_OPTIONS, ELMED_BODY, "prescription.issued", 0},
        {"baremeds", "{\"secret\": \"bm_live_9d2f7c41e8a35b06\"}",
         "{\"event\": \"prescription_submitted\", \"timestamp\": \"2026-01-30T12:00:00Z\", \"data\": {\"patient_id\": \"p1\", \"qty\": 1.50}}",
         "prescription_submitted", 0},
        {"novamed", "{\"secret\": \"nm_key_2f8a61c0d94b37e5\", \"clinic_id\": \"550e8400-e29b-41d4-a716-446655440000\"}",
         "{\"event_type\": \"order:shipped\", \"event_id\": \"evt_abc\", \"timestamp\": \"2025-01-15T10:30:00.000Z\", "
         "\"clinic_id\": \"550e8400-e29b-41d4-a716-446655440000\", \"data\": {\"order_id\": \"ord_1\", \"note\": \"caf\\u00e9 \\ud83d\\ude00\"}}",
         "order:shipped", 0},
        {"standard-webhooks", "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}",
         "{\"type\": \"invoice.paid\", \"timestamp\": \"2026-03-29T10:44:58Z\", \"data\": {\"amount\": 4200, \"nested\": [[[]], {}]}}",
         "invoice.paid", 1},
        {"custom", "{\"secret\": \"custom-signing-secret-7781\", \"scheme\": \"hmac-sha256\", \"header\": \"X-Hub-Signature-256\", \"prefix\": \"sha256=\", \"encoding\": \"base64\"}",
         "{\"event\": \"invoice.paid\", \"id\": \"inv_001\", \"data\": {\"x\": null}}", "invoice.paid", 0},
        {"custom", "{\"secret\": \"mgmt-header-value-3c1e9a\", \"scheme\": \"shared-key\", \"header\": \"X-Custom-Auth\"}",
         "{\"event_type\": \"pharmacy_order_created\", \"event_id\": \"whtest_01\", \"data\": {\"order_id\": \"po_1\"}}",
         "pharmacy_order_created", 0},
        {"custom", "{\"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"scheme\": \"standard-webhooks\"}",
         "{\"type\": \"appointment.booked\", \"id\": \"apt_1\", \"data\": {\"slot\": \"10:45\"}}", "appointment.booked", 1},
    };
    char err[300];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *provider = cases[i].provider, *body = cases[i].body;
        size_t len = strlen(body), block_len = 0;
        hookseal_verifier *v = new_verifier(__LINE__, provider, cases[i].options);
        /* Standard Webhooks signs a time: sign with `now` and verify at it, inside and outside the window */
        char sign_options[512];
        snprintf(sign_options, sizeof sign_options, "%.*s%s", (int)strlen(cases[i].options) - 1, cases[i].options,
                 cases[i].sw ? ", \"now\": 1774781100, \"webhook_id\": \"msg_round_trip\"}" : "}");
        char *block = sign_block(__LINE__, provider, body, len, sign_options, &block_len);
        json_value *source = json_parse(body, len, err, sizeof err);
        CHECK(source != NULL, "the test's body is not JSON: %s", err);
        int64_t now = NOW, late = NOW + 3600;
        json_value *event = v && block ? verified(__LINE__, v, body, len, block, block_len, &now) : NULL;
        if (event && source) {
            CHECK(event->count == 10, "%s: %zu fields", provider, event->count);
            CHECK(str_is(json_get(event, "provider"), provider), "%s: provider", provider);
            CHECK(str_is(json_get(event, "event_type"), cases[i].event_type), "%s: event_type", provider);
            const json_value *data = json_get(event, "data");
            CHECK(data && json_equal(data, json_get(source, "data")), "%s: data differs from the body's", provider);
            CHECK(json_get(event, "is_test") && json_get(event, "is_retry"), "%s: is_test / is_retry", provider);
        }
        if (v && block && cases[i].sw) {
            EXPECT(verify_fails(__LINE__, v, body, len, block, block_len, &late), HOOKSEAL_STATUS_TIMESTAMP_OUT_OF_TOLERANCE);
            /* signed now by the system clock, verified by the system clock (now = NULL) */
            size_t clock_len = 0;
            char *clock_block = sign_block(__LINE__, provider, body, len, cases[i].options, &clock_len);
            json_value *e = clock_block ? verified(__LINE__, v, body, len, clock_block, clock_len, NULL) : NULL;
            json_free(e);
            free(clock_block);
        }
        /* tampering with the body is caught by every scheme that signs it */
        if (v && block && strcmp(provider, "baremeds") != 0 && strcmp(provider, "novamed") != 0 &&
            !strstr(cases[i].options, "shared-key")) {
            char *tampered = memcpy(xmalloc(len), body, len);
            tampered[len - 2] = ' ';
            EXPECT(verify_fails(__LINE__, v, tampered, len, block, block_len, &now), HOOKSEAL_STATUS_SIGNATURE_MISMATCH);
            free(tampered);
        }
        json_free(event);
        json_free(source);
        free(block);
        hookseal_verifier_free(v);
    }
}

/* An event stays valid after its verifier is freed ("valid until hookseal_bytes_free"). */
static void test_event_outlives_verifier(void) {
    hookseal_verifier *v = new_verifier(__LINE__, "elmed", ELMED_OPTIONS);
    size_t block_len = 0, len = strlen(ELMED_BODY);
    char *block = sign_block(__LINE__, "elmed", ELMED_BODY, len, ELMED_OPTIONS, &block_len);
    hookseal_bytes *event = NULL;
    if (v && block) EXPECT(hookseal_verify(v, ELMED_BODY, len, block, block_len, NULL, &event), HOOKSEAL_STATUS_OK);
    hookseal_verifier_free(v);
    free(block);
    if (event) {
        char err[300];
        const uint8_t *data = hookseal_bytes_data(event);
        CHECK(data != NULL && hookseal_bytes_len(event) > 0, "an empty event");
        json_value *parsed = json_parse((const char *)data, hookseal_bytes_len(event), err, sizeof err);
        CHECK(parsed && str_is(json_get(parsed, "provider"), "elmed"), "the event after its verifier was freed");
        json_free(parsed);
        hookseal_bytes_free(event);
    }
}

/* One verifier shared by two threads ("safe to share between threads"). */
typedef struct { const hookseal_verifier *v; const char *block; size_t block_len; unsigned ok; } share;

static void *verify_many(void *arg) {
    share *s = arg;
    for (int i = 0; i < 100; i++) {
        hookseal_bytes *event = NULL;
        if (hookseal_verify(s->v, ELMED_BODY, strlen(ELMED_BODY), s->block, s->block_len, NULL, &event) ==
                HOOKSEAL_STATUS_OK && event && hookseal_bytes_len(event) > 0)
            s->ok++;
        hookseal_bytes_free(event);
    }
    return NULL;
}

static void test_threads(void) {
    hookseal_verifier *v = new_verifier(__LINE__, "elmed", ELMED_OPTIONS);
    size_t block_len = 0;
    char *block = sign_block(__LINE__, "elmed", ELMED_BODY, strlen(ELMED_BODY), ELMED_OPTIONS, &block_len);
    if (v && block) {
        share s[2] = {{v, block, block_len, 0}, {v, block, block_len, 0}};
        pthread_t t[2];
        int started[2];
        for (int i = 0; i < 2; i++) started[i] = pthread_create(&t[i], NULL, verify_many, &s[i]) == 0;
        for (int i = 0; i < 2; i++) if (started[i]) pthread_join(t[i], NULL);
        CHECK(started[0] && started[1] && s[0].ok == 100 && s[1].ok == 100, "threads verified %u and %u of 100",
              s[0].ok, s[1].ok);
    }
    free(block);
    hookseal_verifier_free(v);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The dedupe store: arguments, the claim cycle on memory:, sharing by URL, failing closed, no password shown. */

#define S_SENTINEL ((hookseal_store *)(void *)&sentinel_storage[0])
#define C_SENTINEL ((hookseal_claim *)(void *)&sentinel_storage[1])

static void test_store_arguments(void) {
    hookseal_store *s = S_SENTINEL;
    EXPECT(hookseal_store_open(NULL, NULL, &s), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_open("memory:", NULL, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_open("mysql://root:hunter2@db/app", NULL, &s), HOOKSEAL_STATUS_INVALID_OPTION);
    CHECK(strstr(last_message(), "hunter2") == NULL, "the password is in the message: %s", last_message());
    EXPECT(hookseal_store_open("memory:", "{\"lease\": \"soon\"}", &s), HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_store_open("memory:", "{\"ttl\": 5}", &s), HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_store_open("memory:", "[]", &s), HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_store_open("memory:?lease=2", "{\"lease\": 3}", &s), HOOKSEAL_STATUS_INVALID_OPTION);
    CHECK(s == S_SENTINEL, "a failed hookseal_store_open wrote *out");
    hookseal_store_free(NULL);
    hookseal_claim_free(NULL);
    CHECK(strcmp(hookseal_store_backend(NULL), "") == 0, "hookseal_store_backend(NULL)");

    EXPECT(hookseal_store_open("memory:", "{\"lease\": 0.5, \"retention\": 60}", &s), HOOKSEAL_STATUS_OK);
    hookseal_claim_status st = 99;
    uint64_t retry = 99;
    hookseal_claim *c = C_SENTINEL;
    bool acted = false;
    EXPECT(hookseal_store_claim(NULL, "ns", "k", 1, &st, &retry, &c), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_claim(s, NULL, "k", 1, &st, &retry, &c), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_claim(s, "ns", NULL, 1, &st, &retry, &c), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_claim(s, "ns", "k", 1, NULL, &retry, &c), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_claim(s, "ns", "k", 1, &st, NULL, &c), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_claim(s, "ns", "k", 1, &st, &retry, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_claim(s, "two words", "k", 1, &st, &retry, &c), HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_store_claim(s, "ns\xff", "k", 1, &st, &retry, &c), HOOKSEAL_STATUS_INVALID_UTF8);
    CHECK(st == 99 && retry == 99 && c == C_SENTINEL, "a failed claim wrote its outputs");
    EXPECT(hookseal_store_complete(s, NULL, &acted), HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_store_release(NULL, NULL, &acted), HOOKSEAL_STATUS_NULL_PARAMETER);
    hookseal_store_free(s);
}

static void test_store_cycle(void) {
    hookseal_store *s = NULL, *again = NULL;
    EXPECT(hookseal_store_open("memory:", "{\"lease\": 30}", &s), HOOKSEAL_STATUS_OK);
    CHECK(s && strcmp(hookseal_store_backend(s), "memory") == 0, "backend");
    hookseal_claim_status st;
    uint64_t retry;
    hookseal_claim *a = NULL, *b = C_SENTINEL;
    bool acted = false;
    /* a key of any bytes: NUL and non-UTF-8 included */
    static const char key[] = {'e', 'v', 't', '\0', '\xff', '1'};
    EXPECT(hookseal_store_claim(s, "abi", key, sizeof key, &st, &retry, &a), HOOKSEAL_STATUS_OK);
    CHECK(st == HOOKSEAL_CLAIM_STATUS_CLAIMED && a != NULL && retry == 0, "first claim: %u", st);
    EXPECT(hookseal_store_claim(s, "abi", key, sizeof key, &st, &retry, &b), HOOKSEAL_STATUS_OK);
    CHECK(st == HOOKSEAL_CLAIM_STATUS_IN_PROGRESS && b == NULL && retry >= 29 && retry <= 30,
          "second claim: %u, retry %llu", st, (unsigned long long)retry);
    /* the same URL and options in one process: the same store (a PHP worker's next request sees the claim) */
    EXPECT(hookseal_store_open("memory:", "{\"lease\": 30}", &again), HOOKSEAL_STATUS_OK);
    EXPECT(hookseal_store_claim(again, "abi", key, sizeof key, &st, &retry, &b), HOOKSEAL_STATUS_OK);
    CHECK(st == HOOKSEAL_CLAIM_STATUS_IN_PROGRESS, "a second handle of one URL is another store: %u", st);
    EXPECT(hookseal_store_complete(s, a, &acted), HOOKSEAL_STATUS_OK);
    CHECK(acted, "complete did not act");
    EXPECT(hookseal_store_complete(s, a, &acted), HOOKSEAL_STATUS_OK);
    CHECK(!acted, "a second complete acted");
    EXPECT(hookseal_store_release(again, a, &acted), HOOKSEAL_STATUS_OK);
    CHECK(!acted, "a release after complete acted");
    EXPECT(hookseal_store_claim(again, "abi", key, sizeof key, &st, &retry, &b), HOOKSEAL_STATUS_OK);
    CHECK(st == HOOKSEAL_CLAIM_STATUS_DUPLICATE && b == NULL, "after complete: %u", st);
    hookseal_claim_free(a);
    /* release lets the retry in; the empty key is a key too */
    EXPECT(hookseal_store_claim(s, "abi", NULL, 0, &st, &retry, &a), HOOKSEAL_STATUS_OK);
    CHECK(st == HOOKSEAL_CLAIM_STATUS_CLAIMED, "empty key: %u", st);
    EXPECT(hookseal_store_release(s, a, &acted), HOOKSEAL_STATUS_OK);
    CHECK(acted, "release did not act");
    hookseal_claim_free(a);
    EXPECT(hookseal_store_claim(s, "abi", "", 0, &st, &retry, &a), HOOKSEAL_STATUS_OK);
    CHECK(st == HOOKSEAL_CLAIM_STATUS_CLAIMED, "after release: %u", st);
    hookseal_claim_free(a);
    hookseal_store_free(again);
    hookseal_store_free(s);
}

static void test_store_fails_closed(void) {
    hookseal_store *s = NULL;
    EXPECT(hookseal_store_open("redis://:hunter2@127.0.0.1:1/0", NULL, &s), HOOKSEAL_STATUS_OK);
    CHECK(s && strcmp(hookseal_store_backend(s), "redis") == 0, "backend");
    hookseal_bytes *shown = NULL;
    EXPECT(hookseal_store_describe(s, &shown), HOOKSEAL_STATUS_OK);
    CHECK(shown && hookseal_bytes_len(shown) == strlen("redis://***@127.0.0.1:1/0") &&
              memcmp(hookseal_bytes_data(shown), "redis://***@127.0.0.1:1/0", hookseal_bytes_len(shown)) == 0,
          "describe");
    hookseal_bytes_free(shown);
    hookseal_claim_status st = 99;
    uint64_t retry = 99;
    hookseal_claim *c = C_SENTINEL;
    EXPECT(hookseal_store_claim(s, "abi", "k", 1, &st, &retry, &c), HOOKSEAL_STATUS_STORE_UNAVAILABLE);
    CHECK(strstr(last_message(), "hunter2") == NULL, "the password is in the message: %s", last_message());
    CHECK(st == 99 && c == C_SENTINEL, "a failed claim wrote its outputs");
    CHECK(hookseal_code_http_status("store_unavailable") == 503, "store_unavailable is not 503");
    hookseal_store_free(s);
}

/* hookseal_verify_once: hookseal_verifier_new + hookseal_verify in one call, the same verdicts and arguments. */
static void test_verify_once(void) {
    hookseal_verifier *v = new_verifier(__LINE__, "elmed", ELMED_OPTIONS);
    size_t len = strlen(ELMED_BODY), block_len = 0;
    char *block = sign_block(__LINE__, "elmed", ELMED_BODY, len, ELMED_OPTIONS, &block_len);
    if (!v || !block) goto out;
    json_value *expected = verified(__LINE__, v, ELMED_BODY, len, block, block_len, NULL);
    for (int i = 0; i < 1000; i++) { /* a loop: the same event every time */
        hookseal_bytes *event = NULL;
        hookseal_status st = hookseal_verify_once("elmed", ELMED_OPTIONS, ELMED_BODY, len, block, block_len, NULL,
                                                  &event);
        if (!CHECK(st == HOOKSEAL_STATUS_OK && event, "hookseal_verify_once: %s", hookseal_status_code(st))) break;
        char err[300];
        json_value *got = json_parse((const char *)hookseal_bytes_data(event), hookseal_bytes_len(event), err,
                                     sizeof err);
        hookseal_bytes_free(event);
        int same = got && expected && json_equal(got, expected);
        json_free(got);
        if (!CHECK(same, "hookseal_verify_once's event differs from hookseal_verify's")) break;
    }
    json_free(expected);
    int64_t now = NOW;
    hookseal_bytes *event = B_SENTINEL;
    EXPECT(hookseal_verify_once("elmed", "{\"secret\": \"another\"}", ELMED_BODY, len, block, block_len, &now,
                                &event), HOOKSEAL_STATUS_SIGNATURE_MISMATCH);
    EXPECT(hookseal_verify_once("elmd", ELMED_OPTIONS, ELMED_BODY, len, block, block_len, NULL, &event),
           HOOKSEAL_STATUS_UNKNOWN_PROVIDER);
    EXPECT(hookseal_verify_once("elmed", "{\"secret\": \"\"}", ELMED_BODY, len, block, block_len, NULL, &event),
           HOOKSEAL_STATUS_INVALID_SECRET);
    EXPECT(hookseal_verify_once("elmed", "{\"secret\": 5}", ELMED_BODY, len, block, block_len, NULL, &event),
           HOOKSEAL_STATUS_INVALID_OPTION);
    EXPECT(hookseal_verify_once(NULL, ELMED_OPTIONS, ELMED_BODY, len, block, block_len, NULL, &event),
           HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_verify_once("elmed", ELMED_OPTIONS, ELMED_BODY, len, block, block_len, NULL, NULL),
           HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_verify_once("elmed", ELMED_OPTIONS, NULL, len, block, block_len, NULL, &event),
           HOOKSEAL_STATUS_NULL_PARAMETER);
    EXPECT(hookseal_verify_once("elmed", ELMED_OPTIONS, ELMED_BODY, len, "a\0b\0c", 5, NULL, &event),
           HOOKSEAL_STATUS_INVALID_ARGUMENT);
    CHECK(event == B_SENTINEL, "a failed hookseal_verify_once wrote *event_json_out");
    /* hookseal_verify_fields and hookseal_verify_once_fields: the same fields; NULL arguments refused; the text
     * stays until the thread's next success, a failure leaves it and *fields_out as they were */
    {
        hookseal_event_fields a, b, untouched;
        memset(&a, 0, sizeof a);
        EXPECT(hookseal_verify_fields(v, ELMED_BODY, len, block, block_len, NULL, &a), HOOKSEAL_STATUS_OK);
        char key[128] = "";
        if (a.idempotency_key_len > 0 && a.idempotency_key_len < (int64_t)sizeof key && a.event_type_len >= 0)
            memcpy(key, a.text + a.event_type_len, (size_t)a.idempotency_key_len);
        CHECK(strncmp(key, "sha256:", 7) == 0 && strlen(key) == 71, "ELMED's key from the fields: %s", key);
        CHECK(a.idempotency_key_source == HOOKSEAL_KEY_SOURCE_BODY_SHA256, "ELMED's key source %u",
              (unsigned)a.idempotency_key_source);
        CHECK(a.data_in_body && a.data_len == strlen("{\"prescription_id\": 42}") &&
              memcmp(ELMED_BODY + a.data_offset, "{\"prescription_id\": 42}", a.data_len) == 0,
              "ELMED's data in the body");
        memset(&b, 0x5A, sizeof b);
        memcpy(&untouched, &b, sizeof b);
        EXPECT(hookseal_verify_once_fields("elmed", "{\"secret\": \"another\"}", ELMED_BODY, len, block, block_len,
                                           NULL, &b), HOOKSEAL_STATUS_SIGNATURE_MISMATCH);
        CHECK(memcmp(&b, &untouched, sizeof b) == 0, "a failed hookseal_verify_once_fields wrote *fields_out");
        CHECK(a.idempotency_key_len == 71 && memcmp(a.text + a.event_type_len, key, 71) == 0,
              "a failure changed the thread's text");
        EXPECT(hookseal_verify_once_fields("elmed", ELMED_OPTIONS, ELMED_BODY, len, block, block_len, NULL, &b),
               HOOKSEAL_STATUS_OK);
        CHECK(b.text_len == a.text_len && b.data_offset == a.data_offset && b.data_len == a.data_len &&
              b.is_test == a.is_test && b.is_retry == a.is_retry &&
              b.idempotency_key_len == 71 && memcmp(b.text + b.event_type_len, key, 71) == 0,
              "hookseal_verify_once_fields differs from hookseal_verify_fields");
        EXPECT(hookseal_verify_fields(v, ELMED_BODY, len, block, block_len, NULL, NULL), HOOKSEAL_STATUS_NULL_PARAMETER);
        EXPECT(hookseal_verify_fields(NULL, ELMED_BODY, len, block, block_len, NULL, &b), HOOKSEAL_STATUS_NULL_PARAMETER);
        EXPECT(hookseal_verify_fields(v, NULL, len, block, block_len, NULL, &b), HOOKSEAL_STATUS_NULL_PARAMETER);
        EXPECT(hookseal_verify_once_fields(NULL, ELMED_OPTIONS, ELMED_BODY, len, block, block_len, NULL, &b),
               HOOKSEAL_STATUS_NULL_PARAMETER);
        EXPECT(hookseal_verify_once_fields("elmed", ELMED_OPTIONS, ELMED_BODY, len, block, block_len, NULL, NULL),
               HOOKSEAL_STATUS_NULL_PARAMETER);
    }
    /* a configuration error names no secret */
    EXPECT(hookseal_verify_once("elmd", "{\"secret\": \"elmed_whsk_TOPSECRET\"}", ELMED_BODY, len, block, block_len,
                                NULL, &event), HOOKSEAL_STATUS_UNKNOWN_PROVIDER);
    CHECK(strstr(last_message(), "TOPSECRET") == NULL, "the secret is in the error message: %s", last_message());
out:
    free(block);
    hookseal_verifier_free(v);
}

int main(void) {
    test_status_codes();
    test_free_and_getters_with_null();
    test_verifier_new_arguments();
    test_verify_arguments();
    test_verify_once();
    test_sign_arguments();
    test_last_error_message();
    test_last_error_is_per_thread();
    test_binary_body();
    test_rotation();
    test_round_trip();
    test_event_outlives_verifier();
    test_threads();
    test_store_arguments();
    test_store_cycle();
    test_store_fails_closed();
    printf("%u of %u ABI checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
