/* Step 3 of the CUDA runtime and HIP hooks ("record what happened"), written
 * once over a small table of operations each runtime provides (hooks_cuda.c,
 * hooks_hip.c): the device an allocation is charged to, the device totals and
 * pool slack refreshed around it, and the counters, all without changing the
 * real call's return value, errno or the thread's last runtime error.
 *
 * The runtime keeps the thread's last error, which the program reads with
 * cudaGetLastError() / hipGetLastError() (PyTorch checks it after every kernel
 * launch), and every failed runtime call sets it. The queries made here behind
 * the program's back must not leave an error there that the program did not
 * cause: each notes first whether one was pending (peek_error) and clears the
 * one its own failure left when none was (take_error). With one already
 * pending, a failed query of ours would replace it, which cannot be undone:
 * optional queries are then skipped, and only an OOM's own MemGetInfo takes
 * that risk. */
#ifndef STORMLOG_SHIM_RUNTIME_RECORD_H
#define STORMLOG_SHIM_RUNTIME_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accounting.h"

/* What one query of the runtime's came to. */
typedef enum sl_query {
    SL_QUERY_ABSENT = 0, /* the loaded runtime does not export it */
    SL_QUERY_OK,
    SL_QUERY_FAILED, /* peek_error: an error is pending */
} sl_query;

typedef struct sl_runtime_ops {
    unsigned success;       /* cudaSuccess, hipSuccess */
    unsigned out_of_memory; /* the runtime's OOM code */
    /* The calling thread's current device; 0 (the default) when the runtime
     * cannot say. On every allocation's path, so not bracketed: it fails only
     * when the runtime cannot start, with the error the program's own call
     * has just left. */
    int32_t (*current_device)(void);
    sl_query (*peek_error)(void);
    void (*take_error)(void);
    sl_query (*mem_get_info)(size_t *free_bytes, size_t *total_bytes);
    /* Where a pointer lives, by a query that leaves no last error (CUDA: the
     * driver's); NULL where the runtime has none. */
    sl_query (*quiet_pointer_device)(const void *ptr, int *device);
    sl_query (*pointer_device)(const void *ptr, int *device);
    bool (*has_pool_usage)(void);
    sl_query (*default_pool)(int32_t device, void **pool);
    sl_query (*pool_usage)(void *pool, uint64_t *reserved, uint64_t *used);
} sl_runtime_ops;

/* After an allocation call that returned rc; ptr is what the call wrote
 * (read only on success). async: stream-ordered (the pointer says its device;
 * pool slack is refreshed), pool: the pool it named (NULL: the device's). */
void sl_record_alloc(const sl_runtime_ops *ops, sl_api api, unsigned rc, void *const *ptr, uint64_t size,
                     sl_stream_ref stream, bool async, void *pool) __attribute__((visibility("hidden")));

/* After a free whose claim was made before the real call. A NULL free is a
 * no-op for the runtime and for us. */
void sl_record_free(const sl_runtime_ops *ops, sl_api api, unsigned rc, const sl_free_claim *claim,
                    sl_stream_ref stream, bool async) __attribute__((visibility("hidden")));

/* After the program's own MemGetInfo: passed through, and remembered. */
void sl_record_mem_get_info(const sl_runtime_ops *ops, sl_api api, unsigned rc, const size_t *free_bytes,
                            const size_t *total_bytes) __attribute__((visibility("hidden")));

#endif
