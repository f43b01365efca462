/* A small, strict JSON reader (RFC 8259) for the C tests: no runtime but libc.
 *
 * json_parse() reads one value from `len` bytes (no NUL needed) and builds a tree the caller releases with
 * json_free(). It refuses what a strict parser must: invalid UTF-8, control characters in strings, lone
 * surrogates, leading zeros, trailing commas, duplicate object keys, anything after the value, nesting deeper
 * than JSON_MAX_DEPTH. Every value keeps a pointer to its own source text (`src`, `src_len`), which points into
 * the caller's buffer: keep that buffer alive while using `src`.
 */
#ifndef HOOKSEAL_TEST_JSON_H
#define HOOKSEAL_TEST_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 1000

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
typedef struct json_member json_member;

struct json_value {
    json_type type;
    const char *src; /* this value's source text (in the caller's buffer, not NUL-terminated) */
    size_t src_len;
    int boolean;     /* JSON_BOOL */
    double number;   /* JSON_NUMBER: strtod of the text; the exact text is src/src_len */
    int integer;     /* JSON_NUMBER: the text has no fraction and no exponent */
    char *str;       /* JSON_STRING: decoded UTF-8, NUL-terminated, may hold NUL (\u0000): use str_len */
    size_t str_len;
    size_t count;          /* JSON_ARRAY items / JSON_OBJECT members */
    json_value *items;     /* JSON_ARRAY */
    json_member *members;  /* JSON_OBJECT, in source order */
};

struct json_member {
    char *key; /* decoded, NUL-terminated; may hold NUL: use key_len */
    size_t key_len;
    json_value value;
};

/* The tree of `text[0..len]`, or NULL with a message (and byte offset) in err[0..err_len]. */
json_value *json_parse(const char *text, size_t len, char *err, size_t err_len);

/* Releases a tree from json_parse (NULL is a no-op). */
void json_free(json_value *value);

/* The member `key` of an object (NULL if `value` is not an object or has no such member). */
const json_value *json_get(const json_value *value, const char *key);

/* Structural equality: object member order ignored, numbers by double value (and, for integers of 2^53 and more,
 * by exact text too, so that precision lost in a double cannot hide a difference), strings by bytes. */
int json_equal(const json_value *a, const json_value *b);

/* The name of a type ("object", ...). */
const char *json_type_name(json_type type);

#endif
