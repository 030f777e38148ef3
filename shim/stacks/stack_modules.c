#include "stack_modules.h"

#include <elf.h>
#include <stdlib.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct resolve_ctx {
    sl_module_frame *frames;
    size_t n;
} resolve_ctx;

/* The main program is listed with an empty name. */
static const char *program_path(void)
{
    static char path[SL_MODULE_PATH_MAX];
    static bool read_once;
    if (!read_once) {
        read_once = true;
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        path[n > 0 ? n : 0] = '\0';
    }
    return path;
}

static void build_id_of(const struct dl_phdr_info *info, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    hex[0] = '\0';
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_NOTE)
            continue;
        const unsigned char *at = (const unsigned char *)(info->dlpi_addr + p->p_vaddr);
        const unsigned char *end = at + p->p_memsz;
        while (at + sizeof(ElfW(Nhdr)) <= end) {
            ElfW(Nhdr) nh;
            memcpy(&nh, at, sizeof nh);
            const unsigned char *name = at + sizeof nh;
            const unsigned char *desc = name + ((nh.n_namesz + 3u) & ~3u);
            const unsigned char *next = desc + ((nh.n_descsz + 3u) & ~3u);
            if (next > end || next <= at)
                break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                nh.n_descsz > 0 && nh.n_descsz * 2 < SL_BUILD_ID_HEX_MAX) {
                for (size_t k = 0; k < nh.n_descsz; k++) {
                    hex[2 * k] = digits[desc[k] >> 4];
                    hex[2 * k + 1] = digits[desc[k] & 0xF];
                }
                hex[2 * nh.n_descsz] = '\0';
                return;
            }
            at = next;
        }
    }
}

static const char *name_of(const struct dl_phdr_info *info)
{
    return info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : program_path();
}

void sl_modules_describe(const struct dl_phdr_info *info, char **name, char *build_id)
{
    *name = strdup(name_of(info));
    build_id_of(info, build_id);
}

void sl_modules_fill(sl_module_frame *fr, const char *name, const char *build_id, uint64_t bias)
{
    snprintf(fr->module, sizeof fr->module, "%s", name);
    snprintf(fr->build_id, sizeof fr->build_id, "%s", build_id);
    fr->offset = fr->address - bias;
    fr->found = true;
}

static int visit(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    resolve_ctx *ctx = data;
    bool have_id = false;
    char id[SL_BUILD_ID_HEX_MAX];
    for (size_t f = 0; f < ctx->n; f++) {
        sl_module_frame *fr = &ctx->frames[f];
        if (fr->found)
            continue;
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *p = &info->dlpi_phdr[i];
            uint64_t lo = info->dlpi_addr + p->p_vaddr;
            /* A return address may sit just past its call's segment end
             * (a noreturn call last): look it up as address - 1. */
            if (p->p_type != PT_LOAD || fr->address - 1 < lo || fr->address - 1 >= lo + p->p_memsz)
                continue;
            if (!have_id) {
                build_id_of(info, id);
                have_id = true;
            }
            sl_modules_fill(fr, name_of(info), id, info->dlpi_addr);
            break;
        }
    }
    return 0;
}

void sl_modules_resolve(sl_module_frame *frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        frames[i].found = false;
    resolve_ctx ctx = {frames, n};
    dl_iterate_phdr(visit, &ctx);
}
