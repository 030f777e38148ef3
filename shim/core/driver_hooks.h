/* The driver-level hooks (hooks_driver.c) as the other ways in see them: a
 * program reaches a driver function through the PLT, through dlsym on a
 * dlopened libcuda (dlsym_hook.c), or through cuGetProcAddress and the
 * runtime's cudaGetDriverEntryPoint family (procaddress.c). Each of the
 * latter hands out our wrapper for exactly the variant the driver chose, and
 * leaves every pointer we do not track untouched.
 *
 * One allocation, one count: a driver hook entered while another hook is on
 * the thread's stack (the runtime's cudaMalloc calling cuMemAlloc_v2) only
 * notes its name in sl_nested_driver_api; the outer hook's events carry it as
 * metadata.driver_api. sl_hook_enter() clears it. */
#ifndef STORMLOG_SHIM_DRIVER_HOOKS_H
#define STORMLOG_SHIM_DRIVER_HOOKS_H

#include <stdbool.h>

#include "guard.h"
#include "resolve.h"

/* X(exported name): every driver variant we wrap. */
#define SL_DRIVER_VARIANTS(X)         \
    X(cuMemAlloc_v2)                  \
    X(cuMemAllocPitch_v2)             \
    X(cuMemAllocManaged)              \
    X(cuMemFree_v2)                   \
    X(cuMemAllocAsync)                \
    X(cuMemAllocAsync_ptsz)           \
    X(cuMemAllocFromPoolAsync)        \
    X(cuMemAllocFromPoolAsync_ptsz)   \
    X(cuMemFreeAsync)                 \
    X(cuMemFreeAsync_ptsz)            \
    X(cuMemCreate)                    \
    X(cuMemRelease)                   \
    X(cuMemMap)                       \
    X(cuMemUnmap)                     \
    X(cuMemHostAlloc)                 \
    X(cuMemAllocHost_v2)              \
    X(cuMemFreeHost)                  \
    X(cuMemGetInfo_v2)                \
    X(cuGetProcAddress)               \
    X(cuGetProcAddress_v2)

typedef enum sl_driver_id {
#define SL_DRIVER_ENUM(sym) SL_DRV_##sym,
    SL_DRIVER_VARIANTS(SL_DRIVER_ENUM)
#undef SL_DRIVER_ENUM
    SL_DRV_COUNT,
    SL_DRV_NONE = SL_DRV_COUNT
} sl_driver_id;

typedef struct sl_driver_variant {
    const char *name;   /* as libcuda exports it */
    void *wrapper;      /* our hook of that name */
    sl_real_slot *real; /* the driver's function behind it */
} sl_driver_variant;

extern const sl_driver_variant sl_driver_variants[SL_DRV_COUNT] __attribute__((visibility("hidden")));

/* sl_nested_driver_api (guard.h) names the driver API a nested hook saw. */

/* The variant we wrap under exactly this name, or NULL. Lock-free, no
 * allocation, safe before the shim is initialised (dlsym hook). */
const sl_driver_variant *sl_driver_variant_named(const char *name) __attribute__((visibility("hidden")));

/* The driver handed *pfn out for (symbol, version, flags): when we wrap that
 * variant, remember the driver's pointer as the real one (if none is known
 * yet) and put our wrapper in its place. */
void sl_driver_substitute(const char *symbol, void **pfn, int cuda_version, unsigned long long flags)
    __attribute__((visibility("hidden")));

/* Remember fn as the real function behind variant unless one is known. */
void sl_driver_seed(const sl_driver_variant *variant, void *fn) __attribute__((visibility("hidden")));

/* True when addr lies inside the shim itself. */
bool sl_driver_inside_shim(const void *addr) __attribute__((visibility("hidden")));

#endif
