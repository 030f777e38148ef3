/* Growing the ring when it fills (ring_grow.c). */
#ifndef STORMLOG_SHIM_PIPELINE_RING_GROW_H
#define STORMLOG_SHIM_PIPELINE_RING_GROW_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"

/* Producer side, when r was full: if r may grow (capacity below max) and no
 * other thread is growing it, seals it, maps a ring four times bigger (at
 * most max) and publishes it as r's successor and in *current. Returns the
 * ring to try next: the successor, or NULL (the event is dropped: growth
 * is under way on another thread, impossible, or r is at its maximum). Never
 * waits for another thread. */
sl_ring *sl_ring_grow(sl_ring *r, uint32_t max, sl_ring *_Atomic *current);

/* The ring to claim in after r was found sealed: its successor, or NULL
 * while the thread growing it has not published it yet. */
static inline sl_ring *sl_ring_successor(sl_ring *r)
{
    return atomic_load_explicit(&r->successor, memory_order_acquire);
}

#endif
