/* The writer's side of a growing ring (ring_grow.c): it drains a sealed
 * ring to its end, then moves on to the successor (a ring is sealed only
 * once it has one); it makes the successor of a half-full ring ahead of
 * need, faults new rings' pages in ahead of the producers and gives the
 * outgrown ring's back. */
#include "writer_ring.h"

#include "pipeline_shared.h"
#include "ring_grow.h"

/* The newest ring half full: its successor made and faulted in now, here,
 * so that the producer that finds the ring full moves on at once to pages
 * that are already there (a page fault costs microseconds on a VM, and a
 * 2 MiB ring is 512 of them). A producer still makes one itself when the
 * writer was not in time (ring_grow.c). */
static void grow_ahead(sl_writer *w, sl_ring *last)
{
    uint64_t used = sl_ring_tail(last) - (last == w->ring ? last->head : 0);
    if (sl_ring_successor(last) || last->capacity >= w->cfg.ring_capacity || used * 2 < last->capacity)
        return;
    uint32_t cap = (uint64_t)last->capacity * SL_RING_GROWTH < w->cfg.ring_capacity ? last->capacity * SL_RING_GROWTH
                                                                                   : w->cfg.ring_capacity;
    sl_ring *next = sl_ring_create(cap);
    if (!next)
        return;
    next->predecessor = last;
    sl_ring_prefault(next);
    sl_ring *none = NULL;
    if (!atomic_compare_exchange_strong_explicit(&last->successor, &none, next, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        sl_ring_destroy(next); /* a producer was first */
        return;
    }
    w->prefaulted = next;
    atomic_store_explicit(&sl_pipe.stat_ring_slots, cap, memory_order_relaxed);
}

void sl_writer_prepare_ring(sl_writer *w)
{
    sl_ring *last = w->ring;
    for (sl_ring *r = sl_ring_successor(w->ring); r; r = sl_ring_successor(r)) {
        last = r;
        if (r == w->prefaulted)
            continue;
        sl_ring_prefault(r);
        w->prefaulted = r;
        atomic_store_explicit(&sl_pipe.stat_ring_slots, r->capacity, memory_order_relaxed);
    }
    grow_ahead(w, last);
}

bool sl_writer_next_ring(sl_writer *w)
{
    sl_ring *old = w->ring;
    /* A sealed ring's tail is final: at head == tail it is drained. */
    if (!sl_ring_sealed(old) || old->head < sl_ring_tail(old))
        return false;
    sl_ring *next = sl_ring_successor(old);
    if (!next)
        return false;
    w->ring = next;
    w->ring_start = sl_ring_start(next);
    w->pending_upto = w->ring_start;
    sl_ring_drop_pages(old);
    sl_pipe_retire_ring(old);
    return true;
}

uint64_t sl_writer_ring_backlog(sl_writer *w)
{
    uint64_t n = 0;
    for (;;) {
        n += sl_ring_tail(w->ring) - w->ring->head;
        sl_ring *next = sl_ring_successor(w->ring);
        if (!next)
            return n;
        sl_pipe_retire_ring(w->ring); /* the stop retires only the current one */
        w->ring = next;
    }
}
