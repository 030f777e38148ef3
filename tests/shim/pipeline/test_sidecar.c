/* A sidecar (rollups.json, lifetime.json) is replaced so that a process
 * killed at any moment leaves the old file or the new one, never part of
 * either. The writer is killed while it writes a replacement large enough
 * to be caught in the act. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sidecar.h"
#include "sink_reader.h"

static char root[4096];
static void setup_root(void) { tmp_dir(root, "sidecar"); }
static void teardown_root(void) { rm_rf(root); }

#define BIG (64u << 20)

/* Any file of the directory other than the sidecar has grown, or the
 * sidecar is not the old one any more: the replacement is under way. */
static bool writing_started(const char *dir, const char *name, off_t old_size)
{
    DIR *d = opendir(dir);
    bool started = false;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && !started) {
        if (e->d_name[0] == '.')
            continue;
        char p[8300];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0)
            continue;
        started = strcmp(e->d_name, name) == 0 ? st.st_size != old_size : st.st_size > 0;
    }
    if (d)
        closedir(d);
    return started;
}

Test(sidecar, a_kill_during_the_rewrite_leaves_the_old_or_the_new_file, .init = setup_root, .fini = teardown_root)
{
    int dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cr_assert_geq(dirfd, 0);
    const char old[] = "{\"old\": true}\n";
    cr_assert_eq(sl_sidecar_replace(dirfd, "x.json", old, sizeof old - 1), 0);

    pid_t pid = fork();
    if (pid == 0) {
        char *big = malloc(BIG);
        if (!big)
            _exit(3);
        memset(big, 'a', BIG);
        _exit(sl_sidecar_replace(dirfd, "x.json", big, BIG) == 0 ? 0 : 4);
    }
    struct timespec pause = {0, 200 * 1000};
    for (int i = 0; i < 50000 && !writing_started(root, "x.json", (off_t)(sizeof old - 1)); i++)
        nanosleep(&pause, NULL);
    kill(pid, SIGKILL);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);

    char p[8300];
    snprintf(p, sizeof p, "%s/x.json", root);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0, "the sidecar is never missing once written");
    if (st.st_size == (off_t)(sizeof old - 1)) {
        FILE *f = fopen(p, "rb");
        char buf[64] = {0};
        cr_assert_eq(fread(buf, 1, sizeof buf, f), sizeof old - 1);
        fclose(f);
        cr_assert_str_eq(buf, old, "the old file, whole");
    } else {
        cr_assert_eq(st.st_size, (off_t)BIG, "the new file, whole (got %lld bytes)", (long long)st.st_size);
    }
    close(dirfd);
}

Test(sidecar, a_failed_rewrite_removes_its_temporary_file, .init = setup_root, .fini = teardown_root)
{
    int dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cr_assert_geq(dirfd, 0);
    char p[8300];
    snprintf(p, sizeof p, "%s/x.json", root);
    cr_assert_eq(mkdir(p, 0700), 0); /* rename() over a directory fails */
    cr_assert_neq(sl_sidecar_replace(dirfd, "x.json", "{}\n", 3), 0);
    DIR *d = opendir(root);
    struct dirent *e;
    size_t entries = 0;
    while ((e = readdir(d)) != NULL)
        entries += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(entries, 1, "only the directory in the way is left");
    close(dirfd);
}
