/* The stormlog_shim_* functions of include/stormlog/shim.h. */
#include "stormlog/shim.h"

#include "accounting.h"
#include "lifecycle.h"
#include "pipeline.h"

#define SL_EXPORT __attribute__((visibility("default")))

SL_EXPORT const char *stormlog_shim_version(void)
{
    return STORMLOG_SHIM_VERSION;
}

SL_EXPORT const char *stormlog_shim_session_id(void)
{
    return sl_lifecycle_session_id();
}

SL_EXPORT const char *stormlog_shim_sink_dir(void)
{
    return sl_pipeline_sink_dir();
}

SL_EXPORT int stormlog_shim_device_counters(int device_id, stormlog_shim_counters *out)
{
    sl_device_counters c;
    if (out == NULL || !sl_account_counters(device_id, &c))
        return -1;
    out->allocated_bytes = c.allocated_bytes;
    out->reserved_bytes = c.reserved_bytes;
    out->peak_bytes = c.peak_bytes;
    out->allocations = c.allocations;
    out->frees = c.frees;
    out->failed_allocations = c.failures;
    out->unmatched_frees = c.unmatched_frees;
    out->live_allocations = c.live_allocations;
    return 0;
}
