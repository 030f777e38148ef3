/* The record's field names and the typed struct's views. */
#include "stormlog/schema/record.h"

static const char *const field_names[SL_F_COUNT] = {
    [SL_F_SCHEMA_VERSION] = "schema_version",
    [SL_F_SESSION_ID] = "session_id",
    [SL_F_TIMESTAMP_NS] = "timestamp_ns",
    [SL_F_EVENT_TYPE] = "event_type",
    [SL_F_COLLECTOR] = "collector",
    [SL_F_SAMPLING_INTERVAL_MS] = "sampling_interval_ms",
    [SL_F_PID] = "pid",
    [SL_F_HOST] = "host",
    [SL_F_DEVICE_ID] = "device_id",
    [SL_F_ALLOCATOR_ALLOCATED_BYTES] = "allocator_allocated_bytes",
    [SL_F_ALLOCATOR_RESERVED_BYTES] = "allocator_reserved_bytes",
    [SL_F_ALLOCATOR_ACTIVE_BYTES] = "allocator_active_bytes",
    [SL_F_ALLOCATOR_INACTIVE_BYTES] = "allocator_inactive_bytes",
    [SL_F_ALLOCATOR_CHANGE_BYTES] = "allocator_change_bytes",
    [SL_F_DEVICE_USED_BYTES] = "device_used_bytes",
    [SL_F_DEVICE_FREE_BYTES] = "device_free_bytes",
    [SL_F_DEVICE_TOTAL_BYTES] = "device_total_bytes",
    [SL_F_CONTEXT] = "context",
    [SL_F_METADATA] = "metadata",
    [SL_F_JOB_ID] = "job_id",
    [SL_F_RANK] = "rank",
    [SL_F_LOCAL_RANK] = "local_rank",
    [SL_F_WORLD_SIZE] = "world_size",
};

const char *sl_field_name(sl_field f)
{
    if ((unsigned)f >= SL_F_COUNT)
        return NULL;
    return field_names[f];
}

int sl_field_lookup(const char *key, size_t len)
{
    if (!key)
        return -1;
    for (int f = 0; f < SL_F_COUNT; f++) {
        const char *name = field_names[f];
        /* A key with an embedded NUL never matches: strncmp alone would. */
        if (strlen(name) == len && memcmp(name, key, len) == 0)
            return f;
    }
    return -1;
}

static sl_value opt_int(sl_opt_i64 v)
{
    return v.present ? sl_value_int(v.value) : sl_value_null();
}

void sl_record_fields(const sl_record *r, sl_value out[SL_F_COUNT])
{
    out[SL_F_SCHEMA_VERSION] = sl_value_int(SL_SCHEMA_VERSION_V3);
    out[SL_F_SESSION_ID] = sl_value_str(r->session_id);
    out[SL_F_TIMESTAMP_NS] = sl_value_int(r->timestamp_ns);
    out[SL_F_EVENT_TYPE] = sl_value_str(r->event_type);
    out[SL_F_COLLECTOR] = sl_value_str(r->collector);
    out[SL_F_SAMPLING_INTERVAL_MS] = sl_value_int(r->sampling_interval_ms);
    out[SL_F_PID] = sl_value_int(r->pid);
    out[SL_F_HOST] = sl_value_str(r->host);
    out[SL_F_DEVICE_ID] = sl_value_int(r->device_id);
    out[SL_F_ALLOCATOR_ALLOCATED_BYTES] = sl_value_int(r->allocator_allocated_bytes);
    out[SL_F_ALLOCATOR_RESERVED_BYTES] = sl_value_int(r->allocator_reserved_bytes);
    out[SL_F_ALLOCATOR_ACTIVE_BYTES] = opt_int(r->allocator_active_bytes);
    out[SL_F_ALLOCATOR_INACTIVE_BYTES] = opt_int(r->allocator_inactive_bytes);
    out[SL_F_ALLOCATOR_CHANGE_BYTES] = sl_value_int(r->allocator_change_bytes);
    out[SL_F_DEVICE_USED_BYTES] = sl_value_int(r->device_used_bytes);
    out[SL_F_DEVICE_FREE_BYTES] = opt_int(r->device_free_bytes);
    out[SL_F_DEVICE_TOTAL_BYTES] = opt_int(r->device_total_bytes);
    out[SL_F_CONTEXT] = sl_value_str(r->context);
    out[SL_F_METADATA] = r->metadata;
    out[SL_F_JOB_ID] = sl_value_str(r->job_id);
    out[SL_F_RANK] = sl_value_int(r->rank);
    out[SL_F_LOCAL_RANK] = sl_value_int(r->local_rank);
    out[SL_F_WORLD_SIZE] = sl_value_int(r->world_size);
}
