/* The ring fits the work: it starts small (SL_RING_INITIAL_SLOTS) and grows
 * SL_RING_GROWTH-fold, up to the configured number of slots, the first time a producer
 * finds it full. Lock-free, and nobody waits for anybody:
 *
 *  - every producer that finds the ring full and without a successor maps
 *    a candidate (one mmap of untouched pages: microseconds, a handful of
 *    times per process, against events lost) and offers it with one CAS;
 *    the losers unmap theirs (nobody else has seen them);
 *  - before claiming in the successor, a producer seals the full ring
 *    (idempotent), so every claim in the old ring precedes every claim in
 *    the new one: the writer drains the old ring to its end, then the new
 *    one, and events keep the order of their claims;
 *  - each ring counts positions from 0; where they start in the pipeline's
 *    running count (which durable waits compare) is the sum of the sealed,
 *    final counts of the rings before it.
 *
 * The writer faults a new ring's pages in and hands an outgrown ring's back
 * to the kernel (writer_ring.c). */
#include "ring_grow.h"

#include <errno.h>

static sl_ring *advance(sl_ring *r, sl_ring *next, sl_ring *_Atomic *current)
{
    sl_ring_seal(r);
    sl_ring *expected = r;
    atomic_compare_exchange_strong_explicit(current, &expected, next, memory_order_seq_cst, memory_order_relaxed);
    return next;
}

sl_ring *sl_ring_grow(sl_ring *r, uint32_t max, sl_ring *_Atomic *current)
{
    sl_ring *next = sl_ring_successor(r);
    if (next)
        return advance(r, next, current);
    if (r->capacity >= max)
        return NULL;
    uint32_t cap = (uint64_t)r->capacity * SL_RING_GROWTH < max ? r->capacity * SL_RING_GROWTH : max;
    int saved_errno = errno; /* the program's: mmap may leave its own */
    sl_ring *candidate = sl_ring_create(cap);
    errno = saved_errno;
    if (!candidate)
        return NULL;
    candidate->predecessor = r;
    sl_ring *none = NULL;
    if (atomic_compare_exchange_strong_explicit(&r->successor, &none, candidate, memory_order_acq_rel,
                                                memory_order_acquire)) {
        next = candidate;
    } else {
        sl_ring_destroy(candidate); /* another producer's won */
        errno = saved_errno;
        next = none;
    }
    return advance(r, next, current);
}

sl_ring *sl_ring_follow(sl_ring *r, sl_ring *_Atomic *current)
{
    sl_ring *next = sl_ring_successor(r);
    return next ? advance(r, next, current) : NULL;
}

uint64_t sl_ring_start(sl_ring *r)
{
    int64_t known = atomic_load_explicit(&r->start, memory_order_relaxed);
    if (known >= 0)
        return (uint64_t)known;
    uint64_t start = r->predecessor ? sl_ring_start(r->predecessor) + sl_ring_tail(r->predecessor) : 0;
    atomic_store_explicit(&r->start, (int64_t)start, memory_order_relaxed);
    return start;
}
