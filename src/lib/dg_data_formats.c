/* dg_data_formats: the IDX loader behind dg_data_load. */
#include "config.h"

#include "dg_data_formats.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dg_tensor.h"

/* ------------------------------------------------------------------------ */
/* Element decoding                                                         */
/* ------------------------------------------------------------------------ */

static size_t elem_size(dg_elem_type type)
{
    switch (type) {
    case DG_ELEM_U8:
        return 1;
    case DG_ELEM_F32BE:
        return 4;
    default:
        return 8;
    }
}

/* The unsigned integer of size bytes at p, in either byte order. */
static uint64_t load_uint(const unsigned char *p, size_t size, int big_endian)
{
    uint64_t u = 0;
    for (size_t k = 0; k < size; k++)
        u = u << 8 | p[big_endian ? k : size - 1 - k];
    return u;
}

/* Decodes count elements of src into dst: pixels to [−1, 1], floats as they are. */
static void decode_elems(dg_elem_type type, const unsigned char *src,
                         size_t count, double *dst)
{
    const size_t size = elem_size(type);
    for (size_t k = 0; k < count; k++) {
        const unsigned char *p = src + k * size;
        if (type == DG_ELEM_U8) {
            dst[k] = p[0] / 127.5 - 1.0;
        } else if (size == 4) {
            const uint32_t u = (uint32_t)load_uint(p, 4, 1);
            float v;
            memcpy(&v, &u, sizeof v);
            dst[k] = v;
        } else {
            const uint64_t u = load_uint(p, 8, 1);
            double v;
            memcpy(&v, &u, sizeof v);
            dst[k] = v;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* IDX (MNIST format)                                                       */
/* ------------------------------------------------------------------------ */

/* The IDX header: two zero bytes, an element type, the rank, then big-endian
 * uint32 extents.  Rank ≥ 2 (rows of vectors or images) is required. */
#define IDX_RANK_MAX 4
enum { IDX_UBYTE = 0x08, IDX_FLOAT = 0x0D, IDX_DOUBLE = 0x0E };

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

/*
 * The uncompressed size of a file as far as it can be known without reading
 * it: the byte count of a plain file, or the gzip ISIZE trailer (size mod
 * 2^32) of a gzip file.  Returns 0 if unknown.
 */
static int idx_stored_size(const char *path, uint64_t *size, int *modulo32)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char magic[2] = {0, 0};
    struct stat st;
    int known = 0;
    if (fstat(fileno(f), &st) == 0 && fread(magic, 1, 2, f) == 2) {
        if (magic[0] == 0x1f && magic[1] == 0x8b) {
            unsigned char t[4];
            if (st.st_size >= 18 && fseek(f, -4, SEEK_END) == 0 &&
                fread(t, 1, 4, f) == 4) {
                *size = (uint64_t)t[0] | (uint64_t)t[1] << 8 |
                        (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
                *modulo32 = 1;
                known = 1;
            }
        } else {
            *size = (uint64_t)st.st_size;
            *modulo32 = 0;
            known = 1;
        }
    }
    fclose(f);
    return known;
}

/* Decompresses the whole file to count its bytes (multi-member gzip files). */
static uint64_t gzip_length(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    unsigned char buf[1 << 16];
    uint64_t total = 0;
    int got;
    if (!gz)
        return 0;
    while ((got = gzread(gz, buf, sizeof buf)) > 0)
        total += (uint64_t)got;
    gzclose(gz);
    return total;
}

int dg_load_idx(const char *path, size_t limit, dg_dataset **out,
                dg_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return dg_error_set(err, DG_EIO, "cannot open %s: Is a directory", path);
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path,
                            strerror(errno ? errno : ENOENT));
    int status = DG_OK;
    dg_dataset *data = NULL;
    unsigned char *row = NULL;
    unsigned char head[4];
    unsigned char ext[4 * IDX_RANK_MAX];

    if (gzread(gz, head, 4) != 4 || head[0] != 0 || head[1] != 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: not an IDX file (bad magic)", path);
        goto close_file;
    }
    const size_t rank = head[3];
    dg_elem_type type;
    if (head[2] == IDX_UBYTE)
        type = DG_ELEM_U8;
    else if (head[2] == IDX_FLOAT)
        type = DG_ELEM_F32BE;
    else if (head[2] == IDX_DOUBLE)
        type = DG_ELEM_F64BE;
    else {
        status = dg_error_set(err, DG_EFORMAT,
                              "%s: unsupported IDX element type 0x%02X", path, head[2]);
        goto close_file;
    }
    const size_t elem = elem_size(type);
    if (rank < 2 || rank > IDX_RANK_MAX) {
        status = dg_error_set(err, DG_EFORMAT,
                              "%s: IDX rank %zu, expected rows of vectors or images (rank 2 to %d)",
                              path, rank, IDX_RANK_MAX);
        goto close_file;
    }
    if (gzread(gz, ext, (unsigned)(4 * rank)) != (int)(4 * rank)) {
        status = dg_error_set(err, DG_EFORMAT, "%s: truncated IDX header", path);
        goto close_file;
    }
    size_t n = be32(ext), dim = 1;
    for (size_t k = 1; k < rank; k++) {
        size_t e = be32(ext + 4 * k);
        if (e == 0 || dim > SIZE_MAX / e) {
            status = dg_error_set(err, DG_EFORMAT, "%s: IDX extent %zu of axis %zu is invalid",
                                  path, e, k);
            goto close_file;
        }
        dim *= e;
    }
    if (n == 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: IDX file holds no rows", path);
        goto close_file;
    }
    /* Refuse a header that claims more bytes than the file holds, before allocating. */
    uint64_t stored = 0;
    int modulo32 = 0;
    const uint64_t want = 4 + 4 * (uint64_t)rank + (uint64_t)n * dim * elem;
    if (dim > UINT64_MAX / elem / n) {
        status = dg_error_set(err, DG_EFORMAT, "%s: IDX header claims an impossible size", path);
        goto close_file;
    }
    /* The gzip trailer holds the length of the last member only: when it
     * disagrees, count the bytes of a multi-member file the slow way. */
    const int known = idx_stored_size(path, &stored, &modulo32);
    if (known && modulo32 && (want & 0xffffffffu) != stored) {
        stored = gzip_length(path);
        modulo32 = 0;
    }
    if (known && !modulo32 && want > stored) {
        status = dg_error_set(err, DG_EFORMAT,
                              "%s: truncated IDX file (header claims %zu rows of %zu values)",
                              path, n, dim);
        goto close_file;
    }
    const size_t keep = limit && limit < n ? limit : n;
    data = dg_dataset_alloc(keep, dim);
    row = malloc(dim * elem);
    if (!data || !row) {
        status = dg_error_set(err, DG_ENOMEM, "%s: cannot allocate %zu × %zu doubles",
                              path, keep, dim);
        goto close_file;
    }
    for (size_t i = 0; i < keep; i++) {
        if (gzread(gz, row, (unsigned)(dim * elem)) != (int)(dim * elem)) {
            status = dg_error_set(err, DG_EFORMAT, "%s: truncated IDX file at row %zu", path, i);
            goto close_file;
        }
        decode_elems(type, row, dim, data->x + i * dim);
    }
    if (rank - 1 <= DG_IMAGE_RANK_MAX && rank >= 3) {
        data->image_rank = rank - 1;
        for (size_t k = 1; k < rank; k++)
            data->image_shape[k - 1] = be32(ext + 4 * k);
    }
    status = dg_check_finite(data->x, keep, dim, path, err);

close_file:
    gzclose(gz);
    free(row);
    if (status != DG_OK)
        dg_dataset_free(data);
    else
        *out = data;
    return status;
}

