/* Canonical JSON: byte-identical to Python's json.dumps(value, sort_keys=True)
 * (separators ", " and ": ", ensure_ascii, shortest round-trip floats spelled
 * as repr() spells them, NaN/Infinity as Python writes them). Writes into the
 * caller's buffer, never allocates, and keeps counting past the end so the
 * caller learns the size it needed. */
#ifndef STORMLOG_SCHEMA_ENCODE_H
#define STORMLOG_SCHEMA_ENCODE_H

#include "stormlog/schema/record.h"

#define SL_JSON_MAX_DEPTH 64     /* deeper nesting is an encoding error */
#define SL_JSON_MAX_SORTED 256   /* members of one object sorted on the stack */

typedef enum sl_encode_status {
    SL_ENCODE_OK = 0,
    SL_ENCODE_TRUNCATED, /* buffer too small: *needed (or writer.len) says how much */
    SL_ENCODE_INVALID,   /* unbalanced writer calls, too deep, too many members, absent value */
} sl_encode_status;

/* Streaming writer. The caller emits object keys in sorted order (code point
 * order == UTF-8 byte order); sl_jw_value sorts for views. */
typedef struct sl_json_writer {
    char *buf;
    size_t cap;
    size_t len;         /* bytes produced so far, also past cap */
    unsigned depth;
    bool invalid;
    bool need_comma[SL_JSON_MAX_DEPTH + 1]; /* [0]: the top-level value is written */
    bool is_object[SL_JSON_MAX_DEPTH + 1];  /* container kind at each depth */
    bool after_key;
} sl_json_writer;

void sl_jw_init(sl_json_writer *w, char *buf, size_t cap);
void sl_jw_begin_object(sl_json_writer *w);
void sl_jw_end_object(sl_json_writer *w);
void sl_jw_begin_array(sl_json_writer *w);
void sl_jw_end_array(sl_json_writer *w);
void sl_jw_key(sl_json_writer *w, const char *key, size_t len);
void sl_jw_string(sl_json_writer *w, const char *s, size_t len);
void sl_jw_int(sl_json_writer *w, int64_t v);
void sl_jw_double(sl_json_writer *w, double v);
void sl_jw_bool(sl_json_writer *w, bool v);
void sl_jw_null(sl_json_writer *w);
void sl_jw_raw(sl_json_writer *w, const char *bytes, size_t len); /* e.g. a big integer's digits */
/* Any view, object members sorted by key. */
void sl_jw_value(sl_json_writer *w, const sl_value *v);
/* NUL-terminates when room is left; *len_out = bytes produced (without the
 * NUL). SL_ENCODE_OK when all of them fit in cap (len == cap leaves no room
 * for the NUL: callers wanting a C string pass cap - 1 worth of room),
 * SL_ENCODE_TRUNCATED when more were needed (*len_out says how many: call
 * again with a buffer of *len_out + 1 bytes), SL_ENCODE_INVALID for misuse.
 * The writer never writes at or past buf + cap. */
sl_encode_status sl_jw_finish(sl_json_writer *w, size_t *len_out);

/* One value / one record as canonical JSON; the record version appends "\n".
 * A record whose metadata is not an SL_OBJECT view is SL_ENCODE_INVALID. */
sl_encode_status sl_encode_value(const sl_value *v, char *buf, size_t cap, size_t *len_out);
sl_encode_status sl_encode_record_line(const sl_record *r, char *buf, size_t cap, size_t *len_out);
/* The same line from field views (sl_record_fields), for a caller that also
 * validates them and so builds the views once. Every field must be present. */
sl_encode_status sl_encode_fields_line(const sl_value fields[SL_F_COUNT], char *buf, size_t cap,
                                       size_t *len_out);

/* Shortest round-trip spelling of d as Python's repr() writes it ("1e+16",
 * "1.5e-07", "-0.0", "inf"...). buf needs 32 bytes. Returns the length. */
size_t sl_format_double(double d, char buf[32]);

#endif
