/* How an event is laid out in the ring's slots (ring_slot.c): the ring's
 * protocol (ring.c) moves slots; this says what their bytes mean.
 *
 * A slot is 136 bytes: its 8-byte seq and 128 bytes of payload. The common
 * event, an allocation or a free with up to SL_RING_COMPACT_META metadata
 * entries and no context label, is packed into one slot (the "compact"
 * form: metadata keys as 16-bit offsets from a point in the shim's
 * read-only strings, their kinds as half-bytes). Six entries, because an
 * allocation on a stream carries api, ptr, size, stream, thread_id and
 * stack_id, and its free allocation_api instead of stack_id: with five,
 * a stream program's events took two slots each. Any other event is its
 * sl_event bytes up to its last metadata entry, then its context label,
 * across as many neighbouring slots as that takes ("wide", at most
 * SL_RING_MAX_SPAN). Byte 0 of the first payload is the span, so the
 * consumer knows how many slots to read before it reads them. */
#ifndef STORMLOG_SHIM_PIPELINE_RING_SLOT_H
#define STORMLOG_SHIM_PIPELINE_RING_SLOT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "event.h"

#define SL_RING_SLOT_BYTES 136u
#define SL_RING_SLOT_PAYLOAD (SL_RING_SLOT_BYTES - 8u)
#define SL_RING_COMPACT_META 6u
#define SL_RING_MAX_SPAN 4u

/* Not cache-line aligned: 136 bytes is what the packed event needs, and
 * memory is what the slot size is for (issue 14). Neighbouring slots may
 * share a line; a producer touches its own slot only. */
typedef struct sl_ring_slot {
    _Atomic uint64_t seq; /* stored relative to the slot's first position: 0 = free (ring.c) */
    unsigned char payload[SL_RING_SLOT_PAYLOAD];
} sl_ring_slot;

/* What sl_ring_slot_plan decided for one event. */
typedef struct sl_ring_slot_plan {
    unsigned span;   /* slots it takes, 1..SL_RING_MAX_SPAN */
    bool compact;
    uint16_t context_bytes;                  /* wide: label bytes copied, NUL included */
    int16_t key_offset[SL_RING_COMPACT_META]; /* compact: the keys, as offsets */
} sl_ring_slot_plan;

/* The process's context label (STORMLOG_CONTEXT), which lives as long as
 * the process: an event that points to it (SL_EVENT_F_CONTEXT_REF) keeps
 * the compact form, the flag standing for the pointer. Set before the
 * first event; NULL: none. */
void sl_ring_slot_set_process_label(const char *label);

/* Decides the form and the span; cheap (no copy). */
void sl_ring_slot_plan_for(const sl_event *ev, sl_ring_slot_plan *plan);

/* Writes ev into the payloads of slots pos .. pos + span - 1 (mask: the
 * ring's capacity - 1). Only the producer that claimed them calls it. */
void sl_ring_slot_write(sl_ring_slot *slots, uint64_t mask, uint64_t pos, const sl_event *ev,
                        const sl_ring_slot_plan *plan);

/* The span written at pos (byte 0 of its payload; read after the publish). */
unsigned sl_ring_slot_span(const sl_ring_slot *slots, uint64_t mask, uint64_t pos);

/* Reads the event at pos back into *out (its meta[0..meta_count) and, with
 * SL_EVENT_F_HAS_CONTEXT, its context are set; nothing else is promised
 * beyond the fixed fields). */
void sl_ring_slot_read(const sl_ring_slot *slots, uint64_t mask, uint64_t pos, sl_event *out);

#endif
