/* The pointer table: live allocation -> (size, device, api), so that a free,
 * which names only the pointer, can be charged to the right device.
 *
 * Sharded, not lock-free: 64 shards chosen by a hash of the pointer, each an
 * open-addressing table behind its own spinlock. A lock-free hash map that
 * also deletes and grows is far more code than this, and it would buy little:
 * a shard is held for one probe sequence (tens of nanoseconds), and with 64
 * shards two threads rarely meet on the same one, so the cost stays flat as
 * threads are added. The hooks never hold a shard lock while taking any other
 * lock, so the order of locks cannot deadlock. */
#ifndef STORMLOG_SHIM_PTR_TABLE_H
#define STORMLOG_SHIM_PTR_TABLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_ptr_info {
    int64_t size;
    int32_t device_id;
    uint16_t api; /* sl_api of the allocation */
} sl_ptr_info;

typedef enum sl_ptr_insert_result {
    SL_PTR_INSERTED = 0,
    SL_PTR_REPLACED, /* the address was live in the table: *old holds what it replaced */
    SL_PTR_NO_MEMORY,
} sl_ptr_insert_result;

sl_ptr_insert_result sl_ptr_table_insert(uintptr_t ptr, sl_ptr_info info, sl_ptr_info *old)
    __attribute__((visibility("hidden")));
/* Removes ptr; false when it is not in the table. */
bool sl_ptr_table_remove(uintptr_t ptr, sl_ptr_info *out) __attribute__((visibility("hidden")));
/* Copies ptr's entry, leaving it in place; false when it is not in the table. */
bool sl_ptr_table_find(uintptr_t ptr, sl_ptr_info *out) __attribute__((visibility("hidden")));

/* Fork: the prepare handler takes every shard so that no table is half
 * updated in the child, which then empties the table (its allocations are
 * the parent's, not its own). */
void sl_ptr_table_lock_all(void) __attribute__((visibility("hidden")));
void sl_ptr_table_unlock_all(void) __attribute__((visibility("hidden")));
void sl_ptr_table_reset_in_child(void) __attribute__((visibility("hidden")));

#endif
