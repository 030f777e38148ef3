/* The events' wall clock (wallclock.h).
 *
 * State: one anchor {tsc, ns, mult, limit}, published under a sequence
 * counter (a seqlock): readers copy it and retry when the counter moved or
 * was odd; one writer at a time, the thread whose compare-and-swap made the
 * counter odd. Readers never wait on a writer: a reader that finds the
 * anchor being written, or too old, reads clock_gettime itself, which is
 * always right, only slower.
 *
 *   ns = anchor.ns + (tsc - anchor.tsc) * mult / 2^32
 *
 * mult is nanoseconds per TSC tick in 32.32 fixed point, measured between two
 * anchors (first over the first 20 ms, then over each 100 ms renewal). The
 * decision and the first 20 ms run on a background thread (the pipeline's
 * writer calls sl_wallclock_background_tick); until the rate is known every
 * reading is clock_gettime itself, so the first allocation pays no sysfs
 * read and no calibration. A
 * renewal whose measured rate differs from the current one by more than 0.1 %
 * keeps the old rate: that is a stepped clock or a stopped machine (suspend,
 * a paused VM), and the new anchor already carries the step. Only when two
 * renewals in a row measure the same new rate is it taken (the TSC's rate
 * really changed: a VM moved to another host). Between renewals the error is the clock's slew over 100 ms
 * (NTP: at most 500 ppm, 50 us), under the spread of the events themselves. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fd_owner.h"
#include "wallclock.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <fcntl.h>
#include <unistd.h>
#include <x86intrin.h>
#define SL_HAVE_TSC 1
#else
#define SL_HAVE_TSC 0
#endif

/* 20 ms, with pairs at most 10,000 ticks wide: the first rate is within
 * 0.05 % even for a 1 GHz TSC, so the first renewal's better measurement is
 * within the 0.1 % a renewal may change it by. */
#define CALIBRATION_NS 20000000LL
#define RENEW_NS 100000000LL      /* 100 ms: the anchor's useful life */

enum { MODE_UNDECIDED = 0, MODE_DECIDING, MODE_CALIBRATING, MODE_TSC, MODE_SYSTEM };

static _Atomic int mode = MODE_UNDECIDED;

/* The three things read from the machine. A test that includes this file
 * with SL_WALLCLOCK_FAKE_SOURCES defined supplies its own, to drive the clock
 * through steps, pauses and rate changes (tests/shim/interpose/
 * test_wallclock_logic.c). */
#ifndef SL_WALLCLOCK_FAKE_SOURCES
static int64_t system_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
#endif

#if SL_HAVE_TSC

/* The anchor. Fields are atomics only so that a reader racing a writer is
 * well defined; the sequence counter is what makes a copy consistent. */
static _Atomic uint32_t seq;
static _Atomic uint64_t anchor_tsc;
static _Atomic int64_t anchor_ns;
static _Atomic uint64_t anchor_mult;  /* 0 while calibrating */
static _Atomic uint64_t anchor_limit; /* ticks after which the anchor is renewed */

typedef struct anchor {
    uint64_t tsc;
    int64_t ns;
    uint64_t mult;
    uint64_t limit;
} anchor;

/* A consistent copy, or false when a writer is at work. */
static bool anchor_read(anchor *a)
{
    uint32_t before = atomic_load_explicit(&seq, memory_order_acquire);
    if (before & 1u)
        return false;
    a->tsc = atomic_load_explicit(&anchor_tsc, memory_order_relaxed);
    a->ns = atomic_load_explicit(&anchor_ns, memory_order_relaxed);
    a->mult = atomic_load_explicit(&anchor_mult, memory_order_relaxed);
    a->limit = atomic_load_explicit(&anchor_limit, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&seq, memory_order_relaxed) == before;
}

/* Writes the anchor if no other thread is writing it; false otherwise. */
static bool anchor_try_write(const anchor *expected_base, const anchor *next)
{
    uint32_t s = atomic_load_explicit(&seq, memory_order_relaxed);
    if ((s & 1u) || !atomic_compare_exchange_strong_explicit(&seq, &s, s + 1, memory_order_acquire,
                                                             memory_order_relaxed))
        return false;
    /* Another thread may have renewed it between our read and our claim. */
    bool same = atomic_load_explicit(&anchor_tsc, memory_order_relaxed) == expected_base->tsc;
    if (same) {
        atomic_store_explicit(&anchor_tsc, next->tsc, memory_order_relaxed);
        atomic_store_explicit(&anchor_ns, next->ns, memory_order_relaxed);
        atomic_store_explicit(&anchor_mult, next->mult, memory_order_relaxed);
        atomic_store_explicit(&anchor_limit, next->limit, memory_order_relaxed);
    }
    atomic_store_explicit(&seq, s + 2, memory_order_release);
    return same;
}

#ifndef SL_WALLCLOCK_FAKE_SOURCES
static inline uint64_t read_tsc(void)
{
    return __rdtsc();
}

/* The kernel keeps time with the TSC only when it found it invariant and
 * synchronised across CPUs; we trust it exactly as far as the kernel does. */
static bool kernel_clocksource_is_tsc(void)
{
    int fd = sl_fd_lift(open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC));
    if (fd < 0)
        return false;
    char buf[32] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n >= 3 && strncmp(buf, "tsc", 3) == 0 && (n == 3 || buf[3] == '\n');
}

static bool tsc_invariant(void)
{
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) || eax < 0x80000007u)
        return false;
    if (!__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx))
        return false;
    return (edx & (1u << 8)) != 0;
}

static bool tsc_usable(void)
{
    return tsc_invariant() && kernel_clocksource_is_tsc();
}
#endif

/* A TSC reading paired with the system clock: the middle of the two TSC
 * readings around clock_gettime. A thread preempted between them (common
 * with more threads than cores) would pair times milliseconds apart and skew
 * the rate or the offset of every reading that follows; so the pair is taken
 * again when the readings are far apart, and given up (false) when they keep
 * being. Far: more than max_gap ticks (about 5 us once the rate is known;
 * before, 10,000 ticks, 3 to 10 us at today's TSC rates). */
static bool pair_now(uint64_t max_gap, uint64_t *tsc, int64_t *ns)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        uint64_t t1 = read_tsc();
        int64_t wall = system_ns();
        uint64_t t2 = read_tsc();
        if (t2 >= t1 && t2 - t1 <= max_gap) {
            *tsc = t1 + (t2 - t1) / 2;
            *ns = wall;
            return true;
        }
    }
    return false;
}

#define CALIBRATION_MAX_GAP 10000u
#define PAIR_MAX_GAP_NS 5000u

static uint64_t max_gap_for(const anchor *a)
{
    if (a->mult == 0)
        return CALIBRATION_MAX_GAP;
    return (uint64_t)(((unsigned __int128)PAIR_MAX_GAP_NS << 32) / a->mult);
}

/* On the background thread: the sysfs read and CPUID stay off the
 * program's threads, whose readings are clock_gettime until then. */
static void decide(void)
{
    int expected = MODE_UNDECIDED;
    if (!atomic_compare_exchange_strong(&mode, &expected, MODE_DECIDING))
        return;
    if (sl_config()->system_clock || !tsc_usable()) {
        atomic_store(&mode, MODE_SYSTEM);
        return;
    }
    anchor first = {0};
    if (!pair_now(CALIBRATION_MAX_GAP, &first.tsc, &first.ns)) {
        atomic_store(&mode, MODE_UNDECIDED); /* the next reading tries again */
        return;
    }
    anchor base = {.tsc = atomic_load(&anchor_tsc)};
    anchor_try_write(&base, &first);
    atomic_store(&mode, MODE_CALIBRATING);
}

/* ns per tick, 32.32, from two pairs; 0 when the interval says nothing. */
static uint64_t rate_between(const anchor *from, uint64_t tsc, int64_t ns)
{
    if (tsc <= from->tsc || ns <= from->ns)
        return 0;
    unsigned __int128 scaled = (unsigned __int128)(uint64_t)(ns - from->ns) << 32;
    unsigned __int128 mult = scaled / (tsc - from->tsc);
    /* A TSC between 50 MHz and 20 GHz, or the measurement is nonsense. */
    if (mult < ((unsigned __int128)1 << 32) / 20 || mult > ((unsigned __int128)20 << 32))
        return 0;
    return (uint64_t)mult;
}

/* A renewal's rate that did not match the anchor's (0: none pending). */
static _Atomic uint64_t rejected_mult;

static bool close_rates(uint64_t a, uint64_t b)
{
    uint64_t diff = a > b ? a - b : b - a;
    return diff <= b / 1000;
}

/* The end of calibration, on the background thread: the rate between the
 * first pair and one taken CALIBRATION_NS later. Returns the nanoseconds
 * still to wait, 0 when the mode is decided. */
static int64_t finish_calibration(void)
{
    anchor a;
    uint64_t tsc;
    int64_t ns;
    if (!anchor_read(&a) || !pair_now(max_gap_for(&a), &tsc, &ns))
        return CALIBRATION_NS / 20; /* preempted: try again shortly */
    int64_t elapsed = ns - a.ns;
    if (elapsed < CALIBRATION_NS)
        return CALIBRATION_NS - elapsed;
    anchor next = {.tsc = tsc, .ns = ns};
    next.mult = rate_between(&a, tsc, ns);
    if (next.mult == 0) {
        atomic_store(&mode, MODE_SYSTEM);
        return 0;
    }
    next.limit = (uint64_t)(((unsigned __int128)RENEW_NS << 32) / next.mult);
    if (anchor_try_write(&a, &next))
        atomic_store(&mode, MODE_TSC);
    return 0;
}

int64_t sl_wallclock_background_tick(void)
{
    if (atomic_load(&mode) == MODE_UNDECIDED) {
        decide();
        if (atomic_load(&mode) == MODE_UNDECIDED)
            return CALIBRATION_NS / 20; /* the first pair could not be taken: again soon */
    }
    if (atomic_load(&mode) == MODE_CALIBRATING)
        return finish_calibration();
    return 0;
}

/* The slow path of a calibrated clock: the system clock, and a new anchor
 * when one is due. */
static int64_t renew(void)
{
    anchor a;
    if (!anchor_read(&a))
        return system_ns();
    uint64_t tsc;
    int64_t ns;
    if (!pair_now(max_gap_for(&a), &tsc, &ns))
        return system_ns();
    int64_t elapsed = ns - a.ns;
    anchor next = {.tsc = tsc, .ns = ns, .mult = a.mult, .limit = a.limit};
    uint64_t measured = rate_between(&a, tsc, ns);
    if (measured != 0 && elapsed >= RENEW_NS / 2) {
        /* Within 0.1 %: the clock's slew, followed. Beyond: a stepped clock
         * or a paused machine, ignored once; but the same new rate measured
         * twice running is the TSC's rate really having changed (a VM moved
         * to another host), and is taken. */
        uint64_t previous = atomic_exchange_explicit(&rejected_mult, 0, memory_order_relaxed);
        if (close_rates(measured, a.mult) || (previous != 0 && close_rates(measured, previous))) {
            next.mult = measured;
            next.limit = (uint64_t)(((unsigned __int128)RENEW_NS << 32) / measured);
        } else {
            atomic_store_explicit(&rejected_mult, measured, memory_order_relaxed);
        }
    }
    anchor_try_write(&a, &next);
    return ns;
}

static inline int64_t read_clock(void)
{
    int m = atomic_load_explicit(&mode, memory_order_relaxed);
    if (__builtin_expect(m == MODE_TSC, 1)) {
        uint64_t tsc = read_tsc();
        anchor a;
        if (anchor_read(&a)) {
            uint64_t ticks = tsc - a.tsc; /* huge when tsc < a.tsc: renewed below */
            if (ticks < a.limit)
                return a.ns + (int64_t)(((unsigned __int128)ticks * a.mult) >> 32);
        }
        return renew();
    }
    /* Undecided or calibrating: the system clock, the same clock the TSC
     * is scaled to, until the background thread has the rate. */
    return system_ns();
}

void sl_wallclock_atfork_child(void)
{
    /* Only the forking thread exists now; nobody is writing. */
    atomic_store(&seq, 0);
    atomic_store(&anchor_tsc, 0);
    atomic_store(&anchor_mult, 0);
    atomic_store(&rejected_mult, 0);
    if (atomic_load(&mode) != MODE_SYSTEM)
        atomic_store(&mode, MODE_UNDECIDED);
}

#else /* no TSC clock on this architecture */

static inline int64_t read_clock(void)
{
    atomic_store_explicit(&mode, MODE_SYSTEM, memory_order_relaxed);
    return system_ns();
}

int64_t sl_wallclock_background_tick(void)
{
    atomic_store_explicit(&mode, MODE_SYSTEM, memory_order_relaxed);
    return 0;
}

void sl_wallclock_atfork_child(void)
{
}

#endif

/* A thread's readings never go back by less than a millisecond: a renewed
 * anchor may land a fraction of a microsecond behind the extrapolation a
 * thread just read, and a phase_enter must not sort after the allocation
 * that followed it on the same thread. A bigger step back is the wall clock
 * really being set back, and is passed on (accounting still keeps each
 * device's events in order). */
#define HOLD_BACK_NS 1000000LL
static __thread int64_t thread_last_ns __attribute__((tls_model("initial-exec")));

int64_t sl_wallclock_ns(void)
{
    int64_t now = read_clock();
    int64_t last = thread_last_ns;
    if (now < last && last - now < HOLD_BACK_NS)
        now = last;
    thread_last_ns = now;
    return now;
}

const char *sl_wallclock_source(void)
{
    switch (atomic_load(&mode)) {
    case MODE_TSC:
        return "tsc";
    case MODE_SYSTEM:
        return "system";
    case MODE_CALIBRATING:
        return "calibrating";
    default:
        return "undecided";
    }
}
