#include "stacks_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DEPTH 32u
#define DEFAULT_TABLE 65536u

/* Digits only, in [1, max]; else the default, with a line. */
static unsigned read_count(const char *name, unsigned fallback, unsigned max, void (*note)(const char *fmt, ...))
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        return fallback;
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = (*v >= '0' && *v <= '9') ? strtoull(v, &end, 10) : 0;
    if (end == NULL || errno != 0 || *end != '\0' || parsed < 1 || parsed > max) {
        note("%s='%.64s' is not an integer in [1, %u]; using %u", name, v, max, fallback);
        return fallback;
    }
    return (unsigned)parsed;
}

void sl_stacks_config_read(sl_stacks_config *cfg, void (*note)(const char *fmt, ...))
{
    static const struct {
        const char *name;
        sl_stacks_mode mode;
    } modes[] = {{"off", SL_STACKS_OFF}, {"python", SL_STACKS_PYTHON}, {"native", SL_STACKS_NATIVE}, {"all", SL_STACKS_ALL}};
    cfg->mode = SL_STACKS_DEFAULT;
    const char *v = getenv("STORMLOG_STACKS");
    if (v != NULL && v[0] != '\0') {
        size_t i = 0;
        while (i < sizeof modes / sizeof modes[0] && strcmp(v, modes[i].name) != 0)
            i++;
        if (i < sizeof modes / sizeof modes[0])
            cfg->mode = modes[i].mode;
        else
            note("STORMLOG_STACKS='%.64s' is not off, python, native or all; using all", v);
    }
    cfg->depth = read_count("STORMLOG_STACK_DEPTH", DEFAULT_DEPTH, SL_STACKS_DEPTH_MAX, note);
    cfg->table_max = read_count("STORMLOG_STACK_TABLE", DEFAULT_TABLE, SL_STACKS_TABLE_MAX, note);
}
