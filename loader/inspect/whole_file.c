/* whole_file.h: PATH.tmp.PID, then rename(2), which replaces atomically. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "whole_file.h"

bool whole_file_write(const char *path, whole_file_fill fill, void *ctx, int *err)
{
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (!tmp) {
        *err = ENOMEM;
        return false;
    }
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    FILE *out = fopen(tmp, "w");
    *err = errno;
    bool ok = out != NULL;
    if (ok) {
        ok = fill(out, ctx);
        *err = errno;
        ok = fclose(out) == 0 && ok;
        if (!ok && *err == 0)
            *err = errno ? errno : EIO;
        if (ok && rename(tmp, path) != 0) {
            *err = errno;
            ok = false;
        }
        if (!ok)
            unlink(tmp);
    }
    free(tmp);
    return ok;
}
