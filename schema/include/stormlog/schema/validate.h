/* Record validation: the rules and messages of validate_telemetry_record in
 * the reference, in the reference's order. One implementation serves both sides: the
 * loader passes views of what it parsed (any JSON type per field), the shim
 * passes its typed struct. */
#ifndef STORMLOG_SCHEMA_VALIDATE_H
#define STORMLOG_SCHEMA_VALIDATE_H

#include "stormlog/schema/error.h"
#include "stormlog/schema/record.h"

/* fields[i] is SL_ABSENT when the key is missing. unknown_keys lists the
 * record's keys that are not v3 fields (any order; the message sorts them).
 * Returns true when valid; else fills err with the first failure. */
bool sl_validate_fields(const sl_value fields[SL_F_COUNT], const sl_value *unknown_keys,
                        size_t unknown_count, sl_error *err);

bool sl_validate_record(const sl_record *r, sl_error *err);

#endif
