/* What an event says about the thread it came from: its kernel id and its
 * context (the open NVTX phases, else STORMLOG_CONTEXT). Used by the
 * accounting, the lifecycle and the phase stack alike, so that none of them
 * has to ask another for it. */
#ifndef STORMLOG_SHIM_THREAD_CONTEXT_H
#define STORMLOG_SHIM_THREAD_CONTEXT_H

#include <stdint.h>

#include "event.h"

/* The calling thread's kernel id (cached per thread). */
int64_t sl_thread_id(void) __attribute__((visibility("hidden")));
/* The thread's open NVTX phases as the event's context; without any,
 * STORMLOG_CONTEXT when set. */
void sl_thread_apply_context(sl_event *ev) __attribute__((visibility("hidden")));

/* The forking thread's id is the parent's: forgotten in the child. */
void sl_thread_atfork_child(void) __attribute__((visibility("hidden")));

#endif
