/* Descriptors the shim owns inside someone else's process. A program may
 * close every descriptor above 2 (close_range(3, ~0U, 0), as daemons and
 * launchers do) and open its own files, which then get our old numbers: a
 * write through such a number lands in the program's file. So each of our
 * descriptors lives at a high number (the program's next open() takes the
 * lowest free one, never ours), remembers the identity (st_dev, st_ino) of
 * what we opened, and is checked against it before each use; a descriptor
 * that is no longer ours is forgotten (never closed: the number may be the
 * program's now) and the caller reopens by path. */
#ifndef STORMLOG_SHIM_PIPELINE_FD_OWNER_H
#define STORMLOG_SHIM_PIPELINE_FD_OWNER_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct sl_fd_identity {
    dev_t dev;
    ino_t ino;
} sl_fd_identity;

/* Takes over *fd: moves it to a high number (F_DUPFD_CLOEXEC; the original
 * is closed; where there is no room up there the number stays) and records
 * its identity in *id. false (descriptor closed, *fd = -1, errno set) when
 * fstat fails. */
bool sl_fd_own(int *fd, sl_fd_identity *id);

/* A descriptor the shim uses only for a moment (a temporary file, a
 * listing, a file read once) is moved up at once too: a program that runs
 * close_range() and then open() while the writer holds it would otherwise
 * get its number, and the writer would write into, or close, the program's
 * file. What is left is the one system call between our open and the move.
 * Returns the high descriptor (fd closed), fd itself where there is no room
 * up there, or -1 for -1 (errno kept). */
int sl_fd_lift(int fd);

/* dup(fd) straight to a high number: no low number ever held. -1 on error. */
int sl_fd_dup_high(int fd);

/* True when fd refers to the file id names. Preserves errno. */
bool sl_fd_is(int fd, const sl_fd_identity *id);

/* True when *fd still refers to the file we opened; otherwise *fd becomes -1
 * and nothing is closed. false for -1. */
bool sl_fd_still_ours(int *fd, const sl_fd_identity *id);

/* Closes *fd if it is still ours, else only forgets it; *fd = -1. */
void sl_fd_release(int *fd, const sl_fd_identity *id);

/* The lowest number sl_fd_own moves descriptors to. */
int sl_fd_high_base(void);

#endif
