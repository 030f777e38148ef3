/* Python's str.lower() (single code points; U+0130 and the final sigma are
 * handled by the caller) and str.isalnum() beyond ASCII: generated tables
 * (unicase.c, scripts/gen_unicase.py). */
#ifndef STORMLOG_INSPECT_UNICASE_H
#define STORMLOG_INSPECT_UNICASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t sl_unicase_lower1(uint32_t cp);
bool sl_unicase_isalnum(uint32_t cp);

#endif
