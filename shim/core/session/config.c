/* Environment parsing for config.h. Only this file calls getenv for the
 * shim's own settings; the lifecycle reads the distributed-identity
 * variables through the schema's resolver. */
#include "config.h"
#include "pipeline.h"
#include "warn.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static sl_shim_config config;
const sl_shim_config *_Atomic sl_config_loaded;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/* The configuration's warnings, kept until the process records (see
 * config.h); a few lines at most. */
static char deferred[2048];
static size_t deferred_len;
static _Atomic bool deferred_said;

void sl_config_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_pipeline_vwarn(config.quiet, fmt, ap);
    va_end(ap);
}

void sl_config_say_warnings(void)
{
    if (atomic_exchange(&deferred_said, true) || config.quiet)
        return;
    sl_pipeline_write_stderr(deferred, deferred_len);
}

/* Values are quoted the same way in every message: NAME='value' (at most 64
 * bytes of it). */
static bool parse_bool(const char *name, bool fallback, bool *valid)
{
    const char *v = getenv(name);
    *valid = true;
    bool value;
    if (v == NULL || v[0] == '\0') /* unset or empty: the default */
        return fallback;
    if (sl_parse_bool(v, &value))
        return value;
    *valid = false;
    return fallback;
}

static bool warn_bool(const char *name, bool fallback)
{
    bool valid;
    bool v = parse_bool(name, fallback, &valid);
    if (!valid)
        sl_config_warn("%s='%.64s' is not a boolean (1/0, true/false, yes/no, on/off); using %d", name, getenv(name),
                       (int)fallback);
    return v;
}

/* A decimal integer in [min, max], else the default (with one stderr line).
 * Digits only: no spaces, no sign, no suffix (strtoll alone takes " 5"). */
static int64_t parse_int(const char *name, int64_t fallback, int64_t min, int64_t max)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        return fallback;
    char *end = NULL;
    errno = 0;
    long long parsed = (*v >= '0' && *v <= '9') ? strtoll(v, &end, 10) : 0;
    if (end == NULL || errno != 0 || end == v || *end != '\0' || parsed < min || parsed > max) {
        sl_config_warn("%s='%.64s' is not an integer in [%" PRId64 ", %" PRId64 "]; using %" PRId64, name, v, min,
                       max, fallback);
        return fallback;
    }
    return (int64_t)parsed;
}

/* "auto" (the default: the TSC where the kernel trusts it) or "system". */
static bool parse_clock(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0' || !strcmp(v, "auto"))
        return false;
    if (!strcmp(v, "system"))
        return true;
    sl_config_warn("%s='%.64s' is not auto or system; using auto", name, v);
    return false;
}

static void load_config(void)
{
    int saved_errno = errno;
    sl_pipeline_warn_defer(deferred, sizeof deferred, &deferred_len);
    /* quiet first: it governs the warnings about the other variables. A bad
     * value of it is said by the pipeline's reading below (once). */
    bool valid;
    config.quiet = false;
    config.quiet = parse_bool("STORMLOG_QUIET", false, &valid);
    config.disabled = warn_bool("STORMLOG_DISABLE", false);
    config.record_idle = warn_bool("STORMLOG_RECORD_IDLE", false);
    config.sampling_interval_ms = parse_int("STORMLOG_SAMPLING_INTERVAL_MS", 0, 0, INT32_MAX);
    config.device_info_interval_ms = parse_int("STORMLOG_DEVICE_INFO_INTERVAL_MS", 1000, 0, INT32_MAX);
    config.peak_step_bytes = parse_int("STORMLOG_PEAK_STEP_BYTES", 64LL << 20, 0, INT64_MAX);
    config.durable_timeout_ms = (uint32_t)parse_int("STORMLOG_DURABLE_TIMEOUT_MS", 1000, 0, 60000);
    config.system_clock = parse_clock("STORMLOG_CLOCK");
    const char *context = getenv("STORMLOG_CONTEXT");
    config.has_context = context != NULL;
    if (context != NULL)
        snprintf(config.context, sizeof config.context, "%s", context);
    sl_pipeline_config_defaults(&config.pipeline);
    sl_pipeline_config_from_env(&config.pipeline);
    config.pipeline.quiet = config.quiet;
    sl_pipeline_warn_defer(NULL, 0, NULL);
    errno = saved_errno;
}

const sl_shim_config *sl_config_load(void)
{
    pthread_once(&config_once, load_config);
    atomic_store_explicit(&sl_config_loaded, &config, memory_order_release);
    return &config;
}
