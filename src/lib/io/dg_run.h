/*
 * dg_run: writing HDF5 files, all of them atomically: run files
 * (doc/theory.md §9), files of arrays, and arrays added to a file.
 * Reading is dg_h5's (data/).
 *
 * Output paths (dg_file_resolve_output): a path that does not exist or a
 * regular file the user may write; a FIFO, device, socket or directory is
 * refused (DG_EIO) before anything is written.  A symbolic link's target is
 * replaced (its temporary file is made beside the target), the link stays;
 * a replaced file keeps its mode and, where the user may set it, its group;
 * a hard link is replaced by the new file (other names keep the old one).
 *
 * HDF5's own error printing is switched off on every entry: failures come
 * back as dg_status codes with a message.  HDF5 1.10 is not thread-safe in
 * Debian's build: call these functions from one thread at a time.
 */
#ifndef DG_RUN_H
#define DG_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "dg_file.h"
#include "dg_h5.h"
#include "dg_status.h"

/*
 * Tells libhdf5 not to clean up in an atexit handler.  libhdf5 1.10.8
 * crashes in that handler after a file failed to close: a write past
 * `ulimit -f` or onto a full disk is reported (DG_EIO, the temporary file
 * removed), and the process would then die by SIGSEGV when it exits.  Call
 * this before any other dg_h5 function (later calls have no effect), as the
 * diffgeo tool does; every file the library opens is closed by then.
 */
void dg_h5_disable_exit_cleanup(void);

/* A float64 array to write, with its documentation attributes. */
typedef struct dg_h5_array {
    const char *name;   /* full path, e.g. "/metrics/deviation" */
    const double *data; /* row-major, product of shape doubles; NULL: remove
                           (dg_h5_add_arrays only) */
    size_t rank;
    size_t shape[DG_H5_RANK_MAX];
    const char *description; /* stored as attribute "description" */
    const char *units;       /* stored as attribute "units" */
    const char *axes;        /* axis labels, e.g. "grid sample"; NULL for none */
    const char *note;        /* stored as attribute "note" when not NULL */
} dg_h5_array;

/* An attribute: a string (text != NULL), an integer or a double. */
typedef struct dg_h5_attr {
    const char *name;
    const char *text; /* string value, or NULL for a number */
    double number;    /* numeric value */
    bool is_integer;  /* store the number as int64 */
} dg_h5_attr;

/* --- Run files (doc/theory.md §9) ------------------------------------------- */

typedef struct dg_run {
    /* Root attributes (diffgeo_version and created are added by the writer). */
    const char *command_line;
    unsigned long seed;
    /* /config attributes */
    const char *data;     /* the data spec */
    size_t limit;         /* rows of the data used (--limit), 0 for all */
    const char *denoiser; /* denoiser kind */
    const char *solver;   /* solver name */
    const char *schedule; /* schedule name */
    size_t steps;         /* timestamps from σ_max to σ_min */
    double sigma_min, sigma_max, rho;
    bool final_zero;      /* the grid ends with σ = 0 */
    bool denoise_to_zero; /* that last step returns D(x; σ) itself */
    bool afs;             /* the first evaluation was analytical */
    bool threshold;       /* D was dynamically thresholded */
    unsigned max_order;   /* order cap of the multistep solvers */
    size_t nfe;           /* denoiser evaluations */
    size_t n, dim;        /* start points and their dimension */
    size_t image_rank;    /* 0, or the image shape of a row */
    const size_t *image_shape;
    /* Arrays */
    const double *sigmas;     /* T + 1 */
    size_t nsigmas;           /* T + 1 */
    const double *trajectory; /* (T + 1) × n × dim */
    const double *denoised;   /* T × n × dim */
    /* Further arrays of the command (e.g. /interpolation/...), may be none. */
    const dg_h5_array *extra;
    size_t nextra;
    /* Further /config attributes (e.g. jump_at), may be none. */
    const dg_h5_attr *extra_config;
    size_t nextra_config;
} dg_run;

/* Options of the writers' expert calls; NULL means the defaults. */
typedef struct dg_h5_write_options {
    /* When non-NULL and set non-zero (e.g. by a signal handler) before the
     * file is complete, the write stops with DG_ECANCELLED: the temporary
     * file is removed and an older file of the same name stays intact.  The
     * rename is the commit point: once it has happened the write succeeds. */
    const volatile sig_atomic_t *cancel;
    /* When non-NULL, the version (dg_file_version_of) of the file at path
     * that the caller read: dg_h5_add_arrays_ex copies the file only if it
     * is still that version, and every writer renames over it only if it
     * still is just before the rename; otherwise DG_EIO ("PATH changed
     * since it was read (another program wrote it); nothing written"), the
     * temporary file removed.  So a file measured and then replaced by
     * another program never gets the measurements of the old one.  Every
     * writer takes the writers' lock (dg_file_lock_writers) on the file it
     * replaces for its last check and its rename, so no other diffgeo
     * writer renames over the file between the two; a program that takes
     * no fcntl lock (mv, h5py) still can, in the microseconds of one stat
     * and one rename. */
    const dg_file_version *expect;
} dg_h5_write_options;

/*
 * Writes a run file at path: to a temporary file in the same directory,
 * with named axes (grid = T + 1 grid points, eval = T evaluations, sample,
 * dim; h5py shows them as dset.dims[k].label),
 * fsynced and renamed over path only when complete, so that a failure never
 * leaves a partial file (and an older file of the same name stays intact).
 * The rename is made under the writers' lock on the file replaced
 * (dg_file_lock_writers): it waits while another process holds that lock.
 * Returns DG_OK, DG_EIO (cannot create, write or rename; a full disk) or
 * DG_EINVAL (a path too long).
 */
int dg_h5_write_run(const char *path, const dg_run *run, dg_error *err);

/* The same, with options (opt may be NULL); adds DG_ECANCELLED. */
int dg_h5_write_run_ex(const char *path, const dg_run *run, const dg_h5_write_options *opt,
                       dg_error *err);

/*
 * Adds (or replaces) count float64 arrays in the existing file at path,
 * creating intermediate groups; an entry whose data is NULL removes that
 * array if present (a stale result).  The file is copied, changed and
 * renamed over the original only when complete: a failure leaves it
 * untouched.
 */
int dg_h5_add_arrays(const char *path, const dg_h5_array *arrays, size_t count, dg_error *err);

/* The same, with options (opt may be NULL); adds DG_ECANCELLED (and opt->expect). */
int dg_h5_add_arrays_ex(const char *path, const dg_h5_array *arrays, size_t count,
                        const dg_h5_write_options *opt, dg_error *err);

/*
 * Writes a new file at path atomically (like dg_h5_write_run) holding the
 * root attributes diffgeo_version, created and attrs, and the arrays
 * (intermediate groups are created).
 */
int dg_h5_write_file(const char *path, const dg_h5_attr *attrs, size_t nattrs,
                     const dg_h5_array *arrays, size_t narrays, dg_error *err);

/*
 * dg_h5_write_file with integer arrays and options besides: each of the
 * nints arrays in ints holds integers (as doubles, exact below 2^53 in
 * magnitude) and is stored as int64 (labels, counts); ints may be NULL when
 * nints is 0.  opt may be NULL; with opt->cancel it adds DG_ECANCELLED.
 */
int dg_h5_write_file_ex(const char *path, const dg_h5_attr *attrs, size_t nattrs,
                        const dg_h5_array *arrays, size_t narrays, const dg_h5_array *ints,
                        size_t nints, const dg_h5_write_options *opt, dg_error *err);

#endif /* DG_RUN_H */
