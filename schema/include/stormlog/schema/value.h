/* A JSON value as a borrowed view: what the encoder writes and the validator
 * checks. Nothing here owns memory; the caller keeps what the view points at
 * alive for the duration of the call. The shim builds views over its fixed
 * event slots, the loader over json-c objects. */
#ifndef STORMLOG_SCHEMA_VALUE_H
#define STORMLOG_SCHEMA_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum sl_kind {
    SL_ABSENT = 0, /* key not present at all (validation only; never encoded) */
    SL_NULL,
    SL_BOOL,
    SL_INT,        /* JSON integer that fits int64 */
    SL_BIGINT,     /* JSON integer outside int64: rejected by the validator; u.string
                      may hold its decimal digits (the encoder writes them as they
                      are; without them it cannot encode the value) */
    SL_DOUBLE,
    SL_STRING,     /* UTF-8 bytes, may contain NUL; invalid UTF-8 is replaced when encoded */
    SL_OBJECT,     /* members in insertion order; the encoder sorts by key */
    SL_ARRAY,
} sl_kind;

typedef struct sl_member sl_member;

typedef struct sl_value {
    sl_kind kind;
    union {
        bool boolean;
        int64_t integer;
        double number;
        struct {
            const char *ptr;
            size_t len;
        } string;
        struct {
            const sl_member *members; /* may be NULL when only the kind matters (validation) */
            size_t count;
        } object;
        struct {
            const struct sl_value *items;
            size_t count;
        } array;
    } u;
} sl_value;

struct sl_member {
    const char *key;
    size_t key_len;
    sl_value value;
};

static inline sl_value sl_value_null(void) { sl_value v = {.kind = SL_NULL}; return v; }
static inline sl_value sl_value_absent(void) { sl_value v = {.kind = SL_ABSENT}; return v; }
static inline sl_value sl_value_bool(bool b) { sl_value v = {.kind = SL_BOOL, .u.boolean = b}; return v; }
static inline sl_value sl_value_int(int64_t i) { sl_value v = {.kind = SL_INT, .u.integer = i}; return v; }
static inline sl_value sl_value_double(double d) { sl_value v = {.kind = SL_DOUBLE, .u.number = d}; return v; }
static inline sl_value sl_value_strn(const char *s, size_t n)
{
    sl_value v = {.kind = SL_STRING, .u.string = {s, n}};
    return v;
}
/* NULL becomes JSON null: the record's nullable strings (job_id, context) use this. */
static inline sl_value sl_value_str(const char *s)
{
    return s ? sl_value_strn(s, strlen(s)) : sl_value_null();
}
static inline sl_value sl_value_object(const sl_member *m, size_t n)
{
    sl_value v = {.kind = SL_OBJECT, .u.object = {m, n}};
    return v;
}
static inline sl_value sl_value_array(const sl_value *items, size_t n)
{
    sl_value v = {.kind = SL_ARRAY, .u.array = {items, n}};
    return v;
}
static inline sl_member sl_member_of(const char *key, sl_value value)
{
    sl_member m = {key, strlen(key), value};
    return m;
}

#endif
