/*
 * sim_addr.h: the address space of one simulated device.
 *
 * Device memory is never touched, so addresses need not be backed: each
 * device owns a 1 TiB range of its own (0x6000'0000'0000 + device << 40),
 * below where Linux maps libraries and thread stacks and apart from the brk
 * heap, so a device address never equals a host pointer (as under CUDA's
 * unified addressing). Freed blocks are handed out again to a later request
 * of the same rounded size, newest first, the way caching allocators reuse
 * addresses: a profiler's pointer table must cope with an address coming back.
 * The owner (sim_core.c) holds the device lock around every call.
 */
#ifndef STORMLOG_SIM_ADDR_H
#define STORMLOG_SIM_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_ADDR_BASE 0x600000000000ull
#define SIM_ADDR_RANGE (1ull << 40)

typedef struct sim_free_bin {
    uint64_t span;         /* 0: empty bin */
    uintptr_t *addrs;      /* stack of freed blocks of this span */
    size_t count, capacity;
} sim_free_bin;

typedef struct sim_addr_space {
    uintptr_t base, next, limit;
    sim_free_bin *bins;    /* open addressing by span */
    size_t bin_capacity, bin_count;
} sim_addr_space;

void sim_addr_init(sim_addr_space *space, int device);
void sim_addr_destroy(sim_addr_space *space);
/* Round a size up to the span it occupies (at least one alignment unit). */
uint64_t sim_addr_span(uint64_t size);
/* 0 when the range is exhausted or bookkeeping memory ran out. */
uintptr_t sim_addr_take(sim_addr_space *space, uint64_t span);
/* Returns a block for reuse; false if it could not be remembered (it is then
 * simply never reused). */
bool sim_addr_give_back(sim_addr_space *space, uintptr_t addr, uint64_t span);

#endif
