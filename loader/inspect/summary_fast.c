/* summary_fast.h explains what this is for. The rules, in order:
 *
 * 1. The input is a sink directory, or a directory whose sink directories
 *    (a job, a folder of jobs) are all that it holds in JSON/JSONL files.
 * 2. In every sink, rollups.json is fresh by the reference's own rule
 *    (rollups.md section 9: same manifest schema version, same segment
 *    names in the same order, same event and byte sums), and the files on
 *    disk are the manifest's: every segment-*.jsonl listed, none unlisted,
 *    each of the listed size (so no line was appended after the manifest,
 *    none torn, none deleted).
 * 3. lifetime.json names every session of rollups.json, and its record
 *    counts every retained line: events_written - events_pruned equals the
 *    session's retained event_count, and no retained event is stamped after
 *    its last one. The figures are then those of the very events --full
 *    reads.
 * 4. No session is `running` (live, or killed: only the events say what
 *    came after the last rewrite).
 * 5. A completed session's stop event (the shim's own books) is found near
 *    the end of the sink's last segments; only those tails are read.
 *
 * Anything else: the caller parses the segments, and says why in one line. */
#include "summary_fast.h"

#include "coverage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAST_JOB_DEPTH 4                /* the loader's default job depth */
#define FAST_STOP_TAIL (1024 * 1024)    /* bytes read from a segment's end for the stop event */
#define FAST_STOP_SEGMENTS 3            /* segments searched from the last, for it */

typedef struct fast_sink {
    char *dir;
    json_object *rollups;  /* owned */
    json_object *lifetime; /* owned */
    stormlog_manifest_view *manifest;
} fast_sink;

typedef struct fast_ctx {
    fast_sink *sinks;
    size_t count, cap;
    char *why;
    size_t why_cap;
    bool nomem;
    bool loader_says; /* not ours to explain: the loader's error is the answer */
} fast_ctx;

static bool refuse(fast_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool refuse(fast_ctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->why, x->why_cap, fmt, ap);
    va_end(ap);
    return false;
}

static bool is_file(const char *path, struct stat *st)
{
    return lstat(path, st) == 0 && S_ISREG(st->st_mode);
}

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcmp(name + n - k, suffix) == 0;
}

static bool add_sink(fast_ctx *x, const char *dir)
{
    if (x->count == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        fast_sink *grown = realloc(x->sinks, cap * sizeof *grown);
        if (!grown)
            return x->nomem = true, false;
        x->sinks = grown;
        x->cap = cap;
    }
    fast_sink *s = &x->sinks[x->count];
    memset(s, 0, sizeof *s);
    s->dir = strdup(dir);
    if (!s->dir)
        return x->nomem = true, false;
    x->count++;
    return true;
}

/* Sink directories under dir (which has no manifest.json). false (with
 * x->why) when the folder holds recordings outside sinks, which only the
 * loader knows how to read. */
static bool find_sinks(fast_ctx *x, const char *dir, unsigned depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        x->loader_says = true; /* it names the directory and the reason */
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[PATH_MAX], manifest[PATH_MAX + 16];
        size_t dl = strlen(dir);
        const char *sep = dl > 0 && dir[dl - 1] == '/' ? "" : "/";
        if (snprintf(path, sizeof path, "%s%s%s", dir, sep, e->d_name) >= (int)sizeof path) {
            ok = refuse(x, "a path longer than PATH_MAX");
            break;
        }
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode)) {
            if (has_suffix(e->d_name, ".json") || has_suffix(e->d_name, ".jsonl"))
                ok = refuse(x, "%s is a recording outside a sink directory", path);
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            continue;
        snprintf(manifest, sizeof manifest, "%s/manifest.json", path);
        if (is_file(manifest, &st))
            ok = add_sink(x, path);
        else if (depth > 1)
            ok = find_sinks(x, path, depth - 1);
    }
    closedir(d);
    return ok;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool str_is(json_object *o, const char *key, const char *want)
{
    const char *v = cli_meta_string(o, key);
    return v && strcmp(v, want) == 0;
}

/* Rules 2: rollups.json against the manifest and the manifest against the
 * files on disk. */
static bool sink_fresh(fast_ctx *x, fast_sink *s)
{
    char path[PATH_MAX + 32];
    if (!s->manifest)
        return refuse(x, "%s: the manifest cannot be read", s->dir);
    snprintf(path, sizeof path, "%s/rollups.json", s->dir);
    struct stat st;
    if (!is_file(path, &st))
        return refuse(x, "%s: no rollups.json", s->dir);
    s->rollups = json_object_from_file(path);
    int64_t v;
    if (!s->rollups || !str_is(s->rollups, "format", "stormlog.telemetry_rollups") ||
        !cli_meta_int(s->rollups, "schema_version", &v) || v != 1)
        return refuse(x, "%s: rollups.json is not a rollups document", s->dir);
    if (!cli_meta_int(s->rollups, "source_manifest_schema_version", &v) ||
        v != stormlog_manifest_view_schema_version(s->manifest))
        return refuse(x, "%s: rollups.json is stale (manifest schema version)", s->dir);
    json_object *cov = member(s->rollups, "coverage");
    json_object *names = member(cov, "retained_segment_filenames");
    size_t n = stormlog_manifest_view_segment_count(s->manifest);
    if (!names || !json_object_is_type(names, json_type_array) || json_object_array_length(names) != n)
        return refuse(x, "%s: rollups.json is stale (segments)", s->dir);
    int64_t events = 0, bytes = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t ev = 0, sz = 0;
        const char *name = stormlog_manifest_view_segment(s->manifest, i, &ev, &sz);
        json_object *got = json_object_array_get_idx(names, i);
        if (!name || !json_object_is_type(got, json_type_string) || strcmp(json_object_get_string(got), name) != 0)
            return refuse(x, "%s: rollups.json is stale (segments)", s->dir);
        events += ev;
        bytes += sz;
        snprintf(path, sizeof path, "%s/%s", s->dir, name);
        if (!is_file(path, &st) || st.st_size != sz)
            return refuse(x, "%s: %s is not as the manifest lists it", s->dir, name);
    }
    if (!cli_meta_int(cov, "retained_event_count", &v) || v != events || !cli_meta_int(cov, "retained_bytes", &v) ||
        v != bytes)
        return refuse(x, "%s: rollups.json is stale (event or byte count)", s->dir);
    /* A segment the manifest does not list is still read by the loader. */
    DIR *d = opendir(s->dir);
    if (!d)
        return refuse(x, "%s: %s", s->dir, strerror(errno));
    size_t on_disk = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "segment-", 8) == 0 && has_suffix(e->d_name, ".jsonl"))
            on_disk++;
    closedir(d);
    if (on_disk != n)
        return refuse(x, "%s: segments on disk that the manifest does not list", s->dir);
    snprintf(path, sizeof path, "%s/lifetime.json", s->dir);
    if (!is_file(path, &st))
        return refuse(x, "%s: no lifetime.json", s->dir);
    s->lifetime = json_object_from_file(path);
    if (!s->lifetime || !str_is(s->lifetime, "format", "stormlog.lifetime") ||
        !cli_meta_int(s->lifetime, "schema_version", &v) || v != 1)
        return refuse(x, "%s: lifetime.json is not a lifetime record", s->dir);
    return true;
}

static json_object *lifetime_session(json_object *lifetime, const char *id)
{
    json_object *list = member(lifetime, "sessions");
    if (!list || !json_object_is_type(list, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *e = json_object_array_get_idx(list, i);
        if (str_is(e, "session_id", id))
            return e;
    }
    return NULL;
}

/* The metadata of the session's stop event, from the tail of one segment
 * (NULL when not there). A new reference. */
static json_object *stop_in_tail(const char *path, const char *id)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    json_object *found = NULL;
    if (fstat(fd, &st) != 0 || st.st_size <= 0)
        goto out;
    off_t from = st.st_size > FAST_STOP_TAIL ? st.st_size - FAST_STOP_TAIL : 0;
    size_t len = (size_t)(st.st_size - from);
    buf = malloc(len + 1);
    if (!buf || pread(fd, buf, len, from) != (ssize_t)len)
        goto out;
    buf[len] = '\0';
    /* Lines from the last; the first one may be cut by the window. */
    size_t end = len;
    while (end > 0 && !found) {
        size_t start = end;
        while (start > 0 && buf[start - 1] != '\n')
            start--;
        if (start == 0 && from > 0)
            break;
        buf[end] = '\0';
        const char *line = buf + start;
        if (strstr(line, "\"stop\"") && strstr(line, id)) {
            json_object *rec = json_tokener_parse(line);
            if (str_is(rec, "event_type", "stop") && str_is(rec, "session_id", id)) {
                json_object *meta = member(rec, "metadata");
                found = json_object_get(meta ? meta : json_object_new_object());
            }
            json_object_put(rec);
        }
        end = start > 0 ? start - 1 : 0;
    }
out:
    free(buf);
    close(fd);
    return found;
}

static json_object *find_stop(const fast_sink *s, const char *id)
{
    size_t n = stormlog_manifest_view_segment_count(s->manifest);
    for (size_t k = 0; k < n && k < FAST_STOP_SEGMENTS; k++) {
        char path[PATH_MAX + 32];
        int64_t ev, sz;
        snprintf(path, sizeof path, "%s/%s", s->dir, stormlog_manifest_view_segment(s->manifest, n - 1 - k, &ev, &sz));
        json_object *meta = stop_in_tail(path, id);
        if (meta)
            return meta;
    }
    return NULL;
}

static bool source_is_shim(json_object *info)
{
    json_object *v = member(info, "source");
    return v && json_object_is_type(v, json_type_string) && has_suffix(json_object_get_string(v), "_shim");
}

static int64_t info_int(json_object *info, const char *key)
{
    int64_t v = 0;
    cli_meta_int(info, key, &v);
    return v;
}

/* Each device's events as the writer counted them (all it saw: with
 * nothing pruned, the retained ones). */
static void device_events(summary_session *s, json_object *life)
{
    json_object *list = member(life, "devices");
    for (size_t i = 0; list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list); i++) {
        json_object *d = json_object_array_get_idx(list, i);
        int64_t id, events;
        if (!cli_meta_int(d, "device_id", &id) || !cli_meta_int(d, "events", &events))
            continue;
        for (size_t k = 0; k < s->device_count; k++)
            if (s->devices[k].device_id == id)
                s->devices[k].events = (uint64_t)events;
    }
}

/* Rules 3-5 for one rollups session, then its summary. */
static bool add_session(fast_ctx *x, const fast_sink *sink, json_object *rs, summary_session *s)
{
    json_object *info = member(rs, "session");
    json_object *idv = member(info, "session_id");
    if (!idv || !json_object_is_type(idv, json_type_string))
        return refuse(x, "%s: a rollups.json session without an id", sink->dir);
    const char *id = json_object_get_string(idv);
    s->info = json_object_get(info);
    s->id = id;
    json_object *st = member(info, "status");
    s->status = st && json_object_is_type(st, json_type_string) ? json_object_get_string(st) : "incomplete";
    if (strcmp(s->status, "running") == 0)
        return refuse(x, "session %s is running, or its process was killed", id);
    int64_t events = 0, first = 0, last = 0;
    cli_meta_int(rs, "event_count", &events);
    bool has_range = cli_meta_int(rs, "first_timestamp_ns", &first) && cli_meta_int(rs, "last_timestamp_ns", &last);
    s->event_count = (size_t)events;
    s->started_at_ns = info_int(info, "started_at_ns");
    s->shim = source_is_shim(info);
    s->from_sidecars = true;
    json_object *life = lifetime_session(sink->lifetime, id);
    int64_t written, pruned, life_last;
    if (!life || !cli_meta_int(life, "events_written", &written) || !cli_meta_int(life, "events_pruned", &pruned))
        return refuse(x, "%s: lifetime.json has no record of session %s", sink->dir, id);
    if (written - pruned != events || (has_range && (!cli_meta_int(life, "last_timestamp_ns", &life_last) || last > life_last)))
        return refuse(x, "%s: lifetime.json does not count every retained event of session %s", sink->dir, id);
    if (strcmp(s->status, "completed") == 0 && events > 0) {
        json_object *meta = find_stop(sink, id);
        if (!meta)
            return refuse(x, "%s: the stop event of session %s is not at the end of its segments", sink->dir, id);
        bool ok = summary_apply_stop(s, meta);
        int64_t dropped;
        if (ok && cli_meta_int(meta, "dropped_events_total", &dropped)) {
            s->has_dropped_total = true;
            s->dropped_total = dropped;
        }
        json_object_put(meta);
        if (!ok)
            return x->nomem = true, false;
    }
    s->lifetime = json_object_get(life);
    if (!coverage_from_sidecars(s, life, has_range, first, last))
        return x->nomem = true, false;
    device_events(s, life);
    for (size_t i = 0; i < s->device_count; i++)
        if (s->devices[i].peak_bytes < 0)
            s->devices[i].peak_bytes = 0;
    return true;
}

/* The loader's order (sessions.c): status, then the most recent end (or
 * start), then the latest start, then the id. */
static int status_rank(const char *status)
{
    static const char *const names[] = {"completed", "interrupted", "incomplete", "running"};
    for (int i = 0; i < 4; i++)
        if (strcmp(status, names[i]) == 0)
            return i;
    return 2;
}

static int64_t recency(const summary_session *s)
{
    int64_t ended = 0;
    if (cli_meta_int(s->info, "ended_at_ns", &ended) && ended != 0)
        return ended;
    return s->started_at_ns;
}

static int loader_order(const void *pa, const void *pb)
{
    const summary_session *a = pa, *b = pb;
    int ra = status_rank(a->status), rb = status_rank(b->status);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    int64_t ta = recency(a), tb = recency(b);
    if (ta != tb)
        return ta > tb ? -1 : 1;
    if (a->started_at_ns != b->started_at_ns)
        return a->started_at_ns > b->started_at_ns ? -1 : 1;
    return strcmp(a->id, b->id);
}

static void free_sinks(fast_ctx *x)
{
    for (size_t i = 0; i < x->count; i++) {
        free(x->sinks[i].dir);
        json_object_put(x->sinks[i].rollups);
        json_object_put(x->sinks[i].lifetime);
        if (x->sinks[i].manifest)
            stormlog_manifest_view_free(x->sinks[i].manifest);
    }
    free(x->sinks);
}

static bool build_report(fast_ctx *x, summary_report *out)
{
    size_t total = 0;
    for (size_t i = 0; i < x->count; i++) {
        json_object *list = member(x->sinks[i].rollups, "sessions");
        if (!list || !json_object_is_type(list, json_type_array))
            return refuse(x, "%s: rollups.json has no sessions", x->sinks[i].dir);
        total += json_object_array_length(list);
    }
    out->sessions = calloc(total ? total : 1, sizeof *out->sessions);
    if (!out->sessions)
        return x->nomem = true, false;
    for (size_t i = 0; i < x->count; i++) {
        json_object *list = member(x->sinks[i].rollups, "sessions");
        for (size_t k = 0; k < json_object_array_length(list); k++)
            if (!add_session(x, &x->sinks[i], json_object_array_get_idx(list, k),
                             &out->sessions[out->session_count++]))
                return false;
    }
    qsort(out->sessions, out->session_count, sizeof *out->sessions, loader_order);
    size_t def = 0;
    while (def < out->session_count && out->sessions[def].event_count == 0)
        def++;
    if (def == out->session_count)
        def = 0;
    if (out->session_count > 0)
        out->sessions[def].is_default = true;
    if (!summary_group_jobs(out))
        return x->nomem = true, false;
    return true;
}

summary_fast_result summary_fast_compute(const char *path, uint64_t min_bytes, summary_report *out, char *why,
                                         size_t why_cap)
{
    memset(out, 0, sizeof *out);
    snprintf(why, why_cap, "%s", "");
    struct stat st;
    char manifest[PATH_MAX + 16];
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return SUMMARY_FAST_NOT_A_DIRECTORY;
    fast_ctx x = {.why = why, .why_cap = why_cap};
    snprintf(manifest, sizeof manifest, "%s/manifest.json", path);
    bool ok = is_file(manifest, &st) ? add_sink(&x, path) : find_sinks(&x, path, FAST_JOB_DEPTH);
    if (!ok && x.loader_says) {
        free_sinks(&x);
        return SUMMARY_FAST_NOT_A_DIRECTORY;
    }
    if (ok && x.count == 0) {
        free_sinks(&x);
        return SUMMARY_FAST_NOT_A_DIRECTORY; /* the loader says what it finds there */
    }
    /* What --full would parse, by the manifests: below min_bytes it is
     * quick, and it lists every failed allocation. */
    uint64_t listed = 0;
    for (size_t i = 0; ok && i < x.count; i++) {
        char mpath[PATH_MAX + 32];
        snprintf(mpath, sizeof mpath, "%s/manifest.json", x.sinks[i].dir);
        x.sinks[i].manifest = stormlog_manifest_view_read(mpath);
        for (size_t k = 0; x.sinks[i].manifest && k < stormlog_manifest_view_segment_count(x.sinks[i].manifest); k++) {
            int64_t ev, sz = 0;
            stormlog_manifest_view_segment(x.sinks[i].manifest, k, &ev, &sz);
            listed += sz > 0 ? (uint64_t)sz : 0;
        }
    }
    if (ok && listed < min_bytes) {
        free_sinks(&x);
        return SUMMARY_FAST_SMALL;
    }
    for (size_t i = 0; ok && i < x.count; i++)
        ok = sink_fresh(&x, &x.sinks[i]);
    /* The sessions borrow their ids and statuses from the rollups documents:
     * out->sessions[i].info holds a reference to each, which is what stays. */
    ok = ok && build_report(&x, out);
    free_sinks(&x);
    if (ok)
        return SUMMARY_FAST_OK;
    coverage_detach(out);
    summary_free(out);
    return x.nomem ? SUMMARY_FAST_NO_MEMORY : SUMMARY_FAST_STALE;
}

bool summary_source_arg(const char *arg, summary_source *choice)
{
    if (strcmp(arg, "--full") == 0)
        *choice = SUMMARY_SOURCE_FULL;
    else if (strcmp(arg, "--sidecars") == 0)
        *choice = SUMMARY_SOURCE_SIDECARS;
    else
        return false;
    return true;
}

int summary_read(const cli_input *in, const char *command, summary_source choice, bool events_pass,
                 summary_report *out, stormlog_recording **rec)
{
    *rec = NULL;
    if (choice != SUMMARY_SOURCE_FULL) {
        char why[PATH_MAX + 160];
        uint64_t min_bytes = choice == SUMMARY_SOURCE_SIDECARS ? 0 : SUMMARY_FAST_MIN_BYTES;
        summary_fast_result fast = summary_fast_compute(in->path, min_bytes, out, why, sizeof why);
        if (fast == SUMMARY_FAST_OK)
            return 0;
        if (fast == SUMMARY_FAST_NO_MEMORY)
            return cli_report_message(in, command, "out of memory");
        if (fast == SUMMARY_FAST_STALE)
            cli_printf(stderr, "%s: reading every segment (the sidecars do not cover them: %s)\n", command, why);
    }
    *rec = cli_load(in, command);
    if (!*rec)
        return CLI_EXIT_PROBLEM;
    bool ok = events_pass ? summary_compute(*rec, out) : summary_sessions_read(*rec, out);
    if (!ok || !coverage_attach(out, in->path)) {
        coverage_detach(out);
        summary_free(out);
        stormlog_recording_free(*rec);
        *rec = NULL;
        return cli_report_message(in, command, "out of memory");
    }
    return 0;
}
