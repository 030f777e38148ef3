/* The MPSC ring on its own: slot states, a producer that never publishes,
 * and the stress the issue asks for (8 producers through a 1,024-slot ring:
 * every event consumed exactly once or refused, in order per producer). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring.h"
#include "sink_reader.h"

static sl_event numbered(int producer, int64_t seq)
{
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SL_EVENT_ALLOCATION;
    ev.device_id = producer;
    ev.allocated_bytes = seq;
    return ev;
}

/* What a producer does before its copy: claim the position. Leaves the slot
 * claimed and unpublished, as a thread that died mid-emit would. */
static uint64_t claim_and_vanish(sl_ring *r)
{
    uint64_t pos = atomic_load(&r->tail);
    cr_assert_eq(atomic_load(&r->slots[pos & r->mask].seq), pos & ~r->mask, "stored relative to the slot: free");
    cr_assert(atomic_compare_exchange_strong(&r->tail, &pos, pos + 1));
    return pos;
}

static void expect_ready(sl_ring *r, int64_t seq)
{
    const sl_event *ev;
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_READY);
    cr_assert_eq(ev->allocated_bytes, seq);
    sl_ring_release(r);
}

Test(ring, refuses_bad_capacities)
{
    cr_assert_null(sl_ring_create(0));
    cr_assert_null(sl_ring_create(1));
    cr_assert_null(sl_ring_create(12));
    sl_ring *r = sl_ring_create(2);
    cr_assert_not_null(r);
    sl_ring_destroy(r);
}

Test(ring, fifo_full_and_wrap)
{
    sl_ring *r = sl_ring_create(4);
    const sl_event *ev;
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_EMPTY);
    uint64_t pos;
    for (int i = 0; i < 4; i++) {
        sl_event e = numbered(0, i);
        cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED);
        cr_assert_eq(pos, (uint64_t)i);
    }
    sl_event e = numbered(0, 99);
    cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_FULL, "never waits: a full ring refuses");
    for (int lap = 0; lap < 5; lap++) {
        expect_ready(r, lap * 4 + 0);
        expect_ready(r, lap * 4 + 1);
        e = numbered(0, lap * 4 + 4);
        cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED);
        e = numbered(0, lap * 4 + 5);
        cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED);
        expect_ready(r, lap * 4 + 2);
        expect_ready(r, lap * 4 + 3);
        e = numbered(0, lap * 4 + 6);
        cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED);
        e = numbered(0, lap * 4 + 7);
        cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED);
    }
    sl_ring_destroy(r);
}

Test(ring, a_producer_that_never_publishes_costs_one_slot_not_the_ring)
{
    sl_ring *r = sl_ring_create(4);
    const sl_event *ev;
    uint64_t pos;
    uint64_t dead = claim_and_vanish(r); /* position 0 */
    sl_event e1 = numbered(1, 1), e2 = numbered(1, 2);
    cr_assert_eq(sl_ring_push(r, &e1, &pos), SL_RING_PUSHED);
    cr_assert_eq(sl_ring_push(r, &e2, &pos), SL_RING_PUSHED);
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_PENDING, "the consumer cannot pass an unpublished slot by itself");
    cr_assert(sl_ring_abandon(r));
    cr_assert_eq(r->abandoned, 1);
    expect_ready(r, 1);
    expect_ready(r, 2);
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_EMPTY);

    /* Next lap: the retired slot blocks its position until the consumer
     * skips it; it is never handed out again while its producer may write. */
    sl_event e3 = numbered(1, 3);
    cr_assert_eq(sl_ring_push(r, &e3, &pos), SL_RING_PUSHED); /* position 3 */
    sl_event e4 = numbered(1, 4);
    cr_assert_eq(sl_ring_push(r, &e4, &pos), SL_RING_FULL); /* position 4 = the dead slot */
    expect_ready(r, 3);
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_EMPTY); /* skipped position 4 */
    cr_assert_eq(r->voided, 1);
    cr_assert_eq(sl_ring_push(r, &e4, &pos), SL_RING_PUSHED);
    cr_assert_eq(pos, 5);
    expect_ready(r, 4);

    /* The late producer comes back: its publish fails, it leaves the slot
     * (what sl_ring_push does), and the consumer returns the slot to use. */
    atomic_store(&r->slots[dead & r->mask].seq, (dead & ~r->mask) | SL_RING_RETIRED | SL_RING_LATE_DONE);
    for (int i = 6; i < 8; i++) {
        sl_event e = numbered(1, i);
        cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED);
        expect_ready(r, i);
    }
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_EMPTY); /* position 8: slot 0 restored */
    sl_event e8 = numbered(1, 8);
    cr_assert_eq(sl_ring_push(r, &e8, &pos), SL_RING_PUSHED);
    cr_assert_eq(pos, 8);
    expect_ready(r, 8);
    cr_assert_eq(r->voided, 1);
    sl_ring_destroy(r);
}

/* ---- stress ---- */

#define PRODUCERS 8

typedef struct stress {
    sl_ring *ring;
    uint64_t per_producer;
    _Atomic int producers_left;
    uint64_t pushed[PRODUCERS], full[PRODUCERS], late[PRODUCERS];
    uint64_t consumed[PRODUCERS];
    int64_t last_seq[PRODUCERS];
    bool out_of_order;
    uint64_t abandoned;
} stress;

typedef struct producer_arg {
    stress *s;
    int id;
} producer_arg;

static void *produce(void *p)
{
    producer_arg *a = p;
    stress *s = a->s;
    for (uint64_t i = 0; i < s->per_producer; i++) {
        sl_event ev = numbered(a->id, (int64_t)i);
        uint64_t pos;
        switch (sl_ring_push(s->ring, &ev, &pos)) {
        case SL_RING_PUSHED: s->pushed[a->id]++; break;
        case SL_RING_FULL: s->full[a->id]++; break;
        case SL_RING_ABANDONED: s->late[a->id]++; break;
        case SL_RING_SEALED_OFF: cr_assert_fail("nobody seals this ring"); break;
        }
    }
    atomic_fetch_sub(&s->producers_left, 1);
    return NULL;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void *consume(void *p)
{
    stress *s = p;
    int64_t pending_since = 0;
    for (;;) {
        bool done = atomic_load(&s->producers_left) == 0;
        const sl_event *ev;
        sl_ring_peek_result pr = sl_ring_peek(s->ring, &ev);
        if (pr == SL_RING_READY) {
            int id = ev->device_id;
            int64_t seq = ev->allocated_bytes;
            if (seq <= s->last_seq[id])
                s->out_of_order = true;
            s->last_seq[id] = seq;
            s->consumed[id]++;
            sl_ring_release(s->ring);
            pending_since = 0;
        } else if (pr == SL_RING_PENDING) {
            /* The writer's patience, shortened: give up after 50 ms. */
            if (!pending_since)
                pending_since = now_ns();
            else if (now_ns() - pending_since > 50000000 && sl_ring_abandon(s->ring)) {
                s->abandoned++;
                pending_since = 0;
            }
            sched_yield();
        } else if (done) {
            break;
        } else {
            sched_yield();
        }
    }
    return NULL;
}

Test(ring, stress_eight_producers_one_consumer_1024_slots, .timeout = 600)
{
    stress *s = calloc(1, sizeof *s);
    s->ring = sl_ring_create(1024);
    s->per_producer = test_scaled(1000000);
    atomic_store(&s->producers_left, PRODUCERS);
    for (int i = 0; i < PRODUCERS; i++)
        s->last_seq[i] = -1;
    pthread_t consumer, producers[PRODUCERS];
    producer_arg args[PRODUCERS];
    pthread_create(&consumer, NULL, consume, s);
    for (int i = 0; i < PRODUCERS; i++) {
        args[i] = (producer_arg){s, i};
        pthread_create(&producers[i], NULL, produce, &args[i]);
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(producers[i], NULL);
    pthread_join(consumer, NULL);

    uint64_t produced = 0, consumed = 0, refused = 0, late = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        cr_assert_eq(s->pushed[i] + s->full[i] + s->late[i], s->per_producer);
        cr_assert_eq(s->consumed[i], s->pushed[i], "producer %d: every accepted event is consumed exactly once", i);
        produced += s->per_producer;
        consumed += s->consumed[i];
        refused += s->full[i];
        late += s->late[i];
    }
    cr_assert_not(s->out_of_order, "per producer, consumed sequence numbers increase");
    cr_assert_eq(consumed + refused + late, produced);
    cr_assert_eq(late, s->abandoned, "every slot given up on is a refusal its producer saw");
    cr_log_info("ring stress: produced %lu consumed %lu full %lu abandoned %lu", (unsigned long)produced,
                (unsigned long)consumed, (unsigned long)refused, (unsigned long)late);
    sl_ring_destroy(s->ring);
    free(s);
}
