/* stormlog-inspect convert IN --to DIR: any recording the loader reads
 * (legacy, v2 or v3 JSON / JSONL, sinks, jobs) into one v3 sink directory
 * (sink-format.md) that the Python tools open.
 *
 * Reading is the loader's (so every conversion rule is the reference's); writing
 * is the shim's own sink code (pipeline/: segments, rollover, the
 * manifest in the reference's layout), so there is one sink writer in the
 * project. Each record is written the way the reference writes it,
 * json.dumps(record, sort_keys=True), by the schema core's canonical
 * encoder. Each session keeps its identity and its status: its summary goes
 * into the manifest as the loader gave it, and its events into segments of
 * its own, in time order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sink.h"
#include "stormlog/schema/jsonc.h"

/* The reference's writer defaults (sink-format.md). Retention is off: a
 * conversion must not delete what it just wrote. */
#define CONVERT_ROLLOVER_BYTES (UINT64_C(64) << 20)
#define CONVERT_ROLLOVER_EVENTS 10000u
#define CONVERT_BATCH_BYTES (1u << 20)

static const char convert_help[] =
    "usage: stormlog-inspect convert IN --to DIR [--json] [--events-key K]\n"
    "                               [--permissive-legacy 0|1]\n"
    "\n"
    "Converts a recording (legacy, v2 or v3 JSON or JSONL, a sink or a job\n"
    "directory) into a v3 sink directory DIR: manifest.json and\n"
    "segment-NNNNNN.jsonl files, one record per line, as the Python stormlog\n"
    "tools write them. DIR is created; it must not exist or be empty.\n"
    "\n"
    "  --to DIR                 the sink directory to write\n"
    "  --json                   what was written, as JSON (sessions, events)\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0, 1 when the input is rejected or DIR cannot be written,\n"
    "2 on bad usage.\n";

typedef struct converter {
    sl_sink sink;
    sl_buf batch;
    uint64_t batch_events;
    uint64_t events, segments_before;
    char why[SL_SINK_PATH_MAX + 512];
} converter;

static const char *summary_string(json_object *sum, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(sum, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int64_t summary_int(json_object *sum, const char *key, int64_t fallback)
{
    json_object *v;
    if (!json_object_object_get_ex(sum, key, &v) || !json_object_is_type(v, json_type_int))
        return fallback;
    return json_object_get_int64(v);
}

static bool flush_batch(converter *c)
{
    if (c->batch.len == 0)
        return true;
    size_t written_bytes;
    uint64_t written_events;
    int e = sl_sink_append(&c->sink, c->batch.data, c->batch.len, c->batch_events, &written_bytes, &written_events);
    if (e != 0) {
        snprintf(c->why, sizeof c->why, "writing a segment failed: %s", strerror(e));
        return false;
    }
    c->events += c->batch_events;
    c->batch.len = 0;
    c->batch_events = 0;
    return true;
}

/* Adds one line, flushing first when it would carry the open segment past a
 * rollover limit (the sink checks its limits after each append, so batches
 * are cut where a segment should end). */
static bool add_line(converter *c, const char *line, size_t len)
{
    uint64_t open_events, open_bytes;
    sl_sink_open_counts(&c->sink, &open_events, &open_bytes);
    bool segment_full = open_events + c->batch_events >= CONVERT_ROLLOVER_EVENTS ||
                        (c->batch.len > 0 && open_bytes + c->batch.len + len + 1 > CONVERT_ROLLOVER_BYTES);
    if ((segment_full || c->batch.len + len + 1 > CONVERT_BATCH_BYTES) && !flush_batch(c))
        return false;
    if (!sl_buf_append(&c->batch, line, len) || !sl_buf_append(&c->batch, "\n", 1)) {
        snprintf(c->why, sizeof c->why, "out of memory");
        return false;
    }
    c->batch_events++;
    return true;
}

static bool convert_session(converter *c, const stormlog_session *s)
{
    json_object *sum = stormlog_session_summary_json(s);
    if (!sum) {
        snprintf(c->why, sizeof c->why, "out of memory");
        return false;
    }
    int64_t ended = 0;
    bool has_end = stormlog_session_ended_at_ns(s, &ended);
    const char *job = summary_string(sum, "job_id");
    const char *host = summary_string(sum, "host");
    const char *source = summary_string(sum, "source");
    sl_manifest_session ms = {
        .session_id = (char *)stormlog_session_id(s),
        .status = (char *)stormlog_session_status(s),
        .started_at_ns = stormlog_session_started_at_ns(s),
        .has_ended = has_end,
        .ended_at_ns = ended,
        .host = (char *)(host ? host : "unknown"),
        .pid = summary_int(sum, "pid", -1),
        .job_id = (char *)job,
        .rank = summary_int(sum, "rank", 0),
        .local_rank = summary_int(sum, "local_rank", 0),
        .world_size = summary_int(sum, "world_size", 1),
        .source = (char *)(source ? source : "stormlog.inspect_convert"),
    };
    bool ok = sl_sink_begin_session(&c->sink, &ms);
    json_object_put(sum);
    if (!ok) {
        snprintf(c->why, sizeof c->why, "cannot write %s/manifest.json: %s", c->sink.path, strerror(errno));
        return false;
    }
    for (size_t i = 0; ok && i < stormlog_session_event_count(s); i++) {
        json_object *rec = stormlog_event_json(stormlog_session_event(s, i));
        size_t len = 0;
        char *line = rec ? sl_canonical_jsonc(rec, &len) : NULL;
        json_object_put(rec);
        if (!line) {
            snprintf(c->why, sizeof c->why, "cannot encode event %zu of session %s", i, stormlog_session_id(s));
            return false;
        }
        ok = add_line(c, line, len);
        free(line);
    }
    /* A segment belongs to one session: the next session starts a new one. */
    ok = ok && flush_batch(c);
    sl_sink_roll_over(&c->sink);
    return ok;
}

/* DIR is created, or must be an empty directory: converting into a sink
 * that already holds sessions would mix two recordings. */
static int open_target(const char *dir, char *why, size_t why_cap)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(why, why_cap, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_cap, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    int probe = dup(fd);
    DIR *d = probe >= 0 ? fdopendir(probe) : NULL;
    if (!d) {
        if (probe >= 0)
            close(probe);
        snprintf(why, why_cap, "cannot read %s: %s", dir, strerror(errno));
        close(fd);
        return -1;
    }
    bool empty = true;
    struct dirent *de;
    while (empty && (de = readdir(d)) != NULL)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    if (!empty) {
        snprintf(why, why_cap, "%s exists and is not empty; convert writes a new sink directory", dir);
        close(fd);
        return -1;
    }
    return fd;
}

int inspect_cmd_convert(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    const char *to = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return cli_usage(convert_help, true);
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("convert", convert_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if ((argv[i][0] == '-' && argv[i][1] != '\0') || in.path)
            return cli_unexpected_arg("convert", convert_help, argv[i], in.path);
        else
            in.path = argv[i];
    }
    if (!in.path)
        return cli_usage_error("convert", convert_help, "no IN given");
    if (!to || !*to)
        return cli_usage_error("convert", convert_help, "no target directory: --to DIR");

    stormlog_recording *rec = cli_load(&in, "convert");
    if (!rec)
        return CLI_EXIT_PROBLEM;
    converter c;
    memset(&c, 0, sizeof c);
    int fd = open_target(to, c.why, sizeof c.why);
    sl_sink_limits limits = {CONVERT_ROLLOVER_BYTES, CONVERT_ROLLOVER_EVENTS, UINT32_MAX, UINT64_MAX};
    if (fd < 0 || !sl_sink_open(&c.sink, fd, to, &limits, true, c.why, sizeof c.why)) {
        stormlog_recording_free(rec);
        return cli_report_message(&in, "convert", c.why);
    }
    cli_progress *progress = cli_progress_start("converting", in.path);
    bool ok = true;
    size_t sessions = stormlog_recording_session_count(rec);
    for (size_t i = 0; ok && i < sessions; i++)
        ok = convert_session(&c, stormlog_recording_session(rec, i));
    cli_progress_stop(progress);
    /* Every session went into the manifest with its own status and end
     * (begin_session); closing must not stamp the last one "completed". */
    free(c.sink.session_id);
    c.sink.session_id = NULL;
    size_t segments = c.sink.manifest.segment_count;
    sl_sink_close(&c.sink, "completed", 0);
    sl_buf_free(&c.batch);
    stormlog_recording_free(rec);
    if (!ok)
        return cli_report_message(&in, "convert", c.why);
    if (in.json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "input", json_object_new_string(in.path));
        json_object_object_add(doc, "output", json_object_new_string(to));
        json_object_object_add(doc, "sessions", json_object_new_int64((int64_t)sessions));
        json_object_object_add(doc, "events", json_object_new_int64((int64_t)c.events));
        json_object_object_add(doc, "segments", json_object_new_int64((int64_t)segments));
        bool printed = cli_print_json(doc);
        json_object_put(doc);
        return printed ? 0 : CLI_EXIT_PROBLEM;
    }
    cli_printf(stdout, "%s -> %s: %zu session%s, %" PRIu64 " events, %zu segment%s\n", in.path, to, sessions,
           sessions == 1 ? "" : "s", c.events, segments, segments == 1 ? "" : "s");
    return 0;
}
