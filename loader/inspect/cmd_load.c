/* stormlog-inspect load: the whole recording as one JSON document, the
 * shape the conformance corpus expects:
 *   {"sessions": [{"summary": {...}, "events": [...], "warnings": []}, ...],
 *    "default_session_id": "..." | null}
 * or, with --record-file, the one converted event. Errors print
 * {"error": "..."} and exit 1. Output is written event by event, so printing
 * a large recording needs no second copy of it in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"

static const char load_help[] =
    "usage: stormlog-inspect load PATH [--permissive-legacy 0|1] [--events-key K] [--threads N]\n"
    "       stormlog-inspect load --record-file FILE [--permissive-legacy 0|1]\n"
    "\n"
    "Loads a recording as the reference Python loader does and prints it as one\n"
    "JSON document: {\"sessions\": [{\"summary\", \"events\", \"warnings\"}, ...],\n"
    "\"default_session_id\"}. Errors print {\"error\": \"...\"} (the reference's\n"
    "message) and exit 1. This is the conformance interface; the other subcommands\n"
    "are for people.\n"
    "\n"
    "  --permissive-legacy 0|1  1 (default): legacy records with missing fields are\n"
    "                           filled in as the reference does; 0: rejected\n"
    "  --events-key K           in a JSON object document, read the events from\n"
    "                           member K instead of the usual keys\n"
    "  --threads N              parse a sink's segments on N threads, 1..1024\n"
    "                           (default 1); the result is the same\n"
    "  --record-file FILE       convert the one record in FILE (a JSON object) and\n"
    "                           print it as a v3 event\n"
    "Exit status: 0, 1 when the input is rejected, 2 on bad usage.\n";

static int load_usage(void)
{
    cli_printf(stderr,
            "usage: stormlog-inspect load PATH [--permissive-legacy 0|1] [--events-key K] [--threads N]\n"
            "       stormlog-inspect load --record-file FILE [--permissive-legacy 0|1]\n");
    return CLI_EXIT_USAGE;
}

static int print_recording(const stormlog_recording *rec)
{
    fputs("{\"sessions\": [", stdout);
    for (size_t i = 0; i < stormlog_recording_session_count(rec); i++) {
        const stormlog_session *s = stormlog_recording_session(rec, i);
        fputs(i ? ", {\"summary\": " : "{\"summary\": ", stdout);
        json_object *summary = stormlog_session_summary_json(s);
        inspect_print_json(stdout, summary);
        json_object_put(summary);
        fputs(", \"events\": [", stdout);
        for (size_t k = 0; k < stormlog_session_event_count(s); k++) {
            json_object *ev = stormlog_event_json(stormlog_session_event(s, k));
            if (!ev) {
                cli_printf(stderr, "stormlog-inspect: out of memory\n");
                return CLI_EXIT_PROBLEM;
            }
            if (k)
                fputs(", ", stdout);
            inspect_print_json(stdout, ev);
            json_object_put(ev);
        }
        fputs("], \"warnings\": []}", stdout);
    }
    fputs("], \"default_session_id\": ", stdout);
    const stormlog_session *def = stormlog_recording_default_session(rec);
    json_object *id = def ? json_object_new_string(stormlog_session_id(def)) : NULL;
    if (id)
        inspect_print_json(stdout, id);
    else
        fputs("null", stdout);
    json_object_put(id);
    fputs("}\n", stdout);
    for (size_t i = 0; i < stormlog_recording_warning_count(rec); i++)
        cli_printf(stderr, "stormlog-inspect: warning: %s\n", stormlog_recording_warning(rec, i));
    return fflush(stdout) == 0 ? 0 : CLI_EXIT_PROBLEM;
}

int inspect_cmd_load(int argc, char **argv)
{
    const char *path = NULL, *record_file = NULL, *events_key = NULL;
    int permissive = 1;
    unsigned threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(load_help, stdout);
            return 0;
        }
        if (strcmp(a, "--permissive-legacy") == 0 && has_value) {
            const char *v = argv[++i];
            if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
                return load_usage();
            permissive = v[0] == '1';
        } else if (strcmp(a, "--events-key") == 0 && has_value) {
            events_key = argv[++i];
        } else if (strcmp(a, "--record-file") == 0 && has_value) {
            record_file = argv[++i];
        } else if (strcmp(a, "--threads") == 0 && has_value) {
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 10);
            if (*end || n == 0 || n > 1024)
                return load_usage();
            threads = (unsigned)n;
        } else if (a[0] == '-' && a[1] == '-') {
            return load_usage();
        } else if (!path) {
            path = a;
        } else {
            return load_usage();
        }
    }
    if ((path == NULL) == (record_file == NULL))
        return load_usage();

    stormlog_options *opts = stormlog_options_new();
    if (!opts || stormlog_options_set_events_key(opts, events_key) != STORMLOG_OK) {
        cli_printf(stderr, "stormlog-inspect: out of memory\n");
        stormlog_options_free(opts);
        return CLI_EXIT_PROBLEM;
    }
    stormlog_options_set_permissive_legacy(opts, permissive);
    stormlog_options_set_threads(opts, threads);
    stormlog_error *err = NULL;
    int rc;
    if (record_file) {
        stormlog_event *ev;
        if (stormlog_event_from_file(record_file, opts, &ev, &err) != STORMLOG_OK) {
            rc = inspect_report_error(err);
        } else {
            json_object *doc = stormlog_event_json(ev);
            inspect_print_json(stdout, doc);
            fputc('\n', stdout);
            json_object_put(doc);
            stormlog_event_free(ev);
            rc = 0;
        }
    } else {
        stormlog_recording *rec;
        if (stormlog_load(path, opts, &rec, &err) != STORMLOG_OK) {
            rc = inspect_report_error(err);
        } else {
            rc = print_recording(rec);
            stormlog_recording_free(rec);
        }
    }
    stormlog_error_free(err);
    stormlog_options_free(opts);
    return rc;
}
