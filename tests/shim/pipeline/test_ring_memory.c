/* The ring's memory: untouched pages until used, compact one-slot events and
 * several-slot ones in order, and growth (a full ring is sealed and followed by
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

Test(ring_memory, a_fresh_ring_touches_no_page_and_slots_are_136_bytes)
{
    cr_assert_eq(sizeof(sl_ring_slot), 136);
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

/* The shim's allocation and free events, with every metadata entry they
 * carry (stream and stack included), each fit one slot; whatever does not
 * fit the compact form still travels whole, in more slots. */
Test(ring_memory, an_allocation_or_a_free_takes_one_slot)
{
    sl_event alloc;
    memset(&alloc, 0, sizeof alloc);
    alloc.type = SL_EVENT_ALLOCATION;
    alloc.device_id = 7;
    alloc.timestamp_ns = 1796396545151514854;
    alloc.allocated_bytes = 1 << 30;
    alloc.device_free_bytes = 17179868928;
    alloc.device_total_bytes = 17179869184;
    alloc.flags = SL_EVENT_F_HAS_FREE | SL_EVENT_F_HAS_TOTAL;
    sl_event_meta_str(&alloc, "api", "cudaMallocAsync");
    sl_event_meta_hex(&alloc, "ptr", 0x7f0011223344ull);
    sl_event_meta_int(&alloc, "size", 1 << 30);
    sl_event_meta_hex(&alloc, "stream", 0x55aa);
    sl_event_meta_int(&alloc, "thread_id", 4242);
    sl_event_meta_int(&alloc, "stack_id", 77);
    cr_assert_eq(sl_ring_span(&alloc), 1);

    sl_ring *r = sl_ring_create(8);
    uint64_t pos;
    cr_assert_eq(sl_ring_push(r, &alloc, &pos), SL_RING_PUSHED);
    const sl_event *ev;
    cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_READY);
    cr_assert_eq(r->span, 1);
    cr_assert_eq(ev->type, SL_EVENT_ALLOCATION);
    cr_assert_eq(ev->device_id, 7);
    cr_assert_eq(ev->timestamp_ns, alloc.timestamp_ns);
    cr_assert_eq(ev->allocated_bytes, alloc.allocated_bytes);
    cr_assert_eq(ev->device_free_bytes, alloc.device_free_bytes);
    cr_assert_eq(ev->device_total_bytes, alloc.device_total_bytes);
    cr_assert_eq(ev->flags, alloc.flags);
    cr_assert_eq(ev->meta_count, 6);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(ev->meta[i].key, alloc.meta[i].key, "the key is the same string, not a copy");
        cr_assert_eq(ev->meta[i].kind, alloc.meta[i].kind);
        cr_assert_eq(ev->meta[i].v.u, alloc.meta[i].v.u);
    }
    cr_assert_str_eq(ev->meta[0].v.s, "cudaMallocAsync");
    sl_ring_release(r);

    /* A seventh entry, a copied context, a device id beyond 16 bits: wide. */
    sl_event six = alloc;
    sl_event_meta_str(&six, "driver_api", "cuMemAlloc_v2");
    sl_event ctx = alloc;
    sl_event_set_context(&ctx, "phase/forward");
    sl_event far = alloc;
    far.device_id = 70000;
    const sl_event *wide[] = {&six, &ctx, &far};
    for (int i = 0; i < 3; i++) {
        cr_assert_gt(sl_ring_span(wide[i]), 1, "case %d", i);
        cr_assert_eq(sl_ring_push(r, wide[i], &pos), SL_RING_PUSHED);
        cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_READY);
        cr_assert_eq(ev->device_id, wide[i]->device_id);
        cr_assert_eq(ev->meta_count, wide[i]->meta_count);
        cr_assert_eq(ev->meta[ev->meta_count - 1].v.u, wide[i]->meta[ev->meta_count - 1].v.u);
        cr_assert_eq(ev->meta[ev->meta_count - 1].kind, wide[i]->meta[ev->meta_count - 1].kind);
        cr_assert_eq(ev->flags, wide[i]->flags);
        if (wide[i]->flags & SL_EVENT_F_HAS_CONTEXT)
            cr_assert_str_eq(ev->context, "phase/forward");
        sl_ring_release(r);
    }
    sl_ring_destroy(r);
}

/* STORMLOG_CONTEXT: every event points to the process's label, which the
 * packed form keeps as a flag; a label that is not the registered one still
 * travels whole, in more slots. */
Test(ring_memory, events_pointing_to_the_process_label_take_one_slot)
{
    static const char label[] = "train/epoch-3";
    static const char other[] = "a label that is not the process's";
    sl_event ev = numbered(5, 4, false);
    sl_event_set_context_ref(&ev, label);
    cr_assert_gt(sl_ring_span(&ev), 1, "no label registered: the pointer travels whole");

    sl_ring_slot_set_process_label(label);
    cr_assert_eq(sl_ring_span(&ev), 1);
    sl_event foreign = numbered(6, 4, false);
    sl_event_set_context_ref(&foreign, other);
    cr_assert_gt(sl_ring_span(&foreign), 1);

    sl_ring *r = sl_ring_create(8);
    uint64_t pos;
    const sl_event *out;
    cr_assert_eq(sl_ring_push(r, &ev, &pos), SL_RING_PUSHED);
    cr_assert_eq(sl_ring_push(r, &foreign, &pos), SL_RING_PUSHED);
    cr_assert_eq(sl_ring_peek(r, &out), SL_RING_READY);
    cr_assert_eq(r->span, 1);
    cr_assert(out->flags & SL_EVENT_F_CONTEXT_REF);
    cr_assert_eq(out->context_ref, label, "the same string, not a copy");
    cr_assert_eq(out->meta[3].v.i, 5 * 100 + 3);
    sl_ring_release(r);
    cr_assert_eq(sl_ring_peek(r, &out), SL_RING_READY);
    cr_assert_gt(r->span, 1);
    cr_assert_eq(out->context_ref, other);
    sl_ring_release(r);
    sl_ring_slot_set_process_label(NULL);
    sl_ring_destroy(r);
}

Test(ring_memory, big_events_take_several_slots_in_order_across_the_wrap)
{
    sl_ring *r = sl_ring_create(16);
    uint64_t pos;
    int64_t seq = 0;
    /* 3 metadata entries: 1 slot; 12: 3 slots; none: 1; 2 and a label: 2. */
    int metas[] = {3, SL_EVENT_META_MAX, 0, 2};
    bool ctx[] = {false, false, false, true};
    unsigned spans[] = {1, 3, 1, 2};
    for (int lap = 0; lap < 7; lap++) {
        /* 7 slots of mixed events and 8 single ones (15 of 16: each lap
         * starts one slot further on, so events straddle the wrap), then a
         * refusal for a two-slot event that finds one free slot, then the
         * consumer catches up. */
        for (int i = 0; i < 4; i++) {
            sl_event e = numbered(seq + i, metas[i], ctx[i]);
            cr_assert_eq(sl_ring_span(&e), spans[i], "event %d", i);
            cr_assert_eq(sl_ring_push(r, &e, &pos), SL_RING_PUSHED, "lap %d event %d", lap, i);
        }
        for (int i = 4; i < 12; i++) {
            sl_event one = numbered(seq + i, 1, false);
            cr_assert_eq(sl_ring_push(r, &one, &pos), SL_RING_PUSHED, "lap %d event %d", lap, i);
        }
        sl_event two = numbered(99, 2, true);
        cr_assert_eq(sl_ring_span(&two), 2);
        cr_assert_eq(sl_ring_push(r, &two, &pos), SL_RING_FULL, "one slot left: a two-slot event is refused");
        for (int i = 0; i < 4; i++)
            expect_next(r, seq + i, metas[i], ctx[i]);
        for (int i = 4; i < 12; i++)
            expect_next(r, seq + i, 1, false);
        const sl_event *ev;
        cr_assert_eq(sl_ring_peek(r, &ev), SL_RING_EMPTY);
        seq += 12;
    }
    sl_ring_destroy(r);
}

Test(ring_memory, a_full_ring_grows_and_events_keep_their_order)
{
    sl_ring *_Atomic current = sl_ring_create(4);
    sl_ring *first = current;
    uint64_t pos, last_pos = 0;
    int64_t pushed = 0;
    /* 4 fit, the fifth grows the ring to 32, then to 64 (the maximum). */
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
    cr_expect_eq(pushed, 4 + 32 + 64, "grown to the maximum before refusing");
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
