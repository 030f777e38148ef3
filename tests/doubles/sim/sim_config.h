/*
 * sim_config.h: what the simulated devices look like, read from the
 * environment once per (re)start of the core.
 *
 *   STORMLOG_DOUBLE_DEVICES        number of devices, 1..16 (default 2)
 *   STORMLOG_DOUBLE_CAPACITY       bytes per device (default 16G); suffixes
 *                                  K, M, G, T (powers of 1024), optional "B"/"iB"
 *   STORMLOG_DOUBLE_CAPACITY_<d>   capacity of device d only
 *   STORMLOG_DOUBLE_HOST_CAPACITY  pinned host limit (default: none)
 *   STORMLOG_DOUBLE_FAIL_AT        the Nth counted allocation call fails (OOM)
 *   STORMLOG_DOUBLE_FAIL_EVERY     every Nth counted allocation call fails
 *   STORMLOG_DOUBLE_FAIL_DEVICE    count only calls on device d (-1: host); with
 *                                  neither FAIL_AT nor FAIL_EVERY, every
 *                                  allocation on d fails
 *   STORMLOG_DOUBLE_TRUTH          write the ground truth there at exit
 *
 * A value that does not parse is reported once on stderr and the default used.
 */
#ifndef STORMLOG_SIM_CONFIG_H
#define STORMLOG_SIM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

#define SIM_DEFAULT_DEVICES 2
#define SIM_DEFAULT_CAPACITY (16ull << 30)

typedef struct sim_config {
    int devices;
    uint64_t capacity[SIM_MAX_DEVICES];
    uint64_t host_capacity;    /* 0: unlimited */
    uint64_t fail_at;          /* 0: off */
    uint64_t fail_every;       /* 0: off */
    bool fail_device_set;
    int fail_device;
    bool fail_queries; /* MemGetInfo and pointer queries fail (the shim must clean up after itself) */
    char truth_path[4096];     /* empty: none */
} sim_config;

void sim_config_from_env(sim_config *config);

/* "16G", "512MiB", "1048576" -> bytes. Returns false for anything else,
 * including overflow and trailing garbage. */
bool sim_parse_bytes(const char *text, uint64_t *bytes);

#endif
