/* driver_probe: a program linked to libcuda.so.1 (the double), calling the
 * driver's allocation API
 *   plt          directly, through the PLT (every wrapped variant)
 *   procaddress  through cuGetProcAddress / cuGetProcAddress_v2, with CUDA
 *                versions 11030 and 12000 and the per-thread flag
 *   vmm          cuMemCreate / cuMemMap / cuMemUnmap / cuMemRelease from a
 *                thread that has no context
 * and checking that the shim counted each call exactly once (probe_common.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "cuda_driver_api.h"
#include "probe_common.h"
#include "stormlog_double.h"

#define DEV 1

static void bind_context(int device)
{
    CUcontext ctx = NULL;
    CHECK(cuInit(0) == 0, "cuInit");
    CHECK(cuDevicePrimaryCtxRetain(&ctx, device) == 0 && cuCtxSetCurrent(ctx) == 0, "context of device %d", device);
}

/* ---- plt ------------------------------------------------------------------ */

static void alloc_free(const char *what, CUresult (*alloc)(CUdeviceptr *, size_t), size_t size)
{
    CUdeviceptr ptr = 0;
    snapshot s = take(DEV);
    CHECK(alloc(&ptr, size) == 0, "%s", what);
    expect_alloc(what, DEV, &s);
    s = take(DEV);
    CHECK(cuMemFree_v2(ptr) == 0, "cuMemFree_v2 after %s", what);
    expect_free("cuMemFree_v2", DEV, &s);
}

static CUresult managed(CUdeviceptr *p, size_t n) { return cuMemAllocManaged(p, n, SL_CU_MEM_ATTACH_GLOBAL); }
static CUresult pitched(CUdeviceptr *p, size_t n)
{
    size_t pitch = 0;
    return cuMemAllocPitch_v2(p, &pitch, n, 3, 4);
}

static int route_plt(void)
{
    bind_context(DEV);
    alloc_free("cuMemAlloc_v2", cuMemAlloc_v2, 4096);
    alloc_free("cuMemAllocManaged", managed, 1000);
    alloc_free("cuMemAllocPitch_v2", pitched, 100);

    CUresult (*async_alloc[2])(CUdeviceptr *, size_t, CUstream) = {cuMemAllocAsync, cuMemAllocAsync_ptsz};
    CUresult (*async_free[2])(CUdeviceptr, CUstream) = {cuMemFreeAsync, cuMemFreeAsync_ptsz};
    CUresult (*pool_alloc[2])(CUdeviceptr *, size_t, CUmemoryPool, CUstream) = {cuMemAllocFromPoolAsync,
                                                                                  cuMemAllocFromPoolAsync_ptsz};
    CUmemoryPool pool = NULL;
    CHECK(cuDeviceGetDefaultMemPool(&pool, DEV) == 0, "default pool");
    for (int v = 0; v < 2; v++) {
        CUdeviceptr ptr = 0;
        snapshot s = take(DEV);
        CHECK(async_alloc[v](&ptr, 768, NULL) == 0, "cuMemAllocAsync%s", v ? "_ptsz" : "");
        expect_alloc(v ? "cuMemAllocAsync_ptsz" : "cuMemAllocAsync", DEV, &s);
        s = take(DEV);
        CHECK(async_free[v](ptr, NULL) == 0, "cuMemFreeAsync%s", v ? "_ptsz" : "");
        expect_free(v ? "cuMemFreeAsync_ptsz" : "cuMemFreeAsync", DEV, &s);
        s = take(DEV);
        CHECK(pool_alloc[v](&ptr, 2048, pool, NULL) == 0, "cuMemAllocFromPoolAsync%s", v ? "_ptsz" : "");
        expect_alloc(v ? "cuMemAllocFromPoolAsync_ptsz" : "cuMemAllocFromPoolAsync", DEV, &s);
        s = take(DEV);
        CHECK(cuMemFree_v2(ptr) == 0, "cuMemFree_v2 of a pool allocation");
        expect_free("cuMemFree_v2 (pool)", DEV, &s);
    }

    /* Stream-ordered allocations land on the stream's or the pool's device,
     * whatever the current context: here DEV's stream and pool, with the
     * context of device 0 current. */
    CUstream stream = NULL;
    CHECK(cuStreamCreate(&stream, 0) == 0, "cuStreamCreate on device %d", DEV);
    bind_context(0);
    for (int v = 0; v < 2; v++) {
        CUdeviceptr ptr = 0;
        snapshot s = take(DEV);
        CHECK(async_alloc[v](&ptr, 640, stream) == 0, "cuMemAllocAsync%s on another device's stream", v ? "_ptsz" : "");
        expect_alloc("cuMemAllocAsync (stream of another device)", DEV, &s);
        s = take(DEV);
        CHECK(async_free[v](ptr, stream) == 0, "cuMemFreeAsync%s", v ? "_ptsz" : "");
        expect_free("cuMemFreeAsync (stream of another device)", DEV, &s);
        s = take(DEV);
        CHECK(pool_alloc[v](&ptr, 1536, pool, NULL) == 0, "cuMemAllocFromPoolAsync%s, another device's pool",
              v ? "_ptsz" : "");
        expect_alloc("cuMemAllocFromPoolAsync (pool of another device)", DEV, &s);
        s = take(DEV);
        CHECK(async_free[v](ptr, NULL) == 0, "cuMemFreeAsync of a pool allocation");
        expect_free("cuMemFreeAsync (pool of another device)", DEV, &s);
    }
    CHECK(cuStreamDestroy_v2(stream) == 0, "cuStreamDestroy_v2");
    bind_context(DEV);

    void *host = NULL;
    snapshot s = take(-1);
    CHECK(cuMemHostAlloc(&host, 5000, SL_CU_MEMHOSTALLOC_PORTABLE) == 0, "cuMemHostAlloc");
    expect_alloc("cuMemHostAlloc", -1, &s);
    s = take(-1);
    CHECK(cuMemFreeHost(host) == 0, "cuMemFreeHost");
    expect_free("cuMemFreeHost", -1, &s);
    s = take(-1);
    CHECK(cuMemAllocHost_v2(&host, 64) == 0, "cuMemAllocHost_v2");
    expect_alloc("cuMemAllocHost_v2", -1, &s);
    s = take(-1);
    CHECK(cuMemFreeHost(host) == 0, "cuMemFreeHost");
    expect_free("cuMemFreeHost", -1, &s);

    /* A failed call is counted as a failure, not an allocation. */
    CUdeviceptr ptr = 0;
    s = take(DEV);
    CHECK(cuMemAlloc_v2(&ptr, (size_t)1 << 60) == SL_CU_ERROR_OUT_OF_MEMORY, "oversized cuMemAlloc_v2");
    snapshot after = take(DEV);
    CHECK(after.shim.failed_allocations == s.shim.failed_allocations + 1 && after.shim.allocations == s.shim.allocations,
          "OOM counted as %" PRIu64 " failures, %" PRIu64 " allocations",
          after.shim.failed_allocations - s.shim.failed_allocations, after.shim.allocations - s.shim.allocations);
    size_t free_b = 0, total = 0;
    CHECK(cuMemGetInfo_v2(&free_b, &total) == 0 && total > 0, "cuMemGetInfo_v2");
    return probe_result("driver_probe plt");
}

/* ---- procaddress ----------------------------------------------------------- */

typedef CUresult (*get_proc_v2)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *);
typedef CUresult (*get_proc_v1)(const char *, void **, int, cuuint64_t);

static void *ask(get_proc_v2 get, const char *symbol, int version, cuuint64_t flags)
{
    void *fn = NULL;
    CUdriverProcAddressQueryResult status = 99;
    CUresult rc = get(symbol, &fn, version, flags, &status);
    CHECK(rc == 0 && status == 0 && fn != NULL, "cuGetProcAddress_v2(%s, %d, %llu): rc %u status %u", symbol, version,
          (unsigned long long)flags, rc, status);
    return fn;
}

static int route_procaddress(void)
{
    bind_context(DEV);
    const cuuint64_t ptds = SL_CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
    get_proc_v2 get = cuGetProcAddress_v2; /* through the PLT: the shim's */
    expect_wrapper("cuGetProcAddress_v2 (PLT)", (void *)get, "cuGetProcAddress_v2");

    /* The pointer handed out for cuGetProcAddress itself, by version. */
    void *v1 = ask(get, "cuGetProcAddress", 11030, 0);
    void *v2 = ask(get, "cuGetProcAddress", 12000, 0);
    expect_wrapper("cuGetProcAddress@11030", v1, "cuGetProcAddress");
    expect_wrapper("cuGetProcAddress@12000", v2, "cuGetProcAddress_v2");

    static const struct { int version; cuuint64_t flags; } asks[] = {{11030, 0}, {12000, 0}, {12000, 2}, {11030, 1}};
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        char what[96];
        int version = asks[i].version;
        cuuint64_t flags = asks[i].flags;
        CUresult (*alloc)(CUdeviceptr *, size_t) = NULL;
        CUresult (*release)(CUdeviceptr) = NULL;
        *(void **)&alloc = ask((get_proc_v2)v2, "cuMemAlloc", version, flags);
        *(void **)&release = ask((get_proc_v2)v2, "cuMemFree", version, flags);
        snprintf(what, sizeof what, "cuMemAlloc@%d flags %llu", version, (unsigned long long)flags);
        expect_wrapper(what, (void *)alloc, "cuMemAlloc_v2");
        expect_wrapper(what, (void *)release, "cuMemFree_v2");
        if (alloc == NULL || release == NULL)
            continue;
        CUdeviceptr ptr = 0;
        snapshot s = take(DEV);
        CHECK(alloc(&ptr, 8192) == 0, "%s", what);
        expect_alloc(what, DEV, &s);
        s = take(DEV);
        CHECK(release(ptr) == 0, "free after %s", what);
        expect_free(what, DEV, &s);

        /* The stream-ordered variant the flags ask for. */
        const char *want = (flags & ptds) ? "cuMemAllocAsync_ptsz" : "cuMemAllocAsync";
        CUresult (*alloc_async)(CUdeviceptr *, size_t, CUstream) = NULL;
        CUresult (*free_async)(CUdeviceptr, CUstream) = NULL;
        *(void **)&alloc_async = ask(get, "cuMemAllocAsync", version, flags);
        *(void **)&free_async = ask(get, "cuMemFreeAsync", version, flags);
        snprintf(what, sizeof what, "cuMemAllocAsync@%d flags %llu", version, (unsigned long long)flags);
        expect_wrapper(what, (void *)alloc_async, want);
        expect_wrapper(what, (void *)free_async, (flags & ptds) ? "cuMemFreeAsync_ptsz" : "cuMemFreeAsync");
        if (alloc_async == NULL || free_async == NULL)
            continue;
        s = take(DEV);
        CHECK(alloc_async(&ptr, 512, NULL) == 0, "%s", what);
        expect_alloc(what, DEV, &s);
        s = take(DEV);
        CHECK(free_async(ptr, NULL) == 0, "free after %s", what);
        expect_free(what, DEV, &s);
    }

    /* The v1 lookup function, and names we do not track: exactly the driver's. */
    void *fn = NULL;
    CHECK(((get_proc_v1)v1)("cuMemCreate", &fn, 12000, 0) == 0, "cuGetProcAddress(cuMemCreate)");
    expect_wrapper("cuMemCreate via cuGetProcAddress", fn, "cuMemCreate");
    void *untracked = ask(get, "cuDeviceGet", 12000, 0);
    CHECK(untracked == (void *)cuDeviceGet || strcmp(object_of(untracked), "libcuda.so.1") == 0,
          "cuDeviceGet: got %s in %s, want the driver's", symbol_of(untracked), object_of(untracked));
    expect_wrapper("cuMemMap via cuGetProcAddress_v2", ask(get, "cuMemMap", 12000, 0), "cuMemMap");
    expect_wrapper("cuMemUnmap via cuGetProcAddress_v2", ask(get, "cuMemUnmap", 11030, 2), "cuMemUnmap");
    void *reserve = ask(get, "cuMemAddressReserve", 12000, 0);
    CHECK(strcmp(object_of(reserve), "libcuda.so.1") == 0, "cuMemAddressReserve is not ours to wrap: got %s",
          object_of(reserve));
    /* Failures come back as the driver gave them. */
    CUdriverProcAddressQueryResult status = 99;
    fn = (void *)1;
    CHECK(get("cuMemAlloc", &fn, 3000, 0, &status) == SL_CU_ERROR_NOT_FOUND && status == 2 && fn == NULL,
          "cuMemAlloc@3000: want NOT_FOUND / VERSION_NOT_SUFFICIENT");
    CHECK(get("cuNoSuchFunction", &fn, 12000, 0, &status) == SL_CU_ERROR_NOT_FOUND && status == 1 && fn == NULL,
          "unknown symbol: want NOT_FOUND / SYMBOL_NOT_FOUND");
    CHECK(get("cuMemAlloc", &fn, 12000, 64, &status) == SL_CU_ERROR_INVALID_VALUE, "bad flags: want INVALID_VALUE");
    return probe_result("driver_probe procaddress");
}

/* ---- vmm ------------------------------------------------------------------ */

typedef struct vmm_api {
    CUresult (*create)(CUmemGenericAllocationHandle *, size_t, const CUmemAllocationProp *, unsigned long long);
    CUresult (*map)(CUdeviceptr, size_t, size_t, CUmemGenericAllocationHandle, unsigned long long);
    CUresult (*unmap)(CUdeviceptr, size_t);
    CUresult (*release)(CUmemGenericAllocationHandle);
} vmm_api;

/* Mapping and unmapping count nothing, on any device: the physical memory
 * was counted when it was created. */
static void expect_no_count(const char *what, const snapshot *dev, const snapshot *dev0)
{
    snapshot a = take(DEV), z = take(0);
    CHECK(a.truth == dev->truth, "%s changed the truth on device %d", what, DEV);
    CHECK(a.shim.allocated_bytes == dev->shim.allocated_bytes && a.shim.allocations == dev->shim.allocations
              && a.shim.frees == dev->shim.frees && a.shim.failed_allocations == dev->shim.failed_allocations
              && a.shim.unmatched_frees == dev->shim.unmatched_frees,
          "%s changed the counts on device %d", what, DEV);
    CHECK(z.shim.allocated_bytes == dev0->shim.allocated_bytes && z.shim.allocations == dev0->shim.allocations
              && z.shim.failed_allocations == dev0->shim.failed_allocations,
          "%s changed the counts on device 0", what);
    printf("ok   %s: nothing counted\n", what);
}

/* From a thread with no context: create -> map twice (side by side) -> a
 * refused map of each kind -> one unmap of both -> a refused unmap ->
 * create, map, release the handle while mapped, unmap -> release. The
 * recording is checked by driver_check.py (case vmm). */
static void *vmm_thread(void *arg)
{
    const vmm_api *api = arg;
    CUdevice dev = -1;
    CHECK(cuCtxGetDevice(&dev) == SL_CU_ERROR_INVALID_CONTEXT, "the VMM thread must have no context");
    CUmemAllocationProp prop;
    memset(&prop, 0, sizeof prop);
    prop.type = SL_CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.location.type = SL_CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = DEV;
    const size_t chunk = 2u << 20;
    CUmemGenericAllocationHandle handle = 0, second = 0;
    snapshot s0 = take(0), s = take(DEV);
    CHECK(api->create(&handle, 2 * chunk, &prop, 0) == 0, "cuMemCreate");
    expect_alloc("cuMemCreate (no context)", DEV, &s);
    snapshot z = take(0);
    CHECK(z.shim.allocated_bytes == s0.shim.allocated_bytes && z.shim.allocations == s0.shim.allocations,
          "cuMemCreate for device %d charged device 0", DEV);

    CUdeviceptr va = 0;
    CHECK(cuMemAddressReserve(&va, 6 * chunk, 0, 0, 0) == 0, "cuMemAddressReserve");
    s = take(DEV);
    s0 = take(0);
    CHECK(api->map(va, 2 * chunk, 0, handle, 0) == 0 && api->map(va + 2 * chunk, 2 * chunk, 0, handle, 0) == 0,
          "cuMemMap");
    expect_no_count("cuMemMap x2", &s, &s0);
    CHECK(api->map(va, 2 * chunk, 0, handle, 0) == SL_CU_ERROR_INVALID_VALUE, "cuMemMap of a mapped range");
    CHECK(api->map(va + 4 * chunk, chunk, 0, handle + 256, 0) == SL_CU_ERROR_INVALID_HANDLE,
          "cuMemMap of an unknown handle");
    expect_no_count("refused cuMemMap x2", &s, &s0);
    CHECK(api->unmap(va, 4 * chunk) == 0, "cuMemUnmap of both mappings");
    CHECK(api->unmap(va, 2 * chunk) == SL_CU_ERROR_INVALID_VALUE, "cuMemUnmap of an unmapped range");
    expect_no_count("cuMemUnmap, and a refused one", &s, &s0);

    /* The handle released while still mapped: the unmap still knows its device. */
    s = take(DEV);
    CHECK(api->create(&second, chunk, &prop, 0) == 0, "second cuMemCreate");
    expect_alloc("second cuMemCreate", DEV, &s);
    CHECK(api->map(va + 4 * chunk, chunk, 0, second, 0) == 0, "cuMemMap of the second handle");
    s = take(DEV);
    CHECK(api->release(second) == 0, "cuMemRelease while mapped");
    expect_free("cuMemRelease while mapped", DEV, &s);
    s = take(DEV);
    s0 = take(0);
    CHECK(api->unmap(va + 4 * chunk, chunk) == 0, "cuMemUnmap after the release");
    expect_no_count("cuMemUnmap after the release", &s, &s0);
    CHECK(cuMemAddressFree(va, 6 * chunk) == 0, "cuMemAddressFree");

    s = take(DEV);
    CHECK(api->release(handle) == 0, "cuMemRelease");
    expect_free("cuMemRelease (no context)", DEV, &s);
    return NULL;
}

static void *proc(const char *symbol, const char *wrapper)
{
    void *fn = NULL;
    CUdriverProcAddressQueryResult status = 99;
    CHECK(cuGetProcAddress_v2(symbol, &fn, 12000, 0, &status) == 0 && status == 0, "cuGetProcAddress(%s)", symbol);
    expect_wrapper(symbol, fn, wrapper);
    return fn;
}

static int route_vmm(void)
{
    CHECK(cuInit(0) == 0, "cuInit");
    vmm_api plt = {cuMemCreate, cuMemMap, cuMemUnmap, cuMemRelease};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, vmm_thread, &plt) == 0, "thread");
    pthread_join(t, NULL);
    /* The same through cuGetProcAddress. */
    vmm_api looked_up;
    *(void **)&looked_up.create = proc("cuMemCreate", "cuMemCreate");
    *(void **)&looked_up.map = proc("cuMemMap", "cuMemMap");
    *(void **)&looked_up.unmap = proc("cuMemUnmap", "cuMemUnmap");
    *(void **)&looked_up.release = proc("cuMemRelease", "cuMemRelease");
    if (looked_up.create != NULL && looked_up.map != NULL && looked_up.unmap != NULL && looked_up.release != NULL) {
        CHECK(pthread_create(&t, NULL, vmm_thread, &looked_up) == 0, "thread");
        pthread_join(t, NULL);
    }
    return probe_result("driver_probe vmm");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2 || probe_books_init(stormlog_double_live_bytes) != 0) {
        printf("usage: driver_probe plt|procaddress|vmm (under the shim)\n");
        return 2;
    }
    if (strcmp(argv[1], "plt") == 0)
        return route_plt();
    if (strcmp(argv[1], "procaddress") == 0)
        return route_procaddress();
    if (strcmp(argv[1], "vmm") == 0)
        return route_vmm();
    printf("unknown route %s\n", argv[1]);
    return 2;
}
