/* Sleeping and waking on a 32-bit atomic word (Linux futex, private to the
 * process). Used only to park threads that have nothing to do: every state
 * the pipeline relies on lives in C11 atomics, the futex just saves the
 * spinning. Both calls leave errno as they found it. */
#ifndef STORMLOG_SHIM_PIPELINE_FUTEX_H
#define STORMLOG_SHIM_PIPELINE_FUTEX_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *word == expected, at most timeout_ns (< 0: no limit); may
 * return early (spurious wake, signal): callers re-check their condition. */
static inline void sl_futex_wait(_Atomic uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
    int saved_errno = errno;
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        tsp = &ts;
    }
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
    errno = saved_errno;
}

static inline void sl_futex_wake(_Atomic uint32_t *word, int count)
{
    int saved_errno = errno;
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
    errno = saved_errno;
}

#endif
