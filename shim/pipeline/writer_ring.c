/* The writer's side of a growing ring (ring_grow.c): it drains a sealed
 * ring to its end, then moves on to the successor (a ring is sealed only
 * once it has one); it faults a new ring's
 * pages in ahead of the producers and gives the outgrown ring's back. */
#include "writer_ring.h"

#include "pipeline_shared.h"
#include "ring_grow.h"

void sl_writer_prepare_ring(sl_writer *w)
{
    for (sl_ring *r = sl_ring_successor(w->ring); r; r = sl_ring_successor(r)) {
        if (r == w->prefaulted)
            continue;
        sl_ring_prefault(r);
        w->prefaulted = r;
        atomic_store_explicit(&sl_pipe.stat_ring_slots, r->capacity, memory_order_relaxed);
    }
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
