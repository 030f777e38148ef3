#include "tmpdir.h"

#include "scratch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[4096];

const char *tmp_dir(void)
{
    if (!dir[0])
        scratch_make(dir, "loader");
    return dir;
}

void tmp_cleanup(void)
{
    if (dir[0])
        scratch_remove(dir);
    dir[0] = '\0';
}

char *tmp_path(const char *rel)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", tmp_dir(), rel) < 0)
        abort();
    return p;
}

void tmp_mkdir(const char *rel)
{
    char *p = tmp_path(rel);
    for (char *s = p + strlen(tmp_dir()) + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
    free(p);
}

char *tmp_write(const char *rel, const char *bytes, size_t len)
{
    char *p = tmp_path(rel);
    char *slash = strrchr(rel, '/');
    if (slash) {
        char *parent = strndup(rel, (size_t)(slash - rel));
        tmp_mkdir(parent);
        free(parent);
    }
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        perror(p);
        abort();
    }
    return p;
}

char *tmp_write_str(const char *rel, const char *text)
{
    return tmp_write(rel, text, strlen(text));
}

char *v3_line(const char *sid, long long ts, const char *event_type)
{
    char *line = NULL;
    if (asprintf(&line,
                 "{\"schema_version\": 3, \"session_id\": \"%s\", \"timestamp_ns\": %lld, "
                 "\"event_type\": \"%s\", \"collector\": \"stormlog.cuda_shim\", "
                 "\"sampling_interval_ms\": 0, \"pid\": 42, \"host\": \"node7\", \"device_id\": 0, "
                 "\"allocator_allocated_bytes\": 1024, \"allocator_reserved_bytes\": 2048, "
                 "\"allocator_active_bytes\": null, \"allocator_inactive_bytes\": null, "
                 "\"allocator_change_bytes\": 1024, \"device_used_bytes\": 4096, "
                 "\"device_free_bytes\": 8192, \"device_total_bytes\": 12288, \"context\": null, "
                 "\"metadata\": {\"api\": \"cudaMalloc\"}}\n",
                 sid, ts, event_type) < 0)
        abort();
    return line;
}

long hostile_divisor(void)
{
    const char *s = getenv("STORMLOG_HOSTILE_DIVISOR");
    long d = s ? atol(s) : 1;
    return d > 0 ? d : 1;
}
