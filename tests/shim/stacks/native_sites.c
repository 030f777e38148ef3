/* Allocations from known functions of this program, for the native-frame
 * test: stacks_driver.py looks the functions up in this binary's symbol
 * table (nm) and checks that each allocation's innermost native frame lies
 * in the function that called cudaMalloc, and the next one in its caller.
 * noinline and a call that is not the last thing done keep each function a
 * real frame with a return address inside it.
 *
 * usage: native_sites [deep N | fork | threads]
 *   deep N  one allocation N calls down (the depth limit)
 *   fork    allocations until the shim has written the site's definition,
 *           then a fork child allocates at the same site: its own sink must
 *           define the stack again
 *   threads 8 threads allocate from 16 sites at once (the intern table
 *           under contention; TSan builds run it too) */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The two runtime calls used, as the runtime declares them (cudaError_t is
 * an int-sized enum; 0 is cudaSuccess). */
int cudaMalloc(void **ptr, size_t size);
int cudaFree(void *ptr);

static void *held[16];
static int held_count;

static void keep(void *p)
{
    if (held_count < 16)
        held[held_count++] = p;
}

static __attribute__((noinline)) void stacks_site_weights(void)
{
    void *p = NULL;
    if (cudaMalloc(&p, 3u << 20) != 0)
        exit(2);
    keep(p);
}

static __attribute__((noinline)) void stacks_site_activations(void)
{
    void *p = NULL;
    if (cudaMalloc(&p, 5u << 20) != 0)
        exit(2);
    keep(p);
}

static __attribute__((noinline)) void stacks_site_caller(void)
{
    stacks_site_activations();
    keep(NULL);
}

static __attribute__((noinline)) int stacks_site_deep(int n)
{
    if (n > 0)
        return stacks_site_deep(n - 1) + 1;
    void *p = NULL;
    if (cudaMalloc(&p, 1u << 20) != 0)
        exit(2);
    keep(p);
    return 0;
}

static __attribute__((noinline)) void stacks_site_loop(void)
{
    void *p = NULL;
    if (cudaMalloc(&p, 4096) != 0)
        exit(2);
    cudaFree(p);
}

/* Whether the session's first segment holds a definition yet. */
static int defined_on_disk(void)
{
    const char *(*sink_dir)(void);
    *(void **)&sink_dir = dlsym(RTLD_DEFAULT, "stormlog_shim_sink_dir");
    const char *dir = sink_dir ? sink_dir() : NULL;
    if (dir == NULL)
        return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/segment-000001.jsonl", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return strstr(text, "\"stack\": {") != NULL;
}

static int fork_mode(void)
{
    /* One call site for parent and child (the same stack, so the same id):
     * the parent allocates until the writer has written the definition (it
     * writes every 50 events), forks, and the child goes round once more. */
    int in_child = 0;
    for (int round = 0;; round++) {
        stacks_site_loop();
        if (in_child)
            exit(0);
        if (round < 30)
            continue;
        if (!defined_on_disk()) {
            if (round == 400) {
                fprintf(stderr, "native_sites: the parent's definition never reached the disk\n");
                return 1;
            }
            struct timespec ts = {0, 25 * 1000 * 1000};
            nanosleep(&ts, NULL);
            continue;
        }
        pid_t child = fork();
        if (child == 0) {
            in_child = 1;
            continue;
        }
        int status = 0;
        waitpid(child, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    }
}

/* Sites that differ by their depth: stacks_site_depth(n) allocates n
 * frames below the thread's entry. */
static __attribute__((noinline)) int stacks_site_depth(int n)
{
    if (n > 0)
        return stacks_site_depth(n - 1) + 1;
    stacks_site_loop();
    return 0;
}

static void *thread_sites(void *arg)
{
    (void)arg;
    for (int round = 0; round < 16 * 13; round++)
        stacks_site_depth(round % 16);
    return NULL;
}

static int threads_mode(void)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        if (pthread_create(&t[i], NULL, thread_sites, NULL) != 0)
            return 1;
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "threads") == 0)
        return threads_mode();
    if (argc == 2 && strcmp(argv[1], "fork") == 0)
        return fork_mode();
    if (argc == 3 && strcmp(argv[1], "deep") == 0) {
        int depth = stacks_site_deep(atoi(argv[2]));
        printf("deep %d\n", depth);
    } else {
        stacks_site_weights();
        stacks_site_caller();
    }
    for (int i = 0; i < held_count; i++)
        if (held[i])
            cudaFree(held[i]);
    return 0;
}
