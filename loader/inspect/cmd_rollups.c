/* stormlog-inspect rollups DIR [--window-duration-ns N]
 *                             [--pruned-segment-count N --pruned-bytes N]
 * prints the rollups.json document of a sink directory (rollups.md): built
 * from the directory, or, with the pruned counts, in the sink-at-close form.
 * The loader supplies sessions, events (in session order) and sources; the
 * shim's rollups code (pipeline/rollups_*.c) aggregates and renders, so
 * the CLI and the writer cannot disagree. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "rollups.h"
#include "rollups_text.h"
#include "stormlog/schema/encode.h"

static int usage(FILE *out)
{
    fprintf(out, "usage: stormlog-inspect rollups DIR [--window-duration-ns N] "
                 "[--pruned-segment-count N --pruned-bytes N] [--merge-parts K]\n"
                 "Prints the rollups.json document of a sink directory (rollups.md).\n"
                 "--merge-parts K: aggregate each session's events in K consecutive parts and merge\n"
                 "them, as the shim's writer merges its per-segment parts (a self-check: the\n"
                 "document must not change).\n");
    return out == stdout ? 0 : CLI_EXIT_USAGE;
}

static bool parse_count(const char *s, int64_t min, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min)
        return false;
    *out = v;
    return true;
}

/* Does any segment file exist (listed or discovered)? The reference builds
 * nothing without one. */
static bool has_segment_file(const char *dir, const stormlog_manifest_view *m)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n > 14 && strncmp(e->d_name, "segment-", 8) == 0 && strcmp(e->d_name + n - 6, ".jsonl") == 0) {
                closedir(d);
                return true;
            }
        }
        closedir(d);
    }
    for (size_t i = 0; i < stormlog_manifest_view_segment_count(m); i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, stormlog_manifest_view_segment(m, i, NULL, NULL));
        if (stat(path, &st) == 0)
            return true;
    }
    return false;
}

static const char *json_str(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                                          : NULL;
}

static int64_t json_int(json_object *o, const char *k, bool *present)
{
    json_object *v;
    bool p = json_object_object_get_ex(o, k, &v) && v && json_object_is_type(v, json_type_int);
    if (present)
        *present = p;
    return p ? json_object_get_int64(v) : 0;
}

/* The 11-key summary; a non-string job_id is copied as JSON text into jbuf. */
static void summary_of(const stormlog_session *s, json_object *sum, sl_rollup_summary *out, char *jbuf, size_t jcap)
{
    memset(out, 0, sizeof *out);
    out->session_id = stormlog_session_id(s);
    out->status = json_str(sum, "status");
    out->host = json_str(sum, "host");
    out->source = json_str(sum, "source");
    out->started_at_ns = json_int(sum, "started_at_ns", NULL);
    out->ended_at_ns = json_int(sum, "ended_at_ns", &out->has_ended);
    out->pid = json_int(sum, "pid", NULL);
    out->rank = json_int(sum, "rank", NULL);
    out->local_rank = json_int(sum, "local_rank", NULL);
    out->world_size = json_int(sum, "world_size", NULL);
    json_object *job;
    if (!json_object_object_get_ex(sum, "job_id", &job) || !job)
        return;
    if (json_object_is_type(job, json_type_string)) {
        out->job_id = json_object_get_string(job);
    } else if (json_object_is_type(job, json_type_double)) {
        char d[32];
        size_t n = sl_format_double(json_object_get_double(job), d);
        snprintf(jbuf, jcap, "%.*s", (int)n, d);
        out->job_id = jbuf;
        out->job_id_is_json = true;
    } else {
        snprintf(jbuf, jcap, "%s", json_object_to_json_string_ext(job, JSON_C_TO_STRING_PLAIN));
        out->job_id = jbuf;
        out->job_id_is_json = true;
    }
}

/* The session's events into part, in `pieces` consecutive partials merged
 * in order (1: one partial). */
static bool aggregate(const stormlog_session *s, sl_rollup_part *part, size_t pieces, rollup_text_scratch *scratch)
{
    size_t n = stormlog_session_event_count(s);
    bool ok = true;
    for (size_t p = 0; ok && p < pieces; p++) {
        sl_rollup_part piece;
        sl_rollup_part *into = pieces == 1 ? part : &piece;
        if (pieces > 1)
            sl_rollup_part_init(&piece, part->session_start_ns, part->window_ns);
        for (size_t k = n * p / pieces; ok && k < n * (p + 1) / pieces; k++) {
            sl_rollup_event view;
            ok = rollup_event_view(stormlog_session_event(s, k), scratch, &view) && sl_rollup_part_observe(into, &view);
        }
        if (pieces > 1) {
            ok = ok && sl_rollup_part_merge(part, &piece);
            sl_rollup_part_free(&piece);
        }
    }
    return ok;
}

int inspect_cmd_rollups(int argc, char **argv)
{
    const char *path = NULL;
    int64_t window = SL_ROLLUP_DEFAULT_WINDOW_NS, pruned_count = -1, pruned_bytes = -1, merge_parts = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return usage(stdout);
        int64_t *slot = strcmp(a, "--window-duration-ns") == 0     ? &window
                        : strcmp(a, "--pruned-segment-count") == 0 ? &pruned_count
                        : strcmp(a, "--pruned-bytes") == 0         ? &pruned_bytes
                        : strcmp(a, "--merge-parts") == 0          ? &merge_parts
                                                                   : NULL;
        if (slot) {
            int min = slot == &window || slot == &merge_parts ? 1 : 0;
            if (i + 1 >= argc || !parse_count(argv[i + 1], min, slot)) {
                fprintf(stderr, "stormlog-inspect rollups: %s needs an integer >= %d\n", a, min);
                return CLI_EXIT_USAGE;
            }
            i++;
        } else if (a[0] == '-' || path) {
            fprintf(stderr, "stormlog-inspect rollups: unexpected argument '%s'\n", a);
            return usage(stderr);
        } else {
            path = a;
        }
    }
    if (!path)
        return usage(stderr);
    if ((pruned_count < 0) != (pruned_bytes < 0)) {
        fprintf(stderr, "stormlog-inspect rollups: --pruned-segment-count and --pruned-bytes go together\n");
        return CLI_EXIT_USAGE;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "stormlog-inspect rollups: %s: not a sink directory\n", path);
        return CLI_EXIT_PROBLEM;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);

    char mpath[PATH_MAX];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", path);
    stormlog_manifest_view *m = stormlog_manifest_view_read(mpath);
    if (!has_segment_file(path, m)) {
        fprintf(stderr, "stormlog-inspect rollups: %s: no segment file, so no rollups (as the reference does)\n", path);
        stormlog_manifest_view_free(m);
        return CLI_EXIT_PROBLEM;
    }
    stormlog_recording *rec = NULL;
    stormlog_error *err = NULL;
    if (stormlog_load(path, NULL, &rec, &err) != STORMLOG_OK) {
        fprintf(stderr, "stormlog-inspect rollups: %s\n", stormlog_error_message(err));
        stormlog_error_free(err);
        stormlog_manifest_view_free(m);
        return CLI_EXIT_PROBLEM;
    }

    size_t ns = stormlog_recording_session_count(rec);
    sl_rollup_session *sessions = calloc(ns ? ns : 1, sizeof *sessions);
    sl_rollup_part *parts = calloc(ns ? ns : 1, sizeof *parts);
    json_object **sums = calloc(ns ? ns : 1, sizeof *sums);
    char (*jobs)[64] = calloc(ns ? ns : 1, sizeof *jobs);
    size_t nseg = stormlog_manifest_view_segment_count(m);
    const char **names = calloc(nseg ? nseg : 1, sizeof *names);
    char resolved[PATH_MAX];
    const char *self_source = realpath(path, resolved) ? resolved : path;
    bool ok = sessions && parts && sums && jobs && names;
    rollup_text_scratch scratch = {0};
    for (size_t i = 0; ok && i < ns; i++) {
        const stormlog_session *s = stormlog_recording_session(rec, i);
        sums[i] = stormlog_session_summary_json(s);
        summary_of(s, sums[i], &sessions[i].summary, jobs[i], sizeof jobs[i]);
        sl_rollup_part_init(&parts[i], sessions[i].summary.started_at_ns, window);
        ok = ok && aggregate(s, &parts[i], (size_t)merge_parts, &scratch);
        sessions[i].part = &parts[i];
        size_t nsrc = stormlog_session_source_count(s);
        const char **srcs = calloc(nsrc ? nsrc : 1, sizeof *srcs);
        ok = ok && srcs;
        for (size_t k = 0; srcs && k < nsrc; k++)
            srcs[k] = stormlog_session_source(s, k);
        if (srcs && nsrc == 0) {
            srcs[0] = self_source;
            nsrc = 1;
        }
        sessions[i].sources = srcs;
        sessions[i].source_count = nsrc;
    }
    rollup_text_scratch_free(&scratch);

    sl_rollup_doc doc = {
        .generated_at_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec,
        .has_manifest = m != NULL,
        .manifest_schema_version = stormlog_manifest_view_schema_version(m),
        .window_ns = window,
        .sessions = sessions,
        .session_count = ns,
    };
    for (size_t i = 0; ok && i < nseg; i++) {
        int64_t ev = 0, bytes = 0;
        names[i] = stormlog_manifest_view_segment(m, i, &ev, &bytes);
        doc.coverage.events += (uint64_t)ev;
        doc.coverage.bytes += (uint64_t)bytes;
    }
    doc.coverage.filenames = names;
    doc.coverage.count = nseg;
    doc.coverage.has_pruned = pruned_count >= 0;
    doc.coverage.pruned_segments = pruned_count >= 0 ? (uint64_t)pruned_count : 0;
    doc.coverage.pruned_bytes = pruned_bytes >= 0 ? (uint64_t)pruned_bytes : 0;

    sl_buf out = {0};
    ok = ok && sl_rollup_render(&doc, &out);
    if (ok)
        fwrite(out.data, 1, out.len, stdout);
    else
        fprintf(stderr, "stormlog-inspect rollups: out of memory\n");
    sl_buf_free(&out);
    for (size_t i = 0; i < ns; i++) {
        sl_rollup_part_free(&parts[i]);
        free((void *)sessions[i].sources);
        json_object_put(sums[i]);
    }
    free(sessions);
    free(parts);
    free(sums);
    free(jobs);
    free(names);
    stormlog_manifest_view_free(m);
    stormlog_recording_free(rec);
    return ok ? 0 : CLI_EXIT_PROBLEM;
}
