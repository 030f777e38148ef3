/* runtime_probe: a program linked to the driver-backed cudart double, whose
 * memory functions reach libcuda.so.1 only through cuGetProcAddress.
 *   nested      cudaMalloc & co.: the runtime hook and the driver hook both
 *               see each allocation; it must be counted once (the runtime
 *               hook's, with metadata.driver_api naming the driver call)
 *   entrypoint  cudaGetDriverEntryPoint / cudaGetDriverEntryPointByVersion
 *               (and _ptsz): the pointer handed out is our wrapper of the
 *               exact variant, and calling it counts once
 * (probe_common.h). */
#include <stdint.h>

#include "cuda_driver_api.h"
#include "cudart_api.h"
#include "probe_common.h"
#include "stormlog_double.h"

#define DEV 1

static int route_nested(void)
{
    CHECK(cudaSetDevice(DEV) == cudaSuccess, "cudaSetDevice");
    void *p = NULL;
    snapshot s = take(DEV);
    CHECK(cudaMalloc(&p, 4096) == cudaSuccess, "cudaMalloc");
    expect_alloc("cudaMalloc -> cuMemAlloc_v2", DEV, &s);
    s = take(DEV);
    CHECK(cudaFree(p) == cudaSuccess, "cudaFree");
    expect_free("cudaFree -> cuMemFree_v2", DEV, &s);

    s = take(DEV);
    CHECK(cudaMallocManaged(&p, 1000, cudaMemAttachGlobal) == cudaSuccess, "cudaMallocManaged");
    expect_alloc("cudaMallocManaged -> cudaMalloc -> cuMemAlloc_v2", DEV, &s);
    s = take(DEV);
    CHECK(cudaFree(p) == cudaSuccess, "cudaFree");
    expect_free("cudaFree (managed)", DEV, &s);

    s = take(DEV);
    CHECK(cudaMallocAsync_ptsz(&p, 700, cudaStreamPerThread) == cudaSuccess, "cudaMallocAsync_ptsz");
    expect_alloc("cudaMallocAsync_ptsz -> cuMemAllocAsync_ptsz", DEV, &s);
    s = take(DEV);
    CHECK(cudaFreeAsync_ptsz(p, cudaStreamPerThread) == cudaSuccess, "cudaFreeAsync_ptsz");
    expect_free("cudaFreeAsync_ptsz -> cuMemFreeAsync_ptsz", DEV, &s);

    /* On a stream of DEV while device 0 is current: the allocation lands on
     * DEV, and the shim (asking the driver where) charges DEV. */
    cudaStream_t stream = NULL;
    CHECK(cudaStreamCreate(&stream) == cudaSuccess, "cudaStreamCreate on device %d", DEV);
    CHECK(cudaSetDevice(0) == cudaSuccess, "cudaSetDevice(0)");
    s = take(DEV);
    CHECK(cudaMallocAsync(&p, 900, stream) == cudaSuccess, "cudaMallocAsync on another device's stream");
    expect_alloc("cudaMallocAsync (stream of another device) -> cuMemAllocAsync", DEV, &s);
    s = take(DEV);
    CHECK(cudaFreeAsync(p, stream) == cudaSuccess, "cudaFreeAsync");
    expect_free("cudaFreeAsync (stream of another device)", DEV, &s);
    CHECK(cudaGetLastError() == cudaSuccess, "an error left behind");
    CHECK(cudaStreamDestroy(stream) == cudaSuccess, "cudaStreamDestroy");
    CHECK(cudaSetDevice(DEV) == cudaSuccess, "cudaSetDevice");

    size_t pitch = 0;
    s = take(DEV);
    CHECK(cudaMallocPitch(&p, &pitch, 100, 4) == cudaSuccess, "cudaMallocPitch");
    expect_alloc("cudaMallocPitch -> cuMemAllocPitch_v2", DEV, &s);
    s = take(DEV);
    CHECK(cudaFree(p) == cudaSuccess, "cudaFree");
    expect_free("cudaFree (pitched)", DEV, &s);

    s = take(-1);
    CHECK(cudaMallocHost(&p, 3000) == cudaSuccess, "cudaMallocHost");
    expect_alloc("cudaMallocHost -> cuMemAllocHost_v2", -1, &s);
    s = take(-1);
    CHECK(cudaFreeHost(p) == cudaSuccess, "cudaFreeHost");
    expect_free("cudaFreeHost -> cuMemFreeHost", -1, &s);

    /* A failure is one failure. */
    s = take(DEV);
    CHECK(cudaMalloc(&p, (size_t)1 << 60) == cudaErrorMemoryAllocation, "oversized cudaMalloc");
    snapshot after = take(DEV);
    CHECK(after.shim.failed_allocations == s.shim.failed_allocations + 1, "OOM counted %" PRIu64 " times",
          after.shim.failed_allocations - s.shim.failed_allocations);
    return probe_result("runtime_probe nested");
}

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* The call first, then the check of what it wrote into var. */
#define ENTRY(what, call, var)                                                                     \
    do {                                                                                           \
        cudaError_t rc_ = (call);                                                                  \
        CHECK(rc_ == cudaSuccess && (var) != NULL, "%s: rc %d", what, (int)rc_);                   \
    } while (0)

static void count_alloc_free(const char *what, void *alloc_fn, void *free_fn)
{
    CUresult (*alloc)(CUdeviceptr *, size_t) = NULL;
    CUresult (*release)(CUdeviceptr) = NULL;
    *(void **)&alloc = alloc_fn;
    *(void **)&release = free_fn;
    if (alloc == NULL || release == NULL)
        return;
    CUdeviceptr ptr = 0;
    snapshot s = take(DEV);
    CHECK(alloc(&ptr, 12345) == 0, "%s", what);
    expect_alloc(what, DEV, &s);
    s = take(DEV);
    CHECK(release(ptr) == 0, "free after %s", what);
    expect_free(what, DEV, &s);
}

static int route_entrypoint(void)
{
    enum cudaDriverEntryPointQueryResult status;
    size_t free_b = 0, total = 0;
    CHECK(cudaSetDevice(DEV) == cudaSuccess, "cudaSetDevice");
    CHECK(cudaMemGetInfo(&free_b, &total) == cudaSuccess, "cudaMemGetInfo (makes the context current)");
    void *fn = NULL, *fr = NULL;

    ENTRY("ByVersion(cuMemAlloc, 12000)",
          cudaGetDriverEntryPointByVersion("cuMemAlloc", &fn, 12000, 0, &status), fn);
    ENTRY("ByVersion(cuMemFree, 11030)",
          cudaGetDriverEntryPointByVersion("cuMemFree", &fr, 11030, 0, &status), fr);
    expect_wrapper("cudaGetDriverEntryPointByVersion(cuMemAlloc)", fn, "cuMemAlloc_v2");
    expect_wrapper("cudaGetDriverEntryPointByVersion(cuMemFree)", fr, "cuMemFree_v2");
    count_alloc_free("cuMemAlloc_v2 via cudaGetDriverEntryPointByVersion", fn, fr);

    ENTRY("cudaGetDriverEntryPoint(cuMemAllocAsync, ptds)",
          cudaGetDriverEntryPoint("cuMemAllocAsync", &fn, cudaEnablePerThreadDefaultStream, &status), fn);
    expect_wrapper("cudaGetDriverEntryPoint(cuMemAllocAsync, per-thread)", fn, "cuMemAllocAsync_ptsz");
    ENTRY("cudaGetDriverEntryPoint(cuMemAllocAsync, legacy)",
          cudaGetDriverEntryPoint("cuMemAllocAsync", &fn, cudaEnableLegacyStream, &status), fn);
    expect_wrapper("cudaGetDriverEntryPoint(cuMemAllocAsync, legacy)", fn, "cuMemAllocAsync");
    ENTRY("ByVersion_ptsz(cuMemFreeAsync)",
          cudaGetDriverEntryPointByVersion_ptsz("cuMemFreeAsync", &fn, 12000, cudaEnableDefault, &status), fn);
    expect_wrapper("cudaGetDriverEntryPointByVersion_ptsz(cuMemFreeAsync, default)", fn, "cuMemFreeAsync_ptsz");
    ENTRY("cudaGetDriverEntryPoint_ptsz(cuMemAlloc)",
          cudaGetDriverEntryPoint_ptsz("cuMemAlloc", &fn, cudaEnableDefault, &status), fn);
    expect_wrapper("cudaGetDriverEntryPoint_ptsz(cuMemAlloc)", fn, "cuMemAlloc_v2");
    ENTRY("ByVersion(cuGetProcAddress, 12000)",
          cudaGetDriverEntryPointByVersion("cuGetProcAddress", &fn, 12000, 0, &status), fn);
    expect_wrapper("cudaGetDriverEntryPointByVersion(cuGetProcAddress, 12000)", fn, "cuGetProcAddress_v2");
    ENTRY("ByVersion(cuGetProcAddress, 11030)",
          cudaGetDriverEntryPointByVersion("cuGetProcAddress", &fn, 11030, 0, &status), fn);
    expect_wrapper("cudaGetDriverEntryPointByVersion(cuGetProcAddress, 11030)", fn, "cuGetProcAddress");

    /* Names we do not track come back as the driver gave them. */
    ENTRY("ByVersion(cuDeviceGet)",
          cudaGetDriverEntryPointByVersion("cuDeviceGet", &fn, 12000, 0, &status), fn);
    CHECK(strcmp(object_of(fn), "libcuda.so.1") == 0, "cuDeviceGet: %s in %s", symbol_of(fn), object_of(fn));
    fn = (void *)1;
    CHECK(cudaGetDriverEntryPointByVersion("cuNoSuchThing", &fn, 12000, 0, &status) == cudaSuccess && fn == NULL
              && status == cudaDriverEntryPointSymbolNotFound,
          "unknown name: want cudaSuccess, NULL, SymbolNotFound");
    return probe_result("runtime_probe entrypoint");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2 || probe_books_init(stormlog_double_live_bytes) != 0) {
        printf("usage: runtime_probe nested|entrypoint (under the shim)\n");
        return 2;
    }
    if (strcmp(argv[1], "nested") == 0)
        return route_nested();
    if (strcmp(argv[1], "entrypoint") == 0)
        return route_entrypoint();
    printf("unknown route %s\n", argv[1]);
    return 2;
}
