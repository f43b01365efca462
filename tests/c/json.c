/* A small, strict JSON reader for the C tests (see json.h). */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *start, *p, *end;
    int depth;
    char *err;
    size_t err_len;
    int failed;
} parser;

static int fail(parser *ps, const char *fmt, ...) {
    if (!ps->failed && ps->err && ps->err_len > 0) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(ps->err, ps->err_len, "%s at byte %zu", msg, (size_t)(ps->p - ps->start));
    }
    ps->failed = 1;
    return 0;
}

static void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

/* A growable byte buffer for decoded strings. */
typedef struct { char *data; size_t len, cap; } buf;

static int buf_put(buf *b, const char *bytes, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16;
        while (b->len + n + 1 > cap) cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data) return 0;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 1;
}

static int put_utf8(buf *b, uint32_t cp) {
    char out[4];
    size_t n;
    if (cp < 0x80) { out[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    return buf_put(b, out, n);
}

/* The length of the well-formed UTF-8 sequence at s[0..avail] (Unicode table 3-7), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (avail < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++) if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

static int hex4(parser *ps, uint32_t *out) {
    uint32_t v = 0;
    if (ps->end - ps->p < 4) return fail(ps, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return fail(ps, "bad hex digit in \\u escape");
    }
    ps->p += 4;
    *out = v;
    return 1;
}

/* A string starting at the opening quote, decoded into *out / *out_len (malloc'd, NUL-terminated). */
static int parse_string(parser *ps, char **out, size_t *out_len) {
    buf b = {0};
    ps->p++; /* the opening quote */
    if (!buf_put(&b, "", 0)) return fail(ps, "out of memory");
    for (;;) {
        if (ps->p >= ps->end) { free(b.data); return fail(ps, "unterminated string"); }
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') { ps->p++; break; }
        if (c < 0x20) { free(b.data); return fail(ps, "control character 0x%02x in a string", c); }
        if (c == '\\') {
            ps->p++;
            if (ps->p >= ps->end) { free(b.data); return fail(ps, "unterminated escape"); }
            char e = *ps->p++;
            const char *simple = NULL;
            switch (e) {
            case '"': simple = "\""; break;
            case '\\': simple = "\\"; break;
            case '/': simple = "/"; break;
            case 'b': simple = "\b"; break;
            case 'f': simple = "\f"; break;
            case 'n': simple = "\n"; break;
            case 'r': simple = "\r"; break;
            case 't': simple = "\t"; break;
            case 'u': {
                uint32_t cp, lo;
                if (!hex4(ps, &cp)) { free(b.data); return 0; }
                if (cp >= 0xDC00 && cp <= 0xDFFF) { free(b.data); return fail(ps, "lone low surrogate"); }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                        free(b.data);
                        return fail(ps, "high surrogate without a low one");
                    }
                    ps->p += 2;
                    if (!hex4(ps, &lo)) { free(b.data); return 0; }
                    if (lo < 0xDC00 || lo > 0xDFFF) { free(b.data); return fail(ps, "high surrogate without a low one"); }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (!put_utf8(&b, cp)) { free(b.data); return fail(ps, "out of memory"); }
                continue;
            }
            default: ps->p--; free(b.data); return fail(ps, "bad escape \\%c", e);
            }
            if (!buf_put(&b, simple, 1)) { free(b.data); return fail(ps, "out of memory"); }
            continue;
        }
        size_t n = utf8_seq((const unsigned char *)ps->p, (size_t)(ps->end - ps->p));
        if (n == 0) { free(b.data); return fail(ps, "invalid UTF-8"); }
        if (!buf_put(&b, ps->p, n)) { free(b.data); return fail(ps, "out of memory"); }
        ps->p += n;
    }
    *out = b.data;
    *out_len = b.len;
    return 1;
}

static int is_digit(parser *ps) { return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9'; }

static int parse_number(parser *ps, json_value *v) {
    const char *s = ps->p;
    v->integer = 1;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (!is_digit(ps)) return fail(ps, "bad number");
    if (*ps->p == '0') ps->p++;
    else while (is_digit(ps)) ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        v->integer = 0;
        ps->p++;
        if (!is_digit(ps)) return fail(ps, "bad number: no digit after '.'");
        while (is_digit(ps)) ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        v->integer = 0;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (!is_digit(ps)) return fail(ps, "bad number: no digit in the exponent");
        while (is_digit(ps)) ps->p++;
    }
    size_t n = (size_t)(ps->p - s);
    char *copy = malloc(n + 1); /* strtod needs a terminated string; the C locale is in force (no setlocale) */
    if (!copy) return fail(ps, "out of memory");
    memcpy(copy, s, n);
    copy[n] = '\0';
    v->number = strtod(copy, NULL);
    free(copy);
    v->type = JSON_NUMBER;
    return 1;
}

static int literal(parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, "unexpected character");
    ps->p += n;
    return 1;
}

static int parse_value(parser *ps, json_value *v);

static int parse_array(parser *ps, json_value *v) {
    size_t cap = 0;
    v->type = JSON_ARRAY;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') { ps->p++; return 1; }
    for (;;) {
        if (v->count == cap) {
            cap = cap ? cap * 2 : 4;
            json_value *items = realloc(v->items, cap * sizeof *items);
            if (!items) return fail(ps, "out of memory");
            v->items = items;
        }
        json_value *item = &v->items[v->count];
        memset(item, 0, sizeof *item);
        v->count++; /* counted before parsing, so json_free releases a half-built item */
        if (!parse_value(ps, item)) return 0;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == ']') { ps->p++; return 1; }
        return fail(ps, "expected ',' or ']'");
    }
}

static int parse_object(parser *ps, json_value *v) {
    size_t cap = 0;
    v->type = JSON_OBJECT;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') { ps->p++; return 1; }
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') return fail(ps, "expected a string key");
        if (v->count == cap) {
            cap = cap ? cap * 2 : 4;
            json_member *members = realloc(v->members, cap * sizeof *members);
            if (!members) return fail(ps, "out of memory");
            v->members = members;
        }
        json_member *m = &v->members[v->count];
        memset(m, 0, sizeof *m);
        v->count++;
        const char *key_at = ps->p;
        if (!parse_string(ps, &m->key, &m->key_len)) return 0;
        for (size_t i = 0; i + 1 < v->count; i++) {
            if (v->members[i].key_len == m->key_len && memcmp(v->members[i].key, m->key, m->key_len) == 0) {
                ps->p = key_at;
                return fail(ps, "duplicate key \"%.60s\"", m->key);
            }
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') return fail(ps, "expected ':'");
        ps->p++;
        if (!parse_value(ps, &m->value)) return 0;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
        if (ps->p < ps->end && *ps->p == '}') { ps->p++; return 1; }
        return fail(ps, "expected ',' or '}'");
    }
}

static int parse_value(parser *ps, json_value *v) {
    int ok;
    skip_ws(ps);
    if (ps->p >= ps->end) return fail(ps, "unexpected end of input");
    if (++ps->depth > JSON_MAX_DEPTH) return fail(ps, "nested deeper than %d", JSON_MAX_DEPTH);
    v->src = ps->p;
    switch (*ps->p) {
    case '{': ok = parse_object(ps, v); break;
    case '[': ok = parse_array(ps, v); break;
    case '"': v->type = JSON_STRING; ok = parse_string(ps, &v->str, &v->str_len); break;
    case 't': v->type = JSON_BOOL; v->boolean = 1; ok = literal(ps, "true"); break;
    case 'f': v->type = JSON_BOOL; v->boolean = 0; ok = literal(ps, "false"); break;
    case 'n': v->type = JSON_NULL; ok = literal(ps, "null"); break;
    default: ok = parse_number(ps, v); break;
    }
    v->src_len = (size_t)(ps->p - v->src);
    ps->depth--;
    return ok;
}

static void free_children(json_value *v) {
    if (v->type == JSON_STRING) free(v->str);
    if (v->type == JSON_ARRAY) {
        for (size_t i = 0; i < v->count; i++) free_children(&v->items[i]);
        free(v->items);
    }
    if (v->type == JSON_OBJECT) {
        for (size_t i = 0; i < v->count; i++) {
            free(v->members[i].key);
            free_children(&v->members[i].value);
        }
        free(v->members);
    }
}

json_value *json_parse(const char *text, size_t len, char *err, size_t err_len) {
    parser ps = {text, text, text + len, 0, err, err_len, 0};
    json_value *v = calloc(1, sizeof *v);
    if (!v) { fail(&ps, "out of memory"); return NULL; }
    if (parse_value(&ps, v)) {
        skip_ws(&ps);
        if (ps.p == ps.end) return v;
        fail(&ps, "text after the value");
    }
    json_free(v);
    return NULL;
}

void json_free(json_value *v) {
    if (!v) return;
    free_children(v);
    free(v);
}

const json_value *json_get(const json_value *v, const char *key) {
    if (!v || v->type != JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < v->count; i++)
        if (v->members[i].key_len == n && memcmp(v->members[i].key, key, n) == 0) return &v->members[i].value;
    return NULL;
}

int json_equal(const json_value *a, const json_value *b) {
    if (a->type != b->type) return 0;
    switch (a->type) {
    case JSON_NULL: return 1;
    case JSON_BOOL: return a->boolean == b->boolean;
    case JSON_NUMBER:
        if (a->number != b->number) return 0; /* strtod never gives NaN for JSON's grammar */
        if (a->integer && b->integer && fabs(a->number) >= 9007199254740992.0)
            return a->src_len == b->src_len && memcmp(a->src, b->src, a->src_len) == 0;
        return 1;
    case JSON_STRING: return a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0;
    case JSON_ARRAY:
        if (a->count != b->count) return 0;
        for (size_t i = 0; i < a->count; i++)
            if (!json_equal(&a->items[i], &b->items[i])) return 0;
        return 1;
    case JSON_OBJECT:
        if (a->count != b->count) return 0; /* keys are unique (duplicates are refused), so count + lookup suffice */
        for (size_t i = 0; i < a->count; i++) {
            const json_member *m = &a->members[i];
            const json_value *other = NULL;
            for (size_t j = 0; j < b->count && !other; j++)
                if (b->members[j].key_len == m->key_len && memcmp(b->members[j].key, m->key, m->key_len) == 0)
                    other = &b->members[j].value;
            if (!other || !json_equal(&m->value, other)) return 0;
        }
        return 1;
    }
    return 0;
}

const char *json_type_name(json_type type) {
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return (unsigned)type < 6 ? names[type] : "?";
}
