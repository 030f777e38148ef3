/* The live mappings of the driver's virtual memory API: mapped address ->
 * (size, offset, handle, device), recorded by cuMemMap so that cuMemUnmap,
 * which names only an address range, can say which physical allocation (and
 * so which device) it unmaps.
 *
 * Why a record of our own rather than asking the driver
 * (cuMemRetainAllocationHandle) at unmap time: the common pattern is
 * create -> map -> release the handle at once -> ... -> unmap, and by the
 * unmap the handle has left the pointer table, so its device could no longer
 * be looked up; the record keeps the device the mapping was made on. It also
 * costs the unmap no extra driver calls.
 *
 * Separate from the pointer table (ptr_table.h) on purpose: a mapped address
 * is not an allocation, and a cuMemFree of one must not find it there. Map
 * and unmap are rare (an allocator grows or trims a segment), so one lock
 * over one open-addressing table is enough; it is owned by the accounting. */
#ifndef STORMLOG_SHIM_MAP_TABLE_H
#define STORMLOG_SHIM_MAP_TABLE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_mapping {
    uintptr_t ptr; /* first mapped address; 0 is never a key */
    uint64_t size;
    uint64_t offset; /* into the physical allocation */
    uint64_t handle;
    int32_t device_id; /* of the physical allocation */
} sl_mapping;

typedef enum sl_map_insert_result {
    SL_MAP_INSERTED = 0,
    SL_MAP_REPLACED, /* ptr was mapped already: *old holds the mapping it replaced */
    SL_MAP_NO_MEMORY,
} sl_map_insert_result;

sl_map_insert_result sl_map_table_insert(const sl_mapping *m, sl_mapping *old) __attribute__((visibility("hidden")));
/* Removes the mapping that starts at ptr; false when there is none. */
bool sl_map_table_remove(uintptr_t ptr, sl_mapping *out) __attribute__((visibility("hidden")));

/* Fork: as the pointer table (ptr_table.h). */
void sl_map_table_lock(void) __attribute__((visibility("hidden")));
void sl_map_table_unlock(void) __attribute__((visibility("hidden")));
void sl_map_table_reset_in_child(void) __attribute__((visibility("hidden")));

#endif
