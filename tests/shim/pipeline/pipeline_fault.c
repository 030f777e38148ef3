/* Process-level fault tests of the pipeline, one scenario per ctest test:
 *
 *   pipeline_fault kill9       a writer killed with SIGKILL at full rate
 *   pipeline_fault unwritable  an output directory that cannot be created
 *   pipeline_fault fsize       RLIMIT_FSIZE hit mid-run (SIGXFSZ ignored)
 *   pipeline_fault oomdisk     OOM after OOM on a disk where every write fails
 *   pipeline_fault symlink     a symlink planted where the sink directory goes
 *
 * The recording process is always a child; this process checks what it left
 * on disk (json-c + the schema validator, as a loader would) and reopens
 * the directory with the sink code. Exit 0 = pass; a failed check prints why. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"
#include "sink.h"
#include "sink_reader.h"

static int failures;

static void check(bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    failures++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static sl_pipeline_config config_for(const char *dir)
{
    sl_pipeline_config cfg;
    sl_pipeline_config_defaults(&cfg);
    snprintf(cfg.output_dir, sizeof cfg.output_dir, "%s", dir);
    return cfg;
}

static void sink_dir_of(const char *root, pid_t pid, char out[8192])
{
    snprintf(out, 8192, "%s/local/rank-00000-testhost-%d", root, (int)pid);
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    json_object_object_get_ex(o, key, &v);
    return v;
}

static int64_t manifest_event_total(const char *dir)
{
    json_object *m = read_manifest(dir);
    if (!m)
        return 0;
    int64_t total = 0;
    json_object *segs = member(m, "segments");
    for (size_t i = 0; segs && i < json_object_array_length(segs); i++)
        total += json_object_get_int64(member(json_object_array_get_idx(segs, i), "event_count"));
    json_object_put(m);
    return total;
}

typedef struct order_check {
    int64_t last_seq;
    bool ordered;
} order_check;

static bool check_order(void *ctx, const char *segment, size_t line_no, json_object *rec)
{
    (void)segment;
    (void)line_no;
    order_check *o = ctx;
    int64_t seq = meta_int(rec, "seq", -1);
    if (seq >= 0) {
        if (seq <= o->last_seq)
            o->ordered = false;
        o->last_seq = seq;
    }
    return true;
}

/* Each listed segment: exists, size and line count equal the manifest's. */
static void check_manifest_matches_files(const char *dir)
{
    json_object *m = read_manifest(dir);
    check(m != NULL, "%s/manifest.json does not parse", dir);
    if (!m)
        return;
    json_object *segs = member(m, "segments");
    for (size_t i = 0; segs && i < json_object_array_length(segs); i++) {
        json_object *seg = json_object_array_get_idx(segs, i);
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", dir, json_object_get_string(member(seg, "filename")));
        struct stat st;
        if (stat(p, &st) != 0) {
            check(false, "listed segment %s is missing", p);
            continue;
        }
        check(st.st_size == json_object_get_int64(member(seg, "size_bytes")), "%s: size %lld, manifest says %lld", p,
              (long long)st.st_size, (long long)json_object_get_int64(member(seg, "size_bytes")));
    }
    json_object_put(m);
}

/* ---- kill -9 ---- */

static void record_forever(const char *root)
{
    sl_session_info s;
    test_session(&s, "killed");
    sl_pipeline_config cfg = config_for(root);
    cfg.quiet = true;
    cfg.rollover_events = 3000; /* several segments, so that recovery meets closed and open ones */
    cfg.retention_files = 1000;
    if (!sl_pipeline_start(&s, &cfg))
        _exit(3);
    sl_event ev;
    for (int64_t i = 0;; i++) {
        test_event(&ev, 0, i);
        while (!sl_pipeline_emit(&ev))
            ; /* full rate: the ring decides the pace */
    }
}

static void scenario_kill9(const char *root)
{
    pid_t pid = fork();
    if (pid == 0)
        record_forever(root);
    char dir[8192];
    sink_dir_of(root, pid, dir);
    int64_t flushed = 0;
    for (int i = 0; i < 2000 && flushed < 10000; i++) {
        usleep(10000);
        flushed = manifest_event_total(dir);
    }
    check(flushed >= 10000, "the child flushed %lld events in 20 s", (long long)flushed);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child was not killed by SIGKILL");

    /* What the kill left: every flushed line intact, in order; at most a torn tail. */
    order_check o = {-1, true};
    sink_line_visitor v = {check_order, &o};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    check(r.invalid_lines == 0, "a line is not a valid record: %s", r.first_error);
    check(r.torn_tails <= 1, "%zu torn tails", r.torn_tails);
    check((int64_t)r.lines >= flushed, "%zu lines on disk, %lld were flushed before the kill", r.lines,
          (long long)flushed);
    check(o.ordered, "sequence numbers out of order");

    /* A new writer reopens it: the old session reads interrupted. */
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    sl_sink sink;
    sl_sink_limits limits = {64u << 20, 10000, 1000, 512u << 20};
    char why[512];
    check(fd >= 0 && sl_sink_open(&sink, fd, dir, &limits, true, why, sizeof why), "reopen failed: %s", why);
    sl_sink_close(&sink, "completed", 1);
    json_object *m = read_manifest(dir);
    json_object *ses = json_object_array_get_idx(member(m, "sessions"), 0);
    check(ses && strcmp(json_object_get_string(member(ses, "status")), "interrupted") == 0,
          "the killed session is not interrupted");
    check(ses && json_object_get_type(member(ses, "ended_at_ns")) == json_type_int, "no ended_at_ns");
    json_object *segs = member(m, "segments");
    for (size_t i = 0; i < json_object_array_length(segs); i++)
        check(json_object_get_boolean(member(json_object_array_get_idx(segs, i), "closed")), "segment %zu left open",
              i);
    json_object_put(m);
    scan_sink_dir(dir, NULL, &r);
    check(r.torn_tails == 0 && r.invalid_lines == 0, "after reopen: %zu torn, %zu invalid", r.torn_tails,
          r.invalid_lines);
    check((int64_t)r.lines == manifest_event_total(dir), "after reopen the manifest counts what is in the files");
    check_manifest_matches_files(dir);
    printf("kill9: %lld flushed before the kill, %zu lines after, all valid\n", (long long)flushed, r.lines);
}

/* ---- a child whose stderr we read ---- */

typedef struct child_result {
    int status;
    char err[4096];
} child_result;

static void run_child(void (*fn)(const char *), const char *arg, child_result *out)
{
    int p[2];
    if (pipe(p) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 2);
        fn(arg);
        _exit(0);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], out->err + n, sizeof out->err - 1 - n)) > 0)
        n += (size_t)r;
    out->err[n] = '\0';
    close(p[0]);
    waitpid(pid, &out->status, 0);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void emit_some_and_stop(int n, int exit_code_if_accepted)
{
    sl_event ev;
    int accepted = 0;
    for (int i = 0; i < n; i++) {
        test_event(&ev, 0, i);
        accepted += sl_pipeline_emit(&ev);
    }
    sl_pipeline_stop(NULL, NULL, 0);
    if (accepted && exit_code_if_accepted)
        _exit(exit_code_if_accepted);
    if (sl_pipeline_dropped_total() != (uint64_t)n)
        _exit(5);
}

/* ---- unwritable ---- */

static void record_into(const char *output_dir)
{
    sl_session_info s;
    test_session(&s, "unwritable");
    sl_pipeline_config cfg = config_for(output_dir);
    errno = 0;
    /* The start is the writer's: the program's call succeeds, the writer
     * then finds the directory unusable and recording goes quiet. */
    if (!sl_pipeline_start(&s, &cfg))
        _exit(4);
    if (errno != 0)
        _exit(6); /* the start leaves errno alone */
    if (sl_pipeline_sink_dir() != NULL || sl_pipeline_running())
        _exit(8);
    emit_some_and_stop(100, 7);
}

static void scenario_unwritable(const char *root)
{
    char file[8192], out[8300];
    snprintf(file, sizeof file, "%s/a-file", root);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(out, sizeof out, "%s/sub", file); /* ENOTDIR, even for root */
    child_result r;
    run_child(record_into, out, &r);
    check(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "the program did not run on unharmed (status %d)",
          r.status);
    check(count_lines(r.err) == 1, "want exactly one stderr line, got: %s", r.err);
    check(strstr(r.err, out) != NULL, "the line does not name the path: %s", r.err);
    check(strstr(r.err, strerror(ENOTDIR)) != NULL, "the line does not give the reason: %s", r.err);
    printf("unwritable: %s", r.err);

    if (geteuid() != 0) { /* permissions mean nothing to root */
        char ro[8192];
        snprintf(ro, sizeof ro, "%s/read-only", root);
        mkdir(ro, 0500);
        run_child(record_into, ro, &r);
        check(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "read-only dir: status %d", r.status);
        check(count_lines(r.err) == 1 && strstr(r.err, ro), "read-only dir: %s", r.err);
        printf("unwritable (permissions): %s", r.err);
    }
}

/* ---- file size limit ---- */

static rlim_t fsize_limit;

/* This process's files stop at `limit` bytes: writes past it fail with
 * EFBIG (SIGXFSZ ignored), as on a full disk. Then a session of id. */
static sl_pipeline_config session_under_fsize(rlim_t limit, const char *root, sl_session_info *s, const char *id)
{
    struct rlimit rl = {limit, limit};
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &rl);
    test_session(s, id);
    return config_for(root);
}

static void record_under_fsize(const char *root)
{
    sl_session_info s;
    sl_pipeline_config cfg = session_under_fsize(fsize_limit, root, &s, "fsize");
    cfg.retention_files = 1000;
    cfg.flush_every_events = 20;
    cfg.shutdown_deadline_ms = 1000;
    if (!sl_pipeline_start(&s, &cfg))
        _exit(3);
    sl_event ev;
    for (int i = 0; i < 3000; i++) {
        test_event(&ev, 0, i);
        sl_pipeline_emit(&ev);
        if (i % 50 == 0)
            usleep(2000);
    }
    sl_event stop;
    memset(&stop, 0, sizeof stop);
    stop.type = SL_EVENT_STOP;
    stop.device_id = -1;
    stop.timestamp_ns = 1700000000999999999;
    sl_pipeline_stop(&stop, NULL, 0);
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    if (st.write_failures == 0)
        _exit(8);
    /* every event is written or counted */
    if (st.written + sl_pipeline_dropped_total() != 3001)
        _exit(9);
}

/* ---- OOMs on a failing disk (every write fails: RLIMIT_FSIZE below one
 * line). A program that probes for memory and retries after each OOM must
 * not wait STORMLOG_DURABLE_TIMEOUT_MS for each: once the sink is known to
 * fail, no durable emit waits, and the one that was waiting when the write
 * failed stops at once. Counts, not times: a wait that ran to its timeout
 * is counted as one. ---- */

static void oom_probe_on_failing_disk(const char *root)
{
    sl_session_info s;
    sl_pipeline_config cfg = session_under_fsize(512, root, &s, "oomdisk");
    cfg.shutdown_deadline_ms = 1000;
    if (!sl_pipeline_start(&s, &cfg) || !sl_pipeline_sink_dir())
        _exit(3);
    sl_event ev;
    int waited_ok = 0;
    for (int i = 0; i < 200; i++) {
        test_event(&ev, 0, i);
        ev.type = SL_EVENT_ERROR;
        waited_ok += sl_pipeline_emit_durable(&ev, 60000); /* a minute each, if we waited */
    }
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    printf("oomdisk: %lu waited (%lu to their timeout), %lu did not, %lu write failures\n",
           (unsigned long)st.durable_waits, (unsigned long)st.durable_timeouts, (unsigned long)st.durable_unwaited,
           (unsigned long)st.write_failures);
    fflush(stdout);
    if (waited_ok != 0)
        _exit(4); /* nothing can be on this disk */
    if (st.durable_timeouts != 0)
        _exit(5);
    if (st.durable_waits > 1 || st.durable_waits + st.durable_unwaited != 200)
        _exit(6);
    sl_pipeline_stop(NULL, NULL, 0);
    sl_pipeline_get_stats(&st);
    if (st.written + sl_pipeline_dropped_total() != 200)
        _exit(7); /* every event written or counted */
}

static void scenario_oomdisk(const char *root)
{
    child_result r;
    run_child(oom_probe_on_failing_disk, root, &r);
    check(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "oomdisk: child status %d (stderr: %s)", r.status,
          r.err);
}

static void check_fsize_dir(const char *root, pid_t pid, rlim_t limit, bool expect_lines)
{
    char dir[8192];
    sink_dir_of(root, pid, dir);
    order_check o = {-1, true};
    sink_line_visitor v = {check_order, &o};
    sink_scan_result r;
    scan_sink_dir(dir, &v, &r);
    check(r.invalid_lines == 0, "invalid line: %s", r.first_error);
    check(r.torn_tails == 0, "a failed write left a partial line");
    check(o.ordered, "out of order");
    check(!expect_lines || r.lines > 0, "nothing was written");
    check_manifest_matches_files(dir);
    json_object *m = read_manifest(dir);
    json_object *segs = member(m, "segments");
    for (size_t i = 0; segs && i < json_object_array_length(segs); i++)
        check((rlim_t)json_object_get_int64(member(json_object_array_get_idx(segs, i), "size_bytes")) <= limit,
              "segment %zu passes the file size limit", i);
    json_object_put(m);
    printf("fsize %lu: %zu lines in %zu segments, all whole\n", (unsigned long)limit, r.lines, r.segments);
}

static void scenario_fsize(const char *root)
{
    /* 64 KiB: a segment that reaches the limit fails with EFBIG; the sink
     * keeps the whole lines that fit and continues in a new segment. 512
     * bytes: not even one line fits, so every write fails like a full disk;
     * the program still runs on and everything is counted. */
    static const rlim_t limits[] = {64 * 1024, 512};
    for (size_t i = 0; i < 2; i++) {
        fsize_limit = limits[i];
        child_result r;
        pid_t before = getpid();
        (void)before;
        int p[2];
        if (pipe(p) != 0)
            abort();
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            dup2(p[1], 2);
            record_under_fsize(root);
            _exit(0);
        }
        close(p[1]);
        size_t n = 0;
        ssize_t got;
        while ((got = read(p[0], r.err + n, sizeof r.err - 1 - n)) > 0)
            n += (size_t)got;
        r.err[n] = '\0';
        close(p[0]);
        waitpid(pid, &r.status, 0);
        check(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "fsize %lu: the program did not run on (status %d)",
              (unsigned long)limits[i], r.status);
        /* 64 KiB recovers by rolling over (silently); 512 bytes fails for
         * good: one line for the segments, one for each sidecar (over the
         * limit too). */
        check(count_lines(r.err) == (i == 0 ? 0u : 3u), "fsize %lu: stderr: %s", (unsigned long)limits[i], r.err);
        check(i == 0 || (strstr(r.err, "rollups.json: File too large") && strstr(r.err, "lifetime.json: File too large")),
              "fsize %lu: the sidecar lines: %s", (unsigned long)limits[i], r.err);
        check_fsize_dir(root, pid, limits[i], i == 0);
    }
}

/* ---- symlink ---- */

static void record_expecting_refusal(const char *root)
{
    sl_session_info s;
    test_session(&s, "symlink");
    sl_pipeline_config cfg = config_for(root);
    if (!sl_pipeline_start(&s, &cfg) || sl_pipeline_sink_dir() != NULL)
        _exit(4);
    emit_some_and_stop(10, 7);
}

static void scenario_symlink(const char *root)
{
    /* The child's pid is needed for the name: plant links for a range of
     * pids around ours is fragile, so the child plants its own and execs
     * nothing: fork, then plant in the parent before letting it go on. */
    char target[8192], local[8300];
    snprintf(target, sizeof target, "%s/attacker", root);
    mkdir(target, 0700);
    snprintf(local, sizeof local, "%s/local", root);
    mkdir(local, 0700);
    int go[2], p[2];
    if (pipe(go) != 0 || pipe(p) != 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(p[0]);
        dup2(p[1], 2);
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        record_expecting_refusal(root);
        _exit(0);
    }
    close(go[0]);
    close(p[1]);
    char link[8192];
    sink_dir_of(root, pid, link);
    check(symlink(target, link) == 0, "cannot plant the symlink");
    if (write(go[1], "x", 1) != 1)
        abort();
    close(go[1]);
    child_result r;
    size_t n = 0;
    ssize_t got;
    while ((got = read(p[0], r.err + n, sizeof r.err - 1 - n)) > 0)
        n += (size_t)got;
    r.err[n] = '\0';
    close(p[0]);
    waitpid(pid, &r.status, 0);
    check(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %d", r.status);
    check(count_lines(r.err) == 1 && strstr(r.err, "symlink") && strstr(r.err, link), "want one line naming %s: %s",
          link, r.err);
    struct stat st;
    char p2[8400];
    snprintf(p2, sizeof p2, "%s/manifest.json", target);
    check(stat(p2, &st) != 0, "something was written through the symlink");
    check(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the symlink was replaced");
    printf("symlink: %s", r.err);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s kill9|unwritable|fsize|symlink|oomdisk\n", argv[0]);
        return 2;
    }
    char root[4096];
    tmp_dir(root, argv[1]);
    if (strcmp(argv[1], "kill9") == 0)
        scenario_kill9(root);
    else if (strcmp(argv[1], "unwritable") == 0)
        scenario_unwritable(root);
    else if (strcmp(argv[1], "fsize") == 0)
        scenario_fsize(root);
    else if (strcmp(argv[1], "symlink") == 0)
        scenario_symlink(root);
    else if (strcmp(argv[1], "oomdisk") == 0)
        scenario_oomdisk(root);
    else
        failures++;
    if (failures == 0)
        rm_rf(root);
    else
        fprintf(stderr, "left %s for inspection\n", root);
    return failures ? 1 : 0;
}
