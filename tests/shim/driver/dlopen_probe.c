/* dlopen_probe: JAX/XLA's way to the driver. The program is linked to no GPU
 * library: it dlopens libcuda.so.1 RTLD_LOCAL and takes every function with
 * dlsym(handle, ...), the way XLA does before preallocating 75% of the
 * device.
 *   dlsym        cuMemAlloc_v2 / cuMemFree_v2 / cuMemAllocAsync_ptsz ... by name
 *   procaddress  cuGetProcAddress(_v2) by name, then everything through it
 * Every allocation must be counted exactly once (probe_common.h). */
#include <stdint.h>
#include <stdlib.h>

#include "cuda_driver_api.h"
#include "probe_common.h"

#define DEV 1

static void *libcuda;

static void *sym(const char *name)
{
    void *fn = dlsym(libcuda, name);
    CHECK(fn != NULL, "dlsym(libcuda, %s): %s", name, dlerror());
    return fn;
}

#define SYM(var, name) *(void **)&(var) = sym(name)

static void bind_context(void)
{
    CUresult (*init)(unsigned) = NULL;
    CUresult (*retain)(CUcontext *, CUdevice) = NULL;
    CUresult (*set_current)(CUcontext) = NULL;
    SYM(init, "cuInit");
    SYM(retain, "cuDevicePrimaryCtxRetain");
    SYM(set_current, "cuCtxSetCurrent");
    CUcontext ctx = NULL;
    CHECK(init != NULL && retain != NULL && set_current != NULL && init(0) == 0 && retain(&ctx, DEV) == 0
              && set_current(ctx) == 0,
          "context");
}

static int route_dlsym(void)
{
    bind_context();
    CUresult (*alloc)(CUdeviceptr *, size_t) = NULL;
    CUresult (*release)(CUdeviceptr) = NULL;
    CUresult (*info)(size_t *, size_t *) = NULL;
    CUresult (*alloc_async)(CUdeviceptr *, size_t, CUstream) = NULL;
    CUresult (*free_async)(CUdeviceptr, CUstream) = NULL;
    SYM(alloc, "cuMemAlloc_v2");
    SYM(release, "cuMemFree_v2");
    SYM(info, "cuMemGetInfo_v2");
    SYM(alloc_async, "cuMemAllocAsync_ptsz");
    SYM(free_async, "cuMemFreeAsync_ptsz");
    expect_wrapper("dlsym cuMemAlloc_v2", (void *)alloc, "cuMemAlloc_v2");
    expect_wrapper("dlsym cuMemFree_v2", (void *)release, "cuMemFree_v2");
    expect_wrapper("dlsym cuMemAllocAsync_ptsz", (void *)alloc_async, "cuMemAllocAsync_ptsz");
    CHECK(dlsym(libcuda, "cuMemAlloc_v2") == (void *)alloc, "a repeated lookup returned something else");
    /* Untracked names: the driver's own; absent names: NULL, as glibc says. */
    void *get = dlsym(libcuda, "cuDeviceGet");
    CHECK(strcmp(object_of(get), "libcuda.so.1") == 0, "cuDeviceGet from %s", object_of(get));
    CHECK(dlsym(libcuda, "cuMemAlloc") == NULL && dlerror() != NULL, "the 32-bit cuMemAlloc is not exported here");
    if (alloc == NULL || release == NULL || info == NULL || alloc_async == NULL || free_async == NULL)
        return probe_result("dlopen_probe dlsym");

    /* XLA's preallocation: 75% of what the device has free. */
    size_t free_b = 0, total = 0;
    CHECK(info(&free_b, &total) == 0, "cuMemGetInfo_v2");
    CUdeviceptr arena = 0;
    snapshot s = take(DEV);
    CHECK(alloc(&arena, free_b / 4 * 3) == 0, "75%% preallocation of %zu bytes", free_b / 4 * 3);
    expect_alloc("cuMemAlloc_v2 (75% preallocation, dlsym)", DEV, &s);
    CUdeviceptr ptr = 0;
    s = take(DEV);
    CHECK(alloc_async(&ptr, 1000, NULL) == 0, "cuMemAllocAsync_ptsz");
    expect_alloc("cuMemAllocAsync_ptsz (dlsym)", DEV, &s);
    s = take(DEV);
    CHECK(free_async(ptr, NULL) == 0, "cuMemFreeAsync_ptsz");
    expect_free("cuMemFreeAsync_ptsz (dlsym)", DEV, &s);
    s = take(DEV);
    CHECK(release(arena) == 0, "cuMemFree_v2");
    expect_free("cuMemFree_v2 (dlsym)", DEV, &s);
    return probe_result("dlopen_probe dlsym");
}

static int route_procaddress(void)
{
    bind_context();
    CUresult (*get_v1)(const char *, void **, int, cuuint64_t) = NULL;
    CUresult (*get_v2)(const char *, void **, int, cuuint64_t, CUdriverProcAddressQueryResult *) = NULL;
    SYM(get_v1, "cuGetProcAddress");
    SYM(get_v2, "cuGetProcAddress_v2");
    expect_wrapper("dlsym cuGetProcAddress", (void *)get_v1, "cuGetProcAddress");
    expect_wrapper("dlsym cuGetProcAddress_v2", (void *)get_v2, "cuGetProcAddress_v2");
    if (get_v1 == NULL || get_v2 == NULL)
        return probe_result("dlopen_probe procaddress");
    CUresult (*alloc)(CUdeviceptr *, size_t) = NULL;
    CUresult (*release)(CUdeviceptr) = NULL;
    CUdriverProcAddressQueryResult status = 0;
    CHECK(get_v1("cuMemAlloc", (void **)&alloc, 11030, 0) == 0, "cuGetProcAddress(cuMemAlloc, 11030)");
    CHECK(get_v2("cuMemFree", (void **)&release, 12000, 2, &status) == 0, "cuGetProcAddress_v2(cuMemFree, 12000)");
    expect_wrapper("cuMemAlloc@11030", (void *)alloc, "cuMemAlloc_v2");
    expect_wrapper("cuMemFree@12000 ptds", (void *)release, "cuMemFree_v2");
    if (alloc == NULL || release == NULL)
        return probe_result("dlopen_probe procaddress");
    CUdeviceptr ptr = 0;
    snapshot s = take(DEV);
    CHECK(alloc(&ptr, 1 << 20) == 0, "cuMemAlloc_v2");
    expect_alloc("cuMemAlloc_v2 (dlsym + cuGetProcAddress)", DEV, &s);
    s = take(DEV);
    CHECK(release(ptr) == 0, "cuMemFree_v2");
    expect_free("cuMemFree_v2 (dlsym + cuGetProcAddress)", DEV, &s);
    return probe_result("dlopen_probe procaddress");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (libcuda == NULL) {
        printf("FAIL: dlopen(libcuda.so.1): %s\n", dlerror());
        return 1;
    }
    truth_live_fn truth = NULL;
    *(void **)&truth = dlsym(libcuda, "stormlog_double_live_bytes"); /* from the double's core, a dependency */
    if (argc != 2 || truth == NULL || probe_books_init(truth) != 0) {
        printf("usage: dlopen_probe dlsym|procaddress (under the shim)\n");
        return 2;
    }
    if (strcmp(argv[1], "dlsym") == 0)
        return route_dlsym();
    if (strcmp(argv[1], "procaddress") == 0)
        return route_procaddress();
    printf("unknown route %s\n", argv[1]);
    return 2;
}
