/* Distributed identity (reference: resolve_distributed_identity): explicit value,
 * else the same key in metadata, else the environment (only when one is
 * given), else defaults. */
#ifndef STORMLOG_SCHEMA_IDENTITY_H
#define STORMLOG_SCHEMA_IDENTITY_H

#include "stormlog/schema/error.h"
#include "stormlog/schema/value.h"

typedef enum sl_identity_key {
    SL_ID_JOB_ID = 0,
    SL_ID_RANK,
    SL_ID_LOCAL_RANK,
    SL_ID_WORLD_SIZE,
    SL_ID_COUNT
} sl_identity_key;

/* Returns the variable's value or NULL when unset. */
typedef const char *(*sl_getenv_fn)(const char *name, void *ctx);

typedef struct sl_identity {
    const char *job_id; /* NULL for none; borrowed from the inputs (not NUL-terminated for env values) */
    size_t job_id_len;
    int64_t rank;
    int64_t local_rank;
    int64_t world_size;
} sl_identity;

/* explicit_values and metadata_values: SL_ABSENT or SL_NULL mean "not given";
 * metadata_values may be NULL. getenv_fn NULL means no environment (the
 * loader); the shim passes one. */
bool sl_identity_resolve(const sl_value explicit_values[SL_ID_COUNT],
                         const sl_value *metadata_values /* [SL_ID_COUNT] or NULL */,
                         sl_getenv_fn getenv_fn, void *env_ctx, sl_identity *out, sl_error *err);

#endif
