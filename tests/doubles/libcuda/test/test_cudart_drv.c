/* The driver-backed cudart double: the runtime API behaves as the default
 * double's (same ground truth), but every allocation reached the libcuda
 * double through a pointer cuGetProcAddress handed out. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdlib.h>

#include "cudart_api.h"
#include "stormlog_double.h"

Test(cudart_drv, runtime_calls_reach_the_driver)
{
    void *d = NULL, *h = NULL, *a = NULL, *m = NULL, *p = NULL;
    size_t pitch = 0, free_b = 0, total = 0;
    cr_assert_eq(cudaSetDevice(1), cudaSuccess);
    cr_assert_eq(cudaMalloc(&d, 1000), cudaSuccess);
    cr_assert_eq(cudaMallocHost(&h, 100), cudaSuccess);
    cr_assert_eq(cudaMallocAsync_ptsz(&a, 300, cudaStreamPerThread), cudaSuccess);
    cr_assert_eq(cudaMallocManaged(&m, 64, cudaMemAttachGlobal), cudaSuccess);
    cr_assert_eq(cudaMallocPitch(&p, &pitch, 10, 2), cudaSuccess);
    cr_expect_eq(stormlog_double_live_bytes(1), 1000 + 300 + 64 + 1024);
    cr_expect_eq(stormlog_double_live_bytes(-1), 100);
    cr_assert_eq(cudaMemGetInfo(&free_b, &total), cudaSuccess);
    cr_expect_eq(total - free_b, 1000 + 300 + 64 + 1024);
    cr_expect_eq(cudaFree(d), cudaSuccess);
    cr_expect_eq(cudaFree(d), cudaErrorInvalidValue);
    cr_expect_eq(cudaGetLastError(), cudaErrorInvalidValue);
    cr_expect_eq(cudaFreeAsync_ptsz(a, cudaStreamPerThread), cudaSuccess);
    cr_expect_eq(cudaFree(m), cudaSuccess);
    cr_expect_eq(cudaFree(p), cudaSuccess);
    cr_expect_eq(cudaFreeHost(h), cudaSuccess);
    cr_expect_eq(stormlog_double_live_bytes(1), 0);
    cr_expect_eq(stormlog_double_allocs(), 5);
    cr_expect_eq(stormlog_double_alloc_calls(), 5);
}

Test(cudart_drv, empty_and_refused_requests_match_the_default_double)
{
    void *d = (void *)1;
    cr_expect_eq(cudaMalloc(&d, 0), cudaSuccess);
    cr_expect_null(d);
    cr_expect_eq(cudaMalloc(NULL, 16), cudaErrorInvalidValue);
    cr_expect_eq(cudaMalloc(&d, 1ull << 60), cudaErrorMemoryAllocation);
    cr_expect_eq(cudaGetLastError(), cudaErrorMemoryAllocation);
    cr_expect_eq(stormlog_double_zero_allocs(), 1);
    cr_expect_eq(stormlog_double_failed(), 2);
}

Test(cudart_drv, malloc3d_goes_through_the_pitched_driver_call)
{
    struct cudaPitchedPtr p;
    struct cudaExtent extent = {100, 3, 2};
    cr_assert_eq(cudaMalloc3D(&p, extent), cudaSuccess);
    cr_expect_eq(p.pitch, 512);
    cr_expect_eq(stormlog_double_live_bytes(0), 512 * 6);
    cr_expect_eq(cudaFree(p.ptr), cudaSuccess);
}

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
Test(cudart_drv, driver_entry_points_come_from_the_driver)
{
    enum cudaDriverEntryPointQueryResult status = 99;
    void *fn = NULL;
    cr_assert_eq(cudaGetDriverEntryPointByVersion("cuMemAlloc", &fn, 12000, cudaEnableDefault, &status), cudaSuccess);
    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(libcuda, "the runtime loaded libcuda.so.1");
    cr_expect_eq(status, cudaDriverEntryPointSuccess);
    cr_expect_eq(fn, dlsym(libcuda, "cuMemAlloc_v2"));
    cr_assert_eq(cudaGetDriverEntryPoint("cuMemAllocAsync", &fn, cudaEnablePerThreadDefaultStream, &status), cudaSuccess);
    cr_expect_eq(fn, dlsym(libcuda, "cuMemAllocAsync_ptsz"));
    cr_assert_eq(cudaGetDriverEntryPointByVersion_ptsz("cuMemFreeAsync", &fn, 12000, cudaEnableDefault, &status),
                 cudaSuccess);
    cr_expect_eq(fn, dlsym(libcuda, "cuMemFreeAsync_ptsz"));
    cr_assert_eq(cudaGetDriverEntryPointByVersion("cuNoSuchThing", &fn, 12000, 0, &status), cudaSuccess);
    cr_expect_eq(status, cudaDriverEntryPointSymbolNotFound);
    cr_expect_null(fn);
    cr_expect_eq(cudaGetDriverEntryPointByVersion("cuMemAlloc", &fn, 3000, 0, &status), cudaSuccess);
    cr_expect_eq(status, cudaDriverEntryPointVersionNotSufficent);
    cr_expect_eq(cudaGetDriverEntryPoint("cuMemAlloc", &fn, 8, &status), cudaErrorInvalidValue);
    dlclose(libcuda);
}
