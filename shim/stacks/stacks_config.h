/* STORMLOG_STACKS, STORMLOG_STACK_DEPTH, STORMLOG_STACK_TABLE. Read by the
 * stacks part itself at load (core/config.c is compiled alone into tests
 * that know nothing of stacks); a bad value is kept as a problem line that
 * the process that records says when its session starts, as the shim's
 * other settings are. */
#ifndef STORMLOG_SHIM_STACKS_STACKS_CONFIG_H
#define STORMLOG_SHIM_STACKS_STACKS_CONFIG_H

#include <stddef.h>

#include "stacks.h"

typedef struct sl_stacks_config {
    sl_stacks_mode mode;
    unsigned depth;
    unsigned table_max;
} sl_stacks_config;

/* Fills cfg from the environment; a line per bad value goes to note. */
void sl_stacks_config_read(sl_stacks_config *cfg, void (*note)(const char *fmt, ...))
    __attribute__((visibility("hidden")));

#endif
