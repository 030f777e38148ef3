/* The per-thread re-entry guard. A runtime may implement one hooked call on
 * top of another (cudaMallocManaged on cudaMalloc, hipHostMalloc on
 * hipMallocHost...); only the outermost call the application made is
 * accounted. The depth also keeps the shim's own calls into the runtime
 * (cudaGetDevice, MemGetInfo) from being mistaken for the application's. */
#ifndef STORMLOG_SHIM_GUARD_H
#define STORMLOG_SHIM_GUARD_H

#include <stdbool.h>
#include <stddef.h>

/* initial-exec: no lazy TLS allocation (and no malloc) on a thread's first
 * hooked call; the shim is preloaded, so static TLS has room for it. */
extern __thread unsigned sl_hook_depth __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* The driver API a nested driver hook reached under the outermost hook
 * (cudaMalloc -> cuMemAlloc_v2), for that hook's events; see driver_hooks.h.
 * Cleared when the outermost hook is entered. */
extern __thread const char *sl_nested_driver_api __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* True (and this thread is marked as inside the shim) when this is the
 * outermost hooked call on the thread; only then is sl_hook_leave() called.
 * Nested calls pass straight through and touch nothing. */
static inline bool sl_hook_enter(void)
{
    if (sl_hook_depth != 0)
        return false;
    sl_hook_depth = 1;
    sl_nested_driver_api = NULL;
    return true;
}

static inline void sl_hook_leave(void)
{
    sl_hook_depth = 0;
}

#endif
