/* Sink directories beyond the corpus: job directories, manifest filenames
 * that are not plain names, segments that are FIFOs or symlinks, parallel
 * segment loading giving the same result as sequential. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stormlog/loader.h"
#include "tmpdir.h"

static void cleanup(void)
{
    tmp_cleanup();
}
TestSuite(sinks, .fini = cleanup);

static void write_segment(const char *rel, const char *sid, long long t0, int n, bool stop)
{
    size_t cap = 1024 * (size_t)(n + 1), len = 0;
    char *text = malloc(cap);
    for (int i = 0; i < n; i++) {
        char *l = v3_line(sid, t0 + i, (stop && i == n - 1) ? "stop" : "sample");
        len += (size_t)snprintf(text + len, cap - len, "%s", l);
        free(l);
    }
    free(tmp_write(rel, text, len));
    free(text);
}

static stormlog_recording *load_ok(const char *rel, unsigned threads)
{
    char *path = tmp_path(rel);
    stormlog_options *opts = stormlog_options_new();
    stormlog_options_set_threads(opts, threads);
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    stormlog_status st = stormlog_load(path, opts, &rec, &err);
    cr_assert_eq(st, STORMLOG_OK, "%s: %s", path, stormlog_error_message(err));
    stormlog_options_free(opts);
    free(path);
    return rec;
}

Test(sinks, job_directory_is_the_union_of_its_sinks)
{
    /* <job>/rank-0, <job>/rank-1 (two sessions), and a nested <job>/node2/rank-2. */
    write_segment("job/rank-0/segment-000001.jsonl", "r0", 100, 3, true);
    write_segment("job/rank-1/segment-000001.jsonl", "r1a", 200, 2, false);
    write_segment("job/rank-1/segment-000002.jsonl", "r1b", 300, 2, true);
    write_segment("job/node2/rank-2/segment-000001.jsonl", "r2", 400, 4, false);
    free(tmp_write_str("job/notes.txt", "not a sink"));
    stormlog_recording *rec = load_ok("job", 1);
    cr_assert_eq(stormlog_recording_session_count(rec), 4);
    cr_expect_eq(stormlog_recording_event_count(rec), 11);
    /* completed first (most recent end first), then incomplete. */
    cr_expect_str_eq(stormlog_session_id(stormlog_recording_session(rec, 0)), "r1b");
    cr_expect_str_eq(stormlog_session_id(stormlog_recording_session(rec, 1)), "r0");
    cr_expect_str_eq(stormlog_session_id(stormlog_recording_session(rec, 2)), "r2");
    json_object *summary = stormlog_session_summary_json(stormlog_recording_session(rec, 2));
    cr_expect_str_eq(json_object_get_string(json_object_object_get(summary, "source")),
                     "artifact:rank-2");
    json_object_put(summary);
    stormlog_recording_free(rec);
}

Test(sinks, job_sessions_keep_their_fallback_identity)
{
    /* Session-less legacy records take each sink's own path-derived id. */
    free(tmp_write_str("job2/a/segment-000001.jsonl", "{\"timestamp\": 1}\n"));
    free(tmp_write_str("job2/b/segment-000001.jsonl", "{\"timestamp\": 2}\n"));
    stormlog_recording *rec = load_ok("job2", 1);
    cr_assert_eq(stormlog_recording_session_count(rec), 2);
    char *a = tmp_path("job2/a"), *ra = realpath(a, NULL);
    const char *parts[2] = {ra, "sink"};
    char want[44];
    stormlog_stable_legacy_id(parts, 2, want);
    const stormlog_session *found;
    cr_expect_eq(stormlog_recording_find_session(rec, want, &found, NULL), STORMLOG_OK);
    free(a);
    free(ra);
    stormlog_recording_free(rec);
}

Test(sinks, empty_directory_is_an_error)
{
    tmp_mkdir("empty");
    char *path = tmp_path("empty");
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_E_IO);
    cr_expect(strstr(stormlog_error_message(err), "Is a directory") != NULL);
    stormlog_error_free(err);
    free(path);
}

Test(sinks, manifest_filename_must_be_a_plain_name)
{
    free(tmp_write_str("outside.jsonl", "{\"timestamp\": 99}\n"));
    write_segment("sink/segment-000001.jsonl", "S", 1, 2, false);
    free(tmp_write_str("sink/manifest.json",
        "{\"schema_version\": 2, \"sessions\": [], \"segments\": ["
        "{\"filename\": \"../outside.jsonl\", \"session_id\": \"X\"},"
        "{\"filename\": \"../../etc/passwd\"}, {\"filename\": \"/etc/passwd\"},"
        "{\"filename\": \"..\"}, {\"filename\": \"segment-000001.jsonl\", \"session_id\": \"S\"}]}"));
    stormlog_recording *rec = load_ok("sink", 1);
    cr_expect_eq(stormlog_recording_event_count(rec), 2);
    cr_expect_eq(stormlog_recording_session_count(rec), 1);
    stormlog_recording_free(rec);
}

Test(sinks, fifo_and_symlink_segments_are_skipped)
{
    write_segment("sink2/segment-000001.jsonl", "S", 1, 2, false);
    char *fifo = tmp_path("sink2/segment-000002.jsonl");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    free(tmp_write_str("secret.jsonl", "{\"timestamp\": 5}\n"));
    char *target = tmp_path("secret.jsonl"), *link = tmp_path("sink2/segment-000003.jsonl");
    cr_assert_eq(symlink(target, link), 0);
    stormlog_recording *rec = load_ok("sink2", 1);
    cr_expect_eq(stormlog_recording_event_count(rec), 2);
    cr_expect_eq(stormlog_recording_warning_count(rec), 2);
    const char *w0 = stormlog_recording_warning(rec, 0), *w1 = stormlog_recording_warning(rec, 1);
    cr_expect((strstr(w0, "segment-000002.jsonl") && strstr(w1, "segment-000003.jsonl")) ||
              (strstr(w1, "segment-000002.jsonl") && strstr(w0, "segment-000003.jsonl")));
    stormlog_recording_free(rec);
    free(fifo);
    free(target);
    free(link);
}

Test(sinks, manifest_without_segments_gives_its_sessions)
{
    free(tmp_write_str("sink3/manifest.json",
        "{\"schema_version\": 2, \"sessions\": [{\"session_id\": \"M\", \"status\": \"running\", "
        "\"started_at_ns\": 5, \"host\": \"h\", \"source\": \"stormlog.telemetry_sink\"}], "
        "\"segments\": []}"));
    stormlog_recording *rec = load_ok("sink3", 1);
    cr_assert_eq(stormlog_recording_session_count(rec), 1);
    cr_expect_str_eq(stormlog_session_status(stormlog_recording_session(rec, 0)), "running");
    cr_expect_eq(stormlog_recording_default_session(rec), stormlog_recording_session(rec, 0));
    stormlog_recording_free(rec);
}

static char *dump(const stormlog_recording *rec)
{
    json_object *all = json_object_new_array();
    for (size_t i = 0; i < stormlog_recording_session_count(rec); i++) {
        const stormlog_session *s = stormlog_recording_session(rec, i);
        json_object_array_add(all, stormlog_session_summary_json(s));
        for (size_t k = 0; k < stormlog_session_event_count(s); k++)
            json_object_array_add(all, stormlog_event_json(stormlog_session_event(s, k)));
    }
    char *text = strdup(json_object_to_json_string(all));
    json_object_put(all);
    return text;
}

Test(sinks, parallel_loading_matches_sequential)
{
    /* Interleaved sessions across 12 segments, with timestamp ties. */
    for (int s = 1; s <= 12; s++) {
        char rel[64];
        snprintf(rel, sizeof rel, "par/segment-%06d.jsonl", s);
        write_segment(rel, (s % 3) ? "A" : "B", 1000 - 10 * s, 20, s == 12);
    }
    stormlog_recording *seq = load_ok("par", 1), *par = load_ok("par", 4);
    char *a = dump(seq), *b = dump(par);
    cr_expect_str_eq(a, b);
    free(a);
    free(b);
    stormlog_recording_free(seq);
    stormlog_recording_free(par);
}

Test(sinks, parallel_error_is_the_first_in_reading_order)
{
    write_segment("perr/segment-000001.jsonl", "A", 1, 3, false);
    free(tmp_write_str("perr/segment-000002.jsonl", "{\"schema_version\": 9}\n"));
    free(tmp_write_str("perr/segment-000003.jsonl", "nonsense\n"));
    char *path = tmp_path("perr");
    stormlog_options *opts = stormlog_options_new();
    stormlog_options_set_threads(opts, 3);
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_neq(stormlog_load(path, opts, &rec, &err), STORMLOG_OK);
    cr_expect_str_eq(stormlog_error_message(err), "Unsupported schema_version: 9");
    cr_expect_eq(stormlog_error_line(err), 1);
    stormlog_error_free(err);
    stormlog_options_free(opts);
    free(path);
}
