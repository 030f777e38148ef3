/* The subcommands and report parts of the call-site views (callsite.h has
 * the model they share). */
#ifndef STORMLOG_INSPECT_STACKS_H
#define STORMLOG_INSPECT_STACKS_H

int inspect_cmd_stacks(int argc, char **argv);

#endif
