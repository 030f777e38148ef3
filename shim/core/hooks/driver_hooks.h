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

#include "api.h"
#include "guard.h"
#include "resolve.h"

/* A driver variant we wrap: a row of hook_table.h whose runtime is the
 * driver (wrapper: our hook of that name; real: the driver's function). */
typedef sl_api_info sl_driver_variant;

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
