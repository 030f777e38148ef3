/* Look-up of runtime error codes by number (the lists: runtime_codes.h). */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "runtime_codes.h"

typedef struct code_name {
    int64_t code;
    const char *name;
} code_name;

#define AS_ENTRY(name, value) {value, #name},
static const code_name cuda_codes[] = {STORMLOG_CUDA_RUNTIME_CODES(AS_ENTRY)};
static const code_name hip_codes[] = {STORMLOG_HIP_RUNTIME_CODES(AS_ENTRY)};
#undef AS_ENTRY

static const char *find(const code_name *table, size_t n, int64_t code)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].code == code)
            return table[i].name;
    return NULL;
}

const char *runtime_code_name(const char *api, int64_t code)
{
    if (!api)
        return NULL;
    if (strncmp(api, "cuda", 4) == 0)
        return find(cuda_codes, sizeof cuda_codes / sizeof *cuda_codes, code);
    if (strncmp(api, "hip", 3) == 0)
        return find(hip_codes, sizeof hip_codes / sizeof *hip_codes, code);
    return NULL;
}

const char *runtime_code_text(const char *api, int64_t code, char out[RUNTIME_CODE_TEXT_MAX])
{
    const char *name = runtime_code_name(api, code);
    snprintf(out, RUNTIME_CODE_TEXT_MAX, "%" PRId64 "%s%s", code, name ? " " : "", name ? name : "");
    return out;
}
