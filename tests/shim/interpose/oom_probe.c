/* oom_probe: allocates 64 KiB on device 1, then asks for 4 MiB there (the
 * driver gives device 1 a 1 MiB capacity, so the double answers
 * cudaErrorMemoryAllocation) and SIGKILLs itself the moment the call
 * returns. The shim must have put the error event on disk (written and
 * fsynced) before returning: nothing else gets a chance to flush. */
#include <signal.h>
#include <stdio.h>

#include "gpu_api.h"

cudaError_t cudaSetDevice(int device);

int main(void)
{
    void *small = NULL, *big = NULL;
    if (cudaSetDevice(1) != 0 || cudaMalloc(&small, 65536) != 0) {
        fprintf(stderr, "oom_probe: setup failed\n");
        return 1;
    }
    cudaError_t rc = cudaMalloc(&big, 4u << 20);
    if (rc != SL_CUDA_ERROR_MEMORY_ALLOCATION) {
        fprintf(stderr, "oom_probe: expected an OOM, got %u\n", rc);
        return 1;
    }
    raise(SIGKILL);
    return 1;
}
