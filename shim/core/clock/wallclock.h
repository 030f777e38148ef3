/* The events' wall clock: CLOCK_REALTIME in nanoseconds, read cheaply.
 *
 * Every recorded event takes one timestamp on the application's thread, two
 * per cudaMalloc + cudaFree pair. clock_gettime through the vDSO costs about
 * 25 ns here, a fifth of what the shim adds to a pair; on x86-64 with an
 * invariant TSC that the kernel itself uses as its clocksource, the clock is
 * instead the TSC scaled from an anchor (a TSC reading and CLOCK_REALTIME
 * taken together) that is renewed every 100 ms, so NTP's slewing and a
 * stepped clock are followed within that time. Everywhere else, and with
 * STORMLOG_CLOCK=system, it is clock_gettime itself. */
#ifndef STORMLOG_SHIM_WALLCLOCK_H
#define STORMLOG_SHIM_WALLCLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Nanoseconds since the epoch. Never fails. Successive readings on one thread
 * may step back by a few microseconds when an anchor is renewed (as the wall
 * clock itself may); accounting keeps each device's events in order. */
int64_t sl_wallclock_ns(void) __attribute__((visibility("hidden")));

/* Which clock is in use: "tsc", "system", or "calibrating" (the first 20 ms after
 * the background thread started, read from the system clock). For tests and the stop summary. */
const char *sl_wallclock_source(void) __attribute__((visibility("hidden")));

/* Decides the clock and calibrates the TSC, a step at a time: called on a
 * background thread (the pipeline's writer), never on the program's. Returns
 * the nanoseconds after which it wants to be called again, 0 when done. */
int64_t sl_wallclock_background_tick(void) __attribute__((visibility("hidden")));

/* A fork child starts its own anchor: the parent's may have been half
 * written by a thread that does not exist in the child. */
void sl_wallclock_atfork_child(void) __attribute__((visibility("hidden")));

#endif
