/* The schema core over json-c values (the loader parses with json-c).
 *
 * json-c facts these functions account for (json-c 0.16, Debian 12):
 * - JSON null is a NULL json_object pointer.
 * - An integer literal is json_type_int, held as int64 or, above INT64_MAX,
 *   as uint64. Literals outside [INT64_MIN, UINT64_MAX] are silently clamped
 *   to those bounds by the parser: the value is lost. Where that matters
 *   (the loader), scan the text with sl_json_text_has_huge_integer first.
 * - "1.0", "1e+16", "NaN", "Infinity" parse as json_type_double. json-c
 *   remembers the literal's text, but Python prints the float's repr, so the
 *   encoder uses the double value, never that text.
 * - Duplicate keys: the last value wins, as in Python's json.loads.
 * - Keys are C strings: a key with "\u0000" in it is cut at the NUL.
 * - A \uXXXX\uXXXX surrogate pair for a code point whose low 16 bits fall
 *   in D800..DFFF (U+1D800..U+1DFFF, U+2D800..U+2DFFF, ... 32 such ranges,
 *   CJK Extension E/F among them) decodes as U+FFFD: a json-c 0.16 bug.
 *   Python reads them correctly; a loader that must not lose them has to
 *   decode such strings itself. */
#ifndef STORMLOG_SCHEMA_JSONC_H
#define STORMLOG_SCHEMA_JSONC_H

#include <stddef.h>

#include "stormlog/schema/encode.h"
#include "stormlog/schema/value.h"

struct json_object;

/* Writes obj (any json-c value, NULL for null) canonically: keys sorted,
 * Python's float spelling, integers above INT64_MAX as their digits. Any
 * number of members (large objects are sorted in a malloc'd array; running
 * out of memory makes the writer invalid); nesting deeper than
 * SL_JSON_MAX_DEPTH makes it invalid (json-c's parser stops at 32).
 * An int node whose userdata is a NUL-terminated string of decimal digits
 * (how the loader keeps integers beyond 64 bits) is written as those digits. */
void sl_jw_jsonc(sl_json_writer *w, struct json_object *obj);

/* json.dumps(obj, sort_keys=True) as a malloc'd NUL-terminated string (the
 * caller frees it); *len (may be NULL) gets its length. NULL when obj cannot
 * be encoded (too deep) or memory runs out. */
char *sl_canonical_jsonc(struct json_object *obj, size_t *len);

/* A view of obj for the validator. Scalars are complete (the string points
 * into obj, valid while obj lives); an integer above INT64_MAX is SL_BIGINT
 * (its digits are not kept: the validator only needs the kind); objects and
 * arrays carry their kind and member count but no members. NULL is SL_NULL.
 * Returns out->kind. */
sl_kind sl_value_view_of_jsonc(struct json_object *obj, sl_value *out);

/* The views of a parsed record's v3 fields (SL_ABSENT where a key is
 * missing) and its keys that are not v3 fields (as SL_STRING views of the
 * keys, up to unknown_cap of them; *unknown_count gets the total, so a
 * caller can tell when it passed too small an array). Feed the result to
 * sl_validate_fields. record must be a json-c object. */
void sl_fields_of_jsonc(struct json_object *record, sl_value fields[SL_F_COUNT],
                        sl_value *unknown, size_t unknown_cap, size_t *unknown_count);

/* True when the JSON text holds an integer literal (outside strings) that
 * json-c would clamp: below INT64_MIN or above UINT64_MAX. Lexical only:
 * call it on text json-c accepted. */
bool sl_json_text_has_huge_integer(const char *text, size_t len);

#endif
