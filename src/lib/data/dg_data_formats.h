/*
 * dg_data_formats: the file-format loaders behind dg_data_load (IDX, NumPy
 * .npy, CIFAR-10 binary).  Private to libdiffgeo: not installed, and nothing
 * here is part of the public interface.
 *
 * Every loader reads an untrusted file: it checks the header against the
 * file's size before it allocates, so a header claiming a petabyte fails with
 * DG_EFORMAT, not DG_ENOMEM.  The .npy header parser is a pure function over
 * a byte buffer, the entry point for fuzzing.  All functions are thread-safe.
 */
#ifndef DG_DATA_FORMATS_H
#define DG_DATA_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "dg_dataset.h"
#include "dg_status.h"

/*
 * The loaders: they keep the rows dg_data_wanted names and read no others
 * (a later shard is reached by its byte offset, or by reading forward
 * through a gzip stream).
 * Return DG_OK with *out owned by the caller, or DG_EIO (cannot open or
 * read), DG_EFORMAT (malformed, truncated, unsupported type or rank),
 * DG_ENONFINITE (NaN or Inf), DG_ENOMEM; nothing is allocated on failure.
 */
int dg_load_idx(const char *path, const dg_data_options *opt, dg_dataset **out, dg_error *err);

/*
 * NumPy .npy, versions 1.0 to 3.0, of dtype '<f8', '>f8', '<f4', '>f4' or
 * '|u1' in C order; rank ≥ 2 with rows first (see dg_npy_parse_header).
 */
int dg_load_npy(const char *path, const dg_data_options *opt, dg_dataset **out, dg_error *err);

/*
 * CIFAR-10, binary version: split "train" reads dir/data_batch_1.bin …
 * data_batch_5.bin in that order, "test" reads dir/test_batch.bin.  Each
 * record is a label byte (ignored) and 3072 pixel bytes, three 32 × 32
 * channel planes R, G, B; rows keep that (C, H, W) order, image_shape
 * {3, 32, 32}, scaled by v/127.5 − 1.  Any file of a positive whole number
 * of records is accepted (the real ones hold 10 000).  Every file of the
 * split is opened and sized before anything is allocated.  DG_EUNKNOWN for
 * another split.
 */
int dg_load_cifar10(const char *dir, const char *split, const dg_data_options *opt,
                    dg_dataset **out, dg_error *err);

/*
 * Element encodings of the formats.  Unsigned bytes are image pixels,
 * scaled by v/127.5 − 1; floats are read as they are.
 */
typedef enum dg_elem_type {
    DG_ELEM_U8,    /* IDX ubyte, npy '|u1', CIFAR-10 pixels */
    DG_ELEM_F32LE, /* npy '<f4' */
    DG_ELEM_F32BE, /* IDX float, npy '>f4' */
    DG_ELEM_F64LE, /* npy '<f8' */
    DG_ELEM_F64BE  /* IDX double, npy '>f8' */
} dg_elem_type;

/* ------------------------------------------------------------------------ */
/* NumPy .npy headers                                                       */
/* ------------------------------------------------------------------------ */

/* numpy's NPY_MAXDIMS (64 since numpy 2.0). */
#define DG_NPY_RANK_MAX 64

/* numpy's reader refuses longer headers by default (max_header_size); the
 * header of a plain array is 118 bytes or a few multiples of 64 more. */
#define DG_NPY_HEADER_MAX 10000

/* A parsed and checked .npy header. */
typedef struct dg_npy_header {
    dg_elem_type type;             /* element type */
    size_t rank;                   /* number of axes, ≥ 2 */
    size_t shape[DG_NPY_RANK_MAX]; /* extents, all > 0; shape[0] = rows */
    size_t dim;                    /* values per row: Π shape[1..rank) */
    size_t data_offset;            /* bytes before the array data */
} dg_npy_header;

/* The longest preamble: magic, version and a uint32 header length. */
#define DG_NPY_PREAMBLE_MAX 12

/*
 * Reads the preamble of a .npy file: the magic "\x93NUMPY", version 1.0, 2.0
 * or 3.0 and the header length (uint16 LE for 1.0, uint32 LE otherwise).
 * buf holds the first len bytes of a file of file_size bytes, at least
 * min(file_size, DG_NPY_PREAMBLE_MAX) of them; what names the file in
 * messages.  *header_end gets the offset of the first byte after the header,
 * checked to lie within the file and to leave a header of at most
 * DG_NPY_HEADER_MAX bytes.  Returns DG_OK or DG_EFORMAT.
 */
int dg_npy_parse_preamble(const unsigned char *buf, size_t len, uint64_t file_size,
                          const char *what, size_t *header_end, dg_error *err);

/*
 * Parses preamble and header of a .npy file held in buf (the first len
 * bytes of a file of file_size bytes; a shorter buf than the header end is a
 * truncated header).  The header is
 * a Python dict literal as numpy writes it, with exactly the keys 'descr',
 * 'fortran_order' and 'shape' in any order, blanks around its tokens and
 * trailing commas allowed.  Checks that the type, order, rank and extents
 * are supported and that the file holds all the data the shape claims.
 * Reads nothing outside buf and allocates nothing: any bytes at all may be
 * passed (the fuzzing entry point).  Returns DG_OK or DG_EFORMAT.
 */
int dg_npy_parse_header(const unsigned char *buf, size_t len, uint64_t file_size, const char *what,
                        dg_npy_header *h, dg_error *err);

#endif /* DG_DATA_FORMATS_H */
