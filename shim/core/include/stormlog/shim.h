/* The public API of libstormlog_shim.so: what a program (or a test) that
 * knows it runs under the shim may ask it. Look the functions up with
 * dlsym(RTLD_DEFAULT, "stormlog_shim_...") so that the program still runs
 * without the shim. */
#ifndef STORMLOG_SHIM_H
#define STORMLOG_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "MAJOR.MINOR.PATCH" of the shim. */
const char *stormlog_shim_version(void);

/* The running session's id (a v4 UUID), or NULL when none is running. */
const char *stormlog_shim_session_id(void);

/* The sink directory being written, or NULL. The writer thread opens it
 * after the session's first event: a call just after that waits for it (a
 * few milliseconds, at most STORMLOG_SHUTDOWN_DEADLINE_MS). */
const char *stormlog_shim_sink_dir(void);

typedef struct stormlog_shim_counters {
    int64_t allocated_bytes; /* live bytes now */
    int64_t reserved_bytes;  /* live + what memory pools keep */
    int64_t peak_bytes;
    uint64_t allocations;
    uint64_t frees;
    uint64_t failed_allocations;
    uint64_t unmatched_frees;
    uint64_t live_allocations;
} stormlog_shim_counters;

/* Counters of device_id (-1: pinned host memory). 0 on success, -1 for a
 * device id outside -1..63. Exact at any quiescent point. */
int stormlog_shim_device_counters(int device_id, stormlog_shim_counters *out);

#ifdef __cplusplus
}
#endif

#endif
