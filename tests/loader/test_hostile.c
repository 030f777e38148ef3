/* Hostile input: huge lines, deep nesting, bad UTF-8, NUL bytes, integers
 * beyond 64 bits, many segments. Every rejection is an error with a message;
 * nothing crashes, leaks (ASan) or hangs. Sizes divide by
 * STORMLOG_HOSTILE_DIVISOR (sanitizer builds pass 10). */
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
TestSuite(hostile, .fini = cleanup, .timeout = 300);

static const char *record_head =
    "{\"schema_version\": 3, \"session_id\": \"S\", \"timestamp_ns\": 1, \"event_type\": \"sample\", "
    "\"collector\": \"c\", \"sampling_interval_ms\": 0, \"pid\": 1, \"host\": \"h\", \"device_id\": 0, "
    "\"allocator_allocated_bytes\": 0, \"allocator_reserved_bytes\": 0, \"allocator_active_bytes\": null, "
    "\"allocator_inactive_bytes\": null, \"allocator_change_bytes\": 0, \"device_used_bytes\": 0, "
    "\"device_free_bytes\": null, \"device_total_bytes\": null, \"context\": null, \"metadata\": ";

/* A JSONL file of one record whose metadata is `metadata`, plus "\n". */
static char *record_file(const char *rel, const char *metadata, size_t mlen)
{
    size_t hl = strlen(record_head);
    char *text = malloc(hl + mlen + 3);
    memcpy(text, record_head, hl);
    memcpy(text + hl, metadata, mlen);
    memcpy(text + hl + mlen, "}\n", 3);
    char *path = tmp_write(rel, text, hl + mlen + 2);
    free(text);
    return path;
}

static stormlog_error *expect_error(const char *path, const stormlog_options *opts)
{
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    stormlog_status st = stormlog_load(path, opts, &rec, &err);
    cr_assert_neq(st, STORMLOG_OK, "%s loaded", path);
    cr_assert(stormlog_error_message(err)[0] != '\0');
    return err;
}

Test(hostile, hundred_megabyte_line)
{
    size_t n = ((size_t)100 << 20) / (size_t)hostile_divisor();
    char *md = malloc(n + 16);
    memcpy(md, "{\"blob\": \"", 10);
    memset(md + 10, 'x', n);
    memcpy(md + 10 + n, "\"}", 2);
    char *path = record_file("big.jsonl", md, n + 12);
    free(md);
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK, "%s", stormlog_error_message(err));
    size_t len;
    stormlog_event_metadata_text(stormlog_session_event(stormlog_recording_session(rec, 0), 0), &len);
    cr_expect_eq(len, n + 12); /* the metadata text as written: {"blob": "..."} */
    stormlog_recording_free(rec);

    /* Over the configured line limit: an error naming the line, not an allocation spree. */
    stormlog_options *opts = stormlog_options_new();
    stormlog_options_set_max_line_bytes(opts, 1 << 20);
    err = expect_error(path, opts);
    cr_expect_eq(stormlog_error_code(err), STORMLOG_E_LIMIT);
    cr_expect_eq(stormlog_error_line(err), 1);
    stormlog_error_free(err);
    stormlog_options_free(opts);
    free(path);
}

Test(hostile, deep_nesting_is_an_error_not_a_stack_overflow)
{
    size_t depth = 100000;
    char *md = malloc(2 * depth + 8);
    size_t o = 0;
    for (size_t i = 0; i < depth; i++)
        md[o++] = '[';
    for (size_t i = 0; i < depth; i++)
        md[o++] = ']';
    char *path = record_file("deep.jsonl", md, o);
    stormlog_error *err = expect_error(path, NULL);
    cr_expect_eq(stormlog_error_code(err), STORMLOG_E_LIMIT);
    cr_expect(strstr(stormlog_error_message(err), "nested deeper") != NULL, "%s",
              stormlog_error_message(err));
    stormlog_error_free(err);
    free(path);
    /* The same as a JSON document. */
    path = tmp_write("deep.json", md, o);
    err = expect_error(path, NULL);
    cr_expect_eq(stormlog_error_code(err), STORMLOG_E_LIMIT);
    stormlog_error_free(err);
    free(path);
    free(md);
}

Test(hostile, invalid_utf8_and_nul_bytes)
{
    static const char bad_utf8[] = "{\"k\": \"\xff\xfe\"}";
    char *path = record_file("utf8.jsonl", bad_utf8, sizeof bad_utf8 - 1);
    stormlog_error *err = expect_error(path, NULL);
    cr_expect(strstr(stormlog_error_message(err), "Malformed telemetry JSONL record") != NULL);
    stormlog_error_free(err);
    free(path);

    static const char with_nul[] = "{\"k\": \"a\0b\"}";
    path = record_file("nul.jsonl", with_nul, sizeof with_nul - 1);
    err = expect_error(path, NULL);
    cr_expect_eq(stormlog_error_line(err), 1);
    stormlog_error_free(err);
    free(path);

    /* An escaped NUL is JSON and loads. */
    static const char escaped_nul[] = "{\"k\": \"a\\u0000b\"}";
    path = record_file("nul_ok.jsonl", escaped_nul, sizeof escaped_nul - 1);
    stormlog_recording *rec;
    cr_expect_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK);
    stormlog_recording_free(rec);
    free(path);
}

Test(hostile, integers_beyond_int64)
{
    /* In metadata: kept exactly. */
    static const char md[] = "{\"big\": 123456789012345678901234567890, \"neg\": -99999999999999999999,"
                             " \"edge\": -9223372036854775808, \"u\": 18446744073709551615}";
    char *path = record_file("bigmd.jsonl", md, sizeof md - 1);
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK);
    const stormlog_event *ev = stormlog_session_event(stormlog_recording_session(rec, 0), 0);
    size_t len;
    const char *text = stormlog_event_metadata_text(ev, &len);
    cr_expect(strstr(text, "123456789012345678901234567890") != NULL, "%s", text);
    cr_expect(strstr(text, "-99999999999999999999") != NULL, "%s", text);
    cr_expect(strstr(text, "-9223372036854775808") != NULL, "%s", text);
    cr_expect(strstr(text, "18446744073709551615") != NULL, "%s", text);
    stormlog_recording_free(rec);
    free(path);

    /* As a field: accepted as Python does, exact in the JSON form, saturated in getters. */
    path = tmp_write_str("bigts.json", "[{\"timestamp_ns\": 1180591620717411303424}]");
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK);
    ev = stormlog_session_event(stormlog_recording_session(rec, 0), 0);
    cr_expect_eq(stormlog_event_timestamp_ns(ev), INT64_MAX);
    json_object *dict = stormlog_event_json(ev);
    cr_expect(strstr(json_object_to_json_string(dict), "1180591620717411303424") != NULL);
    json_object_put(dict);
    stormlog_recording_free(rec);
    free(path);

    /* Beyond 128 bits: a clear error of our own. */
    path = tmp_write_str("huge.json", "[{\"timestamp_ns\": 1234567890123456789012345678901234567890123}]");
    err = expect_error(path, NULL);
    cr_expect_str_eq(stormlog_error_message(err), "timestamp_ns: integers beyond 128 bits are not supported");
    stormlog_error_free(err);
    free(path);
}

Test(hostile, manifest_pointing_outside)
{
    free(tmp_write_str("sink/manifest.json",
                       "{\"schema_version\": 2, \"segments\": [{\"filename\": \"../../etc/passwd\"}]}"));
    free(tmp_write_str("sink/segment-000001.jsonl", "{\"timestamp\": 3}\n"));
    char *path = tmp_path("sink");
    stormlog_recording *rec;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_load(path, NULL, &rec, &err), STORMLOG_OK);
    cr_expect_eq(stormlog_recording_event_count(rec), 1);
    stormlog_recording_free(rec);
    free(path);
}

Test(hostile, ten_thousand_segments)
{
    int n = (int)(10000 / hostile_divisor());
    for (int i = 1; i <= n; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "many/segment-%06d.jsonl", i);
        char *line = v3_line(i % 2 ? "odd" : "even", i, "sample");
        free(tmp_write_str(rel, line));
        free(line);
    }
    char *path = tmp_path("many");
    for (unsigned threads = 1; threads <= 2; threads++) {
        stormlog_options *opts = stormlog_options_new();
        stormlog_options_set_threads(opts, threads);
        stormlog_recording *rec;
        stormlog_error *err = NULL;
        cr_assert_eq(stormlog_load(path, opts, &rec, &err), STORMLOG_OK);
        cr_expect_eq(stormlog_recording_event_count(rec), (size_t)n);
        cr_expect_eq(stormlog_recording_session_count(rec), 2);
        stormlog_recording_free(rec);
        stormlog_options_free(opts);
    }
    free(path);
}
