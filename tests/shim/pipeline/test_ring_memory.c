/* The ring's memory: untouched pages until used, compact one-slot events and
 * two-slot ones in order, and growth (a full ring is sealed and followed by
 * a bigger one) that keeps claim order and runs positions on. Growth by
 * several producers at once: pipeline_threads grow (it runs under TSan). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"
#include "ring_grow.h"

static sl_event numbered(int64_t seq, int metas, bool context)
{
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SL_EVENT_ALLOCATION;
    ev.allocated_bytes = seq;
    for (int i = 0; i < metas; i++)
        sl_event_meta_int(&ev, "k", seq * 100 + i);
    if (context)
        sl_event_set_context(&ev, "a label copied into the event");
    return ev;
}

static size_t resident_pages(sl_ring *r)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (r->map_bytes + page - 1) / page, resident = 0;
    unsigned char *vec = calloc(n, 1);
    cr_assert_eq(mincore(r->slots, r->map_bytes, vec), 0);
    for (size_t i = 0; i < n; i++)
        resident += vec[i] & 1;
    free(vec);
    return resident;
}

static void expect_next(sl_ring *r, int64_t seq, int metas, bool context)
{
    const sl_event *ev;
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_READY, "event %lld", (long long)seq);
    cr_assert_eq(ev->allocated_bytes, seq);
    cr_assert_eq(ev->meta_count, metas);
    for (int i = 0; i < metas; i++)
        cr_assert_eq(ev->meta[i].v.i, seq * 100 + i, "event %lld meta %d", (long long)seq, i);
    cr_assert_eq((ev->flags & SL_EVENT_F_HAS_CONTEXT) != 0, context);
    if (context)
        cr_assert_str_eq(ev->context, "a label copied into the event");
    sl_ring_release(r);
}

Test(ring_memory, a_fresh_ring_touches_no_page_and_slots_are_256_bytes)
{
    cr_assert_eq(sizeof(sl_ring_slot), 256);
    cr_assert_geq(SL_RING_COMPACT_META, 7, "an allocation's event is one slot");
    sl_ring *r = sl_ring_create(4096);
    cr_assert_eq(resident_pages(r), 0, "nothing initialised: zero pages read as free slots");
    sl_event e = numbered(1, 3, false);
    uint64_t pos;
    cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED);
    cr_assert_eq(resident_pages(r), 1, "a page once a producer uses it");
    sl_ring_prefault(r);
    cr_assert_eq(resident_pages(r), r->map_bytes / (size_t)sysconf(_SC_PAGESIZE));
    expect_next(r, 1, 3, false);
    sl_ring_drop_pages(r);
    cr_assert_eq(resident_pages(r), 0);
    sl_ring_destroy(r);
}

Test(ring_memory, big_events_take_two_slots_in_order_across_the_wrap)
{
    sl_ring *r = sl_ring_create(8);
    uint64_t pos;
    int64_t seq = 0;
    for (int lap = 0; lap < 5; lap++) {
        /* 1 + 2 + 1 + 2 slots, then a refusal for a two-slot event that
         * finds only one free slot, then the consumer catches up. */
        int metas[] = {3, SL_EVENT_META_MAX, 0, 2};
        bool ctx[] = {false, false, false, true};
        for (int i = 0; i < 4; i++) {
            sl_event e = numbered(seq + i, metas[i], ctx[i]);
            cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED, "lap %d event %d", lap, i);
        }
        sl_event one = numbered(seq + 4, 1, false);
        cr_assert_eq(sl_ring_push(r, &one, &pos), SL_RING_PUSHED);
        sl_event two = numbered(99, 0, true);
        cr_assert_eq(sl_ring_push(r, &two, &pos), SL_RING_FULL, "one slot left: a two-slot event is refused");
        for (int i = 0; i < 4; i++)
            expect_next(r, seq + i, metas[i], ctx[i]);
        expect_next(r, seq + 4, 1, false);
        const sl_event *ev;
        cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_EMPTY);
        seq += 5;
    }
    sl_ring_destroy(r);
}

Test(ring_memory, a_full_ring_grows_and_events_keep_their_order)
{
    sl_ring *_Atomic current = sl_ring_create(4);
    sl_ring *first = current;
    uint64_t pos, last_pos = 0;
    int64_t pushed = 0;
    /* 4 fit, the fifth grows the ring to 16, then to 64 (the maximum). */
    for (; pushed < 200; pushed++) {
        sl_event e = numbered(pushed, 1, false);
        sl_ring *r = current;
        sl_ring_push_result res;
        while ((res = sl_ring_push(r, &e, &pos)) != SL_RING_PUSHED) {
            sl_ring *next = res == SL_RING_FULL ? sl_ring_grow(r, 64, &current) : sl_ring_follow(r, &current);
            if (!next)
                break;
            r = next;
        }
        if (res != SL_RING_PUSHED)
            break;
        uint64_t global = sl_ring_start(r) + pos;
        cr_assert(pushed == 0 || global == last_pos + 1, "positions run on across rings");
        last_pos = global;
    }
    cr_expect_eq(pushed, 4 + 16 + 64, "grown to the maximum before refusing");
    sl_ring *last = current;
    cr_assert_eq(last->capacity, 64);
    cr_assert(sl_ring_sealed(first));
    cr_assert_null(sl_ring_grow(last, 64, &current), "at its maximum a full ring stays");
    /* The consumer drains each sealed ring to its end, then its successor. */
    int64_t seq = 0;
    for (sl_ring *r = first; r; r = sl_ring_successor(r)) {
        const sl_event *ev;
        while (sl_ring_peek(r, &ev) == SL_RING_READY)
            expect_next(r, seq++, 1, false);
    }
    cr_assert_eq(seq, pushed);
    sl_ring *mid = sl_ring_successor(first);
    sl_ring_destroy(first);
    sl_ring_destroy(mid);
    sl_ring_destroy(last);
}
