/* Build-time check of nvtx_abi.h against the CUDA toolkit's NVTX v3
 * headers. Compiled (never linked) wherever the headers are installed: a
 * value or layout that differs fails the build instead of corrupting an
 * application's NVTX table at run time. */
#include <stddef.h>

#include <nvtx3/nvToolsExt.h>

#include "nvtx_abi.h"

#define SAME(ours, theirs) _Static_assert((ours) == (theirs), #ours " differs from " #theirs)

SAME(SL_NVTX_ETID_CALLBACKS, NVTX_ETID_CALLBACKS);
SAME(SL_NVTX_MODULE_CORE, NVTX_CB_MODULE_CORE);
SAME(SL_NVTX_MODULE_CORE2, NVTX_CB_MODULE_CORE2);
SAME(SL_NVTX_CORE_RANGE_START_EX, NVTX_CBID_CORE_RangeStartEx);
SAME(SL_NVTX_CORE_RANGE_START_A, NVTX_CBID_CORE_RangeStartA);
SAME(SL_NVTX_CORE_RANGE_START_W, NVTX_CBID_CORE_RangeStartW);
SAME(SL_NVTX_CORE_RANGE_END, NVTX_CBID_CORE_RangeEnd);
SAME(SL_NVTX_CORE_RANGE_PUSH_EX, NVTX_CBID_CORE_RangePushEx);
SAME(SL_NVTX_CORE_RANGE_PUSH_A, NVTX_CBID_CORE_RangePushA);
SAME(SL_NVTX_CORE_RANGE_PUSH_W, NVTX_CBID_CORE_RangePushW);
SAME(SL_NVTX_CORE_RANGE_POP, NVTX_CBID_CORE_RangePop);
SAME(SL_NVTX_CORE2_DOMAIN_RANGE_START_EX, NVTX_CBID_CORE2_DomainRangeStartEx);
SAME(SL_NVTX_CORE2_DOMAIN_RANGE_END, NVTX_CBID_CORE2_DomainRangeEnd);
SAME(SL_NVTX_CORE2_DOMAIN_RANGE_PUSH_EX, NVTX_CBID_CORE2_DomainRangePushEx);
SAME(SL_NVTX_CORE2_DOMAIN_RANGE_POP, NVTX_CBID_CORE2_DomainRangePop);
SAME(SL_NVTX_CORE2_DOMAIN_REGISTER_STRING_A, NVTX_CBID_CORE2_DomainRegisterStringA);
SAME(SL_NVTX_CORE2_DOMAIN_REGISTER_STRING_W, NVTX_CBID_CORE2_DomainRegisterStringW);
SAME(SL_NVTX_MESSAGE_ASCII, NVTX_MESSAGE_TYPE_ASCII);
SAME(SL_NVTX_MESSAGE_UNICODE, NVTX_MESSAGE_TYPE_UNICODE);
SAME(SL_NVTX_MESSAGE_REGISTERED, NVTX_MESSAGE_TYPE_REGISTERED);

SAME(sizeof(sl_nvtx_event_attributes), sizeof(nvtxEventAttributes_t));
SAME(offsetof(sl_nvtx_event_attributes, size), offsetof(nvtxEventAttributes_t, size));
SAME(offsetof(sl_nvtx_event_attributes, message_type), offsetof(nvtxEventAttributes_t, messageType));
SAME(offsetof(sl_nvtx_event_attributes, message), offsetof(nvtxEventAttributes_t, message));
SAME(sizeof(sl_nvtx_export_callbacks), sizeof(NvtxExportTableCallbacks));
SAME(offsetof(sl_nvtx_export_callbacks, get_module_function_table),
     offsetof(NvtxExportTableCallbacks, GetModuleFunctionTable));

/* The entry point has the type NVTX calls it through. */
__attribute__((unused)) static const NvtxInitializeInjectionNvtxFunc_t entry_point_type = InitializeInjectionNvtx2;
