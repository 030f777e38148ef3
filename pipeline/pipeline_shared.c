/* The state the producers' side (pipeline.c) and the writer thread
 * (writer.c, writer_ring.c) share, and the two things both do to it, so
 * that neither file calls into the other for them. */
#include "pipeline_shared.h"

#include <stdatomic.h>

sl_pipeline_shared sl_pipe;

/* Rings the process is done with but may not free: a producer that read the
 * ring pointer just before a stop may still copy into it. Kept reachable
 * (leak checkers see them as live) and bounded by the number of starts. */
static sl_ring *_Atomic retired_rings;

/* The writer retires rings it outgrew while a stop or a fork may retire the
 * current one: a lock-free push. */
void sl_pipe_retire_ring(sl_ring *r)
{
    if (!r)
        return;
    sl_ring *top = atomic_load(&retired_rings);
    do
        r->next_retired = top;
    while (!atomic_compare_exchange_weak(&retired_rings, &top, r));
}

void sl_pipe_count_drops(int32_t device_id, uint64_t n, bool total, bool per_device)
{
    if (n == 0)
        return;
    if (total)
        atomic_fetch_add_explicit(&sl_pipe.drops_total, n, memory_order_relaxed);
    if (!per_device)
        return;
    if (device_id == -1)
        atomic_fetch_add_explicit(&sl_pipe.drops_host, n, memory_order_relaxed);
    else if (device_id >= 0 && device_id < SL_MAX_DEVICES)
        atomic_fetch_add_explicit(&sl_pipe.drops_device[device_id], n, memory_order_relaxed);
}
