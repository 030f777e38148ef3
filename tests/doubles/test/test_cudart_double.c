/*
 * test_cudart_double.c: the CUDA runtime double behaves like libcudart where
 * the shim can tell (return codes, out-parameters, last error, pitches), and
 * its ground truth is exact.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cudart_api.h"
#include "stormlog_double.h"

static void clean_env(void)
{
    const char *names[] = {
        "STORMLOG_DOUBLE_DEVICES", "STORMLOG_DOUBLE_CAPACITY", "STORMLOG_DOUBLE_CAPACITY_0",
        "STORMLOG_DOUBLE_CAPACITY_1", "STORMLOG_DOUBLE_HOST_CAPACITY", "STORMLOG_DOUBLE_FAIL_AT",
        "STORMLOG_DOUBLE_FAIL_EVERY", "STORMLOG_DOUBLE_FAIL_DEVICE", "STORMLOG_DOUBLE_TRUTH",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
    stormlog_double_reset();
}

static void restart_with(const char *name, const char *value)
{
    setenv(name, value, 1);
    stormlog_double_reset();
}

TestSuite(cudart_double, .init = clean_env);

Test(cudart_double, malloc_free_counts_exact_bytes)
{
    void *a = NULL, *b = NULL;
    cr_assert_eq(cudaMalloc(&a, 1000), cudaSuccess);
    cr_assert_eq(cudaMalloc(&b, 1), cudaSuccess);
    cr_assert_neq(a, NULL);
    cr_assert_neq(a, b);
    cr_assert_eq((uintptr_t)a % 256, 0);
    cr_assert_eq((uintptr_t)b % 256, 0);
    cr_assert_eq(stormlog_double_live_bytes(0), 1001);
    cr_assert_eq(stormlog_double_live_count(0), 2);
    cr_assert_eq(cudaFree(a), cudaSuccess);
    cr_assert_eq(stormlog_double_live_bytes(0), 1);
    cr_assert_eq(cudaFree(b), cudaSuccess);
    cr_assert_eq(stormlog_double_live_bytes(0), 0);
    cr_assert_eq(stormlog_double_allocs(), 2);
    cr_assert_eq(stormlog_double_frees(), 2);
    cr_assert_eq(stormlog_double_alloc_calls(), 2);
}

Test(cudart_double, argument_errors_use_real_codes_and_last_error)
{
    cr_assert_eq(cudaMalloc(NULL, 16), cudaErrorInvalidValue);
    cr_assert_eq(cudaGetLastError(), cudaErrorInvalidValue);
    cr_assert_eq(cudaGetLastError(), cudaSuccess, "cudaGetLastError clears the error");
    cr_assert_eq(cudaFree(NULL), cudaSuccess);
    int on_stack = 0;
    cr_assert_eq(cudaFree(&on_stack), cudaErrorInvalidValue);
    cr_assert_eq(cudaSetDevice(2), cudaErrorInvalidDevice);
    cr_assert_eq(cudaSetDevice(-1), cudaErrorInvalidDevice);
    cr_assert_eq(cudaGetLastError(), cudaErrorInvalidDevice);
    cr_assert_eq(stormlog_double_failed(), 1);
    cr_assert_eq(stormlog_double_bad_frees(), 1);
    cr_assert_str_eq(cudaGetErrorString(cudaErrorMemoryAllocation), "out of memory");
    cr_assert_str_eq(cudaGetErrorString(cudaErrorInvalidValue), "invalid argument");
}

Test(cudart_double, double_free_and_wrong_family_are_refused)
{
    void *device = NULL, *host = NULL;
    cr_assert_eq(cudaMalloc(&device, 4096), cudaSuccess);
    cr_assert_eq(cudaMallocHost(&host, 4096), cudaSuccess);
    cr_assert_eq(cudaFreeHost(device), cudaErrorInvalidValue);
    cr_assert_eq(cudaFree(host), cudaErrorInvalidValue);
    cr_assert_eq(stormlog_double_live_bytes(0), 4096, "a refused free changes nothing");
    cr_assert_eq(stormlog_double_live_bytes(-1), 4096);
    cr_assert_eq(cudaFree(device), cudaSuccess);
    cr_assert_eq(cudaFree(device), cudaErrorInvalidValue);
    cr_assert_eq(cudaFreeHost(host), cudaSuccess);
    cr_assert_eq(stormlog_double_bad_frees(), 3);
    cr_assert_eq(stormlog_double_frees(), 2);
}

Test(cudart_double, zero_size_succeeds_without_pointer)
{
    void *p = (void *)0x1234;
    cr_assert_eq(cudaMalloc(&p, 0), cudaSuccess);
    cr_assert_eq(p, NULL);
    cr_assert_eq(stormlog_double_zero_allocs(), 1);
    cr_assert_eq(stormlog_double_allocs(), 0);
    cr_assert_eq(cudaMallocManaged(&p, 0, cudaMemAttachGlobal), cudaErrorInvalidValue);
}

Test(cudart_double, out_of_memory_at_capacity)
{
    restart_with("STORMLOG_DOUBLE_CAPACITY", "1M");
    size_t free_bytes = 0, total = 0;
    cr_assert_eq(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
    cr_assert_eq(total, 1u << 20);
    cr_assert_eq(free_bytes, 1u << 20);
    void *a = NULL, *b = (void *)0x1;
    cr_assert_eq(cudaMalloc(&a, 700 << 10), cudaSuccess);
    cr_assert_eq(cudaMalloc(&b, 400 << 10), cudaErrorMemoryAllocation);
    cr_assert_eq(b, NULL);
    cr_assert_eq(cudaGetLastError(), cudaErrorMemoryAllocation);
    cr_assert_eq(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
    cr_assert_eq(free_bytes, (1u << 20) - (700u << 10));
    cr_assert_eq(cudaMalloc(&b, (1u << 20) - (700u << 10)), cudaSuccess, "exactly full fits");
    cr_assert_eq(stormlog_double_failed(), 1);
    cr_assert_eq(stormlog_double_live_bytes(0), 1 << 20);
}

Test(cudart_double, capacity_per_device_and_suffixes)
{
    setenv("STORMLOG_DOUBLE_DEVICES", "3", 1);
    setenv("STORMLOG_DOUBLE_CAPACITY", "2GiB", 1);
    restart_with("STORMLOG_DOUBLE_CAPACITY_1", "4096");
    cr_assert_eq(stormlog_double_device_count(), 3);
    int count = 0;
    cr_assert_eq(cudaGetDeviceCount(&count), cudaSuccess);
    cr_assert_eq(count, 3);
    cr_assert_eq(stormlog_double_capacity_bytes(0), 2LL << 30);
    cr_assert_eq(stormlog_double_capacity_bytes(1), 4096);
    cr_assert_eq(stormlog_double_capacity_bytes(2), 2LL << 30);
    cr_assert_eq(stormlog_double_capacity_bytes(3), -1);
    void *p = NULL;
    cr_assert_eq(cudaSetDevice(1), cudaSuccess);
    cr_assert_eq(cudaMalloc(&p, 8192), cudaErrorMemoryAllocation);
    cr_assert_eq(cudaSetDevice(2), cudaSuccess);
    cr_assert_eq(cudaMalloc(&p, 8192), cudaSuccess);
    cr_assert_eq(stormlog_double_live_bytes(2), 8192);
}

Test(cudart_double, devices_have_disjoint_address_ranges)
{
    void *on0 = NULL, *on1 = NULL;
    cr_assert_eq(cudaMalloc(&on0, 256), cudaSuccess);
    cr_assert_eq(cudaSetDevice(1), cudaSuccess);
    int device = -1;
    cr_assert_eq(cudaGetDevice(&device), cudaSuccess);
    cr_assert_eq(device, 1);
    cr_assert_eq(cudaMalloc(&on1, 256), cudaSuccess);
    cr_assert_eq((uintptr_t)on1 - (uintptr_t)on0, 1ull << 40);
    cr_assert_eq(stormlog_double_live_bytes(0), 256);
    cr_assert_eq(stormlog_double_live_bytes(1), 256);
}

static void *report_device(void *arg)
{
    int *device = arg;
    cudaGetDevice(device);
    return NULL;
}

Test(cudart_double, current_device_is_per_thread)
{
    cr_assert_eq(cudaSetDevice(1), cudaSuccess);
    int seen = -1;
    pthread_t thread;
    pthread_create(&thread, NULL, report_device, &seen);
    pthread_join(thread, NULL);
    cr_assert_eq(seen, 0, "a new thread starts on device 0");
}

Test(cudart_double, addresses_come_back_after_free)
{
    void *first = NULL, *middle = NULL, *again = NULL;
    cr_assert_eq(cudaMalloc(&first, 1000), cudaSuccess);
    cr_assert_eq(cudaMalloc(&middle, 1000), cudaSuccess);
    cr_assert_eq(cudaFree(first), cudaSuccess);
    cr_assert_eq(cudaMalloc(&again, 900), cudaSuccess, "same 1024-byte span");
    cr_assert_eq(again, first);
    cr_assert_eq(stormlog_double_live_bytes(0), 1900);
}

Test(cudart_double, pitch_and_3d_count_padded_rows)
{
    void *p = NULL;
    size_t pitch = 0;
    cr_assert_eq(cudaMallocPitch(&p, &pitch, 1000, 10), cudaSuccess);
    cr_assert_eq(pitch, 1024);
    cr_assert_eq(stormlog_double_live_bytes(0), 10240);
    struct cudaPitchedPtr pitched;
    memset(&pitched, 0, sizeof pitched);
    struct cudaExtent extent = { .width = 513, .height = 4, .depth = 3 };
    cr_assert_eq(cudaMalloc3D(&pitched, extent), cudaSuccess);
    cr_assert_eq(pitched.pitch, 1024);
    cr_assert_eq(pitched.xsize, 513);
    cr_assert_eq(pitched.ysize, 4);
    cr_assert_eq(stormlog_double_live_bytes(0), 10240 + 1024 * 12);
    cr_assert_eq(cudaFree(pitched.ptr), cudaSuccess);
    cr_assert_eq(cudaFree(p), cudaSuccess);
    cr_assert_eq(cudaMallocPitch(&p, NULL, 10, 10), cudaErrorInvalidValue);
}

Test(cudart_double, managed_counts_once)
{
    void *p = NULL;
    cr_assert_eq(cudaMallocManaged(&p, 5000, cudaMemAttachGlobal), cudaSuccess);
    cr_assert_eq(stormlog_double_alloc_calls(), 1);
    cr_assert_eq(stormlog_double_live_bytes(0), 5000);
    cr_assert_eq(cudaMallocManaged(&p, 10, 7), cudaErrorInvalidValue);
    cr_assert_eq(p, NULL);
    cr_assert_eq(stormlog_double_failed(), 1);
}

Test(cudart_double, pinned_host_memory_is_real)
{
    char *p = NULL, *q = NULL;
    cr_assert_eq(cudaMallocHost((void **)&p, 10000), cudaSuccess);
    cr_assert_eq(cudaHostAlloc((void **)&q, 100, cudaHostAllocMapped | cudaHostAllocPortable), cudaSuccess);
    memset(p, 0xab, 10000);
    memset(q, 0xcd, 100);
    cr_assert_eq(stormlog_double_live_bytes(STORMLOG_DOUBLE_HOST), 10100);
    cr_assert_eq(stormlog_double_live_bytes(0), 0);
    cr_assert_eq(cudaHostAlloc((void **)&q, 100, 0x100), cudaErrorInvalidValue);
    cr_assert_eq(cudaFreeHost(p), cudaSuccess);
    cr_assert_eq(stormlog_double_live_bytes(STORMLOG_DOUBLE_HOST), 100);
}

Test(cudart_double, pools_keep_freed_bytes_until_trimmed)
{
    restart_with("STORMLOG_DOUBLE_CAPACITY", "1M");
    cudaStream_t stream = NULL;
    cr_assert_eq(cudaStreamCreate(&stream), cudaSuccess);
    void *a = NULL, *b = NULL;
    cr_assert_eq(cudaMallocAsync(&a, 300000, stream), cudaSuccess);
    cr_assert_eq(cudaFreeAsync(a, stream), cudaSuccess);
    cr_assert_eq(stormlog_double_live_bytes(0), 0);
    cr_assert_eq(stormlog_double_reserved_bytes(0), 300000);
    size_t free_bytes = 0, total = 0;
    cr_assert_eq(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
    cr_assert_eq(free_bytes, (1u << 20) - 300000);
    /* A plain allocation cannot use the pool's reserve... */
    cr_assert_eq(cudaMalloc(&b, 800000), cudaErrorMemoryAllocation);
    /* ...an async one can. */
    cr_assert_eq(cudaMallocAsync_ptsz(&a, 200000, cudaStreamPerThread), cudaSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(0), 100000);
    cr_assert_eq(stormlog_double_live_bytes(0), 200000);
    cr_assert_eq(cudaFree(a), cudaSuccess, "cudaFree of pool memory returns it to the pool");
    cr_assert_eq(stormlog_double_reserved_bytes(0), 300000);
    cudaMemPool_t pool = NULL;
    cr_assert_eq(cudaDeviceGetDefaultMemPool(&pool, 0), cudaSuccess);
    cr_assert_eq(cudaMemPoolTrimTo(pool, 1000), cudaSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(0), 1000);
    cr_assert_eq(cudaMemPoolTrimTo(pool, 0), cudaSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(0), 0);
    cr_assert_eq(cudaMalloc(&b, 800000), cudaSuccess);
    cr_assert_eq(cudaMemPoolDestroy(pool), cudaErrorInvalidValue, "the default pool stays");
    cr_assert_eq(cudaStreamDestroy(stream), cudaSuccess);
    cr_assert_eq(cudaStreamDestroy(NULL), cudaErrorInvalidResourceHandle);
}

Test(cudart_double, async_allocation_follows_the_stream_device)
{
    cudaStream_t on1 = NULL;
    cr_assert_eq(cudaSetDevice(1), cudaSuccess);
    cr_assert_eq(cudaStreamCreate(&on1), cudaSuccess);
    cr_assert_eq(cudaSetDevice(0), cudaSuccess);
    void *p = NULL;
    cr_assert_eq(cudaMallocAsync(&p, 512, on1), cudaSuccess);
    cr_assert_eq(stormlog_double_live_bytes(1), 512);
    cr_assert_eq(stormlog_double_live_bytes(0), 0);
    cr_assert_eq(cudaFreeAsync_ptsz(p, on1), cudaSuccess);
    cr_assert_eq(cudaStreamDestroy(on1), cudaSuccess);
}

Test(cudart_double, created_pool_outlives_destroy_until_last_free)
{
    struct cudaMemPoolProps props;
    memset(&props, 0, sizeof props);
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = 1;
    cudaMemPool_t pool = NULL;
    cr_assert_eq(cudaMemPoolCreate(&pool, &props), cudaSuccess);
    void *a = NULL, *b = NULL;
    cr_assert_eq(cudaMallocFromPoolAsync(&a, 1000, pool, NULL), cudaSuccess);
    cr_assert_eq(cudaMallocFromPoolAsync_ptsz(&b, 2000, pool, cudaStreamPerThread), cudaSuccess);
    cr_assert_eq(stormlog_double_live_bytes(1), 3000, "a pool's device, not the current one");
    cr_assert_eq(cudaFreeAsync(a, NULL), cudaSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(1), 1000);
    cr_assert_eq(cudaMemPoolDestroy(pool), cudaSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(1), 0);
    cr_assert_eq(cudaFreeAsync(b, NULL), cudaSuccess);
    cr_assert_eq(stormlog_double_reserved_bytes(1), 0, "a destroyed pool keeps nothing");
    cr_assert_eq(stormlog_double_live_bytes(1), 0);
    props.location.id = 9;
    cr_assert_eq(cudaMemPoolCreate(&pool, &props), cudaErrorInvalidDevice);
}

Test(cudart_double, fail_at_fails_the_nth_call)
{
    restart_with("STORMLOG_DOUBLE_FAIL_AT", "3");
    void *p[4] = { 0 };
    cr_assert_eq(cudaMalloc(&p[0], 10), cudaSuccess);
    cr_assert_eq(cudaMallocHost(&p[1], 10), cudaSuccess);
    cr_assert_eq(cudaMallocAsync(&p[2], 10, NULL), cudaErrorMemoryAllocation);
    cr_assert_eq(p[2], NULL);
    cr_assert_eq(cudaMalloc(&p[3], 10), cudaSuccess);
    cr_assert_eq(stormlog_double_failed(), 1);
    cr_assert_eq(stormlog_double_live_bytes(0), 20);
}

Test(cudart_double, fail_device_fails_only_that_device)
{
    restart_with("STORMLOG_DOUBLE_FAIL_DEVICE", "1");
    void *p = NULL;
    cr_assert_eq(cudaMalloc(&p, 10), cudaSuccess);
    cr_assert_eq(cudaSetDevice(1), cudaSuccess);
    cr_assert_eq(cudaMalloc(&p, 10), cudaErrorMemoryAllocation);
    cr_assert_eq(cudaMallocManaged(&p, 10, cudaMemAttachGlobal), cudaErrorMemoryAllocation);
    cr_assert_eq(cudaMallocHost(&p, 10), cudaSuccess);
    cr_assert_eq(cudaFreeHost(p), cudaSuccess);
}

Test(cudart_double, fail_every_with_device_counts_that_device_only)
{
    setenv("STORMLOG_DOUBLE_FAIL_DEVICE", "1", 1);
    restart_with("STORMLOG_DOUBLE_FAIL_EVERY", "2");
    void *p = NULL;
    int failures = 0;
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(cudaSetDevice(i % 2), cudaSuccess);
        if (cudaMalloc(&p, 10) != cudaSuccess)
            failures++;
    }
    cr_assert_eq(failures, 2, "5 calls on device 1, every 2nd fails");
    cr_assert_eq(stormlog_double_live_bytes(1), 30);
    cr_assert_eq(stormlog_double_live_bytes(0), 50);
}

Test(cudart_double, bad_configuration_falls_back_to_defaults)
{
    setenv("STORMLOG_DOUBLE_DEVICES", "zero", 1);
    restart_with("STORMLOG_DOUBLE_CAPACITY", "12X");
    cr_assert_eq(stormlog_double_device_count(), 2);
    cr_assert_eq(stormlog_double_capacity_bytes(0), 16LL << 30);
}

Test(cudart_double, truth_is_one_json_line)
{
    void *p = NULL, *h = NULL;
    cr_assert_eq(cudaMalloc(&p, 123), cudaSuccess);
    cr_assert_eq(cudaMallocHost(&h, 7), cudaSuccess);
    char path[] = "/tmp/stormlog-truth-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(stormlog_double_write_truth_path(path), 0);
    FILE *in = fopen(path, "r");
    char line[2048] = { 0 };
    cr_assert_not_null(fgets(line, sizeof line, in));
    int extra = fgetc(in);
    fclose(in);
    unlink(path);
    cr_assert_eq(extra, EOF, "exactly one line");
    cr_assert_not_null(strstr(line, "\"live\":{\"0\":123,\"1\":0,\"-1\":7}"), "%s", line);
    cr_assert_not_null(strstr(line, "\"allocs\":2,"), "%s", line);
    cr_assert_not_null(strstr(line, "\"reserved\":{\"0\":0,\"1\":0}"), "%s", line);
    cr_assert_eq(line[strlen(line) - 1], '\n');
    cr_assert_eq(stormlog_double_write_truth_path("/nonexistent-dir/x"), -1);
}

/* Many threads allocate and free on both devices; at the end the ground
 * truth equals what the threads kept, to the byte. */
#define THREADS 8
#define ROUNDS 4000

typedef struct worker {
    unsigned seed;
    long long kept[3]; /* device 0, 1, host */
} worker;

static void *churn(void *arg)
{
    worker *w = arg;
    void *held[32] = { 0 };
    size_t sizes[32] = { 0 };
    int where[32] = { 0 };
    for (int round = 0; round < ROUNDS; round++) {
        unsigned r = rand_r(&w->seed);
        int slot = (int)(r % 32);
        if (held[slot] != NULL) {
            cudaError_t e = where[slot] == 2 ? cudaFreeHost(held[slot]) : cudaFree(held[slot]);
            if (e != cudaSuccess)
                return (void *)1;
            held[slot] = NULL;
            continue;
        }
        int device = (int)(r >> 8) % 3;
        size_t size = 1 + (r >> 12) % 100000;
        cudaError_t e;
        if (device == 2) {
            e = cudaMallocHost(&held[slot], size);
        } else {
            cudaSetDevice(device);
            e = (r & 1) ? cudaMalloc(&held[slot], size) : cudaMallocAsync(&held[slot], size, NULL);
        }
        if (e != cudaSuccess)
            return (void *)1;
        sizes[slot] = size;
        where[slot] = device;
    }
    for (int slot = 0; slot < 32; slot++)
        if (held[slot] != NULL)
            w->kept[where[slot]] += (long long)sizes[slot];
    return NULL;
}

Test(cudart_double, threads_agree_with_ground_truth)
{
    pthread_t threads[THREADS];
    worker workers[THREADS];
    memset(workers, 0, sizeof workers);
    for (int i = 0; i < THREADS; i++) {
        workers[i].seed = 17u + (unsigned)i;
        pthread_create(&threads[i], NULL, churn, &workers[i]);
    }
    long long expected[3] = { 0 };
    for (int i = 0; i < THREADS; i++) {
        void *failed = NULL;
        pthread_join(threads[i], &failed);
        cr_assert_null(failed, "thread %d saw an error", i);
        for (int d = 0; d < 3; d++)
            expected[d] += workers[i].kept[d];
    }
    cr_assert_eq(stormlog_double_live_bytes(0), expected[0]);
    cr_assert_eq(stormlog_double_live_bytes(1), expected[1]);
    cr_assert_eq(stormlog_double_live_bytes(-1), expected[2]);
    cr_assert_eq(stormlog_double_alloc_calls(), stormlog_double_allocs());
    cr_assert_eq(stormlog_double_live_count(0) + stormlog_double_live_count(1) + stormlog_double_live_count(-1),
                 (long long)(stormlog_double_allocs() - stormlog_double_frees()));
}

Test(cudart_double, reset_releases_pinned_memory_and_counters)
{
    void *h = NULL;
    cr_assert_eq(cudaMallocHost(&h, 1 << 20), cudaSuccess);
    stormlog_double_reset();
    cr_assert_eq(stormlog_double_live_bytes(-1), 0);
    cr_assert_eq(stormlog_double_alloc_calls(), 0);
    cr_assert_eq(cudaFreeHost(h), cudaErrorInvalidValue, "forgotten by the reset");
}
