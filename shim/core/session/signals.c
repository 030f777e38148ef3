/* SIGTERM / SIGINT / SIGHUP with the default disposition kill the process
 * without running atexit handlers or destructors: the session would stay
 * `running` and up to flush_every_ms of events would be lost. Where the
 * disposition is the default when the session starts, the shim installs a
 * handler that closes the session (a `stop` event with exit_path "signal"
 * and the signal number, everything flushed), then puts the default back and
 * raises the same signal, so the process dies of it with the same status.
 * A program's own handler (or SIG_IGN) is never replaced; one the program
 * installs later replaces ours, as it would replace the default.
 *
 * The handler itself does nothing that is not async-signal-safe: the thread
 * it interrupts may hold malloc's lock, a shim lock or be inside a device
 * step that closing the session waits for. The work is done by a closing
 * thread (asleep on a futex word, every signal blocked); the handler wakes
 * it and waits for it at most wait_ms. The handlers are installed by the
 * thread that starts the session, the closing thread is started by the
 * pipeline's writer (sl_signals_start_closer): a thread creation costs the
 * program's first allocation a few hundred microseconds on a VM, and the
 * first call already pays for the writer's (issue 14). A signal that comes
 * before the closing thread exists is not lost: the closing thread reads
 * the pending signal first thing. If it cannot finish
 * in time (the interrupted thread holds what it needs), the process dies of
 * the signal anyway, as it would have without the shim. */
#include "signals.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "futex.h"

static const int closing_signals[] = {SIGTERM, SIGINT, SIGHUP};

static _Atomic uint32_t pending_signal; /* futex word: the signal to close on */
static _Atomic uint32_t closed;         /* futex word: the session is closed */
static _Atomic uint32_t wait_limit_ms;
static bool closer_started;             /* the writer's (sl_signals_start_closer) */
static _Atomic bool closer_failed;      /* no thread could be started: arm nothing */

static void on_closing_signal(int signo)
{
    int saved_errno = errno;
    uint32_t none = 0;
    if (atomic_compare_exchange_strong(&pending_signal, &none, (uint32_t)signo)) {
        sl_futex_wake(&pending_signal, 1);
        int64_t give_up = sl_monotonic_ns() + (int64_t)atomic_load(&wait_limit_ms) * 1000000;
        while (!atomic_load(&closed)) {
            int64_t left = give_up - sl_monotonic_ns();
            if (left <= 0)
                break;
            sl_futex_wait(&closed, 0, left);
        }
    } /* else: another thread's signal is closing it; die now, as asked twice */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(signo, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(signo);
    errno = saved_errno; /* not reached: the default action ends the process */
}

static void *closer_main(void *arg)
{
    (void)arg;
    uint32_t signo;
    while ((signo = atomic_load(&pending_signal)) == 0)
        sl_futex_wait(&pending_signal, 0, -1);
    sl_lifecycle_close_on_signal((int)signo);
    atomic_store(&closed, 1);
    sl_futex_wake(&closed, INT_MAX);
    return NULL;
}

static bool start_closer(void)
{
    if (closer_started)
        return true;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_t thread;
    bool ok = pthread_attr_init(&attr) == 0;
    ok = ok && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0;
    ok = ok && pthread_create(&thread, &attr, closer_main, NULL) == 0;
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (ok) {
        pthread_setname_np(thread, "stormlog-signal");
        closer_started = true;
    }
    return ok;
}

static bool ours(const struct sigaction *sa)
{
    return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == on_closing_signal;
}

void sl_signals_arm(uint32_t wait_ms)
{
    if (atomic_load(&closer_failed))
        return; /* the writer could not start the closing thread */
    int saved_errno = errno;
    atomic_store(&wait_limit_ms, wait_ms);
    for (size_t i = 0; i < sizeof closing_signals / sizeof closing_signals[0]; i++) {
        struct sigaction old;
        if (sigaction(closing_signals[i], NULL, &old) != 0)
            continue;
        /* Ours already (a fork child inherits it): armed again below. */
        if (!ours(&old) && ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL))
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_closing_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t j = 0; j < sizeof closing_signals / sizeof closing_signals[0]; j++)
            sigaddset(&sa.sa_mask, closing_signals[j]);
        sa.sa_flags = SA_RESTART;
        sigaction(closing_signals[i], &sa, NULL);
    }
    errno = saved_errno;
}

void sl_signals_start_closer(void)
{
    int saved_errno = errno;
    if (!start_closer()) {
        /* No thread to close the session: the handler would only delay the
         * death the signal asks for. The default disposition comes back
         * where the handler is still ours (or is never installed, if the
         * session's thread has not got to it yet). */
        atomic_store(&closer_failed, true);
        for (size_t i = 0; i < sizeof closing_signals / sizeof closing_signals[0]; i++) {
            struct sigaction old;
            if (sigaction(closing_signals[i], NULL, &old) != 0 || !ours(&old))
                continue;
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigemptyset(&dfl.sa_mask);
            sigaction(closing_signals[i], &dfl, NULL);
        }
    }
    errno = saved_errno;
}

void sl_signals_atfork_child(void)
{
    closer_started = false;
    atomic_store(&closer_failed, false);
    atomic_store(&pending_signal, 0);
    atomic_store(&closed, 0);
}
