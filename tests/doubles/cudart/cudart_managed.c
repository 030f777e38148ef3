/*
 * cudart_managed.c: cudaMallocManaged, allocating through the exported
 * cudaMalloc.
 *
 * It sits in a file of its own so that its call to cudaMalloc cannot be
 * inlined or bound inside the library: the linker emits a PLT call, and a
 * cudaMalloc preloaded into the process (the shim) is reached from inside
 * cudaMallocManaged. Runtimes do nest calls like this; a profiler that hooks
 * both must count such an allocation once. The managed memory is simulated
 * device memory of the current device (not host-accessible).
 */
#include "cudart_api.h"
#include "cudart_error.h"

cudaError_t cudaMallocManaged(void **devPtr, size_t size, unsigned int flags)
{
    /* As documented: one of the two attach flags, and no empty allocation. */
    if (devPtr == NULL || size == 0 || (flags != cudaMemAttachGlobal && flags != cudaMemAttachHost)) {
        if (devPtr != NULL)
            *devPtr = NULL;
        return cudart_result(stormlog_sim_reject_alloc(SIM_INVALID_VALUE));
    }
    return cudaMalloc(devPtr, size);
}
