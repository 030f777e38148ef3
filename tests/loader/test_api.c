/* The public API: errors with exact messages and locations, options, getters,
 * session lookup, single records. Inputs are written at test time. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stormlog/loader.h"
#include "tmpdir.h"

static void cleanup(void)
{
    tmp_cleanup();
}
TestSuite(api, .fini = cleanup);

static stormlog_error *load_fails(const char *path, const stormlog_options *opts)
{
    stormlog_recording *rec = (stormlog_recording *)0x1;
    stormlog_error *err = NULL;
    stormlog_status st = stormlog_load(path, opts, &rec, &err);
    cr_assert_neq(st, STORMLOG_OK, "load of %s should fail", path);
    cr_assert_null(rec);
    cr_assert_not_null(err);
    cr_assert_eq(stormlog_error_code(err), st);
    return err;
}

Test(api, jsonl_error_carries_file_and_line)
{
    char *l1 = v3_line("s", 1, "start");
    size_t n = strlen(l1) * 2 + 64;
    char *text = malloc(n);
    snprintf(text, n, "%s\n%s{\"schema_version\": 3, \"pid\": 1}\n", l1, l1);
    char *path = tmp_write_str("run.jsonl", text);
    stormlog_error *err = load_fails(path, NULL);
    cr_expect_str_eq(stormlog_error_message(err),
                     /* session_id is resolved (to the loader's default) before validation */
                     "Missing required telemetry fields: timestamp_ns, event_type, "
                     "collector, sampling_interval_ms, host, device_id, allocator_allocated_bytes, "
                     "allocator_reserved_bytes, allocator_active_bytes, allocator_inactive_bytes, "
                     "allocator_change_bytes, device_used_bytes, device_free_bytes, "
                     "device_total_bytes, context, metadata");
    cr_expect_str_eq(stormlog_error_file(err), path);
    cr_expect_eq(stormlog_error_line(err), 4);
    cr_expect_eq(stormlog_error_index(err), -1);
    cr_expect_eq(stormlog_error_code(err), STORMLOG_E_RECORD);
    stormlog_error_free(err);
    free(text);
    free(l1);
    free(path);
}

Test(api, malformed_line_message_names_the_file)
{
    char *path = tmp_write_str("bad.jsonl", "\n{\"a\": \n\n");
    stormlog_error *err = load_fails(path, NULL);
    char want[4200];
    snprintf(want, sizeof want, "Malformed telemetry JSONL record in %s at line 2", path);
    cr_expect_str_eq(stormlog_error_message(err), want);
    cr_expect_eq(stormlog_error_line(err), 2);
    cr_expect_eq(stormlog_error_code(err), STORMLOG_E_PARSE);
    stormlog_error_free(err);
    free(path);
}

Test(api, json_array_error_carries_index)
{
    char *path = tmp_write_str("list.json", "[{\"timestamp\": 1}, {\"timestamp\": true}]");
    stormlog_error *err = load_fails(path, NULL);
    cr_expect_str_eq(stormlog_error_message(err), "Legacy record is missing a valid timestamp");
    cr_expect_eq(stormlog_error_index(err), 1);
    cr_expect_str_eq(stormlog_error_file(err), path);
    stormlog_error_free(err);
    free(path);
}

Test(api, permissive_legacy_off_and_events_key)
{
    char *path = tmp_write_str("k.json", "{\"records\": [{\"timestamp\": 2}]}");
    stormlog_options *opts = stormlog_options_new();
    cr_assert_eq(stormlog_options_set_events_key(opts, "records"), STORMLOG_OK);
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, opts, &rec, &err), STORMLOG_OK);
    cr_assert_eq(stormlog_recording_event_count(rec), 1);
    const stormlog_session *s = stormlog_recording_default_session(rec);
    cr_assert_not_null(s);
    cr_expect_eq(stormlog_event_timestamp_ns(stormlog_session_event(s, 0)), 2000000000LL);
    stormlog_recording_free(rec);

    stormlog_options_set_permissive_legacy(opts, false);
    err = load_fails(path, opts);
    cr_expect_str_eq(stormlog_error_message(err), "Legacy record conversion is disabled");
    cr_expect_eq(stormlog_error_index(err), 0);
    stormlog_error_free(err);
    stormlog_options_free(opts);
    free(path);
}

Test(api, sessions_order_default_and_lookup)
{
    char *a1 = v3_line("A", 10, "start"), *a2 = v3_line("A", 30, "stop"), *b1 = v3_line("B", 50, "sample");
    char text[8192];
    snprintf(text, sizeof text, "%s%s%s", b1, a2, a1);
    char *path = tmp_write_str("s.jsonl", text);
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK);
    cr_assert_eq(stormlog_recording_session_count(rec), 2);
    const stormlog_session *first = stormlog_recording_session(rec, 0);
    cr_expect_str_eq(stormlog_session_id(first), "A");
    cr_expect_str_eq(stormlog_session_status(first), "completed");
    int64_t ended;
    cr_expect(stormlog_session_ended_at_ns(first, &ended));
    cr_expect_eq(ended, 30);
    cr_expect_eq(stormlog_session_event_count(first), 2);
    cr_expect_eq(stormlog_event_timestamp_ns(stormlog_session_event(first, 0)), 10);
    cr_expect_eq(stormlog_recording_default_session(rec), first);
    const stormlog_session *b = stormlog_recording_session(rec, 1);
    cr_expect_str_eq(stormlog_session_status(b), "incomplete");
    cr_expect_not(stormlog_session_ended_at_ns(b, &ended));

    const stormlog_session *found;
    cr_expect_eq(stormlog_recording_find_session(rec, "B", &found, &err), STORMLOG_OK);
    cr_expect_eq(found, b);
    cr_expect_eq(stormlog_recording_find_session(rec, "nope", &found, &err), STORMLOG_E_NOT_FOUND);
    cr_expect_str_eq(stormlog_error_message(err), "Requested session_id not found: nope");
    stormlog_error_free(err);

    const stormlog_event *ev = stormlog_session_event(b, 0);
    int64_t v;
    cr_expect(stormlog_event_int(ev, STORMLOG_DEVICE_TOTAL_BYTES, &v));
    cr_expect_eq(v, 12288);
    cr_expect_not(stormlog_event_int(ev, STORMLOG_ALLOCATOR_ACTIVE_BYTES, &v));
    cr_expect_null(stormlog_event_context(ev));
    cr_expect_null(stormlog_event_job_id(ev));
    cr_expect_str_eq(stormlog_event_collector(ev), "stormlog.cuda_shim");
    json_object *md = stormlog_event_metadata_json(ev);
    cr_expect_str_eq(json_object_get_string(json_object_object_get(md, "api")), "cudaMalloc");
    json_object_put(md);
    json_object *summary = stormlog_session_summary_json(b);
    cr_expect_str_eq(json_object_get_string(json_object_object_get(summary, "source")),
                     "artifact:s.jsonl");
    json_object_put(summary);
    stormlog_recording_free(rec);
    free(a1);
    free(a2);
    free(b1);
    free(path);
}

Test(api, record_from_json_and_file)
{
    json_object *rec = json_tokener_parse("{\"timestamp\": 1700000000.5, \"memory_allocated\": 5}");
    stormlog_event *ev;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_event_from_json(rec, NULL, NULL, &ev, &err), STORMLOG_OK);
    cr_expect_str_eq(stormlog_event_session_id(ev), "legacy-e2045181-632d-58e3-8ce3-bcdff601ec03");
    cr_expect_str_eq(stormlog_event_collector(ev), "stormlog.cpu_tracker");
    stormlog_event_free(ev);
    json_object_put(rec);

    json_object *list = json_tokener_parse("[1]");
    cr_expect_eq(stormlog_event_from_json(list, NULL, NULL, &ev, &err), STORMLOG_E_RECORD);
    cr_expect_str_eq(stormlog_error_message(err), "record must be a mapping");
    stormlog_error_free(err);
    json_object_put(list);

    char *path = tmp_write_str("r.json", "{\"schema_version\": 3}");
    cr_expect_neq(stormlog_event_from_file(path, NULL, &ev, &err), STORMLOG_OK);
    cr_expect_str_eq(stormlog_error_file(err), path);
    stormlog_error_free(err);
    free(path);
}

Test(api, invalid_arguments_are_errors_not_crashes)
{
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_expect_eq(stormlog_load(NULL, NULL, &rec, &err), STORMLOG_E_INVALID_ARGUMENT);
    cr_expect_not_null(err);
    stormlog_error_free(err);
    cr_expect_eq(stormlog_load("x", NULL, NULL, NULL), STORMLOG_E_INVALID_ARGUMENT);
    cr_expect_eq(stormlog_recording_session_count(NULL), 0);
    cr_expect_null(stormlog_recording_default_session(NULL));
    stormlog_recording_free(NULL);
    stormlog_error_free(NULL);
    stormlog_event_free(NULL);
}

Test(api, missing_file_is_an_os_error)
{
    char *path = tmp_path("absent.json");
    stormlog_error *err = load_fails(path, NULL);
    char want[4200];
    snprintf(want, sizeof want, "[Errno 2] No such file or directory: '%s'", path);
    cr_expect_str_eq(stormlog_error_message(err), want);
    cr_expect_eq(stormlog_error_code(err), STORMLOG_E_IO);
    stormlog_error_free(err);
    free(path);
}

Test(api, projection_envelope)
{
    char *path = tmp_write_str("p.jsonl",
        "{\"schema_version\": 3, \"session_id\": \"S\", \"timestamp_ns\": 5, \"event_type\": \"Stop\", "
        "\"collector\": \"x.ROCm.y\", \"sampling_interval_ms\": 1, \"pid\": 2, \"host\": \"h\", "
        "\"device_id\": 0, \"allocator_allocated_bytes\": 1, \"allocator_reserved_bytes\": 1, "
        "\"allocator_active_bytes\": null, \"allocator_inactive_bytes\": null, "
        "\"allocator_change_bytes\": 0, \"device_used_bytes\": 0, \"device_free_bytes\": null, "
        "\"device_total_bytes\": null, \"context\": \"ctx\", \"metadata\": {\"phase_scope\": "
        "{\"path\": [\"train\", \"fwd\"], \"scope_id\": 7}, \"severity_text\": 3}}\n");
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK);
    const stormlog_session *s = stormlog_recording_session(rec, 0);
    json_object *p = stormlog_event_project_json(stormlog_session_event(s, 0));
    cr_assert_not_null(p);
    cr_expect_str_eq(json_object_get_string(json_object_object_get(p, "source_kind")), "rocm");
    cr_expect_str_eq(json_object_get_string(json_object_object_get(p, "severity")), "info");
    cr_expect_str_eq(json_object_get_string(json_object_object_get(p, "stage")), "fwd");
    cr_expect_str_eq(json_object_get_string(json_object_object_get(p, "severity_text")), "3");
    cr_expect_str_eq(json_object_get_string(json_object_object_get(p, "body")), "ctx");
    json_object *corr = json_object_object_get(p, "correlation");
    cr_expect_eq(json_object_get_int(json_object_object_get(corr, "phase.scope_id")), 7);
    json_object *attrs = json_object_object_get(p, "attributes");
    cr_expect_eq(json_object_get_int(json_object_object_get(attrs, "sampling.interval_ms")), 1);
    cr_expect(strncmp(json_object_get_string(json_object_object_get(p, "record_id")), "telemetry-", 10) == 0);
    json_object_put(p);
    json_object *res = stormlog_session_resources_json(s);
    cr_expect_eq(json_object_array_length(res), 1);
    json_object_put(res);
    json_object *cor = stormlog_session_correlations_json(s);
    cr_expect_eq(json_object_array_length(cor), 1);
    json_object_put(cor);
    stormlog_recording_free(rec);
    free(path);
}
