/* The table behind api.h. */
#include "api.h"

const sl_api_info sl_api_table[SL_API_COUNT] = {
#define SL_API_ROW(e, name, collector, kind) [SL_API_##e] = {name, collector, kind},
    SL_API_LIST(SL_API_ROW)
#undef SL_API_ROW
};
