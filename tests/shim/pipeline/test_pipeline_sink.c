/* The sink directory format (sink-format.md): manifest text, segment names,
 * counts and sizes, rollover, retention, recovery on reopen, directory
 * naming and modes. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifest.h"
#include "pipeline.h"
#include "sink.h"
#include "sink_reader.h"

static char root[4096];
static void setup_root(void) { tmp_dir(root, "sink"); }
static void teardown_root(void) { rm_rf(root); }

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    *len = got;
    return buf;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *str_member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_get_type(v) == json_type_string
               ? json_object_get_string(v)
               : NULL;
}

static int64_t int_member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_get_type(v) == json_type_int ? json_object_get_int64(v)
                                                                                            : -12345;
}

static bool bool_member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void stop_event(sl_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->timestamp_ns = 1700000000000999999;
    ev->device_id = -1;
    ev->type = SL_EVENT_STOP;
}

/* Every segment the manifest lists exists with exactly the listed line
 * count and size, no other segment file exists, every line validates. */
static void check_manifest_matches_files(const char *dir, size_t want_segments)
{
    json_object *m = read_manifest(dir);
    cr_assert_not_null(m, "manifest.json must parse");
    cr_assert_eq(int_member(m, "schema_version"), 2);
    cr_assert_str_eq(str_member(m, "format"), "stormlog.append_only_telemetry_sink");
    json_object *segments;
    cr_assert(json_object_object_get_ex(m, "segments", &segments));
    size_t n = json_object_array_length(segments);
    cr_assert_eq(n, want_segments, "manifest lists %zu segments, want %zu", n, want_segments);
    for (size_t i = 0; i < n; i++) {
        json_object *seg = json_object_array_get_idx(segments, i);
        const char *name = str_member(seg, "filename");
        cr_assert_not_null(name);
        cr_assert_eq(strlen(name), strlen("segment-000001.jsonl"), "%s", name);
        cr_assert_eq(strncmp(name, "segment-", 8), 0);
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        size_t len;
        char *text = slurp(p, &len);
        cr_assert_not_null(text, "listed segment %s missing", name);
        size_t lines = 0;
        for (size_t k = 0; k < len; k++)
            lines += text[k] == '\n';
        cr_assert_eq(int_member(seg, "size_bytes"), (int64_t)len, "%s size", name);
        cr_assert_eq(int_member(seg, "event_count"), (int64_t)lines, "%s events", name);
        cr_assert(len == 0 || text[len - 1] == '\n');
        free(text);
    }
    sink_scan_result r;
    scan_sink_dir(dir, NULL, &r);
    cr_assert_eq(r.segments, n, "segment files on disk == listed");
    cr_assert_eq(r.invalid_lines, 0, "%s", r.first_error);
    json_object_put(m);
}

TestSuite(sink, .init = setup_root, .fini = teardown_root, .timeout = 60);

Test(sink, manifest_text_is_byte_identical_to_the_references)
{
    static const char *const cases[] = {"225_gen_sink_normal_close", "226_gen_sink_rollover", "228_gen_sink_running",
                                        "229_gen_sink_reopened", "232_gen_sink_crash_tail"};
    if (access(STORMLOG_SHARED_DIR "/conformance/cases", R_OK) != 0)
        cr_skip_test("the shared contract is not at " STORMLOG_SHARED_DIR " (put ../shared beside the checkout)");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char p[8192];
        snprintf(p, sizeof p, "%s/conformance/cases/%s/input/manifest.json", STORMLOG_SHARED_DIR, cases[i]);
        size_t len;
        char *text = slurp(p, &len);
        cr_assert_not_null(text, "cannot read %s", p);
        sl_manifest m;
        cr_assert(sl_manifest_parse(&m, text, len), "%s", cases[i]);
        sl_buf out = {0};
        cr_assert(sl_manifest_render(&m, &out));
        cr_assert_eq(out.len, len, "%s: rendered %zu bytes, the reference %zu", cases[i], out.len, len);
        cr_assert_eq(memcmp(out.data, text, len), 0, "%s:\n%s", cases[i], out.data);
        sl_buf_free(&out);
        sl_manifest_free(&m);
        free(text);
    }
}

Test(sink, manifest_parse_skips_malformed_entries_and_refuses_non_objects)
{
    sl_manifest m;
    cr_assert_not(sl_manifest_parse(&m, "[1,2]", 5));
    cr_assert_not(sl_manifest_parse(&m, "{\"a\":", 5));
    const char *text = "{\"schema_version\": 2, \"sessions\": [1, {\"session_id\": \"x\"},"
                       " {\"session_id\": \"s\\u00e9\", \"status\": \"running\", \"started_at_ns\": 5,"
                       " \"host\": \"h\", \"pid\": 1, \"source\": \"t\", \"ended_at_ns\": null}],"
                       " \"segments\": [{\"filename\": \"segment-000002.jsonl\", \"event_count\": -4,"
                       " \"size_bytes\": 1.5, \"closed\": true}, {\"event_count\": 1}, 7]}";
    cr_assert(sl_manifest_parse(&m, text, strlen(text)));
    cr_assert_eq(m.session_count, 1);
    cr_assert_str_eq(m.sessions[0].session_id, "s\xc3\xa9");
    cr_assert_not(m.sessions[0].has_ended);
    cr_assert_eq(m.segment_count, 1);
    cr_assert_eq(m.segments[0].event_count, 0);
    cr_assert_eq(m.segments[0].size_bytes, 0);
    cr_assert(m.segments[0].closed);
    sl_buf out = {0};
    cr_assert(sl_manifest_render(&m, &out));
    cr_assert_not_null(strstr(out.data, "\"session_id\": \"s\\u00e9\""), "non-ASCII is escaped as Python does");
    sl_buf_free(&out);
    sl_manifest_free(&m);
}

Test(sink, rollover_by_events_and_retention_by_files)
{
    sl_session_info s;
    test_session(&s, "sink-roll");
    sl_pipeline_config cfg = test_config(root, false);
    cfg.rollover_events = 4;
    cfg.retention_files = 3;
    cfg.flush_every_events = 3;
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    sl_event ev;
    for (int i = 0; i < 30; i++) {
        test_event(&ev, 0, i);
        cr_assert(sl_pipeline_emit(&ev));
        if (i % 7 == 0)
            usleep(1000); /* vary how events meet flushes: rollover must not depend on it */
    }
    stop_event(&ev);
    sl_pipeline_stop(&ev, NULL, 0);

    /* 31 lines at 4 per segment: segments 1..8, the last with 3; retention keeps 6, 7, 8. */
    check_manifest_matches_files(dir, 3);
    json_object *m = read_manifest(dir);
    json_object *segments;
    json_object_object_get_ex(m, "segments", &segments);
    const char *want[] = {"segment-000006.jsonl", "segment-000007.jsonl", "segment-000008.jsonl"};
    int64_t counts[] = {4, 4, 3};
    for (int i = 0; i < 3; i++) {
        json_object *seg = json_object_array_get_idx(segments, (size_t)i);
        cr_assert_str_eq(str_member(seg, "filename"), want[i]);
        cr_assert_eq(int_member(seg, "event_count"), counts[i]);
        cr_assert(bool_member(seg, "closed"));
        cr_assert_str_eq(str_member(seg, "session_id"), "sink-roll");
    }
    json_object *sessions;
    json_object_object_get_ex(m, "sessions", &sessions);
    cr_assert_str_eq(str_member(json_object_array_get_idx(sessions, 0), "status"), "completed");
    json_object_put(m);
    sl_pipeline_stats st;
    sl_pipeline_get_stats(&st);
    cr_assert_eq(st.pruned_segments, 5);
}

Test(sink, rollover_by_bytes_and_retention_by_bytes)
{
    sl_session_info s;
    test_session(&s, "sink-bytes");
    sl_pipeline_config cfg = test_config(root, false);
    cfg.rollover_bytes = 2000;
    cfg.retention_bytes = 5000;
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    sl_event ev;
    for (int i = 0; i < 40; i++) {
        test_event(&ev, 0, i);
        cr_assert(sl_pipeline_emit(&ev));
    }
    sl_pipeline_stop(NULL, NULL, 0);

    json_object *m = read_manifest(dir);
    json_object *segments;
    json_object_object_get_ex(m, "segments", &segments);
    size_t n = json_object_array_length(segments);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *seg = json_object_array_get_idx(segments, i);
        int64_t size = int_member(seg, "size_bytes");
        cr_assert_leq(size, 2000, "no segment passes rollover_bytes");
        cr_assert_gt(size, 0);
        total += size;
    }
    cr_assert_leq(total, 5000, "retention holds the byte limit");
    cr_assert_geq(n, 2);
    json_object_put(m);
    check_manifest_matches_files(dir, n);
}

static bool open_sink(sl_sink *s, const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cr_assert_geq(fd, 0);
    sl_sink_limits limits = {64u << 20, 10000, 8, 512u << 20};
    char why[512];
    bool ok = sl_sink_open(s, fd, dir, &limits, true, why, sizeof why);
    cr_assert(ok, "%s", why);
    return ok;
}

Test(sink, reopen_marks_a_dead_writers_session_interrupted_and_cuts_its_torn_tail)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s/d", root);
    mkdir(dir, 0700);
    const char *line = "{\"schema_version\": 3}\n";
    put_file(dir, "manifest.json",
             "{\"schema_version\": 2, \"format\": \"stormlog.append_only_telemetry_sink\", \"sessions\": ["
             "{\"session_id\": \"old\", \"status\": \"running\", \"started_at_ns\": 10, \"ended_at_ns\": null,"
             " \"host\": \"h\", \"pid\": 1, \"job_id\": null, \"rank\": 0, \"local_rank\": 0, \"world_size\": 1,"
             " \"source\": \"stormlog.cuda_shim\"}],"
             " \"segments\": [{\"filename\": \"segment-000001.jsonl\", \"event_count\": 1, \"size_bytes\": 22,"
             " \"closed\": false, \"session_id\": \"old\"}]}\n");
    char text[256];
    snprintf(text, sizeof text, "%s%s{\"schema_ver", line, line); /* two whole lines and a torn third */
    put_file(dir, "segment-000001.jsonl", text);
    put_file(dir, "segment-000004.jsonl", line); /* not in the manifest */
    put_file(dir, "manifest.tmp", "{half");

    sl_sink sink;
    open_sink(&sink, dir);
    cr_assert_eq(sink.recovered_tails, 1);
    cr_assert_eq(sink.next_index, 5);
    sl_sink_close(&sink, "completed", 99);

    json_object *m = read_manifest(dir);
    json_object *sessions, *segments;
    json_object_object_get_ex(m, "sessions", &sessions);
    json_object_object_get_ex(m, "segments", &segments);
    json_object *old = json_object_array_get_idx(sessions, 0);
    cr_assert_str_eq(str_member(old, "status"), "interrupted");
    cr_assert_gt(int_member(old, "ended_at_ns"), 0);
    cr_assert_eq(json_object_array_length(segments), 2);
    json_object *s1 = json_object_array_get_idx(segments, 0);
    cr_assert(bool_member(s1, "closed"));
    cr_assert_eq(int_member(s1, "event_count"), 2, "counts come from the file, not the stale manifest");
    cr_assert_eq(int_member(s1, "size_bytes"), 2 * (int64_t)strlen(line));
    json_object *s4 = json_object_array_get_idx(segments, 1);
    cr_assert_str_eq(str_member(s4, "filename"), "segment-000004.jsonl");
    cr_assert(bool_member(s4, "closed"));
    json_object *sid;
    cr_assert(json_object_object_get_ex(s4, "session_id", &sid));
    cr_assert_null(sid, "an unlisted segment has no session");
    json_object_put(m);
    struct stat st;
    char p[8300];
    snprintf(p, sizeof p, "%s/segment-000001.jsonl", dir);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 2 * (off_t)strlen(line));
    snprintf(p, sizeof p, "%s/manifest.tmp", dir);
    cr_assert_neq(stat(p, &st), 0, "a dead writer's manifest.tmp is removed");
}

Test(sink, an_unreadable_manifest_is_treated_as_absent)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s/d", root);
    mkdir(dir, 0700);
    put_file(dir, "manifest.json", "{not json");
    put_file(dir, "segment-000002.jsonl", "{\"a\": 1}\n\n{\"b\": 2}\n");
    sl_sink sink;
    open_sink(&sink, dir);
    cr_assert_eq(sink.manifest.segment_count, 1);
    cr_assert_eq(sink.manifest.segments[0].event_count, 2, "blank lines do not count");
    cr_assert(sink.manifest.segments[0].closed);
    cr_assert_eq(sink.next_index, 3);
    sl_sink_close(&sink, "completed", 1);
}

Test(sink, a_second_process_in_the_same_directory_reopens_it)
{
    /* The same pid (a pid reused, or pid 1 in containers) means the same
     * directory: a writer that died there leaves its session interrupted and
     * the next one appends a new session with new segments. */
    sl_session_info s;
    test_session(&s, "first");
    sl_pipeline_config cfg = test_config(root, false);
    pid_t pid = fork();
    if (pid == 0) {
        sl_session_info cs = s;
        if (!sl_pipeline_start(&cs, &cfg))
            _exit(1);
        sl_event ev;
        for (int i = 0; i < 5; i++) {
            test_event(&ev, 0, i);
            sl_pipeline_emit(&ev);
        }
        test_event(&ev, 0, 5);
        if (!sl_pipeline_emit_durable(&ev, 5000))
            _exit(2);
        _exit(0); /* dies without stop: session stays running */
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    test_session(&s, "second");
    cr_assert(sl_pipeline_start(&s, &cfg));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sl_pipeline_sink_dir());
    sl_event ev;
    test_event(&ev, 0, 100);
    sl_pipeline_emit(&ev);
    stop_event(&ev);
    sl_pipeline_stop(&ev, NULL, 0);

    check_manifest_matches_files(dir, 2);
    json_object *m = read_manifest(dir);
    json_object *sessions, *segments;
    json_object_object_get_ex(m, "sessions", &sessions);
    json_object_object_get_ex(m, "segments", &segments);
    cr_assert_eq(json_object_array_length(sessions), 2);
    json_object *first = json_object_array_get_idx(sessions, 0);
    json_object *second = json_object_array_get_idx(sessions, 1);
    cr_assert_str_eq(str_member(first, "session_id"), "first");
    cr_assert_str_eq(str_member(first, "status"), "interrupted");
    cr_assert_str_eq(str_member(second, "session_id"), "second");
    cr_assert_str_eq(str_member(second, "status"), "completed");
    cr_assert_eq(int_member(json_object_array_get_idx(segments, 0), "event_count"), 6);
    cr_assert_str_eq(str_member(json_object_array_get_idx(segments, 1), "filename"), "segment-000002.jsonl");
    cr_assert_str_eq(str_member(json_object_array_get_idx(segments, 1), "session_id"), "second");
    json_object_put(m);
}

Test(sink, directories_are_private_and_named_by_job_rank_host_pid)
{
    sl_session_info s;
    test_session(&s, "names");
    s.has_job_id = true;
    snprintf(s.job_id, sizeof s.job_id, "../job 7/x");
    snprintf(s.host, sizeof s.host, "node/7");
    s.rank = 3;
    s.world_size = 4;
    s.local_rank = 3;
    sl_pipeline_config cfg = test_config(root, false);
    umask(022);
    cr_assert(sl_pipeline_start(&s, &cfg));
    char want[8192];
    snprintf(want, sizeof want, "%s/_._job_7_x/rank-00003-node_7-%d", root, (int)getpid());
    cr_assert_str_eq(sl_pipeline_sink_dir(), want);
    sl_event ev;
    test_event(&ev, 0, 0);
    sl_pipeline_emit(&ev);
    sl_pipeline_stop(NULL, NULL, 0);
    struct stat st;
    cr_assert_eq(stat(want, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    char p[8300];
    snprintf(p, sizeof p, "%s/_._job_7_x", root);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0700);
    snprintf(p, sizeof p, "%s/segment-000001.jsonl", want);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    snprintf(p, sizeof p, "%s/manifest.json", want);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(sink, a_symlink_where_our_directory_goes_is_refused)
{
    char elsewhere[8192], link[8192];
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", root);
    mkdir(elsewhere, 0700);
    snprintf(link, sizeof link, "%s/local", root);
    cr_assert_eq(symlink(elsewhere, link), 0);
    sl_session_info s;
    test_session(&s, "symlink");
    sl_pipeline_config cfg = test_config(root, false);
    cr_assert(sl_pipeline_start(&s, &cfg), "the start is the writer's: it refuses, the call does not");
    cr_assert_null(sl_pipeline_sink_dir());
    cr_assert_not(sl_pipeline_running());
    sl_event ev;
    test_event(&ev, 0, 0);
    cr_assert_not(sl_pipeline_emit(&ev));
    cr_assert_eq(sl_pipeline_dropped_total(), 1);
    sink_scan_result r;
    scan_sink_dir(elsewhere, NULL, &r);
    cr_assert_eq(r.segments, 0);
    char p[8300];
    snprintf(p, sizeof p, "%s/rank-00000-testhost-%d", elsewhere, (int)getpid());
    struct stat st;
    cr_assert_neq(lstat(p, &st), 0, "nothing is created through the symlink");
    sl_pipeline_stop(NULL, NULL, 0);
}
