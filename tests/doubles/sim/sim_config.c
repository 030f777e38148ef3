/* sim_config.c: the environment -> sim_config. */
#include "sim_config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sim_parse_bytes(const char *text, uint64_t *bytes)
{
    if (text == NULL || !isdigit((unsigned char)text[0]))
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0)
        return false;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    default: break;
    }
    if (shift != 0 && (*end == 'i' || *end == 'I'))
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end != '\0')
        return false;
    if (shift != 0 && value > (UINT64_MAX >> shift))
        return false;
    *bytes = (uint64_t)value << shift;
    return true;
}

static void complain(const char *name, const char *value, const char *fallback)
{
    fprintf(stderr, "stormlog double: ignoring %s=%s (using %s)\n", name, value, fallback);
}

static bool read_bytes(const char *name, uint64_t *out)
{
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0')
        return false;
    uint64_t bytes = 0;
    if (!sim_parse_bytes(value, &bytes) || bytes == 0) {
        complain(name, value, "the default");
        return false;
    }
    *out = bytes;
    return true;
}

static bool read_long(const char *name, long min, long max, long *out)
{
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0')
        return false;
    errno = 0;
    char *end = NULL;
    long parsed = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || parsed < min || parsed > max) {
        complain(name, value, "the default");
        return false;
    }
    *out = parsed;
    return true;
}

void sim_config_from_env(sim_config *config)
{
    memset(config, 0, sizeof *config);
    config->devices = SIM_DEFAULT_DEVICES;
    long number = 0;
    if (read_long("STORMLOG_DOUBLE_DEVICES", 1, SIM_MAX_DEVICES, &number))
        config->devices = (int)number;

    uint64_t capacity = SIM_DEFAULT_CAPACITY;
    read_bytes("STORMLOG_DOUBLE_CAPACITY", &capacity);
    for (int device = 0; device < SIM_MAX_DEVICES; device++) {
        char name[64];
        snprintf(name, sizeof name, "STORMLOG_DOUBLE_CAPACITY_%d", device);
        config->capacity[device] = capacity;
        read_bytes(name, &config->capacity[device]);
    }
    read_bytes("STORMLOG_DOUBLE_HOST_CAPACITY", &config->host_capacity);

    if (read_long("STORMLOG_DOUBLE_FAIL_AT", 1, LONG_MAX, &number))
        config->fail_at = (uint64_t)number;
    if (read_long("STORMLOG_DOUBLE_FAIL_EVERY", 1, LONG_MAX, &number))
        config->fail_every = (uint64_t)number;
    if (read_long("STORMLOG_DOUBLE_FAIL_DEVICE", -1, SIM_MAX_DEVICES - 1, &number)) {
        config->fail_device_set = true;
        config->fail_device = (int)number;
    }

    if (read_long("STORMLOG_DOUBLE_FAIL_QUERIES", 0, 1, &number))
        config->fail_queries = number == 1;

    const char *truth = getenv("STORMLOG_DOUBLE_TRUTH");
    if (truth != NULL && truth[0] != '\0') {
        if (strlen(truth) < sizeof config->truth_path)
            strcpy(config->truth_path, truth);
        else
            complain("STORMLOG_DOUBLE_TRUTH", "(too long)", "no truth file");
    }
}
