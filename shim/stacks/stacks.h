/* Call stacks of allocations (issue 16): captured on the allocating thread,
 * interned into a bounded table, and written by the writer thread as a
 * definition once per segment (docs/shim.md, "Call stacks").
 *
 * The program's thread only walks its own stack and copies bytes into the
 * shim's memory: no lock, no dynamic-loader call, no allocation after the
 * thread's first capture. Everything that takes a lock the program could
 * hold (dlsym, dl_iterate_phdr, reading build-ids) runs in the library
 * constructor (already under the loader's lock) or on the writer thread. */
#ifndef STORMLOG_SHIM_STACKS_H
#define STORMLOG_SHIM_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "stormlog/schema/value.h"

typedef enum sl_stacks_mode {
    SL_STACKS_OFF = 0,
    SL_STACKS_PYTHON = 1,
    SL_STACKS_NATIVE = 2,
    SL_STACKS_ALL = 3, /* PYTHON | NATIVE */
} sl_stacks_mode;

#define SL_STACKS_DEFAULT SL_STACKS_ALL /* from bench/overhead: docs/shim.md */
#define SL_STACKS_DEPTH_MAX 64        /* STORMLOG_STACK_DEPTH's upper bound */
#define SL_STACKS_TABLE_MAX (1u << 20) /* STORMLOG_STACK_TABLE's upper bound */

/* The metadata keys (telemetry wire format agreed with the readers). */
#define SL_STACK_ID_KEY "stack_id"
#define SL_STACK_STATUS_KEY "stack_status"

/* Non-zero while stacks are captured: the hooks' one branch. */
extern int sl_stacks_active __attribute__((visibility("hidden")));

/* From the library constructor: reads STORMLOG_STACKS and its companions
 * (stacks_config.h), finds the interpreter's functions, the shim's own code
 * range and warms up backtrace(); maps the table. */
void sl_stacks_load(void) __attribute__((visibility("hidden")));
/* At the session's start, in the process that records: bad settings and
 * what load had to turn off, one line each through warn. */
void sl_stacks_say_problems(void (*warn)(const char *fmt, ...)) __attribute__((visibility("hidden")));

/* On the allocating thread: adds metadata.stack_id (or stack_status) to ev. */
void sl_stacks_tag(sl_event *ev) __attribute__((visibility("hidden")));

/* The stop event's "stacks" member: mode and counters. */
sl_member sl_stacks_summary(void) __attribute__((visibility("hidden")));

/* Writer thread: the "stack" definition ev needs in the segment numbered
 * segment (the first record of that segment with its stack_id carries it).
 * false when ev carries no stack or the segment has its definition. The
 * member stays valid until the next call. */
bool sl_stacks_definition(const sl_event *ev, uint64_t segment, sl_member *out) __attribute__((visibility("hidden")));
/* Fork child: its writer starts a sink of its own, numbered from 1 again;
 * what the parent's writer defined is not in it. */
void sl_stacks_forget_segments(void) __attribute__((visibility("hidden")));

#endif
