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
 * Multi-slot events. An event that does not fit one slot (ring_slot.h)
 * claims positions p .. p + span - 1 with one CAS (all its slots must be
 * free for them); its later parts go to the payloads of those slots, whose
 * seqs stay "free for their position" while the event is in flight, and
 * only slot p's seq publishes it. The consumer releases the later slots
 * before slot p, so a producer that finds slot p free finds the others free
 * too. A producer that comes back to a retired first slot retires its later
 * slots itself (RETIRED | LATE_DONE at their own positions): the consumer
 * meeting one of those at head skips the position and frees the slot.
 *
 * Storage. A slot's seq is stored minus its index, so that the zeroed
 * pages of a fresh anonymous mapping read as "slot i free for position i":
 * nothing is initialised, and a page costs memory only once a
 * producer (or the writer's prefault) touches it.
 *
 * Memory order: claims and publishes are seq_cst so that, together with the
 * writer's seq_cst "I am going to sleep" store and tail load, either the
 * writer sees the new event or the producer sees the sleeping writer (see
 * writer.c); on x86 a seq_cst CAS costs what a release one does.
 */
#include "ring.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RETIRED SL_RING_RETIRED
#define LATE_DONE SL_RING_LATE_DONE
#define FLAGS (RETIRED | LATE_DONE)
#define SEALED SL_RING_SEALED

/* The stored form of a seq (see the storage note above). */
static inline uint64_t enc(const sl_ring *r, uint64_t idx, uint64_t seq)
{
    (void)r;
    return ((seq & ~FLAGS) - idx) | (seq & FLAGS);
}
static inline uint64_t dec(const sl_ring *r, uint64_t idx, uint64_t stored)
{
    (void)r;
    return ((stored & ~FLAGS) + idx) | (stored & FLAGS);
}
static inline uint64_t seq_load(sl_ring *r, uint64_t pos, memory_order mo)
{
    uint64_t idx = pos & r->mask;
    return dec(r, idx, atomic_load_explicit(&r->slots[idx].seq, mo));
}
static inline void seq_store(sl_ring *r, uint64_t pos, uint64_t seq, memory_order mo)
{
    uint64_t idx = pos & r->mask;
    atomic_store_explicit(&r->slots[idx].seq, enc(r, idx, seq), mo);
}
/* CAS on the seq of pos's slot; *expected is updated (decoded) on failure. */
static inline bool seq_cas(sl_ring *r, uint64_t pos, uint64_t *expected, uint64_t desired)
{
    uint64_t idx = pos & r->mask;
    uint64_t e = enc(r, idx, *expected);
    bool ok = atomic_compare_exchange_strong_explicit(&r->slots[idx].seq, &e, enc(r, idx, desired),
                                                      memory_order_seq_cst, memory_order_acquire);
    if (!ok)
        *expected = dec(r, idx, e);
    return ok;
}

#define HUGE_PAGE ((size_t)2 << 20)

/* Anonymous zero pages, untouched. A ring of 2 MiB or more is aligned to
 * 2 MiB and asks for huge pages over its whole 2 MiB pages: one fault
 * instead of 512 (a 4 KiB fault costs tens of microseconds on a VM, and a
 * producer that outruns the writer's prefault pays them). The part past the
 * last whole huge page stays in small pages: a huge page there would
 * commit memory the ring never uses (16,384 slots of 136 bytes are
 * 2.125 MiB: one huge page and 32 small ones, not two huge pages). */
static void *map_slots(size_t bytes)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    if (bytes < HUGE_PAGE) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    unsigned char *p = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    unsigned char *aligned = (unsigned char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (aligned > p)
        munmap(p, (size_t)(aligned - p));
    size_t tail = (size_t)(p + bytes + HUGE_PAGE - (aligned + bytes));
    if (tail > 0)
        munmap(aligned + bytes, tail);
#ifdef MADV_HUGEPAGE
    madvise(aligned, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
    return aligned;
}

sl_ring *sl_ring_create(uint32_t capacity)
{
    if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        return NULL;
    sl_ring *r = NULL;
    if (posix_memalign((void **)&r, 64, sizeof *r) != 0)
        return NULL;
    memset(r, 0, sizeof *r);
    size_t bytes = (size_t)capacity * sizeof(sl_ring_slot);
    void *slots = map_slots(bytes);
    if (slots == NULL) {
        free(r);
        return NULL;
    }
    r->slots = slots;
    r->map_bytes = bytes;
    r->capacity = capacity;
    r->mask = capacity - 1;
    atomic_init(&r->tail, 0);
    atomic_init(&r->head_published, 0);
    atomic_init(&r->successor, NULL);
    atomic_init(&r->start, -1);
    return r;
}

void sl_ring_destroy(sl_ring *r)
{
    if (r) {
        munmap(r->slots, r->map_bytes);
        free(r);
    }
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

void sl_ring_prefault(sl_ring *r)
{
    /* One call for all pages (about 30 times faster than touching them one
     * by one here); it changes no byte, so producers may be at work. */
    if (madvise(r->slots, r->map_bytes, MADV_POPULATE_WRITE) == 0)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t step = page > sizeof(sl_ring_slot) ? page / sizeof(sl_ring_slot) : 1;
    /* An RMW that adds nothing: it makes the page ours without changing a
     * seq a producer may be using this very moment. */
    for (size_t i = 0; i < r->capacity; i += step)
        atomic_fetch_add_explicit(&r->slots[i].seq, 0, memory_order_relaxed);
}

void sl_ring_drop_pages(sl_ring *r)
{
    madvise(r->slots, r->map_bytes, MADV_DONTNEED);
}

uint64_t sl_ring_seal(sl_ring *r)
{
    return atomic_fetch_or_explicit(&r->tail, SEALED, memory_order_seq_cst) & ~SEALED;
}

/* Are the slots after pos free for their positions? */
static bool rest_free(sl_ring *r, uint64_t pos, unsigned span)
{
    for (unsigned i = 1; i < span; i++)
        if (seq_load(r, pos + i, memory_order_acquire) != pos + i)
            return false;
    return true;
}

sl_ring_push_result sl_ring_push(sl_ring *r, const sl_event *ev, uint64_t *pos_out)
{
    sl_ring_slot_plan plan;
    sl_ring_slot_plan_for(ev, &plan);
    unsigned span = plan.span;
    if (span > r->capacity)
        return SL_RING_FULL;
    uint64_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        if (pos & SEALED)
            return SL_RING_SEALED_OFF;
        uint64_t seq = seq_load(r, pos, memory_order_acquire);
        if (seq == pos && (span == 1 || rest_free(r, pos, span))) {
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + span, memory_order_seq_cst,
                                                      memory_order_relaxed))
                break;
            continue; /* pos now holds the current tail */
        }
        uint64_t fresh = atomic_load_explicit(&r->tail, memory_order_relaxed);
        if (fresh != pos) { /* others moved on while we looked: look again */
            pos = fresh;
            continue;
        }
        /* tail == pos and a slot we need is not free for it: it still holds
         * an event of the previous lap, or it is retired. Full either way. */
        if (seq == pos || (seq & RETIRED) || (int64_t)(seq - pos) < 0)
            return SL_RING_FULL;
        pos = fresh; /* seq > pos: a stale view; retry */
    }

    sl_ring_slot_write(r->slots, r->mask, pos, ev, &plan);

    uint64_t expected = pos;
    if (seq_cas(r, pos, &expected, pos + 1)) {
        if (pos_out)
            *pos_out = pos;
        return SL_RING_PUSHED;
    }
    /* The consumer retired our slot while we were away: leave it for good. */
    seq_store(r, pos, expected | LATE_DONE, memory_order_release);
    for (unsigned i = 1; i < span; i++) {
        uint64_t later = pos + i;
        if (!seq_cas(r, pos + i, &later, (pos + i) | RETIRED | LATE_DONE) && (later & RETIRED))
            seq_store(r, pos + i, later | LATE_DONE, memory_order_release);
    }
    return SL_RING_ABANDONED;
}

sl_ring_peek_result sl_ring_peek(sl_ring *r, const sl_event **ev)
{
    for (;;) {
        uint64_t pos = r->head;
        uint64_t seq = seq_load(r, pos, memory_order_acquire);
        if (seq == pos + 1) {
            r->span = sl_ring_slot_span(r->slots, r->mask, pos);
            sl_ring_slot_read(r->slots, r->mask, pos, &r->scratch);
            *ev = &r->scratch;
            return SL_RING_READY;
        }
        if (seq & RETIRED) {
            if ((seq & ~FLAGS) == pos) {
                /* A later slot of a multi-slot event whose producer came
                 * back too late and retired it itself: skip the position,
                 * the slot serves the next lap. */
                seq_store(r, pos, pos + r->capacity, memory_order_release);
                r->head = pos + 1;
                r->voided++;
                continue;
            }
            if (seq & LATE_DONE) {
                /* Its late producer has left: the slot serves position pos. */
                seq_store(r, pos, pos, memory_order_release);
                return SL_RING_EMPTY;
            }
            /* Producers cannot claim past a retired slot, so the tail is at
             * pos (or was already moved over it by us on an earlier call);
             * on a sealed ring, a tail at pos is the end. */
            uint64_t expect = pos;
            if (atomic_compare_exchange_strong_explicit(&r->tail, &expect, pos + 1, memory_order_seq_cst,
                                                        memory_order_relaxed)
                || (expect & ~SEALED) > pos) {
                r->head = pos + 1;
                r->voided++;
                continue;
            }
            return SL_RING_EMPTY;
        }
        if (sl_ring_tail(r) == pos)
            return SL_RING_EMPTY;
        return SL_RING_PENDING;
    }
}

void sl_ring_release(sl_ring *r)
{
    uint64_t pos = r->head;
    for (unsigned i = r->span; i-- > 1;)
        seq_store(r, pos + i, pos + i + r->capacity, memory_order_release);
    seq_store(r, pos, pos + r->capacity, memory_order_release);
    r->head = pos + r->span;
    r->span = 1;
}

bool sl_ring_abandon(sl_ring *r)
{
    uint64_t pos = r->head;
    uint64_t expected = pos;
    if (!seq_cas(r, pos, &expected, pos | RETIRED))
        return false; /* published meanwhile */
    r->head = pos + 1;
    r->abandoned++;
    return true;
}
