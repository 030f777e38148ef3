/* HIP's virtual memory API: hipMemCreate counts the physical allocation
 * (keyed by its handle) on the device prop->location names, never the
 * calling thread's; hipMemRelease gives it back. Mapping allocates nothing
 * and is not hooked. Same rules as cuMemCreate / cuMemRelease
 * (hooks_driver.c), including nesting: inside another hook it counts nothing.
 *
 * hipMemAllocationProp changed layout in ROCm 6 (CUDA's order: type, handle
 * types, location); ROCm 5 has compressionType first and location at offset
 * 4. Which one the caller used follows from the runtime it calls: the major
 * version in the file name of the library that provides hipMemCreate
 * (libamdhip64.so.5 -> ROCm 5). */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accounting.h"
#include "config.h"
#include "gpu_api.h"
#include "guard.h"
#include "prologue.h"
#include "resolve.h"

#define SL_EXPORT __attribute__((visibility("default")))

#define SL_HIP_LOCATION_DEVICE 1

typedef struct sl_hip_location {
    int type;
    int id;
} sl_hip_location;

typedef struct rocm5_prop { /* ROCm 5.x hip_runtime_api.h */
    unsigned char compressionType;
    sl_hip_location location;
} rocm5_prop;

typedef struct rocm6_prop { /* ROCm 6.x, CUDA's order */
    int type;
    int requestedHandleTypes;
    sl_hip_location location;
} rocm6_prop;

/* 5 or 6 (and later); 0 until known. */
static _Atomic int rocm_major;

static int runtime_major(void *real)
{
    int major = atomic_load_explicit(&rocm_major, memory_order_relaxed);
    if (major != 0)
        return major;
    Dl_info info;
    major = 5;
    const char *so = dladdr(real, &info) && info.dli_fname != NULL ? strstr(info.dli_fname, ".so.") : NULL;
    if (so != NULL && so[4] >= '0' && so[4] <= '9')
        major = (int)strtol(so + 4, NULL, 10);
    atomic_store_explicit(&rocm_major, major, memory_order_relaxed);
    return major;
}

static int32_t prop_device(const struct hipMemAllocationProp *prop, void *real)
{
    if (prop == NULL)
        return SL_HOST_DEVICE;
    const sl_hip_location *location = runtime_major(real) >= 6 ? &((const rocm6_prop *)(const void *)prop)->location
                                                                : &((const rocm5_prop *)(const void *)prop)->location;
    return location->type == SL_HIP_LOCATION_DEVICE ? location->id : SL_HOST_DEVICE;
}

#define PROLOGUE(sym, ...) SL_HOOK_PROLOGUE(sym, SL_HIP_ERROR_NOT_INITIALIZED, __VA_ARGS__)

SL_EXPORT hipError_t hipMemCreate(hipMemGenericAllocationHandle_t *handle, size_t size,
                                  const struct hipMemAllocationProp *prop, unsigned long long flags)
{
    PROLOGUE(hipMemCreate, handle, size, prop, flags);
    hipError_t rc = real(handle, size, prop, flags);
    int saved_errno = errno;
    int32_t device = prop_device(prop, (void *)real);
    if (rc == SL_HIP_SUCCESS)
        sl_account_alloc(SL_API_HIP_MEM_CREATE, device, (void *)*handle, size, SL_NO_STREAM);
    else
        sl_account_failure(SL_API_HIP_MEM_CREATE, device, rc, rc == SL_HIP_ERROR_OUT_OF_MEMORY, size, SL_NO_STREAM);
    sl_hook_leave();
    errno = saved_errno;
    return rc;
}

SL_EXPORT hipError_t hipMemRelease(hipMemGenericAllocationHandle_t handle)
{
    PROLOGUE(hipMemRelease, handle);
    sl_free_claim claim;
    sl_account_claim_free((void *)handle, &claim);
    hipError_t rc = real(handle);
    int saved_errno = errno;
    if (rc == SL_HIP_SUCCESS && claim.ptr != 0) {
        if (!sl_account_free(SL_API_HIP_MEM_RELEASE, &claim, SL_NO_STREAM))
            sl_account_unmatched_free(SL_API_HIP_MEM_RELEASE, SL_HOST_DEVICE);
    } else if (rc != SL_HIP_SUCCESS) {
        sl_account_unclaim_free(&claim);
        sl_account_failure(SL_API_HIP_MEM_RELEASE, SL_HOST_DEVICE, rc, false, 0, SL_NO_STREAM);
    }
    sl_hook_leave();
    errno = saved_errno;
    return rc;
}
