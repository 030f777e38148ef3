/* The reference's writer policy as defaults, and the environment variables that
 * override it. A bad value never stops anything: it is named on stderr once
 * and the field keeps the value it had. */
#include "pipeline.h"
#include "warn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void sl_pipeline_config_defaults(sl_pipeline_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->output_dir, "./stormlog-out");
    cfg->ring_capacity = SL_RING_CAPACITY_DEFAULT;
    cfg->flush_every_events = 50;
    cfg->flush_every_ms = 2000;
    cfg->fsync_every_ms = 1000;
    cfg->rollover_bytes = 64ull * 1024 * 1024;
    cfg->rollover_events = 10000;
    /* A debugging run keeps everything up to a byte budget (README,
     * "Configuration"); the reference's count-based 8 files by variable. */
    cfg->retention_files = 1000000;
    cfg->retention_bytes = 4ull * 1024 * 1024 * 1024;
    cfg->shutdown_deadline_ms = SL_SHUTDOWN_DEADLINE_MS_DEFAULT;
    cfg->quiet = false;
    cfg->write_rollups = true;
    cfg->sidecar_interval_ms = 1000;
}

#define SL_FLUSH_EVERY_MS_MIN 10u
#define SL_ROLLOVER_BYTES_MIN (UINT64_C(64) * 1024) /* a segment below 64 KiB makes no sense */
#define SL_ROLLOVER_EVENTS_MIN 10u
#define SL_SHUTDOWN_DEADLINE_MS_MIN 10u

/* A decimal integer in [min, max], nothing else (no sign, no suffix, no spaces). */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool sl_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off", ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcasecmp(s, yes[i]) == 0)
            return *out = true, true;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcasecmp(s, no[i]) == 0)
            return *out = false, true;
    return false;
}

typedef struct env_reader {
    sl_pipeline_getenv_fn getenv_fn;
    void *ctx;
    sl_pipeline_config *cfg;
    bool all_valid;
} env_reader;

static void read_u64(env_reader *r, const char *name, uint64_t min, uint64_t max, uint64_t *field)
{
    const char *s = r->getenv_fn(name, r->ctx);
    if (s == NULL)
        return;
    uint64_t v;
    if (parse_u64(s, min, max, &v)) {
        *field = v;
        return;
    }
    r->all_valid = false;
    sl_pipeline_warn(r->cfg->quiet, "%s='%.64s' is not an integer in [%" PRIu64 ", %" PRIu64 "]; using %" PRIu64,
                     name, s, min, max, *field);
}

static void read_u32(env_reader *r, const char *name, uint32_t min, uint32_t max, uint32_t *field)
{
    uint64_t v = *field;
    read_u64(r, name, min, max, &v);
    *field = (uint32_t)v;
}

static const char *libc_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

bool sl_pipeline_config_from_getenv(sl_pipeline_config *cfg, sl_pipeline_getenv_fn getenv_fn, void *ctx)
{
    int saved_errno = errno;
    env_reader r = {getenv_fn, ctx, cfg, true};

    const char *quiet = getenv_fn("STORMLOG_QUIET", ctx);
    if (quiet != NULL && !sl_parse_bool(quiet, &cfg->quiet)) {
        r.all_valid = false;
        sl_pipeline_warn(cfg->quiet, "STORMLOG_QUIET='%.64s' is not 0/1/true/false/yes/no/on/off; using %d",
                         quiet, (int)cfg->quiet);
    }

    const char *share = getenv_fn("STORMLOG_SHARE_GROUP", ctx);
    if (share != NULL && !sl_parse_bool(share, &cfg->share_group)) {
        r.all_valid = false;
        sl_pipeline_warn(cfg->quiet, "STORMLOG_SHARE_GROUP='%.64s' is not 0/1/true/false/yes/no/on/off; using %d",
                         share, (int)cfg->share_group);
    }

    const char *rollups = getenv_fn("STORMLOG_ROLLUPS", ctx);
    if (rollups != NULL && !sl_parse_bool(rollups, &cfg->write_rollups)) {
        r.all_valid = false;
        sl_pipeline_warn(cfg->quiet, "STORMLOG_ROLLUPS='%.64s' is not 0/1/true/false/yes/no/on/off; using %d",
                         rollups, (int)cfg->write_rollups);
    }

    const char *dir = getenv_fn("STORMLOG_OUTPUT_DIR", ctx);
    if (dir != NULL) {
        size_t n = strlen(dir);
        if (n == 0 || n >= sizeof cfg->output_dir) {
            r.all_valid = false;
            sl_pipeline_warn(cfg->quiet, "STORMLOG_OUTPUT_DIR is %s; using '%s'",
                             n == 0 ? "empty" : "longer than 4095 bytes", cfg->output_dir);
        } else {
            memcpy(cfg->output_dir, dir, n + 1);
        }
    }

    const char *cap = getenv_fn("STORMLOG_RING_CAPACITY", ctx);
    if (cap != NULL) {
        uint64_t v;
        if (parse_u64(cap, SL_RING_CAPACITY_MIN, SL_RING_CAPACITY_MAX, &v) && (v & (v - 1)) == 0) {
            cfg->ring_capacity = (uint32_t)v;
        } else {
            r.all_valid = false;
            sl_pipeline_warn(cfg->quiet, "STORMLOG_RING_CAPACITY='%.64s' is not a power of two in [%u, %u]; using %u",
                             cap, SL_RING_CAPACITY_MIN, SL_RING_CAPACITY_MAX, cfg->ring_capacity);
        }
    }

    /* Minimums a recording can live with: below them a value only churns
     * (STORMLOG_ROLLOVER_BYTES=1 made 1,984 segments of 8 events). */
    read_u32(&r, "STORMLOG_FLUSH_EVERY_EVENTS", 1, 1000000, &cfg->flush_every_events);
    read_u32(&r, "STORMLOG_FLUSH_EVERY_MS", SL_FLUSH_EVERY_MS_MIN, 3600u * 1000u, &cfg->flush_every_ms);
    read_u32(&r, "STORMLOG_FSYNC_EVERY_MS", 0, 3600u * 1000u, &cfg->fsync_every_ms);
    read_u64(&r, "STORMLOG_ROLLOVER_BYTES", SL_ROLLOVER_BYTES_MIN, UINT64_C(1) << 40, &cfg->rollover_bytes);
    read_u32(&r, "STORMLOG_ROLLOVER_EVENTS", SL_ROLLOVER_EVENTS_MIN, UINT32_MAX, &cfg->rollover_events);
    read_u32(&r, "STORMLOG_RETENTION_FILES", 1, 1000000, &cfg->retention_files);
    read_u64(&r, "STORMLOG_RETENTION_BYTES", SL_ROLLOVER_BYTES_MIN, UINT64_C(1) << 50, &cfg->retention_bytes);
    read_u32(&r, "STORMLOG_SHUTDOWN_DEADLINE_MS", SL_SHUTDOWN_DEADLINE_MS_MIN, 60000, &cfg->shutdown_deadline_ms);
    read_u32(&r, "STORMLOG_SIDECAR_INTERVAL_MS", 0, 3600000, &cfg->sidecar_interval_ms);

    /* The reference refuses retention below one segment; we raise it instead of
     * refusing, since the program must run on. */
    if (cfg->retention_bytes < cfg->rollover_bytes) {
        r.all_valid = false;
        sl_pipeline_warn(cfg->quiet, "retention limit %" PRIu64 " bytes is below the rollover size; using %" PRIu64,
                         cfg->retention_bytes, cfg->rollover_bytes);
        cfg->retention_bytes = cfg->rollover_bytes;
    }
    errno = saved_errno;
    return r.all_valid;
}

bool sl_pipeline_config_from_env(sl_pipeline_config *cfg)
{
    return sl_pipeline_config_from_getenv(cfg, libc_getenv, NULL);
}
