/* Calls that change the process under the shim: exec and the user-id
 * changes. Before each, the session is put on disk.
 *
 * exec without fork replaces the process image: the writer thread and the
 * ring vanish with it, and what the writer had not flushed yet (up to
 * flush_every_ms of events, often the whole session of a short first
 * image) is lost. The next image (same pid, same directory) marks a session
 * it finds `running` as `interrupted`; for that the session must be on disk.
 * So each exec first waits, bounded, for the writer to write and sync what
 * was emitted so far (and the manifest that lists the session). If the exec
 * fails, the session simply goes on.
 *
 * Hooked: the argv forms (execve, execv, execvp, execvpe, fexecve) and the
 * list forms (execl, execlp, execle). glibc's list forms build an argv and
 * call execve internally, past the PLT, so they are hooked themselves: the
 * list becomes an argv in pages of our own (mmap: async-signal-safe, as exec
 * is, and nothing large on the program's stack) and goes to the real argv
 * form. In a vfork or posix_spawn child (which shares the parent's memory)
 * nothing is done: the session is the parent's.
 *
 * setuid, seteuid, setreuid, setresuid: a process that drops root after
 * recording began can no longer create files in its 0700 sink directory
 * (new segments, the manifest's replacement). What was recorded before is
 * written first, with the same bounded wait; afterwards the open segment
 * still takes events through its descriptor, and the writer says why the
 * rest is missing (writer.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lifecycle.h"
#include "resolve.h"

#define SL_EXPORT __attribute__((visibility("default")))

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*setuid_fn)(uid_t);
typedef int (*setreuid_fn)(uid_t, uid_t);
typedef int (*setresuid_fn)(uid_t, uid_t, uid_t);

static void *real_named(void *_Atomic *cache, const char *name)
{
    void *fn = atomic_load_explicit(cache, memory_order_acquire);
    if (fn == NULL) {
        fn = sl_resolve_next(name);
        atomic_store_explicit(cache, fn, memory_order_release);
    }
    return fn;
}

#define REAL(type, name)                                                      \
    static void *_Atomic cache_##name;                                        \
    type real = (type)real_named(&cache_##name, #name);                       \
    if (real == NULL) {                                                       \
        errno = ENOSYS;                                                       \
        return -1;                                                            \
    }                                                                         \
    sl_lifecycle_sync_to_disk()

SL_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    REAL(execve_fn, execve);
    return real(path, argv, envp);
}

SL_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    REAL(execve_fn, execvpe);
    return real(file, argv, envp);
}

SL_EXPORT int execv(const char *path, char *const argv[])
{
    REAL(execv_fn, execv);
    return real(path, argv);
}

SL_EXPORT int execvp(const char *file, char *const argv[])
{
    REAL(execv_fn, execvp);
    return real(file, argv);
}

SL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    REAL(fexecve_fn, fexecve);
    return real(fd, argv, envp);
}

/* The argv of a list form: its arguments up to the terminating NULL, in a
 * mapping of their own; NULL (errno set) when it cannot be made. */
static char **list_to_argv(const char *arg0, va_list *ap, size_t *map_len)
{
    va_list count;
    va_copy(count, *ap);
    size_t n = 1;
    while (va_arg(count, char *) != NULL)
        n++;
    va_end(count);
    *map_len = (n + 1) * sizeof(char *);
    char **argv = mmap(NULL, *map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (argv == MAP_FAILED)
        return NULL;
    argv[0] = (char *)arg0;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(*ap, char *); /* the last is the NULL: *ap ends past it */
    return argv;
}

/* exec returned: it failed. The argv pages go back; the program reads the
 * exec's errno, not munmap's. */
static int list_exec_failed(char **argv, size_t map_len)
{
    int saved = errno;
    munmap(argv, map_len);
    errno = saved;
    return -1;
}

/* execl and execlp: the list as an argv to their argv form. */
static int exec_list(execv_fn real, const char *target, const char *arg, va_list *ap)
{
    size_t len;
    char **argv = list_to_argv(arg, ap, &len);
    if (argv == NULL)
        return -1;
    real(target, argv);
    return list_exec_failed(argv, len);
}

SL_EXPORT int execl(const char *path, const char *arg, ...)
{
    REAL(execv_fn, execv);
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(real, path, arg, &ap);
    va_end(ap);
    return rc;
}

SL_EXPORT int execlp(const char *file, const char *arg, ...)
{
    REAL(execv_fn, execvp);
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(real, file, arg, &ap);
    va_end(ap);
    return rc;
}

/* execle's environment follows the list's NULL. */
SL_EXPORT int execle(const char *path, const char *arg, ...)
{
    REAL(execve_fn, execve);
    va_list ap;
    va_start(ap, arg);
    size_t len;
    char **argv = list_to_argv(arg, &ap, &len);
    char *const *envp = argv != NULL ? va_arg(ap, char *const *) : NULL;
    va_end(ap);
    if (argv == NULL)
        return -1;
    real(path, argv, envp);
    return list_exec_failed(argv, len);
}

SL_EXPORT int setuid(uid_t uid)
{
    REAL(setuid_fn, setuid);
    return real(uid);
}

SL_EXPORT int seteuid(uid_t euid)
{
    REAL(setuid_fn, seteuid);
    return real(euid);
}

SL_EXPORT int setreuid(uid_t ruid, uid_t euid)
{
    REAL(setreuid_fn, setreuid);
    return real(ruid, euid);
}

SL_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
    REAL(setresuid_fn, setresuid);
    return real(ruid, euid, suid);
}
