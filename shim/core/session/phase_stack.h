/* Phases: the per-thread stack of NVTX ranges (push/pop) and the table of
 * start/end ranges, and the phase_enter / phase_exit events they make.
 *
 * Each thread owns its stack; nothing is shared but atomic counters and the
 * start/end table (claimed slot by slot with compare-and-swap), so a push
 * or a pop takes no lock and never waits. An allocation made while phases
 * are open carries their path ("train/step/forward") as its context.
 *
 * Bounds, never growth: a stack deeper than SL_PHASE_DEPTH_MAX keeps
 * counting levels (so pops still pair) but records nothing for the deeper
 * ones; a path longer than the event's context is cut at a UTF-8 boundary;
 * a pop with nothing open is counted and ignored. */
#ifndef STORMLOG_SHIM_PHASE_STACK_H
#define STORMLOG_SHIM_PHASE_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define SL_PHASE_DEPTH_MAX 16   /* levels recorded per thread */
#define SL_PHASE_RANGES_MAX 256 /* start/end ranges open at once, process-wide */

#define SL_PHASE_HIDDEN __attribute__((visibility("hidden")))

/* Marks phases as in use: until then sl_phase_apply_context costs one load. */
void sl_phase_enable(void) SL_PHASE_HIDDEN;

/* Push a phase named by name[0..len) on the calling thread's stack. Returns
 * the 0-based level of the new phase (NVTX's return value). */
int sl_phase_push(const char *name, size_t len) SL_PHASE_HIDDEN;
/* Pop the calling thread's innermost phase. Returns the level it had, or -1
 * (counted) when none is open. */
int sl_phase_pop(void) SL_PHASE_HIDDEN;

/* A range that may end on another thread (nvtxRangeStart/End). Returns its
 * id (never 0). */
uint64_t sl_phase_range_start(const char *name, size_t len) SL_PHASE_HIDDEN;
void sl_phase_range_end(uint64_t id) SL_PHASE_HIDDEN;

/* Sets the event's context to the calling thread's phase path; false (and
 * the event untouched) when no phase is open. */
bool sl_phase_apply_context(sl_event *ev) SL_PHASE_HIDDEN;

typedef struct sl_phase_counters {
    uint64_t truncated;       /* pushes beyond SL_PHASE_DEPTH_MAX */
    uint64_t unmatched_pops;  /* pops with nothing open */
    uint64_t unmatched_ends;  /* ends of unknown range ids */
    uint64_t ranges_dropped;  /* start ranges beyond SL_PHASE_RANGES_MAX */
} sl_phase_counters;

void sl_phase_get_counters(sl_phase_counters *out) SL_PHASE_HIDDEN;
/* Adds the counters to the stop event's metadata (nvtx_truncated_pushes,
 * nvtx_unmatched_pops, nvtx_unmatched_ends, nvtx_dropped_ranges) when NVTX
 * attached; nothing otherwise. */
void sl_phase_note_counters(sl_event *ev) SL_PHASE_HIDDEN;

#endif
