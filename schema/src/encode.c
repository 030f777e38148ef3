/* The canonical encoder: Python's json.dumps(value, sort_keys=True), byte for
 * byte. The record id of the projection is a hash of these bytes, so "close"
 * is wrong: every separator, escape and float spelling matters.
 *
 * The writer owns no memory. It copies what fits into the caller's buffer and
 * keeps counting past the end, so one pass tells a caller with a small buffer
 * exactly how much it needs. Misuse (a value where a key belongs, unbalanced
 * ends, nesting past SL_JSON_MAX_DEPTH) latches `invalid` and stops output. */
#include "stormlog/schema/encode.h"

#include <math.h>

#include "internal.h"

static void emit(sl_json_writer *w, const char *bytes, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->buf + w->len, bytes, n < room ? n : room);
    }
    w->len += n;
}

static void emit_char(sl_json_writer *w, char c)
{
    if (w->len < w->cap)
        w->buf[w->len] = c;
    w->len++;
}

static void fail(sl_json_writer *w)
{
    w->invalid = true;
}

void sl_jw_init(sl_json_writer *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = buf ? cap : 0;
}

/* Called before every value: the separator it needs, and whether a value
 * may stand here at all. */
static bool begin_value(sl_json_writer *w)
{
    if (w->invalid)
        return false;
    if (w->after_key) {
        w->after_key = false;
        return true;
    }
    if (w->depth == 0) {
        if (w->need_comma[0]) {
            fail(w); /* a second top-level value */
            return false;
        }
        w->need_comma[0] = true;
        return true;
    }
    if (w->is_object[w->depth]) {
        fail(w); /* a member value without its key */
        return false;
    }
    if (w->need_comma[w->depth])
        emit(w, ", ", 2);
    w->need_comma[w->depth] = true;
    return true;
}

static void open_container(sl_json_writer *w, bool object)
{
    if (!begin_value(w))
        return;
    if (w->depth >= SL_JSON_MAX_DEPTH) {
        fail(w);
        return;
    }
    w->depth++;
    w->is_object[w->depth] = object;
    w->need_comma[w->depth] = false;
    emit_char(w, object ? '{' : '[');
}

static void close_container(sl_json_writer *w, bool object)
{
    if (w->invalid)
        return;
    if (w->depth == 0 || w->is_object[w->depth] != object || w->after_key) {
        fail(w);
        return;
    }
    w->depth--;
    emit_char(w, object ? '}' : ']');
}

void sl_jw_begin_object(sl_json_writer *w) { open_container(w, true); }
void sl_jw_end_object(sl_json_writer *w) { close_container(w, true); }
void sl_jw_begin_array(sl_json_writer *w) { open_container(w, false); }
void sl_jw_end_array(sl_json_writer *w) { close_container(w, false); }

static const char hex_digits[] = "0123456789abcdef";

static void emit_u16(sl_json_writer *w, uint32_t unit)
{
    char esc[6] = {'\\', 'u', hex_digits[(unit >> 12) & 0xF], hex_digits[(unit >> 8) & 0xF],
                   hex_digits[(unit >> 4) & 0xF], hex_digits[unit & 0xF]};
    emit(w, esc, sizeof esc);
}

/* True when any of the 8 bytes at p is not plain printable ASCII or is '"'
 * or '\\' (SWAR: the classic has-less / has-byte bit tricks on one word). */
static inline bool word_needs_escape(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t below_space = (x - ones * 0x20) & ~x;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\'), del = x ^ (ones * 0x7F);
    uint64_t zero_q = (quote - ones) & ~quote, zero_b = (backslash - ones) & ~backslash;
    uint64_t zero_d = (del - ones) & ~del;
    return ((below_space | zero_q | zero_b | zero_d) & highs) || (x & highs);
}

/* ensure_ascii: printable ASCII as is, the short escapes Python uses, every
 * other code point as \uXXXX (a surrogate pair above U+FFFF). Bytes that are
 * not UTF-8 are written as U+FFFD, never raw. */
static void emit_string(sl_json_writer *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    emit_char(w, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    size_t i = 0;
    while (i < len) {
        /* Most bytes need no escape: skip them eight at a time. */
        while (len - i >= 8 && !word_needs_escape(p + i))
            i += 8;
        if (i >= len)
            break;
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            i++;
            continue;
        }
        emit(w, s + run, i - run);
        if (c < 0x80) {
            switch (c) {
            case '"': emit(w, "\\\"", 2); break;
            case '\\': emit(w, "\\\\", 2); break;
            case '\n': emit(w, "\\n", 2); break;
            case '\r': emit(w, "\\r", 2); break;
            case '\t': emit(w, "\\t", 2); break;
            case '\b': emit(w, "\\b", 2); break;
            case '\f': emit(w, "\\f", 2); break;
            default: emit_u16(w, c); break;
            }
            i++;
        } else {
            uint32_t cp;
            i += sl_utf8_next(p + i, len - i, &cp);
            if (cp > 0xFFFF) {
                cp -= 0x10000;
                emit_u16(w, 0xD800 | (cp >> 10));
                emit_u16(w, 0xDC00 | (cp & 0x3FF));
            } else {
                emit_u16(w, cp);
            }
        }
        run = i;
    }
    emit(w, s + run, len - run);
    emit_char(w, '"');
}

void sl_jw_key(sl_json_writer *w, const char *key, size_t len)
{
    if (w->invalid)
        return;
    if (w->depth == 0 || !w->is_object[w->depth] || w->after_key || (!key && len)) {
        fail(w);
        return;
    }
    if (w->need_comma[w->depth])
        emit(w, ", ", 2);
    w->need_comma[w->depth] = true;
    emit_string(w, key ? key : "", len);
    emit(w, ": ", 2);
    w->after_key = true;
}

void sl_jw_string(sl_json_writer *w, const char *s, size_t len)
{
    if (!s && len) {
        fail(w);
        return;
    }
    if (begin_value(w))
        emit_string(w, s ? s : "", len);
}

/* Decimal digits of v into the end of buf[20]; returns where they start. */
static char *format_int(int64_t v, char buf[21])
{
    char *p = buf + 21;
    /* Work on the magnitude as unsigned: -INT64_MIN does not fit int64. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    if (v < 0)
        *--p = '-';
    return p;
}

void sl_jw_int(sl_json_writer *w, int64_t v)
{
    if (!begin_value(w))
        return;
    char buf[21];
    char *start = format_int(v, buf);
    emit(w, start, (size_t)(buf + sizeof buf - start));
}

/* Python writes the non-finite floats as the JavaScript names. */
void sl_jw_double(sl_json_writer *w, double v)
{
    if (!begin_value(w))
        return;
    if (isnan(v)) {
        emit(w, "NaN", 3);
    } else if (isinf(v)) {
        if (v < 0)
            emit(w, "-Infinity", 9);
        else
            emit(w, "Infinity", 8);
    } else {
        char buf[32];
        emit(w, buf, sl_format_double(v, buf));
    }
}

void sl_jw_bool(sl_json_writer *w, bool v)
{
    if (!begin_value(w))
        return;
    if (v)
        emit(w, "true", 4);
    else
        emit(w, "false", 5);
}

void sl_jw_null(sl_json_writer *w)
{
    if (begin_value(w))
        emit(w, "null", 4);
}

void sl_jw_raw(sl_json_writer *w, const char *bytes, size_t len)
{
    if ((!bytes && len) || len == 0) {
        fail(w);
        return;
    }
    if (begin_value(w))
        emit(w, bytes, len);
}

/* An integer's digits as the loader kept them: "-"? digit+. */
static bool is_integer_literal(const char *s, size_t len)
{
    size_t i = (len > 0 && s[0] == '-') ? 1 : 0;
    if (i >= len)
        return false;
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void write_object_view(sl_json_writer *w, const sl_value *v);

void sl_jw_value(sl_json_writer *w, const sl_value *v)
{
    if (!v) {
        fail(w);
        return;
    }
    switch (v->kind) {
    case SL_NULL: sl_jw_null(w); break;
    case SL_BOOL: sl_jw_bool(w, v->u.boolean); break;
    case SL_INT: sl_jw_int(w, v->u.integer); break;
    case SL_DOUBLE: sl_jw_double(w, v->u.number); break;
    case SL_STRING: sl_jw_string(w, v->u.string.ptr, v->u.string.len); break;
    case SL_BIGINT:
        if (v->u.string.ptr && is_integer_literal(v->u.string.ptr, v->u.string.len))
            sl_jw_raw(w, v->u.string.ptr, v->u.string.len);
        else
            fail(w);
        break;
    case SL_OBJECT: write_object_view(w, v); break;
    case SL_ARRAY:
        if (!v->u.array.items && v->u.array.count) {
            fail(w);
            break;
        }
        sl_jw_begin_array(w);
        for (size_t i = 0; i < v->u.array.count && !w->invalid; i++)
            sl_jw_value(w, &v->u.array.items[i]);
        sl_jw_end_array(w);
        break;
    case SL_ABSENT:
    default:
        fail(w);
        break;
    }
}

static int member_compare(const sl_member *a, const sl_member *b)
{
    return sl_key_compare(a->key ? a->key : "", a->key ? a->key_len : 0, b->key ? b->key : "",
                          b->key ? b->key_len : 0);
}

/* Members sorted by key through a small index array on the stack (one byte
 * per member keeps deep nesting cheap); insertion sort is stable, so
 * duplicate keys keep their order. */
static void write_object_view(sl_json_writer *w, const sl_value *v)
{
    const sl_member *m = v->u.object.members;
    size_t n = v->u.object.count;
    if ((!m && n) || n > SL_JSON_MAX_SORTED) {
        fail(w);
        return;
    }
    uint8_t order[SL_JSON_MAX_SORTED];
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && member_compare(&m[order[j - 1]], &m[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (uint8_t)i;
    }
    sl_jw_begin_object(w);
    for (size_t i = 0; i < n && !w->invalid; i++) {
        const sl_member *member = &m[order[i]];
        sl_jw_key(w, member->key, member->key ? member->key_len : 0);
        sl_jw_value(w, &member->value);
    }
    sl_jw_end_object(w);
}

sl_encode_status sl_jw_finish(sl_json_writer *w, size_t *len_out)
{
    if (len_out)
        *len_out = w->len;
    if (w->invalid || w->depth != 0 || w->after_key || !w->need_comma[0])
        return SL_ENCODE_INVALID;
    if (w->len < w->cap)
        w->buf[w->len] = '\0';
    return w->len > w->cap ? SL_ENCODE_TRUNCATED : SL_ENCODE_OK;
}

sl_encode_status sl_encode_value(const sl_value *v, char *buf, size_t cap, size_t *len_out)
{
    sl_json_writer w;
    sl_jw_init(&w, buf, cap);
    sl_jw_value(&w, v);
    return sl_jw_finish(&w, len_out);
}

/* The record's keys in code point order, pre-rendered with their separator,
 * so the line is written straight from the struct without sorting or
 * escaping keys. tests/schema checks the line against Python's bytes. */
typedef struct sl_record_key {
    sl_field field;
    const char *text; /* `, "key": ` */
    size_t len;
} sl_record_key;

static const sl_record_key record_keys[SL_F_COUNT] = {
    {SL_F_ALLOCATOR_ACTIVE_BYTES, ", \"allocator_active_bytes\": ", 28},
    {SL_F_ALLOCATOR_ALLOCATED_BYTES, ", \"allocator_allocated_bytes\": ", 31},
    {SL_F_ALLOCATOR_CHANGE_BYTES, ", \"allocator_change_bytes\": ", 28},
    {SL_F_ALLOCATOR_INACTIVE_BYTES, ", \"allocator_inactive_bytes\": ", 30},
    {SL_F_ALLOCATOR_RESERVED_BYTES, ", \"allocator_reserved_bytes\": ", 30},
    {SL_F_COLLECTOR, ", \"collector\": ", 15},
    {SL_F_CONTEXT, ", \"context\": ", 13},
    {SL_F_DEVICE_FREE_BYTES, ", \"device_free_bytes\": ", 23},
    {SL_F_DEVICE_ID, ", \"device_id\": ", 15},
    {SL_F_DEVICE_TOTAL_BYTES, ", \"device_total_bytes\": ", 24},
    {SL_F_DEVICE_USED_BYTES, ", \"device_used_bytes\": ", 23},
    {SL_F_EVENT_TYPE, ", \"event_type\": ", 16},
    {SL_F_HOST, ", \"host\": ", 10},
    {SL_F_JOB_ID, ", \"job_id\": ", 12},
    {SL_F_LOCAL_RANK, ", \"local_rank\": ", 16},
    {SL_F_METADATA, ", \"metadata\": ", 14},
    {SL_F_PID, ", \"pid\": ", 9},
    {SL_F_RANK, ", \"rank\": ", 10},
    {SL_F_SAMPLING_INTERVAL_MS, ", \"sampling_interval_ms\": ", 26},
    {SL_F_SCHEMA_VERSION, ", \"schema_version\": ", 20},
    {SL_F_SESSION_ID, ", \"session_id\": ", 16},
    {SL_F_TIMESTAMP_NS, ", \"timestamp_ns\": ", 18},
    {SL_F_WORLD_SIZE, ", \"world_size\": ", 16},
};

sl_encode_status sl_encode_record_line(const sl_record *r, char *buf, size_t cap,
                                       size_t *len_out)
{
    sl_value fields[SL_F_COUNT];
    sl_record_fields(r, fields);
    return sl_encode_fields_line(fields, buf, cap, len_out);
}

sl_encode_status sl_encode_fields_line(const sl_value fields[SL_F_COUNT], char *buf, size_t cap,
                                       size_t *len_out)
{
    sl_json_writer w;
    sl_jw_init(&w, buf, cap);
    if (fields[SL_F_METADATA].kind != SL_OBJECT)
        fail(&w);
    sl_jw_begin_object(&w);
    for (size_t i = 0; i < SL_F_COUNT && !w.invalid; i++) {
        /* The keys are plain ASCII: write the pre-rendered `, "key": ` and
         * skip escaping them (the writer's hot path in the shim). */
        const sl_record_key *k = &record_keys[i];
        emit(&w, i ? k->text : k->text + 2, i ? k->len : k->len - 2);
        w.need_comma[w.depth] = true;
        w.after_key = true;
        sl_jw_value(&w, &fields[k->field]);
    }
    sl_jw_end_object(&w);
    if (!w.invalid)
        emit(&w, "\n", 1);
    return sl_jw_finish(&w, len_out);
}
