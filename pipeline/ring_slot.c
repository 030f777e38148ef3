/* The ring's slot layout (ring_slot.h).
 *
 * Why a compact form at all: the ring is most of what the shim holds in a
 * process (issue 14), and the allocation/free event that makes up nearly all
 * of the traffic is mostly padding as an sl_event (24-byte metadata entries
 * for a key pointer, a kind byte and a value). Packed, it fits 128 bytes, so
 * a slot is 136 bytes instead of 256 and the same number of events takes
 * little more than half the memory. Packing costs a handful of stores on
 * the program's thread, no more than copying the padded struct did.
 *
 * Compact payload (byte offsets):
 *    0  span (1), form (COMPACT), type, collector, meta_count, flags
 *    6  device_id (int16)
 *    8  timestamp_ns
 *   16  allocated, reserved, change, device used, free, total (int64 each)
 *   64  key offsets (int16 x 6)
 *   76  kinds (4 bits x 6, entry i in byte 76 + i / 2, low half first), one
 *       spare byte
 *   80  values (8 bytes x 6)
 * With SL_EVENT_F_CONTEXT_REF the context is the process's label
 * (sl_ring_slot_set_process_label): the flag stands for the pointer. A key
 * offset is the key's distance from key_base, a string of this module:
 * metadata keys are the shim's string literals, which the linker puts in
 * one read-only section of a few kilobytes. A key farther away (another
 * module's literal, a test's) just makes the event wide.
 *
 * Wide payload: span, form (WIDE), six spare bytes, then the event's bytes
 * from its start to the end of meta[meta_count - 1], then, with
 * SL_EVENT_F_HAS_CONTEXT, the label and its NUL; running on into the next
 * slots' payloads (a slot's seq is not part of the stream). */
#include "ring_slot.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

enum { FORM_COMPACT = 1, FORM_WIDE = 2 };

#define OFF_DEVICE 6
#define OFF_TIMESTAMP 8
#define OFF_NUMBERS 16
#define OFF_KEYS 64
#define OFF_KINDS 76
#define OFF_VALUES 80
#define WIDE_HEADER 8

_Static_assert(OFF_VALUES + 8 * SL_RING_COMPACT_META == SL_RING_SLOT_PAYLOAD, "the compact form fills one payload");
_Static_assert(OFF_KEYS + 2 * SL_RING_COMPACT_META <= OFF_KINDS, "keys fit before the kinds");
_Static_assert(OFF_KINDS + (SL_RING_COMPACT_META + 1) / 2 <= OFF_VALUES, "kinds fit before the values");
_Static_assert(SL_META_NULL < 16, "a kind fits half a byte");
_Static_assert(sizeof(sl_ring_slot) == SL_RING_SLOT_BYTES, "a slot is 136 bytes");
_Static_assert(offsetof(sl_event, device_total_bytes) == offsetof(sl_event, allocated_bytes) + 40,
               "the six counters are adjacent");
_Static_assert(WIDE_HEADER + sizeof(sl_event) <= SL_RING_MAX_SPAN * SL_RING_SLOT_PAYLOAD,
               "the largest event fits SL_RING_MAX_SPAN slots");

static const char key_base[] = "stormlog ring: metadata keys are stored relative to this string";
static const char *_Atomic process_label;

void sl_ring_slot_set_process_label(const char *label)
{
    atomic_store_explicit(&process_label, label, memory_order_relaxed);
}

/* The context a compact event may carry: none, or the process's label. */
static inline bool compact_context(const sl_event *ev)
{
    if (ev->flags & SL_EVENT_F_HAS_CONTEXT)
        return false;
    if (!(ev->flags & SL_EVENT_F_CONTEXT_REF))
        return true;
    return ev->context_ref != NULL && ev->context_ref == atomic_load_explicit(&process_label, memory_order_relaxed);
}

static inline bool key_offset(const char *key, int16_t *out)
{
    intptr_t d = (intptr_t)((uintptr_t)key - (uintptr_t)key_base);
    if (d < INT16_MIN || d > INT16_MAX)
        return false;
    *out = (int16_t)d;
    return true;
}

static inline size_t wide_bytes(const sl_event *ev, size_t context_bytes)
{
    return WIDE_HEADER + offsetof(sl_event, meta) + (size_t)ev->meta_count * sizeof(sl_event_meta) + context_bytes;
}

void sl_ring_slot_plan_for(const sl_event *ev, sl_ring_slot_plan *plan)
{
    plan->span = 1;
    plan->compact = false;
    plan->context_bytes = 0;
    bool compact = ev->meta_count <= SL_RING_COMPACT_META && compact_context(ev) && ev->device_id >= INT16_MIN
                   && ev->device_id <= INT16_MAX;
    for (unsigned i = 0; compact && i < ev->meta_count; i++)
        compact = key_offset(ev->meta[i].key, &plan->key_offset[i]);
    if (compact) {
        plan->compact = true;
        return;
    }
    if (ev->flags & SL_EVENT_F_HAS_CONTEXT)
        plan->context_bytes = (uint16_t)(strnlen(ev->context, SL_EVENT_CONTEXT_MAX - 1) + 1);
    size_t bytes = wide_bytes(ev, plan->context_bytes);
    plan->span = (unsigned)((bytes + SL_RING_SLOT_PAYLOAD - 1) / SL_RING_SLOT_PAYLOAD);
}

static inline unsigned char *payload_at(sl_ring_slot *slots, uint64_t mask, uint64_t pos)
{
    return slots[pos & mask].payload;
}

static inline const unsigned char *payload_in(const sl_ring_slot *slots, uint64_t mask, uint64_t pos)
{
    return slots[pos & mask].payload;
}

static void write_compact(unsigned char *p, const sl_event *ev, const sl_ring_slot_plan *plan)
{
    p[0] = 1;
    p[1] = FORM_COMPACT;
    p[2] = ev->type;
    p[3] = ev->collector;
    p[4] = ev->meta_count;
    p[5] = ev->flags;
    int16_t device = (int16_t)ev->device_id;
    memcpy(p + OFF_DEVICE, &device, sizeof device);
    memcpy(p + OFF_TIMESTAMP, &ev->timestamp_ns, 8);
    /* The six counters are adjacent in sl_event (checked in ring_slot's test). */
    memcpy(p + OFF_NUMBERS, &ev->allocated_bytes, 48);
    memcpy(p + OFF_KEYS, plan->key_offset, 2u * ev->meta_count); /* the reader reads meta_count of them */
    memset(p + OFF_KINDS, 0, (SL_RING_COMPACT_META + 1) / 2);
    for (unsigned i = 0; i < ev->meta_count; i++) {
        p[OFF_KINDS + i / 2] |= (unsigned char)((ev->meta[i].kind & 0xFu) << (4 * (i & 1u)));
        memcpy(p + OFF_VALUES + 8 * i, &ev->meta[i].v, 8);
    }
}

/* Copies len bytes of the wide stream starting at stream offset `at`. */
static void stream_put(sl_ring_slot *slots, uint64_t mask, uint64_t pos, size_t at, const void *src, size_t len)
{
    const unsigned char *s = src;
    while (len > 0) {
        size_t slot = at / SL_RING_SLOT_PAYLOAD, in = at % SL_RING_SLOT_PAYLOAD;
        size_t n = SL_RING_SLOT_PAYLOAD - in < len ? SL_RING_SLOT_PAYLOAD - in : len;
        memcpy(payload_at(slots, mask, pos + slot) + in, s, n);
        s += n;
        at += n;
        len -= n;
    }
}

static void stream_get(const sl_ring_slot *slots, uint64_t mask, uint64_t pos, size_t at, void *dst, size_t len)
{
    unsigned char *d = dst;
    while (len > 0) {
        size_t slot = at / SL_RING_SLOT_PAYLOAD, in = at % SL_RING_SLOT_PAYLOAD;
        size_t n = SL_RING_SLOT_PAYLOAD - in < len ? SL_RING_SLOT_PAYLOAD - in : len;
        memcpy(d, payload_in(slots, mask, pos + slot) + in, n);
        d += n;
        at += n;
        len -= n;
    }
}

void sl_ring_slot_write(sl_ring_slot *slots, uint64_t mask, uint64_t pos, const sl_event *ev,
                        const sl_ring_slot_plan *plan)
{
    if (plan->compact) {
        write_compact(payload_at(slots, mask, pos), ev, plan);
        return;
    }
    unsigned char header[WIDE_HEADER] = {(unsigned char)plan->span, FORM_WIDE};
    size_t core = offsetof(sl_event, meta) + (size_t)ev->meta_count * sizeof(sl_event_meta);
    stream_put(slots, mask, pos, 0, header, sizeof header);
    stream_put(slots, mask, pos, WIDE_HEADER, ev, core);
    if (plan->context_bytes > 0) {
        /* The label may be cut short of its NUL (sl_event_set_context keeps
         * it whole; a hand-made event may not): the NUL is written here. */
        stream_put(slots, mask, pos, WIDE_HEADER + core, ev->context, plan->context_bytes - 1u);
        stream_put(slots, mask, pos, WIDE_HEADER + core + plan->context_bytes - 1u, "", 1);
    }
}

unsigned sl_ring_slot_span(const sl_ring_slot *slots, uint64_t mask, uint64_t pos)
{
    unsigned span = payload_in(slots, mask, pos)[0];
    return span >= 1 && span <= SL_RING_MAX_SPAN ? span : 1;
}

static void read_compact(const unsigned char *p, sl_event *out)
{
    out->type = p[2];
    out->collector = p[3];
    out->meta_count = p[4];
    out->flags = p[5];
    int16_t device;
    memcpy(&device, p + OFF_DEVICE, sizeof device);
    out->device_id = device;
    memcpy(&out->timestamp_ns, p + OFF_TIMESTAMP, 8);
    memcpy(&out->allocated_bytes, p + OFF_NUMBERS, 48);
    out->context_ref =
        (out->flags & SL_EVENT_F_CONTEXT_REF) ? atomic_load_explicit(&process_label, memory_order_relaxed) : NULL;
    for (unsigned i = 0; i < out->meta_count && i < SL_RING_COMPACT_META; i++) {
        int16_t off;
        memcpy(&off, p + OFF_KEYS + 2 * i, sizeof off);
        out->meta[i].key = (const char *)((uintptr_t)key_base + (uintptr_t)(intptr_t)off);
        out->meta[i].kind = (uint8_t)((p[OFF_KINDS + i / 2] >> (4 * (i & 1u))) & 0xFu);
        memcpy(&out->meta[i].v, p + OFF_VALUES + 8 * i, 8);
    }
}

void sl_ring_slot_read(const sl_ring_slot *slots, uint64_t mask, uint64_t pos, sl_event *out)
{
    const unsigned char *first = payload_in(slots, mask, pos);
    if (first[1] == FORM_COMPACT) {
        read_compact(first, out);
        return;
    }
    size_t fixed = offsetof(sl_event, meta);
    stream_get(slots, mask, pos, WIDE_HEADER, out, fixed);
    if (out->meta_count > SL_EVENT_META_MAX)
        out->meta_count = SL_EVENT_META_MAX;
    size_t metas = (size_t)out->meta_count * sizeof(sl_event_meta);
    stream_get(slots, mask, pos, WIDE_HEADER + fixed, out->meta, metas);
    if (out->flags & SL_EVENT_F_HAS_CONTEXT) {
        size_t at = WIDE_HEADER + fixed + metas;
        size_t room = (size_t)sl_ring_slot_span(slots, mask, pos) * SL_RING_SLOT_PAYLOAD - at;
        size_t n = room < SL_EVENT_CONTEXT_MAX ? room : SL_EVENT_CONTEXT_MAX;
        stream_get(slots, mask, pos, at, out->context, n);
        out->context[SL_EVENT_CONTEXT_MAX - 1] = '\0';
    }
}
