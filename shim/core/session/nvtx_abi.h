/* The part of NVTX v3's injection ABI the shim implements, declared here so
 * the shim builds without the CUDA toolkit; nvtx_abi_check.c holds every
 * value and layout below against the toolkit's nvtx3 headers wherever they
 * are installed (the build fails on a difference).
 *
 * How NVTX finds a tool: on a program's first NVTX call, the header-only
 * NVTX library dlopens $NVTX_INJECTION64_PATH, calls its exported
 * InitializeInjectionNvtx2(getExportTable), and the tool writes its own
 * function pointers into the slots of the modules it wants (CORE: push/pop
 * and start/end in the default domain; CORE2: the domain variants). Slots
 * left alone stay no-ops. */
#ifndef STORMLOG_SHIM_NVTX_ABI_H
#define STORMLOG_SHIM_NVTX_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

typedef void (*sl_nvtx_fn)(void);
typedef sl_nvtx_fn **sl_nvtx_function_table;

typedef struct sl_nvtx_export_callbacks {
    size_t struct_size;
    int (*get_module_function_table)(int module, sl_nvtx_function_table *out_table, unsigned int *out_size);
} sl_nvtx_export_callbacks;

typedef const void *(*sl_nvtx_get_export_table)(uint32_t export_table_id);

#define SL_NVTX_ETID_CALLBACKS 1

#define SL_NVTX_MODULE_CORE 1
#define SL_NVTX_MODULE_CORE2 5

#define SL_NVTX_CORE_RANGE_START_EX 4
#define SL_NVTX_CORE_RANGE_START_A 5
#define SL_NVTX_CORE_RANGE_START_W 6
#define SL_NVTX_CORE_RANGE_END 7
#define SL_NVTX_CORE_RANGE_PUSH_EX 8
#define SL_NVTX_CORE_RANGE_PUSH_A 9
#define SL_NVTX_CORE_RANGE_PUSH_W 10
#define SL_NVTX_CORE_RANGE_POP 11

#define SL_NVTX_CORE2_DOMAIN_RANGE_START_EX 2
#define SL_NVTX_CORE2_DOMAIN_RANGE_END 3
#define SL_NVTX_CORE2_DOMAIN_RANGE_PUSH_EX 4
#define SL_NVTX_CORE2_DOMAIN_RANGE_POP 5
#define SL_NVTX_CORE2_DOMAIN_REGISTER_STRING_A 10
#define SL_NVTX_CORE2_DOMAIN_REGISTER_STRING_W 11

#define SL_NVTX_MESSAGE_ASCII 1
#define SL_NVTX_MESSAGE_UNICODE 2
#define SL_NVTX_MESSAGE_REGISTERED 3

/* nvtxEventAttributes_v2: only `size`, `messageType` and `message` are read. */
typedef struct sl_nvtx_event_attributes {
    uint16_t version;
    uint16_t size;
    uint32_t category;
    int32_t color_type;
    uint32_t color;
    int32_t payload_type;
    int32_t reserved0;
    union {
        uint64_t u64;
        int64_t i64;
        double d;
    } payload;
    int32_t message_type;
    union {
        const char *ascii;
        const wchar_t *unicode;
        const void *registered; /* a handle from DomainRegisterStringA/W */
    } message;
} sl_nvtx_event_attributes;

/* The tool's entry point (nvtx_inject.c), exported unversioned. */
__attribute__((visibility("default"))) int InitializeInjectionNvtx2(sl_nvtx_get_export_table get_export_table);

#endif
