/* The MPSC event ring.
 *
 * Slot states. Each slot's seq tells who may touch it, for position p (slot
 * index p & mask):
 *   seq == p             free for the producer that claims position p (or
 *                        claimed by it and being filled: tail > p tells which)
 *   seq == p + 1         published: the consumer may read it
 *   seq == p + capacity  consumed: free for position p + capacity
 *   seq == q | RETIRED   the consumer gave up on position q (a producer
 *                        claimed it and did not publish within the writer's
 *                        patience); nobody but that producer writes the slot
 *   ... | RETIRED | LATE_DONE  that producer came back, found the slot
 *                        retired, counted its event as dropped and left
 *
 * The weakness of sequence rings is a producer stopped between claim and
 * publish: the consumer cannot pass it, since events must be read in order and
 * the slot's contents are not yet whole. A thread can stop there for good: it
 * is killed by pthread_cancel or longjmps out of a signal handler that
 * interrupted the hook. (A fork is not a problem here: the child never uses
 * its parent's ring, see sl_pipeline_atfork_child.) What we do:
 *
 *  1. The writer waits a bounded time for a PENDING slot (spin, yield, short
 *     sleeps; SL_WRITER_STALL_NS while running, never past the shutdown
 *     deadline), then calls sl_ring_abandon: the slot becomes RETIRED and the
 *     writer counts the event as lost (total only: it cannot trust the half
 *     written device id). The writer moves on.
 *  2. The producer publishes with a CAS, not a store. If it fails, the slot
 *     was retired: the producer does not touch the event memory again, marks
 *     the slot LATE_DONE and reports SL_RING_ABANDONED (the pipeline counts
 *     the drop per device; the total was counted by the writer).
 *  3. A RETIRED slot blocks its index for producers (they see it as full and
 *     drop: never wait) until the consumer comes round to it again. Then:
 *     LATE_DONE -> the consumer hands the slot back (seq = head) since the
 *     late producer has left it for good; not LATE_DONE -> the producer may be
 *     dead or still copying, so the slot must never be reused (a late copy
 *     into a reused slot would tear another event). The consumer claims that
 *     position itself (tail: head -> head + 1, possible because producers
 *     cannot pass a retired slot) and skips it: one slot of capacity is lost
 *     per thread that died mid-emit, nothing hangs.
 *
 * Memory order: claims and publishes are seq_cst so that, together with the
 * writer's seq_cst "I am going to sleep" store and tail load, either the
 * writer sees the new event or the producer sees the sleeping writer (see
 * writer.c); on x86 a seq_cst CAS costs what a release one does.
 */
#include "ring.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define RETIRED SL_RING_RETIRED
#define LATE_DONE SL_RING_LATE_DONE

sl_ring *sl_ring_create(uint32_t capacity)
{
    if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        return NULL;
    sl_ring *r = NULL;
    if (posix_memalign((void **)&r, 64, sizeof *r) != 0)
        return NULL;
    memset(r, 0, sizeof *r);
    void *slots = NULL;
    if (posix_memalign(&slots, 64, (size_t)capacity * sizeof(sl_ring_slot)) != 0) {
        free(r);
        return NULL;
    }
    r->slots = slots;
    r->capacity = capacity;
    r->mask = capacity - 1;
    for (uint32_t i = 0; i < capacity; i++)
        atomic_init(&r->slots[i].seq, i);
    atomic_init(&r->tail, 0);
    atomic_init(&r->head_published, 0);
    return r;
}

void sl_ring_destroy(sl_ring *r)
{
    if (r) {
        free(r->slots);
        free(r);
    }
}

sl_ring_push_result sl_ring_push(sl_ring *r, const sl_event *ev, uint64_t *pos_out)
{
    uint64_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    sl_ring_slot *slot;
    for (;;) {
        slot = &r->slots[pos & r->mask];
        uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
        if (seq == pos) {
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1, memory_order_seq_cst,
                                                      memory_order_relaxed))
                break;
            continue; /* pos now holds the current tail */
        }
        uint64_t fresh = atomic_load_explicit(&r->tail, memory_order_relaxed);
        if (fresh != pos) { /* others moved on while we looked: look again */
            pos = fresh;
            continue;
        }
        /* tail == pos and the slot is not free for it: it still holds the
         * event of the previous lap, or it is retired. Full either way. */
        if ((seq & RETIRED) || (int64_t)(seq - pos) < 0)
            return SL_RING_FULL;
        pos = fresh; /* seq > pos: a stale view; retry */
    }

    /* Two fixed sizes (so the copy stays inline): most events carry no
     * context label, and then its 128 bytes are not copied. */
    if (ev->flags & SL_EVENT_F_HAS_CONTEXT)
        memcpy(&slot->ev, ev, sizeof *ev);
    else
        memcpy(&slot->ev, ev, offsetof(sl_event, context));

    uint64_t expected = pos;
    if (atomic_compare_exchange_strong_explicit(&slot->seq, &expected, pos + 1, memory_order_seq_cst,
                                                memory_order_acquire)) {
        if (pos_out)
            *pos_out = pos;
        return SL_RING_PUSHED;
    }
    /* The consumer retired our slot while we were away: leave it for good. */
    atomic_store_explicit(&slot->seq, expected | LATE_DONE, memory_order_release);
    return SL_RING_ABANDONED;
}

sl_ring_peek_result sl_ring_peek(sl_ring *r, const sl_event **ev)
{
    for (;;) {
        uint64_t pos = r->head;
        sl_ring_slot *slot = &r->slots[pos & r->mask];
        uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_acquire);
        if (seq == pos + 1) {
            *ev = &slot->ev;
            return SL_RING_READY;
        }
        if (seq & RETIRED) {
            if (seq & LATE_DONE) {
                /* Its late producer has left: the slot serves position pos. */
                atomic_store_explicit(&slot->seq, pos, memory_order_release);
                return SL_RING_EMPTY;
            }
            /* Producers cannot claim past a retired slot, so the tail is at
             * pos (or was already moved over it by us on an earlier call). */
            uint64_t expect = pos;
            if (atomic_compare_exchange_strong_explicit(&r->tail, &expect, pos + 1, memory_order_seq_cst,
                                                        memory_order_relaxed)
                || expect > pos) {
                r->head = pos + 1;
                r->voided++;
                continue;
            }
            return SL_RING_EMPTY;
        }
        if (atomic_load_explicit(&r->tail, memory_order_seq_cst) == pos)
            return SL_RING_EMPTY;
        return SL_RING_PENDING;
    }
}

void sl_ring_release(sl_ring *r)
{
    uint64_t pos = r->head;
    atomic_store_explicit(&r->slots[pos & r->mask].seq, pos + r->capacity, memory_order_release);
    r->head = pos + 1;
}

bool sl_ring_abandon(sl_ring *r)
{
    uint64_t pos = r->head;
    uint64_t expected = pos;
    if (!atomic_compare_exchange_strong_explicit(&r->slots[pos & r->mask].seq, &expected, pos | RETIRED,
                                                 memory_order_seq_cst, memory_order_acquire))
        return false; /* published meanwhile */
    r->head = pos + 1;
    r->abandoned++;
    return true;
}
