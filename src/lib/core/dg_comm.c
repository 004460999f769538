/* dg_comm: dealing rows out to processes. */
#include "config.h"

#include "dg_comm.h"

void dg_data_shard(size_t n, size_t align, size_t parts, size_t part, size_t *first, size_t *count)
{
    const size_t blocks = (n + align - 1) / align;
    const size_t base = blocks / parts, extra = blocks % parts;
    const size_t b0 = part * base + (part < extra ? part : extra);
    const size_t nb = base + (part < extra ? 1 : 0);
    const size_t begin = b0 * align < n ? b0 * align : n;
    const size_t end = (b0 + nb) * align < n ? (b0 + nb) * align : n;
    *first = begin;
    *count = end - begin;
}
