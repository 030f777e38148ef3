/* stormlog-inspect events PATH: the events one at a time, in reading order,
 * through the loader's streaming API, so memory stays constant whatever the
 * recording's size (a plain JSON file, one document, is the exception the
 * loader documents). Filters: --session, --type, --device. Output: one v3
 * dictionary per line (jsonl, the default and --json) or CSV with the 23
 * fields as columns and metadata as JSON text. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "coverage.h"

static const char events_help[] =
    "usage: stormlog-inspect events PATH [--session ID] [--type T] [--device N]\n"
    "                              [--format jsonl|csv] [--json] [--events-key K]\n"
    "                              [--permissive-legacy 0|1]\n"
    "\n"
    "Streams the events of a recording in reading order (segment by segment,\n"
    "line by line), in constant memory. --session, --type and --device keep\n"
    "only matching events. jsonl (default; --json is the same) prints each\n"
    "event as its 23-key v3 dictionary; csv prints a header and one row per\n"
    "event, metadata as JSON text. A --session or --type that names nothing in\n"
    "the recording is an error (exit 1), not an empty answer.\n"
    "\n"
    "  --session ID             only the events of this session\n"
    "  --type T                 only events of this event_type (allocation, ...)\n"
    "  --device N               only events of device N (-1: pinned host memory)\n"
    "  --format jsonl|csv       output format (default jsonl)\n"
    "  --json                   the same as --format jsonl\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected (events before the bad record\n"
    "are printed), 2 on bad usage.\n";

typedef enum { FORMAT_JSONL, FORMAT_CSV } event_format;

typedef struct event_filter {
    const char *session;
    const char *type;
    bool has_device;
    int64_t device;
} event_filter;

static bool matches(const event_filter *f, const stormlog_event *ev)
{
    if (f->session && strcmp(stormlog_event_session_id(ev), f->session) != 0)
        return false;
    if (f->type && strcmp(stormlog_event_type(ev), f->type) != 0)
        return false;
    if (f->has_device) {
        int64_t d;
        if (!stormlog_event_int(ev, STORMLOG_DEVICE_ID, &d) || d != f->device)
            return false;
    }
    return true;
}

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes
 * doubled; control characters other than \n and \t are escaped (cli_safe_write). */
static void csv_field(const char *s, size_t len)
{
    if (strcspn(s, ",\"\r\n") >= len) {
        cli_safe_write(stdout, s, len);
        return;
    }
    putchar('"');
    for (size_t from = 0, i = 0; i <= len; i++) {
        if (i == len || s[i] == '"') {
            cli_safe_write(stdout, s + from, i - from + (i < len));
            from = i;
        }
    }
    putchar('"');
}

/* The columns: telemetry_event_to_dict's keys, in its order (the order of
 * stormlog_event_json), so that a header is printed even for no events. */
static const char csv_columns[] =
    "schema_version,session_id,timestamp_ns,event_type,collector,sampling_interval_ms,pid,host,"
    "job_id,rank,local_rank,world_size,device_id,allocator_allocated_bytes,allocator_reserved_bytes,"
    "allocator_active_bytes,allocator_inactive_bytes,allocator_change_bytes,device_used_bytes,"
    "device_free_bytes,device_total_bytes,context,metadata\n";

static void csv_row(json_object *ev)
{
    bool comma = false;
    json_object_object_foreach(ev, key, value)
    {
        (void)key;
        if (comma)
            putchar(',');
        comma = true;
        if (!value)
            continue; /* null: an empty field */
        size_t len = 0;
        const char *text;
        if (json_object_is_type(value, json_type_string)) {
            text = json_object_get_string(value);
            len = (size_t)json_object_get_string_len(value);
        } else {
            text = json_object_to_json_string_length(value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
                                                     &len);
        }
        csv_field(text, len);
    }
    putchar('\n');
}

static bool parse_device(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

int inspect_cmd_events(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    event_filter filter = {0};
    event_format format = FORMAT_JSONL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return cli_usage(events_help, true);
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("events", events_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        bool has_value = i + 1 < argc;
        bool takes_value = strcmp(a, "--session") == 0 || strcmp(a, "--type") == 0 || strcmp(a, "--device") == 0 ||
                           strcmp(a, "--format") == 0;
        if (takes_value && !has_value)
            return cli_usage_error("events", events_help, "%s needs a value", a);
        if (strcmp(a, "--session") == 0) {
            filter.session = argv[++i];
        } else if (strcmp(a, "--type") == 0) {
            filter.type = argv[++i];
        } else if (strcmp(a, "--device") == 0) {
            if (!parse_device(argv[++i], &filter.device))
                return cli_usage_error("events", events_help, "--device takes a device number, not '%s'", argv[i]);
            filter.has_device = true;
        } else if (strcmp(a, "--format") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "jsonl") == 0)
                format = FORMAT_JSONL;
            else if (strcmp(v, "csv") == 0)
                format = FORMAT_CSV;
            else
                return cli_usage_error("events", events_help, "unknown format '%s' (known: jsonl, csv)", v);
        } else if ((a[0] == '-' && a[1] != '\0') || in.path) {
            return cli_unexpected_arg("events", events_help, a, in.path);
        } else {
            in.path = a;
        }
    }
    if (!in.path)
        return cli_usage_error("events", events_help, "no PATH given");
    if (in.json && format == FORMAT_CSV)
        return cli_usage_error("events", events_help, "--json and --format csv contradict each other");
    /* Errors go to stderr only: stdout is the event stream. */
    in.json = false;

    stormlog_options *opts = cli_input_options(&in);
    if (!opts)
        return cli_report_message(&in, "events", "out of memory");
    stormlog_stream *stream = NULL;
    stormlog_error *err = NULL;
    if (stormlog_stream_open(in.path, opts, &stream, &err) != STORMLOG_OK) {
        stormlog_options_free(opts);
        cli_report_error(&in, "events", err);
        stormlog_error_free(err);
        return CLI_EXIT_PROBLEM;
    }
    stormlog_options_free(opts);
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    /* A progress line would land among the events on a terminal. */
    cli_progress *progress = isatty(STDOUT_FILENO) ? NULL : cli_progress_start("reading", in.path);
    const stormlog_event *ev;
    if (format == FORMAT_CSV)
        fputs(csv_columns, stdout);
    int rc = 0, got;
    uint64_t matched = 0;
    bool session_seen = false, type_seen = false;
    while ((got = stormlog_stream_next(stream, &ev, &err)) == 1) {
        session_seen = session_seen || (filter.session && strcmp(stormlog_event_session_id(ev), filter.session) == 0);
        type_seen = type_seen || (filter.type && strcmp(stormlog_event_type(ev), filter.type) == 0);
        if (!matches(&filter, ev))
            continue;
        json_object *doc = stormlog_event_json(ev);
        if (!doc) {
            rc = CLI_EXIT_PROBLEM;
            break;
        }
        if (format == FORMAT_CSV) {
            csv_row(doc);
        } else {
            size_t len;
            const char *text =
                json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
            cli_write_json(stdout, text, len);
            putchar('\n');
        }
        json_object_put(doc);
        matched++;
        if (ferror(stdout))
            break;
    }
    cli_progress_stop(progress);
    for (size_t i = 0; i < stormlog_stream_warning_count(stream); i++)
        cli_warn("events", stormlog_stream_warning(stream, i));
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_printf(stderr, "stormlog-inspect events: writing the events failed: %s\n", strerror(errno));
        rc = CLI_EXIT_PROBLEM;
    }
    if (got < 0) {
        rc = cli_report_error(&in, "events", err);
        stormlog_error_free(err);
    } else if (rc == 0 && filter.session && !session_seen) {
        /* A filter that names nothing in the recording is a typo, not an
         * empty answer. */
        char msg[512];
        snprintf(msg, sizeof msg, "no session '%.400s' in the recording (stormlog-inspect sessions lists them)",
                 filter.session);
        rc = cli_report_message(&in, "events", msg);
    } else if (rc == 0 && filter.type && !type_seen) {
        /* Retention may be why there are none: say so first. */
        coverage_path_note(stderr, "events", in.path);
        char msg[512];
        snprintf(msg, sizeof msg, "no events of type '%.400s' in the recording", filter.type);
        rc = cli_report_message(&in, "events", msg);
    } else if (rc == 0) {
        coverage_path_note(stderr, "events", in.path);
    }
    stormlog_stream_close(stream);
    return rc;
}
