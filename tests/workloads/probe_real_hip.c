/*
 * probe_real_hip.c: linked to ROCm's libamdhip64 (not the double). Calls the
 * allocation API once each and prints every return code, one "name=code"
 * line per call. Without a GPU, HIP answers hipErrorNoDevice (100) or
 * hipErrorInvalidDevice (101) style codes.
 */
#include <stdio.h>

#define __HIP_PLATFORM_AMD__
#include <hip/hip_runtime_api.h>

int main(void)
{
    int count = -1;
    hipError_t e = hipGetDeviceCount(&count);
    printf("hipGetDeviceCount=%d count=%d\n", (int)e, count);
    void *device = NULL;
    e = hipMalloc(&device, 1 << 20);
    printf("hipMalloc=%d ptr=%s\n", (int)e, device == NULL ? "null" : "set");
    e = hipFree(device);
    printf("hipFree=%d\n", (int)e);
    void *host = NULL;
    e = hipHostMalloc(&host, 4096, hipHostMallocDefault);
    printf("hipHostMalloc=%d ptr=%s\n", (int)e, host == NULL ? "null" : "set");
    e = hipHostFree(host);
    printf("hipHostFree=%d\n", (int)e);
    size_t free_bytes = 0, total = 0;
    e = hipMemGetInfo(&free_bytes, &total);
    printf("hipMemGetInfo=%d free=%zu total=%zu\n", (int)e, free_bytes, total);
    e = hipGetLastError();
    printf("hipGetLastError=%d (%s)\n", (int)e, hipGetErrorString(e));
    return 0;
}
