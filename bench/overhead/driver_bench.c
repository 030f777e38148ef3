/* driver_bench: what the driver-level hooks cost.
 *
 *   1. dlsym: nanoseconds per lookup through the shim's hooked dlsym against
 *      glibc's own dlsym (taken with dlvsym from libc, so it bypasses the
 *      hook), for a name we do not track ("cuDeviceGet" on the libcuda
 *      handle, "malloc" on RTLD_DEFAULT) and one we do ("cuMemAlloc_v2").
 *   2. The driver route: one cuMemAlloc_v2 + cuMemFree_v2 pair through our
 *      wrapper (what dlsym / cuGetProcAddress hand out under the shim) against
 *      the same pair on the libcuda double's own functions.
 * Both sides run in the same process, alternating, R times; medians are
 * printed. Without the shim preloaded the program re-executes itself under
 * it (STORMLOG_SHIM_PATH), recording to a temporary directory as in
 * production.
 *
 *   driver_bench [--lookups N] [--pairs N] [--repeats R]  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef unsigned int CUresult;
typedef unsigned long long CUdeviceptr;
typedef void *(*dlsym_fn)(void *, const char *);

#define MAX_REPEATS 101

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare);
    return v[n / 2];
}

static volatile uintptr_t sink;

static double time_lookups(dlsym_fn fn, void *handle, const char *name, long n)
{
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        sink += (uintptr_t)fn(handle, name);
    return (double)(now_ns() - t0) / (double)n;
}

static double time_pairs(CUresult (*alloc)(CUdeviceptr *, size_t), CUresult (*release)(CUdeviceptr), long n)
{
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++) {
        CUdeviceptr p = 0;
        if (alloc(&p, 4096) != 0 || release(p) != 0) {
            fprintf(stderr, "driver_bench: allocation failed\n");
            exit(1);
        }
    }
    return (double)(now_ns() - t0) / (double)n;
}

static void *must(void *p, const char *what)
{
    if (p == NULL) {
        fprintf(stderr, "driver_bench: %s: %s\n", what, dlerror());
        exit(1);
    }
    return p;
}

int main(int argc, char **argv)
{
    long lookups = 1000000, pairs = 200000;
    int repeats = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--lookups") == 0)
            lookups = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--pairs") == 0)
            pairs = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--repeats") == 0)
            repeats = atoi(argv[i + 1]);
    }
    if (repeats < 1 || repeats > MAX_REPEATS)
        repeats = 7;

    if (dlsym(RTLD_DEFAULT, "stormlog_shim_version") == NULL) {
        if (getenv("STORMLOG_DRIVER_BENCH_CHILD") != NULL) {
            fprintf(stderr, "driver_bench: the shim did not load\n");
            return 1;
        }
        char dir[] = "/tmp/stormlog-driver-bench-XXXXXX";
        if (mkdtemp(dir) == NULL)
            return 1;
        setenv("LD_PRELOAD", STORMLOG_SHIM_PATH, 1);
        setenv("STORMLOG_OUTPUT_DIR", dir, 1);
        setenv("STORMLOG_DRIVER_BENCH_CHILD", "1", 1);
        setenv("LD_LIBRARY_PATH", STORMLOG_LIBCUDA_DIR, 1);
        execv("/proc/self/exe", argv);
        perror("driver_bench: exec");
        return 1;
    }

    void *libc = must(dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), "libc.so.6");
    dlsym_fn glibc = (dlsym_fn)dlvsym(libc, "dlsym", "GLIBC_2.34");
    if (glibc == NULL)
        glibc = (dlsym_fn)must(dlvsym(libc, "dlsym", "GLIBC_2.2.5"), "glibc's dlsym");
    void *libcuda = must(dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL), "libcuda.so.1");

    static const struct { const char *label; int handle; const char *name; } cases[] = {
        {"untracked: dlsym(libcuda, \"cuDeviceGet\")", 1, "cuDeviceGet"},
        {"untracked: dlsym(RTLD_DEFAULT, \"malloc\")", 0, "malloc"},
        {"untracked: dlsym(libcuda, \"cudnnCreate\") (absent)", 1, "cudnnCreate"},
        {"tracked:   dlsym(libcuda, \"cuMemAlloc_v2\")", 1, "cuMemAlloc_v2"},
    };
    printf("dlsym, ns per lookup (median of %d x %ld)      glibc    hooked   added\n", repeats, lookups);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        void *handle = cases[c].handle ? libcuda : RTLD_DEFAULT;
        double plain[MAX_REPEATS], hooked[MAX_REPEATS];
        for (int r = 0; r < repeats; r++) {
            plain[r] = time_lookups(glibc, handle, cases[c].name, lookups);
            hooked[r] = time_lookups(dlsym, handle, cases[c].name, lookups);
        }
        double p = median(plain, repeats), h = median(hooked, repeats);
        printf("  %-52s %7.1f  %7.1f  %+6.1f\n", cases[c].label, p, h, h - p);
    }

    /* The driver route: cuInit and a context through the double's own functions. */
    CUresult (*init)(unsigned) = must(glibc(libcuda, "cuInit"), "cuInit");
    CUresult (*retain)(void **, int) = must(glibc(libcuda, "cuDevicePrimaryCtxRetain"), "cuDevicePrimaryCtxRetain");
    CUresult (*set_current)(void *) = must(glibc(libcuda, "cuCtxSetCurrent"), "cuCtxSetCurrent");
    void *ctx = NULL;
    if (init(0) != 0 || retain(&ctx, 0) != 0 || set_current(ctx) != 0) {
        fprintf(stderr, "driver_bench: no context\n");
        return 1;
    }
    CUresult (*real_alloc)(CUdeviceptr *, size_t) = must(glibc(libcuda, "cuMemAlloc_v2"), "cuMemAlloc_v2");
    CUresult (*real_free)(CUdeviceptr) = must(glibc(libcuda, "cuMemFree_v2"), "cuMemFree_v2");
    CUresult (*hook_alloc)(CUdeviceptr *, size_t) = must(dlsym(libcuda, "cuMemAlloc_v2"), "hooked cuMemAlloc_v2");
    CUresult (*hook_free)(CUdeviceptr) = must(dlsym(libcuda, "cuMemFree_v2"), "hooked cuMemFree_v2");
    double plain[MAX_REPEATS], hooked[MAX_REPEATS];
    for (int r = 0; r < repeats; r++) {
        plain[r] = time_pairs(real_alloc, real_free, pairs);
        hooked[r] = time_pairs(hook_alloc, hook_free, pairs);
    }
    double p = median(plain, repeats), h = median(hooked, repeats);
    printf("driver route, ns per cuMemAlloc_v2 + cuMemFree_v2 pair (median of %d x %ld)\n", repeats, pairs);
    printf("  %-52s %7.1f  %7.1f  %+6.1f\n", "libcuda double / through the shim's wrappers", p, h, h - p);
    return 0;
}
