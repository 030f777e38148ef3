/* The driver's own lookup: cuGetProcAddress(_v2), and the runtime's
 * cudaGetDriverEntryPoint / cudaGetDriverEntryPointByVersion (and _ptsz),
 * which reach it. The CUDA runtime obtains every driver function this way
 * (about 440 of them at start-up), so do PyTorch's expandable segments.
 *
 * The real call always runs first and its result code, status and pointer
 * stand. Only when it succeeded and handed out a variant we wrap is the
 * pointer replaced by our wrapper of that exact variant. Which variant the
 * driver handed out follows from (name, version, flags) by the driver's own
 * rule, mirrored over hook_table.h's lookup columns: the newest variant whose version is at
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

/* The driver's rule over hook_table.h's lookup columns: among the rows
 * looked up by this name, the newest version at most the one requested. */
static const sl_driver_variant *variant_for(const char *symbol, int version, unsigned long long flags)
{
    const sl_driver_variant *chosen = NULL;
    if (symbol[0] != 'c' || symbol[1] != 'u')
        return NULL;
    for (int i = 0; i < SL_HOOK_COUNT; i++) {
        const sl_api_info *row = &sl_api_table[i];
        if (row->runtime == SL_RUNTIME_CUDA_DRIVER && row->version != 0 && row->version <= version
            && (chosen == NULL || row->version > chosen->version) && strcmp(row->lookup, symbol) == 0)
            chosen = row;
    }
    if (chosen == NULL)
        return NULL;
    if ((flags & SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0 && chosen->ptsz != SL_API_NONE)
        return &sl_api_table[chosen->ptsz];
    return chosen;
}

void sl_driver_substitute(const char *symbol, void **pfn, int cuda_version, unsigned long long flags)
{
    if (symbol == NULL || pfn == NULL || *pfn == NULL)
        return;
    const sl_driver_variant *variant = variant_for(symbol, cuda_version, flags);
    if (variant == NULL)
        return;
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
        (__typeof__(&cuGetProcAddress_v2))sl_resolve(SL_HOOK_SLOT(cuGetProcAddress_v2));
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
        (__typeof__(&cuGetProcAddress))sl_resolve(SL_HOOK_SLOT(cuGetProcAddress));
    if (real == NULL)
        return SL_CU_ERROR_NOT_INITIALIZED;
    CUresult rc = real(symbol, pfn, cudaVersion, flags);
    if (rc == SL_CU_SUCCESS && !sl_config()->disabled)
        sl_driver_substitute(symbol, pfn, cudaVersion, flags);
    return rc;
}

/* ---- the runtime's entry points ----------------------------------------------- */

static sl_real_slot real_cudaRuntimeGetVersion = SL_REAL_SLOT_INIT(cudaRuntimeGetVersion, SL_RUNTIME_CUDA);

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
        __typeof__(&sym) real = (__typeof__(&sym))sl_resolve(SL_HOOK_SLOT(sym));                        \
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
        __typeof__(&sym) real = (__typeof__(&sym))sl_resolve(SL_HOOK_SLOT(sym));                        \
        if (real == NULL)                                                                              \
            return 3;                                                                                  \
        unsigned int rc = real(symbol, funcPtr, cudaVersion, flags, driverStatus);                     \
        if (rc == 0 && !sl_config()->disabled && cudaVersion <= (unsigned)INT_MAX)                     \
            sl_driver_substitute(symbol, funcPtr, (int)cudaVersion, flag_rule(flags));                 \
        return rc;                                                                                     \
    }
ENTRY_POINT_BY_VERSION(cudaGetDriverEntryPointByVersion, plain_flags)
ENTRY_POINT_BY_VERSION(cudaGetDriverEntryPointByVersion_ptsz, ptsz_flags)
