/* Small parts of the pipeline: event helpers, configuration from the
 * environment, one event as one record line, the manifest's JSON reader. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "event_record.h"
#include "json_scan.h"
#include "pipeline.h"
#include "sink_reader.h"

/* ---- event.h ---- */

Test(event, names_of_types_and_collectors)
{
    cr_assert_str_eq(sl_event_type_name(SL_EVENT_START), "start");
    cr_assert_str_eq(sl_event_type_name(SL_EVENT_DEALLOCATION), "deallocation");
    cr_assert_str_eq(sl_event_type_name(SL_EVENT_PHASE_EXIT), "phase_exit");
    cr_assert_str_eq(sl_event_type_name(SL_EVENT_MEMORY_MAP), "memory_map");
    cr_assert_str_eq(sl_event_type_name(SL_EVENT_MEMORY_UNMAP), "memory_unmap");
    cr_assert_null(sl_event_type_name(SL_EVENT_TYPE_COUNT));
    cr_assert_str_eq(sl_collector_name(SL_COLLECTOR_CUDA), "stormlog.cuda_shim");
    cr_assert_str_eq(sl_collector_name(SL_COLLECTOR_HIP), "stormlog.hip_shim");
    cr_assert_null(sl_collector_name(SL_COLLECTOR_COUNT));
}

Test(event, metadata_fills_up_to_its_capacity)
{
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    for (int i = 0; i < SL_EVENT_META_MAX; i++)
        cr_assert(sl_event_meta_int(&ev, "k", i));
    cr_assert_not(sl_event_meta_bool(&ev, "over", true));
    cr_assert_eq(ev.meta_count, SL_EVENT_META_MAX);
}

Test(event, context_is_cut_at_a_utf8_boundary)
{
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    char label[300];
    memset(label, 'a', 126);
    strcpy(label + 126, "\xc3\xa9tail"); /* e-acute would straddle the cut at 127 */
    sl_event_set_context(&ev, label);
    cr_assert(ev.flags & SL_EVENT_F_HAS_CONTEXT);
    cr_assert_eq(strlen(ev.context), 126);
    sl_event_set_context(&ev, "short");
    cr_assert_str_eq(ev.context, "short");
    sl_event_set_context(&ev, NULL);
    cr_assert_not(ev.flags & SL_EVENT_F_HAS_CONTEXT);
}

/* ---- configuration ---- */

typedef struct fake_env {
    const char *pairs[32];
} fake_env;

static const char *fake_getenv(const char *name, void *ctx)
{
    fake_env *e = ctx;
    for (int i = 0; e->pairs[i]; i += 2)
        if (strcmp(e->pairs[i], name) == 0)
            return e->pairs[i + 1];
    return NULL;
}

Test(config, defaults_keep_a_debugging_run_up_to_a_byte_budget)
{
    sl_pipeline_config c;
    sl_pipeline_config_defaults(&c);
    cr_assert_str_eq(c.output_dir, "./stormlog-out");
    cr_assert_eq(c.ring_capacity, SL_RING_CAPACITY_DEFAULT);
    cr_assert_eq(c.flush_every_events, 50);
    cr_assert_eq(c.flush_every_ms, 2000);
    cr_assert_eq(c.rollover_bytes, 64u << 20);
    cr_assert_eq(c.rollover_events, 10000);
    cr_assert_eq(c.retention_files, 1000000);
    cr_assert_eq(c.retention_bytes, 4ull << 30);
    cr_assert_eq(c.shutdown_deadline_ms, 2000);
    cr_assert_not(c.quiet);
}

Test(config, good_values_override)
{
    fake_env env = {{"STORMLOG_OUTPUT_DIR", "/x/y", "STORMLOG_RING_CAPACITY", "1024", "STORMLOG_FLUSH_EVERY_EVENTS",
                     "7", "STORMLOG_FLUSH_EVERY_MS", "250", "STORMLOG_ROLLOVER_BYTES", "1000000",
                     "STORMLOG_ROLLOVER_EVENTS", "99", "STORMLOG_RETENTION_FILES", "3", "STORMLOG_RETENTION_BYTES",
                     "5000000", "STORMLOG_QUIET", "yes", NULL}};
    sl_pipeline_config c;
    sl_pipeline_config_defaults(&c);
    cr_assert(sl_pipeline_config_from_getenv(&c, fake_getenv, &env));
    cr_assert_str_eq(c.output_dir, "/x/y");
    cr_assert_eq(c.ring_capacity, 1024);
    cr_assert_eq(c.flush_every_events, 7);
    cr_assert_eq(c.flush_every_ms, 250);
    cr_assert_eq(c.rollover_bytes, 1000000);
    cr_assert_eq(c.rollover_events, 99);
    cr_assert_eq(c.retention_files, 3);
    cr_assert_eq(c.retention_bytes, 5000000);
    cr_assert(c.quiet);
}

Test(config, bad_values_keep_the_default_and_say_so_once, .init = cr_redirect_stderr)
{
    fake_env env = {{"STORMLOG_RING_CAPACITY", "1000", "STORMLOG_FLUSH_EVERY_EVENTS", "0",
                     "STORMLOG_ROLLOVER_EVENTS", "12abc", "STORMLOG_RETENTION_FILES", "-3", NULL}};
    sl_pipeline_config c;
    sl_pipeline_config_defaults(&c);
    errno = 99;
    cr_assert_not(sl_pipeline_config_from_getenv(&c, fake_getenv, &env));
    cr_assert_eq(errno, 99);
    cr_assert_eq(c.ring_capacity, SL_RING_CAPACITY_DEFAULT);
    cr_assert_eq(c.flush_every_events, 50);
    cr_assert_eq(c.rollover_events, 10000);
    cr_assert_eq(c.retention_files, 1000000);
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "stormlog: STORMLOG_RING_CAPACITY='1000' is not a power of two in [8, 16777216]; using 16384\n"
        "stormlog: STORMLOG_FLUSH_EVERY_EVENTS='0' is not an integer in [1, 1000000]; using 50\n"
        "stormlog: STORMLOG_ROLLOVER_EVENTS='12abc' is not an integer in [10, 4294967295]; using 10000\n"
        "stormlog: STORMLOG_RETENTION_FILES='-3' is not an integer in [1, 1000000]; using 1000000\n");
}

Test(config, quiet_silences_the_rest, .init = cr_redirect_stderr)
{
    fake_env env = {{"STORMLOG_QUIET", "1", "STORMLOG_RING_CAPACITY", "3", NULL}};
    sl_pipeline_config c;
    sl_pipeline_config_defaults(&c);
    cr_assert_not(sl_pipeline_config_from_getenv(&c, fake_getenv, &env));
    fflush(stderr);
    cr_assert_stderr_eq_str("");
}

/* ---- one event, one line ---- */

static sl_session_info session(void)
{
    sl_session_info s;
    test_session(&s, "units");
    s.pid = 4242;
    return s;
}

static json_object *line_of(const sl_event *ev, const sl_event_extras *x)
{
    sl_session_info s = session();
    sl_buf b = {0};
    sl_error err;
    cr_assert_eq(sl_event_append_line(ev, &s, x, &b, &err), SL_LINE_OK, "%s", err.message);
    cr_assert_eq(b.data[b.len - 1], '\n');
    char why[512];
    json_object *o = parse_record_line(b.data, b.len - 1, why, sizeof why);
    cr_assert_not_null(o, "%s", why);
    sl_buf_free(&b);
    return o;
}

Test(event_record, fields_and_metadata)
{
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.timestamp_ns = 1700000000000000123;
    ev.device_id = 2;
    ev.type = SL_EVENT_ALLOCATION;
    ev.collector = SL_COLLECTOR_HIP;
    ev.allocated_bytes = 10;
    ev.reserved_bytes = 20;
    ev.change_bytes = -5;
    ev.device_used_bytes = 30;
    ev.device_total_bytes = 100;
    ev.flags = SL_EVENT_F_HAS_TOTAL;
    sl_event_meta_hex(&ev, "ptr", 0xdeadbeef00ull);
    sl_event_meta_hex(&ev, "stream", 0);
    sl_event_meta_str(&ev, "api", "hipMalloc");
    sl_event_meta_bool(&ev, "managed", false);
    sl_event_meta_null(&ev, "pool");
    sl_event_set_context(&ev, "caf\xc3\xa9");
    json_object *o = line_of(&ev, NULL);
    cr_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                     "{\"allocator_active_bytes\":null,\"allocator_allocated_bytes\":10,\"allocator_change_bytes\":-5,"
                     "\"allocator_inactive_bytes\":null,\"allocator_reserved_bytes\":20,\"collector\":\"stormlog.hip_"
                     "shim\",\"context\":\"caf\xc3\xa9\",\"device_free_bytes\":null,\"device_id\":2,\"device_total_"
                     "bytes\":100,\"device_used_bytes\":30,\"event_type\":\"allocation\",\"host\":\"testhost\","
                     "\"job_id\":null,\"local_rank\":0,\"metadata\":{\"api\":\"hipMalloc\",\"managed\":false,\"pool\":"
                     "null,\"ptr\":\"0xdeadbeef00\",\"stream\":\"0x0\"},\"pid\":4242,\"rank\":0,\"sampling_interval_"
                     "ms\":0,\"schema_version\":3,\"session_id\":\"units\",\"timestamp_ns\":1700000000000000123,"
                     "\"world_size\":1}");
    json_object_put(o);
}

Test(event_record, extras_win_over_event_metadata_and_dropped_is_added)
{
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SL_EVENT_STOP;
    ev.device_id = -1;
    sl_event_meta_int(&ev, "peak", 1);
    sl_event_meta_int(&ev, "dropped_events_total", 999);
    sl_member extra[2] = {sl_member_of("peak", sl_value_int(2)), sl_member_of("frees", sl_value_int(3))};
    sl_event_extras x = {extra, 2, true, 17};
    json_object *o = line_of(&ev, &x);
    json_object *meta;
    json_object_object_get_ex(o, "metadata", &meta);
    cr_assert_eq(json_object_object_length(meta), 3);
    cr_assert_eq(meta_int(o, "peak", -1), 2);
    cr_assert_eq(meta_int(o, "frees", -1), 3);
    cr_assert_eq(meta_int(o, "dropped_events_total", -1), 17);
    json_object_put(o);
}

Test(event_record, the_validator_refuses_what_the_loader_would)
{
    sl_session_info s = session();
    sl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SL_EVENT_SAMPLE;
    ev.device_used_bytes = 200;
    ev.device_total_bytes = 100;
    ev.flags = SL_EVENT_F_HAS_TOTAL;
    sl_buf b = {0};
    sl_error err;
    cr_assert_eq(sl_event_append_line(&ev, &s, NULL, &b, &err), SL_LINE_INVALID);
    cr_assert_str_eq(err.message, "device_used_bytes cannot exceed device_total_bytes");
    cr_assert_eq(b.len, 0);
    ev.type = 200;
    cr_assert_eq(sl_event_append_line(&ev, &s, NULL, &b, &err), SL_LINE_INVALID);
    sl_buf_free(&b);
}

/* ---- the manifest reader's JSON ---- */

Test(json_scan, values_and_strictness)
{
    const char *doc = " {\"a\": [1, -2, 3.5, 1e3, 99999999999999999999, true, false, null],"
                      " \"s\": \"x\\n\\u00e9\\ud83d\\ude00\\/\", \"a\": {}} ";
    sl_jnode *n = sl_json_scan(doc, strlen(doc));
    cr_assert_not_null(n);
    const sl_jnode *a = sl_jnode_member(n, "a");
    cr_assert_eq(a->kind, SL_JN_OBJECT, "the last of repeated keys wins");
    const sl_jnode *s = sl_jnode_member(n, "s");
    cr_assert_str_eq(s->str, "x\n\xc3\xa9\xf0\x9f\x98\x80/");
    const sl_jnode *arr = n->first_child;
    cr_assert_eq(arr->kind, SL_JN_ARRAY);
    const sl_jnode *it = arr->first_child;
    cr_assert_eq(it->kind, SL_JN_INT);
    cr_assert_eq(it->integer, 1);
    it = it->next;
    cr_assert_eq(it->integer, -2);
    cr_assert_eq(it->next->kind, SL_JN_NUMBER);
    cr_assert_eq(it->next->next->kind, SL_JN_NUMBER);
    cr_assert_eq(it->next->next->next->kind, SL_JN_NUMBER, "beyond int64 is not an int");
    sl_json_scan_free(n);

    static const char *const bad[] = {"", "{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "nul", "{} x", "[\"a\nb\"]",
                                      "NaN"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_null(sl_json_scan(bad[i], strlen(bad[i])), "accepted %s", bad[i]);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    cr_assert_null(sl_json_scan(deep, 200), "nesting is bounded");
}
