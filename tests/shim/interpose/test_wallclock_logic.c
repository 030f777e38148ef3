/* The wall clock's logic (shim/core/clock/wallclock.c) on a simulated machine:
 * the file is included with its three machine readings replaced by a fake
 * TSC and a fake CLOCK_REALTIME that the tests move at will, through the
 * events a real clock meets: calibration, renewal, the wall clock set back
 * or forward, a machine paused, the TSC's rate changing under a VM that
 * moved host. Criterion runs each test in a fresh process, so each starts
 * with the clock undecided. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>

#define SL_WALLCLOCK_FAKE_SOURCES 1
static uint64_t fake_tsc = 5000000;                /* ticks */
static int64_t fake_wall = 1700000000000000000LL; /* ns since the epoch */
static uint64_t ticks_per_ns = 3;                  /* a 3 GHz TSC */

static int64_t system_ns(void)
{
    return fake_wall;
}

static inline uint64_t read_tsc(void)
{
    return fake_tsc;
}

static bool tsc_usable(void)
{
    return true;
}

#include "wallclock.c"

#define MS 1000000LL

/* Real time passes: the TSC ticks at its rate, the wall clock follows. */
static void pass(int64_t ns)
{
    fake_tsc += (uint64_t)ns * ticks_per_ns;
    fake_wall += ns;
}

/* Equal to the nanosecond or two that 32.32 fixed point rounds away. */
#define expect_near(got, want, ...)                                              \
    do {                                                                         \
        int64_t got_ = (got), want_ = (want);                                    \
        cr_expect(got_ - want_ <= 2 && want_ - got_ <= 2, __VA_ARGS__);          \
    } while (0)

/* Calibrated by the background thread's ticks (the first, then 21 ms
 * later), as every test needs; the program's readings meanwhile are the
 * system clock's and never decide or calibrate anything themselves. */
static void calibrate(void)
{
    sl_wallclock_ns();
    cr_assert_str_eq(sl_wallclock_source(), "undecided", "a reading decides nothing");
    cr_assert_gt(sl_wallclock_background_tick(), 0, "the first pair, then wait");
    cr_assert_str_eq(sl_wallclock_source(), "calibrating");
    pass(15 * MS);
    sl_wallclock_ns();
    int64_t again = sl_wallclock_background_tick();
    cr_assert_str_eq(sl_wallclock_source(), "calibrating", "20 ms of calibration");
    expect_near(again, 5 * MS, "the tick asks for the 5 ms left");
    pass(6 * MS);
    cr_assert_eq(sl_wallclock_background_tick(), 0, "done");
    cr_assert_str_eq(sl_wallclock_source(), "tsc");
}

Test(wallclock_logic, until_calibrated_readings_are_the_system_clock_and_keep_their_order)
{
    /* A TSC that disagrees with the wall clock: any reading that used it
     * before the rate was known would show. */
    int64_t previous = 0;
    for (int i = 0; i < 3; i++) {
        int64_t got = sl_wallclock_ns();
        cr_expect_eq(got, fake_wall, "reading %d is clock_gettime's", i);
        cr_expect_geq(got, previous);
        previous = got;
        if (i == 0)
            sl_wallclock_background_tick();
        fake_tsc += 7777;
        fake_wall += 3 * MS;
    }
    cr_expect_str_eq(sl_wallclock_source(), "calibrating");
    /* The switch to the TSC: the thread's readings do not go back across
     * it, even where the new line lands a little behind the last reading. */
    pass(21 * MS);
    int64_t last_system = sl_wallclock_ns();
    cr_assert_eq(sl_wallclock_background_tick(), 0);
    cr_assert_str_eq(sl_wallclock_source(), "tsc");
    fake_tsc -= 300; /* 100 ns behind the pair the rate was taken at */
    cr_expect_geq(sl_wallclock_ns(), last_system, "same order guarantee across the switch");
}

Test(wallclock_logic, calibrates_then_reads_the_tsc)
{
    calibrate();
    /* Only the TSC moves: a reading that follows it was not clock_gettime. */
    int64_t wall = fake_wall;
    fake_tsc += 3 * 1000; /* 1 us of ticks */
    expect_near(sl_wallclock_ns(), wall + 1000, "reading");
    pass(40 * MS);
    expect_near(sl_wallclock_ns(), fake_wall + 1000, "still the TSC's line, 1 us ahead of the wall clock");
    pass(60 * MS); /* due: the renewal brings it back to the wall clock */
    expect_near(sl_wallclock_ns(), fake_wall, "renewed");
}

Test(wallclock_logic, follows_the_wall_clock_set_back_at_the_next_renewal)
{
    calibrate();
    pass(30 * MS);
    fake_wall -= 1000 * MS; /* settimeofday, one second back */
    int64_t before = sl_wallclock_ns();
    expect_near(before, fake_wall + 1000 * MS, "until the renewal, the old line");
    pass(100 * MS); /* the anchor is due */
    expect_near(sl_wallclock_ns(), fake_wall, "a second back is the clock's, and is followed");
    pass(50 * MS);
    expect_near(sl_wallclock_ns(), fake_wall, "the rate is still the TSC's");
}

Test(wallclock_logic, a_small_step_back_is_held_on_the_thread)
{
    calibrate();
    pass(99 * MS + 900000);
    int64_t last = sl_wallclock_ns();
    fake_wall -= 800000; /* 0.8 ms back, found at the renewal 0.2 ms later */
    pass(200000);
    int64_t renewed = sl_wallclock_ns();
    cr_expect_eq(renewed, last, "held: a thread's readings do not go back by less than 1 ms");
    pass(10 * MS);
    expect_near(sl_wallclock_ns(), fake_wall, "reading");
}

Test(wallclock_logic, a_pause_does_not_change_the_rate)
{
    calibrate();
    pass(100 * MS);
    sl_wallclock_ns();
    fake_wall += 5000 * MS; /* the machine was paused: the wall clock moved, the TSC did not */
    pass(100 * MS);
    expect_near(sl_wallclock_ns(), fake_wall, "the renewal takes the wall clock's time");
    pass(60 * MS);
    expect_near(sl_wallclock_ns(), fake_wall, "the old rate was kept");
}

Test(wallclock_logic, a_new_rate_measured_twice_is_taken)
{
    calibrate();
    pass(100 * MS);
    sl_wallclock_ns();
    ticks_per_ns = 2; /* the VM moved to a host with a 2 GHz TSC */
    /* Two renewals (each after the old rate's 100 ms of ticks, now 150 ms). */
    for (int i = 0; i < 2; i++) {
        pass(150 * MS);
        expect_near(sl_wallclock_ns(), fake_wall, "renewal %d", i);
    }
    pass(60 * MS);
    expect_near(sl_wallclock_ns(), fake_wall, "extrapolated at the new rate");
}

Test(wallclock_logic, a_tsc_behind_the_anchor_reads_the_system_clock)
{
    calibrate();
    pass(20 * MS);
    sl_wallclock_ns();
    fake_tsc -= 1000; /* another CPU's TSC, a little behind the anchor */
    expect_near(sl_wallclock_ns(), fake_wall, "reading");
}
