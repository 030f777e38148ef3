/* validate_telemetry_record of the reference: the same checks in the same order
 * with the same messages. The first failure wins, so the order below is part
 * of the contract, not a matter of taste. */
#include "stormlog/schema/validate.h"

#include "stormlog/schema/identity.h"
#include "internal.h"

static const char *name_of(sl_field f)
{
    return sl_field_name(f);
}

/* Absent and null are both Python's None here: record.get() and a missing
 * required field (already reported) read the same. */
static bool is_none(const sl_value *v)
{
    return v->kind == SL_NULL || v->kind == SL_ABSENT;
}

/* _coerce_int: only a JSON integer that fits int64. A bool, a float such as
 * 1.0 and an integer beyond 64 bits all fail. */
static bool coerce_int(const sl_value *v, sl_field f, int64_t *out, sl_error *err)
{
    if (v->kind != SL_INT)
        return sl_fail(err, "%s must be an integer", name_of(f));
    *out = v->u.integer;
    return true;
}

/* _coerce_optional_int: None is fine and reported as absent. */
static bool coerce_optional_int(const sl_value *v, sl_field f, bool *present, int64_t *out,
                                sl_error *err)
{
    *present = false;
    if (is_none(v))
        return true;
    *present = true;
    return coerce_int(v, f, out, err);
}

/* _coerce_string (and _coerce_required_string when allow_none is false). */
static bool coerce_string(const sl_value *v, sl_field f, bool allow_none, sl_error *err)
{
    if (is_none(v)) {
        if (allow_none)
            return true;
        return sl_fail(err, "%s must be a non-empty string", name_of(f));
    }
    if (v->kind != SL_STRING)
        return sl_fail(err, "%s must be a string", name_of(f));
    if (!allow_none && sl_is_blank(v->u.string.ptr, v->u.string.len))
        return sl_fail(err, "%s must be a non-empty string", name_of(f));
    return true;
}

static bool check_schema_version(const sl_value *v, int64_t *version, sl_error *err)
{
    if (!coerce_int(v, SL_F_SCHEMA_VERSION, version, err))
        return false;
    if (*version != SL_SCHEMA_VERSION_V2 && *version != SL_SCHEMA_VERSION_V3)
        return sl_fail(err, "Unsupported schema_version: %lld", (long long)*version);
    return true;
}

static bool check_missing(const sl_value fields[SL_F_COUNT], bool v3, sl_error *err)
{
    static const char prefix[] = "Missing required telemetry fields: ";
    bool any = false;
    for (int f = 0; f < SL_F_FIRST_OPTIONAL; f++) {
        if (f == SL_F_SESSION_ID && !v3)
            continue; /* v2 does not have it */
        if (fields[f].kind != SL_ABSENT)
            continue;
        if (!any) {
            sl_error_reset(err);
            sl_error_append(err, prefix, sizeof prefix - 1);
        } else {
            sl_error_append(err, ", ", 2);
        }
        const char *name = name_of((sl_field)f);
        sl_error_append(err, name, strlen(name));
        any = true;
    }
    return !any;
}

/* One unknown key: the caller's list, plus session_id for a v2 record. */
typedef struct unknown_key {
    const char *ptr;
    size_t len;
    size_t index; /* ties (duplicate keys) keep their input order */
} unknown_key;

static unknown_key unknown_at(const sl_value *keys, size_t count, bool extra_session_id, size_t i)
{
    unknown_key k = {"", 0, i};
    if (i == count && extra_session_id) {
        k.ptr = "session_id";
        k.len = strlen(k.ptr);
    } else if (keys[i].kind == SL_STRING && keys[i].u.string.ptr) {
        k.ptr = keys[i].u.string.ptr;
        k.len = keys[i].u.string.len;
    }
    return k;
}

static int unknown_compare(unknown_key a, unknown_key b)
{
    int c = sl_key_compare(a.ptr, a.len, b.ptr, b.len);
    if (c != 0)
        return c;
    return a.index < b.index ? -1 : a.index > b.index ? 1 : 0;
}

/* sorted(unknown) without allocating: pick the next smallest key each time.
 * Quadratic, but the message holds at most a few hundred names and the
 * loop stops as soon as the message is full. */
static bool check_unknown(const sl_value *keys, size_t count, bool extra_session_id,
                          sl_error *err)
{
    static const char prefix[] = "Unknown telemetry fields: ";
    size_t total = count + (extra_session_id ? 1 : 0);
    if (total == 0)
        return true;
    sl_error_reset(err);
    sl_error_append(err, prefix, sizeof prefix - 1);
    unknown_key prev = {NULL, 0, 0};
    for (size_t emitted = 0; emitted < total; emitted++) {
        bool have = false;
        unknown_key best = {NULL, 0, 0};
        for (size_t i = 0; i < total; i++) {
            unknown_key k = unknown_at(keys, count, extra_session_id, i);
            if (prev.ptr && unknown_compare(k, prev) <= 0)
                continue;
            if (!have || unknown_compare(k, best) < 0) {
                best = k;
                have = true;
            }
        }
        if (emitted > 0 && !sl_error_append(err, ", ", 2))
            break;
        if (!sl_error_append(err, best.ptr, best.len))
            break;
        prev = best;
    }
    return false;
}

/* The allocator counters: every integer check before any sign check. */
static bool check_allocator(const sl_value fields[SL_F_COUNT], sl_error *err)
{
    int64_t allocated = 0, reserved = 0, active = 0, inactive = 0, change = 0;
    bool has_active, has_inactive;
    if (!coerce_int(&fields[SL_F_ALLOCATOR_ALLOCATED_BYTES], SL_F_ALLOCATOR_ALLOCATED_BYTES,
                    &allocated, err) ||
        !coerce_int(&fields[SL_F_ALLOCATOR_RESERVED_BYTES], SL_F_ALLOCATOR_RESERVED_BYTES,
                    &reserved, err) ||
        !coerce_optional_int(&fields[SL_F_ALLOCATOR_ACTIVE_BYTES], SL_F_ALLOCATOR_ACTIVE_BYTES,
                             &has_active, &active, err) ||
        !coerce_optional_int(&fields[SL_F_ALLOCATOR_INACTIVE_BYTES],
                             SL_F_ALLOCATOR_INACTIVE_BYTES, &has_inactive, &inactive, err) ||
        !coerce_int(&fields[SL_F_ALLOCATOR_CHANGE_BYTES], SL_F_ALLOCATOR_CHANGE_BYTES, &change,
                    err))
        return false;
    if (allocated < 0)
        return sl_fail(err, "allocator_allocated_bytes must be >= 0");
    if (reserved < 0)
        return sl_fail(err, "allocator_reserved_bytes must be >= 0");
    if (has_active && active < 0)
        return sl_fail(err, "allocator_active_bytes must be >= 0 when provided");
    if (has_inactive && inactive < 0)
        return sl_fail(err, "allocator_inactive_bytes must be >= 0 when provided");
    return true;
}

/* The device counters, then how they relate to the total. */
static bool check_device(const sl_value fields[SL_F_COUNT], sl_error *err)
{
    int64_t used = 0, free_bytes = 0, total = 0;
    bool has_free, has_total;
    if (!coerce_int(&fields[SL_F_DEVICE_USED_BYTES], SL_F_DEVICE_USED_BYTES, &used, err) ||
        !coerce_optional_int(&fields[SL_F_DEVICE_FREE_BYTES], SL_F_DEVICE_FREE_BYTES, &has_free,
                             &free_bytes, err) ||
        !coerce_optional_int(&fields[SL_F_DEVICE_TOTAL_BYTES], SL_F_DEVICE_TOTAL_BYTES,
                             &has_total, &total, err))
        return false;
    if (used < 0)
        return sl_fail(err, "device_used_bytes must be >= 0");
    if (has_free && free_bytes < 0)
        return sl_fail(err, "device_free_bytes must be >= 0 when provided");
    if (has_total && total < 0)
        return sl_fail(err, "device_total_bytes must be >= 0 when provided");
    if (has_total && used > total)
        return sl_fail(err, "device_used_bytes cannot exceed device_total_bytes");
    if (has_total && has_free && free_bytes > total)
        return sl_fail(err, "device_free_bytes cannot exceed device_total_bytes");
    return true;
}

/* The optional identity keys, only where present: a present null rank is an
 * error, a present null job_id is not. */
static bool check_identity_types(const sl_value fields[SL_F_COUNT], sl_error *err)
{
    int64_t v = 0;
    const sl_value *job_id = &fields[SL_F_JOB_ID];
    if (job_id->kind != SL_ABSENT && job_id->kind != SL_NULL &&
        !coerce_string(job_id, SL_F_JOB_ID, false, err))
        return false;
    if (fields[SL_F_RANK].kind != SL_ABSENT) {
        if (!coerce_int(&fields[SL_F_RANK], SL_F_RANK, &v, err))
            return false;
        if (v < 0)
            return sl_fail(err, "rank must be >= 0");
    }
    if (fields[SL_F_LOCAL_RANK].kind != SL_ABSENT) {
        if (!coerce_int(&fields[SL_F_LOCAL_RANK], SL_F_LOCAL_RANK, &v, err))
            return false;
        if (v < 0)
            return sl_fail(err, "local_rank must be >= 0");
    }
    if (fields[SL_F_WORLD_SIZE].kind != SL_ABSENT) {
        if (!coerce_int(&fields[SL_F_WORLD_SIZE], SL_F_WORLD_SIZE, &v, err))
            return false;
        if (v <= 0)
            return sl_fail(err, "world_size must be >= 1");
    }
    return true;
}

bool sl_validate_fields(const sl_value fields[SL_F_COUNT], const sl_value *unknown_keys,
                        size_t unknown_count, sl_error *err)
{
    sl_error scratch;
    if (!err)
        err = &scratch;
    int64_t version = 0, v = 0;
    if (!check_schema_version(&fields[SL_F_SCHEMA_VERSION], &version, err))
        return false;
    bool v3 = version == SL_SCHEMA_VERSION_V3;
    if (!check_missing(fields, v3, err))
        return false;
    /* In v2 session_id is not a known field: present, it is unknown. */
    bool extra_session_id = !v3 && fields[SL_F_SESSION_ID].kind != SL_ABSENT;
    if (!check_unknown(unknown_keys, unknown_keys ? unknown_count : 0, extra_session_id, err))
        return false;

    if (v3 && !coerce_string(&fields[SL_F_SESSION_ID], SL_F_SESSION_ID, false, err))
        return false;
    if (!coerce_int(&fields[SL_F_TIMESTAMP_NS], SL_F_TIMESTAMP_NS, &v, err))
        return false;
    if (v < 0)
        return sl_fail(err, "timestamp_ns must be >= 0");
    if (!coerce_string(&fields[SL_F_EVENT_TYPE], SL_F_EVENT_TYPE, false, err) ||
        !coerce_string(&fields[SL_F_COLLECTOR], SL_F_COLLECTOR, false, err))
        return false;
    if (!coerce_int(&fields[SL_F_SAMPLING_INTERVAL_MS], SL_F_SAMPLING_INTERVAL_MS, &v, err))
        return false;
    if (v < 0)
        return sl_fail(err, "sampling_interval_ms must be >= 0");
    if (!coerce_int(&fields[SL_F_PID], SL_F_PID, &v, err))
        return false;
    if (v < -1)
        return sl_fail(err, "pid must be >= -1");
    if (!coerce_string(&fields[SL_F_HOST], SL_F_HOST, false, err))
        return false;
    if (!check_identity_types(fields, err))
        return false;
    if (!coerce_int(&fields[SL_F_DEVICE_ID], SL_F_DEVICE_ID, &v, err))
        return false;
    if (!check_allocator(fields, err) || !check_device(fields, err))
        return false;
    if (!coerce_string(&fields[SL_F_CONTEXT], SL_F_CONTEXT, true, err))
        return false;
    if (fields[SL_F_METADATA].kind != SL_OBJECT)
        return sl_fail(err, "metadata must be an object");

    /* The cross-field identity rules (rank < world_size...), with no
     * metadata and no environment: the record's own keys only. */
    sl_value explicit_values[SL_ID_COUNT] = {
        [SL_ID_JOB_ID] = fields[SL_F_JOB_ID],
        [SL_ID_RANK] = fields[SL_F_RANK],
        [SL_ID_LOCAL_RANK] = fields[SL_F_LOCAL_RANK],
        [SL_ID_WORLD_SIZE] = fields[SL_F_WORLD_SIZE],
    };
    sl_identity identity;
    return sl_identity_resolve(explicit_values, NULL, NULL, NULL, &identity, err);
}

bool sl_validate_record(const sl_record *r, sl_error *err)
{
    sl_value fields[SL_F_COUNT];
    sl_record_fields(r, fields);
    return sl_validate_fields(fields, NULL, 0, err);
}
