/* The writer thread's start-up (writer_start.c). */
#ifndef STORMLOG_SHIM_PIPELINE_WRITER_START_H
#define STORMLOG_SHIM_PIPELINE_WRITER_START_H

#include <stdbool.h>

struct sl_writer;

/* Creates and opens the sink directory for w and publishes its state
 * (sl_pipe.sink_state). false when recording is off: the line saying why is
 * printed, the pipeline is QUIET and the writer only counts what it drains. */
bool sl_writer_open_sink(struct sl_writer *w);

/* Tests only: run by the writer before it opens the sink, to hold its
 * start-up (NULL in every real process: nothing outside the shim can set it). */
extern void (*sl_writer_start_test_hook)(void);

#endif
