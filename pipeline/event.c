/* The small helpers of event.h: names of the enums and the context label
 * (the metadata setters are inline in event.h). They run on application
 * threads inside hooks, so they never allocate and never call into libc
 * beyond memcpy/strnlen. */
#include "event.h"

#include <string.h>

static const char *const event_type_names[SL_EVENT_TYPE_COUNT] = {
    [SL_EVENT_START] = "start",
    [SL_EVENT_ALLOCATION] = "allocation",
    [SL_EVENT_DEALLOCATION] = "deallocation",
    [SL_EVENT_PEAK] = "peak",
    [SL_EVENT_SAMPLE] = "sample",
    [SL_EVENT_ERROR] = "error",
    [SL_EVENT_STOP] = "stop",
    [SL_EVENT_PHASE_ENTER] = "phase_enter",
    [SL_EVENT_PHASE_EXIT] = "phase_exit",
    [SL_EVENT_MEMORY_MAP] = "memory_map",
    [SL_EVENT_MEMORY_UNMAP] = "memory_unmap",
};

static const char *const collector_names[SL_COLLECTOR_COUNT] = {
    [SL_COLLECTOR_CUDA] = "stormlog.cuda_shim",
    [SL_COLLECTOR_HIP] = "stormlog.hip_shim",
};

const char *sl_event_type_name(sl_event_type t)
{
    return (unsigned)t < SL_EVENT_TYPE_COUNT ? event_type_names[t] : NULL;
}

const char *sl_collector_name(sl_collector c)
{
    return (unsigned)c < SL_COLLECTOR_COUNT ? collector_names[c] : NULL;
}

/* Cut at SL_EVENT_CONTEXT_MAX - 1 bytes, then back off over UTF-8
 * continuation bytes (10xxxxxx) so that a multi-byte character is either kept
 * whole or left out: a label cut mid-character would be written with a
 * U+FFFD replacement by the encoder, which reads as corruption. */
size_t sl_event_context_len(const char *label)
{
    size_t n = strnlen(label, SL_EVENT_CONTEXT_MAX);
    if (n >= SL_EVENT_CONTEXT_MAX) {
        n = SL_EVENT_CONTEXT_MAX - 1;
        while (n > 0 && ((unsigned char)label[n] & 0xC0u) == 0x80u)
            n--;
    }
    return n;
}

void sl_event_set_context(sl_event *ev, const char *label)
{
    ev->flags &= (uint8_t)~SL_EVENT_F_CONTEXT_REF;
    if (label == NULL) {
        ev->flags &= (uint8_t)~SL_EVENT_F_HAS_CONTEXT;
        ev->context[0] = '\0';
        return;
    }
    size_t n = sl_event_context_len(label);
    memcpy(ev->context, label, n);
    ev->context[n] = '\0';
    ev->flags |= SL_EVENT_F_HAS_CONTEXT;
}
