/* Every message of validate_telemetry_record (seed), with its exact text, in
 * the reference's order: through loader-style views (any JSON type per field) and
 * through the shim's typed struct. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "fixtures.h"

static const sl_value BIGINT = {.kind = SL_BIGINT};
static const sl_value ABSENT = {.kind = SL_ABSENT};

#define ASSERT_ERROR(got, want)                                                        \
    do {                                                                               \
        const char *got_ = (got);                                                      \
        cr_assert_not_null(got_, "valid, expected \"%s\"", (want));                    \
        cr_assert_str_eq(got_, (want));                                                \
    } while (0)

/* One field replaced by one value; the message the validator must give. */
#define FIELD_CASE(test_name, field, value, message)                                   \
    Test(validate_fields, test_name)                                                   \
    {                                                                                  \
        sl_value fields[SL_F_COUNT];                                                   \
        fixture_valid_fields(fields);                                                  \
        fields[field] = (value);                                                       \
        ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), message);                  \
    }

#define FIELD_OK(test_name, field, value)                                              \
    Test(validate_fields, test_name)                                                   \
    {                                                                                  \
        sl_value fields[SL_F_COUNT];                                                   \
        fixture_valid_fields(fields);                                                  \
        fields[field] = (value);                                                       \
        const char *e = fixture_fields_error(fields, NULL, 0);                         \
        cr_assert_null(e, "unexpected error: %s", e);                                  \
    }

Test(validate_fields, fixture_is_valid)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    cr_assert_null(fixture_fields_error(fields, NULL, 0));
}

/* 1. schema_version */
FIELD_CASE(schema_version_absent, SL_F_SCHEMA_VERSION, ABSENT, "schema_version must be an integer")
FIELD_CASE(schema_version_null, SL_F_SCHEMA_VERSION, sl_value_null(), "schema_version must be an integer")
FIELD_CASE(schema_version_bool, SL_F_SCHEMA_VERSION, sl_value_bool(true), "schema_version must be an integer")
FIELD_CASE(schema_version_float, SL_F_SCHEMA_VERSION, sl_value_double(3.0), "schema_version must be an integer")
FIELD_CASE(schema_version_string, SL_F_SCHEMA_VERSION, sl_value_str("3"), "schema_version must be an integer")
FIELD_CASE(schema_version_bigint, SL_F_SCHEMA_VERSION, BIGINT, "schema_version must be an integer")
FIELD_CASE(schema_version_4, SL_F_SCHEMA_VERSION, sl_value_int(4), "Unsupported schema_version: 4")
FIELD_CASE(schema_version_1, SL_F_SCHEMA_VERSION, sl_value_int(1), "Unsupported schema_version: 1")
FIELD_CASE(schema_version_negative, SL_F_SCHEMA_VERSION, sl_value_int(-7), "Unsupported schema_version: -7")

Test(validate_fields, schema_version_checked_before_missing)
{
    sl_value fields[SL_F_COUNT];
    for (int f = 0; f < SL_F_COUNT; f++)
        fields[f] = sl_value_absent();
    fields[SL_F_SCHEMA_VERSION] = sl_value_int(9);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "Unsupported schema_version: 9");
}

/* 2. missing required fields, in REQUIRED order */
Test(validate_fields, missing_one)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_HOST] = sl_value_absent();
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "Missing required telemetry fields: host");
}

Test(validate_fields, missing_several_in_required_order)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_METADATA] = sl_value_absent();
    fields[SL_F_SESSION_ID] = sl_value_absent();
    fields[SL_F_DEVICE_TOTAL_BYTES] = sl_value_absent();
    fields[SL_F_TIMESTAMP_NS] = sl_value_absent();
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0),
                 "Missing required telemetry fields: session_id, timestamp_ns, "
                 "device_total_bytes, metadata");
}

Test(validate_fields, missing_all_but_version)
{
    sl_value fields[SL_F_COUNT];
    for (int f = 0; f < SL_F_COUNT; f++)
        fields[f] = sl_value_absent();
    fields[SL_F_SCHEMA_VERSION] = sl_value_int(3);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0),
                 "Missing required telemetry fields: session_id, timestamp_ns, event_type, "
                 "collector, sampling_interval_ms, pid, host, device_id, "
                 "allocator_allocated_bytes, allocator_reserved_bytes, allocator_active_bytes, "
                 "allocator_inactive_bytes, allocator_change_bytes, device_used_bytes, "
                 "device_free_bytes, device_total_bytes, context, metadata");
}

Test(validate_fields, optional_fields_never_missing)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    for (int f = SL_F_FIRST_OPTIONAL; f < SL_F_COUNT; f++)
        cr_assert_eq(fields[f].kind, SL_ABSENT);
    cr_assert_null(fixture_fields_error(fields, NULL, 0));
}

Test(validate_fields, v2_does_not_require_session_id)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_SCHEMA_VERSION] = sl_value_int(2);
    fields[SL_F_SESSION_ID] = sl_value_absent();
    cr_assert_null(fixture_fields_error(fields, NULL, 0));
    fields[SL_F_PID] = sl_value_absent();
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "Missing required telemetry fields: pid");
}

/* 3. unknown fields, sorted by code point */
Test(validate_fields, unknown_sorted)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    sl_value unknown[] = {sl_value_str("zeta"), sl_value_str("Alpha"), sl_value_str("beta"),
                          sl_value_str("_x"), sl_value_str("10"), sl_value_str("9")};
    ASSERT_ERROR(fixture_fields_error(fields, unknown, 6),
                 "Unknown telemetry fields: 10, 9, Alpha, _x, beta, zeta");
}

Test(validate_fields, unknown_sorted_by_code_point)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    /* U+00E9 < U+4E2D < U+1F600 as code points (and as UTF-8 bytes). */
    sl_value unknown[] = {sl_value_str("\xf0\x9f\x98\x80"), sl_value_str("\xe4\xb8\xad"),
                          sl_value_str("\xc3\xa9"), sl_value_str("z")};
    ASSERT_ERROR(fixture_fields_error(fields, unknown, 4),
                 "Unknown telemetry fields: z, \xc3\xa9, \xe4\xb8\xad, \xf0\x9f\x98\x80");
}

Test(validate_fields, unknown_after_missing)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_PID] = sl_value_absent();
    sl_value unknown[] = {sl_value_str("extra")};
    ASSERT_ERROR(fixture_fields_error(fields, unknown, 1), "Missing required telemetry fields: pid");
}

Test(validate_fields, unknown_before_type_errors)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_PID] = sl_value_bool(true);
    sl_value unknown[] = {sl_value_str("extra")};
    ASSERT_ERROR(fixture_fields_error(fields, unknown, 1), "Unknown telemetry fields: extra");
}

Test(validate_fields, v2_session_id_is_unknown)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_SCHEMA_VERSION] = sl_value_int(2);
    sl_value unknown[] = {sl_value_str("zz"), sl_value_str("aa")};
    ASSERT_ERROR(fixture_fields_error(fields, unknown, 2),
                 "Unknown telemetry fields: aa, session_id, zz");
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "Unknown telemetry fields: session_id");
}

Test(validate_fields, unknown_long_list_truncated)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    static char names[300][8];
    sl_value unknown[300];
    for (int i = 0; i < 300; i++) {
        snprintf(names[i], sizeof names[i], "k%03d", 299 - i);
        unknown[i] = sl_value_str(names[i]);
    }
    sl_error err;
    cr_assert_not(sl_validate_fields(fields, unknown, 300, &err));
    cr_assert(err.truncated);
    cr_assert_eq(strlen(err.message), SL_ERROR_MESSAGE_MAX - 1);
    cr_assert(strncmp(err.message, "Unknown telemetry fields: k000, k001, k002", 42) == 0);
    cr_assert_str_eq(err.message + SL_ERROR_MESSAGE_MAX - 4, "...");
}

/* 4. field by field, in the reference's order */
FIELD_CASE(session_id_null, SL_F_SESSION_ID, sl_value_null(), "session_id must be a non-empty string")
FIELD_CASE(session_id_empty, SL_F_SESSION_ID, sl_value_str(""), "session_id must be a non-empty string")
FIELD_CASE(session_id_blank_ascii, SL_F_SESSION_ID, sl_value_str(" \t\n\v\f\r\x1c\x1d\x1e\x1f"), "session_id must be a non-empty string")
FIELD_CASE(session_id_blank_unicode, SL_F_SESSION_ID, sl_value_str("\xc2\x85\xc2\xa0\xe2\x80\x80\xe2\x80\x8a\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\x9f\xe3\x80\x80\xe1\x9a\x80"), "session_id must be a non-empty string")
FIELD_CASE(session_id_int, SL_F_SESSION_ID, sl_value_int(7), "session_id must be a string")
FIELD_CASE(session_id_object, SL_F_SESSION_ID, sl_value_object(NULL, 0), "session_id must be a string")
FIELD_OK(session_id_zero_width_space_is_not_blank, SL_F_SESSION_ID, sl_value_str("\xe2\x80\x8b"))
FIELD_OK(session_id_padded, SL_F_SESSION_ID, sl_value_str("  s  "))
FIELD_OK(session_id_with_nul, SL_F_SESSION_ID, sl_value_strn(" \0 ", 3))

FIELD_CASE(timestamp_bool, SL_F_TIMESTAMP_NS, sl_value_bool(false), "timestamp_ns must be an integer")
FIELD_CASE(timestamp_float, SL_F_TIMESTAMP_NS, sl_value_double(1.0), "timestamp_ns must be an integer")
FIELD_CASE(timestamp_null, SL_F_TIMESTAMP_NS, sl_value_null(), "timestamp_ns must be an integer")
FIELD_CASE(timestamp_bigint, SL_F_TIMESTAMP_NS, BIGINT, "timestamp_ns must be an integer")
FIELD_CASE(timestamp_negative, SL_F_TIMESTAMP_NS, sl_value_int(-1), "timestamp_ns must be >= 0")
FIELD_OK(timestamp_zero, SL_F_TIMESTAMP_NS, sl_value_int(0))

FIELD_CASE(event_type_null, SL_F_EVENT_TYPE, sl_value_null(), "event_type must be a non-empty string")
FIELD_CASE(event_type_blank, SL_F_EVENT_TYPE, sl_value_str("  "), "event_type must be a non-empty string")
FIELD_CASE(event_type_array, SL_F_EVENT_TYPE, sl_value_array(NULL, 0), "event_type must be a string")
FIELD_CASE(collector_null, SL_F_COLLECTOR, sl_value_null(), "collector must be a non-empty string")
FIELD_CASE(collector_empty, SL_F_COLLECTOR, sl_value_str(""), "collector must be a non-empty string")
FIELD_CASE(collector_bool, SL_F_COLLECTOR, sl_value_bool(true), "collector must be a string")

FIELD_CASE(sampling_interval_float, SL_F_SAMPLING_INTERVAL_MS, sl_value_double(0.5), "sampling_interval_ms must be an integer")
FIELD_CASE(sampling_interval_string, SL_F_SAMPLING_INTERVAL_MS, sl_value_str("10"), "sampling_interval_ms must be an integer")
FIELD_CASE(sampling_interval_negative, SL_F_SAMPLING_INTERVAL_MS, sl_value_int(-1), "sampling_interval_ms must be >= 0")

FIELD_CASE(pid_bool, SL_F_PID, sl_value_bool(true), "pid must be an integer")
FIELD_CASE(pid_float, SL_F_PID, sl_value_double(1.0), "pid must be an integer")
FIELD_CASE(pid_bigint, SL_F_PID, BIGINT, "pid must be an integer")
FIELD_CASE(pid_below_minus_one, SL_F_PID, sl_value_int(-2), "pid must be >= -1")
FIELD_OK(pid_unknown, SL_F_PID, sl_value_int(-1))

FIELD_CASE(host_null, SL_F_HOST, sl_value_null(), "host must be a non-empty string")
FIELD_CASE(host_blank, SL_F_HOST, sl_value_str("\t"), "host must be a non-empty string")
FIELD_CASE(host_int, SL_F_HOST, sl_value_int(1), "host must be a string")

FIELD_OK(job_id_null, SL_F_JOB_ID, sl_value_null())
FIELD_OK(job_id_string, SL_F_JOB_ID, sl_value_str("job-1"))
FIELD_CASE(job_id_blank, SL_F_JOB_ID, sl_value_str(" "), "job_id must be a non-empty string")
FIELD_CASE(job_id_int, SL_F_JOB_ID, sl_value_int(5), "job_id must be a string")

FIELD_CASE(rank_null, SL_F_RANK, sl_value_null(), "rank must be an integer")
FIELD_CASE(rank_bool, SL_F_RANK, sl_value_bool(false), "rank must be an integer")
FIELD_CASE(rank_string, SL_F_RANK, sl_value_str("0"), "rank must be an integer")
FIELD_CASE(rank_negative, SL_F_RANK, sl_value_int(-1), "rank must be >= 0")
FIELD_CASE(local_rank_null, SL_F_LOCAL_RANK, sl_value_null(), "local_rank must be an integer")
FIELD_CASE(local_rank_float, SL_F_LOCAL_RANK, sl_value_double(0.0), "local_rank must be an integer")
FIELD_CASE(local_rank_negative, SL_F_LOCAL_RANK, sl_value_int(-3), "local_rank must be >= 0")
FIELD_CASE(world_size_null, SL_F_WORLD_SIZE, sl_value_null(), "world_size must be an integer")
FIELD_CASE(world_size_bigint, SL_F_WORLD_SIZE, BIGINT, "world_size must be an integer")
FIELD_CASE(world_size_zero, SL_F_WORLD_SIZE, sl_value_int(0), "world_size must be >= 1")
FIELD_CASE(world_size_negative, SL_F_WORLD_SIZE, sl_value_int(-5), "world_size must be >= 1")

FIELD_CASE(device_id_bool, SL_F_DEVICE_ID, sl_value_bool(true), "device_id must be an integer")
FIELD_CASE(device_id_null, SL_F_DEVICE_ID, sl_value_null(), "device_id must be an integer")
FIELD_OK(device_id_any_sign, SL_F_DEVICE_ID, sl_value_int(-12345))

FIELD_CASE(allocated_float, SL_F_ALLOCATOR_ALLOCATED_BYTES, sl_value_double(1.5), "allocator_allocated_bytes must be an integer")
FIELD_CASE(reserved_bool, SL_F_ALLOCATOR_RESERVED_BYTES, sl_value_bool(true), "allocator_reserved_bytes must be an integer")
FIELD_CASE(active_string, SL_F_ALLOCATOR_ACTIVE_BYTES, sl_value_str("1"), "allocator_active_bytes must be an integer")
FIELD_CASE(inactive_bool, SL_F_ALLOCATOR_INACTIVE_BYTES, sl_value_bool(false), "allocator_inactive_bytes must be an integer")
FIELD_CASE(change_null, SL_F_ALLOCATOR_CHANGE_BYTES, sl_value_null(), "allocator_change_bytes must be an integer")
FIELD_CASE(change_bigint, SL_F_ALLOCATOR_CHANGE_BYTES, BIGINT, "allocator_change_bytes must be an integer")
FIELD_CASE(allocated_negative, SL_F_ALLOCATOR_ALLOCATED_BYTES, sl_value_int(-1), "allocator_allocated_bytes must be >= 0")
FIELD_CASE(reserved_negative, SL_F_ALLOCATOR_RESERVED_BYTES, sl_value_int(-1), "allocator_reserved_bytes must be >= 0")
FIELD_CASE(active_negative, SL_F_ALLOCATOR_ACTIVE_BYTES, sl_value_int(-1), "allocator_active_bytes must be >= 0 when provided")
FIELD_CASE(inactive_negative, SL_F_ALLOCATOR_INACTIVE_BYTES, sl_value_int(-1), "allocator_inactive_bytes must be >= 0 when provided")
FIELD_OK(change_negative, SL_F_ALLOCATOR_CHANGE_BYTES, sl_value_int(-4096))

/* All allocator integer checks come before any allocator sign check. */
Test(validate_fields, allocator_types_before_signs)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_ALLOCATOR_ALLOCATED_BYTES] = sl_value_int(-1);
    fields[SL_F_ALLOCATOR_CHANGE_BYTES] = sl_value_double(2.0);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "allocator_change_bytes must be an integer");
    fields[SL_F_ALLOCATOR_CHANGE_BYTES] = sl_value_int(0);
    fields[SL_F_ALLOCATOR_INACTIVE_BYTES] = sl_value_int(-1);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "allocator_allocated_bytes must be >= 0");
}

FIELD_CASE(used_string, SL_F_DEVICE_USED_BYTES, sl_value_str("0"), "device_used_bytes must be an integer")
FIELD_CASE(free_float, SL_F_DEVICE_FREE_BYTES, sl_value_double(1.0), "device_free_bytes must be an integer")
FIELD_CASE(total_bool, SL_F_DEVICE_TOTAL_BYTES, sl_value_bool(true), "device_total_bytes must be an integer")
FIELD_CASE(used_negative, SL_F_DEVICE_USED_BYTES, sl_value_int(-1), "device_used_bytes must be >= 0")
FIELD_CASE(free_negative, SL_F_DEVICE_FREE_BYTES, sl_value_int(-1), "device_free_bytes must be >= 0 when provided")
FIELD_CASE(total_negative, SL_F_DEVICE_TOTAL_BYTES, sl_value_int(-1), "device_total_bytes must be >= 0 when provided")
FIELD_CASE(used_exceeds_total, SL_F_DEVICE_USED_BYTES, sl_value_int(17179869185), "device_used_bytes cannot exceed device_total_bytes")
FIELD_CASE(free_exceeds_total, SL_F_DEVICE_FREE_BYTES, sl_value_int(17179869185), "device_free_bytes cannot exceed device_total_bytes")

Test(validate_fields, device_relations_need_a_total)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_DEVICE_TOTAL_BYTES] = sl_value_null();
    fields[SL_F_DEVICE_USED_BYTES] = sl_value_int(INT64_MAX);
    fields[SL_F_DEVICE_FREE_BYTES] = sl_value_int(INT64_MAX);
    cr_assert_null(fixture_fields_error(fields, NULL, 0));
}

Test(validate_fields, device_types_before_signs_before_relations)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_DEVICE_USED_BYTES] = sl_value_int(-1);
    fields[SL_F_DEVICE_TOTAL_BYTES] = sl_value_str("x");
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "device_total_bytes must be an integer");
    fields[SL_F_DEVICE_TOTAL_BYTES] = sl_value_int(-5);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "device_used_bytes must be >= 0");
    fields[SL_F_DEVICE_USED_BYTES] = sl_value_int(10);
    fields[SL_F_DEVICE_FREE_BYTES] = sl_value_int(20);
    fields[SL_F_DEVICE_TOTAL_BYTES] = sl_value_int(5);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "device_used_bytes cannot exceed device_total_bytes");
}

FIELD_OK(context_empty, SL_F_CONTEXT, sl_value_str(""))
FIELD_OK(context_blank, SL_F_CONTEXT, sl_value_str("   "))
FIELD_CASE(context_int, SL_F_CONTEXT, sl_value_int(0), "context must be a string")
FIELD_CASE(context_bool, SL_F_CONTEXT, sl_value_bool(false), "context must be a string")

FIELD_CASE(metadata_null, SL_F_METADATA, sl_value_null(), "metadata must be an object")
FIELD_CASE(metadata_array, SL_F_METADATA, sl_value_array(NULL, 0), "metadata must be an object")
FIELD_CASE(metadata_string, SL_F_METADATA, sl_value_str("{}"), "metadata must be an object")

/* The identity rules close the list; the record's own keys only. */
Test(validate_fields, rank_not_below_world_size)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_RANK] = sl_value_int(2);
    fields[SL_F_WORLD_SIZE] = sl_value_int(2);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "rank must be < world_size");
}

Test(validate_fields, rank_absent_world_size_defaults_to_one)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_RANK] = sl_value_int(1);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "rank must be < world_size");
}

Test(validate_fields, local_rank_not_below_world_size)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_RANK] = sl_value_int(1);
    fields[SL_F_LOCAL_RANK] = sl_value_int(4);
    fields[SL_F_WORLD_SIZE] = sl_value_int(4);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "local_rank must be < world_size");
}

Test(validate_fields, local_rank_defaults_to_rank)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_RANK] = sl_value_int(3);
    fields[SL_F_WORLD_SIZE] = sl_value_int(4);
    cr_assert_null(fixture_fields_error(fields, NULL, 0));
    fields[SL_F_WORLD_SIZE] = sl_value_int(3);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "rank must be < world_size");
}

Test(validate_fields, identity_after_metadata)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_RANK] = sl_value_int(5);
    fields[SL_F_METADATA] = sl_value_null();
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "metadata must be an object");
}

Test(validate_fields, first_failure_wins)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_CONTEXT] = sl_value_int(1);
    fields[SL_F_PID] = sl_value_int(-9);
    fields[SL_F_HOST] = sl_value_null();
    fields[SL_F_SESSION_ID] = sl_value_str(" ");
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "session_id must be a non-empty string");
    fields[SL_F_SESSION_ID] = sl_value_str("s");
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "pid must be >= -1");
    fields[SL_F_PID] = sl_value_int(1);
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "host must be a non-empty string");
    fields[SL_F_HOST] = sl_value_str("h");
    ASSERT_ERROR(fixture_fields_error(fields, NULL, 0), "context must be a string");
}

Test(validate_fields, null_error_pointer_is_allowed)
{
    sl_value fields[SL_F_COUNT];
    fixture_valid_fields(fields);
    fields[SL_F_PID] = sl_value_absent();
    cr_assert_not(sl_validate_fields(fields, NULL, 0, NULL));
}

/* The typed struct: the same implementation, reached through sl_record. */
#define RECORD_CASE(test_name, mutation, message)                                      \
    Test(validate_record, test_name)                                                   \
    {                                                                                  \
        sl_record r;                                                                   \
        fixture_valid_record(&r);                                                      \
        mutation;                                                                      \
        ASSERT_ERROR(fixture_record_error(&r), message);                               \
    }

Test(validate_record, fixture_is_valid)
{
    sl_record r;
    fixture_valid_record(&r);
    cr_assert_null(fixture_record_error(&r));
}

RECORD_CASE(session_id_null, r.session_id = NULL, "session_id must be a non-empty string")
RECORD_CASE(session_id_blank, r.session_id = " \n", "session_id must be a non-empty string")
RECORD_CASE(timestamp_negative, r.timestamp_ns = -1, "timestamp_ns must be >= 0")
RECORD_CASE(event_type_null, r.event_type = NULL, "event_type must be a non-empty string")
RECORD_CASE(collector_empty, r.collector = "", "collector must be a non-empty string")
RECORD_CASE(sampling_negative, r.sampling_interval_ms = -1, "sampling_interval_ms must be >= 0")
RECORD_CASE(pid_below_minus_one, r.pid = -2, "pid must be >= -1")
RECORD_CASE(host_blank, r.host = "\xe3\x80\x80", "host must be a non-empty string")
RECORD_CASE(job_id_blank, r.job_id = "  ", "job_id must be a non-empty string")
RECORD_CASE(rank_negative, r.rank = -1, "rank must be >= 0")
RECORD_CASE(local_rank_negative, r.local_rank = -1, "local_rank must be >= 0")
RECORD_CASE(world_size_zero, r.world_size = 0, "world_size must be >= 1")
RECORD_CASE(allocated_negative, r.allocator_allocated_bytes = -1, "allocator_allocated_bytes must be >= 0")
RECORD_CASE(reserved_negative, r.allocator_reserved_bytes = -1, "allocator_reserved_bytes must be >= 0")
RECORD_CASE(active_negative, r.allocator_active_bytes = ((sl_opt_i64){true, -1}), "allocator_active_bytes must be >= 0 when provided")
RECORD_CASE(inactive_negative, r.allocator_inactive_bytes = ((sl_opt_i64){true, -1}), "allocator_inactive_bytes must be >= 0 when provided")
RECORD_CASE(used_negative, r.device_used_bytes = -1, "device_used_bytes must be >= 0")
RECORD_CASE(free_negative, r.device_free_bytes = ((sl_opt_i64){true, -1}), "device_free_bytes must be >= 0 when provided")
RECORD_CASE(total_negative, r.device_total_bytes = ((sl_opt_i64){true, -1}), "device_total_bytes must be >= 0 when provided")
RECORD_CASE(used_exceeds_total, r.device_used_bytes = 17179869185, "device_used_bytes cannot exceed device_total_bytes")
RECORD_CASE(free_exceeds_total, r.device_free_bytes = ((sl_opt_i64){true, 17179869185}), "device_free_bytes cannot exceed device_total_bytes")
RECORD_CASE(metadata_not_object, r.metadata = sl_value_array(NULL, 0), "metadata must be an object")
RECORD_CASE(metadata_unset, r.metadata = sl_value_absent(), "Missing required telemetry fields: metadata")
RECORD_CASE(rank_not_below_world_size, (r.rank = 1, r.world_size = 1), "rank must be < world_size")
RECORD_CASE(local_rank_not_below_world_size, (r.rank = 0, r.local_rank = 2, r.world_size = 2), "local_rank must be < world_size")

Test(validate_record, optional_counters_may_be_null)
{
    sl_record r;
    fixture_valid_record(&r);
    r.device_total_bytes.present = false;
    r.device_free_bytes.present = false;
    r.device_used_bytes = INT64_MAX;
    r.context = "";
    r.job_id = "j";
    r.rank = 3;
    r.local_rank = 1;
    r.world_size = 4;
    cr_assert_null(fixture_record_error(&r));
}
