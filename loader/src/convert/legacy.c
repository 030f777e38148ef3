/* telemetry_event_from_record for legacy records (no schema_version): the
 * reference's _legacy_* rules, in the reference's order, with its defaults. Each step
 * below names the reference function it follows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "pytext.h"
#include "stormlog/schema/identity.h"

typedef struct legacy_state {
    json_object *record;
    json_object *metadata; /* owned: the merged metadata dict */
    const sl_convert_ctx *ctx;
    stormlog_event *ev;
    sl_fail_info *f;
} legacy_state;

static bool oom(sl_fail_info *f)
{
    return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
}

/* int(x) of a float, with Python's errors for NaN and infinity. */
static bool float_to_int(double x, sl_wint *out, sl_fail_info *f)
{
    if (isnan(x))
        return sl_failf(f, STORMLOG_E_RECORD, "cannot convert float NaN to integer");
    if (isinf(x))
        return sl_failf(f, STORMLOG_E_RECORD, "cannot convert float infinity to integer");
    double t = trunc(x);
    if (fabs(t) >= 0x1p127)
        return sl_failf(f, STORMLOG_E_RECORD, "integers beyond 128 bits are not supported");
    *out = (sl_wint)t;
    return true;
}

/* float(v) for an int or float JSON value that is not a bool. */
static bool number_as_double(json_object *v, double *out, bool *is_number)
{
    *is_number = false;
    if (!v)
        return true;
    const char *digits = sl_bigint_digits(v);
    if (digits) {
        *is_number = true;
        *out = strtod(digits, NULL);
        return !isinf(*out); /* Python: OverflowError, int too large to convert to float */
    }
    json_type t = json_object_get_type(v);
    if (t == json_type_int) {
        bool is_int;
        sl_wint w = 0;
        sl_json_get_wint(v, &is_int, &w);
        *is_number = true;
        *out = (double)w;
    } else if (t == json_type_double) {
        *is_number = true;
        *out = json_object_get_double(v);
    }
    return true;
}

/* _extract_metadata: record["metadata"] (a mapping or absent/None), then
 * every "metadata_<k>" key of the record folded in as <k>. */
static bool extract_metadata(legacy_state *st)
{
    json_object *raw = sl_get(st->record, "metadata", NULL);
    if (raw && json_object_get_type(raw) != json_type_object)
        return sl_failf(st->f, STORMLOG_E_RECORD, "metadata must be an object when provided");
    st->metadata = json_object_new_object();
    if (!st->metadata)
        return oom(st->f);
    if (raw) {
        json_object_object_foreach(raw, key, val) {
            if (json_object_object_add(st->metadata, key, json_object_get(val)) != 0)
                return oom(st->f);
        }
    }
    json_object_object_foreach(st->record, rkey, rval) {
        if (strncmp(rkey, "metadata_", 9) == 0 &&
            json_object_object_add(st->metadata, rkey + 9, json_object_get(rval)) != 0)
            return oom(st->f);
    }
    return true;
}

static bool set_int(legacy_state *st, sl_field fld, sl_wint v)
{
    if (!sl_event_set_int(st->ev, fld, v, st->ctx->alloc->arena))
        return oom(st->f);
    return true;
}

static bool legacy_timestamp(legacy_state *st, sl_wint *ts)
{
    bool present;
    json_object *v = sl_get(st->record, "timestamp_ns", &present);
    if (present)
        return sl_coerce_int(v, true, "timestamp_ns", ts, st->f);
    double x;
    bool is_number;
    if (!number_as_double(sl_get(st->record, "timestamp", NULL), &x, &is_number))
        return sl_failf(st->f, STORMLOG_E_RECORD, "int too large to convert to float");
    if (!is_number)
        return sl_failf(st->f, STORMLOG_E_RECORD, "Legacy record is missing a valid timestamp");
    return float_to_int(x * 1000000000.0, ts, st->f);
}

/* "cuda:3" -> 3 when the tail is all digits by str.isdigit(); int() then
 * refuses digits that are not decimal (superscripts). *matched false when
 * the tail is not digits at all. */
static bool device_tail(legacy_state *st, const char *tail, size_t n, bool *matched, sl_wint *out)
{
    *matched = false;
    if (n == 0)
        return true;
    bool all_decimal = true;
    for (size_t i = 0; i < n;) {
        size_t adv;
        uint32_t cp = sl_utf8_decode(tail + i, n - i, &adv);
        int kind = sl_unicode_isdigit(cp);
        if (kind == 0)
            return true;
        if (kind == 2)
            all_decimal = false;
        i += adv;
    }
    *matched = true;
    if (!all_decimal)
        return sl_failf(st->f, STORMLOG_E_RECORD, "invalid literal for int() with base 10: '%.*s'",
                        (int)n, tail);
    sl_wint acc = 0;
    for (size_t i = 0; i < n;) {
        size_t adv;
        uint32_t cp = sl_utf8_decode(tail + i, n - i, &adv);
        if (acc > (((sl_wint)1 << 120) / 10))
            return sl_failf(st->f, STORMLOG_E_RECORD, "integers beyond 128 bits are not supported");
        acc = acc * 10 + sl_unicode_decimal_value(cp);
        i += adv;
    }
    *out = acc;
    return true;
}

static bool contains_ci(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && (s[i + j] | 0x20) == needle[j] && s[i + j] != '\0')
            j++;
        if (j == m)
            return true;
    }
    return false;
}

static bool legacy_device_id(legacy_state *st, sl_wint *id)
{
    bool present;
    json_object *v = sl_get(st->record, "device_id", &present);
    if (present)
        return sl_coerce_int(v, true, "device_id", id, st->f);
    json_object *device = sl_get(st->record, "device", NULL);
    if (device && json_object_get_type(device) == json_type_string) {
        const char *s = json_object_get_string(device);
        size_t n = (size_t)json_object_get_string_len(device);
        if (contains_ci(s, n, "cpu")) {
            *id = -1;
            return true;
        }
        const char *colon = NULL;
        for (size_t i = 0; i < n; i++)
            if (s[i] == ':')
                colon = s + i;
        if (colon) {
            bool matched;
            if (!device_tail(st, colon + 1, n - (size_t)(colon + 1 - s), &matched, id))
                return false;
            if (matched)
                return true;
        }
        if (n >= 4 && s[0] == '/' && (s[1] | 0x20) == 'g' && (s[2] | 0x20) == 'p' &&
            (s[3] | 0x20) == 'u') {
            *id = 0;
            return true;
        }
    }
    *id = sl_has(st->record, "memory_mb") ? 0 : -1;
    return true;
}

static bool legacy_allocated(legacy_state *st, sl_wint *out)
{
    bool present;
    json_object *v = sl_get(st->record, "allocator_allocated_bytes", &present);
    if (present)
        return sl_coerce_int(v, true, "allocator_allocated_bytes", out, st->f);
    v = sl_get(st->record, "memory_allocated", &present);
    if (present)
        return sl_coerce_int(v, true, "memory_allocated", out, st->f);
    double mb;
    bool is_number;
    if (!number_as_double(sl_get(st->record, "memory_mb", NULL), &mb, &is_number))
        return sl_failf(st->f, STORMLOG_E_RECORD, "int too large to convert to float");
    if (is_number)
        return float_to_int(mb * 1048576.0, out, st->f);
    v = sl_get(st->record, "device_used_bytes", &present);
    if (present)
        return sl_coerce_int(v, true, "device_used_bytes", out, st->f);
    *out = 0;
    return true;
}

/* The first of keys present in the record, coerced with its own name. */
static bool first_int(legacy_state *st, const char *a, const char *b, sl_wint fallback,
                      sl_wint *out)
{
    bool present;
    json_object *v = sl_get(st->record, a, &present);
    if (present)
        return sl_coerce_int(v, true, a, out, st->f);
    v = sl_get(st->record, b, &present);
    if (present)
        return sl_coerce_int(v, true, b, out, st->f);
    *out = fallback;
    return true;
}

/* _legacy_optional_counter: record.get(key); None stays None. */
static bool optional_counter(legacy_state *st, sl_field fld)
{
    const char *key = sl_field_name(fld);
    json_object *v = sl_get(st->record, key, NULL);
    if (!v) {
        st->ev->null_mask |= 1u << fld;
        return true;
    }
    sl_wint w;
    return sl_coerce_int(v, true, key, &w, st->f) && set_int(st, fld, w);
}

static bool legacy_total(legacy_state *st, bool *has_total, sl_wint *total)
{
    static const char *const keys[] = {"total_memory", "device_total", "total_bytes"};
    bool present;
    *has_total = false;
    json_object *v = sl_get(st->record, "device_total_bytes", &present);
    if (present) {
        if (!v)
            return true;
        *has_total = true;
        return sl_coerce_int(v, true, "device_total_bytes", total, st->f);
    }
    json_object *sources[2] = {st->record, st->metadata};
    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < 3; k++) {
            v = sl_get(sources[s], keys[k], &present);
            if (!present)
                continue;
            if (!v)
                return true;
            *has_total = true;
            return sl_coerce_int(v, true, keys[k], total, st->f);
        }
    }
    return true;
}

/* _coerce_string(value, "host") or "unknown". */
static bool legacy_host(legacy_state *st)
{
    bool present;
    json_object *v = sl_get(st->record, "host", &present);
    if (!present)
        v = sl_get(st->metadata, "host", &present);
    const char *s = "unknown";
    size_t n = 7;
    if (present && !sl_coerce_string(v, "host", false, &s, &n, st->f))
        return false;
    sl_event_alloc *al = st->ctx->alloc;
    return sl_event_store_str(al, &st->ev->host, &al->last_host, s, n) || oom(st->f);
}

static const char *legacy_collector(legacy_state *st, sl_wint device_id)
{
    json_object *c = sl_get(st->record, "collector", NULL);
    if (c && json_object_get_type(c) == json_type_string &&
        !sl_py_is_blank(json_object_get_string(c), (size_t)json_object_get_string_len(c)))
        return json_object_get_string(c);
    bool present;
    json_object *backend = sl_get(st->record, "backend", &present);
    if (!present)
        backend = sl_get(st->metadata, "backend", NULL);
    if (backend && json_object_get_type(backend) == json_type_string) {
        const char *s = json_object_get_string(backend);
        size_t n = (size_t)json_object_get_string_len(backend);
        sl_py_strip(&s, &n);
        char low[8];
        if (n > 0 && n < sizeof low) {
            for (size_t i = 0; i < n; i++)
                low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] | 0x20) : s[i];
            low[n] = '\0';
            if (strcmp(low, "mps") == 0)
                return "stormlog.mps_tracker";
            if (strcmp(low, "rocm") == 0)
                return "stormlog.rocm_tracker";
            if (strcmp(low, "cuda") == 0)
                return "stormlog.cuda_tracker";
            if (strcmp(low, "cpu") == 0)
                return "stormlog.cpu_tracker";
        }
    }
    if (sl_has(st->record, "memory_mb"))
        return "stormlog.tensorflow.memory_tracker";
    if (sl_has(st->record, "memory_allocated"))
        return device_id == -1 ? "stormlog.cpu_tracker" : "stormlog.cuda_tracker";
    return "legacy.unknown";
}

static bool convert(legacy_state *st)
{
    stormlog_event *ev = st->ev;
    sl_event_alloc *al = st->ctx->alloc;
    sl_fail_info *f = st->f;
    if (!extract_metadata(st))
        return false;
    sl_wint ts, device_id, allocated, reserved, change, used, total = 0;
    bool has_total;
    if (!legacy_timestamp(st, &ts) || !set_int(st, SL_F_TIMESTAMP_NS, ts) ||
        !legacy_device_id(st, &device_id) || !set_int(st, SL_F_DEVICE_ID, device_id) ||
        !legacy_allocated(st, &allocated) || !set_int(st, SL_F_ALLOCATOR_ALLOCATED_BYTES, allocated) ||
        !first_int(st, "allocator_reserved_bytes", "memory_reserved", allocated, &reserved) ||
        !set_int(st, SL_F_ALLOCATOR_RESERVED_BYTES, reserved) ||
        !first_int(st, "allocator_change_bytes", "memory_change", 0, &change) ||
        !set_int(st, SL_F_ALLOCATOR_CHANGE_BYTES, change) ||
        !optional_counter(st, SL_F_ALLOCATOR_ACTIVE_BYTES) ||
        !optional_counter(st, SL_F_ALLOCATOR_INACTIVE_BYTES))
        return false;
    bool present;
    json_object *v = sl_get(st->record, "device_used_bytes", &present);
    if (present) {
        if (!sl_coerce_int(v, true, "device_used_bytes", &used, f))
            return false;
    } else {
        used = allocated;
    }
    if (!set_int(st, SL_F_DEVICE_USED_BYTES, used) || !legacy_total(st, &has_total, &total))
        return false;
    if (has_total) {
        if (!set_int(st, SL_F_DEVICE_TOTAL_BYTES, total))
            return false;
    } else {
        ev->null_mask |= 1u << SL_F_DEVICE_TOTAL_BYTES;
    }
    v = sl_get(st->record, "device_free_bytes", &present);
    if (present) {
        sl_wint fr;
        if (!v)
            ev->null_mask |= 1u << SL_F_DEVICE_FREE_BYTES;
        else if (!sl_coerce_int(v, true, "device_free_bytes", &fr, f) ||
                 !set_int(st, SL_F_DEVICE_FREE_BYTES, fr))
            return false;
    } else if (!has_total) {
        ev->null_mask |= 1u << SL_F_DEVICE_FREE_BYTES;
    } else {
        sl_wint fr = total - used;
        if (!set_int(st, SL_F_DEVICE_FREE_BYTES, fr > 0 ? fr : 0))
            return false;
    }

    /* event_type: record.get("event_type", record.get("type", "sample")) */
    v = sl_get(st->record, "event_type", &present);
    if (!present)
        v = sl_get(st->record, "type", &present);
    const char *s = "sample";
    size_t n = 6;
    if (present && !sl_coerce_string(v, "event_type", false, &s, &n, f))
        return false;
    if (!sl_event_store_str(al, &ev->event_type, &al->last_event_type, s, n))
        return oom(f);

    sl_wint w = 0;
    v = sl_get(st->record, "sampling_interval_ms", &present);
    if (present && !sl_coerce_int(v, true, "sampling_interval_ms", &w, f))
        return false;
    if (!set_int(st, SL_F_SAMPLING_INTERVAL_MS, w))
        return false;

    v = sl_get(st->record, "pid", &present);
    if (!present)
        v = sl_get(st->metadata, "pid", &present);
    w = -1;
    if (present && !sl_coerce_int(v, true, "pid", &w, f))
        return false;
    if (!set_int(st, SL_F_PID, w) || !legacy_host(st))
        return false;

    const char *collector = legacy_collector(st, device_id);
    if (!sl_event_store_str(al, &ev->collector, &al->last_collector, collector, strlen(collector)))
        return oom(f);

    /* Identity: explicit record keys, then the (merged) metadata. */
    static const char *const id_keys[SL_ID_COUNT] = {"job_id", "rank", "local_rank", "world_size"};
    sl_value explicit_values[SL_ID_COUNT], metadata_values[SL_ID_COUNT];
    for (int i = 0; i < SL_ID_COUNT; i++) {
        explicit_values[i] = sl_view(sl_get(st->record, id_keys[i], NULL));
        metadata_values[i] = sl_view(sl_get(st->metadata, id_keys[i], NULL));
    }
    sl_identity identity;
    sl_error err;
    if (!sl_identity_resolve(explicit_values, metadata_values, NULL, NULL, &identity, &err))
        return sl_failf(f, STORMLOG_E_RECORD, "%s", err.message);
    ev->ival[SL_F_RANK] = identity.rank;
    ev->ival[SL_F_LOCAL_RANK] = identity.local_rank;
    ev->ival[SL_F_WORLD_SIZE] = identity.world_size;
    /* job_id may point into the metadata we are about to edit: copy first. */
    if (!sl_event_store_str(al, &ev->job_id, NULL, identity.job_id, identity.job_id_len))
        return oom(f);
    for (int i = 0; i < SL_ID_COUNT; i++)
        json_object_object_del(st->metadata, id_keys[i]);

    if (!sl_resolve_session_id(st->record, st->metadata, st->ctx, ev, f))
        return false;
    json_object_object_del(st->metadata, "session_id");

    /* context: record.get("context", record.get("message")) */
    v = sl_get(st->record, "context", &present);
    if (!present)
        v = sl_get(st->record, "message", NULL);
    if (!sl_coerce_string(v, "context", true, &s, &n, f))
        return false;
    if (!sl_event_store_str(al, &ev->context, NULL, s, n))
        return oom(f);

    ev->ival[SL_F_SCHEMA_VERSION] = 3;
    if (!sl_event_store_metadata(ev, st->metadata, al->arena))
        return oom(f);
    /* TelemetryEvent.__post_init__: the built event is validated as a whole. */
    return sl_event_validate(ev, f);
}

bool sl_event_from_legacy(json_object *record, const sl_convert_ctx *ctx, stormlog_event *ev,
                          sl_fail_info *f)
{
    legacy_state st = {record, NULL, ctx, ev, f};
    bool ok = convert(&st);
    json_object_put(st.metadata);
    return ok;
}
