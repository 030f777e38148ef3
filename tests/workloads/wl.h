/*
 * wl.h: the scripted multi-threaded allocation workload, independent of the
 * runtime it drives.
 *
 * The engine (wl_engine.c) runs T threads that allocate and free through a
 * runtime's whole allocation surface, switch devices, use streams and pools,
 * make the mistakes real programs make (NULL out-pointers, unknown frees,
 * deliberate OOM), and leave some allocations live at exit. Each thread keeps
 * its own books; at the end the engine compares the books with the double's
 * ground truth and writes them as one JSON line (the truth a shim recording
 * is compared with).
 *
 * A runtime (ops_cuda.c, ops_hip.c) is a table of plain functions over the
 * real API; how those functions reach the runtime (linked, dlopen+dlsym, a
 * plugin) is the point of each workload program.
 */
#ifndef STORMLOG_WL_H
#define STORMLOG_WL_H

#include <stddef.h>
#include <stdint.h>

#define WL_MAX_DEVICES 16

typedef enum wl_kind {
    WL_DEVICE = 1,   /* freed by the device free */
    WL_POOL = 2,     /* stream-ordered: either free */
    WL_HOST = 4,     /* pinned host: host free only; real memory */
} wl_kind;

/* What an allocation call is given. */
typedef struct wl_call {
    size_t size;
    void *stream;        /* the thread's stream on the current device, or a special one */
    void *pool;          /* a pool of the current device */
    uint64_t shape;      /* random bits for rows/depth/flags */
} wl_call;

typedef struct wl_alloc_api {
    const char *name;
    wl_kind kind;
    /* Returns the runtime's code; on success *bytes is what the runtime
     * accounts for the allocation (pitch * rows for pitched ones). */
    int (*alloc)(const wl_call *call, void **out, uint64_t *bytes);
} wl_alloc_api;

typedef struct wl_free_api {
    const char *name;
    unsigned accepts;    /* wl_kind mask */
    int (*free_fn)(void *ptr, void *stream);
} wl_free_api;

/* The double's ground truth (stormlog_double.h), reached however the
 * program reaches the runtime. */
typedef struct wl_truth_api {
    long long (*live_bytes)(int device);
    long long (*reserved_bytes)(int device);
    unsigned long long (*allocs)(void);
    unsigned long long (*zero_allocs)(void);
    unsigned long long (*failed)(void);
    unsigned long long (*frees)(void);
    unsigned long long (*bad_frees)(void);
} wl_truth_api;

typedef struct wl_runtime {
    const char *name;                /* "cuda", "hip" */
    int success, out_of_memory, invalid_value;
    const wl_alloc_api *allocs;
    size_t alloc_count;
    const wl_free_api *frees;
    size_t free_count;
    int (*device_count)(int *count);
    int (*set_device)(int device);
    int (*get_device)(int *device);
    int (*mem_get_info)(size_t *free_bytes, size_t *total_bytes);
    int (*get_last_error)(void);
    int (*synchronize)(void);
    int (*stream_create)(void **stream);
    int (*stream_destroy)(void *stream);
    int (*default_pool)(void **pool, int device);
    int (*pool_create)(void **pool, int device);
    int (*pool_destroy)(void *pool);
    int (*pool_trim)(void *pool, size_t keep_bytes);
    void *per_thread_stream;         /* cudaStreamPerThread / hipStreamPerThread */
    wl_truth_api truth;
} wl_runtime;

typedef struct wl_options {
    const char *program;
    int threads;
    long ops;                /* total over all threads */
    int devices;             /* 0: min(2, device count) */
    unsigned long long seed;
    int oom_device;          /* -1: none */
    int keep;                /* allocations each thread leaves live */
    long expect_oom_min;     /* fail unless at least this many OOM returns */
    const char *truth_path;  /* NULL: stdout */
} wl_options;

/* Defaults, then STORMLOG_WORKLOAD_{THREADS,OPS,SEED}, then the arguments:
 *   --threads T --ops N --devices D --seed S --oom-device d --keep K
 *   --expect-oom-min N --truth FILE
 * Returns 0, or 2 after printing usage to stderr. */
int wl_parse_options(int argc, char **argv, wl_options *options);
void wl_default_options(wl_options *options, const char *program);

/* Runs the workload; returns the exit status (0: books == ground truth). */
int wl_run(const wl_runtime *runtime, const wl_options *options);

/* The runtime table each ops file provides; NULL when it cannot be reached
 * (the dlsym variant failed to load the library). */
const wl_runtime *wl_selected_runtime(void);

#endif
