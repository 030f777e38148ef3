/* static_probe: a program with the runtime compiled in (the shape of
 * anything linked to libcudart_static.a): its cudaMalloc cannot be
 * interposed, and reaches the driver through dlopen + dlsym +
 * cuGetProcAddress. The shim's driver hooks must count every allocation once
 * (probe_common.h). */
#include "cudart_api.h"
#include "probe_common.h"
#include "stormlog_double.h"

#define DEV 1

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (probe_books_init(stormlog_double_live_bytes) != 0)
        return 2;
    CHECK(dlsym(RTLD_DEFAULT, "cudaMalloc") == NULL || strcmp(object_of(dlsym(RTLD_DEFAULT, "cudaMalloc")),
                                                              "libstormlog_shim.so") == 0,
          "cudaMalloc is exported by something other than the shim: the runtime is not static");
    CHECK(cudaSetDevice(DEV) == cudaSuccess, "cudaSetDevice");
    void *p = NULL;
    snapshot s = take(DEV);
    CHECK(cudaMalloc(&p, 4096) == cudaSuccess, "cudaMalloc");
    expect_alloc("static cudaMalloc -> cuMemAlloc_v2", DEV, &s);
    s = take(DEV);
    CHECK(cudaFree(p) == cudaSuccess, "cudaFree");
    expect_free("static cudaFree -> cuMemFree_v2", DEV, &s);
    s = take(DEV);
    CHECK(cudaMallocManaged(&p, 100, cudaMemAttachGlobal) == cudaSuccess, "cudaMallocManaged");
    expect_alloc("static cudaMallocManaged -> cuMemAlloc_v2", DEV, &s);
    s = take(DEV);
    CHECK(cudaFree(p) == cudaSuccess, "cudaFree");
    expect_free("static cudaFree (managed)", DEV, &s);
    s = take(DEV);
    CHECK(cudaMallocAsync_ptsz(&p, 256, cudaStreamPerThread) == cudaSuccess, "cudaMallocAsync_ptsz");
    expect_alloc("static cudaMallocAsync_ptsz -> cuMemAllocAsync_ptsz", DEV, &s);
    s = take(DEV);
    CHECK(cudaFreeAsync_ptsz(p, cudaStreamPerThread) == cudaSuccess, "cudaFreeAsync_ptsz");
    expect_free("static cudaFreeAsync_ptsz", DEV, &s);
    s = take(-1);
    CHECK(cudaHostAlloc(&p, 999, cudaHostAllocPortable) == cudaSuccess, "cudaHostAlloc");
    expect_alloc("static cudaHostAlloc -> cuMemHostAlloc", -1, &s);
    s = take(-1);
    CHECK(cudaFreeHost(p) == cudaSuccess, "cudaFreeHost");
    expect_free("static cudaFreeHost -> cuMemFreeHost", -1, &s);
    return probe_result("static_probe");
}
