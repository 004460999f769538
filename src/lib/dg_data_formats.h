/*
 * dg_data_formats: the file-format loaders behind dg_data_load (IDX).
 * Private to libdiffgeo: not installed, and nothing here is part of the
 * public interface.
 *
 * Every loader reads an untrusted file: it checks the header against the
 * file's size before it allocates, so a header claiming a petabyte fails with
 * DG_EFORMAT, not DG_ENOMEM.  All functions are thread-safe.
 */
#ifndef DG_DATA_FORMATS_H
#define DG_DATA_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "dg_data.h"
#include "dg_status.h"

/*
 * The loaders: limit > 0 keeps the first `limit` rows and reads no further.
 * Return DG_OK with *out owned by the caller, or DG_EIO (cannot open or
 * read), DG_EFORMAT (malformed, truncated, unsupported type or rank),
 * DG_ENONFINITE (NaN or Inf), DG_ENOMEM; nothing is allocated on failure.
 */
int dg_load_idx(const char *path, size_t limit, dg_dataset **out,
                dg_error *err);

/*
 * Element encodings of the formats.  Unsigned bytes are image pixels,
 * scaled by v/127.5 − 1; floats are read as they are.
 */
typedef enum dg_elem_type {
    DG_ELEM_U8,    /* IDX ubyte */
    DG_ELEM_F32BE, /* IDX float */
    DG_ELEM_F64BE  /* IDX double */
} dg_elem_type;

#endif /* DG_DATA_FORMATS_H */
