/*
 * dg_source: the grammar of --data as one table, the data rows of
 * dg_data_load (dg_data_spec) and the distributions with an exact denoiser
 * after them:
 *
 *   gmm:FILE[:/group]     a Gaussian mixture stored in an HDF5 file
 *                         (dg_gmm_load_group; no group: the file's root)
 *   synthetic:NAME[,key=value...]
 *                         a built-in mixture (dg_gmm_synthetic), NAME one
 *                         of dg_gmm_synthetic_name; with the key n=N
 *                         (anywhere in the list) N data rows drawn from
 *                         it instead (dg_gmm_sample, an mt19937 stream
 *                         seeded from the key seed, default 0), of kind
 *                         DG_SOURCE_ROWS, loaded as every row spec is
 *
 * No spec has two forms.  Every list of specs in a message or help text is
 * written from this table (dg_source_list).  Thread-safe; mixture files are
 * read through dg_h5, so not from several threads at a time.
 */
#ifndef DG_SOURCE_H
#define DG_SOURCE_H

#include <stddef.h>

#include "dg_data.h"
#include "dg_gmm.h"
#include "dg_status.h"

/* What a form of spec gives; flags, or-ed in dg_source_list's kinds. */
typedef enum dg_source_kind {
    DG_SOURCE_ROWS = 1,   /* data rows (dg_dataset) */
    DG_SOURCE_MIXTURE = 2 /* a distribution with an exact denoiser (dg_gmm) */
} dg_source_kind;

/* The i-th form, rows first, and its kind (kind may be NULL); NULL past the last. */
const dg_spec_form *dg_source_at(size_t i, dg_source_kind *kind);

/* The form of spec and its kind (kind may be NULL, and is left alone when there is none); NULL if
 * none. */
const dg_spec_form *dg_source_find(const char *spec, dg_source_kind *kind);

/*
 * Writes the forms of the given kinds (DG_SOURCE_ROWS | DG_SOURCE_MIXTURE)
 * into text in style, as dg_spec_form_write does with `within`: text (size
 * bytes) is always NUL-terminated and cut short if need be.  Returns the
 * length of the whole list, as snprintf does.
 */
size_t dg_source_list(unsigned kinds, dg_spec_style style, const char *within, char *text,
                      size_t size);

/*
 * Loads what spec names: rows into *rows (as dg_data_load, opt may be NULL)
 * or a mixture into *mixture (opt->isolate_hdf5: a mixture file is read
 * through dg_h5_isolated); the other is set to NULL, and the caller frees
 * the one loaded.  Returns what the loader returns, and DG_EUNKNOWN for a
 * spec of no form, whose message lists the forms ("unknown data spec 'x'
 * (h5:PATH, ...)", or "unknown synthetic distribution 'x' (gmm, ...)" for
 * synthetic:x); DG_EINVAL for a malformed gmm: spec.
 */
int dg_source_load(const char *spec, const dg_data_options *opt, dg_dataset **rows,
                   dg_gmm **mixture, dg_error *err);

#endif /* DG_SOURCE_H */
