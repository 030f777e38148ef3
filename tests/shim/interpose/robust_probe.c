/* robust_probe: what a program may do to the shim's world (issue 13), one
 * mode each. Prints "rc=" lines and, where the driver needs numbers, one
 * "TRUTH allocs=A frees=F live=L" line.
 *
 *   closerange DIR   allocates, closes every descriptor above 2
 *                    (close_range(3, ~0U, 0)), opens its own directory
 *                    DIR/own and log DIR/own.log (they get the numbers the
 *                    shim had), writes its own lines and its own
 *                    own/manifest.json, allocates again, keeps them open.
 *   sigterm          allocates, then SIGTERMs itself (default disposition).
 *   sighandler       installs its own SIGTERM handler first, then allocates
 *                    and SIGTERMs itself: its handler runs, it exits 0.
 *   exec STAGE [FORM] allocates once; stage 1 then execs itself as stage 2
 *                    (no fork) with FORM (execv, the default, or one of
 *                    glibc's list forms execl, execlp, execle), and stage 2
 *                    allocates once and exits.
 *   fill FILLER N    allocates, fills the filesystem with FILLER, makes N
 *                    allocate+free pairs, removes FILLER, exits.
 *   setuid UID       (as root) allocates, drops to UID with setuid(),
 *                    allocates again and exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gpu_api.h"

static long allocs, frees, live;

static void *alloc(size_t size)
{
    void *p = NULL;
    if (cudaMalloc(&p, size) != 0 || p == NULL) {
        fprintf(stderr, "robust_probe: cudaMalloc(%zu) failed\n", size);
        exit(1);
    }
    allocs++;
    live += (long)size;
    return p;
}

static void release(void *p, size_t size)
{
    if (cudaFree(p) != 0) {
        fprintf(stderr, "robust_probe: cudaFree failed\n");
        exit(1);
    }
    frees++;
    live -= (long)size;
}

/* An OOM's error event is on disk before the call returns: after it, the
 * shim's writer has its segment open. */
static void oom(void)
{
    void *p = NULL;
    printf("oom rc=%d\n", (int)cudaMalloc(&p, (size_t)1 << 60));
}

static void truth(void)
{
    printf("TRUTH allocs=%ld frees=%ld live=%ld\n", allocs, frees, live);
    fflush(stdout);
}

static void put(int fd, const char *line)
{
    size_t n = strlen(line);
    if (write(fd, line, n) != (ssize_t)n) {
        perror("robust_probe: write");
        exit(1);
    }
}

static int closerange(const char *dir)
{
    for (int i = 0; i < 10; i++)
        alloc(1000 + (size_t)i);
    oom();
    fflush(stdout);
    if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
        perror("robust_probe: close_range");
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/own", dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return 1;
    int dirfd = open(path, O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof path, "%s/own.log", dir);
    int log = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    int man = openat(dirfd, "manifest.json", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (dirfd < 0 || log < 0 || man < 0) {
        perror("robust_probe: open");
        return 1;
    }
    put(man, "{\"own\": true}\n");
    put(log, "program line 1\n");
    /* The writer's timed work (the sidecars' rewrite) gets its turn while
     * the low numbers are the program's. */
    usleep(300000);
    void *keep[20];
    for (int i = 0; i < 20; i++)
        keep[i] = alloc(2000 + (size_t)i);
    oom();
    for (int i = 0; i < 20; i += 2)
        release(keep[i], 2000 + (size_t)i);
    put(log, "program line 2\n");
    truth();
    return 0; /* the descriptors stay open through exit */
}

static volatile sig_atomic_t got_term;
static void on_term(int sig)
{
    (void)sig;
    got_term = 1;
}

static int sigterm(int own_handler)
{
    if (own_handler)
        signal(SIGTERM, on_term);
    for (int i = 0; i < 5; i++)
        alloc(4096);
    truth();
    raise(SIGTERM);
    if (own_handler && got_term) {
        printf("handled\n");
        return 0;
    }
    return 3; /* not reached with the default disposition */
}

static int exec_stage(const char *self, int stage, const char *form)
{
    alloc(stage == 1 ? 1111 : 2222);
    truth();
    if (stage == 1) {
        char *argv[] = {(char *)self, "exec", "2", NULL};
        if (strcmp(form, "execl") == 0)
            execl("/proc/self/exe", self, "exec", "2", (char *)NULL);
        else if (strcmp(form, "execlp") == 0)
            execlp("/proc/self/exe", self, "exec", "2", (char *)NULL);
        else if (strcmp(form, "execle") == 0)
            execle("/proc/self/exe", self, "exec", "2", (char *)NULL, environ);
        else
            execv("/proc/self/exe", argv);
        perror("robust_probe: exec");
        return 1;
    }
    return 0;
}

static int fill(const char *filler, long pairs)
{
    alloc(512);
    oom(); /* the segment and manifest exist before the disk fills */
    int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 1;
    static char block[65536];
    memset(block, 'x', sizeof block);
    while (write(fd, block, sizeof block) > 0)
        ;
    while (write(fd, block, 1) > 0) /* the last bytes too */
        ;
    close(fd);
    for (long i = 0; i < pairs; i++)
        release(alloc(100 + (size_t)(i % 1000)), 100 + (size_t)(i % 1000));
    unlink(filler);
    truth();
    return 0;
}

static int drop_user(uid_t uid)
{
    for (int i = 0; i < 3; i++)
        alloc(3000 + (size_t)i);
    if (setgid((gid_t)uid) != 0 || setuid(uid) != 0) {
        perror("robust_probe: setuid");
        return 1;
    }
    for (int i = 0; i < 3; i++)
        alloc(4000 + (size_t)i);
    truth();
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && strcmp(argv[1], "closerange") == 0)
        return closerange(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "sigterm") == 0)
        return sigterm(0);
    if (argc >= 2 && strcmp(argv[1], "sighandler") == 0)
        return sigterm(1);
    if (argc >= 3 && strcmp(argv[1], "exec") == 0)
        return exec_stage(argv[0], atoi(argv[2]), argc >= 4 ? argv[3] : "execv");
    if (argc >= 4 && strcmp(argv[1], "fill") == 0)
        return fill(argv[2], atol(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "setuid") == 0)
        return drop_user((uid_t)atoi(argv[2]));
    fprintf(stderr, "usage: robust_probe closerange DIR | sigterm | sighandler | exec 1 [execv|execl|execlp|execle] | fill FILLER N\n");
    return 2;
}
