/* resolve_distributed_identity (seed): explicit, then metadata, then the
 * environment, then defaults; env groups; Python int() parsing. */
#include <criterion/criterion.h>

#include <string.h>

#include "stormlog/schema/identity.h"

/* A fake environment: NULL-terminated pairs. */
typedef struct fake_env {
    const char *pairs[16][2];
} fake_env;

static const char *fake_getenv(const char *name, void *ctx)
{
    const fake_env *env = ctx;
    for (int i = 0; i < 16 && env->pairs[i][0]; i++)
        if (strcmp(env->pairs[i][0], name) == 0)
            return env->pairs[i][1];
    return NULL;
}

typedef struct inputs {
    sl_value explicit_values[SL_ID_COUNT];
    sl_value metadata[SL_ID_COUNT];
    bool with_metadata;
} inputs;

static void inputs_init(inputs *in)
{
    for (int k = 0; k < SL_ID_COUNT; k++) {
        in->explicit_values[k] = sl_value_absent();
        in->metadata[k] = sl_value_absent();
    }
    in->with_metadata = false;
}

static sl_error err;

static bool resolve(const inputs *in, fake_env *env, sl_identity *out)
{
    memset(&err, 0x5a, sizeof err);
    return sl_identity_resolve(in->explicit_values, in->with_metadata ? in->metadata : NULL,
                               env ? fake_getenv : NULL, env, out, &err);
}

#define ASSERT_IDENTITY(id, r, l, w)                                                   \
    do {                                                                               \
        cr_assert_eq((id).rank, (r));                                                  \
        cr_assert_eq((id).local_rank, (l));                                            \
        cr_assert_eq((id).world_size, (w));                                           \
    } while (0)

#define ASSERT_JOB(id, text)                                                           \
    do {                                                                               \
        cr_assert_eq((id).job_id_len, strlen(text));                                   \
        cr_assert(memcmp((id).job_id, (text), strlen(text)) == 0, "job_id %.*s",       \
                  (int)(id).job_id_len, (id).job_id);                                  \
    } while (0)

#define ASSERT_FAILS(in, env, want)                                                    \
    do {                                                                               \
        sl_identity id_;                                                               \
        cr_assert_not(resolve((in), (env), &id_), "resolved, expected %s", (want));    \
        cr_assert_str_eq(err.message, (want));                                         \
    } while (0)

Test(identity, defaults)
{
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, NULL, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 0, 0, 1);
    cr_assert_null(id.job_id);
}

Test(identity, explicit_values)
{
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_JOB_ID] = sl_value_str("job");
    in.explicit_values[SL_ID_RANK] = sl_value_int(3);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_int(1);
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(8);
    sl_identity id;
    cr_assert(resolve(&in, NULL, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 3, 1, 8);
    ASSERT_JOB(id, "job");
}

Test(identity, explicit_null_falls_to_metadata)
{
    inputs in;
    inputs_init(&in);
    in.with_metadata = true;
    in.explicit_values[SL_ID_RANK] = sl_value_null();
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(4);
    in.metadata[SL_ID_RANK] = sl_value_int(2);
    in.metadata[SL_ID_WORLD_SIZE] = sl_value_int(99); /* explicit wins */
    in.metadata[SL_ID_JOB_ID] = sl_value_str("from-metadata");
    sl_identity id;
    cr_assert(resolve(&in, NULL, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 2, 2, 4);
    ASSERT_JOB(id, "from-metadata");
}

Test(identity, local_rank_defaults_to_rank)
{
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_RANK] = sl_value_int(5);
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(6);
    sl_identity id;
    cr_assert(resolve(&in, NULL, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 5, 5, 6);
}

Test(identity, no_environment_means_none)
{
    /* The loader passes no environment: variables must not leak in. */
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, NULL, &id));
    ASSERT_IDENTITY(id, 0, 0, 1);
}

Test(identity, torchrun_group)
{
    fake_env env = {{{"RANK", "3"}, {"LOCAL_RANK", "1"}, {"WORLD_SIZE", "4"},
                     {"TORCHELASTIC_RUN_ID", "run-9"}}};
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 3, 1, 4);
    ASSERT_JOB(id, "run-9");
}

Test(identity, first_group_wins)
{
    fake_env env = {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"},
                     {"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "3"},
                     {"RANK", "2"}, {"WORLD_SIZE", "5"}}};
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 2, 2, 5);
}

Test(identity, group_without_size_is_skipped)
{
    fake_env env = {{{"RANK", "7"}, {"LOCAL_RANK", "7"},
                     {"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "0"},
                     {"OMPI_COMM_WORLD_SIZE", "3"}}};
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 1, 0, 3);
}

Test(identity, group_without_rank_is_skipped)
{
    fake_env env = {{{"WORLD_SIZE", "9"}, {"SLURM_PROCID", "1"}, {"SLURM_LOCALID", "1"},
                     {"SLURM_NTASKS", "2"}}};
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 1, 1, 2);
}

Test(identity, missing_or_blank_local_rank_takes_rank)
{
    fake_env env = {{{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_LOCAL_RANK", " \t"},
                     {"OMPI_COMM_WORLD_SIZE", "4"}}};
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 2, 2, 4);
    fake_env slurm = {{{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "4"}}};
    cr_assert(resolve(&in, &slurm, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 3, 3, 4);
}

Test(identity, env_fills_only_what_is_missing)
{
    fake_env env = {{{"RANK", "1"}, {"LOCAL_RANK", "1"}, {"WORLD_SIZE", "2"}}};
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(8);
    in.explicit_values[SL_ID_RANK] = sl_value_int(6);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 6, 1, 8);
}

Test(identity, env_parsed_like_python_int)
{
    static const struct {
        const char *text;
        int64_t value;
    } ok[] = {{" 3 ", 3}, {"+3", 3}, {"0003", 3}, {"1_0", 10}, {"\t7\n", 7},
              {"\xe3\x80\x80" "2", 2}, {"+1_2", 12}, {"9223372036854775807", INT64_MAX}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        fake_env env = {{{"RANK", "0"}, {"WORLD_SIZE", ok[i].text}}};
        inputs in;
        inputs_init(&in);
        sl_identity id;
        cr_assert(resolve(&in, &env, &id), "'%s': %s", ok[i].text, err.message);
        cr_assert_eq(id.world_size, ok[i].value, "'%s'", ok[i].text);
    }
}

Test(identity, env_not_an_integer)
{
    static const char *const bad[] = {"", "  ", "x", "1.0", "_1", "1_", "1__0", "0x10", "1 2",
                                      "+", "--1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fake_env env = {{{"RANK", bad[i]}, {"WORLD_SIZE", "2"}}};
        inputs in;
        inputs_init(&in);
        ASSERT_FAILS(&in, &env, "rank must be an integer");
    }
}

Test(identity, env_errors_in_order)
{
    inputs in;
    inputs_init(&in);
    fake_env local = {{{"RANK", "0"}, {"LOCAL_RANK", "a"}, {"WORLD_SIZE", "b"}}};
    ASSERT_FAILS(&in, &local, "local_rank must be an integer");
    fake_env world = {{{"RANK", "0"}, {"LOCAL_RANK", "-1"}, {"WORLD_SIZE", "b"}}};
    ASSERT_FAILS(&in, &world, "world_size must be an integer");
    fake_env rank_sign = {{{"RANK", "-1"}, {"LOCAL_RANK", "-1"}, {"WORLD_SIZE", "0"}}};
    ASSERT_FAILS(&in, &rank_sign, "rank must be >= 0");
    fake_env local_sign = {{{"RANK", "0"}, {"LOCAL_RANK", "-1"}, {"WORLD_SIZE", "0"}}};
    ASSERT_FAILS(&in, &local_sign, "local_rank must be >= 0");
    fake_env world_sign = {{{"RANK", "0"}, {"WORLD_SIZE", "0"}}};
    ASSERT_FAILS(&in, &world_sign, "world_size must be >= 1");
}

Test(identity, env_checked_even_when_one_value_is_needed)
{
    /* Python reads the whole group as soon as one of the three is missing. */
    fake_env env = {{{"RANK", "x"}, {"WORLD_SIZE", "4"}}};
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_RANK] = sl_value_int(0);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_int(0);
    ASSERT_FAILS(&in, &env, "rank must be an integer");
}

Test(identity, env_not_read_for_ranks_when_all_given)
{
    fake_env env = {{{"RANK", "x"}, {"WORLD_SIZE", "y"}, {"SLURM_JOB_ID", " 1234 "}}};
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_RANK] = sl_value_int(1);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_int(0);
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(2);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_IDENTITY(id, 1, 0, 2);
    ASSERT_JOB(id, "1234");
}

Test(identity, job_id_env_first_non_blank_stripped)
{
    fake_env env = {{{"TORCHELASTIC_RUN_ID", " \t "}, {"SLURM_JOB_ID", "\n slurm-77 \xc2\xa0"}}};
    inputs in;
    inputs_init(&in);
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_JOB(id, "slurm-77");
    fake_env both = {{{"TORCHELASTIC_RUN_ID", "te"}, {"SLURM_JOB_ID", "sl"}}};
    cr_assert(resolve(&in, &both, &id), "%s", err.message);
    ASSERT_JOB(id, "te");
}

Test(identity, explicit_job_id_beats_env)
{
    fake_env env = {{{"TORCHELASTIC_RUN_ID", "env"}}};
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_JOB_ID] = sl_value_str("mine");
    sl_identity id;
    cr_assert(resolve(&in, &env, &id), "%s", err.message);
    ASSERT_JOB(id, "mine");
}

Test(identity, job_id_errors)
{
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_JOB_ID] = sl_value_str("  ");
    ASSERT_FAILS(&in, NULL, "job_id must be a non-empty string");
    in.explicit_values[SL_ID_JOB_ID] = sl_value_int(12);
    ASSERT_FAILS(&in, NULL, "job_id must be a string");
    in.explicit_values[SL_ID_JOB_ID] = sl_value_absent();
    in.with_metadata = true;
    in.metadata[SL_ID_JOB_ID] = sl_value_bool(true);
    ASSERT_FAILS(&in, NULL, "job_id must be a string");
}

Test(identity, type_errors)
{
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_RANK] = sl_value_bool(true);
    ASSERT_FAILS(&in, NULL, "rank must be an integer");
    inputs_init(&in);
    in.with_metadata = true;
    in.metadata[SL_ID_RANK] = sl_value_str("3");
    ASSERT_FAILS(&in, NULL, "rank must be an integer");
    inputs_init(&in);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_double(0.0);
    ASSERT_FAILS(&in, NULL, "local_rank must be an integer");
    inputs_init(&in);
    in.explicit_values[SL_ID_WORLD_SIZE] = (sl_value){.kind = SL_BIGINT};
    ASSERT_FAILS(&in, NULL, "world_size must be an integer");
}

Test(identity, sign_errors)
{
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_RANK] = sl_value_int(-1);
    ASSERT_FAILS(&in, NULL, "rank must be >= 0");
    inputs_init(&in);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_int(-1);
    ASSERT_FAILS(&in, NULL, "local_rank must be >= 0");
    inputs_init(&in);
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(0);
    ASSERT_FAILS(&in, NULL, "world_size must be >= 1");
}

Test(identity, cross_field_rules_in_order)
{
    inputs in;
    inputs_init(&in);
    in.explicit_values[SL_ID_RANK] = sl_value_int(4);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_int(9);
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(4);
    ASSERT_FAILS(&in, NULL, "rank must be < world_size");
    in.explicit_values[SL_ID_RANK] = sl_value_int(3);
    ASSERT_FAILS(&in, NULL, "local_rank must be < world_size");
    /* With world_size 1 a non-zero rank already fails "< world_size": the
     * seed's "must be 0 when world_size is 1" checks come after and cannot
     * be reached; the order is what we keep. */
    in.explicit_values[SL_ID_WORLD_SIZE] = sl_value_int(1);
    in.explicit_values[SL_ID_RANK] = sl_value_int(1);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_int(0);
    ASSERT_FAILS(&in, NULL, "rank must be < world_size");
    in.explicit_values[SL_ID_RANK] = sl_value_int(0);
    in.explicit_values[SL_ID_LOCAL_RANK] = sl_value_int(1);
    ASSERT_FAILS(&in, NULL, "local_rank must be < world_size");
}

Test(identity, env_result_still_cross_checked)
{
    fake_env env = {{{"RANK", "4"}, {"WORLD_SIZE", "4"}}};
    inputs in;
    inputs_init(&in);
    ASSERT_FAILS(&in, &env, "rank must be < world_size");
}
