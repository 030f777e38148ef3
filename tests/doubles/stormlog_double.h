/*
 * stormlog_double.h: ground truth of the simulated GPU runtimes.
 *
 * The test doubles libcudart.so.12 and libamdhip64.so.5 (tests/doubles) keep
 * their simulated devices in one shared core, libstormlog_double_core.so. A
 * test asks that core what really happened, to the byte, and compares it with
 * what the shim recorded. Every function here is thread-safe; the numbers are
 * exact at any quiescent point (no allocation call in flight).
 *
 * Device ids: 0 .. stormlog_double_device_count()-1 are devices, -1 is pinned
 * host memory (cudaMallocHost, cudaHostAlloc, hipHostMalloc, ...). Functions
 * that take a device return -1 for an id that does not exist.
 */
#ifndef STORMLOG_DOUBLE_H
#define STORMLOG_DOUBLE_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Host-pinned pseudo-device in every per-device query. */
#define STORMLOG_DOUBLE_HOST (-1)

/* Number of simulated devices (STORMLOG_DOUBLE_DEVICES, default 2). */
int stormlog_double_device_count(void);

/* Bytes the device was created with (STORMLOG_DOUBLE_CAPACITY[_d]); for -1 the
 * host limit, or 0 when pinned host memory is unlimited. */
long long stormlog_double_capacity_bytes(int device);

/* Sum of the sizes of live allocations on the device (every API: plain,
 * pitched, 3D, managed, async and pool allocations; -1: pinned host). A
 * pitched allocation counts pitch * height (* depth) bytes. */
long long stormlog_double_live_bytes(int device);

/* Number of live allocations on the device. */
long long stormlog_double_live_count(int device);

/* Bytes memory pools on the device hold beyond their live allocations: freed
 * into a pool (cudaFreeAsync, hipFreeAsync, or a plain free of a pool
 * allocation) and not yet released by a trim or a pool destroy. The device's
 * used memory is live + reserved; MemGetInfo reports free = capacity - used.
 * Always 0 for -1. */
long long stormlog_double_reserved_bytes(int device);

/* Process-wide counters over both runtimes.
 *   alloc_calls: every call of an allocating entry point (cudaMallocManaged,
 *                which allocates through cudaMalloc, counts once)
 *   allocs:      calls that returned success and a pointer
 *   zero_allocs: calls that returned success and no pointer (size 0)
 *   failed:      calls that returned an error (OOM, injected OOM, invalid
 *                argument, invalid device)
 *   frees:       free calls that released an allocation
 *   bad_frees:   free calls that returned an error (unknown pointer, double
 *                free, host pointer given to a device free or the reverse)
 * alloc_calls == allocs + zero_allocs + failed. */
unsigned long long stormlog_double_alloc_calls(void);
unsigned long long stormlog_double_allocs(void);
unsigned long long stormlog_double_zero_allocs(void);
unsigned long long stormlog_double_failed(void);
unsigned long long stormlog_double_frees(void);
unsigned long long stormlog_double_bad_frees(void);

/* Ground truth as one JSON line (with '\n'):
 *   {"source":"stormlog_double","devices":2,
 *    "live":{"0":B0,"1":B1,"-1":H},"live_count":{...},"reserved":{"0":R0,"1":R1},
 *    "capacity":{"0":C0,"1":C1},"alloc_calls":n,"allocs":a,"zero_allocs":z,
 *    "failed":x,"frees":f,"bad_frees":b}
 * Returns 0, or -1 when writing failed. The _path form truncates the file. */
int stormlog_double_write_truth(FILE *out);
int stormlog_double_write_truth_path(const char *path);

/* Forget every allocation, pool and counter and read the environment again, as
 * if the process had just started. Pinned host memory still live is released.
 * For tests only: no other thread may be inside either runtime, and pointers
 * handed out before are invalid afterwards. */
void stormlog_double_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* STORMLOG_DOUBLE_H */
