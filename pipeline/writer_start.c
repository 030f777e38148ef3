/* The writer's start-up, on the writer thread: the program's thread that
 * made the first allocation only created the ring and this thread
 * (pipeline.c), so creating the directories, taking the lock, recovering a
 * dead writer's files and writing the manifest cost it nothing. Events it
 * emits meanwhile wait in the ring; the start event is still the first line. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "futex.h"
#include "pipeline_shared.h"
#include "warn.h"
#include "writer.h"
#include "writer_start.h"

void (*sl_writer_start_test_hook)(void);

static void publish_sink_state(uint32_t st)
{
    atomic_store_explicit(&sl_pipe.sink_state, st, memory_order_release);
    sl_futex_wake(&sl_pipe.sink_state, INT_MAX);
}

bool sl_writer_open_sink(sl_writer *w)
{
    if (sl_writer_start_test_hook)
        sl_writer_start_test_hook();
    /* The reason may quote two paths: on the heap, like every big buffer
     * of the shim (-Wstack-usage). */
    struct {
        char why[2 * SL_SINK_PATH_MAX];
        char path[SL_SINK_PATH_MAX];
    } *buf = calloc(1, sizeof *buf);
    char *why = buf ? buf->why : (char[]){"out of memory"};
    size_t why_cap = buf ? sizeof buf->why : 0;
    sl_sink_share_with_group(w->cfg.share_group);
    int dirfd = buf ? sl_sink_dir_create(w->cfg.output_dir, &w->session, buf->path, sizeof buf->path, why, why_cap)
                    : -1;
    sl_sink_limits limits = {w->cfg.rollover_bytes, w->cfg.rollover_events, w->cfg.retention_files,
                             w->cfg.retention_bytes};
    if (dirfd >= 0 && sl_sink_open(&w->sink, dirfd, buf->path, &limits, w->cfg.quiet, why, why_cap)) {
        snprintf(sl_pipe.sink_dir, sizeof sl_pipe.sink_dir, "%s", buf->path);
        free(buf);
        sl_pipe.has_sink_dir = true;
        publish_sink_state(SL_SINK_READY);
        return true;
    }
    /* sl_sink_open closed dirfd and left the sink closed. */
    w->sink.dirfd = w->sink.segfd = -1;
    sl_pipeline_warn(w->cfg.quiet, "%s; recording is off for this process (events are counted and dropped)", why);
    free(buf);
    uint32_t running = SL_PIPE_RUNNING;
    atomic_compare_exchange_strong(&sl_pipe.state, &running, SL_PIPE_QUIET);
    publish_sink_state(SL_SINK_FAILED);
    return false;
}
