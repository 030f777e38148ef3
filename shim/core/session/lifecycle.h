/* The session: one per process (and one per fork child that allocates). It
 * starts at the first event, not at load, so a process that never touches the
 * GPU leaves no directory (STORMLOG_RECORD_IDLE=1 starts it at load). It stops
 * at exit: the library destructor after a normal exit, or the _exit/_Exit
 * hooks (Python's os._exit, fork children); a vfork child does nothing. */
#ifndef STORMLOG_SHIM_LIFECYCLE_H
#define STORMLOG_SHIM_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"

/* Called before an event is built: starts the session if this is the first
 * one. False when nothing is to be recorded (disabled, stopped, failed). */
bool sl_lifecycle_begin_event(sl_collector collector) __attribute__((visibility("hidden")));
/* Whether events are being accepted now; checked again inside the ordered
 * step, so that nothing is claimed after the stop began. */
bool sl_lifecycle_recording(void) __attribute__((visibility("hidden")));
/* The session id, or NULL when no session is running. */
const char *sl_lifecycle_session_id(void) __attribute__((visibility("hidden")));

/* Before an exec replaces the image or a user-id change: waits (bounded by the shutdown
 * deadline) until the session and every event so far are on disk. Nothing
 * in a vfork child or when not recording. Preserves errno. */
void sl_lifecycle_sync_to_disk(void) __attribute__((visibility("hidden")));

#endif
