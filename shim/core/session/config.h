/* The shim's settings, read from the environment once per process (the first
 * of: the library constructor, the first hooked call). A bad value is reported
 * on stderr, once, by the process that records (when its session starts:
 * not by every shell and wrapper of the process tree, which load the shim
 * too), and the default is used: the shim's configuration never stops the
 * program. A fork child keeps its parent's settings; an exec'ed program
 * reads its own. */
#ifndef STORMLOG_SHIM_CONFIG_H
#define STORMLOG_SHIM_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"

typedef struct sl_shim_config {
    bool disabled;                  /* STORMLOG_DISABLE: hooks pass through, no thread, no files */
    bool quiet;                     /* STORMLOG_QUIET: no stderr lines from the shim */
    bool record_idle;               /* STORMLOG_RECORD_IDLE: start the session at load */
    int64_t sampling_interval_ms;   /* STORMLOG_SAMPLING_INTERVAL_MS: sample events; 0 = none */
    int64_t device_info_interval_ms; /* STORMLOG_DEVICE_INFO_INTERVAL_MS: MemGetInfo refresh, default 1000 */
    int64_t peak_step_bytes;        /* STORMLOG_PEAK_STEP_BYTES: peak events; 0 = none; default 64 MiB */
    uint32_t durable_timeout_ms;    /* STORMLOG_DURABLE_TIMEOUT_MS: wait for an OOM record on disk, default 1000 */
    bool has_context;
    char context[128];              /* STORMLOG_CONTEXT: label on every event; default: the program on start */
    bool system_clock;              /* STORMLOG_CLOCK=system: timestamps from clock_gettime, never the TSC */
    sl_pipeline_config pipeline;    /* output dir, ring, flush, rollover, retention */
} sl_shim_config;

/* The settings, loaded on first use; every hooked call asks, so the loaded
 * case is one acquire load. */
extern const sl_shim_config *_Atomic sl_config_loaded __attribute__((visibility("hidden")));
const sl_shim_config *sl_config_load(void) __attribute__((visibility("hidden")));

static inline const sl_shim_config *sl_config(void)
{
    const sl_shim_config *cfg = atomic_load_explicit(&sl_config_loaded, memory_order_acquire);
    return cfg != NULL ? cfg : sl_config_load();
}

/* Report a problem on stderr, one line, prefixed "stormlog: ", unless quiet
 * (one write(2): no stdio lock the program could hold). */
void sl_config_warn(const char *fmt, ...) __attribute__((visibility("hidden"), format(printf, 1, 2)));
/* Says the configuration's warnings, once per process (later calls, and a
 * fork child of a process that said them, print nothing). */
void sl_config_say_warnings(void) __attribute__((visibility("hidden")));

#endif
