/* stormlog-inspect: a thin front over the loader's public API. Each
 * subcommand lives in its own cmd_<name>.c and registers in main.c's table. */
#ifndef STORMLOG_INSPECT_H
#define STORMLOG_INSPECT_H

#include <stdio.h>

#include "stormlog/loader.h"

/* A subcommand: argv[0] is the subcommand's name. Returns the exit status. */
typedef int (*inspect_cmd_fn)(int argc, char **argv);

typedef struct inspect_cmd {
    const char *name;
    const char *summary;
    inspect_cmd_fn run;
} inspect_cmd;

int inspect_cmd_load(int argc, char **argv);

/* Shared helpers (main.c). */
/* Print {"error": message} on stdout and the location on stderr; returns
 * CLI_EXIT_PROBLEM (cli.h, the one set of exit codes). */
int inspect_report_error(const stormlog_error *err);
/* Write a json-c value compactly to out. */
void inspect_print_json(FILE *out, json_object *obj);

#endif
