/* The v3 telemetry record (../shared/spec/telemetry-v3.md). */
#ifndef STORMLOG_SCHEMA_RECORD_H
#define STORMLOG_SCHEMA_RECORD_H

#include "stormlog/schema/value.h"

#define SL_SCHEMA_VERSION_V2 2
#define SL_SCHEMA_VERSION_V3 3

/* Field indices: the required fields in the spec's order (the order of the
 * "Missing required telemetry fields" message), then the optional ones. */
typedef enum sl_field {
    SL_F_SCHEMA_VERSION = 0,
    SL_F_SESSION_ID,
    SL_F_TIMESTAMP_NS,
    SL_F_EVENT_TYPE,
    SL_F_COLLECTOR,
    SL_F_SAMPLING_INTERVAL_MS,
    SL_F_PID,
    SL_F_HOST,
    SL_F_DEVICE_ID,
    SL_F_ALLOCATOR_ALLOCATED_BYTES,
    SL_F_ALLOCATOR_RESERVED_BYTES,
    SL_F_ALLOCATOR_ACTIVE_BYTES,
    SL_F_ALLOCATOR_INACTIVE_BYTES,
    SL_F_ALLOCATOR_CHANGE_BYTES,
    SL_F_DEVICE_USED_BYTES,
    SL_F_DEVICE_FREE_BYTES,
    SL_F_DEVICE_TOTAL_BYTES,
    SL_F_CONTEXT,
    SL_F_METADATA,
    SL_F_JOB_ID, /* optional from here on */
    SL_F_RANK,
    SL_F_LOCAL_RANK,
    SL_F_WORLD_SIZE,
    SL_F_COUNT
} sl_field;

#define SL_F_FIRST_OPTIONAL SL_F_JOB_ID

/* The field's JSON key. */
const char *sl_field_name(sl_field f);
/* Index of a key, or -1 when it is not a v3 field. */
int sl_field_lookup(const char *key, size_t len);

typedef struct sl_opt_i64 {
    bool present; /* false: JSON null */
    int64_t value;
} sl_opt_i64;

/* A v3 record as the shim builds it. Strings are NUL-terminated; a NULL
 * job_id or context is JSON null. metadata must be an SL_OBJECT view. */
typedef struct sl_record {
    const char *session_id;
    int64_t timestamp_ns;
    const char *event_type;
    const char *collector;
    int64_t sampling_interval_ms;
    int64_t pid;
    const char *host;
    const char *job_id;
    int64_t rank;
    int64_t local_rank;
    int64_t world_size;
    int64_t device_id;
    int64_t allocator_allocated_bytes;
    int64_t allocator_reserved_bytes;
    sl_opt_i64 allocator_active_bytes;
    sl_opt_i64 allocator_inactive_bytes;
    int64_t allocator_change_bytes;
    int64_t device_used_bytes;
    sl_opt_i64 device_free_bytes;
    sl_opt_i64 device_total_bytes;
    const char *context;
    sl_value metadata;
} sl_record;

/* Views of every field of r (schema_version 3), indexed by sl_field. */
void sl_record_fields(const sl_record *r, sl_value out[SL_F_COUNT]);

#endif
