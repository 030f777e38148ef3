/* stormlog-inspect validate PATH: every problem, each with its file and line
 * (or index) and the specification's message; exit 1 if there is any.
 *
 * The loader stops at the first bad record, as the Python loader does. So
 * validation runs in two passes:
 *   1. the loader's streaming reader over the whole input (constant memory).
 *      When it reaches the end, the input is valid: the loader, not this
 *      file, is the judge.
 *   2. only when it fails: a walk over the same files that checks record by
 *      record through stormlog_event_from_json (the loader's own rules and
 *      messages) and keeps going, to list every problem. The walk finds the
 *      files the way the loader does (a sink's segments, a job's sinks, a
 *      JSONL or JSON file); the loader's own error is always in the list, so
 *      the verdict never differs from what a program loading the input gets.
 *
 * Known limit of pass 2: it splits lines at "\n" only, where Python (and the
 * loader) also split at the rarer Unicode line breaks; in such a file the
 * extra problems' line numbers may be off, the loader's one never is. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define JOB_DEPTH 4

static const char validate_help[] =
    "usage: stormlog-inspect validate PATH [--json] [--events-key K] [--permissive-legacy 0|1]\n"
    "\n"
    "Checks every record of a recording (file, sink directory or job directory)\n"
    "against the v3 rules and lists every problem as FILE:LINE: message (JSON\n"
    "files: FILE: index N: message), with the specification's messages.\n"
    "Exit status: 0 when valid, 1 when a problem was found, 2 on bad usage.\n";

typedef struct validation {
    cli_input *in;
    const stormlog_options *opts;
    uint64_t problems;
    uint64_t records;
    json_object *list; /* --json: the problems */
} validation;

static void problem(validation *v, const char *file, long line, long index, const char *message)
{
    v->problems++;
    if (v->list) {
        json_object *p = json_object_new_object();
        json_object_object_add(p, "file", file ? json_object_new_string(file) : NULL);
        json_object_object_add(p, "line", line > 0 ? json_object_new_int64(line) : NULL);
        json_object_object_add(p, "index", index >= 0 ? json_object_new_int64(index) : NULL);
        json_object_object_add(p, "message", json_object_new_string(message));
        json_object_array_add(v->list, p);
        return;
    }
    if (line > 0)
        cli_printf(stdout, "%s:%ld: %s\n", file, line, message);
    else if (index >= 0)
        cli_printf(stdout, "%s: index %ld: %s\n", file, index, message);
    else
        cli_printf(stdout, "%s: %s\n", file ? file : v->in->path, message);
}

static void check_record(validation *v, json_object *record, const char *file, long line, long index)
{
    stormlog_event *ev = NULL;
    stormlog_error *err = NULL;
    v->records++;
    if (stormlog_event_from_json(record, v->opts, NULL, &ev, &err) != STORMLOG_OK)
        problem(v, file, line, index, err ? stormlog_error_message(err) : "out of memory");
    stormlog_event_free(ev);
    stormlog_error_free(err);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' && s[i] != '\f' && s[i] != '\v')
            return false;
    return true;
}

static void check_jsonl(validation *v, const char *file)
{
    FILE *f = fopen(file, "re");
    if (!f) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
        problem(v, file, 0, -1, msg);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long number = 0;
    json_tokener *tok = json_tokener_new();
    while (tok && (len = getline(&line, &cap, f)) >= 0) {
        number++;
        if (blank(line, (size_t)len))
            continue;
        json_tokener_reset(tok);
        json_object *rec = json_tokener_parse_ex(tok, line, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        /* A whole value followed by more than blanks is two values on a line. */
        bool trailing = rec && !blank(line + json_tokener_get_parse_end(tok), (size_t)len - json_tokener_get_parse_end(tok));
        if (!rec && jerr == json_tokener_continue)
            jerr = json_tokener_error_parse_eof;
        if ((!rec && jerr != json_tokener_success) || trailing) {
            json_object_put(rec);
            /* A torn last line (no newline) is what a crash leaves: dropped, not an error. */
            if (line[len - 1] != '\n' && fgetc(f) == EOF)
                break;
            char msg[512 + 32];
            snprintf(msg, sizeof msg, "Malformed telemetry JSONL record in %s at line %ld", file, number);
            problem(v, file, number, -1, msg);
            continue;
        }
        if (!json_object_is_type(rec, json_type_object)) {
            char msg[512 + 48];
            snprintf(msg, sizeof msg, "Telemetry record in %s at line %ld must be an object", file, number);
            problem(v, file, number, -1, msg);
        } else {
            check_record(v, rec, file, number, -1);
        }
        json_object_put(rec);
    }
    json_tokener_free(tok);
    free(line);
    fclose(f);
}

/* A JSON document: its records are checked one by one; a document that does
 * not parse or has the wrong shape is one problem, the loader's. */
static bool check_json(validation *v, const char *file)
{
    json_object *doc = json_object_from_file(file);
    if (!doc)
        return false;
    json_object *list = NULL;
    const char *key = v->in->events_key;
    if (json_object_is_type(doc, json_type_array))
        list = doc;
    else if (json_object_is_type(doc, json_type_object) && !key &&
             json_object_object_get_ex(doc, "events", &list) && json_object_is_type(list, json_type_array))
        ;
    else if (json_object_is_type(doc, json_type_object) && key && json_object_object_get_ex(doc, key, &list) &&
             json_object_is_type(list, json_type_array))
        ;
    else
        list = NULL;
    if (!list) {
        /* A single record, or a shape the loader rejects: leave it to the loader. */
        json_object_put(doc);
        return false;
    }
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        json_object *rec = json_object_array_get_idx(list, i);
        if (!json_object_is_type(rec, json_type_object)) {
            char msg[64];
            snprintf(msg, sizeof msg, "Event at index %zu must be an object", i);
            problem(v, file, 0, (long)i, msg);
        } else {
            check_record(v, rec, file, 0, (long)i);
        }
    }
    json_object_put(doc);
    return true;
}

static bool is_segment_name(const char *name)
{
    size_t n = strlen(name);
    return n >= 14 && strncmp(name, "segment-", 8) == 0 && strcmp(name + n - 6, ".jsonl") == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the entries of dir accepted by keep (kind: d_type hint
 * checked again with lstat by the caller's use). NULL on failure or none. */
static char **list_dir(const char *dir, bool (*keep)(const char *dir, const char *name), size_t *count)
{
    *count = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!keep(dir, de->d_name))
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown)
                break;
            names = grown;
        }
        if (!(names[*count] = strdup(de->d_name)))
            break;
        (*count)++;
    }
    closedir(d);
    if (*count > 1)
        qsort(names, *count, sizeof *names, compare_names);
    return names;
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static char *join(const char *dir, const char *name)
{
    char *out = NULL;
    size_t n = strlen(dir);
    if (asprintf(&out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0)
        return NULL;
    return out;
}

static bool kind_at(const char *dir, const char *name, mode_t kind)
{
    char *p = join(dir, name);
    struct stat st;
    bool ok = p && lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == kind;
    free(p);
    return ok;
}

static bool keep_segment(const char *dir, const char *name)
{
    return is_segment_name(name) && kind_at(dir, name, S_IFREG);
}

static bool keep_subdir(const char *dir, const char *name)
{
    return name[0] != '.' && kind_at(dir, name, S_IFDIR);
}

static bool looks_like_sink(const char *dir)
{
    if (kind_at(dir, "manifest.json", S_IFREG))
        return true;
    size_t n;
    char **segs = list_dir(dir, keep_segment, &n);
    free_names(segs, n);
    return n > 0;
}

/* Segments the manifest lists but discovery would not find (custom names)
 * are the loader's business: their problems reach us through pass 1. */
static void check_sink(validation *v, const char *dir)
{
    size_t n;
    char **segs = list_dir(dir, keep_segment, &n);
    for (size_t i = 0; i < n; i++) {
        char *p = join(dir, segs[i]);
        if (p)
            check_jsonl(v, p);
        free(p);
    }
    free_names(segs, n);
}

static void check_job(validation *v, const char *dir, int depth_left)
{
    if (depth_left == 0)
        return;
    size_t n;
    char **subs = list_dir(dir, keep_subdir, &n);
    for (size_t i = 0; i < n; i++) {
        char *p = join(dir, subs[i]);
        if (p && looks_like_sink(p))
            check_sink(v, p);
        else if (p)
            check_job(v, p, depth_left - 1);
        free(p);
    }
    free_names(subs, n);
}

/* The path as the loader names files in its messages (Python's str(Path)):
 * no "." parts, no doubled or trailing slashes. */
static char *normalize(const char *p)
{
    size_t n = strlen(p);
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    if (p[0] == '/')
        out[o++] = '/';
    for (const char *s = p; *s;) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len > 0 && !(len == 1 && s[0] == '.')) {
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

static void walk(validation *v)
{
    char *normalized = normalize(v->in->path);
    if (!normalized)
        return;
    const char *path = normalized;
    struct stat st;
    if (stat(path, &st) != 0) {
        free(normalized);
        return;
    }
    size_t len = strlen(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (S_ISDIR(st.st_mode)) {
        if (looks_like_sink(path))
            check_sink(v, path);
        else
            check_job(v, path, JOB_DEPTH);
    } else if (len > 6 && strcmp(path + len - 6, ".jsonl") == 0) {
        check_jsonl(v, path);
    } else if (strcmp(base, "manifest.json") == 0) {
        char *dir = base == path ? strdup(".") : strndup(path, (size_t)(base - path));
        if (dir)
            check_sink(v, dir);
        free(dir);
    } else {
        check_json(v, path);
    }
    free(normalized);
}

/* Is the loader's error one of the problems already listed? */
static bool listed(const validation *v, const stormlog_error *err)
{
    if (!v->list || !err)
        return false;
    const char *file = stormlog_error_file(err);
    long line = stormlog_error_line(err), index = stormlog_error_index(err);
    for (size_t i = 0; i < json_object_array_length(v->list); i++) {
        json_object *p = json_object_array_get_idx(v->list, i), *x;
        json_object_object_get_ex(p, "message", &x);
        if (strcmp(json_object_get_string(x), stormlog_error_message(err)) != 0)
            continue;
        json_object_object_get_ex(p, "file", &x);
        if (file && (!x || strcmp(json_object_get_string(x), file) != 0))
            continue;
        json_object_object_get_ex(p, "line", &x);
        if ((x ? json_object_get_int64(x) : 0) != (line > 0 ? line : 0))
            continue;
        json_object_object_get_ex(p, "index", &x);
        if ((x ? json_object_get_int64(x) : -1) != (index >= 0 ? index : -1))
            continue;
        return true;
    }
    return false;
}

static bool path_is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Pass 1: the loader over everything. 1 valid, 0 rejected (*err set), -1 failed to open (*err set). */
static int stream_all(const cli_input *in, const stormlog_options *opts, uint64_t *events, stormlog_error **err)
{
    stormlog_stream *stream = NULL;
    if (stormlog_stream_open(in->path, opts, &stream, err) != STORMLOG_OK)
        return -1;
    const stormlog_event *ev;
    int got;
    cli_progress *progress = cli_progress_start("validating", in->path);
    while ((got = stormlog_stream_next(stream, &ev, err)) == 1)
        (*events)++;
    cli_progress_stop(progress);
    stormlog_stream_close(stream);
    return got == 0 ? 1 : 0;
}

int inspect_cmd_validate(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return cli_usage(validate_help, true);
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage(validate_help, false);
        if (res == CLI_ARG_TAKEN)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || in.path)
            return cli_usage(validate_help, false);
        in.path = argv[i];
    }
    if (!in.path)
        return cli_usage(validate_help, false);
    stormlog_options *opts = cli_input_options(&in);
    if (!opts)
        return cli_report_message(&in, "validate", "out of memory");

    uint64_t events = 0;
    stormlog_error *err = NULL;
    int verdict = stream_all(&in, opts, &events, &err);
    /* A path that cannot be read is the one problem; a JSON document the
     * loader refuses on opening (a non-object element) has records to walk. */
    stormlog_status code = err ? stormlog_error_code(err) : STORMLOG_E_NO_MEMORY;
    if (verdict < 0 && (code == STORMLOG_E_IO || code == STORMLOG_E_NO_MEMORY ||
                        code == STORMLOG_E_INVALID_ARGUMENT || !path_is_regular(in.path))) {
        /* Nothing to walk: the path itself is the problem. */
        bool json = in.json;
        in.json = false;
        int rc = cli_report_error(&in, "validate", err);
        if (json) {
            json_object *doc = json_object_new_object();
            json_object *problems = json_object_new_array();
            json_object *p = json_object_new_object();
            const char *msg = err ? stormlog_error_message(err) : "out of memory";
            json_object_object_add(p, "file", json_object_new_string(in.path));
            json_object_object_add(p, "line", NULL);
            json_object_object_add(p, "index", NULL);
            json_object_object_add(p, "message", json_object_new_string(msg));
            json_object_array_add(problems, p);
            json_object_object_add(doc, "path", json_object_new_string(in.path));
            json_object_object_add(doc, "valid", json_object_new_boolean(false));
            json_object_object_add(doc, "events", NULL);
            json_object_object_add(doc, "error", json_object_new_string(msg));
            json_object_object_add(doc, "problems", problems);
            cli_print_json(doc);
            json_object_put(doc);
        }
        stormlog_error_free(err);
        stormlog_options_free(opts);
        return rc;
    }
    validation v = {.in = &in, .opts = opts};
    if (verdict <= 0) {
        /* Collect before printing so that the loader's error can be added
         * when the walk did not meet it. */
        v.list = json_object_new_array();
        if (v.list) {
            walk(&v);
            if (!listed(&v, err)) {
                json_object *all = v.list;
                v.list = json_object_new_array();
                const char *file = stormlog_error_file(err);
                problem(&v, file ? file : in.path, stormlog_error_line(err), stormlog_error_index(err),
                        stormlog_error_message(err));
                for (size_t i = 0; v.list && i < json_object_array_length(all); i++)
                    json_object_array_add(v.list, json_object_get(json_object_array_get_idx(all, i)));
                json_object_put(all);
            }
        }
        v.problems = v.list ? json_object_array_length(v.list) : 1;
    }
    stormlog_error_free(err);
    stormlog_options_free(opts);

    int rc = v.problems ? CLI_EXIT_PROBLEM : 0;
    if (in.json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "path", json_object_new_string(in.path));
        json_object_object_add(doc, "valid", json_object_new_boolean(v.problems == 0));
        json_object_object_add(doc, "events", v.problems ? NULL : json_object_new_int64((int64_t)events));
        json_object_object_add(doc, "problems", v.list ? json_object_get(v.list) : json_object_new_array());
        if (!cli_print_json(doc))
            rc = CLI_EXIT_PROBLEM;
        json_object_put(doc);
    } else if (v.problems == 0) {
        cli_printf(stdout, "%s: valid, %llu events\n", in.path, (unsigned long long)events);
    } else {
        for (size_t i = 0; v.list && i < json_object_array_length(v.list); i++) {
            json_object *p = json_object_array_get_idx(v.list, i), *f, *l, *x, *m;
            json_object_object_get_ex(p, "file", &f);
            json_object_object_get_ex(p, "line", &l);
            json_object_object_get_ex(p, "index", &x);
            json_object_object_get_ex(p, "message", &m);
            const char *file = f ? json_object_get_string(f) : in.path;
            if (l)
                cli_printf(stdout, "%s:%lld: %s\n", file, (long long)json_object_get_int64(l), json_object_get_string(m));
            else if (x)
                cli_printf(stdout, "%s: index %lld: %s\n", file, (long long)json_object_get_int64(x), json_object_get_string(m));
            else
                cli_printf(stdout, "%s: %s\n", file, json_object_get_string(m));
        }
        cli_printf(stderr, "stormlog-inspect validate: %s: %llu problem%s\n", in.path, (unsigned long long)v.problems,
                v.problems == 1 ? "" : "s");
    }
    json_object_put(v.list);
    return rc;
}
