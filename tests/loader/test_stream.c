/* The streaming API: the same events as stormlog_load, in reading order,
 * with errors at the same place. */
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
TestSuite(stream, .fini = cleanup);

Test(stream, visits_every_event_of_a_sink_in_reading_order)
{
    for (int s = 1; s <= 3; s++) {
        char rel[64], text[16384];
        size_t len = 0;
        for (int i = 0; i < 5; i++) {
            char *l = v3_line("S", s * 100 - i, "sample");
            len += (size_t)snprintf(text + len, sizeof text - len, "%s", l);
            free(l);
        }
        snprintf(rel, sizeof rel, "sink/segment-%06d.jsonl", s);
        free(tmp_write(rel, text, len));
    }
    char *path = tmp_path("sink");
    stormlog_stream *st;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_stream_open(path, NULL, &st, &err), STORMLOG_OK);
    const stormlog_event *ev;
    int n = 0;
    while (stormlog_stream_next(st, &ev, &err) == 1) {
        int s = n / 5 + 1, i = n % 5;
        cr_expect_eq(stormlog_event_timestamp_ns(ev), s * 100 - i);
        cr_expect_str_eq(stormlog_event_session_id(ev), "S");
        n++;
    }
    cr_expect_eq(n, 15);
    cr_expect_eq(stormlog_stream_next(st, &ev, &err), 0);
    stormlog_stream_close(st);
    free(path);
}

Test(stream, reports_errors_with_location)
{
    char *good = v3_line("S", 1, "start");
    char text[4096];
    snprintf(text, sizeof text, "%s%s[1]\n", good, good);
    char *path = tmp_write_str("x.jsonl", text);
    stormlog_stream *st;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_stream_open(path, NULL, &st, &err), STORMLOG_OK);
    const stormlog_event *ev;
    cr_expect_eq(stormlog_stream_next(st, &ev, &err), 1);
    cr_expect_eq(stormlog_stream_next(st, &ev, &err), 1);
    cr_expect_eq(stormlog_stream_next(st, &ev, &err), -1);
    cr_expect_eq(stormlog_error_line(err), 3);
    cr_expect(strstr(stormlog_error_message(err), "must be an object") != NULL);
    stormlog_error_free(err);
    cr_expect_eq(stormlog_stream_next(st, &ev, &err), 0);
    stormlog_stream_close(st);
    free(good);
    free(path);
}

Test(stream, json_inputs_and_open_errors)
{
    char *path = tmp_write_str("a.json", "{\"events\": [{\"timestamp\": 1}, {\"timestamp\": 2}]}");
    stormlog_stream *st;
    stormlog_error *err = NULL;
    cr_assert_eq(stormlog_stream_open(path, NULL, &st, &err), STORMLOG_OK);
    const stormlog_event *ev;
    int n = 0;
    while (stormlog_stream_next(st, &ev, &err) == 1)
        n++;
    cr_expect_eq(n, 2);
    stormlog_stream_close(st);
    free(path);

    path = tmp_write_str("b.json", "7");
    cr_expect_eq(stormlog_stream_open(path, NULL, &st, &err), STORMLOG_E_FORMAT);
    cr_expect_str_eq(stormlog_error_message(err), "Telemetry payload must be a JSON object or array");
    stormlog_error_free(err);
    free(path);
}
