/* The reading subcommands of stormlog-inspect (sessions, summary, events,
 * validate, convert) and the small helpers they share: human-readable
 * figures (human.c), text tables (table.c), the progress line (progress.c)
 * and the common option and error handling (cli_common.c). Everything goes
 * through the loader's public API; nothing here knows its internals. */
#ifndef STORMLOG_INSPECT_CLI_H
#define STORMLOG_INSPECT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stormlog/loader.h"

int inspect_cmd_sessions(int argc, char **argv);
int inspect_cmd_summary(int argc, char **argv);
int inspect_cmd_events(int argc, char **argv);
int inspect_cmd_validate(int argc, char **argv);
int inspect_cmd_convert(int argc, char **argv);
int inspect_cmd_rollups(int argc, char **argv);

#define CLI_EXIT_PROBLEM 1
#define CLI_EXIT_USAGE 2

/* ---- human.c: figures for people (--json always carries exact values) -- */

#define CLI_FIGURE_MAX 48

/* 0 B, 1023 B, 1.0 KiB, 12.5 MiB, 3.00 GiB (binary units). */
const char *cli_bytes(int64_t bytes, char out[CLI_FIGURE_MAX]);
/* +1.5 MiB / -200 B: a difference, always signed. */
const char *cli_bytes_signed(int64_t bytes, char out[CLI_FIGURE_MAX]);
/* 850 ns, 12.3 us, 4.56 ms, 2.50 s, 3m05s, 2h07m. */
const char *cli_duration(int64_t ns, char out[CLI_FIGURE_MAX]);
/* "" for one, "s" for any other count: "1 allocation", "2 allocations". */
const char *cli_plural(uint64_t n);
/* 2023-11-14T22:13:20.123Z (UTC, milliseconds). */
const char *cli_timestamp(int64_t ns, char out[CLI_FIGURE_MAX]);

/* ---- safe_text.c: text a recording cannot use to drive the terminal --- */

/* Every text output goes through these: control characters (C0, DEL, C1)
 * and bytes that are not UTF-8 are written as visible escapes (\x1b,
 * \u009b). cli_printf and cli_safe_write keep line breaks and tabs (the
 * format's own); cli_safe_text escapes them too (one table cell, one value)
 * and returns a malloc'd copy, NULL when out of memory. */
int cli_printf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_safe_write(FILE *out, const char *s, size_t n);
char *cli_safe_text(const char *s, bool keep_breaks);
/* JSON text as the encoder made it, plus \u escapes for DEL and C1, which
 * json-c leaves raw (the same string to any JSON parser). */
void cli_write_json(FILE *out, const char *s, size_t n);

/* ---- table.c: columns sized to their widest cell ---------------------- */

typedef struct cli_table cli_table;

/* NULL when out of memory. */
cli_table *cli_table_new(size_t columns);
/* Adds one row of `columns` cells (copied). false when out of memory. */
bool cli_table_row(cli_table *t, const char *const *cells);
/* Prints the rows with two spaces between columns and `indent` spaces before
 * each row; trailing spaces are not written. */
void cli_table_print(const cli_table *t, FILE *out, int indent);
void cli_table_free(cli_table *t);

/* ---- progress.c: a progress line on a terminal, nothing elsewhere ----- */

typedef struct cli_progress cli_progress;

/* Starts watching work on PATH when stderr is a terminal; NULL (and nothing
 * ever printed) when it is not or when the thread cannot start. The line
 * appears only after the work has taken a couple of seconds
 * (STORMLOG_INSPECT_PROGRESS_DELAY_MS overrides, for tests). */
cli_progress *cli_progress_start(const char *verb, const char *path);
/* Clears the line and stops the thread. NULL is fine. */
void cli_progress_stop(cli_progress *p);

/* ---- parallel.c: independent items on every processor ---------------- */

/* Online processors, 1..64: the loader's segment threads and the per-session
 * work below. */
unsigned cli_thread_count(void);
/* One item; false stops the others from taking more (out of memory). */
typedef bool (*cli_item_fn)(void *ctx, size_t index);
/* Calls fn(ctx, i) for every i in [0, count), each once, on up to
 * cli_thread_count() threads (the caller's among them); items must not share
 * mutable state. false when an item failed (some may then not have run). */
bool cli_parallel_for(size_t count, cli_item_fn fn, void *ctx);

/* ---- cli_common.c ------------------------------------------------------ */

/* The --help text of the input options every reading subcommand takes. */
#define CLI_INPUT_OPTIONS_HELP                                                                                         \
    "  --events-key K           JSON input: the top-level key that holds the list of\n"                               \
    "                           events\n"                                                                              \
    "  --permissive-legacy 0|1  1 (default): records without schema_version are read\n"                              \
    "                           as legacy records and converted; 0: they are refused\n"

/* Input options every reading subcommand takes. */
typedef struct cli_input {
    const char *path;
    const char *events_key;
    int permissive_legacy; /* 1 (default) or 0 */
    bool json;             /* --json */
    const char *problem;   /* why cli_input_arg answered CLI_ARG_BAD */
} cli_input;

typedef enum { CLI_ARG_NOT_MINE = 0, CLI_ARG_TAKEN, CLI_ARG_BAD } cli_arg_result;

/* Recognises --json, --events-key K, --permissive-legacy 0|1 at argv[*i]
 * (advancing *i past a value). */
cli_arg_result cli_input_arg(cli_input *in, int argc, char **argv, int *i);
/* Options for the loader from the input flags; NULL when out of memory. */
stormlog_options *cli_input_options(const cli_input *in);

/* Prints usage text to stdout (for --help, returns 0) or stderr (returns 2). */
int cli_usage(const char *text, bool to_stdout);
/* A usage error: one line "stormlog-inspect CMD: PROBLEM" on stderr, then
 * the usage text; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *help, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The usage error for an argument no option took: an unknown option, or a
 * second PATH when `path` is already set. */
int cli_unexpected_arg(const char *command, const char *help, const char *arg, const char *path);

/* Loads in->path with a progress line on a terminal. On failure reports the
 * error (cli_report_error) and returns NULL. */
stormlog_recording *cli_load(const cli_input *in, const char *command);

/* One line on stderr naming the path: "stormlog-inspect CMD: PATH: message
 * (file F, line N)"; with --json also {"error":..., "path":...} on stdout.
 * Returns CLI_EXIT_PROBLEM. */
int cli_report_error(const cli_input *in, const char *command, const stormlog_error *err);
/* "stormlog-inspect CMD: warning: message" on stderr (the loader's warnings). */
void cli_warn(const char *command, const char *message);
/* The same for a message of our own. */
int cli_report_message(const cli_input *in, const char *command, const char *message);

/* Writes a json-c value (pretty when asked) and a newline to stdout; false
 * when stdout fails. */
bool cli_print_json(json_object *obj);

/* A metadata member of an event as an int64 (false when absent or not an int). */
bool cli_meta_int(json_object *meta, const char *key, int64_t *out);
/* A metadata member as a string (borrowed from meta), or NULL. */
const char *cli_meta_string(json_object *meta, const char *key);

#endif
