/* The pointer table on its own (shim/core/accounting/ptr_table.c compiled in): every
 * insert is found by its remove exactly once, under probe collisions,
 * growth, backward-shift deletion and many threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>

#include "ptr_table.h"

static sl_ptr_info info_of(int64_t size, int32_t device)
{
    sl_ptr_info info = {size, device, 0};
    return info;
}

Test(ptr_table, insert_then_remove_returns_what_was_stored)
{
    sl_ptr_info old;
    cr_assert_eq(sl_ptr_table_insert(0x1000, info_of(42, 1), &old), SL_PTR_INSERTED);
    sl_ptr_info out;
    cr_assert(sl_ptr_table_remove(0x1000, &out));
    cr_assert_eq(out.size, 42);
    cr_assert_eq(out.device_id, 1);
    cr_assert_not(sl_ptr_table_remove(0x1000, &out), "removed twice");
}

Test(ptr_table, find_leaves_the_entry_in_place)
{
    sl_ptr_info old, out;
    cr_assert_eq(sl_ptr_table_insert(0x3000, info_of(7, 2), &old), SL_PTR_INSERTED);
    cr_assert(sl_ptr_table_find(0x3000, &out));
    cr_expect_eq(out.size, 7);
    cr_expect_eq(out.device_id, 2);
    cr_assert(sl_ptr_table_find(0x3000, &out), "find removed it");
    cr_assert(sl_ptr_table_remove(0x3000, &out));
    cr_assert_not(sl_ptr_table_find(0x3000, &out), "found after the remove");
    cr_assert_not(sl_ptr_table_find(0, &out), "0 is never a key");
}

Test(ptr_table, unknown_pointer_is_not_found)
{
    sl_ptr_info out;
    cr_assert_not(sl_ptr_table_remove(0xdead0000, &out));
}

Test(ptr_table, reinserting_a_live_address_reports_the_old_block)
{
    sl_ptr_info old = {0};
    cr_assert_eq(sl_ptr_table_insert(0x2000, info_of(10, 0), &old), SL_PTR_INSERTED);
    cr_assert_eq(sl_ptr_table_insert(0x2000, info_of(20, 1), &old), SL_PTR_REPLACED);
    cr_assert_eq(old.size, 10);
    sl_ptr_info out;
    cr_assert(sl_ptr_table_remove(0x2000, &out));
    cr_assert_eq(out.size, 20);
}

/* Many aligned neighbours (as an allocator hands them out) through growth,
 * then removal in an interleaved order: every one found exactly once. */
Test(ptr_table, survives_growth_and_interleaved_removal)
{
    enum { N = 200000 };
    sl_ptr_info old;
    for (uintptr_t i = 1; i <= N; i++)
        cr_assert_eq(sl_ptr_table_insert(i * 256, info_of((int64_t)i, 0), &old), SL_PTR_INSERTED);
    for (uintptr_t i = 1; i <= N; i += 2) {
        sl_ptr_info out;
        cr_assert(sl_ptr_table_remove(i * 256, &out), "lost %zu", (size_t)i);
        cr_assert_eq(out.size, (int64_t)i);
    }
    for (uintptr_t i = 2; i <= N; i += 2) {
        sl_ptr_info out;
        cr_assert(sl_ptr_table_remove(i * 256, &out), "lost %zu after deletions", (size_t)i);
        cr_assert_eq(out.size, (int64_t)i);
    }
    for (uintptr_t i = 1; i <= N; i++) {
        sl_ptr_info out;
        cr_assert_not(sl_ptr_table_remove(i * 256, &out));
    }
}

#define THREADS 8
#define PER_THREAD 50000

static void *churn(void *arg)
{
    uintptr_t base = ((uintptr_t)arg + 1) << 40;
    intptr_t lost = 0;
    sl_ptr_info old, out;
    for (uintptr_t round = 0; round < 4; round++) {
        for (uintptr_t i = 0; i < PER_THREAD; i++)
            sl_ptr_table_insert(base + i * 64, info_of((int64_t)(i + round), (int32_t)(uintptr_t)arg), &old);
        for (uintptr_t i = 0; i < PER_THREAD; i++)
            if (!sl_ptr_table_remove(base + i * 64, &out) || out.size != (int64_t)(i + round))
                lost++;
    }
    return (void *)lost;
}

Test(ptr_table, threads_never_lose_or_confuse_entries)
{
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, churn, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *lost = NULL;
        pthread_join(t[i], &lost);
        cr_assert_eq((intptr_t)lost, 0, "thread %d lost %zd entries", i, (ssize_t)(intptr_t)lost);
    }
}
