/* What both conversions (convert.c for v2/v3, legacy.c) read records and
 * store events with: convert.h and internal.h's sl_event_* helpers. Kept
 * apart so that the two conversions do not call into each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "pytext.h"
#include "stormlog/schema/validate.h"

json_object *sl_get(json_object *obj, const char *key, bool *present)
{
    json_object *v = NULL;
    bool has = json_object_object_get_ex(obj, key, &v);
    if (present)
        *present = has;
    return has ? v : NULL;
}

bool sl_has(json_object *obj, const char *key)
{
    return json_object_object_get_ex(obj, key, NULL);
}

sl_value sl_view(json_object *v)
{
    if (!v)
        return sl_value_null();
    const char *digits = sl_bigint_digits(v);
    if (digits)
        return sl_value_int(digits[0] == '-' ? INT64_MIN : INT64_MAX);
    switch (json_object_get_type(v)) {
    case json_type_null: return sl_value_null();
    case json_type_boolean: return sl_value_bool(json_object_get_boolean(v));
    case json_type_int: return sl_value_int(json_object_get_int64(v));
    case json_type_double: return sl_value_double(json_object_get_double(v));
    case json_type_string:
        return sl_value_strn(json_object_get_string(v), (size_t)json_object_get_string_len(v));
    case json_type_object: return sl_value_object(NULL, (size_t)json_object_object_length(v));
    case json_type_array: return sl_value_array(NULL, json_object_array_length(v));
    }
    return sl_value_null();
}

bool sl_coerce_int(json_object *v, bool present, const char *name, sl_wint *out, sl_fail_info *f)
{
    bool is_int;
    if (!sl_json_get_wint(v, &is_int, out)) {
        if (is_int)
            return sl_failf(f, STORMLOG_E_RECORD,
                            "%s: integers beyond 128 bits are not supported", name);
        return sl_failf(f, STORMLOG_E_RECORD, "%s must be an integer", name);
    }
    (void)present;
    return true;
}

bool sl_coerce_string(json_object *v, const char *name, bool allow_none, const char **out,
                      size_t *len, sl_fail_info *f)
{
    *out = NULL;
    *len = 0;
    if (!v) {
        if (allow_none)
            return true;
        return sl_failf(f, STORMLOG_E_RECORD, "%s must be a non-empty string", name);
    }
    if (json_object_get_type(v) != json_type_string)
        return sl_failf(f, STORMLOG_E_RECORD, "%s must be a string", name);
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (!allow_none && sl_py_is_blank(s, n))
        return sl_failf(f, STORMLOG_E_RECORD, "%s must be a non-empty string", name);
    *out = s;
    *len = n;
    return true;
}

bool sl_event_store_str(sl_event_alloc *al, sl_str *slot, sl_str *last, const char *p, size_t len)
{
    if (!p) {
        slot->ptr = NULL;
        slot->len = 0;
        return true;
    }
    if (last && last->ptr && last->len == len && memcmp(last->ptr, p, len) == 0) {
        *slot = *last;
        return true;
    }
    char *copy = sl_arena_strdup(al->arena, p, len);
    if (!copy)
        return false;
    slot->ptr = copy;
    slot->len = len;
    if (last)
        *last = *slot;
    return true;
}

bool sl_event_set_int(stormlog_event *ev, sl_field field, sl_wint v, sl_arena *a)
{
    if (v >= INT64_MIN && v <= INT64_MAX) {
        ev->ival[field] = (int64_t)v;
        return true;
    }
    ev->ival[field] = v < 0 ? INT64_MIN : INT64_MAX;
    if (!ev->wide) {
        sl_wint *w = sl_arena_alloc(a, sizeof(sl_wint) * SL_F_COUNT);
        if (!w)
            return false;
        memset(w, 0, sizeof(sl_wint) * SL_F_COUNT);
        ev->wide = w;
    }
    ((sl_wint *)ev->wide)[field] = v;
    ev->wide_mask |= 1u << field;
    return true;
}

bool sl_event_store_metadata(stormlog_event *ev, json_object *metadata, sl_arena *a)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        metadata, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (!text)
        return false;
    char *copy = sl_arena_strdup(a, text, len);
    if (!copy)
        return false;
    ev->metadata_json.ptr = copy;
    ev->metadata_json.len = len;
    return true;
}

bool sl_resolve_session_id(json_object *record, json_object *metadata, const sl_convert_ctx *ctx,
                           stormlog_event *ev, sl_fail_info *f)
{
    sl_event_alloc *al = ctx->alloc;
    json_object *raw = sl_get(record, "session_id", NULL);
    if (!raw && metadata)
        raw = sl_get(metadata, "session_id", NULL);
    if (raw && json_object_get_type(raw) == json_type_string) {
        const char *s = json_object_get_string(raw);
        size_t n = (size_t)json_object_get_string_len(raw);
        if (!sl_py_is_blank(s, n)) {
            if (!sl_event_store_str(al, &ev->session_id, &al->last_session, s, n))
                return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
            return true;
        }
    }
    if (ctx->default_session_id) {
        if (!sl_event_store_str(al, &ev->session_id, &al->last_session, ctx->default_session_id,
                                strlen(ctx->default_session_id)))
            return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
        return true;
    }
    /* record.get("timestamp_ns", record.get("timestamp", "unknown")) and so
     * on: a key present with null is None, and None parts are left out. */
    char *parts[3] = {NULL, NULL, NULL};
    bool present;
    json_object *ts = sl_get(record, "timestamp_ns", &present);
    if (!present)
        ts = sl_get(record, "timestamp", &present);
    parts[0] = present ? (ts ? sl_py_str(ts) : NULL) : strdup("unknown");
    json_object *host = sl_get(record, "host", &present);
    parts[1] = present ? (host ? sl_py_str(host) : NULL) : strdup("unknown");
    json_object *pid = sl_get(record, "pid", &present);
    parts[2] = present ? (pid ? sl_py_str(pid) : NULL) : strdup("-1");
    bool oom = (!parts[0] && (!present || ts)) || (!parts[1] && host) || (!parts[2] && pid);
    char id[44];
    sl_stable_id((const char *const *)parts, 3, id);
    for (int i = 0; i < 3; i++)
        free(parts[i]);
    if (oom || !sl_event_store_str(al, &ev->session_id, &al->last_session, id, strlen(id)))
        return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
    return true;
}

bool sl_event_validate(const stormlog_event *ev, sl_fail_info *f)
{
    sl_value fields[SL_F_COUNT];
    for (int i = 0; i < SL_F_COUNT; i++)
        fields[i] = sl_value_int(ev->ival[i]);
    fields[SL_F_SCHEMA_VERSION] = sl_value_int(3);
    for (int i = SL_F_ALLOCATOR_ACTIVE_BYTES; i <= SL_F_DEVICE_TOTAL_BYTES; i++)
        if (ev->null_mask & (1u << i))
            fields[i] = sl_value_null();
    fields[SL_F_SESSION_ID] = sl_value_strn(ev->session_id.ptr, ev->session_id.len);
    fields[SL_F_EVENT_TYPE] = sl_value_strn(ev->event_type.ptr, ev->event_type.len);
    fields[SL_F_COLLECTOR] = sl_value_strn(ev->collector.ptr, ev->collector.len);
    fields[SL_F_HOST] = sl_value_strn(ev->host.ptr, ev->host.len);
    fields[SL_F_CONTEXT] =
        ev->context.ptr ? sl_value_strn(ev->context.ptr, ev->context.len) : sl_value_null();
    fields[SL_F_JOB_ID] =
        ev->job_id.ptr ? sl_value_strn(ev->job_id.ptr, ev->job_id.len) : sl_value_null();
    fields[SL_F_METADATA] = sl_value_object(NULL, 0);
    sl_error err;
    if (!sl_validate_fields(fields, NULL, 0, &err))
        return sl_failf(f, STORMLOG_E_RECORD, "%s", err.message);
    return true;
}
