/* Every case of the tests/vectors JSON files (format: tests/vectors/README.md) through the C ABI (bindings/c/include/hookseal.h).
 *
 * usage: vectors [--quick] [DIR]     DIR defaults to tests/vectors (run from the repository root)
 *
 * Loading fails (exit 1) when manifest.json and the directory disagree (a file missing, unlisted, or with another
 * case count), when a case has a field it does not know or lacks one it needs, or when an expectation is not exactly
 * one of event / error / config_error. Each case then runs:
 *   - options_json is the exact source text of the case's `options` object;
 *   - `config_error`: hookseal_verifier_new must return the status whose hookseal_status_code() is that code, and
 *     leave *out untouched;
 *   - `error`: hookseal_verify must return that code and leave *event_json_out untouched;
 *   - `event`: hookseal_verify must return HOOKSEAL_STATUS_OK and JSON equal to the expected event (json_equal).
 * Each case also runs through hookseal_verify_fields: the same status, *fields_out untouched on failure, and on
 * success every field (text, `data` in the body or in the text, the flags, the key's source) equal to the event's.
 * Every failure must also leave a non-empty hookseal_last_error_message that holds none of the case's secrets.
 *
 * --quick skips the cases whose body is over 64 KiB (for runs under valgrind, where a 1 MiB body is slow); the
 * summary says how many were skipped.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hookseal.h"
#include "json.h"

#define QUICK_MAX_BODY (64u * 1024u)

static const char *const EVENT_FIELDS[] = {"provider", "event_type", "idempotency_key", "idempotency_key_source",
                                           "timestamp", "data", "is_test", "is_retry", "metadata", "clinic_id"};
static const char *const ERROR_CODES[] = {"missing_header", "malformed_header", "signature_mismatch",
                                          "key_mismatch", "payload_too_large", "invalid_json", "missing_field",
                                          "event_mismatch", "clinic_mismatch", "timestamp_out_of_tolerance"};
static const char *const CONFIG_ERROR_CODES[] = {"invalid_secret", "insecure_default_key", "unknown_provider",
                                                 "invalid_option"};
static const char *const CASE_FIELDS[] = {"name", "description", "provider", "options", "body", "body_base64",
                                          "body_repeat", "headers", "now", "expect"};
static const char *const REQUIRED_FIELDS[] = {"name", "description", "provider", "options", "headers", "expect"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int in_list(const char *s, size_t len, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0) return 1;
    return 0;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *data = xmalloc(cap);
    while ((got = fread(data + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *more = realloc(data, cap *= 2);
            if (!more) { fprintf(stderr, "out of memory\n"); exit(2); }
            data = more;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(data); return NULL; }
    *len = n;
    return data;
}

static json_value *load_json(const char *path, char **text) {
    size_t len;
    char err[300];
    *text = read_file(path, &len);
    if (!*text) { fprintf(stderr, "FAIL cannot read %s: %s\n", path, strerror(errno)); return NULL; }
    json_value *v = json_parse(*text, len, err, sizeof err);
    if (!v) { fprintf(stderr, "FAIL %s is not JSON: %s\n", path, err); free(*text); *text = NULL; }
    return v;
}

/* Strict standard base64 with padding (as Python's b64decode(validate=True)); NULL when malformed. */
static unsigned char *base64_decode(const char *s, size_t len, size_t *out_len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (len % 4 != 0) return NULL;
    unsigned char *out = xmalloc(len / 4 * 3);
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t acc = 0;
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = s[i + j];
            const char *at = c ? strchr(alphabet, c) : NULL;
            if (c == '=' && i + 4 == len && j >= 2) { pad++; acc <<= 6; continue; }
            if (!at || pad) { free(out); return NULL; } /* a bad character, or data after '=' */
            acc = (acc << 6) | (uint32_t)(at - alphabet);
        }
        /* the bits that padding drops must be zero (canonical encoding) */
        if ((pad == 1 && (acc & 0xFF)) || (pad == 2 && (acc & 0xFFFF))) { free(out); return NULL; }
        out[n++] = (unsigned char)(acc >> 16);
        if (pad < 2) out[n++] = (unsigned char)(acc >> 8);
        if (pad < 1) out[n++] = (unsigned char)acc;
    }
    *out_len = n;
    return out;
}

/* ---- one case ---- */

typedef struct {
    const char *file;
    const char *name;
    char reason[1200];
} ctx;

static int bad(ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
    return 0;
}

/* The last error message (malloc'd, NUL-terminated). */
static char *last_error(void) {
    size_t n = 0;
    if (hookseal_last_error_message(NULL, 0, &n) != HOOKSEAL_STATUS_OK) return NULL;
    char *msg = xmalloc(n + 1);
    size_t again = 0;
    if (hookseal_last_error_message(msg, n, &again) != HOOKSEAL_STATUS_OK || again != n) { free(msg); return NULL; }
    msg[n] = '\0';
    return msg;
}

/* memmem without _GNU_SOURCE */
static int contains(const char *hay, size_t hay_len, const char *needle, size_t n) {
    if (n == 0 || n > hay_len) return n == 0;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0) return 1;
    return 0;
}

/* After a failure: a message that says why, holding none of the secrets of the case's options (8 bytes or longer:
 * a shorter "secret" could be an ordinary word of a message). */
static int check_failure_message(ctx *c, const json_value *options, char **msg_out) {
    char *msg = last_error();
    *msg_out = msg;
    if (!msg) return bad(c, "hookseal_last_error_message failed");
    if (msg[0] == '\0') return bad(c, "a failure left an empty hookseal_last_error_message");
    const json_value *one = json_get(options, "secret");
    const json_value *many = json_get(options, "secrets");
    size_t n = many && many->type == JSON_ARRAY ? many->count : 0;
    for (size_t i = 0; i <= n; i++) {
        const json_value *s = i < n ? &many->items[i] : one;
        if (s && s->type == JSON_STRING && s->str_len >= 8 && contains(msg, strlen(msg), s->str, s->str_len))
            return bad(c, "the error message holds a secret: %s", msg);
    }
    return 1;
}

static void excerpt(char *out, size_t out_len, const char *s, size_t n) {
    snprintf(out, out_len, "%.*s%s", (int)(n > 400 ? 400 : n), s, n > 400 ? "..." : "");
}

/* Validates one case's shape; returns 1 and fills the out-parameters, or 0 with c->reason. */
static int check_shape(ctx *c, const json_value *cs, const char **kind, const json_value **expected) {
    if (cs->type != JSON_OBJECT) return bad(c, "a case is not an object");
    for (size_t i = 0; i < cs->count; i++)
        if (!in_list(cs->members[i].key, cs->members[i].key_len, CASE_FIELDS, COUNT(CASE_FIELDS)))
            return bad(c, "unknown field \"%s\"", cs->members[i].key);
    for (size_t i = 0; i < COUNT(REQUIRED_FIELDS); i++)
        if (!json_get(cs, REQUIRED_FIELDS[i])) return bad(c, "missing field \"%s\"", REQUIRED_FIELDS[i]);
    const char *string_fields[] = {"name", "description", "provider", "body", "body_base64"};
    for (size_t i = 0; i < COUNT(string_fields); i++) {
        const json_value *v = json_get(cs, string_fields[i]);
        if (v && v->type != JSON_STRING) return bad(c, "%s is not a string", string_fields[i]);
    }
    if (!json_get(cs, "body") == !json_get(cs, "body_base64")) return bad(c, "not exactly one of body / body_base64");
    if (json_get(cs, "options")->type != JSON_OBJECT) return bad(c, "options is not an object");
    const json_value *repeat = json_get(cs, "body_repeat");
    if (repeat && (repeat->type != JSON_NUMBER || !repeat->integer || repeat->number < 1 || repeat->number > 1e9))
        return bad(c, "body_repeat is not a positive integer");
    const json_value *now = json_get(cs, "now");
    if (now && (now->type != JSON_NUMBER || !now->integer)) return bad(c, "now is not an integer");
    const json_value *headers = json_get(cs, "headers");
    if (headers->type != JSON_ARRAY) return bad(c, "headers is not an array");
    for (size_t i = 0; i < headers->count; i++) {
        const json_value *h = &headers->items[i];
        if (h->type != JSON_ARRAY || h->count != 2 || h->items[0].type != JSON_STRING || h->items[1].type != JSON_STRING)
            return bad(c, "headers[%zu] is not a [name, value] pair of strings", i);
        if (strlen(h->items[0].str) != h->items[0].str_len || strlen(h->items[1].str) != h->items[1].str_len)
            return bad(c, "headers[%zu] holds NUL, which a headers block cannot carry", i);
    }
    const json_value *expect = json_get(cs, "expect");
    if (expect->type != JSON_OBJECT || expect->count != 1) return bad(c, "expect is not an object with one kind");
    *kind = expect->members[0].key;
    *expected = &expect->members[0].value;
    if (strcmp(*kind, "event") == 0) {
        if ((*expected)->type != JSON_OBJECT || (*expected)->count != COUNT(EVENT_FIELDS))
            return bad(c, "an event expectation has exactly the %zu fields", COUNT(EVENT_FIELDS));
        for (size_t i = 0; i < COUNT(EVENT_FIELDS); i++)
            if (!json_get(*expected, EVENT_FIELDS[i])) return bad(c, "the expected event lacks %s", EVENT_FIELDS[i]);
    } else if (strcmp(*kind, "error") == 0 || strcmp(*kind, "config_error") == 0) {
        int config = (*kind)[0] == 'c';
        if ((*expected)->type != JSON_STRING ||
            !in_list((*expected)->str, (*expected)->str_len, config ? CONFIG_ERROR_CODES : ERROR_CODES,
                     config ? COUNT(CONFIG_ERROR_CODES) : COUNT(ERROR_CODES)))
            return bad(c, "expect.%s is not a known code", *kind);
    } else {
        return bad(c, "unknown expectation \"%s\"", *kind);
    }
    if (strlen(json_get(cs, "provider")->str) != json_get(cs, "provider")->str_len)
        return bad(c, "provider holds NUL, which a C string cannot carry");
    return 1;
}

/* The body's bytes (malloc'd), or NULL with c->reason. */
static char *case_body(ctx *c, const json_value *cs, size_t *len) {
    const json_value *text = json_get(cs, "body"), *b64 = json_get(cs, "body_base64");
    const json_value *repeat = json_get(cs, "body_repeat");
    size_t times = repeat ? (size_t)repeat->number : 1, one_len;
    unsigned char *decoded = NULL;
    const char *one;
    if (text) {
        one = text->str;
        one_len = text->str_len;
    } else {
        decoded = base64_decode(b64->str, b64->str_len, &one_len);
        if (!decoded) { bad(c, "body_base64 is not valid base64"); return NULL; }
        one = (const char *)decoded;
    }
    if (one_len && times > SIZE_MAX / one_len) { free(decoded); bad(c, "body_repeat overflows"); return NULL; }
    char *body = xmalloc(one_len * times);
    for (size_t i = 0; i < times; i++) memcpy(body + i * one_len, one, one_len);
    *len = one_len * times;
    free(decoded);
    return body;
}

/* The headers block "name\0value\0..." (malloc'd). */
static char *case_headers(const json_value *headers, size_t *len) {
    size_t n = 0;
    for (size_t i = 0; i < headers->count; i++)
        n += headers->items[i].items[0].str_len + 1 + headers->items[i].items[1].str_len + 1;
    char *block = xmalloc(n), *p = block;
    for (size_t i = 0; i < headers->count; i++)
        for (int j = 0; j < 2; j++) {
            const json_value *s = &headers->items[i].items[j];
            memcpy(p, s->str, s->str_len + 1); /* with its NUL */
            p += s->str_len + 1;
        }
    *len = n;
    return block;
}

/* Runs one case whose shape is checked; returns 1 when it passes. */
/* A text field of hookseal_event_fields against the expected event's: a string, or null (-1). */
static int field_is(ctx *c, const char *name, const uint8_t *text, size_t *at, int64_t len, const json_value *want) {
    if (len < 0) {
        if (want && want->type == JSON_NULL) return 1;
        return bad(c, "hookseal_verify_fields: %s is null, expected %s", name, want ? json_type_name(want->type) : "none");
    }
    const char *got = (const char *)text + *at;
    *at += (size_t)len;
    if (!want || want->type != JSON_STRING || want->str_len != (size_t)len || memcmp(want->str, got, (size_t)len) != 0)
        return bad(c, "hookseal_verify_fields: %s is \"%.*s\", differs from the event's", name, (int)(len > 200 ? 200 : len), got);
    return 1;
}

/* The same case through hookseal_verify_fields: the same status as hookseal_verify (`want_st`), its fields untouched
 * on failure, and on success every field equal to the expected event's (`expected`, which `event` kinds have). */
static int run_fields(ctx *c, const hookseal_verifier *v, const char *body, size_t body_len, const char *block,
                      size_t headers_len, const int64_t *now, hookseal_status want_st, const json_value *expected) {
    static const char *const SOURCES[] = {"event_id", "request_id", "webhook_id", "body_sha256"};
    hookseal_event_fields f, untouched;
    memset(&f, 0xA5, sizeof f);
    memcpy(&untouched, &f, sizeof f);
    hookseal_status st = hookseal_verify_fields(v, body, body_len, block, headers_len, now, &f);
    if (st != want_st)
        return bad(c, "hookseal_verify_fields returned %s, hookseal_verify %s", hookseal_status_code(st),
                   hookseal_status_code(want_st));
    if (st != HOOKSEAL_STATUS_OK) {
        if (memcmp(&f, &untouched, sizeof f) != 0) return bad(c, "hookseal_verify_fields failed but wrote *fields_out");
        return 1;
    }
    if (!expected) return 1;
    size_t at = 0;
    int64_t total = 0;
    const int64_t lens[] = {f.event_type_len, f.idempotency_key_len, f.timestamp_len, f.clinic_id_len, f.metadata_len};
    for (size_t i = 0; i < COUNT(lens); i++) total += lens[i] > 0 ? lens[i] : 0;
    if (!f.data_in_body) total += (int64_t)f.data_len;
    if ((size_t)total != f.text_len) return bad(c, "hookseal_verify_fields: text_len %zu, the fields add up to %" PRId64, f.text_len, total);
    if (f.text_len && !f.text) return bad(c, "hookseal_verify_fields: text is NULL");
    if (!field_is(c, "event_type", f.text, &at, f.event_type_len, json_get(expected, "event_type"))) return 0;
    if (!field_is(c, "idempotency_key", f.text, &at, f.idempotency_key_len, json_get(expected, "idempotency_key"))) return 0;
    if (!field_is(c, "timestamp", f.text, &at, f.timestamp_len, json_get(expected, "timestamp"))) return 0;
    if (!field_is(c, "clinic_id", f.text, &at, f.clinic_id_len, json_get(expected, "clinic_id"))) return 0;
    char err[300];
    const json_value *want_meta = json_get(expected, "metadata");
    if (f.metadata_len < 0) {
        if (!want_meta || want_meta->type != JSON_NULL) return bad(c, "hookseal_verify_fields: metadata is null");
    } else {
        json_value *meta = json_parse((const char *)f.text + at, (size_t)f.metadata_len, err, sizeof err);
        int same = meta && want_meta && json_equal(meta, want_meta);
        json_free(meta);
        if (!same) return bad(c, "hookseal_verify_fields: metadata differs from the event's");
        at += (size_t)f.metadata_len;
    }
    const char *data;
    if (f.data_in_body) {
        if (f.data_offset > body_len || f.data_len > body_len - f.data_offset)
            return bad(c, "hookseal_verify_fields: data (%zu bytes at %zu) is outside the body", f.data_len, f.data_offset);
        data = body + f.data_offset;
    } else {
        if (f.data_offset != at) return bad(c, "hookseal_verify_fields: data at %zu in text, expected %zu", f.data_offset, at);
        data = (const char *)f.text + f.data_offset;
    }
    json_value *parsed = json_parse(data, f.data_len, err, sizeof err);
    int same = parsed && json_equal(parsed, json_get(expected, "data"));
    json_free(parsed);
    if (!same) return bad(c, "hookseal_verify_fields: data differs from the event's");
    const json_value *is_test = json_get(expected, "is_test"), *is_retry = json_get(expected, "is_retry");
    if (!is_test || is_test->type != JSON_BOOL || is_test->boolean != (int)f.is_test) return bad(c, "hookseal_verify_fields: is_test");
    if (!is_retry || is_retry->type != JSON_BOOL || is_retry->boolean != (int)f.is_retry) return bad(c, "hookseal_verify_fields: is_retry");
    const json_value *source = json_get(expected, "idempotency_key_source");
    if ((unsigned)f.idempotency_key_source >= COUNT(SOURCES) || !source || source->type != JSON_STRING ||
        strcmp(source->str, SOURCES[f.idempotency_key_source]) != 0)
        return bad(c, "hookseal_verify_fields: idempotency_key_source %u", (unsigned)f.idempotency_key_source);
    return 1;
}

static int run_case(ctx *c, const json_value *cs, const char *kind, const json_value *expected, size_t body_len,
                    char *body) {
    const json_value *options = json_get(cs, "options");
    char *options_json = xmalloc(options->src_len + 1);
    memcpy(options_json, options->src, options->src_len);
    options_json[options->src_len] = '\0';

    int ok = 0;
    char *msg = NULL, *block = NULL;
    hookseal_verifier *const untouched_v = (hookseal_verifier *)&untouched_v; /* a sentinel no call may write */
    hookseal_verifier *v = untouched_v;
    hookseal_status st = hookseal_verifier_new(json_get(cs, "provider")->str, options_json, &v);
    if (st != HOOKSEAL_STATUS_OK) {
        const char *code = hookseal_status_code(st);
        if (v != untouched_v) { bad(c, "hookseal_verifier_new failed (%s) but wrote *out", code); goto done; }
        if (!check_failure_message(c, options, &msg)) goto done;
        if (strcmp(kind, "config_error") != 0) { bad(c, "hookseal_verifier_new: %u %s: %s", st, code, msg); goto done; }
        if (strcmp(code, expected->str) != 0) {
            bad(c, "expected config_error %s, got %u %s: %s", expected->str, st, code, msg);
            goto done;
        }
        ok = 1;
        goto done;
    }
    if (v == untouched_v || v == NULL) { bad(c, "hookseal_verifier_new returned OK without a handle"); goto done; }
    if (strcmp(kind, "config_error") == 0) { bad(c, "expected config_error %s, the verifier was built", expected->str); goto done; }

    size_t headers_len;
    block = case_headers(json_get(cs, "headers"), &headers_len);
    const json_value *now_v = json_get(cs, "now");
    int64_t now = 0;
    if (now_v) {
        char text[32];
        char *end;
        if (now_v->src_len >= sizeof text) { bad(c, "now is out of range"); goto done; }
        memcpy(text, now_v->src, now_v->src_len);
        text[now_v->src_len] = '\0';
        errno = 0;
        long long parsed = strtoll(text, &end, 10);
        if (errno || *end) { bad(c, "now is out of range"); goto done; }
        now = (int64_t)parsed;
    }
    hookseal_bytes *const untouched_b = (hookseal_bytes *)&untouched_b;
    hookseal_bytes *event = untouched_b;
    st = hookseal_verify(v, body, body_len, block, headers_len, now_v ? &now : NULL, &event);
    if (!run_fields(c, v, body, body_len, block, headers_len, now_v ? &now : NULL, st,
                    strcmp(kind, "event") == 0 ? expected : NULL)) {
        if (st == HOOKSEAL_STATUS_OK && event != untouched_b) hookseal_bytes_free(event);
        goto done;
    }
    if (st != HOOKSEAL_STATUS_OK) {
        const char *code = hookseal_status_code(st);
        if (event != untouched_b) { bad(c, "hookseal_verify failed (%s) but wrote *event_json_out", code); goto done; }
        if (!check_failure_message(c, options, &msg)) goto done;
        if (strcmp(kind, "error") != 0) { bad(c, "expected an event, got %u %s: %s", st, code, msg); goto done; }
        if (strcmp(code, expected->str) != 0) { bad(c, "expected error %s, got %u %s: %s", expected->str, st, code, msg); goto done; }
        ok = 1;
        goto done;
    }
    if (event == untouched_b || event == NULL) { bad(c, "hookseal_verify returned OK without an event"); goto done; }
    const char *data = (const char *)hookseal_bytes_data(event);
    size_t len = hookseal_bytes_len(event);
    char got[420], want[420], err[300];
    excerpt(got, sizeof got, data, len);
    if (strcmp(kind, "error") == 0) {
        bad(c, "expected error %s, verified %s", expected->str, got);
    } else if (!data) {
        bad(c, "hookseal_bytes_data is NULL for an event");
    } else {
        json_value *parsed = json_parse(data, len, err, sizeof err);
        if (!parsed) {
            bad(c, "the event is not JSON (%s): %s", err, got);
        } else if (!json_equal(parsed, expected)) {
            excerpt(want, sizeof want, expected->src, expected->src_len);
            bad(c, "event differs:\n    got      %s\n    expected %s", got, want);
        } else {
            ok = 1;
        }
        json_free(parsed);
    }
    hookseal_bytes_free(event);

done:
    if (v != untouched_v) hookseal_verifier_free(v);
    free(block);
    free(msg);
    free(options_json);
    return ok;
}

/* ---- the JSON reader checks itself first: the comparisons below are only as good as it is ---- */

static int self_check(void) {
    static const char *const good[] = {
        "0", "-0", "1.5e+3", "[]", "{}", " [1, \"a\", null, true, false, {\"k\": [0.5]}] ",
        "\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"",
    };
    static const char *const rejected[] = {
        "", "01", "1.", ".5", "-", "1e", "+1", "[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "\"\\ud800\"",
        "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\t\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "[1] 2",
        "tru", "nul", "\"\\x\"", "{1:2}", "'a'", "NaN", "\"abc",
    };
    char err[300];
    int ok = 1;
    for (size_t i = 0; i < COUNT(good); i++) {
        json_value *v = json_parse(good[i], strlen(good[i]), err, sizeof err);
        if (!v) { fprintf(stderr, "FAIL json self-check: refused %s: %s\n", good[i], err); ok = 0; }
        json_free(v);
    }
    for (size_t i = 0; i < COUNT(rejected); i++) {
        json_value *v = json_parse(rejected[i], strlen(rejected[i]), err, sizeof err);
        if (v) { fprintf(stderr, "FAIL json self-check: accepted %s\n", rejected[i]); ok = 0; }
        json_free(v);
    }
    /* decoding: escapes and surrogate pairs to UTF-8, \u0000 kept */
    const char *s = "\"a\\u0000\\u00e9\\u20ac\\ud83d\\ude00\\/\"";
    json_value *v = json_parse(s, strlen(s), err, sizeof err);
    const char want[] = "a\0\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/";
    if (!v || v->str_len != sizeof want - 1 || memcmp(v->str, want, sizeof want - 1) != 0) {
        fprintf(stderr, "FAIL json self-check: escapes decode wrongly\n");
        ok = 0;
    }
    json_free(v);
    /* equality: key order ignored, numbers by value, types strict, big integers exact */
    static const char *const equal[][2] = {
        {"{\"a\":1,\"b\":[850.00,true]}", "{\"b\":[850.0,true],\"a\":1.0}"}, {"1e2", "100"}, {"\"\\u0041\"", "\"A\""},
    };
    static const char *const unequal[][2] = {
        {"{\"a\":1}", "{\"a\":1,\"b\":2}"}, {"[1,2]", "[2,1]"}, {"1", "true"}, {"null", "false"}, {"\"1\"", "1"},
        {"9007199254740993", "9007199254740992"}, {"{\"a\":null}", "{\"b\":null}"}, {"\"a\\u0000\"", "\"a\""},
    };
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass ? COUNT(unequal) : COUNT(equal);
        for (size_t i = 0; i < n; i++) {
            const char *x = pass ? unequal[i][0] : equal[i][0], *y = pass ? unequal[i][1] : equal[i][1];
            json_value *a = json_parse(x, strlen(x), err, sizeof err), *b = json_parse(y, strlen(y), err, sizeof err);
            if (!a || !b || json_equal(a, b) != !pass || json_equal(b, a) != !pass) {
                fprintf(stderr, "FAIL json self-check: %s %s %s\n", x, pass ? "==" : "!=", y);
                ok = 0;
            }
            json_free(a);
            json_free(b);
        }
    }
    /* depth: the vectors nest 200 levels; a runaway nesting is refused, not a stack overflow */
    char deep[2 * (JSON_MAX_DEPTH + 1) + 1];
    for (size_t depth = 200; depth <= JSON_MAX_DEPTH + 1; depth += JSON_MAX_DEPTH + 1 - 200) {
        memset(deep, '[', depth);
        memset(deep + depth, ']', depth);
        v = json_parse(deep, 2 * depth, err, sizeof err);
        if (!v != (depth > JSON_MAX_DEPTH)) {
            fprintf(stderr, "FAIL json self-check: nesting %zu %s\n", depth, v ? "accepted" : "refused");
            ok = 0;
        }
        json_free(v);
    }
    return ok;
}

/* ---- loading ---- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    const char *dir = "tests/vectors";
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (argv[i][0] == '-') { fprintf(stderr, "usage: %s [--quick] [DIR]\n", argv[0]); return 2; }
        else dir = argv[i];
    }
    if (!self_check()) return 1;

    char path[4096], *manifest_text;
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_value *manifest = load_json(path, &manifest_text);
    if (!manifest) return 1;
    const json_value *files = json_get(manifest, "files"), *total = json_get(manifest, "total");
    if (manifest->type != JSON_OBJECT || manifest->count != 3 || !json_get(manifest, "description") || !files ||
        files->type != JSON_OBJECT || !total || total->type != JSON_NUMBER || !total->integer) {
        fprintf(stderr, "FAIL manifest.json is not {description, files: {name: count}, total}\n");
        json_free(manifest);
        free(manifest_text);
        return 1;
    }

    /* The directory's *.json but manifest.json must be exactly the manifest's files. */
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "FAIL cannot list %s: %s\n", dir, strerror(errno));
        json_free(manifest);
        free(manifest_text);
        return 1;
    }
    char **on_disk = NULL;
    size_t n_disk = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0 || strcmp(e->d_name, "manifest.json") == 0) continue;
        on_disk = realloc(on_disk, (n_disk + 1) * sizeof *on_disk);
        if (!on_disk) { fprintf(stderr, "out of memory\n"); return 2; }
        on_disk[n_disk] = xmalloc(n + 1);
        memcpy(on_disk[n_disk++], e->d_name, n + 1);
    }
    closedir(d);
    qsort(on_disk, n_disk, sizeof *on_disk, cmp_str);
    int load_failed = 0;
    for (size_t i = 0; i < n_disk; i++)
        if (!json_get(files, on_disk[i])) {
            fprintf(stderr, "FAIL %s is not listed in manifest.json\n", on_disk[i]);
            load_failed = 1;
        }
    for (size_t i = 0; i < files->count; i++) {
        const char *listed = files->members[i].key;
        if (!bsearch(&listed, on_disk, n_disk, sizeof *on_disk, cmp_str)) {
            fprintf(stderr, "FAIL %s is listed in manifest.json but missing\n", listed);
            load_failed = 1;
        }
        const json_value *count = &files->members[i].value;
        if (count->type != JSON_NUMBER || !count->integer || count->number < 0) {
            fprintf(stderr, "FAIL manifest.json: the count of %s is not a count\n", listed);
            load_failed = 1;
        }
    }
    for (size_t i = 0; i < n_disk; i++) free(on_disk[i]);
    free(on_disk);
    if (load_failed) {
        json_free(manifest);
        free(manifest_text);
        return 1;
    }

    size_t cases_read = 0, passed = 0, failed = 0, skipped = 0, n_names = 0;
    char **names = NULL;
    for (size_t f = 0; f < files->count; f++) {
        const char *file = files->members[f].key;
        char *text;
        snprintf(path, sizeof path, "%s/%s", dir, file);
        json_value *doc = load_json(path, &text);
        if (!doc) { load_failed = 1; continue; }
        const json_value *cases = json_get(doc, "cases");
        if (doc->type != JSON_OBJECT || doc->count != 2 || !json_get(doc, "description") || !cases ||
            cases->type != JSON_ARRAY) {
            fprintf(stderr, "FAIL %s is not {description, cases: [...]}\n", file);
            load_failed = 1;
        } else if ((double)cases->count != files->members[f].value.number) {
            fprintf(stderr, "FAIL %s has %zu cases, manifest.json says %.*s\n", file, cases->count,
                    (int)files->members[f].value.src_len, files->members[f].value.src);
            load_failed = 1;
        } else {
            names = realloc(names, (n_names + cases->count) * sizeof *names);
            if (!names) { fprintf(stderr, "out of memory\n"); return 2; }
            for (size_t i = 0; i < cases->count; i++) {
                const json_value *cs = &cases->items[i];
                const json_value *name = json_get(cs, "name");
                ctx c = {file, name && name->type == JSON_STRING ? name->str : "?", ""};
                const char *kind = NULL;
                const json_value *expected = NULL;
                int ok = check_shape(&c, cs, &kind, &expected);
                for (size_t k = 0; ok && k < n_names; k++)
                    if (strcmp(names[k], c.name) == 0) ok = bad(&c, "duplicate case name");
                if (ok) {
                    size_t n = strlen(c.name) + 1;
                    names[n_names] = memcpy(xmalloc(n), c.name, n);
                    n_names++;
                }
                cases_read++;
                if (!ok) load_failed = 1; /* a malformed case fails the load (and is counted as failed) */
                size_t body_len = 0;
                char *body = ok ? case_body(&c, cs, &body_len) : NULL;
                if (ok && !body) ok = 0;
                if (ok && quick && body_len > QUICK_MAX_BODY) {
                    skipped++;
                    free(body);
                    continue;
                }
                if (ok) ok = run_case(&c, cs, kind, expected, body_len, body);
                free(body);
                if (ok) passed++;
                else { failed++; fprintf(stderr, "FAIL %s: %s: %s\n", c.file, c.name, c.reason); }
            }
        }
        json_free(doc);
        free(text);
    }
    for (size_t i = 0; i < n_names; i++) free(names[i]);
    free(names);
    if ((double)cases_read != total->number) {
        fprintf(stderr, "FAIL manifest.json total is %.*s, %zu cases were read\n", (int)total->src_len, total->src,
                cases_read);
        load_failed = 1;
    }
    /* out of every case the manifest promises, when a file could not be read */
    size_t all = (double)cases_read < total->number ? (size_t)total->number : cases_read;
    json_free(manifest);
    free(manifest_text);

    if (quick)
        printf("%zu of %zu vectors passed (%zu skipped by --quick: body over %u KiB)\n", passed, all - skipped, skipped,
               QUICK_MAX_BODY / 1024);
    else
        printf("%zu of %zu vectors passed\n", passed, all);
    return failed == 0 && !load_failed && passed + skipped == cases_read ? 0 : 1;
}
