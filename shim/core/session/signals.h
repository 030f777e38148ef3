/* Closing the session when SIGTERM, SIGINT or SIGHUP ends the process (how
 * Slurm ends a job at its time limit, how a user stops a run). See signals.c. */
#ifndef STORMLOG_SHIM_SIGNALS_H
#define STORMLOG_SHIM_SIGNALS_H

#include <stdint.h>

/* At session start: for each of the three signals whose disposition is the
 * default, installs the shim's handler (a program's own handler, or SIG_IGN,
 * is left alone). wait_ms bounds how long the handler waits for the session
 * to be closed before the process dies of the signal. */
void sl_signals_arm(uint32_t wait_ms) __attribute__((visibility("hidden")));

/* On the pipeline's writer thread, once per session: starts the thread that
 * closes the session when a handler wakes it (or puts the default
 * dispositions back when no thread can be started). */
void sl_signals_start_closer(void) __attribute__((visibility("hidden")));

/* Fork child: the closing thread is the parent's; the child arms its own at
 * its own session start. */
void sl_signals_atfork_child(void) __attribute__((visibility("hidden")));

/* Provided by the lifecycle: closes the session with exit_path "signal". */
void sl_lifecycle_close_on_signal(int signo) __attribute__((visibility("hidden")));

#endif
