/* A bump allocator for the strings of many events: one recording owns one
 * arena, and frees it whole. Blocks grow geometrically up to 1 MiB; a request
 * bigger than that gets a block of its own. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct sl_arena_block {
    sl_arena_block *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
};

#define ARENA_MIN_BLOCK ((size_t)4096)
#define ARENA_MAX_BLOCK ((size_t)1 << 20)

void sl_arena_init(sl_arena *a)
{
    a->head = NULL;
    a->used_bytes = 0;
}

void sl_arena_free(sl_arena *a)
{
    sl_arena_block *b = a->head;
    while (b) {
        sl_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

void *sl_arena_alloc(sl_arena *a, size_t size)
{
    size = (size + 15u) & ~(size_t)15u;
    sl_arena_block *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = b ? b->cap * 2 : ARENA_MIN_BLOCK;
        if (cap > ARENA_MAX_BLOCK)
            cap = ARENA_MAX_BLOCK;
        if (cap < size)
            cap = size;
        sl_arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->cap = cap;
        nb->used = 0;
        if (b && cap == size && b->cap - b->used >= ARENA_MIN_BLOCK) {
            /* An oversized request: keep filling the current block afterwards. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->used_bytes += size;
    return p;
}

char *sl_arena_strdup(sl_arena *a, const char *bytes, size_t len)
{
    char *p = sl_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, bytes, len);
    p[len] = '\0';
    return p;
}

void sl_arena_adopt(sl_arena *dst, sl_arena *src)
{
    if (!src->head)
        return;
    sl_arena_block *tail = src->head;
    while (tail->next)
        tail = tail->next;
    /* src's blocks go behind dst's current head so dst keeps filling its own. */
    if (dst->head) {
        tail->next = dst->head->next;
        dst->head->next = src->head;
    } else {
        dst->head = src->head;
    }
    dst->used_bytes += src->used_bytes;
    src->head = NULL;
    src->used_bytes = 0;
}
