/* Work on sessions side by side. Once a recording is loaded, each session's
 * summary and each session's chart model depend on that session alone, and
 * the loaded recording may be read from many threads at once (loader.h), so
 * a job of N ranks is N independent pieces of work. Items are handed out one
 * at a time from a shared counter: ranks differ in size, and a fixed split
 * would leave a thread idle beside the biggest rank. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

#define CLI_MAX_THREADS 64

unsigned cli_thread_count(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        return 1;
    return cpus > CLI_MAX_THREADS ? CLI_MAX_THREADS : (unsigned)cpus;
}

typedef struct parallel_job {
    size_t count;
    cli_item_fn fn;
    void *ctx;
    atomic_size_t next;
    atomic_bool failed;
} parallel_job;

static void *parallel_worker(void *arg)
{
    parallel_job *job = arg;
    for (;;) {
        /* After a failure the caller reports an error and throws the results
         * away: stop taking work rather than finish it for nothing. */
        if (atomic_load_explicit(&job->failed, memory_order_relaxed))
            break;
        size_t i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (i >= job->count)
            break;
        if (!job->fn(job->ctx, i))
            atomic_store(&job->failed, true);
    }
    return NULL;
}

bool cli_parallel_for(size_t count, cli_item_fn fn, void *ctx)
{
    parallel_job job = {.count = count, .fn = fn, .ctx = ctx};
    atomic_init(&job.next, 0);
    atomic_init(&job.failed, false);
    unsigned threads = cli_thread_count();
    if ((size_t)threads > count)
        threads = (unsigned)count;
    /* The calling thread is one of the workers; a helper that cannot be
     * started only means fewer hands, never lost items. */
    pthread_t helpers[CLI_MAX_THREADS];
    unsigned started = 0;
    while (started + 1 < threads && pthread_create(&helpers[started], NULL, parallel_worker, &job) == 0)
        started++;
    parallel_worker(&job);
    for (unsigned k = 0; k < started; k++)
        pthread_join(helpers[k], NULL);
    return !atomic_load(&job.failed);
}
