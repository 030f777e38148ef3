/*
 * sim_truth.c: the ground truth of stormlog_double.h, and its JSON line.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

#include "../stormlog_double.h"
#include "sim.h"
#include "sim_state.h"

#define EXPORT SIM_API

typedef enum device_field { FIELD_LIVE, FIELD_COUNT, FIELD_RESERVED, FIELD_CAPACITY } device_field;

static long long read_device(int device, device_field field)
{
    sim_ensure_init();
    sim_device *slot = sim_device_slot(device);
    if (slot == NULL)
        return -1;
    pthread_mutex_lock(&slot->lock);
    uint64_t value = 0;
    switch (field) {
    case FIELD_LIVE: value = slot->live; break;
    case FIELD_COUNT: value = slot->live_count; break;
    case FIELD_RESERVED: value = slot->reserved; break;
    case FIELD_CAPACITY: value = slot->capacity; break;
    }
    pthread_mutex_unlock(&slot->lock);
    return (long long)value;
}

EXPORT int stormlog_double_device_count(void) { return stormlog_sim_device_count(); }
EXPORT long long stormlog_double_capacity_bytes(int device) { return read_device(device, FIELD_CAPACITY); }
EXPORT long long stormlog_double_live_bytes(int device) { return read_device(device, FIELD_LIVE); }
EXPORT long long stormlog_double_live_count(int device) { return read_device(device, FIELD_COUNT); }
EXPORT long long stormlog_double_reserved_bytes(int device) { return read_device(device, FIELD_RESERVED); }

static unsigned long long read_counter(atomic_ullong *counter)
{
    sim_ensure_init();
    return atomic_load(counter);
}

EXPORT unsigned long long stormlog_double_alloc_calls(void) { return read_counter(&sim_g.counters.alloc_calls); }
EXPORT unsigned long long stormlog_double_allocs(void) { return read_counter(&sim_g.counters.allocs); }
EXPORT unsigned long long stormlog_double_zero_allocs(void) { return read_counter(&sim_g.counters.zero_allocs); }
EXPORT unsigned long long stormlog_double_failed(void) { return read_counter(&sim_g.counters.failed); }
EXPORT unsigned long long stormlog_double_frees(void) { return read_counter(&sim_g.counters.frees); }
EXPORT unsigned long long stormlog_double_bad_frees(void) { return read_counter(&sim_g.counters.bad_frees); }

/* {"0":v0,"1":v1[,"-1":host]} */
static void write_device_map(FILE *out, device_field field, bool with_host)
{
    int devices = stormlog_sim_device_count();
    fputc('{', out);
    for (int device = 0; device < devices; device++)
        fprintf(out, "%s\"%d\":%lld", device == 0 ? "" : ",", device, read_device(device, field));
    if (with_host)
        fprintf(out, ",\"-1\":%lld", read_device(SIM_HOST_DEVICE, field));
    fputc('}', out);
}

EXPORT int stormlog_double_write_truth(FILE *out)
{
    if (out == NULL)
        return -1;
    fprintf(out, "{\"source\":\"stormlog_double\",\"devices\":%d,\"live\":", stormlog_sim_device_count());
    write_device_map(out, FIELD_LIVE, true);
    fputs(",\"live_count\":", out);
    write_device_map(out, FIELD_COUNT, true);
    fputs(",\"reserved\":", out);
    write_device_map(out, FIELD_RESERVED, false);
    fputs(",\"capacity\":", out);
    write_device_map(out, FIELD_CAPACITY, false);
    fprintf(out,
            ",\"alloc_calls\":%llu,\"allocs\":%llu,\"zero_allocs\":%llu,\"failed\":%llu,"
            "\"frees\":%llu,\"bad_frees\":%llu}\n",
            stormlog_double_alloc_calls(), stormlog_double_allocs(), stormlog_double_zero_allocs(),
            stormlog_double_failed(), stormlog_double_frees(), stormlog_double_bad_frees());
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

EXPORT int stormlog_double_write_truth_path(const char *path)
{
    if (path == NULL)
        return -1;
    FILE *out = fopen(path, "w");
    if (out == NULL)
        return -1;
    int written = stormlog_double_write_truth(out);
    return fclose(out) == 0 ? written : -1;
}

/* STORMLOG_DOUBLE_TRUTH: programs we do not control (python, a plugin host)
 * leave their ground truth behind at exit. Nothing is written by a process
 * that never touched a runtime. */
__attribute__((destructor)) static void write_truth_at_exit(void)
{
    if (!sim_is_initialized())
        return;
    if (sim_g.config.truth_path[0] != '\0' && stormlog_double_write_truth_path(sim_g.config.truth_path) != 0)
        fprintf(stderr, "stormlog double: cannot write ground truth to %s\n", sim_g.config.truth_path);
}
