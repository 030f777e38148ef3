/* The libcuda double on its own: initialisation and contexts, every
 * allocation API against the ground truth, the VMM API from a thread without
 * a context, and cuGetProcAddress's versions and per-thread variants.
 * Criterion runs each test in a fresh process, so each starts uninitialised. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <pthread.h>

#include "cuda_driver_api.h"
#include "stormlog_double.h"

static void init_and_bind(int device)
{
    CUcontext ctx = NULL;
    cr_assert_eq(cuInit(0), 0);
    cr_assert_eq(cuDevicePrimaryCtxRetain(&ctx, device), 0);
    cr_assert_eq(cuCtxSetCurrent(ctx), 0);
}

Test(libcuda_double, calls_before_cuInit_fail_not_initialized)
{
    CUdeviceptr ptr = 0;
    int version = 0;
    cr_expect_eq(cuMemAlloc_v2(&ptr, 256), SL_CU_ERROR_NOT_INITIALIZED);
    cr_expect_eq(cuDriverGetVersion(&version), 0);
    cr_expect_eq(version, SL_CU_DRIVER_VERSION);
    cr_expect_eq(stormlog_double_alloc_calls(), 0);
}

Test(libcuda_double, thread_without_context_gets_invalid_context)
{
    CUdeviceptr ptr = 0;
    CUdevice dev = -1;
    cr_assert_eq(cuInit(0), 0);
    cr_expect_eq(cuCtxGetDevice(&dev), SL_CU_ERROR_INVALID_CONTEXT);
    cr_expect_eq(cuMemAlloc_v2(&ptr, 256), SL_CU_ERROR_INVALID_CONTEXT);
    cr_expect_eq(stormlog_double_alloc_calls(), 0);
}

Test(libcuda_double, allocations_land_on_the_context_device)
{
    init_and_bind(1);
    CUdevice dev = -1;
    cr_assert_eq(cuCtxGetDevice(&dev), 0);
    cr_expect_eq(dev, 1);
    CUdeviceptr a = 0, p = 0, m = 0, as = 0;
    size_t pitch = 0;
    void *h = NULL, *h2 = NULL;
    cr_assert_eq(cuMemAlloc_v2(&a, 1000), 0);
    cr_assert_eq(cuMemAllocPitch_v2(&p, &pitch, 100, 3, 4), 0);
    cr_expect_eq(pitch, 512);
    cr_assert_eq(cuMemAllocManaged(&m, 4096, SL_CU_MEM_ATTACH_GLOBAL), 0);
    cr_assert_eq(cuMemAllocAsync_ptsz(&as, 300, NULL), 0);
    cr_assert_eq(cuMemHostAlloc(&h, 5000, SL_CU_MEMHOSTALLOC_PORTABLE), 0);
    cr_assert_eq(cuMemAllocHost_v2(&h2, 64), 0);
    ((char *)h)[4999] = 1; /* pinned memory is real */
    cr_expect_eq(stormlog_double_live_bytes(1), 1000 + 512 * 3 + 4096 + 300);
    cr_expect_eq(stormlog_double_live_bytes(0), 0);
    cr_expect_eq(stormlog_double_live_bytes(-1), 5064);
    size_t free_b = 0, total = 0;
    cr_assert_eq(cuMemGetInfo_v2(&free_b, &total), 0);
    cr_expect_eq(total - free_b, 1000 + 512 * 3 + 4096 + 300);
    cr_expect_eq(cuMemFree_v2(a), 0);
    cr_expect_eq(cuMemFree_v2(a), SL_CU_ERROR_INVALID_VALUE); /* double free */
    cr_expect_eq(cuMemFree_v2(p), 0);
    cr_expect_eq(cuMemFree_v2(m), 0);
    cr_expect_eq(cuMemFreeAsync(as, NULL), 0);
    cr_expect_eq(cuMemFreeHost(h), 0);
    cr_expect_eq(cuMemFreeHost(h2), 0);
    cr_expect_eq(stormlog_double_live_bytes(1), 0);
    cr_expect_eq(stormlog_double_reserved_bytes(1), 300); /* freed into the default pool */
    cr_expect_eq(stormlog_double_live_bytes(-1), 0);
    cr_expect_eq(stormlog_double_allocs(), 6);
    cr_expect_eq(stormlog_double_frees(), 6);
    cr_expect_eq(stormlog_double_bad_frees(), 1);
}

Test(libcuda_double, refusals_count_as_failed_calls)
{
    init_and_bind(0);
    CUdeviceptr ptr = 1;
    size_t pitch = 0;
    cr_expect_eq(cuMemAlloc_v2(&ptr, 0), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(ptr, 0);
    cr_expect_eq(cuMemAllocPitch_v2(&ptr, &pitch, 100, 3, 3), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuMemAllocManaged(&ptr, 16, 7), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuMemAlloc_v2(&ptr, 1ull << 60), SL_CU_ERROR_OUT_OF_MEMORY);
    cr_expect_eq(stormlog_double_failed(), 4);
    cr_expect_eq(stormlog_double_alloc_calls(), 4);
}

/* cuMemCreate names its device; no context is needed for any VMM call. */
static void *vmm_without_context(void *arg)
{
    (void)arg;
    CUdevice dev = -1;
    cr_assert_eq(cuCtxGetDevice(&dev), SL_CU_ERROR_INVALID_CONTEXT);
    CUmemAllocationProp prop = {0};
    prop.type = SL_CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = SL_CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = 1;
    CUmemGenericAllocationHandle handle = 0;
    cr_assert_eq(cuMemCreate(&handle, 2u << 20, &prop, 0), 0);
    cr_expect_eq(stormlog_double_live_bytes(1), 2 << 20);
    CUdeviceptr va = 0;
    cr_assert_eq(cuMemAddressReserve(&va, 4u << 20, 0, 0, 0), 0);
    cr_expect_eq(cuMemMap(va, 2u << 20, 0, handle, 0), 0);
    cr_expect_eq(cuMemMap(va + (2u << 20), 2u << 20, 0, handle, 0), 0); /* mapped twice: no new memory */
    cr_expect_eq(stormlog_double_live_bytes(1), 2 << 20);
    /* What the driver refuses: an unknown handle, a mapped range, more than
     * the handle holds, an unmap of part of a mapping or of a gap. */
    cr_expect_eq(cuMemMap(va, 2u << 20, 0, handle + 256, 0), SL_CU_ERROR_INVALID_HANDLE);
    cr_expect_eq(cuMemMap(va, 2u << 20, 0, handle, 0), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuMemMap(va + (4u << 20), 4u << 20, 0, handle, 0), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuMemUnmap(va, 1u << 20), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuMemUnmap(va, 6u << 20), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuMemUnmap(va + (4u << 20), 2u << 20), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuMemUnmap(va, 4u << 20), 0); /* both mappings, side by side */
    cr_expect_eq(cuMemUnmap(va, 2u << 20), SL_CU_ERROR_INVALID_VALUE); /* already unmapped */
    cr_expect_eq(cuMemMap(va, 2u << 20, 0, handle, 0), 0);
    cr_expect_eq(cuMemUnmap(va, 2u << 20), 0);
    cr_expect_eq(cuMemRelease(handle), 0);
    cr_expect_eq(cuMemMap(va, 2u << 20, 0, handle, 0), SL_CU_ERROR_INVALID_HANDLE); /* released */
    cr_expect_eq(cuMemAddressFree(va, 4u << 20), 0);
    cr_expect_eq(stormlog_double_live_bytes(1), 0);
    prop.location.id = 7;
    cr_expect_eq(cuMemCreate(&handle, 2u << 20, &prop, 0), SL_CU_ERROR_INVALID_DEVICE);
    return NULL;
}

Test(libcuda_double, vmm_from_a_thread_without_context)
{
    cr_assert_eq(cuInit(0), 0);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, vmm_without_context, NULL), 0);
    pthread_join(t, NULL);
    cr_expect_eq(stormlog_double_allocs(), 1);
    cr_expect_eq(stormlog_double_frees(), 1);
}

static void *exported(const char *name)
{
    void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(handle);
    void *fn = dlsym(handle, name);
    dlclose(handle);
    cr_assert_not_null(fn, "%s not exported", name);
    return fn;
}

static void expect_proc(const char *symbol, int version, cuuint64_t flags, const char *want)
{
    void *fn = (void *)1;
    CUdriverProcAddressQueryResult status = 99;
    CUresult rc = cuGetProcAddress_v2(symbol, &fn, version, flags, &status);
    cr_expect_eq(rc, 0, "%s@%d flags %llu: rc %u", symbol, version, (unsigned long long)flags, rc);
    cr_expect_eq(status, SL_CU_GET_PROC_ADDRESS_SUCCESS);
    cr_expect_eq(fn, exported(want), "%s@%d flags %llu: not %s", symbol, version, (unsigned long long)flags, want);
}

Test(libcuda_double, cuGetProcAddress_honours_version_and_flags)
{
    expect_proc("cuMemAlloc", 3020, 0, "cuMemAlloc_v2");
    expect_proc("cuMemAlloc", 12000, SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, "cuMemAlloc_v2");
    expect_proc("cuMemAllocAsync", 11020, 0, "cuMemAllocAsync");
    expect_proc("cuMemAllocAsync", 12000, SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, "cuMemAllocAsync_ptsz");
    expect_proc("cuMemFreeAsync", 12000, SL_CU_GET_PROC_ADDRESS_LEGACY_STREAM, "cuMemFreeAsync");
    expect_proc("cuGetProcAddress", 11030, 0, "cuGetProcAddress");
    expect_proc("cuGetProcAddress", 12000, 0, "cuGetProcAddress_v2");
    expect_proc("cuMemCreate", 12000, 0, "cuMemCreate");

    void *fn = (void *)1;
    CUdriverProcAddressQueryResult status = 99;
    cr_expect_eq(cuGetProcAddress_v2("cuMemAlloc", &fn, 3000, 0, &status), SL_CU_ERROR_NOT_FOUND);
    cr_expect_eq(status, SL_CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
    cr_expect_null(fn);
    cr_expect_eq(cuGetProcAddress_v2("cuNoSuchThing", &fn, 13000, 0, &status), SL_CU_ERROR_NOT_FOUND);
    cr_expect_eq(status, SL_CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    cr_expect_eq(cuGetProcAddress_v2("cuMemAlloc", &fn, 13000, 8, &status), SL_CU_ERROR_INVALID_VALUE);
    cr_expect_eq(cuGetProcAddress("cuMemFree", &fn, 12000, 0), 0);
    cr_expect_eq(fn, exported("cuMemFree_v2"));
}

Test(libcuda_double, export_table_is_not_served)
{
    const void *table = (const void *)1;
    cr_expect_eq(cuGetExportTable(&table, NULL), SL_CU_ERROR_NOT_SUPPORTED);
    cr_expect_null(table);
}
