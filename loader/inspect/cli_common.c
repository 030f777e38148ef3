/* What every reading subcommand does the same way: input options, loading
 * with a progress line, and one-line errors that name the path. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

cli_arg_result cli_input_arg(cli_input *in, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--json") == 0) {
        in->json = true;
        return CLI_ARG_TAKEN;
    }
    if (strcmp(a, "--events-key") == 0 || strcmp(a, "--permissive-legacy") == 0) {
        if (*i + 1 >= argc) {
            in->problem = a[2] == 'e' ? "--events-key needs a key" : "--permissive-legacy needs 0 or 1";
            return CLI_ARG_BAD;
        }
        const char *v = argv[++*i];
        if (a[2] == 'e') {
            in->events_key = v;
            return CLI_ARG_TAKEN;
        }
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            in->problem = "--permissive-legacy takes 0 or 1";
            return CLI_ARG_BAD;
        }
        in->permissive_legacy = v[0] == '1';
        return CLI_ARG_TAKEN;
    }
    return CLI_ARG_NOT_MINE;
}

stormlog_options *cli_input_options(const cli_input *in)
{
    stormlog_options *opts = stormlog_options_new();
    if (!opts)
        return NULL;
    if (stormlog_options_set_events_key(opts, in->events_key) != STORMLOG_OK) {
        stormlog_options_free(opts);
        return NULL;
    }
    stormlog_options_set_permissive_legacy(opts, in->permissive_legacy != 0);
    /* Segments are parsed in parallel (json-c parsing is most of a load);
     * the result is the same as with one thread (tests/loader
     * loader_parallel_equivalence), only sooner. */
    stormlog_options_set_threads(opts, cli_thread_count());
    return opts;
}

int cli_usage(const char *text, bool to_stdout)
{
    fputs(text, to_stdout ? stdout : stderr);
    return to_stdout ? 0 : CLI_EXIT_USAGE;
}

int cli_usage_error(const char *command, const char *help, const char *fmt, ...)
{
    /* The problem often quotes an argument: escaped like every text output. */
    char problem[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    cli_printf(stderr, "stormlog-inspect %s: %s\n", command, problem);
    return cli_usage(help, false);
}

int cli_unexpected_arg(const char *command, const char *help, const char *arg, const char *path)
{
    if (arg[0] == '-' && arg[1] != '\0')
        return cli_usage_error(command, help, "unknown option %s", arg);
    return cli_usage_error(command, help, "one PATH only (%s, then %s)", path, arg);
}

static void print_error_json(const cli_input *in, const char *message, const stormlog_error *err)
{
    json_object *doc = json_object_new_object();
    if (!doc)
        return;
    json_object_object_add(doc, "error", json_object_new_string(message));
    json_object_object_add(doc, "path", in->path ? json_object_new_string(in->path) : NULL);
    if (err) {
        /* As the reference loader words it, for programs that compare. */
        json_object_object_add(doc, "loader_error", json_object_new_string(stormlog_error_message(err)));
        const char *file = stormlog_error_file(err);
        json_object_object_add(doc, "file", file ? json_object_new_string(file) : NULL);
        long line = stormlog_error_line(err), index = stormlog_error_index(err);
        json_object_object_add(doc, "line", line > 0 ? json_object_new_int64(line) : NULL);
        json_object_object_add(doc, "index", index >= 0 ? json_object_new_int64(index) : NULL);
    }
    cli_print_json(doc);
    json_object_put(doc);
}

/* strerror of opening PATH as a directory, or NULL when it is not a
 * directory or can be read. */
static const char *unreadable_dir(const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    DIR *d = opendir(path);
    if (d) {
        closedir(d);
        return NULL;
    }
    return strerror(errno);
}

/* json-c's word for what is wrong with line `line` of `file`, or NULL. */
static const char *malformed_detail(const char *file, long line)
{
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    ssize_t len = -1;
    for (long n = 0; n < line && (len = getline(&text, &cap, f)) >= 0; n++)
        ;
    fclose(f);
    const char *why = NULL;
    json_tokener *tok = len >= 0 ? json_tokener_new() : NULL;
    if (tok) {
        json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        /* A line that ends inside a value is "unexpected end of data". */
        if (!obj && e == json_tokener_continue)
            why = "unexpected end of the line";
        else if (!obj)
            why = json_tokener_error_desc(e);
        json_object_put(obj);
        json_tokener_free(tok);
    }
    free(text);
    return why;
}

/* The loader's errors are worded as the reference loader words them
 * (conformance compares them; `load` prints them as they are). The other
 * subcommands say the same in their own words, naming the path once:
 * "DIR: no such file or directory", "no recordings found in DIR",
 * "FILE:4: malformed JSON (...)", "FILE:4: <what the record lacks>". */
static void own_words(const cli_input *in, const stormlog_error *err, char *out, size_t cap)
{
    const char *message = stormlog_error_message(err);
    const char *file = stormlog_error_file(err);
    long line = stormlog_error_line(err), index = stormlog_error_index(err);
    const char *path = in->path ? in->path : "-";
    int errnum;
    if (stormlog_error_code(err) == STORMLOG_E_IO && sscanf(message, "[Errno %d]", &errnum) == 1) {
        const char *subject = file ? file : path;
        if (errnum == EISDIR)
            snprintf(out, cap, "no recordings found in %s", subject);
        else
            snprintf(out, cap, "%s: %s", subject, strerror(errnum));
        /* strerror capitalises; a message continues a sentence. */
        char *colon = strrchr(out, ':');
        if (errnum != EISDIR && colon && colon[1] == ' ' && colon[2] >= 'A' && colon[2] <= 'Z')
            colon[2] = (char)(colon[2] - 'A' + 'a');
        return;
    }
    char where[512];
    if (file && line > 0)
        snprintf(where, sizeof where, "%s:%ld", file, line);
    else if (file && index >= 0)
        snprintf(where, sizeof where, "%s: index %ld", file, index);
    else if (index >= 0)
        snprintf(where, sizeof where, "%s: index %ld", path, index);
    else
        snprintf(where, sizeof where, "%s", file ? file : path);
    if (stormlog_error_code(err) == STORMLOG_E_PARSE && strncmp(message, "Malformed telemetry JSONL", 25) == 0) {
        const char *why = malformed_detail(file, line);
        snprintf(out, cap, "%s: malformed JSON%s%s%s", where, why ? " (" : "", why ? why : "", why ? ")" : "");
        return;
    }
    snprintf(out, cap, "%s: %s", where, message);
}

int cli_report_error(const cli_input *in, const char *command, const stormlog_error *err)
{
    char words[1024];
    /* The loader (like Python) cannot tell an unreadable directory from one
     * with nothing in it; say which it was. */
    const char *why = unreadable_dir(in->path);
    if (!err)
        snprintf(words, sizeof words, "%s: out of memory", in->path ? in->path : "-");
    else if (why)
        snprintf(words, sizeof words, "%s: cannot read the directory: %s", in->path, why);
    else
        own_words(in, err, words, sizeof words);
    cli_printf(stderr, "stormlog-inspect %s: %s\n", command, words);
    if (in->json)
        print_error_json(in, words, err);
    return CLI_EXIT_PROBLEM;
}

int cli_report_message(const cli_input *in, const char *command, const char *message)
{
    cli_printf(stderr, "stormlog-inspect %s: %s: %s\n", command, in->path ? in->path : "-", message);
    if (in->json)
        print_error_json(in, message, NULL);
    return CLI_EXIT_PROBLEM;
}

void cli_warn(const char *command, const char *message)
{
    cli_printf(stderr, "stormlog-inspect %s: warning: %s\n", command, message);
}

stormlog_recording *cli_load(const cli_input *in, const char *command)
{
    stormlog_options *opts = cli_input_options(in);
    if (!opts) {
        cli_report_message(in, command, "out of memory");
        return NULL;
    }
    stormlog_recording *rec = NULL;
    stormlog_error *err = NULL;
    cli_progress *progress = cli_progress_start("loading", in->path);
    stormlog_status st = stormlog_load(in->path, opts, &rec, &err);
    cli_progress_stop(progress);
    stormlog_options_free(opts);
    if (st != STORMLOG_OK) {
        cli_report_error(in, command, err);
        stormlog_error_free(err);
        return NULL;
    }
    for (size_t i = 0; i < stormlog_recording_warning_count(rec); i++)
        cli_warn(command, stormlog_recording_warning(rec, i));
    return rec;
}

bool cli_print_json(json_object *obj)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (!text)
        return false;
    cli_write_json(stdout, text, len);
    fputc('\n', stdout);
    return !ferror(stdout);
}

bool cli_meta_int(json_object *meta, const char *key, int64_t *out)
{
    json_object *v;
    if (!meta || !json_object_object_get_ex(meta, key, &v) || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

const char *cli_meta_string(json_object *meta, const char *key)
{
    json_object *v;
    if (!meta || !json_object_object_get_ex(meta, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}
