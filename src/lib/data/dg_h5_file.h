/*
 * dg_h5_file: what dg_h5 (reading) and dg_run (writing) share of HDF5.
 * Private to libdiffgeo: not installed; the only header that includes
 * hdf5.h.
 */
#ifndef DG_H5_FILE_H
#define DG_H5_FILE_H

#include <hdf5.h>

#include "dg_status.h"

/* Switches off HDF5's printing of its error stack: errors come back through dg_error. */
void dg_h5_quiet(void);

/*
 * Opens the existing HDF5 file at path read-only into *file (the caller
 * closes it with H5Fclose).  Returns DG_OK, DG_EIO (missing, unreadable or
 * a directory) or DG_EFORMAT (not HDF5).
 */
int dg_h5_open_file(const char *path, hid_t *file, dg_error *err);

#endif /* DG_H5_FILE_H */
