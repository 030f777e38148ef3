/* See fd_owner.h for why the shim's descriptors are checked before each use. */
#define _GNU_SOURCE
#include "fd_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Three quarters of the way to the soft limit (at most 49152): far above the
 * numbers a program's own opens take (the lowest free one), and below the
 * limit so that the program keeps the top quarter. With the usual soft limit
 * of 1024 that is 768, still below FD_SETSIZE for programs that select(). */
int sl_fd_high_base(void)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur < 64)
        return 3;
    rlim_t cap = lim.rlim_cur > 65536 ? 65536 : lim.rlim_cur;
    return (int)(cap / 4 * 3);
}

int sl_fd_lift(int fd)
{
    if (fd < 0)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, sl_fd_high_base());
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

int sl_fd_dup_high(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, sl_fd_high_base());
}

bool sl_fd_own(int *fd, sl_fd_identity *id)
{
    *fd = sl_fd_lift(*fd);
    struct stat st;
    if (fstat(*fd, &st) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        errno = e;
        return false;
    }
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    return true;
}

bool sl_fd_is(int fd, const sl_fd_identity *id)
{
    if (fd < 0)
        return false;
    int saved = errno;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino;
    errno = saved;
    return same;
}

bool sl_fd_still_ours(int *fd, const sl_fd_identity *id)
{
    if (sl_fd_is(*fd, id))
        return true;
    *fd = -1;
    return false;
}

void sl_fd_release(int *fd, const sl_fd_identity *id)
{
    if (sl_fd_still_ours(fd, id))
        close(*fd);
    *fd = -1;
}
