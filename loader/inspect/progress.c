/* The progress line. The loader reads on our thread and offers no callback,
 * so a watcher thread measures what it has read the way the kernel counts
 * it: /proc/self/io's rchar (bytes this process got from read()) against the
 * size of the files under the input path. It is an estimate (the loader may
 * read a manifest twice), which is all a progress line needs to be.
 *
 * The line is only for people at a terminal: when stderr is not a tty
 * nothing is started and nothing is ever printed, so logs and pipes stay
 * clean. Short work prints nothing either: the line appears after a delay. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define PROGRESS_DEFAULT_DELAY_MS 2000
#define PROGRESS_TICK_MS 250
#define PROGRESS_WALK_DEPTH 6

struct cli_progress {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;          /* under lock */
    bool shown;         /* owned by the thread until joined */
    const char *verb;
    char *path; /* escaped for the terminal */
    uint64_t total_bytes;
    uint64_t rchar_at_start;
    long delay_ms;
};

static uint64_t tree_bytes(int parent, const char *name, int depth)
{
    struct stat st;
    if (fstatat(parent, name, &st, depth == 0 ? 0 : AT_SYMLINK_NOFOLLOW) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return (uint64_t)st.st_size;
    if (!S_ISDIR(st.st_mode) || depth >= PROGRESS_WALK_DEPTH)
        return 0;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    uint64_t sum = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            sum += tree_bytes(dirfd(d), de->d_name, depth + 1);
    closedir(d);
    return sum;
}

static bool read_rchar(uint64_t *out)
{
    int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *p = strstr(buf, "rchar:");
    if (!p)
        return false;
    *out = strtoull(p + 6, NULL, 10);
    return true;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void show(cli_progress *p, int64_t elapsed_ms)
{
    char line[512];
    uint64_t rchar;
    int n;
    if (p->total_bytes > 0 && read_rchar(&rchar)) {
        uint64_t done = rchar > p->rchar_at_start ? rchar - p->rchar_at_start : 0;
        if (done > p->total_bytes)
            done = p->total_bytes;
        char a[CLI_FIGURE_MAX], b[CLI_FIGURE_MAX];
        n = snprintf(line, sizeof line, "\r\033[Kstormlog-inspect: %s %s: %d%% (%s of %s), %lld s", p->verb,
                     p->path, (int)(done * 100 / p->total_bytes), cli_bytes((int64_t)done, a),
                     cli_bytes((int64_t)p->total_bytes, b), (long long)(elapsed_ms / 1000));
    } else {
        n = snprintf(line, sizeof line, "\r\033[Kstormlog-inspect: %s %s: %lld s", p->verb, p->path,
                     (long long)(elapsed_ms / 1000));
    }
    if (n > 0) {
        size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
        /* write(2), not stdio: the main thread owns stderr's FILE. */
        ssize_t w = write(STDERR_FILENO, line, len);
        (void)w;
        p->shown = true;
    }
}

static void *watch(void *arg)
{
    cli_progress *p = arg;
    int64_t start = monotonic_ms();
    pthread_mutex_lock(&p->lock);
    /* A zero delay (tests) shows the line at once. */
    if (p->delay_ms == 0)
        show(p, 0);
    while (!p->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PROGRESS_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (p->stop)
            break;
        if (rc != ETIMEDOUT && rc != 0)
            break;
        int64_t elapsed = monotonic_ms() - start;
        if (elapsed >= p->delay_ms)
            show(p, elapsed);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

cli_progress *cli_progress_start(const char *verb, const char *path)
{
    if (!isatty(STDERR_FILENO))
        return NULL;
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->verb = verb;
    p->path = cli_safe_text(path, false);
    if (!p->path) {
        free(p);
        return NULL;
    }
    p->delay_ms = PROGRESS_DEFAULT_DELAY_MS;
    const char *delay = getenv("STORMLOG_INSPECT_PROGRESS_DELAY_MS");
    if (delay && *delay) {
        char *end;
        long v = strtol(delay, &end, 10);
        if (*end == '\0' && v >= 0)
            p->delay_ms = v;
    }
    p->total_bytes = tree_bytes(AT_FDCWD, path, 0);
    if (!read_rchar(&p->rchar_at_start))
        p->rchar_at_start = 0;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, watch, p) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p->path);
        free(p);
        return NULL;
    }
    return p;
}

void cli_progress_stop(cli_progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    if (p->shown) {
        static const char clear[] = "\r\033[K";
        ssize_t w = write(STDERR_FILENO, clear, sizeof clear - 1);
        (void)w;
    }
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->path);
    free(p);
}
