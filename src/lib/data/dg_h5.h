/*
 * dg_h5: reading HDF5 files: data arrays, attributes, and walking a file for
 * `diffgeo info` and `diffgeo table`.  Writing run files is dg_run's (io/);
 * the two share the private dg_h5_file.h, and are the only modules that
 * include hdf5.h.
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dg_dataset.h"
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

/* --- Exact integers and axis labels (diffgeo table) ----------------------- */

/* What the values of an array are. */
typedef enum dg_h5_kind { DG_H5_FLOAT, DG_H5_SIGNED, DG_H5_UNSIGNED } dg_h5_kind;

/* Room for an axis label ("grid", "sample", ...); longer labels are cut. */
#define DG_H5_LABEL_MAX 32

typedef struct dg_h5_array_info {
    size_t rank;
    size_t shape[DG_H5_RANK_MAX];
    dg_h5_kind kind;
    char labels[DG_H5_RANK_MAX][DG_H5_LABEL_MAX]; /* "" for an unlabelled axis */
} dg_h5_array_info;

/*
 * Rank, shape, kind of values and axis labels (HDF5 dimension labels, h5py's
 * dset.dims[k].label) of the numeric array `name`, checked as
 * dg_h5_read_array checks it; nothing of its values is read.
 */
int dg_h5_describe_array(const char *path, const char *name, dg_h5_array_info *info, dg_error *err);

/* An integer array read exactly: no detour through double, which holds
 * integers exactly only up to 2^53. */
typedef struct dg_h5_integers {
    size_t rank;
    size_t shape[DG_H5_RANK_MAX];
    int64_t *s;  /* signed types: the values as int64, else NULL */
    uint64_t *u; /* unsigned types: the values as uint64, else NULL */
} dg_h5_integers;

/*
 * Reads the integer array `name` of any rank (≤ DG_H5_RANK_MAX) into out
 * (free with dg_h5_integers_free).  DG_EFORMAT for a float array.
 */
int dg_h5_read_integers(const char *path, const char *name, dg_h5_integers *out, dg_error *err);
void dg_h5_integers_free(dg_h5_integers *a);

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
/* The child's wall-clock limit: this many times its CPU limit (a reader
 * blocked or sleeping never reaches the CPU limit). */
#define DG_H5_ISOLATED_WALL_FACTOR 4
/* The address space the child may add: 4 GiB and 64 bytes per byte of the
 * file (its values as doubles, even compressed). */
#define DG_H5_ISOLATED_MEMORY_BYTES (4ULL << 30)
#define DG_H5_ISOLATED_MEMORY_PER_BYTE 64

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
 *   the child runs out of   DG_EFORMAT: "PATH: HDF5 library did not finish
 *   wall-clock time         reading in N s (malformed file?)", after
 *                           DG_H5_ISOLATED_WALL_FACTOR times the CPU limit
 *   the child is stopped    DG_ECANCELLED (SIGINT, SIGTERM, SIGHUP or SIGQUIT)
 *
 * Why a second read rather than sending the values back through a pipe: the
 * read stays one code path, the same as without isolation, and nothing new
 * parses bytes coming from a process that may have been corrupted; the cost
 * is reading the file twice (the second time from the page cache).  This
 * guards against malformed files, not against someone rewriting the file
 * between the two reads.
 *
 * The child's standard output and error go to /dev/null, SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT take their default action there, it dies with its
 * parent (Linux: PR_SET_PDEATHSIG), its address space may grow by
 * DG_H5_ISOLATED_MEMORY_BYTES plus DG_H5_ISOLATED_MEMORY_PER_BYTE per byte
 * of the file (no limit under AddressSanitizer; a failed allocation is a
 * failed read or a crash; the second read here gets the same bound), and it reports only a status
 * and message through a pipe: whatever reader does to ctx in the child is lost.  Do not use while
 * other threads of the process call HDF5 (libhdf5 is not thread-safe anyway).  Returns DG_EIO when
 * the pipe or the process cannot be created.
 */
int dg_h5_isolated(const char *path, dg_h5_reader reader, void *ctx, dg_error *err);

/* The address space a metadata read may add: 256 MiB and 8 bytes per byte
 * of the file. */
#define DG_H5_METADATA_MEMORY_BYTES (256ULL << 20)
#define DG_H5_METADATA_MEMORY_PER_BYTE 8

/*
 * dg_h5_isolated for a reader of metadata and attributes only (no array of
 * values, e.g. diffgeo info): the address space of both reads (the child's
 * and this process's) may grow by DG_H5_METADATA_MEMORY_BYTES plus
 * DG_H5_METADATA_MEMORY_PER_BYTE per byte of the file, so that a corrupt
 * length in a small file (a variable-length string "of 1.8 GB") fails that
 * read at once instead of making libhdf5 allocate and fill gigabytes.
 * (dg_h5_isolated also bounds this process's read by the child's limit.)
 */
int dg_h5_isolated_metadata(const char *path, dg_h5_reader reader, void *ctx, dg_error *err);

/* --- Walking a file ------------------------------------------------------- */

typedef struct dg_h5_entry {
    const char *path; /* "/config", "/trajectory", ... */
    bool is_group;    /* groups: true; datasets: false */
    size_t rank;      /* datasets: rank and shape */
    size_t shape[DG_H5_RANK_MAX];
    const char *type; /* datasets: "float64", "int64", "uint8", ... */
} dg_h5_entry;

/* Objects dg_h5_walk visits at most: run files hold a few dozen. */
#define DG_H5_WALK_MAX 100000

/* The length a path visited by dg_h5_walk stays below. */
#define DG_H5_WALK_PATH_MAX 1024

/*
 * Calls visit for every group and dataset, in name order, depth first.
 * DG_EFORMAT, after the objects visited so far, for a file with more than
 * DG_H5_WALK_MAX objects or a path of DG_H5_WALK_PATH_MAX bytes or more (a
 * malformed group structure can otherwise keep libhdf5 visiting without end).
 */
int dg_h5_walk(const char *path, void (*visit)(void *ctx, const dg_h5_entry *entry), void *ctx,
               dg_error *err);

/* Calls visit with each attribute of `object`, its value formatted as text. */
int dg_h5_walk_attrs(const char *path, const char *object,
                     void (*visit)(void *ctx, const char *name, const char *value), void *ctx,
                     dg_error *err);

#endif /* DG_H5_H */
