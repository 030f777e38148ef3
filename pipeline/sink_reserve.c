/* Room for the session's end on a full disk. The stop event (the exact books
 * of the whole run) and the final manifest are what make a recording
 * trustworthy; on a full disk they were lost while a backlog of ordinary
 * events kept failing. So the sink sets a little space aside when it opens
 * (a hidden file in its directory, allocated, not sparse) and gives it back
 * only for the end: the writer first puts what fits of the backlog on disk,
 * then writes the stop event; if that fails for space, the reserve is
 * deleted and the stop event written again; the manifest follows. Readers
 * look only at segment-*.jsonl and manifest.json, so the file is never
 * mistaken for data; a later writer in the same directory reuses it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fd_owner.h"
#include "sink.h"

#define RESERVE_NAME ".stormlog-reserve"

void sl_sink_make_reserve(sl_sink *s)
{
    int fd = sl_fd_lift(openat(s->dirfd, RESERVE_NAME, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (fd < 0)
        return;
    int e = posix_fallocate(fd, 0, SL_SINK_RESERVE_BYTES);
    if (e == EOPNOTSUPP || e == EINVAL) {
        /* No fallocate on this filesystem: written blocks hold the room. */
        static const char zeros[4096];
        off_t off = 0;
        e = 0;
        while (e == 0 && off < (off_t)SL_SINK_RESERVE_BYTES) {
            ssize_t w = pwrite(fd, zeros, sizeof zeros, off);
            if (w <= 0)
                e = w < 0 ? errno : EIO;
            else
                off += w;
        }
    }
    close(fd);
    s->has_reserve = e == 0;
    if (e != 0)
        unlinkat(s->dirfd, RESERVE_NAME, 0); /* no room even for that: nothing held */
}

bool sl_sink_release_reserve(sl_sink *s)
{
    bool had = s->has_reserve;
    if (s->dirfd >= 0 && (had || faccessat(s->dirfd, RESERVE_NAME, F_OK, AT_SYMLINK_NOFOLLOW) == 0))
        unlinkat(s->dirfd, RESERVE_NAME, 0);
    s->has_reserve = false;
    return had;
}
