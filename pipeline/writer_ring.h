/* The writer's side of a growing ring (writer_ring.c). */
#ifndef STORMLOG_SHIM_PIPELINE_WRITER_RING_H
#define STORMLOG_SHIM_PIPELINE_WRITER_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "writer.h"

/* Faults in the pages of rings that producers started since last time. */
void sl_writer_prepare_ring(sl_writer *w);
/* When the current ring is sealed and drained to its end: moves on to its
 * successor (true), handing the old one's pages back. */
bool sl_writer_next_ring(sl_writer *w);
/* At the writer's exit: events left in the ring and its successors; the
 * writer's ring is then the last of them. */
uint64_t sl_writer_ring_backlog(sl_writer *w);

#endif
