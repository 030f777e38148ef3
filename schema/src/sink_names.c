#include "stormlog/schema/sink_names.h"

#include <string.h>

#define SEGMENT_PREFIX "segment-"
#define SEGMENT_SUFFIX ".jsonl"

bool sl_sink_is_segment_name(const char *name)
{
    size_t n = strlen(name), p = strlen(SEGMENT_PREFIX), s = strlen(SEGMENT_SUFFIX);
    return n >= p + s && strncmp(name, SEGMENT_PREFIX, p) == 0 && strcmp(name + n - s, SEGMENT_SUFFIX) == 0;
}

bool sl_sink_is_plain_name(const char *name, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) /* no memchr: the schema core keeps to a few libc calls */
        if (name[i] == '/' || name[i] == '\0')
            return false;
    return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}
