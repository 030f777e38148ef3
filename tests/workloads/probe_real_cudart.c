/*
 * probe_real_cudart.c: linked to NVIDIA's libcudart (not the double). Calls
 * the allocation API once each and prints every return code, one
 * "name=code" line per call. Without a GPU or driver the runtime answers
 * cudaErrorInsufficientDriver (35) or cudaErrorNoDevice (100); the shim's
 * tests run this under LD_PRELOAD to see that errors pass through untouched.
 */
#include <stdio.h>

#include <cuda_runtime_api.h>

int main(void)
{
    int count = -1;
    cudaError_t e = cudaGetDeviceCount(&count);
    printf("cudaGetDeviceCount=%d count=%d\n", (int)e, count);
    void *device = NULL;
    e = cudaMalloc(&device, 1 << 20);
    printf("cudaMalloc=%d ptr=%s\n", (int)e, device == NULL ? "null" : "set");
    e = cudaFree(device);
    printf("cudaFree=%d\n", (int)e);
    void *host = NULL;
    e = cudaMallocHost(&host, 4096);
    printf("cudaMallocHost=%d ptr=%s\n", (int)e, host == NULL ? "null" : "set");
    e = cudaFreeHost(host);
    printf("cudaFreeHost=%d\n", (int)e);
    size_t free_bytes = 0, total = 0;
    e = cudaMemGetInfo(&free_bytes, &total);
    printf("cudaMemGetInfo=%d free=%zu total=%zu\n", (int)e, free_bytes, total);
    e = cudaGetLastError();
    printf("cudaGetLastError=%d (%s)\n", (int)e, cudaGetErrorString(e));
    return 0;
}
