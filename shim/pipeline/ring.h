/* Bounded multi-producer single-consumer ring of fixed-size event slots
 * (D. Vyukov's per-slot sequence ring, with a way out for producers that never
 * come back). Producers: one CAS to claim a position, a copy of the event, one
 * CAS to publish it; no lock, no syscall, no allocation, never a wait. The one
 * consumer is the writer thread. See ring.c for the slot states. */
#ifndef STORMLOG_SHIM_PIPELINE_RING_H
#define STORMLOG_SHIM_PIPELINE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/* Flags of a slot's seq (ring.c); positions stay below 2^62. */
#define SL_RING_RETIRED (UINT64_C(1) << 63)
#define SL_RING_LATE_DONE (UINT64_C(1) << 62)

typedef struct sl_ring_slot {
    _Alignas(64) _Atomic uint64_t seq;
    sl_event ev;
} sl_ring_slot;

typedef struct sl_ring {
    _Alignas(64) _Atomic uint64_t tail;   /* next position to claim (producers) */
    _Alignas(64) _Atomic uint64_t head_published; /* consumer's head, published now and then for occupancy checks */
    _Alignas(64) uint64_t head;           /* next position to consume (consumer only) */
    uint64_t mask;
    uint32_t capacity;
    uint64_t abandoned;                   /* positions the consumer gave up on (consumer only) */
    uint64_t voided;                      /* positions skipped over a retired slot (consumer only) */
    sl_ring_slot *slots;
    struct sl_ring *next_retired;         /* see sl_pipeline_stop: old rings stay reachable */
} sl_ring;

typedef enum sl_ring_push_result {
    SL_RING_PUSHED = 0,
    SL_RING_FULL,      /* no free slot: the event was not copied */
    SL_RING_ABANDONED, /* copied too late: the consumer had given up on the slot */
} sl_ring_push_result;

typedef enum sl_ring_peek_result {
    SL_RING_EMPTY = 0, /* nothing claimed at head */
    SL_RING_READY,     /* *ev is the published event at head */
    SL_RING_PENDING,   /* claimed, not yet published: wait a little, then sl_ring_abandon */
} sl_ring_peek_result;

/* capacity: a power of two >= 2. NULL when out of memory. */
sl_ring *sl_ring_create(uint32_t capacity);
void sl_ring_destroy(sl_ring *r);

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
/* Publishes head for producers' occupancy checks. */
static inline void sl_ring_publish_head(sl_ring *r)
{
    atomic_store_explicit(&r->head_published, r->head, memory_order_seq_cst);
}
static inline uint64_t sl_ring_tail(sl_ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_seq_cst);
}

#endif
