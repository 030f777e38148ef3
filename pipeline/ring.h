/* Bounded multi-producer single-consumer ring of fixed-size event slots
 * (D. Vyukov's per-slot sequence ring, with a way out for producers that never
 * come back). Producers: one CAS to claim a position, a copy of the event, one
 * CAS to publish it; no lock, no syscall, no allocation, never a wait. The one
 * consumer is the writer thread. See ring.c for the slot states.
 *
 * Memory that fits the work: a slot is 128 bytes; the common allocation/free
 * event is packed into one, any other event takes up to SL_RING_MAX_SPAN
 * neighbouring slots (ring_slot.h says what the bytes mean). The slots are
 * anonymous memory that nobody initialises (a zero seq means "free"), so a
 * ring costs pages only as they are used. A full ring grows: it is sealed
 * and followed by a bigger one (ring_grow.c); each ring counts its
 * positions from 0 and knows where they start in the
 * pipeline's running count. */
#ifndef STORMLOG_SHIM_PIPELINE_RING_H
#define STORMLOG_SHIM_PIPELINE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "ring_slot.h"

/* Flags of a slot's seq (ring.c); positions stay below 2^62. */
#define SL_RING_RETIRED (UINT64_C(1) << 63)
#define SL_RING_LATE_DONE (UINT64_C(1) << 62)
/* Flag of the tail: the ring takes no more claims. */
#define SL_RING_SEALED (UINT64_C(1) << 63)

typedef struct sl_ring {
    _Alignas(64) _Atomic uint64_t tail;   /* next position to claim (producers); SL_RING_SEALED */
    _Alignas(64) _Atomic uint64_t head_published; /* consumer's head, published now and then for occupancy checks */
    _Alignas(64) uint64_t head;           /* next position to consume (consumer only) */
    uint64_t mask;
    uint32_t capacity;
    unsigned span;                        /* slots of the READY event at head (consumer only) */
    uint64_t abandoned;                   /* positions the consumer gave up on (consumer only) */
    uint64_t voided;                      /* positions skipped over a retired slot (consumer only) */
    sl_ring_slot *slots;
    size_t map_bytes;
    sl_event scratch;                     /* the READY event, copied out whole (consumer only) */
    /* Growth (ring_grow.c): the bigger ring that follows this one once it
     * is sealed, the one before, and where this ring's positions start in
     * the pipeline's running count (-1 until computed). */
    struct sl_ring *_Atomic successor;
    struct sl_ring *predecessor;
    _Atomic int64_t start;
    struct sl_ring *next_retired;         /* see sl_pipeline_stop: old rings stay reachable */
} sl_ring;

typedef enum sl_ring_push_result {
    SL_RING_PUSHED = 0,
    SL_RING_FULL,      /* no free slot: the event was not copied */
    SL_RING_ABANDONED, /* copied too late: the consumer had given up on the slot */
    SL_RING_SEALED_OFF, /* the ring was sealed: try the pipeline's current ring */
} sl_ring_push_result;

typedef enum sl_ring_peek_result {
    SL_RING_EMPTY = 0, /* nothing claimed at head */
    SL_RING_READY,     /* *ev is the published event at head */
    SL_RING_PENDING,   /* claimed, not yet published: wait a little, then sl_ring_abandon */
} sl_ring_peek_result;

/* capacity: a power of two >= 2. Positions start at 0. NULL when out of memory. */
sl_ring *sl_ring_create(uint32_t capacity);
void sl_ring_destroy(sl_ring *r);

/* Slots an event takes (ring_slot.h): 1 for the common one. */
static inline unsigned sl_ring_span(const sl_event *ev)
{
    sl_ring_slot_plan plan;
    sl_ring_slot_plan_for(ev, &plan);
    return plan.span;
}

/* Producer side. *pos_out: the position taken (for durable waits). */
sl_ring_push_result sl_ring_push(sl_ring *r, const sl_event *ev, uint64_t *pos_out);

/* Consumer side (one thread). peek never blocks; a READY event stays valid
 * until sl_ring_release. Positions claimed over a retired slot are skipped
 * inside peek. */
sl_ring_peek_result sl_ring_peek(sl_ring *r, const sl_event **ev);
void sl_ring_release(sl_ring *r);
/* Gives up on the PENDING slot at head: returns true when the slot is now
 * retired (its event is lost and counted by the caller), false when the
 * producer published meanwhile (peek again). */
bool sl_ring_abandon(sl_ring *r);

/* No more claims (idempotent); returns the end position (claims below it
 * are still drained). */
uint64_t sl_ring_seal(sl_ring *r);
static inline bool sl_ring_sealed(sl_ring *r)
{
    return (atomic_load_explicit(&r->tail, memory_order_seq_cst) & SL_RING_SEALED) != 0;
}
/* Faults the slots' pages in (the writer does it, so that producers do not);
 * safe while producers use the ring. */
void sl_ring_prefault(sl_ring *r);
/* Hands the slots' pages back to the kernel (a ring the writer is done
 * with; the mapping stays, for a late producer that still writes there). */
void sl_ring_drop_pages(sl_ring *r);

/* Publishes head for producers' occupancy checks. */
static inline void sl_ring_publish_head(sl_ring *r)
{
    atomic_store_explicit(&r->head_published, r->head, memory_order_seq_cst);
}
static inline uint64_t sl_ring_tail(sl_ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_seq_cst) & ~SL_RING_SEALED;
}

#endif
