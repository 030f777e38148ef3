/*
 * sim.h: the simulated GPU devices both runtime doubles sit on.
 *
 * libstormlog_double_core.so owns every piece of simulated state: devices and
 * their capacities, the pointer table, memory pools, streams, the per-thread
 * current device, failure injection and the ground-truth counters. The CUDA
 * and HIP doubles are thin translations of their API onto these functions and
 * of sim_status onto their own error codes, so both runtimes behave alike and
 * a process has exactly one ground truth (stormlog_double.h).
 *
 * These symbols are exported for the two doubles only; tests use
 * stormlog_double.h.
 */
#ifndef STORMLOG_SIM_H
#define STORMLOG_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_API __attribute__((visibility("default")))

#define SIM_MAX_DEVICES 16
#define SIM_HOST_DEVICE (-1)
/* Device addresses are multiples of this, like cudaMalloc's 256-byte minimum. */
#define SIM_ALIGNMENT 256u
/* Row pitch of cudaMallocPitch / cudaMalloc3D / hipMallocPitch. */
#define SIM_PITCH_ALIGNMENT 512u

typedef enum sim_status {
    SIM_OK = 0,
    SIM_INVALID_VALUE,     /* NULL out-pointer, unknown pointer, bad flags */
    SIM_OUT_OF_MEMORY,     /* capacity exceeded, address space exhausted, injected */
    SIM_INVALID_DEVICE,    /* device id out of range */
    SIM_INVALID_HANDLE,    /* NULL stream or pool where one is required */
} sim_status;

/* Which family of free accepts an allocation. */
typedef enum sim_kind {
    SIM_KIND_DEVICE = 1,   /* cudaMalloc, pitch, 3D, managed, hipExtMallocWithFlags ... */
    SIM_KIND_POOL = 2,     /* cudaMallocAsync, cudaMallocFromPoolAsync, hip equivalents */
    SIM_KIND_HOST = 4,     /* pinned host: real memory */
} sim_kind;

#define SIM_FREE_DEVICE (SIM_KIND_DEVICE | SIM_KIND_POOL) /* cudaFree, cudaFreeAsync, hipFree */
#define SIM_FREE_HOST SIM_KIND_HOST                       /* cudaFreeHost, hipHostFree */

typedef struct sim_pool sim_pool;
typedef struct sim_stream sim_stream;

/* Devices and the calling thread's current device (0 until set). */
SIM_API int stormlog_sim_device_count(void);
SIM_API sim_status stormlog_sim_check_device(int device);
SIM_API int stormlog_sim_current_device(void);
SIM_API sim_status stormlog_sim_set_current_device(int device);
SIM_API sim_status stormlog_sim_mem_info(int device, size_t *free_bytes, size_t *total_bytes);

/* An allocation call that was refused before it reached a device (NULL
 * out-pointer, bad flags): counted as a call and a failure. */
SIM_API sim_status stormlog_sim_reject_alloc(sim_status why);

/* Allocate size bytes on device. *out is set to the address, or NULL on error
 * or when size is 0 (success without an allocation). */
SIM_API sim_status stormlog_sim_device_alloc(int device, uint64_t size, void **out);
SIM_API sim_status stormlog_sim_pool_alloc(sim_pool *pool, uint64_t size, void **out);
SIM_API sim_status stormlog_sim_host_alloc(uint64_t size, void **out);

/* Free an allocation whose kind is in accept (SIM_FREE_DEVICE or
 * SIM_FREE_HOST). NULL is success and changes nothing. A pool allocation goes
 * back to its pool's reserve. */
SIM_API sim_status stormlog_sim_free(void *ptr, unsigned accept);

/* The device of the live allocation that starts at ptr (SIM_HOST_DEVICE for
 * pinned host memory); SIM_INVALID_VALUE when ptr starts none. Like the
 * runtimes' pointer queries, but base addresses only. */
SIM_API sim_status stormlog_sim_ptr_device(const void *ptr, int *device);
/* STORMLOG_DOUBLE_FAIL_QUERIES=1: the runtimes' queries a profiler makes
 * behind the program's back (MemGetInfo, the pointer queries) fail with
 * their invalid-value error. */
SIM_API bool stormlog_sim_queries_fail(void);

/* Pools: each device has a default pool; created pools live until destroyed
 * and until their last allocation is freed. */
SIM_API sim_pool *stormlog_sim_default_pool(int device);
SIM_API sim_status stormlog_sim_pool_create(int device, sim_pool **out);
SIM_API sim_status stormlog_sim_pool_destroy(sim_pool *pool);
SIM_API sim_status stormlog_sim_pool_trim(sim_pool *pool, uint64_t keep_bytes);
SIM_API int stormlog_sim_pool_device(const sim_pool *pool);

/* Streams carry the device they were created on. The runtimes' special
 * handles (NULL, legacy 0x1, per-thread 0x2) mean the current device. */
SIM_API sim_status stormlog_sim_stream_create(int device, sim_stream **out);
SIM_API sim_status stormlog_sim_stream_destroy(sim_stream *stream);
SIM_API int stormlog_sim_stream_device(const sim_stream *stream);

#endif /* STORMLOG_SIM_H */
