/* fork_probe: fork and exec under a shim that is recording.
 *
 *   fork_probe parent OPS   8 threads allocate and free on device 0 (at most
 *                           OPS in all) while the main thread forks 16
 *                           children mid-run: even ones
 *                           leave at once with _exit (never touching the
 *                           runtime), odd ones allocate three blocks, free one
 *                           and leave with _exit. Then an exec chain:
 *                           fork + exec "chain 2" -> fork + exec "chain 1".
 *   fork_probe chain K      allocates, frees, and (K > 1) runs the next link.
 *
 * Prints "CHAIN pid" for each chain process and, last, one JSON line for the
 * driver: {"parent":pid,"silent_children":[...],"allocating_children":
 * [{"pid":p,"live":bytes,"allocs":n},...]}. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpu_api.h"

#define THREADS 8
#define CHILDREN 16

static atomic_bool stop_threads;
static long ops_per_thread;

/* The runtime double, like the real CUDA runtime, is not fork-safe: a child
 * forked while another thread is inside it inherits that thread's held
 * mutex and hangs. The gate keeps the parent's threads out of the runtime at
 * the instant of each fork (they are still mid-run, between two calls); what
 * is under test is the shim's own fork safety: its writer thread, ring and
 * locks, which are busy at that instant. */
static pthread_rwlock_t fork_gate;

static void init_fork_gate(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&fork_gate, &attr);
    pthread_rwlockattr_destroy(&attr);
}

static void *allocate_loop(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *held[16] = {0};
    /* Until every child has been forked, and at most OPS/8 operations. */
    for (long i = 0; i < ops_per_thread && !atomic_load(&stop_threads); i++) {
        int slot = (int)(rand_r(&seed) % 16);
        pthread_rwlock_rdlock(&fork_gate);
        if (held[slot] != NULL) {
            cudaFree(held[slot]);
            held[slot] = NULL;
        } else if (cudaMalloc(&held[slot], 256 + rand_r(&seed) % 4096) != 0) {
            held[slot] = NULL;
        }
        pthread_rwlock_unlock(&fork_gate);
    }
    for (int i = 0; i < 16; i++)
        if (held[i] != NULL)
            cudaFree(held[i]);
    return NULL;
}

static void allocating_child(int index)
{
    void *a = NULL, *b = NULL, *c = NULL;
    if (cudaMalloc(&a, 1000 + (size_t)index) != 0 || cudaMalloc(&b, 2000 + (size_t)index) != 0 ||
        cudaMalloc(&c, 3000 + (size_t)index) != 0 || cudaFree(a) != 0)
        _exit(3);
    _exit(0);
}

static int run_chain(const char *self, int links)
{
    printf("CHAIN %d\n", (int)getpid());
    fflush(stdout);
    void *p = NULL;
    if (cudaMalloc(&p, 4096 * (size_t)links) != 0 || cudaFree(p) != 0)
        return 3;
    if (links <= 1)
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        char next[16];
        snprintf(next, sizeof next, "%d", links - 1);
        execl(self, self, "chain", next, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 4;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "chain") == 0)
        return run_chain(argv[0], atoi(argv[2]));
    if (argc != 3 || strcmp(argv[1], "parent") != 0) {
        fprintf(stderr, "usage: %s parent OPS | chain K\n", argv[0]);
        return 2;
    }
    ops_per_thread = atol(argv[2]) / THREADS;
    init_fork_gate();
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, allocate_loop, (void *)(uintptr_t)(i + 1));

    pid_t children[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        usleep(2000); /* spread the forks over the run */
        fflush(stdout);
        pthread_rwlock_wrlock(&fork_gate);
        children[i] = fork();
        if (children[i] != 0)
            pthread_rwlock_unlock(&fork_gate);
        if (children[i] == 0) {
            if (i % 2 == 0)
                _exit(0);
            allocating_child(i);
        }
    }
    atomic_store(&stop_threads, true);
    int failures = 0;
    for (int i = 0; i < CHILDREN; i++) {
        int status = 0;
        if (children[i] < 0 || waitpid(children[i], &status, 0) != children[i] || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "fork_probe: child %d failed (status %d)\n", i, status);
            failures++;
        }
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);

    fflush(stdout);
    pid_t chain = fork();
    if (chain == 0) {
        execl(argv[0], argv[0], "chain", "2", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (chain < 0 || waitpid(chain, &status, 0) != chain || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "fork_probe: exec chain failed (status %d)\n", status);
        failures++;
    }

    printf("{\"parent\":%d,\"silent_children\":[", (int)getpid());
    for (int i = 0, n = 0; i < CHILDREN; i += 2)
        printf("%s%d", n++ ? "," : "", (int)children[i]);
    printf("],\"allocating_children\":[");
    for (int i = 1, n = 0; i < CHILDREN; i += 2)
        printf("%s{\"pid\":%d,\"live\":%d,\"allocs\":3}", n++ ? "," : "", (int)children[i], 5000 + 2 * i);
    printf("]}\n");
    return failures == 0 ? 0 : 1;
}
