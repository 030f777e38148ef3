/* coverage.h explains what this is for. lifetime.json's format:
 * docs/lifetime.md. */
#include "coverage.h"

#include "report.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static bool get_int(json_object *o, const char *k, int64_t *out)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

static json_object *opt_int(bool known, int64_t v)
{
    return known ? json_object_new_int64(v) : NULL;
}

/* The sink directory a session's figures live in. */
static bool session_dir(const stormlog_session *s, const char *input_path, char out[PATH_MAX])
{
    if (stormlog_session_source_count(s) > 0) {
        snprintf(out, PATH_MAX, "%s", stormlog_session_source(s, 0));
        char *slash = strrchr(out, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(out, PATH_MAX, ".");
        return true;
    }
    struct stat st;
    char m[PATH_MAX];
    snprintf(m, sizeof m, "%s/manifest.json", input_path);
    if (stat(input_path, &st) == 0 && S_ISDIR(st.st_mode) && stat(m, &st) == 0) {
        snprintf(out, PATH_MAX, "%s", input_path);
        return true;
    }
    return false;
}

/* A live writer holds an exclusive flock on its directory (sink_dir.c). */
static bool writer_gone(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool gone = flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (gone)
        flock(fd, LOCK_UN);
    close(fd);
    return gone;
}

static json_object *lifetime_entry(json_object *doc, const char *session_id)
{
    json_object *sessions;
    if (!doc || !json_object_object_get_ex(doc, "sessions", &sessions) ||
        !json_object_is_type(sessions, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(sessions); i++) {
        json_object *e = json_object_array_get_idx(sessions, i), *id;
        if (json_object_object_get_ex(e, "session_id", &id) && json_object_is_type(id, json_type_string) &&
            strcmp(json_object_get_string(id), session_id) == 0)
            return e;
    }
    return NULL;
}

static bool read_lifetime(session_coverage *c, json_object *e)
{
    c->has_lifetime = true;
    c->pruned_known = get_int(e, "events_pruned", &c->pruned_events) &&
                      get_int(e, "pruned_segments", &c->pruned_segments) &&
                      get_int(e, "pruned_bytes", &c->pruned_bytes);
    get_int(e, "events_written", &c->events_written);
    get_int(e, "dropped_events", &c->lifetime_dropped);
    c->has_lifetime_range = get_int(e, "first_timestamp_ns", &c->lifetime_first_ns) &&
                            get_int(e, "last_timestamp_ns", &c->lifetime_last_ns);
    json_object *devices;
    if (!json_object_object_get_ex(e, "devices", &devices) || !json_object_is_type(devices, json_type_array))
        return true;
    size_t n = json_object_array_length(devices);
    c->devices = calloc(n ? n : 1, sizeof *c->devices);
    if (!c->devices)
        return false;
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(devices, i);
        coverage_device *cd = &c->devices[c->device_count];
        int64_t v;
        if (!get_int(d, "device_id", &cd->device_id) || !get_int(d, "peak_allocated_bytes", &cd->peak_bytes))
            continue;
        cd->has_peak_time = get_int(d, "peak_timestamp_ns", &cd->peak_timestamp_ns);
        cd->allocations = get_int(d, "allocations", &v) ? (uint64_t)v : 0;
        cd->frees = get_int(d, "frees", &v) ? (uint64_t)v : 0;
        cd->failed = get_int(d, "failed_allocations", &v) ? (uint64_t)v : 0;
        cd->ooms = get_int(d, "oom_count", &v) ? (uint64_t)v : 0;
        cd->has_unmatched = get_int(d, "unmatched_frees", &cd->unmatched_frees);
        get_int(d, "live_bytes", &cd->live_bytes);
        c->device_count++;
    }
    return true;
}

static summary_device *find_or_add(summary_session *s, int64_t id)
{
    size_t i = 0;
    while (i < s->device_count && s->devices[i].device_id < id)
        i++;
    if (i < s->device_count && s->devices[i].device_id == id)
        return &s->devices[i];
    if (s->device_count == s->device_cap) {
        size_t cap = s->device_cap ? s->device_cap * 2 : 4;
        summary_device *d = realloc(s->devices, cap * sizeof *d);
        if (!d)
            return NULL;
        s->devices = d;
        s->device_cap = cap;
    }
    memmove(&s->devices[i + 1], &s->devices[i], (s->device_count - i) * sizeof *s->devices);
    memset(&s->devices[i], 0, sizeof s->devices[i]);
    s->devices[i].device_id = id;
    s->device_count++;
    return &s->devices[i];
}

/* The lifetime record is the whole run's: it replaces what retained events
 * (or a stop summary, which it agrees with) say of peak, counts and OOMs. */
static bool apply(summary_session *s, const session_coverage *c)
{
    for (size_t i = 0; i < c->device_count; i++) {
        const coverage_device *cd = &c->devices[i];
        summary_device *d = find_or_add(s, cd->device_id);
        if (!d)
            return false;
        if (cd->peak_bytes >= d->peak_bytes) {
            if (cd->peak_bytes > d->peak_bytes || cd->has_peak_time) {
                d->has_peak_time = cd->has_peak_time;
                d->peak_timestamp_ns = cd->peak_timestamp_ns;
            }
            d->peak_bytes = cd->peak_bytes;
        }
        d->allocations = cd->allocations;
        d->frees = cd->frees;
        d->failed = cd->failed;
        /* All of one moment: a killed run's retained events may run past
         * the last rewrite, and a count taken from them beside counts taken
         * from the record would be of no moment at all (events_after says
         * how many came later). */
        d->oom_count = cd->ooms;
        if (cd->has_unmatched) {
            d->has_unmatched = true;
            d->unmatched_frees = cd->unmatched_frees;
        }
        if (!s->from_stop_summary)
            d->final_bytes = cd->live_bytes;
    }
    return true;
}

/* What the sidecars say of one session; c must be zeroed. false when out
 * of memory. */
static bool coverage_read(const stormlog_session *ses, const char *input_path, session_coverage *c)
{
    size_t n = stormlog_session_event_count(ses);
    if (n > 0) {
        c->has_retained_range = true;
        c->retained_first_ns = stormlog_event_timestamp_ns(stormlog_session_event(ses, 0));
        c->retained_last_ns = stormlog_event_timestamp_ns(stormlog_session_event(ses, n - 1));
    }
    char dir[PATH_MAX];
    if (!session_dir(ses, input_path, dir))
        return true;
    if (strcmp(stormlog_session_status(ses), "running") == 0)
        c->writer_gone = writer_gone(dir);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/lifetime.json", dir);
    struct stat st;
    if (stat(path, &st) != 0)
        return true;
    json_object *doc = json_object_from_file(path);
    json_object *e = lifetime_entry(doc, stormlog_session_id(ses));
    bool ok = !e || read_lifetime(c, e);
    json_object_put(doc);
    if (c->has_lifetime_range)
        for (size_t i = n; i > 0 && stormlog_event_timestamp_ns(stormlog_session_event(ses, i - 1)) > c->lifetime_last_ns;
             i--)
            c->events_after++;
    return ok;
}

bool coverage_attach(summary_report *r, const char *input_path)
{
    for (size_t i = 0; i < r->session_count; i++) {
        summary_session *s = &r->sessions[i];
        if (s->coverage) /* read from the sidecars already (coverage_from_sidecars) */
            continue;
        session_coverage *c = calloc(1, sizeof *c);
        if (!c)
            return false;
        s->coverage = c;
        if (!coverage_read(s->session, input_path, c) || (c->has_lifetime && !apply(s, c)))
            return false;
    }
    return true;
}

bool coverage_from_sidecars(summary_session *s, json_object *lifetime_entry, bool has_retained_range,
                            int64_t retained_first_ns, int64_t retained_last_ns)
{
    session_coverage *c = calloc(1, sizeof *c);
    if (!c)
        return false;
    s->coverage = c;
    c->has_retained_range = has_retained_range;
    c->retained_first_ns = retained_first_ns;
    c->retained_last_ns = retained_last_ns;
    /* events_after stays 0: the caller took the sidecars only because the
     * lifetime record counts every retained line. */
    return read_lifetime(c, lifetime_entry) && apply(s, c);
}

void coverage_session_json(json_object *row, const summary_session *s)
{
    static const session_coverage none = {0};
    const session_coverage *c = s->coverage ? s->coverage : &none;
    json_object_object_add(row, "pruned_events", opt_int(c->pruned_known, c->pruned_events));
    json_object_object_add(row, "pruned_segments", opt_int(c->pruned_known, c->pruned_segments));
    json_object_object_add(row, "pruned_bytes", opt_int(c->pruned_known, c->pruned_bytes));
    json_object_object_add(row, "writer_gone", json_object_new_boolean(c->writer_gone));
}

void coverage_session_note(FILE *out, const summary_session *s)
{
    const session_coverage *c = s->coverage;
    if (!c)
        return;
    char bytes[CLI_FIGURE_MAX];
    if (c->pruned_known && c->pruned_events > 0)
        cli_printf(out, "note: session %s: retention deleted %" PRId64 " of its %" PRId64 " events (%" PRId64
                     " segments, %s); EVENTS counts the retained ones\n",
                s->id, c->pruned_events, c->events_written, c->pruned_segments, cli_bytes(c->pruned_bytes, bytes));
    if (c->writer_gone)
        cli_printf(out, "note: session %s: the manifest says running but no writer holds the directory: interrupted\n",
                s->id);
}

void coverage_detach(summary_report *r)
{
    for (size_t i = 0; i < r->session_count; i++) {
        session_coverage *c = r->sessions[i].coverage;
        if (c)
            free(c->devices);
        free(c);
        r->sessions[i].coverage = NULL;
    }
}

void coverage_json_add(json_object *o, const summary_session *s)
{
    const session_coverage *c = s->coverage;
    if (!c)
        return;
    json_object_object_add(o, "pruned_events", opt_int(c->pruned_known, c->pruned_events));
    json_object_object_add(o, "pruned_segments", opt_int(c->pruned_known, c->pruned_segments));
    json_object_object_add(o, "pruned_bytes", opt_int(c->pruned_known, c->pruned_bytes));
    json_object *cov = json_object_new_object();
    json_object_object_add(cov, "figures_from",
                           json_object_new_string(c->has_lifetime ? "lifetime" : "retained_events"));
    json_object_object_add(cov, "retained_first_timestamp_ns", opt_int(c->has_retained_range, c->retained_first_ns));
    json_object_object_add(cov, "retained_last_timestamp_ns", opt_int(c->has_retained_range, c->retained_last_ns));
    json_object_object_add(cov, "lifetime_first_timestamp_ns", opt_int(c->has_lifetime_range, c->lifetime_first_ns));
    json_object_object_add(cov, "lifetime_last_timestamp_ns", opt_int(c->has_lifetime_range, c->lifetime_last_ns));
    json_object_object_add(cov, "events_written", opt_int(c->has_lifetime, c->events_written));
    json_object_object_add(cov, "writer_gone", json_object_new_boolean(c->writer_gone));
    json_object_object_add(cov, "events_after_lifetime", opt_int(c->has_lifetime_range, (int64_t)c->events_after));
    json_object_object_add(o, "coverage", cov);
}

const char *coverage_sentence(const summary_session *s, char *buf, size_t cap)
{
    const session_coverage *c = s->coverage;
    if (!c || !c->pruned_known || c->pruned_events == 0)
        return NULL;
    char bytes[CLI_FIGURE_MAX], span[CLI_FIGURE_MAX], whole[CLI_FIGURE_MAX], d[CLI_FIGURE_MAX];
    int64_t t0 = c->has_lifetime_range ? c->lifetime_first_ns : s->started_at_ns;
    int64_t t1 = c->has_lifetime_range ? c->lifetime_last_ns : t0;
    if (c->has_retained_range)
        snprintf(span, sizeof span, "%s", cli_duration(c->retained_last_ns - c->retained_first_ns, d));
    else
        snprintf(span, sizeof span, "none");
    int n = snprintf(buf, cap,
                     "Retention deleted %" PRId64 " of this session's %" PRId64 " events (%" PRId64
                     " segments, %s); the retained events cover %s%s of the %s it ran. Peak, counts and OOMs "
                     "are lifetime figures from lifetime.json; tables of events cover the retained part only.",
                     c->pruned_events, c->events_written, c->pruned_segments, cli_bytes(c->pruned_bytes, bytes),
                     c->has_retained_range ? "the last " : "", span, cli_duration(t1 - t0, whole));
    return n > 0 ? buf : NULL;
}

void coverage_print_text(FILE *out, const summary_session *s)
{
    const session_coverage *c = s->coverage;
    if (!c)
        return;
    char buf[512];
    if (coverage_sentence(s, buf, sizeof buf))
        cli_printf(out, "  coverage: %s\n", buf);
    if (c->writer_gone)
        fprintf(out, "  status: the manifest says running but no writer holds the directory: interrupted\n");
    if (c->has_lifetime && c->events_after > 0)
        cli_printf(out,
                   "  coverage: peak, counts and OOMs are lifetime.json's as last written; %zu retained events "
                   "came after that rewrite and are not in them\n",
                   c->events_after);
}

void coverage_html_top(FILE *out, const summary_session *const *shown, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char buf[512];
        if (!coverage_sentence(shown[i], buf, sizeof buf))
            continue;
        fputs("<p class=\"coverage\" style=\"border:2px solid #d1242f;padding:8px;background:#fff5f5\">"
              "<strong>Not every event of this run is here.</strong> Session <code>", out);
        html_text(out, stormlog_session_id(shown[i]->session));
        fputs("</code>: ", out);
        html_text(out, buf);
        fputs("</p>\n", out);
    }
}

const char *coverage_counts_from(const summary_session *s, const char *otherwise)
{
    /* A stop summary is the same books, read at the end: it keeps its name. */
    return s->coverage && s->coverage->has_lifetime && !s->from_stop_summary
               ? "lifetime.json (the writer's figures for the whole run)"
               : otherwise;
}

/* Pruned events of every lifetime.json at or below dir (a sink or a job). */
static int64_t pruned_below(const char *dir, int depth)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/lifetime.json", dir);
    struct stat st;
    int64_t total = 0;
    if (stat(path, &st) == 0) {
        json_object *doc = json_object_from_file(path), *sessions;
        if (doc && json_object_object_get_ex(doc, "sessions", &sessions) &&
            json_object_is_type(sessions, json_type_array))
            for (size_t i = 0; i < json_object_array_length(sessions); i++) {
                int64_t v;
                if (get_int(json_object_array_get_idx(sessions, i), "events_pruned", &v))
                    total += v;
            }
        json_object_put(doc);
        return total;
    }
    if (depth == 0)
        return 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            total += pruned_below(path, depth - 1);
    }
    if (d)
        closedir(d);
    return total;
}

void coverage_path_note(FILE *out, const char *command, const char *input_path)
{
    struct stat st;
    if (stat(input_path, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    int64_t pruned = pruned_below(input_path, 4);
    if (pruned > 0)
        cli_printf(out, "stormlog-inspect %s: note: retention deleted %" PRId64
                     " events of this recording (lifetime.json); only the retained ones are listed\n",
                command, pruned);
}
