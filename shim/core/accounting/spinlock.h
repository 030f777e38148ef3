/* A test-and-test-and-set lock for critical sections of a few dozen
 * nanoseconds (a counter update plus a ring claim, a hash-table probe). It
 * spins briefly, then yields, so a holder that was preempted (or one that is
 * waiting for an OOM record to reach the disk) does not burn the other cores.
 * It has no owner and no state beyond one int: fork handling can re-initialise
 * it in the child without knowing who held it. */
#ifndef STORMLOG_SHIM_SPINLOCK_H
#define STORMLOG_SHIM_SPINLOCK_H

#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>

typedef struct sl_spinlock {
    atomic_int held;
} sl_spinlock;

#define SL_SPINLOCK_INIT {0}

static inline void sl_spin_lock(sl_spinlock *l)
{
    for (unsigned spins = 0;; spins++) {
        if (!atomic_load_explicit(&l->held, memory_order_relaxed) &&
            !atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
            return;
        if (spins >= 64) {
            sched_yield();
        } else {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    }
}

/* One attempt, no waiting: for the writer thread, which must never wait for
 * a holder that may itself be waiting for the writer (an OOM's durable emit). */
static inline bool sl_spin_trylock(sl_spinlock *l)
{
    return !atomic_load_explicit(&l->held, memory_order_relaxed) &&
           !atomic_exchange_explicit(&l->held, 1, memory_order_acquire);
}

static inline void sl_spin_unlock(sl_spinlock *l)
{
    atomic_store_explicit(&l->held, 0, memory_order_release);
}

/* Fork child only: the parent's holders do not exist here. */
static inline void sl_spin_reset(sl_spinlock *l)
{
    atomic_store_explicit(&l->held, 0, memory_order_relaxed);
}

#endif
