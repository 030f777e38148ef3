/* Opening inputs safely: regular files only (a FIFO would block us, a device
 * would never end), optionally refusing a final symlink, with errors worded
 * as Python's OSError words them ("[Errno 21] Is a directory: 'x'"). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* errno is err afterwards: callers tell a vanished file (ENOENT) apart. */
static bool os_error(sl_fail_info *f, int err, const char *path)
{
    sl_failf(f, STORMLOG_E_IO, "[Errno %d] %s: '%s'", err, strerror(err), path);
    sl_fail_where(f, path, 0, -1);
    errno = err;
    return false;
}

int sl_open_regular(const char *path, bool allow_symlink, sl_fail_info *f)
{
    int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (allow_symlink ? 0 : O_NOFOLLOW);
    int fd = open(path, flags);
    if (fd < 0) {
        os_error(f, errno == ELOOP && !allow_symlink ? ELOOP : errno, path);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        os_error(f, e, path);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        os_error(f, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, path);
        if (!S_ISDIR(st.st_mode))
            sl_failf(f, STORMLOG_E_IO, "Not a regular file: '%s'", path);
        return -1;
    }
    /* Regular files never block; drop O_NONBLOCK so reads behave plainly. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

char *sl_read_whole_file(const char *path, size_t *len, sl_fail_info *f)
{
    int fd = sl_open_regular(path, true, f);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
        return NULL;
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= ((size_t)1 << 31)) {
                free(buf);
                close(fd);
                sl_failf(f, STORMLOG_E_LIMIT, "JSON document larger than 2 GiB: '%s'", path);
                return NULL;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                sl_failf(f, STORMLOG_E_NO_MEMORY, "out of memory");
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            os_error(f, e, path);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}
