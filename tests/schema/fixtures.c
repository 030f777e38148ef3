#include "fixtures.h"

#include <string.h>

void fixture_valid_fields(sl_value fields[SL_F_COUNT])
{
    for (int f = 0; f < SL_F_COUNT; f++)
        fields[f] = sl_value_absent();
    fields[SL_F_SCHEMA_VERSION] = sl_value_int(3);
    fields[SL_F_SESSION_ID] = sl_value_str("s-1");
    fields[SL_F_TIMESTAMP_NS] = sl_value_int(1700000000123456789);
    fields[SL_F_EVENT_TYPE] = sl_value_str("allocation");
    fields[SL_F_COLLECTOR] = sl_value_str("stormlog.cuda_shim");
    fields[SL_F_SAMPLING_INTERVAL_MS] = sl_value_int(0);
    fields[SL_F_PID] = sl_value_int(4242);
    fields[SL_F_HOST] = sl_value_str("node7");
    fields[SL_F_DEVICE_ID] = sl_value_int(0);
    fields[SL_F_ALLOCATOR_ALLOCATED_BYTES] = sl_value_int(1048576);
    fields[SL_F_ALLOCATOR_RESERVED_BYTES] = sl_value_int(1048576);
    fields[SL_F_ALLOCATOR_ACTIVE_BYTES] = sl_value_null();
    fields[SL_F_ALLOCATOR_INACTIVE_BYTES] = sl_value_null();
    fields[SL_F_ALLOCATOR_CHANGE_BYTES] = sl_value_int(1048576);
    fields[SL_F_DEVICE_USED_BYTES] = sl_value_int(1048576);
    fields[SL_F_DEVICE_FREE_BYTES] = sl_value_int(16000000000);
    fields[SL_F_DEVICE_TOTAL_BYTES] = sl_value_int(17179869184);
    fields[SL_F_CONTEXT] = sl_value_null();
    fields[SL_F_METADATA] = sl_value_object(NULL, 0);
}

void fixture_valid_record(sl_record *r)
{
    memset(r, 0, sizeof *r);
    r->session_id = "s-1";
    r->timestamp_ns = 1700000000123456789;
    r->event_type = "allocation";
    r->collector = "stormlog.cuda_shim";
    r->sampling_interval_ms = 0;
    r->pid = 4242;
    r->host = "node7";
    r->job_id = NULL;
    r->rank = 0;
    r->local_rank = 0;
    r->world_size = 1;
    r->device_id = 0;
    r->allocator_allocated_bytes = 1048576;
    r->allocator_reserved_bytes = 1048576;
    r->allocator_change_bytes = 1048576;
    r->device_used_bytes = 1048576;
    r->device_free_bytes = (sl_opt_i64){true, 16000000000};
    r->device_total_bytes = (sl_opt_i64){true, 17179869184};
    r->context = NULL;
    r->metadata = sl_value_object(NULL, 0);
}

static sl_error last_error;

const char *fixture_fields_error(const sl_value fields[SL_F_COUNT], const sl_value *unknown,
                                 size_t unknown_count)
{
    memset(&last_error, 0x5a, sizeof last_error); /* stale text must not pass */
    if (sl_validate_fields(fields, unknown, unknown_count, &last_error))
        return NULL;
    return last_error.message;
}

const char *fixture_record_error(const sl_record *r)
{
    memset(&last_error, 0x5a, sizeof last_error);
    if (sl_validate_record(r, &last_error))
        return NULL;
    return last_error.message;
}
