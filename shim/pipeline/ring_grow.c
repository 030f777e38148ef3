/* The ring fits the work: it starts small (SL_RING_INITIAL_SLOTS) and grows
 * fourfold, up to the configured number of slots, the first time a producer
 * finds it full. That producer seals the full ring (nobody can claim in it
 * any more; what was claimed is still drained), maps the bigger one (one
 * mmap of untouched pages: a few microseconds, at most a handful of times
 * per process, against an event lost) and publishes it as the successor.
 * Producers that meet the seal move on to the successor, or drop and count
 * while it is being mapped: nobody waits for anybody. The writer drains the
 * sealed ring to its end before it reads the successor, so events keep the
 * order of their claims, and positions run on across rings (durable waits
 * compare them). The writer faults the new pages in and hands the outgrown
 * ring's back to the kernel (writer_ring.c). */
#include "ring_grow.h"

sl_ring *sl_ring_grow(sl_ring *r, uint32_t max, sl_ring *_Atomic *current)
{
    if (r->capacity >= max)
        return NULL;
    uint32_t idle = 0;
    if (!atomic_compare_exchange_strong_explicit(&r->growing, &idle, 1, memory_order_acq_rel,
                                                 memory_order_acquire))
        return sl_ring_successor(r); /* another thread grows it (or has) */
    uint64_t end = sl_ring_seal(r);
    uint32_t cap = r->capacity * 4 < max ? r->capacity * 4 : max;
    sl_ring *next = sl_ring_create_at(cap, end);
    if (!next) {
        /* No memory for a bigger ring: this one stays, full or not. */
        atomic_store_explicit(&r->growing, 2, memory_order_release);
        sl_ring_unseal(r);
        return NULL;
    }
    atomic_store_explicit(&r->successor, next, memory_order_release);
    atomic_store_explicit(current, next, memory_order_seq_cst);
    return next;
}
