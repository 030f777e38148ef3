/* sim_addr.c: bump allocation in a per-device range plus exact-span reuse. */
#include "sim_addr.h"

#include <stdlib.h>

#include "sim.h"

void sim_addr_init(sim_addr_space *space, int device)
{
    space->base = (uintptr_t)(SIM_ADDR_BASE + ((uint64_t)device << 40));
    /* Leave the first unit unused so no device address is a range base. */
    space->next = space->base + SIM_ALIGNMENT;
    space->limit = space->base + SIM_ADDR_RANGE;
    space->bins = NULL;
    space->bin_capacity = 0;
    space->bin_count = 0;
}

void sim_addr_destroy(sim_addr_space *space)
{
    for (size_t i = 0; i < space->bin_capacity; i++)
        free(space->bins[i].addrs);
    free(space->bins);
    space->bins = NULL;
    space->bin_capacity = 0;
    space->bin_count = 0;
}

uint64_t sim_addr_span(uint64_t size)
{
    if (size == 0 || size > UINT64_MAX - SIM_ALIGNMENT)
        return size == 0 ? SIM_ALIGNMENT : UINT64_MAX;
    return (size + SIM_ALIGNMENT - 1) & ~(uint64_t)(SIM_ALIGNMENT - 1);
}

static size_t bin_slot(const sim_addr_space *space, uint64_t span)
{
    uint64_t x = span / SIM_ALIGNMENT * 0x9e3779b97f4a7c15ull;
    size_t slot = (size_t)(x >> 32) & (space->bin_capacity - 1);
    while (space->bins[slot].span != 0 && space->bins[slot].span != span)
        slot = (slot + 1) & (space->bin_capacity - 1);
    return slot;
}

static bool grow_bins(sim_addr_space *space)
{
    size_t new_capacity = space->bin_capacity == 0 ? 64 : space->bin_capacity * 2;
    sim_free_bin *old = space->bins;
    size_t old_capacity = space->bin_capacity;
    sim_free_bin *bins = calloc(new_capacity, sizeof *bins);
    if (bins == NULL)
        return false;
    space->bins = bins;
    space->bin_capacity = new_capacity;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].span != 0)
            space->bins[bin_slot(space, old[i].span)] = old[i];
    free(old);
    return true;
}

uintptr_t sim_addr_take(sim_addr_space *space, uint64_t span)
{
    if (space->bin_capacity != 0) {
        sim_free_bin *bin = &space->bins[bin_slot(space, span)];
        if (bin->span == span && bin->count > 0)
            return bin->addrs[--bin->count];
    }
    if (span > space->limit - space->next)
        return 0;
    uintptr_t addr = space->next;
    space->next += span;
    return addr;
}

bool sim_addr_give_back(sim_addr_space *space, uintptr_t addr, uint64_t span)
{
    /* The last block handed out goes back to the bump pointer directly. */
    if (addr + span == space->next) {
        space->next = addr;
        return true;
    }
    if ((space->bin_count + 1) * 2 > space->bin_capacity && !grow_bins(space))
        return false;
    sim_free_bin *bin = &space->bins[bin_slot(space, span)];
    if (bin->span == 0) {
        bin->span = span;
        space->bin_count++;
    }
    if (bin->count == bin->capacity) {
        size_t capacity = bin->capacity == 0 ? 8 : bin->capacity * 2;
        uintptr_t *addrs = realloc(bin->addrs, capacity * sizeof *addrs);
        if (addrs == NULL)
            return false;
        bin->addrs = addrs;
        bin->capacity = capacity;
    }
    bin->addrs[bin->count++] = addr;
    return true;
}
