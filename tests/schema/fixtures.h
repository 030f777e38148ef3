/* A valid v3 record in both shapes the validator takes: loader-style views
 * (any JSON type per field) and the shim's typed struct. Tests start from
 * one of these and break exactly one thing. */
#ifndef STORMLOG_TESTS_SCHEMA_FIXTURES_H
#define STORMLOG_TESTS_SCHEMA_FIXTURES_H

#include "stormlog/schema/record.h"
#include "stormlog/schema/validate.h"

/* Every required field valid, optional ones absent. */
void fixture_valid_fields(sl_value fields[SL_F_COUNT]);
/* A valid typed record with an empty metadata object. */
void fixture_valid_record(sl_record *r);

/* The first failure's message, or NULL when the record is valid. The
 * returned text lives until the next call. */
const char *fixture_fields_error(const sl_value fields[SL_F_COUNT], const sl_value *unknown,
                                 size_t unknown_count);
const char *fixture_record_error(const sl_record *r);

#endif
