/*
 * dg_h5: every contact of libdiffgeo with HDF5 (the only file that includes
 * hdf5.h): reading data arrays, writing run files atomically, and walking a
 * file for `diffgeo info` and `diffgeo table`.
 *
 * HDF5's own error printing is switched off on every entry: failures come
 * back as dg_status codes with a message.  HDF5 1.10 is not thread-safe in
 * Debian's build: call these functions from one thread at a time.
 *
 * Trust boundary: rank, shape, type, layout, filters and storage of the
 * arrays we read are checked before anything is allocated for them (values
 * must be stored in the file itself: no external files, virtual datasets,
 * external links or unwritten chunks), but a deliberately malformed file can
 * still crash libhdf5 itself: read such files through dg_h5_isolated (the
 * diffgeo tool does, for every HDF5 input but run files).
 */
#ifndef DG_H5_H
#define DG_H5_H

#include <signal.h>
#include <stddef.h>

#include "dg_data.h"
#include "dg_status.h"

/* The largest rank of an array dg_h5 reads or describes. */
#define DG_H5_RANK_MAX 8

/*
 * Reads the array `name` (NULL: the file's only array at the root) of rank
 * ≥ 2 as rows: axis 0 indexes rows, the other axes are flattened.  Integer
 * arrays are images, scaled to [−1, 1] by their type's range; float arrays
 * are read as they are.  limit > 0 reads only the first `limit` rows.
 */
int dg_h5_read_rows(const char *path, const char *name, size_t limit, dg_dataset **out,
                    dg_error *err);

/* The same for the rows opt names (limit and shard, dg_data_wanted): a
 * shard is read as a hyperslab, so the other rows never enter memory. */
int dg_h5_read_shard(const char *path, const char *name, const dg_data_options *opt,
                     dg_dataset **out, dg_error *err);

/*
 * Reads a float or integer array of any rank (≤ DG_H5_RANK_MAX) as doubles,
 * without scaling.  *data is allocated with dg_doubles_alloc (the caller
 * frees it); shape gets rank entries.
 */
int dg_h5_read_array(const char *path, const char *name, size_t *rank, size_t shape[DG_H5_RANK_MAX],
                     double **data, dg_error *err);

/*
 * Reads an integer attribute (scalar or 1-D) of object `object` into
 * values[0..max−1] and sets *count.  Returns DG_EFORMAT if absent.
 */
int dg_h5_read_attr_ints(const char *path, const char *object, const char *name, long *values,
                         size_t max, size_t *count, dg_error *err);

/*
 * Reads a scalar string attribute (variable or fixed length) of object
 * `object` into text (size bytes, always NUL-terminated; a longer value is
 * refused).  Returns DG_EFORMAT if the object or attribute is absent or not
 * a string.
 */
int dg_h5_read_attr_string(const char *path, const char *object, const char *name, char *text,
                           size_t size, dg_error *err);

/* --- Reading untrusted files in a child process --------------------------- */

/* A read of an HDF5 file: returns a dg_status and leaves its results in ctx. */
typedef int (*dg_h5_reader)(void *ctx, dg_error *err);

/* CPU seconds an isolated read may take, plus one per MiB of the file. */
#define DG_H5_ISOLATED_CPU_SECONDS 60

/*
 * Runs reader(ctx, err) on the HDF5 file at path first in a child process
 * (fork) and, only when the child finished it cleanly, again in this
 * process.  libhdf5 1.10 crashes, or loops forever, on some malformed files
 * (README.md, "Trust boundary"); through this call such a file gives an
 * error instead of ending or hanging the caller's process:
 *
 *   the child succeeds      reader runs here; its status is returned
 *   the child fails cleanly its status and message are returned, and
 *                           reader does not run here
 *   the child crashes       DG_EFORMAT: "PATH: HDF5 library crashed while
 *                           reading (malformed file?)" (any end without a
 *                           report: a signal, an abort, a sanitizer's exit)
 *   the child runs out of   DG_EFORMAT: "PATH: HDF5 library did not finish
 *   CPU time                reading in N s of CPU time (malformed file?)",
 *                           after DG_H5_ISOLATED_CPU_SECONDS plus one second
 *                           per MiB of the file
 *   the child is stopped    DG_ECANCELLED (SIGINT or SIGTERM reached it)
 *
 * Why a second read rather than sending the values back through a pipe: the
 * read stays one code path, the same as without isolation, and nothing new
 * parses bytes coming from a process that may have been corrupted; the cost
 * is reading the file twice (the second time from the page cache).  This
 * guards against malformed files, not against someone rewriting the file
 * between the two reads.
 *
 * The child's standard output and error go to /dev/null, SIGINT and SIGTERM
 * take their default action there, and it reports only a status and message
 * through a pipe: whatever reader does to ctx in the child is lost.  Do not
 * use while other threads of the process call HDF5 (libhdf5 is not
 * thread-safe anyway).  Returns DG_EIO when the pipe or the process cannot
 * be created.
 */
int dg_h5_isolated(const char *path, dg_h5_reader reader, void *ctx, dg_error *err);

/* --- Walking a file ------------------------------------------------------- */

typedef struct dg_h5_entry {
    const char *path; /* "/config", "/trajectory", ... */
    int is_group;     /* 1 for groups, 0 for datasets */
    size_t rank;      /* datasets: rank and shape */
    size_t shape[DG_H5_RANK_MAX];
    const char *type; /* datasets: "float64", "int64", "uint8", ... */
} dg_h5_entry;

/* Objects dg_h5_walk visits at most: run files hold a few dozen. */
#define DG_H5_WALK_MAX 100000

/*
 * Calls visit for every group and dataset, in name order, depth first.
 * DG_EFORMAT, after the objects visited so far, for a file with more than
 * DG_H5_WALK_MAX objects or a path of 1024 bytes or more (a malformed group
 * structure can otherwise keep libhdf5 visiting without end).
 */
int dg_h5_walk(const char *path, void (*visit)(void *ctx, const dg_h5_entry *entry), void *ctx,
               dg_error *err);

/* Calls visit with each attribute of `object`, its value formatted as text. */
int dg_h5_walk_attrs(const char *path, const char *object,
                     void (*visit)(void *ctx, const char *name, const char *value), void *ctx,
                     dg_error *err);

/* --- Writing -------------------------------------------------------------- */

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
    int is_integer;   /* store the number as int64 */
} dg_h5_attr;

/* --- Run files (DESIGN.md, "Run file") ------------------------------------- */

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
    int final_zero;      /* 1 when the grid ends with σ = 0 */
    int denoise_to_zero; /* 1 when that last step returns D(x; σ) itself */
    int afs;             /* 1 when the first evaluation was analytical */
    int threshold;       /* 1 when D was dynamically thresholded */
    unsigned max_order;  /* order cap of the multistep solvers */
    size_t nfe;          /* denoiser evaluations */
    size_t n, dim;       /* start points and their dimension */
    size_t image_rank;   /* 0, or the image shape of a row */
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
} dg_h5_write_options;

/*
 * Writes a run file at path: to a temporary file in the same directory,
 * with named axes (grid = T + 1 grid points, eval = T evaluations, sample,
 * dim; h5py shows them as dset.dims[k].label),
 * fsynced and renamed over path only when complete, so that a failure never
 * leaves a partial file (and an older file of the same name stays intact).
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

#endif /* DG_H5_H */
