#define _GNU_SOURCE
#include "sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "fd_owner.h"
#include "sink.h"

/* <name>.<pid>.<32 lowercase hex>.tmp, as the reference names its temporary. */
static void temp_name(const char *name, char *out, size_t cap)
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        uint64_t a = (uint64_t)sl_monotonic_ns(), b = (uint64_t)sl_realtime_ns() ^ (uint64_t)(uintptr_t)out;
        for (int i = 0; i < 8; i++) {
            r[i] = (unsigned char)(a >> (8 * i));
            r[8 + i] = (unsigned char)(b >> (8 * i));
        }
    }
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(out, cap, "%s.%ld.%s.tmp", name, (long)getpid(), hex);
}

int sl_sidecar_replace(int dirfd, const char *name, const char *data, size_t len)
{
    char tmp[256];
    temp_name(name, tmp, sizeof tmp);
    int fd = sl_fd_lift(openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                               (mode_t)sl_sink_file_mode()));
    if (fd < 0)
        return errno;
    int err = 0;
    for (size_t off = 0; off < len && err == 0;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno != EINTR)
            err = errno;
        else if (n == 0)
            err = EIO;
    }
    if (err == 0 && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && renameat(dirfd, tmp, dirfd, name) != 0)
        err = errno;
    if (err != 0) {
        unlinkat(dirfd, tmp, 0);
        return err;
    }
    return 0;
}

void sl_sidecar_sync_dir(int dirfd)
{
    fsync(dirfd);
}
