/* api_probe: calls every interposed CUDA and HIP entry point once, against
 * the runtime doubles, and checks after each call that the shim counted it
 * (and its free) exactly: the shim's counters (stormlog_shim_device_counters)
 * move by the same bytes as the double's ground truth, on the right device.
 *
 * It also prints a transcript (return code, errno, out-parameters) of every
 * call; the driver runs it with and without the shim and requires identical
 * transcripts: the shim changes no return value, out-parameter or errno.
 *
 *   api_probe counting|bare   ("bare": no shim expected; only the transcript)
 *   api_probe errors          run with STORMLOG_DOUBLE_FAIL_QUERIES=1 (the
 *                             MemGetInfo and pointer queries the shim makes
 *                             fail): stream-ordered allocations on another
 *                             device's stream leave the runtime's last error
 *                             as the program left it (none, or its own)
 *   api_probe race PAIRS      8 threads of tight cudaMalloc/cudaFree pairs of
 *                             one size: the double hands the address just freed
 *                             by one thread to the next caller, the race in
 *                             which a free that looked its pointer up after the
 *                             call would take another thread's new block
 * Exit status: 0 when every check passed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_api.h"
#include "stormlog/shim.h"
#include "stormlog_double.h"

cudaError_t cudaSetDevice(int device);
cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t *pool, int device);
hipError_t hipSetDevice(int device);
hipError_t hipStreamCreate(hipStream_t *stream);
hipError_t hipStreamDestroy(hipStream_t stream);
hipError_t hipDeviceGetDefaultMemPool(hipMemPool_t *pool, int device);

#define ERRNO_MARK 4242 /* set before each call: the call must leave it as the real one does */

static int failures;
static int (*shim_counters)(int, stormlog_shim_counters *);

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

typedef struct snapshot {
    stormlog_shim_counters shim;
    long long truth_live;
} snapshot;

static snapshot take(int device)
{
    snapshot s;
    memset(&s, 0, sizeof s);
    if (shim_counters != NULL)
        shim_counters(device, &s.shim);
    s.truth_live = stormlog_double_live_bytes(device);
    return s;
}

static void transcript(const char *api, unsigned rc, int err, const void *ptr, size_t extra)
{
    printf("%s rc=%u errno=%d ptr=%p extra=%zu\n", api, rc, err, ptr, extra);
}

/* After an allocation: the shim moved by what the double moved, +1 allocation. */
static void expect_alloc(const char *api, int device, const snapshot *before)
{
    snapshot after = take(device);
    long long truth_delta = after.truth_live - before->truth_live;
    CHECK(truth_delta > 0, "%s: the double allocated nothing on device %d", api, device);
    if (shim_counters == NULL)
        return;
    CHECK(after.shim.allocated_bytes - before->shim.allocated_bytes == truth_delta,
          "%s on device %d: shim +%" PRId64 " bytes, truth +%lld", api, device,
          after.shim.allocated_bytes - before->shim.allocated_bytes, truth_delta);
    CHECK(after.shim.allocations == before->shim.allocations + 1, "%s: allocations %" PRIu64 " -> %" PRIu64,
          api, before->shim.allocations, after.shim.allocations);
    CHECK(after.shim.live_allocations == before->shim.live_allocations + 1, "%s: live allocations", api);
}

/* After the matching free: back to where we were, +1 free. */
static void expect_free(const char *api, int device, const snapshot *before_alloc)
{
    snapshot after = take(device);
    CHECK(after.truth_live == before_alloc->truth_live, "%s: the double did not free", api);
    if (shim_counters == NULL)
        return;
    CHECK(after.shim.allocated_bytes == before_alloc->shim.allocated_bytes,
          "%s on device %d: shim left %" PRId64 " bytes, expected %" PRId64, api, device,
          after.shim.allocated_bytes, before_alloc->shim.allocated_bytes);
    CHECK(after.shim.frees == before_alloc->shim.frees + 1, "%s: frees %" PRIu64 " -> %" PRIu64, api,
          before_alloc->shim.frees, after.shim.frees);
    CHECK(after.shim.unmatched_frees == before_alloc->shim.unmatched_frees, "%s: counted as unmatched", api);
}

/* One allocation API and the free that undoes it: CALL_ALLOC must set rc and ptr. */
#define PAIR(alloc_name, device, CALL_ALLOC, free_name, CALL_FREE)                                 \
    do {                                                                                           \
        snapshot before = take(device);                                                            \
        void *ptr = NULL;                                                                          \
        size_t extra = 0;                                                                          \
        unsigned rc;                                                                               \
        errno = ERRNO_MARK;                                                                        \
        CALL_ALLOC;                                                                                \
        /* Pinned host memory is real memory: its address moves with ASLR. */                    \
        transcript(alloc_name, rc, errno, (device) < 0 && ptr ? (void *)1 : ptr, extra);           \
        CHECK(rc == 0 && ptr != NULL, "%s failed: %u", alloc_name, rc);                            \
        expect_alloc(alloc_name, device, &before);                                                 \
        errno = ERRNO_MARK;                                                                        \
        CALL_FREE;                                                                                 \
        transcript(free_name, rc, errno, NULL, 0);                                                 \
        CHECK(rc == 0, "%s failed: %u", free_name, rc);                                            \
        expect_free(free_name, device, &before);                                                   \
    } while (0)

static unsigned malloc_3d(void **ptr, size_t *pitch)
{
    struct cudaPitchedPtr pp = {0};
    struct cudaExtent extent = {100, 3, 5};
    unsigned rc = cudaMalloc3D(&pp, extent);
    *ptr = pp.ptr;
    *pitch = pp.pitch;
    return rc;
}

static void probe_cuda(void)
{
    cudaStream_t stream = NULL;
    cudaMemPool_t pool = NULL;
    for (int device = 0; device < 2; device++) {
        CHECK(cudaSetDevice(device) == 0, "cudaSetDevice(%d)", device);
        CHECK(cudaStreamCreate(&stream) == 0, "cudaStreamCreate");
        CHECK(cudaDeviceGetDefaultMemPool(&pool, device) == 0, "cudaDeviceGetDefaultMemPool");
        PAIR("cudaMalloc", device, rc = cudaMalloc(&ptr, 1000 + device), "cudaFree", rc = cudaFree(ptr));
        PAIR("cudaMallocManaged", device, rc = cudaMallocManaged(&ptr, 4096, 1), "cudaFree", rc = cudaFree(ptr));
        PAIR("cudaMallocPitch", device, rc = cudaMallocPitch(&ptr, &extra, 100, 7), "cudaFree",
             rc = cudaFree(ptr));
        PAIR("cudaMalloc3D", device, rc = malloc_3d(&ptr, &extra), "cudaFree", rc = cudaFree(ptr));
        PAIR("cudaMallocAsync", device, rc = cudaMallocAsync(&ptr, 3000, stream), "cudaFreeAsync",
             rc = cudaFreeAsync(ptr, stream));
        PAIR("cudaMallocAsync_ptsz", device, rc = cudaMallocAsync_ptsz(&ptr, 3001, stream), "cudaFreeAsync_ptsz",
             rc = cudaFreeAsync_ptsz(ptr, stream));
        PAIR("cudaMallocFromPoolAsync", device, rc = cudaMallocFromPoolAsync(&ptr, 5000, pool, stream),
             "cudaFreeAsync", rc = cudaFreeAsync(ptr, stream));
        PAIR("cudaMallocFromPoolAsync_ptsz", device, rc = cudaMallocFromPoolAsync_ptsz(&ptr, 5001, pool, stream),
             "cudaFree", rc = cudaFree(ptr));
        CHECK(cudaStreamDestroy(stream) == 0, "cudaStreamDestroy");
    }
    /* A stream-ordered allocation lands on its stream's (or pool's) device,
     * whichever device is current: the shim must charge that one. */
    cudaStream_t stream1 = NULL;
    cudaMemPool_t pool1 = NULL;
    CHECK(cudaSetDevice(1) == 0 && cudaStreamCreate(&stream1) == 0 &&
              cudaDeviceGetDefaultMemPool(&pool1, 1) == 0,
          "a stream and the pool of device 1");
    CHECK(cudaSetDevice(0) == 0, "cudaSetDevice(0)");
    PAIR("cudaMallocAsync(stream of device 1, device 0 current)", 1, rc = cudaMallocAsync(&ptr, 3100, stream1),
         "cudaFreeAsync", rc = cudaFreeAsync(ptr, stream1));
    PAIR("cudaMallocAsync_ptsz(stream of device 1, device 0 current)", 1,
         rc = cudaMallocAsync_ptsz(&ptr, 3101, stream1), "cudaFreeAsync_ptsz", rc = cudaFreeAsync_ptsz(ptr, stream1));
    PAIR("cudaMallocFromPoolAsync(pool of device 1, device 0 current)", 1,
         rc = cudaMallocFromPoolAsync(&ptr, 5100, pool1, NULL), "cudaFreeAsync", rc = cudaFreeAsync(ptr, NULL));
    CHECK(cudaStreamDestroy(stream1) == 0, "cudaStreamDestroy");

    PAIR("cudaMallocHost", STORMLOG_DOUBLE_HOST, rc = cudaMallocHost(&ptr, 777), "cudaFreeHost",
         rc = cudaFreeHost(ptr));
    PAIR("cudaHostAlloc", STORMLOG_DOUBLE_HOST, rc = cudaHostAlloc(&ptr, 778, 0), "cudaFreeHost",
         rc = cudaFreeHost(ptr));

    /* A zero-byte request and a NULL free allocate and free nothing. */
    snapshot before = take(0);
    CHECK(cudaSetDevice(0) == 0, "cudaSetDevice(0)");
    void *ptr = (void *)&before;
    errno = ERRNO_MARK;
    unsigned rc = cudaMalloc(&ptr, 0);
    transcript("cudaMalloc(0)", rc, errno, ptr, 0);
    errno = ERRNO_MARK;
    rc = cudaFree(NULL);
    transcript("cudaFree(NULL)", rc, errno, NULL, 0);
    snapshot after = take(0);
    CHECK(after.shim.allocations == before.shim.allocations && after.shim.frees == before.shim.frees &&
              after.shim.allocated_bytes == before.shim.allocated_bytes,
          "zero-byte cudaMalloc / cudaFree(NULL) were counted");

    /* A failed allocation counts as a failure and nothing else. */
    errno = ERRNO_MARK;
    ptr = NULL;
    rc = cudaMalloc(&ptr, (size_t)1 << 60);
    transcript("cudaMalloc(huge)", rc, errno, ptr, 0);
    CHECK(rc == SL_CUDA_ERROR_MEMORY_ALLOCATION, "huge cudaMalloc returned %u", rc);
    after = take(0);
    if (shim_counters != NULL)
        CHECK(after.shim.failed_allocations == before.shim.failed_allocations + 1 &&
                  after.shim.allocated_bytes == before.shim.allocated_bytes,
              "failed cudaMalloc: failures %" PRIu64 " -> %" PRIu64, before.shim.failed_allocations,
              after.shim.failed_allocations);

    /* MemGetInfo passes through untouched. */
    size_t free_bytes = 0, total_bytes = 0;
    errno = ERRNO_MARK;
    rc = cudaMemGetInfo(&free_bytes, &total_bytes);
    transcript("cudaMemGetInfo", rc, errno, NULL, free_bytes + total_bytes);
}

static void probe_hip(void)
{
    hipStream_t stream = NULL;
    hipMemPool_t pool = NULL;
    for (int device = 0; device < 2; device++) {
        CHECK(hipSetDevice(device) == 0, "hipSetDevice(%d)", device);
        CHECK(hipStreamCreate(&stream) == 0, "hipStreamCreate");
        CHECK(hipDeviceGetDefaultMemPool(&pool, device) == 0, "hipDeviceGetDefaultMemPool");
        PAIR("hipMalloc", device, rc = hipMalloc(&ptr, 2000 + device), "hipFree", rc = hipFree(ptr));
        PAIR("hipExtMallocWithFlags", device, rc = hipExtMallocWithFlags(&ptr, 2100, 0), "hipFree",
             rc = hipFree(ptr));
        PAIR("hipMallocManaged", device, rc = hipMallocManaged(&ptr, 8192, 1), "hipFree", rc = hipFree(ptr));
        PAIR("hipMallocPitch", device, rc = hipMallocPitch(&ptr, &extra, 300, 9), "hipFree", rc = hipFree(ptr));
        PAIR("hipMemAllocPitch", device, rc = hipMemAllocPitch(&ptr, &extra, 301, 4, 4), "hipFree",
             rc = hipFree(ptr));
        PAIR("hipMallocAsync", device, rc = hipMallocAsync(&ptr, 6000, stream), "hipFreeAsync",
             rc = hipFreeAsync(ptr, stream));
        PAIR("hipMallocFromPoolAsync", device, rc = hipMallocFromPoolAsync(&ptr, 6001, pool, stream),
             "hipFreeAsync", rc = hipFreeAsync(ptr, stream));
        CHECK(hipStreamDestroy(stream) == 0, "hipStreamDestroy");
    }
    /* As for CUDA: the stream's or the pool's device, not the current one. */
    hipStream_t stream1 = NULL;
    hipMemPool_t pool1 = NULL;
    CHECK(hipSetDevice(1) == 0 && hipStreamCreate(&stream1) == 0 && hipDeviceGetDefaultMemPool(&pool1, 1) == 0,
          "a stream and the pool of device 1");
    CHECK(hipSetDevice(0) == 0, "hipSetDevice(0)");
    PAIR("hipMallocAsync(stream of device 1, device 0 current)", 1, rc = hipMallocAsync(&ptr, 6100, stream1),
         "hipFreeAsync", rc = hipFreeAsync(ptr, stream1));
    PAIR("hipMallocFromPoolAsync(pool of device 1, device 0 current)", 1,
         rc = hipMallocFromPoolAsync(&ptr, 6101, pool1, NULL), "hipFreeAsync", rc = hipFreeAsync(ptr, NULL));
    CHECK(hipStreamDestroy(stream1) == 0, "hipStreamDestroy");

    PAIR("hipHostMalloc", STORMLOG_DOUBLE_HOST, rc = hipHostMalloc(&ptr, 900, 0), "hipHostFree",
         rc = hipHostFree(ptr));
    PAIR("hipMallocHost", STORMLOG_DOUBLE_HOST, rc = hipMallocHost(&ptr, 901), "hipFreeHost",
         rc = hipFreeHost(ptr));
    PAIR("hipMemAllocHost", STORMLOG_DOUBLE_HOST, rc = hipMemAllocHost(&ptr, 902), "hipHostFree",
         rc = hipHostFree(ptr));

    size_t free_bytes = 0, total_bytes = 0;
    errno = ERRNO_MARK;
    unsigned rc = hipMemGetInfo(&free_bytes, &total_bytes);
    transcript("hipMemGetInfo", rc, errno, NULL, free_bytes + total_bytes);
}

#define RACE_THREADS 8
static long race_pairs;

static void *race_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < race_pairs; i++) {
        void *ptr = NULL;
        if (cudaMalloc(&ptr, 256) != 0 || cudaFree(ptr) != 0)
            return (void *)1;
    }
    return NULL;
}

static int race(long pairs)
{
    race_pairs = pairs;
    pthread_t threads[RACE_THREADS];
    if (cudaSetDevice(0) != 0)
        return 1;
    for (int i = 0; i < RACE_THREADS; i++)
        pthread_create(&threads[i], NULL, race_loop, NULL);
    int failed = 0;
    for (int i = 0; i < RACE_THREADS; i++) {
        void *result = NULL;
        pthread_join(threads[i], &result);
        failed |= result != NULL;
    }
    stormlog_shim_counters c = {0};
    if (shim_counters != NULL)
        shim_counters(0, &c);
    CHECK(!failed, "a call failed");
    CHECK(c.allocations == (uint64_t)(RACE_THREADS * pairs) && c.frees == c.allocations && c.allocated_bytes == 0 &&
              c.unmatched_frees == 0,
          "race: %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64 " unmatched, %" PRId64 " bytes left",
          c.allocations, c.frees, c.unmatched_frees, c.allocated_bytes);
    printf("api_probe race: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}

/* ---- errors ----------------------------------------------------------------- */

/* The shim asks the runtime where an allocation landed and how full the
 * device is; with the double's queries failing, nothing the shim asked may
 * show in the program's own error state. */
static void probe_last_errors(void)
{
    cudaStream_t stream = NULL;
    CHECK(cudaSetDevice(1) == 0 && cudaStreamCreate(&stream) == 0, "a stream on device 1");
    CHECK(cudaSetDevice(0) == 0, "cudaSetDevice(0)");
    void *ptr = NULL;
    unsigned rc = cudaMallocAsync(&ptr, 4100, stream);
    unsigned last = cudaGetLastError();
    transcript("cudaMallocAsync then cudaGetLastError", rc, 0, NULL, last);
    CHECK(rc == 0 && last == 0, "cudaMallocAsync: rc %u, then the last error %u (none expected)", rc, last);
    CHECK(cudaFreeAsync(ptr, stream) == 0, "cudaFreeAsync");
    /* A pending error of the program's survives our bookkeeping. */
    unsigned pending = cudaSetDevice(99);
    rc = cudaMallocAsync(&ptr, 4101, stream);
    last = cudaGetLastError();
    transcript("cudaSetDevice(99), cudaMallocAsync, cudaGetLastError", rc, 0, NULL, last);
    CHECK(pending != 0 && rc == 0 && last == pending, "the program's pending error %u became %u", pending, last);
    CHECK(cudaFreeAsync(ptr, stream) == 0 && cudaGetLastError() == 0, "cudaFreeAsync");
    CHECK(cudaStreamDestroy(stream) == 0, "cudaStreamDestroy");

    hipStream_t hstream = NULL;
    CHECK(hipSetDevice(1) == 0 && hipStreamCreate(&hstream) == 0, "a HIP stream on device 1");
    CHECK(hipSetDevice(0) == 0, "hipSetDevice(0)");
    rc = hipMallocAsync(&ptr, 6200, hstream);
    last = hipGetLastError();
    transcript("hipMallocAsync then hipGetLastError", rc, 0, NULL, last);
    CHECK(rc == 0 && last == 0, "hipMallocAsync: rc %u, then the last error %u (none expected)", rc, last);
    CHECK(hipFreeAsync(ptr, hstream) == 0, "hipFreeAsync");
    pending = hipSetDevice(99);
    rc = hipMallocAsync(&ptr, 6201, hstream);
    last = hipGetLastError();
    transcript("hipSetDevice(99), hipMallocAsync, hipGetLastError", rc, 0, NULL, last);
    CHECK(pending != 0 && rc == 0 && last == pending, "the program's pending HIP error %u became %u", pending, last);
    CHECK(hipFreeAsync(ptr, hstream) == 0 && hipGetLastError() == 0, "hipFreeAsync");
    CHECK(hipStreamDestroy(hstream) == 0, "hipStreamDestroy");
}

int main(int argc, char **argv)
{
    bool counting = argc > 1 && strcmp(argv[1], "counting") == 0;
    shim_counters = (int (*)(int, stormlog_shim_counters *))dlsym(RTLD_DEFAULT, "stormlog_shim_device_counters");
    if (counting && shim_counters == NULL) {
        printf("FAIL: stormlog_shim_device_counters not found: is the shim preloaded?\n");
        return 1;
    }
    if (argc > 2 && strcmp(argv[1], "race") == 0)
        return race(atol(argv[2]));
    if (argc > 1 && strcmp(argv[1], "errors") == 0) {
        probe_last_errors();
        printf("api_probe: %d failures\n", failures);
        return failures == 0 ? 0 : 1;
    }
    if (!counting)
        shim_counters = NULL;
    probe_cuda();
    probe_hip();
    if (shim_counters != NULL) {
        /* Everything was freed: exact zero on every device. */
        for (int device = -1; device < 2; device++) {
            stormlog_shim_counters c;
            shim_counters(device, &c);
            CHECK(c.allocated_bytes == 0 && c.live_allocations == 0,
                  "device %d: %" PRId64 " bytes in %" PRIu64 " allocations left", device, c.allocated_bytes,
                  c.live_allocations);
            CHECK(c.allocated_bytes == stormlog_double_live_bytes(device), "device %d differs from the truth",
                  device);
        }
    }
    printf("api_probe: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
