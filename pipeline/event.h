/* The fixed-size event that travels from an application thread through the
 * ring to the writer. It holds no pointer into the application's memory: the
 * only pointers are to the shim's own static strings (metadata keys and
 * static string values such as API names); everything else is copied. */
#ifndef STORMLOG_SHIM_EVENT_H
#define STORMLOG_SHIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_EVENT_CONTEXT_MAX 128 /* context label bytes kept, NUL included; longer is truncated */
#define SL_EVENT_META_MAX 12     /* metadata entries per event (an OOM's error with its stack takes 11) */

typedef enum sl_event_type {
    SL_EVENT_START = 0,
    SL_EVENT_ALLOCATION,
    SL_EVENT_DEALLOCATION,
    SL_EVENT_PEAK,
    SL_EVENT_SAMPLE,
    SL_EVENT_ERROR,
    SL_EVENT_STOP,
    SL_EVENT_PHASE_ENTER,
    SL_EVENT_PHASE_EXIT,
    SL_EVENT_MEMORY_MAP,   /* cuMemMap: metadata only, allocator_change_bytes 0 */
    SL_EVENT_MEMORY_UNMAP, /* cuMemUnmap: metadata only, allocator_change_bytes 0 */
    SL_EVENT_TYPE_COUNT
} sl_event_type;

typedef enum sl_collector {
    SL_COLLECTOR_CUDA = 0, /* "stormlog.cuda_shim" */
    SL_COLLECTOR_HIP,      /* "stormlog.hip_shim" */
    SL_COLLECTOR_COUNT
} sl_collector;

typedef enum sl_meta_kind {
    SL_META_INT = 0,
    SL_META_UINT_HEX,   /* u64 written as a "0x..." string (pointers, streams) */
    SL_META_STATIC_STR, /* pointer to a string literal of the shim */
    SL_META_BOOL,
    SL_META_NULL,
} sl_meta_kind;

typedef struct sl_event_meta {
    const char *key; /* string literal of the shim */
    uint8_t kind;    /* sl_meta_kind */
    union {
        int64_t i;
        uint64_t u;
        const char *s;
        bool b;
    } v;
} sl_event_meta;

typedef struct sl_event {
    int64_t timestamp_ns; /* CLOCK_REALTIME */
    int32_t device_id;    /* -1: host / no device */
    uint8_t type;         /* sl_event_type */
    uint8_t collector;    /* sl_collector */
    uint8_t meta_count;
    uint8_t flags;        /* SL_EVENT_F_* */
    int64_t allocated_bytes;
    int64_t reserved_bytes;
    int64_t change_bytes;
    int64_t device_used_bytes;
    int64_t device_free_bytes;  /* valid with SL_EVENT_F_HAS_FREE */
    int64_t device_total_bytes; /* valid with SL_EVENT_F_HAS_TOTAL */
    /* With SL_EVENT_F_CONTEXT_REF: a label that lives as long as the process
     * (the configured context, the program's name), kept once and pointed
     * to, so that the event stays small enough for one ring slot. */
    const char *context_ref;
    /* Only meta[0..meta_count) and, with SL_EVENT_F_HAS_CONTEXT, the context
     * are meaningful; the context comes last so that the ring can leave it
     * uncopied when unused (ring.c), and readers never look at it then. */
    sl_event_meta meta[SL_EVENT_META_MAX];
    char context[SL_EVENT_CONTEXT_MAX]; /* valid with SL_EVENT_F_HAS_CONTEXT */
} sl_event;

#define SL_EVENT_F_HAS_FREE 0x01u
#define SL_EVENT_F_HAS_TOTAL 0x02u
#define SL_EVENT_F_HAS_CONTEXT 0x04u
#define SL_EVENT_F_DURABLE 0x08u /* flush + fsync as soon as written (error events) */
#define SL_EVENT_F_CONTEXT_REF 0x10u /* the context is context_ref, not copied */

/* The event_type / collector strings of the record. */
const char *sl_event_type_name(sl_event_type t);
const char *sl_collector_name(sl_collector c);

/* Append one metadata entry; false (and nothing changed) when full. Inline:
 * an allocation's events take four or five each, on the application's
 * thread, and a call apiece was a measurable share of the shim's cost. */
static inline sl_event_meta *sl_event_meta_append(sl_event *ev, const char *key, sl_meta_kind kind)
{
    if (ev->meta_count >= SL_EVENT_META_MAX || key == NULL)
        return NULL;
    sl_event_meta *m = &ev->meta[ev->meta_count++];
    m->key = key;
    m->kind = (uint8_t)kind;
    return m;
}

static inline bool sl_event_meta_int(sl_event *ev, const char *key, int64_t v)
{
    sl_event_meta *m = sl_event_meta_append(ev, key, SL_META_INT);
    if (m)
        m->v.i = v;
    return m != NULL;
}

static inline bool sl_event_meta_hex(sl_event *ev, const char *key, uint64_t v)
{
    sl_event_meta *m = sl_event_meta_append(ev, key, SL_META_UINT_HEX);
    if (m)
        m->v.u = v;
    return m != NULL;
}

static inline bool sl_event_meta_null(sl_event *ev, const char *key)
{
    return sl_event_meta_append(ev, key, SL_META_NULL) != NULL;
}

static inline bool sl_event_meta_str(sl_event *ev, const char *key, const char *static_str)
{
    if (static_str == NULL)
        return sl_event_meta_null(ev, key);
    sl_event_meta *m = sl_event_meta_append(ev, key, SL_META_STATIC_STR);
    if (m)
        m->v.s = static_str;
    return m != NULL;
}

static inline bool sl_event_meta_bool(sl_event *ev, const char *key, bool v)
{
    sl_event_meta *m = sl_event_meta_append(ev, key, SL_META_BOOL);
    if (m)
        m->v.b = v;
    return m != NULL;
}
/* Copy a context label (truncated to SL_EVENT_CONTEXT_MAX - 1 bytes at a
 * UTF-8 boundary) and set SL_EVENT_F_HAS_CONTEXT. */
void sl_event_set_context(sl_event *ev, const char *label);
/* Point to a label that outlives every event (no copy): the encoder
 * truncates it as sl_event_set_context would. NULL clears it. */
static inline void sl_event_set_context_ref(sl_event *ev, const char *label)
{
    ev->context_ref = label;
    ev->flags = (uint8_t)(label ? (ev->flags | SL_EVENT_F_CONTEXT_REF) & ~SL_EVENT_F_HAS_CONTEXT
                                : ev->flags & ~SL_EVENT_F_CONTEXT_REF);
}
/* Bytes of label kept as a context: at most SL_EVENT_CONTEXT_MAX - 1, cut
 * at a UTF-8 boundary. */
size_t sl_event_context_len(const char *label);

#endif
