/* Growing the ring when it fills (ring_grow.c). */
#ifndef STORMLOG_SHIM_PIPELINE_RING_GROW_H
#define STORMLOG_SHIM_PIPELINE_RING_GROW_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"

/* How much bigger a ring's successor is. Eightfold: 512 slots, then 4,096,
 * then the default cap of 16,384; a burst meets two growths, and at the
 * last one the outgrown ring (held until drained) is an eighth of the new
 * one's size rather than a quarter (peak RSS, issue 14). */
#define SL_RING_GROWTH 8u

/* Producer side, when r was full: the ring to claim in next, r's successor
 * (SL_RING_GROWTH times bigger, at most max slots), made now if r has none; r is
 * sealed and *current moved on to it. NULL when r is at max or no memory
 * is left: the event is then dropped. Never waits for another thread. */
sl_ring *sl_ring_grow(sl_ring *r, uint32_t max, sl_ring *_Atomic *current);

/* The ring to claim in after r was found sealed (r has a successor: a ring
 * is sealed only once it has one). Seals nothing, makes nothing. */
sl_ring *sl_ring_follow(sl_ring *r, sl_ring *_Atomic *current);

/* Where r's positions start in the pipeline's running count: its
 * predecessors' claims (they are sealed, so their counts are final). */
uint64_t sl_ring_start(sl_ring *r);

static inline sl_ring *sl_ring_successor(sl_ring *r)
{
    return atomic_load_explicit(&r->successor, memory_order_acquire);
}

#endif
