/* The tables behind api.h, generated from hook_table.h's rows. */
#include "api.h"

#include "driver_api.h"
#include "gpu_api.h"

sl_real_slot sl_hook_slots[SL_HOOK_COUNT] = {
#define SL_HOOK_SLOT_ROW(e, sym, rt, ...) [SL_API_##e] = SL_REAL_SLOT_INIT(sym, SL_RUNTIME_##rt),
    SL_HOOK_LIST(SL_HOOK_SLOT_ROW)
#undef SL_HOOK_SLOT_ROW
};

const sl_api_info sl_api_table[SL_HOOK_COUNT] = {
#define SL_API_ROW(e, sym, rt, kind, lookup, version, ptsz)                                                \
    [SL_API_##e] = {#sym,       SL_RUNTIME_##rt,  SL_COLLECTOR_OF_##rt, SL_KIND_##kind, #lookup, version, \
                    SL_API_##ptsz, (void *)&sym, &sl_hook_slots[SL_API_##e]},
    SL_HOOK_LIST(SL_API_ROW)
#undef SL_API_ROW
};
