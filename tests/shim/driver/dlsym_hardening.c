/* dlsym_hardening: the shim's dlsym hook must be invisible for every name it
 * does not track. Under the shim, for NAMES lookups (10,000 by default:
 * libc functions, driver functions we do not wrap, near misses of the names
 * we do - cuMemAlloc_v2x, cuMemAlloc_v - and generated cudnn*, cublas*,
 * curl_*, cuda*, nccl*, omp_* names) on four handles (RTLD_DEFAULT,
 * RTLD_NEXT, libc, a dlopened libcuda), the hooked dlsym must return exactly
 * what glibc's own dlsym returns from the same caller, with the same dlerror()
 * text; the names we do track must come back as our wrapper wherever glibc
 * finds them and NULL where it does not. Then 16 threads repeat the lookups
 * concurrently; and early_lookup.so (a dependency, so its constructor runs
 * before the preloaded shim's) reports the lookups it made then.
 *
 *   dlsym_hardening [NAMES]      (STORMLOG_DLSYM_TEST_NAMES also sets it) */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "probe_common.h"

typedef void *(*dlsym_fn)(void *, const char *);

int early_lookup_failures(void);
int early_lookup_checks(void);

static dlsym_fn glibc_dlsym;
static void *handles[4];
static const char *handle_names[4] = {"RTLD_DEFAULT", "RTLD_NEXT", "libc.so.6", "libcuda.so.1"};

static const char *const tracked[] = {
    "cuMemAlloc_v2", "cuMemAllocPitch_v2", "cuMemAllocManaged", "cuMemFree_v2", "cuMemAllocAsync",
    "cuMemAllocAsync_ptsz", "cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync_ptsz", "cuMemFreeAsync",
    "cuMemFreeAsync_ptsz", "cuMemCreate", "cuMemRelease", "cuMemMap", "cuMemUnmap", "cuMemHostAlloc", "cuMemAllocHost_v2",
    "cuMemFreeHost", "cuMemGetInfo_v2", "cuGetProcAddress", "cuGetProcAddress_v2",
};

static const char *const fixed[] = {
    /* libc */
    "malloc", "free", "calloc", "realloc", "printf", "fprintf", "strlen", "strcmp", "memcpy", "memset", "open",
    "close", "read", "write", "pthread_create", "pthread_join", "pthread_mutex_lock", "dlopen", "dlclose", "dlsym",
    "dlvsym", "dlerror", "dladdr", "_exit", "exit", "abort", "getenv", "setenv", "mmap", "munmap", "qsort",
    "bsearch", "strtol", "snprintf", "clock_gettime", "nanosleep", "sched_yield", "fork", "execve", "__libc_start_main",
    /* driver functions we do not wrap, and the 32-bit ones the double lacks */
    "cuInit", "cuDriverGetVersion", "cuDeviceGet", "cuDeviceGetCount", "cuCtxGetDevice", "cuCtxSetCurrent",
    "cuCtxGetCurrent", "cuDevicePrimaryCtxRetain", "cuMemAddressReserve",
    "cuMemAddressFree", "cuGetExportTable", "cuDeviceGetDefaultMemPool", "cuMemAlloc", "cuMemFree", "cuMemGetInfo",
    "cuMemAllocHost", "cuMemAllocPitch",
    /* near misses of what we track */
    "cuMemAlloc_v2x", "cuMemAlloc_v", "cuMemAlloc_v3", "cuMemAlloc_V2", "cuMemAlloc_v2 ", "cuGetProcAddress_v3",
    "cuGetProcAddress_", "cuMemCreateX", "cuMemMapX", "cuMemUnma", "cuMem", "cu", "c", "", "CuMemAlloc_v2", "cumemalloc_v2",
    "cudaMalloc", "cudaFree", "cudaGetDriverEntryPoint", "cudnnCreate", "cublasCreate_v2", "curl_easy_init",
    /* the shim's own exports */
    "stormlog_shim_version", "stormlog_shim_device_counters",
};

static const char *const prefixes[] = {"cudnn", "cublas", "cublasLt", "curl_easy_", "curl_", "cuda", "cu", "cuMem",
                                       "cuMemAlloc_v2_", "nccl", "omp_", "__kmp_", "GOMP_", "cufft", "cusparse", "x"};

static char **names;
static size_t name_count;

static void build_names(size_t count)
{
    names = calloc(count, sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < sizeof tracked / sizeof tracked[0] && n < count; i++)
        names[n++] = strdup(tracked[i]);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && n < count; i++)
        names[n++] = strdup(fixed[i]);
    static const char *const stems[] = {"Create", "Destroy", "Get", "Set", "Alloc", "Free", "Init", "perform"};
    for (unsigned i = 0; n < count; i++) {
        char buf[96];
        snprintf(buf, sizeof buf, "%s%s%u", prefixes[i % (sizeof prefixes / sizeof prefixes[0])],
                 stems[(i / 7) % (sizeof stems / sizeof stems[0])], i);
        names[n++] = strdup(buf);
    }
    name_count = n;
}

static bool is_tracked(const char *name)
{
    for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++)
        if (strcmp(tracked[i], name) == 0)
            return true;
    return false;
}

/* What the hooked dlsym must return for (handle, name), per glibc. The
 * noinline keeps both calls in this function: same caller for RTLD_NEXT. */
typedef struct lookup {
    void *got;
    void *want;
    bool got_error;
    bool want_error;
    char got_msg[160];
    char want_msg[160];
} lookup;

static __attribute__((noinline)) void look(void *handle, const char *name, lookup *out)
{
    dlerror();
    out->got = dlsym(handle, name);
    const char *err = dlerror();
    out->got_error = err != NULL;
    snprintf(out->got_msg, sizeof out->got_msg, "%s", err != NULL ? err : "");
    out->want = glibc_dlsym(handle, name);
    err = dlerror();
    out->want_error = err != NULL;
    snprintf(out->want_msg, sizeof out->want_msg, "%s", err != NULL ? err : "");
}

/* 0 when the hooked lookup is right. */
static int verify(int h, const char *name, const lookup *l, bool report)
{
    int bad = 0;
    if (is_tracked(name) && l->want != NULL) {
        bad = strncmp(object_of(l->got), "libstormlog_shim.so", 19) != 0 || strcmp(symbol_of(l->got), name) != 0;
        if (bad && report)
            printf("FAIL dlsym(%s, %s): got %s in %s, want the shim's wrapper\n", handle_names[h], name,
                   symbol_of(l->got), object_of(l->got));
        return bad;
    }
    bad = l->got != l->want || l->got_error != l->want_error || strcmp(l->got_msg, l->want_msg) != 0;
    if (bad && report)
        printf("FAIL dlsym(%s, \"%s\"): got %p (%s) error \"%s\", glibc %p (%s) error \"%s\"\n", handle_names[h], name,
               l->got, object_of(l->got), l->got_msg, l->want, object_of(l->want), l->want_msg);
    return bad;
}

typedef struct worker {
    unsigned seed;
    int failures;
    size_t lookups;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    lookup l;
    for (size_t i = 0; i < name_count; i++) {
        size_t k = (i * 2654435761u + w->seed) % name_count;
        int h = (int)((k + w->seed) % 4);
        look(handles[h], names[k], &l);
        w->failures += verify(h, names[k], &l, w->failures < 5);
        w->lookups++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    size_t count = 10000;
    const char *env = getenv("STORMLOG_DLSYM_TEST_NAMES");
    if (argc > 1)
        count = strtoul(argv[1], NULL, 10);
    else if (env != NULL)
        count = strtoul(env, NULL, 10);
    if (dlsym(RTLD_DEFAULT, "stormlog_shim_version") == NULL) {
        printf("FAIL: the shim is not loaded\n");
        return 1;
    }
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    CHECK(libc != NULL, "libc.so.6 handle");
    /* glibc's own dlsym, looked up in libc only: the shim's unversioned
     * export cannot answer a lookup scoped to libc. */
    *(void **)&glibc_dlsym = dlvsym(libc, "dlsym", "GLIBC_2.34");
    if (glibc_dlsym == NULL)
        *(void **)&glibc_dlsym = dlvsym(libc, "dlsym", "GLIBC_2.2.5");
    CHECK(glibc_dlsym != NULL && strncmp(object_of((void *)glibc_dlsym), "libc.so", 7) == 0,
          "glibc's dlsym: %s", object_of((void *)glibc_dlsym));
    void *libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    CHECK(libcuda != NULL, "dlopen(libcuda.so.1): %s", dlerror());
    if (probe_failures != 0)
        return probe_result("dlsym_hardening");
    handles[0] = RTLD_DEFAULT;
    handles[1] = RTLD_NEXT;
    handles[2] = libc;
    handles[3] = libcuda;

    build_names(count);
    size_t checked = 0, wrapped = 0;
    lookup l;
    for (size_t i = 0; i < name_count; i++) {
        for (int h = 0; h < 4; h++) {
            look(handles[h], names[i], &l);
            if (verify(h, names[i], &l, probe_failures < 20) != 0)
                probe_failures++;
            checked++;
            wrapped += is_tracked(names[i]) && l.want != NULL;
        }
    }
    printf("ok   %zu lookups of %zu names on 4 handles: %zu wrapped, the rest as glibc answered\n", checked, name_count,
           wrapped);
    CHECK(wrapped >= 2 * (sizeof tracked / sizeof tracked[0]), "only %zu tracked lookups found something", wrapped);

    enum { THREADS = 16 };
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        workers[t] = (worker){.seed = t * 7919u + 1};
        CHECK(pthread_create(&threads[t], NULL, work, &workers[t]) == 0, "thread %u", t);
    }
    size_t lookups = 0;
    for (unsigned t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        probe_failures += workers[t].failures;
        lookups += workers[t].lookups;
    }
    printf("ok   %zu concurrent lookups on %d threads\n", lookups, THREADS);

    CHECK(early_lookup_checks() > 0, "early_lookup.so's constructor made no lookups");
    CHECK(early_lookup_failures() == 0, "%d lookups made in a constructor before the shim's were wrong",
          early_lookup_failures());
    printf("ok   %d lookups from a constructor that ran before the shim's\n", early_lookup_checks());
    for (size_t i = 0; i < name_count; i++)
        free(names[i]);
    free(names);
    dlclose(libcuda);
    dlclose(libc);
    return probe_result("dlsym_hardening");
}
