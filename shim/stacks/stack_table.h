/* The bounded, lock-free intern table of stacks. Program threads insert
 * (one CAS on a free entry, a bump of the byte arena), the writer reads by
 * id. Nothing is ever removed during a process, so an id stays valid and
 * means one stack for the whole session, across its segments. Memory is
 * reserved once (anonymous pages, committed as used): at most `max` stacks
 * and SL_STACK_TABLE_BYTES_PER_STACK bytes each on average. */
#ifndef STORMLOG_SHIM_STACKS_STACK_TABLE_H
#define STORMLOG_SHIM_STACKS_STACK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_STACK_TABLE_BYTES_PER_STACK 1024u

typedef enum sl_intern_status {
    SL_INTERN_OK = 0,
    SL_INTERN_FULL, /* no room for a new stack: counted as table_full */
} sl_intern_status;

/* Maps the table for max stacks; false when the memory is refused. */
bool sl_stack_table_init(unsigned max) __attribute__((visibility("hidden")));
/* The id of the stack with these bytes, adding it when new; *added says
 * it was new. */
sl_intern_status sl_stack_table_intern(const unsigned char *blob, size_t len, uint32_t *id, bool *added)
    __attribute__((visibility("hidden")));
/* The bytes of a published id; false for an id never handed out. */
bool sl_stack_table_get(uint32_t id, const unsigned char **blob, size_t *len) __attribute__((visibility("hidden")));
/* Entries (ids run from 1 to this): the size of a per-id bitset. */
size_t sl_stack_table_slots(void) __attribute__((visibility("hidden")));
uint64_t sl_stack_table_interned(void) __attribute__((visibility("hidden")));
uint64_t sl_stack_table_full_count(void) __attribute__((visibility("hidden")));

#endif
