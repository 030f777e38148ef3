/* The driver's own lookup: cuGetProcAddress(_v2), and the runtime's
 * cudaGetDriverEntryPoint / cudaGetDriverEntryPointByVersion (and _ptsz),
 * which reach it. The CUDA runtime obtains every driver function this way
 * (about 440 of them at start-up), so do PyTorch's expandable segments.
 *
 * The real call always runs first and its result code, status and pointer
 * stand. Only when it succeeded and handed out a variant we wrap is the
 * pointer replaced by our wrapper of that exact variant. Which variant the
 * driver handed out follows from (name, version, flags) by the driver's own
 * rule, mirrored in the table below: the newest variant whose version is at
 * most the one requested ("cuMemAlloc" at 3020 or later is cuMemAlloc_v2;
 * before that the 32-bit cuMemAlloc, which we do not wrap), and its _ptsz
 * twin when CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM is set. The
 * pointer the driver gave becomes the real function behind the wrapper. */
#include <limits.h>
#include <stdatomic.h>
#include <string.h>

#include "config.h"
#include "driver_api.h"
#include "driver_hooks.h"
#include "resolve.h"

#define SL_EXPORT __attribute__((visibility("default")))

typedef struct proc_route {
    const char *base;
    int version;         /* lowest CUDA version that gets this variant */
    sl_driver_id legacy; /* default and legacy-stream lookups */
    sl_driver_id ptsz;   /* per-thread default stream; SL_DRV_NONE: same as legacy */
} proc_route;

/* Ascending version per name. */
static const proc_route routes[] = {
    {"cuMemAlloc", 3020, SL_DRV_cuMemAlloc_v2, SL_DRV_NONE},
    {"cuMemAllocPitch", 3020, SL_DRV_cuMemAllocPitch_v2, SL_DRV_NONE},
    {"cuMemAllocManaged", 6000, SL_DRV_cuMemAllocManaged, SL_DRV_NONE},
    {"cuMemFree", 3020, SL_DRV_cuMemFree_v2, SL_DRV_NONE},
    {"cuMemAllocAsync", 11020, SL_DRV_cuMemAllocAsync, SL_DRV_cuMemAllocAsync_ptsz},
    {"cuMemAllocFromPoolAsync", 11020, SL_DRV_cuMemAllocFromPoolAsync, SL_DRV_cuMemAllocFromPoolAsync_ptsz},
    {"cuMemFreeAsync", 11020, SL_DRV_cuMemFreeAsync, SL_DRV_cuMemFreeAsync_ptsz},
    {"cuMemCreate", 10020, SL_DRV_cuMemCreate, SL_DRV_NONE},
    {"cuMemRelease", 10020, SL_DRV_cuMemRelease, SL_DRV_NONE},
    {"cuMemMap", 10020, SL_DRV_cuMemMap, SL_DRV_NONE},
    {"cuMemUnmap", 10020, SL_DRV_cuMemUnmap, SL_DRV_NONE},
    {"cuMemHostAlloc", 2020, SL_DRV_cuMemHostAlloc, SL_DRV_NONE},
    {"cuMemAllocHost", 3020, SL_DRV_cuMemAllocHost_v2, SL_DRV_NONE},
    {"cuMemFreeHost", 2000, SL_DRV_cuMemFreeHost, SL_DRV_NONE},
    {"cuMemGetInfo", 3020, SL_DRV_cuMemGetInfo_v2, SL_DRV_NONE},
    {"cuGetProcAddress", 11030, SL_DRV_cuGetProcAddress, SL_DRV_NONE},
    {"cuGetProcAddress", 12000, SL_DRV_cuGetProcAddress_v2, SL_DRV_NONE},
};
#define ROUTE_COUNT (sizeof routes / sizeof routes[0])

static sl_driver_id variant_for(const char *symbol, int version, unsigned long long flags)
{
    const proc_route *chosen = NULL;
    if (symbol[0] != 'c' || symbol[1] != 'u')
        return SL_DRV_NONE;
    for (size_t i = 0; i < ROUTE_COUNT; i++)
        if (routes[i].version <= version && strcmp(routes[i].base, symbol) == 0)
            chosen = &routes[i];
    if (chosen == NULL)
        return SL_DRV_NONE;
    if ((flags & SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0 && chosen->ptsz != SL_DRV_NONE)
        return chosen->ptsz;
    return chosen->legacy;
}

void sl_driver_seed(const sl_driver_variant *variant, void *fn)
{
    if (fn == NULL || fn == variant->wrapper || sl_driver_inside_shim(fn))
        return;
    sl_resolve_seed(variant->real, fn);
}

void sl_driver_substitute(const char *symbol, void **pfn, int cuda_version, unsigned long long flags)
{
    if (symbol == NULL || pfn == NULL || *pfn == NULL)
        return;
    sl_driver_id id = variant_for(symbol, cuda_version, flags);
    if (id == SL_DRV_NONE)
        return;
    const sl_driver_variant *variant = &sl_driver_variants[id];
    if (*pfn == variant->wrapper)
        return; /* a lookup that already went through us */
    sl_driver_seed(variant, *pfn);
    *pfn = variant->wrapper;
}

/* ---- the driver's entry points ---------------------------------------------- */

SL_EXPORT CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
                                       CUdriverProcAddressQueryResult *symbolStatus)
{
    __typeof__(&cuGetProcAddress_v2) real =
        (__typeof__(&cuGetProcAddress_v2))sl_resolve(sl_driver_variants[SL_DRV_cuGetProcAddress_v2].real);
    if (real == NULL)
        return SL_CU_ERROR_NOT_INITIALIZED;
    CUresult rc = real(symbol, pfn, cudaVersion, flags, symbolStatus);
    if (rc == SL_CU_SUCCESS && !sl_config()->disabled)
        sl_driver_substitute(symbol, pfn, cudaVersion, flags);
    return rc;
}

SL_EXPORT CUresult cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags)
{
    __typeof__(&cuGetProcAddress) real =
        (__typeof__(&cuGetProcAddress))sl_resolve(sl_driver_variants[SL_DRV_cuGetProcAddress].real);
    if (real == NULL)
        return SL_CU_ERROR_NOT_INITIALIZED;
    CUresult rc = real(symbol, pfn, cudaVersion, flags);
    if (rc == SL_CU_SUCCESS && !sl_config()->disabled)
        sl_driver_substitute(symbol, pfn, cudaVersion, flags);
    return rc;
}

/* ---- the runtime's entry points ----------------------------------------------- */

#define SLOT(sym) static sl_real_slot real_##sym = SL_REAL_SLOT_INIT(sym, SL_RUNTIME_CUDA);
SLOT(cudaGetDriverEntryPoint)
SLOT(cudaGetDriverEntryPoint_ptsz)
SLOT(cudaGetDriverEntryPointByVersion)
SLOT(cudaGetDriverEntryPointByVersion_ptsz)
SLOT(cudaRuntimeGetVersion)
#undef SLOT

unsigned int cudaRuntimeGetVersion(int *runtimeVersion);

/* cudaGetDriverEntryPoint asks the driver with the runtime's own version. */
static int runtime_version(void)
{
    __typeof__(&cudaRuntimeGetVersion) get = (__typeof__(&cudaRuntimeGetVersion))sl_resolve_helper(&real_cudaRuntimeGetVersion);
    int version = 0;
    if (get == NULL || get(&version) != 0)
        return -1;
    return version;
}

/* The _ptsz exports are what code built with per-thread default streams
 * calls: there cudaEnableDefault means the per-thread variants. */
static unsigned long long ptsz_flags(unsigned long long flags)
{
    return (flags & 3u) == 0 ? flags | SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM : flags;
}

static unsigned long long plain_flags(unsigned long long flags)
{
    return flags;
}

#define ENTRY_POINT(sym, flag_rule)                                                                    \
    SL_EXPORT unsigned int sym(const char *symbol, void **funcPtr, unsigned long long flags,          \
                               sl_cuda_driver_entry_point_query_result *driverStatus)                  \
    {                                                                                                  \
        __typeof__(&sym) real = (__typeof__(&sym))sl_resolve(&real_##sym);                             \
        if (real == NULL)                                                                              \
            return 3; /* cudaErrorInitializationError: no runtime loaded */                           \
        unsigned int rc = real(symbol, funcPtr, flags, driverStatus);                                  \
        if (rc == 0 && !sl_config()->disabled) {                                                       \
            int version = runtime_version();                                                           \
            if (version > 0)                                                                           \
                sl_driver_substitute(symbol, funcPtr, version, flag_rule(flags));                      \
        }                                                                                              \
        return rc;                                                                                     \
    }
ENTRY_POINT(cudaGetDriverEntryPoint, plain_flags)
ENTRY_POINT(cudaGetDriverEntryPoint_ptsz, ptsz_flags)

#define ENTRY_POINT_BY_VERSION(sym, flag_rule)                                                         \
    SL_EXPORT unsigned int sym(const char *symbol, void **funcPtr, unsigned int cudaVersion,          \
                               unsigned long long flags,                                               \
                               sl_cuda_driver_entry_point_query_result *driverStatus)                  \
    {                                                                                                  \
        __typeof__(&sym) real = (__typeof__(&sym))sl_resolve(&real_##sym);                             \
        if (real == NULL)                                                                              \
            return 3;                                                                                  \
        unsigned int rc = real(symbol, funcPtr, cudaVersion, flags, driverStatus);                     \
        if (rc == 0 && !sl_config()->disabled && cudaVersion <= (unsigned)INT_MAX)                     \
            sl_driver_substitute(symbol, funcPtr, (int)cudaVersion, flag_rule(flags));                 \
        return rc;                                                                                     \
    }
ENTRY_POINT_BY_VERSION(cudaGetDriverEntryPointByVersion, plain_flags)
ENTRY_POINT_BY_VERSION(cudaGetDriverEntryPointByVersion_ptsz, ptsz_flags)
