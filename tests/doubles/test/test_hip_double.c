/*
 * test_hip_double.c: the HIP double on the same core: ROCm's codes, every
 * spelling of host and pitched allocation, pools, and one ground truth shared
 * with the CUDA double.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hip_api.h"
#include "stormlog_double.h"

/* hipMallocHost & co. are deprecated in the header; the double must still
 * serve programs that call them. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static void clean_env(void)
{
    unsetenv("STORMLOG_DOUBLE_CAPACITY");
    unsetenv("STORMLOG_DOUBLE_FAIL_AT");
    unsetenv("STORMLOG_DOUBLE_FAIL_DEVICE");
    stormlog_double_reset();
}

TestSuite(hip_double, .init = clean_env);

Test(hip_double, malloc_free_and_codes)
{
    void *p = NULL;
    cr_assert_eq(hipMalloc(&p, 3000), hipSuccess);
    cr_assert_eq((uintptr_t)p % 256, 0);
    cr_assert_eq(stormlog_double_live_bytes(0), 3000);
    cr_assert_eq(hipMalloc(NULL, 1), hipErrorInvalidValue);
    cr_assert_eq(hipSetDevice(7), hipErrorInvalidDevice);
    cr_assert_eq(hipGetLastError(), hipErrorInvalidDevice);
    cr_assert_eq(hipGetLastError(), hipSuccess);
    cr_assert_eq(hipFree(NULL), hipSuccess);
    cr_assert_eq(hipFree(p), hipSuccess);
    cr_assert_eq(hipFree(p), hipErrorInvalidValue);
    cr_assert_str_eq(hipGetErrorString(hipErrorOutOfMemory), "out of memory");
}

Test(hip_double, out_of_memory_is_code_2)
{
    setenv("STORMLOG_DOUBLE_CAPACITY", "64K", 1);
    stormlog_double_reset();
    void *p = (void *)0x1;
    cr_assert_eq(hipMalloc(&p, 65537), hipErrorOutOfMemory);
    cr_assert_eq(p, NULL);
    size_t free_bytes = 0, total = 0;
    cr_assert_eq(hipMemGetInfo(&free_bytes, &total), hipSuccess);
    cr_assert_eq(total, 65536);
    cr_assert_eq(free_bytes, 65536);
}

Test(hip_double, every_device_spelling_is_counted)
{
    void *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    hipDeviceptr_t e = NULL;
    size_t pitch = 0, pitch2 = 0;
    cr_assert_eq(hipExtMallocWithFlags(&a, 100, hipDeviceMallocFinegrained), hipSuccess);
    cr_assert_eq(hipMallocManaged(&b, 200, hipMemAttachGlobal), hipSuccess);
    cr_assert_eq(hipMallocPitch(&c, &pitch, 100, 3), hipSuccess);
    cr_assert_eq(pitch, 512);
    cr_assert_eq(hipMemAllocPitch(&e, &pitch2, 600, 2, 4), hipSuccess);
    cr_assert_eq(pitch2, 1024);
    cr_assert_eq(hipMallocManaged(&d, 10, 0), hipErrorInvalidValue);
    cr_assert_eq(stormlog_double_live_bytes(0), 100 + 200 + 512 * 3 + 1024 * 2);
    cr_assert_eq(stormlog_double_allocs(), 4);
    cr_assert_eq(stormlog_double_failed(), 1);
    cr_assert_eq(hipFree(a), hipSuccess);
    cr_assert_eq(hipFree(b), hipSuccess);
    cr_assert_eq(hipFree(c), hipSuccess);
    cr_assert_eq(hipFree(e), hipSuccess);
    cr_assert_eq(stormlog_double_live_bytes(0), 0);
}

Test(hip_double, every_host_spelling_is_real_memory)
{
    char *a = NULL, *b = NULL, *c = NULL;
    cr_assert_eq(hipHostMalloc((void **)&a, 10, hipHostMallocDefault), hipSuccess);
    cr_assert_eq(hipMallocHost((void **)&b, 20), hipSuccess);
    cr_assert_eq(hipMemAllocHost((void **)&c, 30), hipSuccess);
    memset(a, 1, 10);
    memset(b, 2, 20);
    memset(c, 3, 30);
    cr_assert_eq(stormlog_double_live_bytes(-1), 60);
    cr_assert_eq(hipHostMalloc((void **)&a, 10, hipHostMallocCoherent | hipHostMallocNonCoherent),
                 hipErrorInvalidValue);
    cr_assert_eq(hipFree(b), hipErrorInvalidValue, "device free of host memory");
    cr_assert_eq(hipHostFree(b), hipSuccess);
    cr_assert_eq(hipFreeHost(c), hipSuccess);
    cr_assert_eq(stormlog_double_live_bytes(-1), 10);
}

Test(hip_double, pools_and_streams)
{
    hipStream_t stream = NULL;
    cr_assert_eq(hipStreamCreate(&stream), hipSuccess);
    void *p = NULL, *q = NULL;
    cr_assert_eq(hipMallocAsync(&p, 4096, stream), hipSuccess);
    hipMemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = hipMemAllocationTypePinned;
    props.location.type = hipMemLocationTypeDevice;
    props.location.id = 1;
    hipMemPool_t pool = NULL;
    cr_assert_eq(hipMemPoolCreate(&pool, &props), hipSuccess);
    cr_assert_eq(hipMallocFromPoolAsync(&q, 100, pool, stream), hipSuccess);
    cr_assert_eq(stormlog_double_live_bytes(1), 100);
    cr_assert_eq(hipFreeAsync(p, stream), hipSuccess);
    cr_assert_eq(hipFreeAsync(q, stream), hipSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(0), 4096);
    cr_assert_eq(stormlog_double_reserved_bytes(1), 100);
    hipMemPool_t default_pool = NULL;
    cr_assert_eq(hipDeviceGetDefaultMemPool(&default_pool, 0), hipSuccess);
    cr_assert_eq(hipMemPoolTrimTo(default_pool, 0), hipSuccess);
    cr_assert_eq(hipMemPoolDestroy(pool), hipSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(0), 0);
    cr_assert_eq(stormlog_double_reserved_bytes(1), 0);
    cr_assert_eq(hipDeviceGetDefaultMemPool(&default_pool, 5), hipErrorInvalidDevice);
    cr_assert_eq(hipStreamDestroy(stream), hipSuccess);
    cr_assert_eq(hipDeviceSynchronize(), hipSuccess);
}

Test(hip_double, fail_at_counts_across_both_runtimes)
{
    setenv("STORMLOG_DOUBLE_FAIL_AT", "2", 1);
    stormlog_double_reset();
    void *p = NULL;
    cr_assert_eq(hipMalloc(&p, 1), hipSuccess);
    cr_assert_eq(hipHostMalloc(&p, 1, 0), hipErrorOutOfMemory);
    cr_assert_eq(hipMalloc(&p, 1), hipSuccess);
    int count = 0;
    cr_assert_eq(hipGetDeviceCount(&count), hipSuccess);
    cr_assert_eq(count, stormlog_double_device_count());
}
