/* The two clocks the pipeline reads: wall time for records and the ledger,
 * monotonic time for deadlines and flush intervals. */
#ifndef STORMLOG_SHIM_PIPELINE_CLOCK_H
#define STORMLOG_SHIM_PIPELINE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t sl_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static inline int64_t sl_realtime_ns(void) { return sl_clock_ns(CLOCK_REALTIME); }
static inline int64_t sl_monotonic_ns(void) { return sl_clock_ns(CLOCK_MONOTONIC); }

#endif
