/* Property: any valid record the shim can build encodes to a line that
 * json-c reads back field for field, that the validator accepts, and that
 * re-encoding the parsed value reproduces byte for byte. Records are random
 * (seeded, so a failure names the record that broke): strings with control
 * characters and every UTF-8 length, nested metadata with ints, bools,
 * nulls, doubles of all magnitudes. STORMLOG_SCHEMA_ROUNDTRIP_N sets the
 * count (at least 1000). */
#include <criterion/criterion.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "stormlog/schema/encode.h"
#include "stormlog/schema/jsonc.h"
#include "stormlog/schema/validate.h"

static uint64_t rng_state;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return next_u64() % n;
}

static int64_t non_negative(void)
{
    return (int64_t)(next_u64() >> (1 + below(63)));
}

/* Storage for one record's strings and metadata views. */
static struct arena {
    char text[1 << 17];
    size_t text_used;
    sl_member members[2048];
    size_t members_used;
    sl_value values[2048];
    size_t values_used;
} arena;

static char *arena_text(size_t n)
{
    cr_assert_leq(arena.text_used + n, sizeof arena.text, "arena full");
    char *p = arena.text + arena.text_used;
    arena.text_used += n;
    return p;
}

static size_t put_utf8(char *p, uint32_t cp)
{
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xC0 | (cp >> 6));
        p[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (char)(0xE0 | (cp >> 12));
        p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (char)(0xF0 | (cp >> 18));
    p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static uint32_t random_code_point(bool allow_nul)
{
    switch (below(10)) {
    case 5: {
        uint32_t c = (uint32_t)below(33);
        c = c == 32 ? 0x7F : c;
        return (c == 0 && !allow_nul) ? 0x01 : c;
    }
    case 6: return 0x80 + (uint32_t)below(0x800 - 0x80);
    case 7: {
        uint32_t c = 0x800 + (uint32_t)below(0x10000 - 0x800 - 0x800);
        return c >= 0xD800 ? c + 0x800 : c; /* no surrogates */
    }
    case 8: {
        /* json-c 0.16 decodes a surrogate pair whose code point has low 16
         * bits in D800..DFFF (U+1D800, U+2D800...) as U+FFFD: its bug, not
         * the encoder's (test_encode checks those escapes), so the reader
         * here is not given them. */
        uint32_t c = 0x10000 + (uint32_t)below(0x110000 - 0x10000);
        return (c & 0xF800u) == 0xD800u ? c ^ 0x8000u : c;
    }
    case 9: {
        static const uint32_t spaces[] = {' ', 0xA0, 0x3000, 0x2028, '\t'};
        return spaces[below(5)];
    }
    default: return 0x20 + (uint32_t)below(0x7F - 0x20);
    }
}

/* Random UTF-8; non_blank starts it with a letter. NUL-terminated in the
 * arena (NULs inside only when allow_nul). */
static const char *random_text(size_t *len_out, bool non_blank, bool allow_nul)
{
    size_t count = below(24);
    char *p = arena_text(4 * count + 2);
    size_t len = 0;
    if (non_blank)
        p[len++] = (char)('a' + below(26));
    for (size_t i = 0; i < count; i++)
        len += put_utf8(p + len, random_code_point(allow_nul));
    p[len] = '\0';
    if (len_out)
        *len_out = len;
    return p;
}

static double random_double(void)
{
    for (;;) {
        if (below(2)) {
            uint64_t bits = next_u64();
            if ((bits & 0x7FF0000000000000ull) == 0x7FF0000000000000ull)
                continue; /* JSON has no NaN to compare equal */
            double d;
            memcpy(&d, &bits, sizeof d);
            return d;
        }
        double scale = 1;
        for (int e = (int)below(30); e > 0; e--)
            scale *= 10;
        double q = (double)(int64_t)(below(2000000) - 1000000);
        return below(2) ? q / scale : q * scale;
    }
}

static sl_value random_value(int depth);

static sl_value random_object(int depth)
{
    size_t n = below(depth == 0 ? 8 : 5);
    cr_assert_leq(arena.members_used + n, 2048);
    sl_member *m = &arena.members[arena.members_used];
    arena.members_used += n;
    for (size_t i = 0; i < n; i++) {
        size_t key_len;
        const char *key;
        bool unique;
        do {
            key = random_text(&key_len, false, false);
            unique = true;
            for (size_t k = 0; k < i; k++)
                if (m[k].key_len == key_len && memcmp(m[k].key, key, key_len) == 0)
                    unique = false;
        } while (!unique);
        m[i].key = key;
        m[i].key_len = key_len;
        m[i].value = random_value(depth + 1);
    }
    return sl_value_object(m, n);
}

static sl_value random_value(int depth)
{
    int kinds = depth < 3 ? 7 : 5;
    switch (below((uint64_t)kinds)) {
    case 0: return sl_value_null();
    case 1: return sl_value_bool(below(2));
    case 2: return sl_value_int((int64_t)next_u64() >> below(64));
    case 3: return sl_value_double(random_double());
    case 4: {
        size_t len;
        const char *s = random_text(&len, false, true);
        return sl_value_strn(s, len);
    }
    case 5: return random_object(depth);
    default: {
        size_t n = below(5);
        cr_assert_leq(arena.values_used + n, 2048);
        sl_value *items = &arena.values[arena.values_used];
        arena.values_used += n;
        for (size_t i = 0; i < n; i++)
            items[i] = random_value(depth + 1);
        return sl_value_array(items, n);
    }
    }
}

static sl_opt_i64 maybe(int64_t v)
{
    sl_opt_i64 o = {below(4) != 0, v};
    return o;
}

static void random_record(sl_record *r)
{
    memset(&arena, 0, offsetof(struct arena, text_used) + sizeof arena.text_used);
    arena.text_used = arena.members_used = arena.values_used = 0;
    memset(r, 0, sizeof *r);
    r->session_id = random_text(NULL, true, false);
    r->timestamp_ns = non_negative();
    r->event_type = random_text(NULL, true, false);
    r->collector = random_text(NULL, true, false);
    r->sampling_interval_ms = non_negative();
    r->pid = below(8) ? non_negative() : -1;
    r->host = random_text(NULL, true, false);
    r->job_id = below(2) ? random_text(NULL, true, false) : NULL;
    r->world_size = below(3) ? 1 : 1 + non_negative() % 4096;
    r->rank = r->world_size > 1 ? (int64_t)below((uint64_t)r->world_size) : 0;
    r->local_rank = r->world_size > 1 ? (int64_t)below((uint64_t)r->world_size) : 0;
    r->device_id = (int64_t)next_u64() >> below(64);
    r->allocator_allocated_bytes = non_negative();
    r->allocator_reserved_bytes = non_negative();
    r->allocator_active_bytes = maybe(non_negative());
    r->allocator_inactive_bytes = maybe(non_negative());
    r->allocator_change_bytes = (int64_t)next_u64() >> below(64);
    r->device_total_bytes = maybe(non_negative());
    if (r->device_total_bytes.present) {
        uint64_t bound = (uint64_t)r->device_total_bytes.value + 1;
        r->device_used_bytes = (int64_t)below(bound);
        r->device_free_bytes = maybe((int64_t)below(bound));
    } else {
        r->device_used_bytes = non_negative();
        r->device_free_bytes = maybe(non_negative());
    }
    r->context = below(3) ? random_text(NULL, false, false) : NULL;
    r->metadata = random_object(0);
}

static void assert_same(const sl_value *v, struct json_object *o, const char *where)
{
    switch (v->kind) {
    case SL_NULL:
        cr_assert_null(o, "%s: not null", where);
        break;
    case SL_BOOL:
        cr_assert(json_object_is_type(o, json_type_boolean), "%s: not a bool", where);
        cr_assert_eq(json_object_get_boolean(o), v->u.boolean, "%s", where);
        break;
    case SL_INT:
        cr_assert(json_object_is_type(o, json_type_int), "%s: not an int", where);
        cr_assert_eq(json_object_get_int64(o), v->u.integer, "%s", where);
        break;
    case SL_DOUBLE: {
        cr_assert(json_object_is_type(o, json_type_double), "%s: not a double", where);
        double d = json_object_get_double(o);
        cr_assert(memcmp(&d, &v->u.number, sizeof d) == 0, "%s: %.17g != %.17g", where, d,
                  v->u.number);
        break;
    }
    case SL_STRING:
        cr_assert(json_object_is_type(o, json_type_string), "%s: not a string", where);
        cr_assert_eq((size_t)json_object_get_string_len(o), v->u.string.len, "%s: length", where);
        cr_assert(memcmp(json_object_get_string(o), v->u.string.ptr, v->u.string.len) == 0,
                  "%s: bytes", where);
        break;
    case SL_OBJECT:
        cr_assert(json_object_is_type(o, json_type_object), "%s: not an object", where);
        cr_assert_eq((size_t)json_object_object_length(o), v->u.object.count, "%s: size", where);
        for (size_t i = 0; i < v->u.object.count; i++) {
            const sl_member *m = &v->u.object.members[i];
            struct json_object *child;
            cr_assert(json_object_object_get_ex(o, m->key, &child), "%s: key %s missing", where,
                      m->key);
            assert_same(&m->value, child, where);
        }
        break;
    case SL_ARRAY:
        cr_assert(json_object_is_type(o, json_type_array), "%s: not an array", where);
        cr_assert_eq(json_object_array_length(o), v->u.array.count, "%s: length", where);
        for (size_t i = 0; i < v->u.array.count; i++)
            assert_same(&v->u.array.items[i], json_object_array_get_idx(o, i), where);
        break;
    default:
        cr_assert_fail("%s: unexpected kind %d", where, (int)v->kind);
    }
}

static void check_record(const sl_record *r, int index)
{
    sl_error err;
    cr_assert(sl_validate_record(r, &err), "record %d invalid: %s", index, err.message);

    size_t needed = 0;
    cr_assert_eq(sl_encode_record_line(r, NULL, 0, &needed), SL_ENCODE_TRUNCATED);
    char *line = malloc(needed + 1);
    size_t len = 0;
    cr_assert_eq(sl_encode_record_line(r, line, needed + 1, &len), SL_ENCODE_OK);
    cr_assert_eq(len, needed);
    cr_assert_eq(line[len - 1], '\n');
    for (size_t i = 0; i + 1 < len; i++)
        cr_assert((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7F,
                  "record %d: raw byte 0x%02x at %zu", index, (unsigned char)line[i], i);

    struct json_tokener *tok = json_tokener_new();
    struct json_object *parsed = json_tokener_parse_ex(tok, line, (int)(len - 1));
    cr_assert_eq(json_tokener_get_error(tok), json_tokener_success, "record %d: %s", index, line);
    json_tokener_free(tok);

    /* Keys: all 23, in code point order, each equal to the struct's value. */
    cr_assert_eq(json_object_object_length(parsed), SL_F_COUNT);
    const char *prev = "";
    json_object_object_foreach(parsed, key, value)
    {
        (void)value;
        cr_assert_gt(strcmp(key, prev), 0, "record %d: %s after %s", index, key, prev);
        prev = key;
    }
    sl_value fields[SL_F_COUNT];
    sl_record_fields(r, fields);
    for (int f = 0; f < SL_F_COUNT; f++) {
        struct json_object *o;
        const char *name = sl_field_name((sl_field)f);
        cr_assert(json_object_object_get_ex(parsed, name, &o), "record %d: %s missing", index,
                  name);
        char where[64];
        snprintf(where, sizeof where, "record %d %s", index, name);
        assert_same(&fields[f], o, where);
    }

    /* The loader's encoder over what json-c read: the same bytes. */
    size_t again_len;
    char *again = sl_canonical_jsonc(parsed, &again_len);
    cr_assert_not_null(again);
    cr_assert_eq(again_len, len - 1, "record %d: re-encoded length differs", index);
    cr_assert(memcmp(again, line, again_len) == 0, "record %d:\n%s\n%s", index, line, again);
    free(again);
    json_object_put(parsed);
    free(line);
}

Test(roundtrip, random_valid_records, .timeout = 600)
{
    const char *n_text = getenv("STORMLOG_SCHEMA_ROUNDTRIP_N");
    long n = n_text ? strtol(n_text, NULL, 10) : 2000;
    if (n < 1000)
        n = 1000;
    rng_state = 0x5707A106;
    for (long i = 0; i < n; i++) {
        sl_record r;
        random_record(&r);
        check_record(&r, (int)i);
    }
}
