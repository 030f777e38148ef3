/* Deciding what a path is (telemetry.py load_telemetry_sessions and
 * telemetry_sink.py resolve_telemetry_sink_segment_paths), plus the job
 * directory this project adds: a directory with neither manifest nor
 * segments whose subdirectories (to a bounded depth) are sinks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"
#include "stormlog/schema/sink_names.h"

#define MAX_SEGMENTS_PER_SINK 1000000
#define MAX_SINKS 100000

char *sl_path_normalize(const char *p)
{
    size_t n = strlen(p);
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    bool absolute = p[0] == '/';
    if (absolute)
        out[o++] = '/';
    const char *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0)
            break;
        if (!(len == 1 && s[0] == '.')) {
            if (o > 0 && out[o - 1] != '/')
                out[o++] = '/';
            memcpy(out + o, s, len);
            o += len;
        }
        s = e;
    }
    if (o == 0)
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

static char *join(const char *dir, const char *name)
{
    size_t dn = strlen(dir), nn = strlen(name);
    if (dn == 1 && dir[0] == '.')
        return strdup(name);
    char *out = malloc(dn + nn + 2);
    if (!out)
        return NULL;
    memcpy(out, dir, dn);
    size_t o = dn;
    if (o == 0 || out[o - 1] != '/')
        out[o++] = '/';
    memcpy(out + o, name, nn + 1);
    return out;
}

static char *parent_of(const char *normalized)
{
    const char *slash = strrchr(normalized, '/');
    if (!slash)
        return strdup(".");
    if (slash == normalized)
        return strdup("/");
    return strndup(normalized, (size_t)(slash - normalized));
}

static const char *name_of(const char *normalized)
{
    const char *slash = strrchr(normalized, '/');
    return slash ? slash + 1 : normalized;
}

/* Python's Path.resolve(): realpath, or the absolute path when it does not exist. */
static char *resolve(const char *p)
{
    char *r = realpath(p, NULL);
    if (r)
        return r;
    if (p[0] == '/')
        return sl_path_normalize(p);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return sl_path_normalize(p);
    char *joined = join(cwd, p);
    char *norm = joined ? sl_path_normalize(joined) : NULL;
    free(joined);
    return norm;
}

static bool oom(sl_fail_info *f)
{
    return sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
}

bool sl_plan_warn(sl_plan *plan, const char *fmt, ...)
{
    char **grown = realloc(plan->warnings, (plan->warning_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    plan->warnings = grown;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int rc = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return false;
    plan->warnings[plan->warning_count++] = msg;
    return true;
}

static void add_note(sl_plan *plan, sl_plan_note_kind kind, const char *dir, const char *name,
                     const char *message)
{
    sl_plan_note *grown = realloc(plan->notes, (plan->note_count + 1) * sizeof *grown);
    if (!grown)
        return;
    plan->notes = grown;
    sl_plan_note *n = &plan->notes[plan->note_count];
    n->kind = kind;
    n->message = strdup(message);
    n->file = join(dir, name);
    if (n->message && n->file)
        plan->note_count++;
    else {
        free(n->message);
        free(n->file);
    }
}

#define NOT_REGULAR "not a regular file (symlinks are not followed)"

/* A segment skipped for what it is: one warning for load, one note for validate. */
static void skip_not_regular(sl_plan *plan, const char *dir, const char *name)
{
    sl_plan_warn(plan, "skipped %s/%s: " NOT_REGULAR, dir, name);
    add_note(plan, SL_NOTE_NOT_REGULAR, dir, name, NOT_REGULAR ": skipped");
}

static uint32_t add_label(sl_plan *plan, const char *label)
{
    char **grown = realloc(plan->labels, (plan->label_count + 1) * sizeof *grown);
    if (!grown)
        return UINT32_MAX;
    plan->labels = grown;
    char *copy = strdup(label);
    if (!copy)
        return UINT32_MAX;
    plan->labels[plan->label_count] = copy;
    return (uint32_t)plan->label_count++;
}

static bool add_segment(sl_plan *plan, char *path, const char *default_id, uint32_t origin,
                        bool allow_symlink)
{
    if (plan->segment_count == plan->segment_cap) {
        size_t cap = plan->segment_cap ? plan->segment_cap * 2 : 16;
        sl_plan_segment *grown = realloc(plan->segments, cap * sizeof *grown);
        if (!grown) {
            free(path);
            return false;
        }
        plan->segments = grown;
        plan->segment_cap = cap;
    }
    char *id = strdup(default_id);
    if (!id) {
        free(path);
        return false;
    }
    plan->segments[plan->segment_count++] = (sl_plan_segment){path, id, origin, allow_symlink};
    return true;
}

/* One entry of a sink directory by name. */
typedef struct name_entry {
    char *name;
} name_entry;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const name_entry *)a)->name, ((const name_entry *)b)->name);
}

typedef enum { ENTRY_MISSING, ENTRY_REGULAR, ENTRY_OTHER } entry_kind;

static entry_kind classify(int dirfd, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return ENTRY_MISSING;
    return S_ISREG(st.st_mode) ? ENTRY_REGULAR : ENTRY_OTHER;
}

/* The segments of one sink directory: the manifest's that exist merged with
 * those found on disk, sorted by name. */
typedef struct sink_spec {
    const char *dir;           /* for opening */
    const char *display_dir;   /* for messages */
    sl_manifest *manifest;     /* may be NULL */
    const char *fallback_id;
    uint32_t origin;
    const char *only_file;     /* a single segment file given as the input */
} sink_spec;

static bool add_name(name_entry **names, size_t *count, size_t *cap, const char *name)
{
    for (size_t i = 0; i < *count; i++)
        if (strcmp((*names)[i].name, name) == 0)
            return true;
    if (*count == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        name_entry *grown = realloc(*names, nc * sizeof *grown);
        if (!grown)
            return false;
        *names = grown;
        *cap = nc;
    }
    char *copy = strdup(name);
    if (!copy)
        return false;
    (*names)[(*count)++].name = copy;
    return true;
}

static const char *hint_for(const sl_manifest *m, const char *name)
{
    const char *hint = NULL;
    for (size_t i = 0; m && i < m->segment_count; i++)
        if (strcmp(m->segments[i].filename, name) == 0)
            hint = m->segments[i].session_id; /* the last entry wins, as in a dict */
    return hint;
}

static bool listed_in(const sl_manifest *m, const char *name)
{
    for (size_t i = 0; m && i < m->segment_count; i++)
        if (strcmp(m->segments[i].filename, name) == 0)
            return true;
    return false;
}

static bool plan_sink(sl_plan *plan, const sink_spec *sink, sl_fail_info *f)
{
    for (size_t i = 0; sink->manifest && i < sink->manifest->unsafe_count; i++) {
        char *msg = NULL;
        if (asprintf(&msg, "segment filename '%s' is not a plain file name: ignored",
                     sink->manifest->unsafe_names[i]) >= 0)
            add_note(plan, SL_NOTE_UNSAFE_NAME, sink->display_dir, "manifest.json", msg);
        free(msg);
    }
    int dirfd = open(sink->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        sl_failf(f, STORMLOG_E_IO, "[Errno %d] %s: '%s'", errno, strerror(errno), sink->display_dir);
        return false;
    }
    name_entry *names = NULL;
    size_t count = 0, cap = 0;
    bool ok = true;
    /* Python's set of names: the manifest's first (they override), then the
     * directory's; duplicates collapse. Linear duplicate checks are fine for
     * manifest entries; discovered names are unique already. */
    for (size_t i = 0; ok && sink->manifest && i < sink->manifest->segment_count; i++) {
        const char *name = sink->manifest->segments[i].filename;
        entry_kind k = classify(dirfd, name);
        if (k == ENTRY_MISSING) {
            add_note(plan, SL_NOTE_MISSING, sink->display_dir, name,
                     "listed in the manifest but not found: skipped");
            continue;
        }
        if (k == ENTRY_OTHER) {
            skip_not_regular(plan, sink->display_dir, name);
            continue;
        }
        ok = add_name(&names, &count, &cap, name);
    }
    size_t listed = count;
    DIR *d = ok ? fdopendir(dup(dirfd)) : NULL;
    if (ok && !d)
        ok = false;
    while (ok && d) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de)
            break;
        if (!sl_sink_is_segment_name(de->d_name))
            continue;
        bool seen = false;
        for (size_t i = 0; i < listed && !seen; i++)
            seen = strcmp(names[i].name, de->d_name) == 0;
        if (seen)
            continue;
        entry_kind k = classify(dirfd, de->d_name);
        if (k == ENTRY_OTHER) {
            /* A listed one was reported above already. */
            if (!listed_in(sink->manifest, de->d_name))
                skip_not_regular(plan, sink->display_dir, de->d_name);
            continue;
        }
        if (k == ENTRY_MISSING)
            continue;
        if (count >= MAX_SEGMENTS_PER_SINK) {
            sl_failf(f, STORMLOG_E_LIMIT, "more than %d segments in %s", MAX_SEGMENTS_PER_SINK,
                     sink->display_dir);
            ok = false;
            break;
        }
        if (count == cap) {
            size_t nc = cap ? cap * 2 : 64;
            name_entry *grown = realloc(names, nc * sizeof *grown);
            if (!grown) {
                ok = false;
                break;
            }
            names = grown;
            cap = nc;
        }
        names[count].name = strdup(de->d_name);
        if (!names[count].name) {
            ok = false;
            break;
        }
        count++;
    }
    if (d)
        closedir(d);
    close(dirfd);
    if (ok) {
        if (count > 1)
            qsort(names, count, sizeof *names, name_cmp);
        for (size_t i = 0; ok && i < count; i++) {
            const char *hint = hint_for(sink->manifest, names[i].name);
            const char *id = (hint && hint[0]) ? hint : sink->fallback_id;
            char *path = join(sink->display_dir, names[i].name);
            ok = path && add_segment(plan, path, id, sink->origin, false);
        }
    }
    for (size_t i = 0; i < count; i++)
        free(names[i].name);
    free(names);
    if (!ok && !f->set)
        oom(f);
    return ok;
}

static bool add_manifest(sl_plan *plan, sl_manifest *m)
{
    if (!m)
        return true;
    sl_manifest **grown = realloc(plan->manifests, (plan->manifest_count + 1) * sizeof *grown);
    if (!grown) {
        sl_manifest_free(m);
        return false;
    }
    plan->manifests = grown;
    plan->manifests[plan->manifest_count++] = m;
    return true;
}

static bool has_entry(const char *dir, const char *name, bool regular_only)
{
    char *p = join(dir, name);
    if (!p)
        return false;
    struct stat st;
    bool ok = lstat(p, &st) == 0 && (!regular_only || S_ISREG(st.st_mode));
    free(p);
    return ok;
}

/* Does the directory look like a sink (a manifest, or any segment file)? */
static bool looks_like_sink(const char *dir)
{
    if (has_entry(dir, "manifest.json", true))
        return true;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)))
        found = sl_sink_is_segment_name(de->d_name);
    closedir(d);
    return found;
}

/* A directory as one sink: its manifest, its segments. */
static bool plan_sink_dir(sl_plan *plan, const char *dir, const char *display_dir, sl_fail_info *f)
{
    char *resolved = resolve(dir);
    char *label = NULL;
    if (!resolved || asprintf(&label, "artifact:%s", name_of(display_dir)) < 0) {
        free(resolved);
        return oom(f);
    }
    const char *parts[2] = {resolved, "sink"};
    char fallback[44];
    sl_stable_id(parts, 2, fallback);
    uint32_t origin = add_label(plan, label);
    free(label);
    free(resolved);
    if (origin == UINT32_MAX)
        return oom(f);
    sl_manifest *m = NULL;
    char *mpath = join(dir, "manifest.json");
    if (!mpath)
        return oom(f);
    struct stat st;
    if (lstat(mpath, &st) == 0 && S_ISREG(st.st_mode))
        m = sl_manifest_read(mpath);
    free(mpath);
    sink_spec spec = {dir, display_dir, m, fallback, origin, NULL};
    bool ok = plan_sink(plan, &spec, f);
    if (!add_manifest(plan, m))
        return oom(f);
    return ok;
}

typedef struct dir_list {
    char **paths;
    size_t count, cap;
} dir_list;

static bool find_sinks(const char *dir, unsigned depth_left, dir_list *out, sl_fail_info *f)
{
    if (depth_left == 0)
        return true;
    DIR *d = opendir(dir);
    if (!d)
        return true;
    name_entry *subs = NULL;
    size_t count = 0, cap = 0;
    bool ok = true;
    int dfd = dirfd(d);
    struct dirent *de;
    while (ok && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        struct stat st;
        /* Symlinked directories are not followed: they could loop or leave the job. */
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        ok = add_name(&subs, &count, &cap, de->d_name);
    }
    closedir(d);
    if (ok && count > 1)
        qsort(subs, count, sizeof *subs, name_cmp);
    for (size_t i = 0; ok && i < count; i++) {
        char *sub = join(dir, subs[i].name);
        if (!sub) {
            ok = false;
            break;
        }
        if (looks_like_sink(sub)) {
            if (out->count >= MAX_SINKS) {
                free(sub);
                ok = sl_failf(f, STORMLOG_E_LIMIT, "more than %d sinks under %s", MAX_SINKS, dir);
                break;
            }
            if (out->count == out->cap) {
                size_t nc = out->cap ? out->cap * 2 : 16;
                char **grown = realloc(out->paths, nc * sizeof *grown);
                if (!grown) {
                    free(sub);
                    ok = false;
                    break;
                }
                out->paths = grown;
                out->cap = nc;
            }
            out->paths[out->count++] = sub;
        } else {
            ok = find_sinks(sub, depth_left - 1, out, f);
            free(sub);
        }
    }
    for (size_t i = 0; i < count; i++)
        free(subs[i].name);
    free(subs);
    if (!ok && !f->set)
        oom(f);
    return ok;
}

static bool plan_directory(sl_plan *plan, const char *display, const stormlog_options *opts,
                           sl_fail_info *f)
{
    if (looks_like_sink(display))
        return plan_sink_dir(plan, display, display, f);
    dir_list sinks = {0};
    bool ok = find_sinks(display, opts->job_depth, &sinks, f);
    if (ok && sinks.count == 0) {
        /* The reference falls back to reading the directory as JSON and fails so. */
        sl_failf(f, STORMLOG_E_IO, "[Errno %d] %s: '%s'", EISDIR, strerror(EISDIR), display);
        sl_fail_where(f, display, 0, -1);
        ok = false;
    }
    for (size_t i = 0; ok && i < sinks.count; i++)
        ok = plan_sink_dir(plan, sinks.paths[i], sinks.paths[i], f);
    for (size_t i = 0; i < sinks.count; i++)
        free(sinks.paths[i]);
    free(sinks.paths);
    return ok;
}

/* One JSON document; its events' default session id hangs on the resolved path. */
static bool plan_json(sl_plan *plan, const char *display, const char *resolved,
                      const stormlog_options *opts)
{
    plan->is_json = true;
    plan->json_path = strdup(display);
    const char *key = opts->events_key ? opts->events_key : "json";
    const char *parts[2] = {resolved, key};
    char id[44];
    sl_stable_id(parts, 2, id);
    plan->json_default_id = strdup(id);
    return plan->json_path && plan->json_default_id;
}

bool sl_plan_build(const char *path, const stormlog_options *opts, sl_plan *plan, sl_fail_info *f)
{
    memset(plan, 0, sizeof *plan);
    char *display = sl_path_normalize(path);
    char *resolved = display ? resolve(display) : NULL;
    char *label = NULL;
    if (!display || !resolved ||
        asprintf(&label, "artifact:%s", display[0] && strcmp(display, ".") != 0 && strcmp(display, "/") != 0
                                            ? name_of(display) : resolved) < 0) {
        free(display);
        free(resolved);
        return oom(f);
    }
    bool ok = true;
    struct stat st;
    bool exists = stat(display, &st) == 0;
    const char *name = name_of(display);
    size_t nlen = strlen(name);
    bool jsonl_suffix = nlen > 6 && strcmp(name + nlen - 6, ".jsonl") == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        ok = plan_directory(plan, display, opts, f);
    } else if (exists && S_ISREG(st.st_mode) && (jsonl_suffix || strcmp(name, "manifest.json") == 0)) {
        uint32_t origin = add_label(plan, label);
        char *dir = parent_of(display);
        char *mpath = dir ? join(dir, "manifest.json") : NULL;
        ok = origin != UINT32_MAX && dir && mpath;
        const char *parts[2] = {resolved, "sink"};
        char fallback[44];
        sl_stable_id(parts, 2, fallback);
        sl_manifest *m = NULL;
        if (ok && jsonl_suffix) {
            struct stat ms;
            if (stat(mpath, &ms) == 0 && S_ISREG(ms.st_mode))
                m = sl_manifest_read(mpath);
            const char *hint = hint_for(m, name);
            char *seg = strdup(display);
            ok = seg && add_segment(plan, seg, (hint && hint[0]) ? hint : fallback, origin, true);
        } else if (ok) {
            m = sl_manifest_read(display);
            sink_spec spec = {dir, dir, m, fallback, origin, NULL};
            ok = plan_sink(plan, &spec, f);
            if (ok && plan->segment_count == 0) {
                /* No segment file: the reference reads the manifest itself as a JSON
                 * telemetry file (usually "does not contain telemetry events";
                 * with a schema_version key, one record that fails validation). */
                sl_manifest_free(m);
                m = NULL;
                ok = plan_json(plan, display, resolved, opts);
            }
        }
        if (m && !add_manifest(plan, m))
            ok = false;
        free(dir);
        free(mpath);
        if (!ok && !f->set)
            oom(f);
    } else {
        ok = add_label(plan, label) != UINT32_MAX && plan_json(plan, display, resolved, opts);
        if (!ok)
            oom(f);
    }
    free(label);
    free(display);
    free(resolved);
    return ok;
}

void sl_plan_free(sl_plan *plan)
{
    for (size_t i = 0; i < plan->segment_count; i++) {
        free(plan->segments[i].path);
        free(plan->segments[i].default_id);
    }
    free(plan->segments);
    for (size_t i = 0; i < plan->manifest_count; i++)
        sl_manifest_free(plan->manifests[i]);
    free(plan->manifests);
    for (size_t i = 0; i < plan->label_count; i++)
        free(plan->labels[i]);
    free(plan->labels);
    for (size_t i = 0; i < plan->warning_count; i++)
        free(plan->warnings[i]);
    free(plan->warnings);
    for (size_t i = 0; i < plan->note_count; i++) {
        free(plan->notes[i].file);
        free(plan->notes[i].message);
    }
    free(plan->notes);
    free(plan->json_path);
    free(plan->json_default_id);
    memset(plan, 0, sizeof *plan);
}
