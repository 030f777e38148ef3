/* Where a process records: one directory per process, named so that ranks
 * and processes never collide and sort sensibly:
 *
 *   <output_dir>/<job id or "local">/rank-00003-<host>-<pid>/
 *
 * The output directory is the user's: created if missing and followed if it
 * is a symlink. Below it, the shim creates the directories itself (mode
 * 0700; 0750 under STORMLOG_SHARE_GROUP) and opens each with O_NOFOLLOW: a symlink planted where our job or
 * rank directory should be is refused, never followed, so nobody can point
 * our writes at a file of their choosing. */
#include "fd_owner.h"
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_PART_MAX 64

static bool share_group;

void sl_sink_share_with_group(bool on)
{
    share_group = on;
}

unsigned sl_sink_dir_mode(void)
{
    return share_group ? 0750u : 0700u;
}

unsigned sl_sink_file_mode(void)
{
    return share_group ? 0640u : 0600u;
}
#define LOCKED_NAME_TRIES 16

/* A host or job id as one path component: [A-Za-z0-9._-] kept, anything else
 * '_', no leading '.', never empty, at most NAME_PART_MAX bytes. */
static void path_component(const char *in, char out[NAME_PART_MAX + 1])
{
    size_t n = 0;
    for (; in && in[n] && n < NAME_PART_MAX; n++) {
        char c = in[n];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_' || (c == '.' && n > 0);
        out[n] = keep ? c : '_';
    }
    if (n == 0)
        out[n++] = '_';
    out[n] = '\0';
}

/* mkdir -p for the user's output directory. */
static int make_output_dir(const char *dir)
{
    size_t len = strlen(dir);
    if (len == 0 || len >= 4096)
        return ENAMETOOLONG;
    char *tmp = strdup(dir); /* on the heap: no frame of the shim is big */
    if (!tmp)
        return ENOMEM;
    for (size_t i = 1; i <= len; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char saved = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, (mode_t)sl_sink_dir_mode()) != 0 && errno != EEXIST) {
            int e = errno;
            free(tmp);
            return e;
        }
        tmp[i] = saved;
    }
    free(tmp);
    return 0;
}

/* A directory another user created (their segments would be merged into our
 * recording) or that others may write into (they could plant files) is not
 * ours to record in. Checked on the opened descriptor, so a rename between
 * the check and the use changes nothing. */
static bool ours_alone(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

#define NOT_OURS (-2)

/* mkdirat + open, refusing a symlink. Returns fd, NOT_OURS for a directory
 * that is not ours alone (see ours_alone), or -1 with errno (ELOOP for a
 * symlink). */
static int open_child_dir(int parent, const char *name)
{
    if (mkdirat(parent, name, (mode_t)sl_sink_dir_mode()) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    if (S_ISLNK(st.st_mode)) {
        errno = ELOOP;
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    int fd = sl_fd_lift(openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd >= 0 && !ours_alone(fd)) {
        close(fd);
        errno = EACCES;
        return NOT_OURS;
    }
    return fd;
}

static const char *reason(int e)
{
    return e == ELOOP ? "it is a symlink; refusing to follow it" : strerror(e);
}

int sl_sink_dir_create(const char *output_dir, const sl_session_info *session, char *path, size_t path_cap,
                       char *why, size_t why_cap)
{
    int e = make_output_dir(output_dir);
    if (e != 0) {
        snprintf(why, why_cap, "cannot create output directory %s: %s", output_dir, strerror(e));
        return -1;
    }
    int rootfd = sl_fd_lift(open(output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (rootfd < 0) {
        snprintf(why, why_cap, "cannot open output directory %s: %s", output_dir, strerror(errno));
        return -1;
    }

    char job[NAME_PART_MAX + 1];
    if (session->has_job_id)
        path_component(session->job_id, job);
    else
        strcpy(job, "local");
    /* Another user's job directory under a shared root: the next free
     * name. Every rank of ours takes the same one (the first that is ours). */
    char job_name[NAME_PART_MAX + 8];
    int jobfd = NOT_OURS;
    for (int attempt = 0; jobfd == NOT_OURS && attempt < LOCKED_NAME_TRIES; attempt++) {
        if (attempt == 0)
            snprintf(job_name, sizeof job_name, "%s", job);
        else
            snprintf(job_name, sizeof job_name, "%s.%d", job, attempt);
        jobfd = open_child_dir(rootfd, job_name);
    }
    e = errno;
    close(rootfd);
    if (jobfd < 0) {
        snprintf(why, why_cap, "cannot create %s/%s: %s", output_dir, job_name,
                 jobfd == NOT_OURS ? "every name is taken by directories of other users" : reason(e));
        return -1;
    }

    char host[NAME_PART_MAX + 1];
    path_component(session->host, host);
    char base[3 * NAME_PART_MAX];
    snprintf(base, sizeof base, "rank-%05" PRId64 "-%s-%" PRId64, session->rank < 0 ? 0 : session->rank, host,
             session->pid);

    for (int attempt = 0; attempt < LOCKED_NAME_TRIES; attempt++) {
        char name[sizeof base + 8];
        if (attempt == 0)
            snprintf(name, sizeof name, "%s", base);
        else
            snprintf(name, sizeof name, "%s.%d", base, attempt);
        int fd = open_child_dir(jobfd, name);
        if (fd == NOT_OURS)
            continue; /* another user's directory: a fresh name */
        if (fd < 0) {
            e = errno;
            snprintf(why, why_cap, "cannot create %s/%s/%s: %s", output_dir, job_name, name, reason(e));
            close(jobfd);
            return -1;
        }
        /* A live writer holds its directory's lock. Filesystems without
         * flock support (ENOLCK, EINVAL) record unlocked: better than not
         * at all, and one process per directory is the normal case anyway. */
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
            close(fd);
            continue;
        }
        close(jobfd);
        snprintf(path, path_cap, "%s/%s/%s", output_dir, job_name, name);
        return fd;
    }
    close(jobfd);
    snprintf(why, why_cap, "every directory name for %s/%s/%s is held by a live writer or another user", output_dir,
             job_name, base);
    return -1;
}
