/*
 * hip_vmm.c: hipMemCreate / hipMemRelease, HIP's virtual memory API (the
 * twin of the libcuda double's cuMemCreate / cuMemRelease): a physical
 * allocation on the device prop->location names, whatever the calling
 * thread's current device; the handle is the simulated address. In a file of
 * its own so the default entry points stay as they were.
 */
#include <stdint.h>

#include "../sim/sim.h"
#include "hip_api.h"

static hipError_t vmm_result(sim_status status)
{
    switch (status) {
    case SIM_OK: return hipSuccess;
    case SIM_INVALID_VALUE: return hipErrorInvalidValue;
    case SIM_OUT_OF_MEMORY: return hipErrorOutOfMemory;
    case SIM_INVALID_DEVICE: return hipErrorInvalidDevice;
    case SIM_INVALID_HANDLE: return hipErrorInvalidHandle;
    }
    return hipErrorInvalidValue;
}

hipError_t hipMemCreate(hipMemGenericAllocationHandle_t *handle, size_t size, const hipMemAllocationProp *prop,
                        unsigned long long flags)
{
    if (handle == NULL || prop == NULL || flags != 0 || size == 0 || prop->type != hipMemAllocationTypePinned
        || prop->location.type != hipMemLocationTypeDevice)
        return vmm_result(stormlog_sim_reject_alloc(SIM_INVALID_VALUE));
    void *ptr = NULL;
    sim_status status = stormlog_sim_device_alloc(prop->location.id, size, &ptr);
    if (status == SIM_OK)
        *handle = (hipMemGenericAllocationHandle_t)ptr;
    return vmm_result(status);
}

hipError_t hipMemRelease(hipMemGenericAllocationHandle_t handle)
{
    if (handle == NULL)
        return hipErrorInvalidValue;
    return vmm_result(stormlog_sim_free((void *)handle, SIM_KIND_DEVICE));
}
