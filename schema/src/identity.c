/* resolve_distributed_identity of the reference: who this process is in a
 * distributed job. Each value comes from the first source that has it: the
 * explicit value, the same key in metadata, then the environment (the shim
 * passes one, the loader does not), then the defaults. */
#include "stormlog/schema/identity.h"

#include <limits.h>

#include "internal.h"

static const char *const job_id_env_keys[] = {"TORCHELASTIC_RUN_ID", "SLURM_JOB_ID"};

/* Launchers, most specific first: torchrun, Open MPI, Slurm. */
static const struct rank_env_group {
    const char *rank, *local_rank, *world_size;
} rank_env_groups[] = {
    {"RANK", "LOCAL_RANK", "WORLD_SIZE"},
    {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_SIZE"},
    {"SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS"},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static bool is_none(const sl_value *v)
{
    return v->kind == SL_NULL || v->kind == SL_ABSENT;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Python's int(text) for base 10: surrounding whitespace, an optional sign,
 * digits with single underscores between them. Python would take any size;
 * we take what fits int64 and call the rest not an integer. ASCII digits
 * only (Python also reads other scripts' decimal digits). */
static bool parse_py_int(const char *text, int64_t *out)
{
    const char *s = text;
    size_t len = strlen(text);
    sl_strip(&s, &len);
    size_t i = 0;
    bool negative = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        i++;
    }
    if (i >= len || !is_digit(s[i]))
        return false;
    /* Accumulate as a negative number: its range includes INT64_MIN. */
    int64_t acc = 0;
    for (; i < len; i++) {
        if (s[i] == '_') {
            if (i + 1 >= len || !is_digit(s[i + 1]))
                return false; /* "_" must sit between two digits */
            continue;
        }
        if (!is_digit(s[i]))
            return false;
        int digit = s[i] - '0';
        if (acc < (INT64_MIN + digit) / 10)
            return false;
        acc = acc * 10 - digit;
    }
    if (!negative) {
        if (acc == INT64_MIN)
            return false;
        acc = -acc;
    }
    *out = acc;
    return true;
}

/* _first_env_value: the first variable that is set and not blank, stripped. */
static bool first_env_value(sl_getenv_fn getenv_fn, void *ctx, sl_value *out)
{
    for (size_t i = 0; i < COUNT_OF(job_id_env_keys); i++) {
        const char *value = getenv_fn(job_id_env_keys[i], ctx);
        if (!value)
            continue;
        const char *s = value;
        size_t len = strlen(value);
        sl_strip(&s, &len);
        if (len > 0) {
            *out = sl_value_strn(s, len);
            return true;
        }
    }
    return false;
}

static bool env_int(const char *text, const char *field, int64_t *out, sl_error *err)
{
    if (!parse_py_int(text, out))
        return sl_fail(err, "%s must be an integer", field);
    return true;
}

/* _infer_distributed_identity_from_env: the first launcher group that sets
 * both its rank and its size. Values are parsed and sign-checked here, so a
 * bad variable fails even when only one of the values was needed. */
static bool infer_from_env(sl_getenv_fn getenv_fn, void *ctx, sl_value inferred[SL_ID_COUNT],
                           sl_error *err)
{
    for (int k = 0; k < SL_ID_COUNT; k++)
        inferred[k] = sl_value_null();
    first_env_value(getenv_fn, ctx, &inferred[SL_ID_JOB_ID]);
    for (size_t g = 0; g < COUNT_OF(rank_env_groups); g++) {
        const struct rank_env_group *group = &rank_env_groups[g];
        const char *rank = getenv_fn(group->rank, ctx);
        const char *local_rank = getenv_fn(group->local_rank, ctx);
        const char *world_size = getenv_fn(group->world_size, ctx);
        if (!rank || !world_size)
            continue;
        if (!local_rank || sl_is_blank(local_rank, strlen(local_rank)))
            local_rank = rank;
        int64_t r = 0, l = 0, w = 0;
        if (!env_int(rank, "rank", &r, err) || !env_int(local_rank, "local_rank", &l, err) ||
            !env_int(world_size, "world_size", &w, err))
            return false;
        if (r < 0)
            return sl_fail(err, "rank must be >= 0");
        if (l < 0)
            return sl_fail(err, "local_rank must be >= 0");
        if (w <= 0)
            return sl_fail(err, "world_size must be >= 1");
        inferred[SL_ID_RANK] = sl_value_int(r);
        inferred[SL_ID_LOCAL_RANK] = sl_value_int(l);
        inferred[SL_ID_WORLD_SIZE] = sl_value_int(w);
        return true;
    }
    return true;
}

/* _coerce_non_negative_int / _coerce_positive_int. */
static bool coerce_count(const sl_value *v, const char *field, int64_t min, int64_t *out,
                         sl_error *err)
{
    if (v->kind != SL_INT)
        return sl_fail(err, "%s must be an integer", field);
    if (v->u.integer < min)
        return sl_fail(err, "%s must be >= %lld", field, (long long)min);
    *out = v->u.integer;
    return true;
}

bool sl_identity_resolve(const sl_value explicit_values[SL_ID_COUNT],
                         const sl_value *metadata_values, sl_getenv_fn getenv_fn, void *env_ctx,
                         sl_identity *out, sl_error *err)
{
    sl_error scratch;
    if (!err)
        err = &scratch;
    sl_value raw[SL_ID_COUNT];
    for (int k = 0; k < SL_ID_COUNT; k++) {
        raw[k] = explicit_values ? explicit_values[k] : sl_value_null();
        if (is_none(&raw[k]))
            raw[k] = metadata_values ? metadata_values[k] : sl_value_null();
        if (raw[k].kind == SL_ABSENT)
            raw[k] = sl_value_null();
    }

    bool needs_rank_env = is_none(&raw[SL_ID_RANK]) || is_none(&raw[SL_ID_LOCAL_RANK]) ||
                          is_none(&raw[SL_ID_WORLD_SIZE]);
    if (needs_rank_env && getenv_fn) {
        sl_value inferred[SL_ID_COUNT];
        if (!infer_from_env(getenv_fn, env_ctx, inferred, err))
            return false;
        for (int k = 0; k < SL_ID_COUNT; k++)
            if (is_none(&raw[k]))
                raw[k] = inferred[k];
    } else if (!needs_rank_env && is_none(&raw[SL_ID_JOB_ID]) && getenv_fn) {
        first_env_value(getenv_fn, env_ctx, &raw[SL_ID_JOB_ID]);
    }

    if (is_none(&raw[SL_ID_WORLD_SIZE]))
        raw[SL_ID_WORLD_SIZE] = sl_value_int(1);
    if (is_none(&raw[SL_ID_RANK]))
        raw[SL_ID_RANK] = sl_value_int(0);
    if (is_none(&raw[SL_ID_LOCAL_RANK]))
        raw[SL_ID_LOCAL_RANK] = raw[SL_ID_RANK];

    sl_identity id = {NULL, 0, 0, 0, 1};
    const sl_value *job_id = &raw[SL_ID_JOB_ID];
    if (!is_none(job_id)) {
        if (job_id->kind != SL_STRING)
            return sl_fail(err, "job_id must be a string");
        if (sl_is_blank(job_id->u.string.ptr, job_id->u.string.len))
            return sl_fail(err, "job_id must be a non-empty string");
        id.job_id = job_id->u.string.ptr;
        id.job_id_len = job_id->u.string.len;
    }
    if (!coerce_count(&raw[SL_ID_RANK], "rank", 0, &id.rank, err) ||
        !coerce_count(&raw[SL_ID_LOCAL_RANK], "local_rank", 0, &id.local_rank, err) ||
        !coerce_count(&raw[SL_ID_WORLD_SIZE], "world_size", 1, &id.world_size, err))
        return false;
    if (id.rank >= id.world_size)
        return sl_fail(err, "rank must be < world_size");
    if (id.local_rank >= id.world_size)
        return sl_fail(err, "local_rank must be < world_size");
    if (id.world_size == 1 && id.rank != 0)
        return sl_fail(err, "rank must be 0 when world_size is 1");
    if (id.world_size == 1 && id.local_rank != 0)
        return sl_fail(err, "local_rank must be 0 when world_size is 1");
    if (out)
        *out = id;
    return true;
}
