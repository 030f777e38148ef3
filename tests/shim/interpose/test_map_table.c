/* The mapping table on its own (shim/core/accounting/map_table.c compiled in): what
 * cuMemMap records is what cuMemUnmap gets back, exactly once, through
 * growth, backward-shift deletion and several threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>

#include "map_table.h"

#define GRANULE (2ull << 20) /* mapped addresses are multiples of it: the hash must spread them */

static sl_mapping mapping_at(uintptr_t ptr, uint64_t handle, int32_t device)
{
    sl_mapping m = {ptr, GRANULE, 0, handle, device};
    return m;
}

Test(map_table, insert_then_remove_returns_what_was_stored)
{
    sl_mapping m = mapping_at(0x500000000000, 0x6100, 3), old, out;
    m.offset = 4096;
    cr_assert_eq(sl_map_table_insert(&m, &old), SL_MAP_INSERTED);
    cr_assert(sl_map_table_remove(m.ptr, &out));
    cr_expect_eq(out.ptr, m.ptr);
    cr_expect_eq(out.size, GRANULE);
    cr_expect_eq(out.offset, 4096);
    cr_expect_eq(out.handle, 0x6100);
    cr_expect_eq(out.device_id, 3);
    cr_assert_not(sl_map_table_remove(m.ptr, &out), "removed twice");
    cr_assert_not(sl_map_table_remove(0, &out), "0 is never a key");
}

Test(map_table, mapping_a_mapped_address_reports_the_old_mapping)
{
    sl_mapping a = mapping_at(0x510000000000, 1, 0), b = mapping_at(0x510000000000, 2, 1), old = {0}, out;
    cr_assert_eq(sl_map_table_insert(&a, &old), SL_MAP_INSERTED);
    cr_assert_eq(sl_map_table_insert(&b, &old), SL_MAP_REPLACED);
    cr_expect_eq(old.handle, 1);
    cr_assert(sl_map_table_remove(a.ptr, &out));
    cr_expect_eq(out.handle, 2);
    cr_expect_not(sl_map_table_remove(a.ptr, &out));
}

/* Past several growths, then every other one removed (backward shifts
 * inside long probe runs), then the rest: each found exactly once. */
Test(map_table, growth_and_deletion_keep_every_mapping)
{
    enum { N = 5000 };
    const uintptr_t base = 0x520000000000;
    sl_mapping old, out;
    for (uint64_t i = 0; i < N; i++) {
        sl_mapping m = mapping_at(base + i * GRANULE, i + 1, (int32_t)(i % 8));
        cr_assert_eq(sl_map_table_insert(&m, &old), SL_MAP_INSERTED);
    }
    for (uint64_t i = 0; i < N; i += 2) {
        cr_assert(sl_map_table_remove(base + i * GRANULE, &out), "mapping %llu lost", (unsigned long long)i);
        cr_assert_eq(out.handle, i + 1);
    }
    for (uint64_t i = 0; i < N; i++) {
        bool found = sl_map_table_remove(base + i * GRANULE, &out);
        cr_assert_eq(found, i % 2 == 1, "mapping %llu: found %d", (unsigned long long)i, found);
        if (found)
            cr_assert_eq(out.device_id, (int32_t)(i % 8));
    }
}

#define THREADS 4
#define PER_THREAD 2000

static void *map_unmap(void *arg)
{
    uintptr_t base = 0x600000000000 + (uintptr_t)arg * PER_THREAD * GRANULE;
    int lost = 0;
    sl_mapping old, out;
    for (int round = 0; round < 3; round++) {
        for (uintptr_t i = 0; i < PER_THREAD; i++) {
            sl_mapping m = mapping_at(base + i * GRANULE, base + i, (int32_t)(uintptr_t)arg);
            lost += sl_map_table_insert(&m, &old) != SL_MAP_INSERTED;
        }
        for (uintptr_t i = 0; i < PER_THREAD; i++)
            lost += !sl_map_table_remove(base + i * GRANULE, &out) || out.handle != base + i;
    }
    return (void *)(uintptr_t)lost;
}

Test(map_table, threads_mapping_their_own_ranges_lose_nothing)
{
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, map_unmap, (void *)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *lost = NULL;
        pthread_join(t[i], &lost);
        cr_expect_eq((uintptr_t)lost, 0, "thread %d: %zu mappings lost", i, (size_t)(uintptr_t)lost);
    }
}
