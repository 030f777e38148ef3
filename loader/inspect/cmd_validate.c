/* stormlog-inspect validate PATH: every problem, each with its file and line
 * (or index) and the specification's message; exit 1 if there is any.
 *
 * The loader does the reading (stormlog_check): the same discovery, the same
 * line splitting, the same rules and messages as a program loading the
 * input, going on after each bad record. Nothing of the input is kept:
 * errors are printed as they are found, and at most --max-findings of them
 * (and of the warnings) are kept or printed; the rest are counted. Warnings
 * are what the loader skips without failing: a torn last line, a segment the
 * manifest lists that is missing, a FIFO or symlink where a segment is, an
 * unsafe name in the manifest, a segment deleted while being read. They do
 * not make the input invalid. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_MAX_FINDINGS 1000

static const char validate_help[] =
    "usage: stormlog-inspect validate PATH [--json] [--max-findings N] [--events-key K]\n"
    "                                [--permissive-legacy 0|1]\n"
    "\n"
    "Checks every record of a recording (file, sink directory or job directory)\n"
    "against the v3 rules and lists every problem as FILE:LINE: message (JSON\n"
    "files: FILE: index N: message), with the specification's messages.\n"
    "Warnings (FILE[:LINE]: warning: message) name what loading skips without\n"
    "failing: a torn last line, a listed segment that is missing, a FIFO or\n"
    "symlink where a segment is, an unsafe manifest name, a segment deleted\n"
    "while being read. They do not make the recording invalid.\n"
    "At most N problems and N warnings are listed (default 1000, 0: no limit);\n"
    "the rest are counted. Memory stays bounded whatever the input's size.\n"
    "\n"
    "  --json                   {\"valid\", \"problems\": [{\"file\", \"line\", ...}]}\n"
    "  --max-findings N         list at most N problems and N warnings (default\n"
    "                           1000, 0: no limit)\n" CLI_INPUT_OPTIONS_HELP
    "Exit status: 0 when valid (warnings or not), 1 when a problem was found,\n"
    "2 on bad usage.\n";

typedef struct finding {
    stormlog_finding_severity severity;
    char *kind, *file, *message;
    long line, index;
} finding;

typedef struct finding_list {
    finding *items;
    size_t count;
    uint64_t total; /* kept or not */
} finding_list;

typedef struct validation {
    const cli_input *in;
    bool json;
    uint64_t max; /* 0: no limit */
    finding_list errors, warnings;
    bool out_of_memory;
} validation;

static void print_finding(const validation *v, stormlog_finding_severity severity, const char *file, long line,
                          long index, const char *message)
{
    const char *tag = severity == STORMLOG_FINDING_WARNING ? "warning: " : "";
    if (!file)
        file = v->in->path;
    if (line > 0)
        cli_printf(stdout, "%s:%ld: %s%s\n", file, line, tag, message);
    else if (index >= 0)
        cli_printf(stdout, "%s: index %ld: %s%s\n", file, index, tag, message);
    else
        cli_printf(stdout, "%s: %s%s\n", file, tag, message);
}

static bool keep(finding_list *list, const stormlog_finding *f)
{
    finding *grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (!grown)
        return false;
    list->items = grown;
    finding *k = &list->items[list->count];
    *k = (finding){f->severity, strdup(f->kind), f->file ? strdup(f->file) : NULL, strdup(f->message), f->line,
                   f->index};
    if (!k->kind || !k->message || (f->file && !k->file)) {
        free(k->kind);
        free(k->file);
        free(k->message);
        return false;
    }
    list->count++;
    return true;
}

/* Errors stream out (text) as they come; warnings wait for the verdict line. */
static void on_finding(void *ctx, const stormlog_finding *f)
{
    validation *v = ctx;
    bool warning = f->severity == STORMLOG_FINDING_WARNING;
    finding_list *list = warning ? &v->warnings : &v->errors;
    list->total++;
    if (v->max && list->total > v->max)
        return;
    if (!warning && !v->json) {
        print_finding(v, f->severity, f->file, f->line, f->index, f->message);
        return;
    }
    if (!keep(list, f))
        v->out_of_memory = true;
}

static void free_findings(finding_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].kind);
        free(list->items[i].file);
        free(list->items[i].message);
    }
    free(list->items);
}

static json_object *findings_json(const validation *v, const finding_list *list)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; arr && i < list->count; i++) {
        const finding *f = &list->items[i];
        json_object *p = json_object_new_object();
        json_object_object_add(p, "file", json_object_new_string(f->file ? f->file : v->in->path));
        json_object_object_add(p, "line", f->line > 0 ? json_object_new_int64(f->line) : NULL);
        json_object_object_add(p, "index", f->index >= 0 ? json_object_new_int64(f->index) : NULL);
        json_object_object_add(p, "severity",
                               json_object_new_string(f->severity == STORMLOG_FINDING_WARNING ? "warning" : "error"));
        json_object_object_add(p, "kind", json_object_new_string(f->kind));
        json_object_object_add(p, "message", json_object_new_string(f->message));
        json_object_array_add(arr, p);
    }
    return arr;
}

static void print_unlisted(const validation *v, const finding_list *list, const char *what)
{
    if (v->max && list->total > v->max)
        cli_printf(stdout, "%s: %llu more %s not listed (--max-findings %llu)\n", v->in->path,
                   (unsigned long long)(list->total - v->max), what, (unsigned long long)v->max);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* The path itself cannot be read: one error line, and with --json the
 * document with that one problem. */
static int report_unreadable(const cli_input *in, const stormlog_error *err)
{
    cli_input text_only = *in;
    text_only.json = false;
    int rc = cli_report_error(&text_only, "validate", err);
    if (!in->json)
        return rc;
    const char *msg = err ? stormlog_error_message(err) : "out of memory";
    json_object *doc = json_object_new_object();
    json_object *problems = json_object_new_array();
    json_object *p = json_object_new_object();
    json_object_object_add(p, "file", json_object_new_string(in->path));
    json_object_object_add(p, "line", NULL);
    json_object_object_add(p, "index", NULL);
    json_object_object_add(p, "severity", json_object_new_string("error"));
    json_object_object_add(p, "kind", json_object_new_string("file"));
    json_object_object_add(p, "message", json_object_new_string(msg));
    json_object_array_add(problems, p);
    json_object_object_add(doc, "path", json_object_new_string(in->path));
    json_object_object_add(doc, "valid", json_object_new_boolean(false));
    json_object_object_add(doc, "events", NULL);
    json_object_object_add(doc, "error", json_object_new_string(msg));
    json_object_object_add(doc, "problems", problems);
    json_object_object_add(doc, "problem_count", json_object_new_int64(1));
    json_object_object_add(doc, "warnings", json_object_new_array());
    json_object_object_add(doc, "warning_count", json_object_new_int64(0));
    cli_print_json(doc);
    json_object_put(doc);
    return rc;
}

static bool parse_count(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return false;
    *out = n;
    return true;
}

int inspect_cmd_validate(int argc, char **argv)
{
    cli_input in = {.permissive_legacy = 1};
    uint64_t max = DEFAULT_MAX_FINDINGS;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return cli_usage(validate_help, true);
        if (strcmp(argv[i], "--max-findings") == 0) {
            if (i + 1 >= argc || !parse_count(argv[++i], &max))
                return cli_usage(validate_help, false);
            continue;
        }
        cli_arg_result res = cli_input_arg(&in, argc, argv, &i);
        if (res == CLI_ARG_BAD)
            return cli_usage_error("validate", validate_help, "%s", in.problem);
        if (res == CLI_ARG_TAKEN)
            continue;
        if ((argv[i][0] == '-' && argv[i][1] != '\0') || in.path)
            return cli_unexpected_arg("validate", validate_help, argv[i], in.path);
        in.path = argv[i];
    }
    if (!in.path)
        return cli_usage_error("validate", validate_help, "no PATH given");
    stormlog_options *opts = cli_input_options(&in);
    if (!opts)
        return cli_report_message(&in, "validate", "out of memory");

    validation v = {.in = &in, .json = in.json, .max = max};
    uint64_t events = 0;
    stormlog_error *err = NULL;
    cli_progress *progress = cli_progress_start("validating", in.path);
    stormlog_status st = stormlog_check(in.path, opts, on_finding, &v, &events, &err);
    cli_progress_stop(progress);
    stormlog_options_free(opts);
    if (st != STORMLOG_OK) {
        int rc = report_unreadable(&in, err);
        stormlog_error_free(err);
        free_findings(&v.errors);
        free_findings(&v.warnings);
        return rc;
    }

    bool valid = v.errors.total == 0;
    int rc = valid ? 0 : CLI_EXIT_PROBLEM;
    if (in.json) {
        json_object *doc = json_object_new_object();
        json_object_object_add(doc, "path", json_object_new_string(in.path));
        json_object_object_add(doc, "valid", json_object_new_boolean(valid));
        json_object_object_add(doc, "events", valid ? json_object_new_int64((int64_t)events) : NULL);
        json_object_object_add(doc, "problems", findings_json(&v, &v.errors));
        json_object_object_add(doc, "problem_count", json_object_new_int64((int64_t)v.errors.total));
        json_object_object_add(doc, "warnings", findings_json(&v, &v.warnings));
        json_object_object_add(doc, "warning_count", json_object_new_int64((int64_t)v.warnings.total));
        if (!cli_print_json(doc))
            rc = CLI_EXIT_PROBLEM;
        json_object_put(doc);
    } else {
        if (valid) {
            cli_printf(stdout, "%s: valid, %llu events", in.path, (unsigned long long)events);
            if (v.warnings.total)
                cli_printf(stdout, ", %llu %s", (unsigned long long)v.warnings.total,
                           plural(v.warnings.total, "warning", "warnings"));
            cli_printf(stdout, "\n");
        }
        print_unlisted(&v, &v.errors, "problems");
        for (size_t i = 0; i < v.warnings.count; i++) {
            const finding *f = &v.warnings.items[i];
            print_finding(&v, f->severity, f->file, f->line, f->index, f->message);
        }
        print_unlisted(&v, &v.warnings, "warnings");
        if (!valid)
            cli_printf(stderr, "stormlog-inspect validate: %s: %llu %s\n", in.path,
                       (unsigned long long)v.errors.total, plural(v.errors.total, "problem", "problems"));
        if (fflush(stdout) != 0)
            rc = CLI_EXIT_PROBLEM;
    }
    if (v.out_of_memory)
        cli_printf(stderr, "stormlog-inspect validate: %s: out of memory: some findings were counted but not kept\n",
                   in.path);
    free_findings(&v.errors);
    free_findings(&v.warnings);
    return rc;
}
