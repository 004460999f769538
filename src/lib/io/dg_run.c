/* dg_run: atomic HDF5 files: run files, files of arrays, arrays added. */
#include "config.h"

#include "dg_run.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dg_file.h"
#include "dg_h5_file.h"

/* The longest list of axis labels, e.g. "grid sample dim". */
#define LABELS_MAX 128
/* "2026-01-31T12:00:00Z" and its NUL, with room to spare. */
#define CREATED_MAX 32
/* Temporary names tried beside a file before giving up, and their length. */
#define TEMP_NAME_TRIES 1000
#define TEMP_PATH_MAX (PATH_MAX + 64)
/* Bytes copied at a time by copy_file. */
#define COPY_BUFFER (1 << 16)

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

void dg_h5_disable_exit_cleanup(void)
{
    H5dont_atexit();
}

static herr_t attr_write(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, hid_t space,
                         const void *value)
{
    hid_t attr = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    herr_t rc = H5Awrite(attr, mem_type, value);
    H5Aclose(attr);
    return rc;
}

/* A scalar variable-length UTF-8 string: h5py reads it as a plain str. */
static herr_t attr_string(hid_t obj, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    herr_t rc = attr_write(obj, name, type, type, space, &value);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

static herr_t attr_ints(hid_t obj, const char *name, const long long *v, size_t count, bool scalar)
{
    hsize_t dims = count;
    hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, NULL);
    herr_t rc = attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, space, v);
    H5Sclose(space);
    return rc;
}

static herr_t attr_int(hid_t obj, const char *name, long long v)
{
    return attr_ints(obj, name, &v, 1, true);
}

static herr_t attr_double(hid_t obj, const char *name, double v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    herr_t rc = attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, &v);
    H5Sclose(space);
    return rc;
}

/*
 * Names each axis (h5py: dset.dims[k].label) from a space-separated list such
 * as "grid sample dim"; a missing list leaves the axes unnamed.
 */
static herr_t label_axes(hid_t dset, int rank, const char *labels)
{
    char buf[LABELS_MAX];
    if (!labels)
        return 0;
    snprintf(buf, sizeof buf, "%s", labels);
    char *save = NULL, *word = strtok_r(buf, " ", &save);
    for (int k = 0; k < rank && word; k++, word = strtok_r(NULL, " ", &save))
        if (H5DSset_label(dset, (unsigned)k, word) < 0)
            return -1;
    return 0;
}

static herr_t write_array(hid_t file, const char *name, const double *data, int rank,
                          const hsize_t *dims, const char *labels)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dset =
        H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc =
        dset < 0 ? -1 : H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (rc >= 0)
        rc = label_axes(dset, rank, labels);
    if (dset >= 0)
        H5Dclose(dset);
    H5Sclose(space);
    return rc;
}

/* Root attributes of every file diffgeo writes: diffgeo_version and created (UTC). */
static herr_t stamp_root(hid_t file)
{
    char created[CREATED_MAX];
    const time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
    herr_t rc = attr_string(file, "diffgeo_version", PACKAGE_VERSION);
    if (rc >= 0)
        rc = attr_string(file, "created", created);
    return rc;
}

static int add_array(hid_t file, const dg_h5_array *a);

static herr_t write_attrs(hid_t obj, const dg_h5_attr *attrs, size_t count)
{
    herr_t rc = 0;
    for (size_t k = 0; k < count && rc >= 0; k++) {
        const dg_h5_attr *a = &attrs[k];
        rc = a->text         ? attr_string(obj, a->name, a->text)
             : a->is_integer ? attr_int(obj, a->name, (long long)a->number)
                             : attr_double(obj, a->name, a->number);
    }
    return rc;
}

static bool cancelled(const dg_h5_write_options *opt)
{
    return opt && opt->cancel && *opt->cancel;
}

/* The refusal when the file at path is not the version opt expects. */
static int changed(const char *path, dg_error *err)
{
    return dg_error_set(err, DG_EIO,
                        "%s changed since it was read (another program wrote it); nothing written",
                        path);
}

/* DG_OK when opt expects no version or the file target (path as the user
 * named it) is the version expected. */
static int check_version(const char *target, const char *path, const dg_h5_write_options *opt,
                         dg_error *err)
{
    dg_file_version now;
    if (!opt || !opt->expect)
        return DG_OK;
    if (dg_file_version_of(target, &now, NULL) != DG_OK || !dg_file_version_same(&now, opt->expect))
        return changed(path, err);
    return DG_OK;
}

/* The /config group of a run file: its settings as attributes. */
static herr_t write_run_config(hid_t file, const dg_run *r)
{
    hid_t config = H5Gcreate2(file, "/config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (config < 0)
        return -1;
    herr_t rc = 0;
    rc |= attr_string(config, "data", r->data);
    rc |= attr_int(config, "limit", (long long)r->limit);
    rc |= attr_string(config, "denoiser", r->denoiser);
    rc |= attr_string(config, "solver", r->solver);
    rc |= attr_string(config, "schedule", r->schedule);
    rc |= attr_int(config, "steps", (long long)r->steps);
    rc |= attr_double(config, "sigma_min", r->sigma_min);
    rc |= attr_double(config, "sigma_max", r->sigma_max);
    rc |= attr_double(config, "rho", r->rho);
    rc |= attr_int(config, "final_zero", r->final_zero);
    rc |= attr_int(config, "denoise_to_zero", r->denoise_to_zero);
    rc |= attr_int(config, "afs", r->afs);
    rc |= attr_int(config, "threshold", r->threshold);
    rc |= attr_int(config, "max_order", r->max_order);
    rc |= attr_int(config, "nfe", (long long)r->nfe);
    rc |= attr_int(config, "n", (long long)r->n);
    rc |= attr_int(config, "dim", (long long)r->dim);
    if (r->image_rank > 0) {
        long long shape[DG_IMAGE_RANK_MAX];
        for (size_t k = 0; k < r->image_rank; k++)
            shape[k] = (long long)r->image_shape[k];
        rc |= attr_ints(config, "image_shape", shape, r->image_rank, false);
    }
    rc |= write_attrs(config, r->extra_config, r->nextra_config);
    H5Gclose(config);
    return rc;
}

/* The arrays of a run file; a cancellation stops it between arrays. */
static herr_t write_run_arrays(hid_t file, const dg_run *r, const dg_h5_write_options *opt)
{
    const size_t T = r->nsigmas - 1;
    const hsize_t grid[1] = {r->nsigmas};
    const hsize_t traj[3] = {T + 1, r->n, r->dim};
    const hsize_t den[3] = {T, r->n, r->dim};
    const hsize_t samples[2] = {r->n, r->dim};
    herr_t rc = write_array(file, "/sigmas", r->sigmas, 1, grid, "grid");
    if (rc >= 0 && !cancelled(opt))
        rc |= write_array(file, "/trajectory", r->trajectory, 3, traj, "grid sample dim");
    if (rc >= 0 && !cancelled(opt))
        rc |= write_array(file, "/denoised", r->denoised, 3, den, "eval sample dim");
    if (rc >= 0 && !cancelled(opt))
        rc |= write_array(file, "/samples", r->trajectory + T * r->n * r->dim, 2, samples,
                          "sample dim");
    for (size_t k = 0; k < r->nextra && rc >= 0 && !cancelled(opt); k++)
        rc |= add_array(file, &r->extra[k]);
    return rc;
}

/* The run file's contents: root attributes, /config, the arrays; -1 on any failure. */
static int write_run_contents(hid_t file, const dg_run *r, const dg_h5_write_options *opt)
{
    herr_t rc = 0;
    rc |= stamp_root(file);
    rc |= attr_string(file, "command_line", r->command_line ? r->command_line : "");
    rc |= attr_int(file, "seed", (long long)r->seed);
    rc |= write_run_config(file, r);
    if (rc >= 0)
        rc |= write_run_arrays(file, r, opt);
    return rc < 0 ? -1 : 0;
}

/*
 * Creates ".NAME.tmp.PID.K" beside out->path (a link's target) with O_EXCL,
 * honouring the umask; over an existing file it is private to its owner
 * (and in the file's group where allowed) until commit_temp gives it the
 * file's mode.  Messages name path, the user's name for the file.
 */
static int make_temp_name(const dg_output_path *out, const char *path, char *tmp, size_t size,
                          dg_error *err)
{
    char copy_dir[PATH_MAX], copy_base[PATH_MAX];
    strcpy(copy_dir, out->path);
    strcpy(copy_base, out->path);
    const char *dir = dirname(copy_dir), *base = basename(copy_base);
    for (unsigned k = 0; k < TEMP_NAME_TRIES; k++) {
        snprintf(tmp, size, "%s/.%s.tmp.%ld.%u", dir, base, (long)getpid(), k);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) {
            /* Failing that, the file gets the creator's group, as any new file. */
            if (out->exists && fchown(fd, (uid_t)-1, (gid_t)out->gid) != 0)
                errno = 0;
            if (out->exists)
                fchmod(fd, S_IRUSR | S_IWUSR);
            close(fd);
            return DG_OK;
        }
        if (errno != EEXIST)
            return dg_error_set(err, DG_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    return dg_error_set(err, DG_EIO, "cannot write %s: no free temporary name", path);
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/*
 * Gives tmp the mode of the file it replaces, fsyncs it, renames it over
 * out->path and fsyncs the directory; removes tmp on failure, or when
 * cancelled before the rename (the commit point).
 */
static int commit_temp(const char *tmp, const dg_output_path *out, const char *path,
                       const dg_h5_write_options *opt, dg_error *err)
{
    int status = DG_OK, lock = -1;
    const bool moded = !out->exists || chmod(tmp, (mode_t)out->mode) == 0;
    const bool synced = moded && fsync_path(tmp, O_RDONLY) == 0;
    if (cancelled(opt))
        status = dg_error_set(err, DG_ECANCELLED, "interrupted; %s not written", path);
    else if (!synced)
        status = dg_error_set(err, DG_EIO, "cannot write %s: %s", path, strerror(errno));
    /* The last check and the rename under the writers' lock: no other
     * diffgeo writer renames over the file in between. */
    else if ((status = dg_file_lock_writers(out->path, path, opt ? opt->cancel : NULL, &lock,
                                            err)) != DG_OK)
        ;
    else if ((status = check_version(out->path, path, opt, err)) != DG_OK)
        ;
    else if (rename(tmp, out->path) != 0)
        status = dg_error_set(err, DG_EIO, "cannot write %s: %s", path, strerror(errno));
    dg_file_unlock(lock);
    if (status != DG_OK) {
        unlink(tmp);
        return status;
    }
    char copy_dir[PATH_MAX];
    snprintf(copy_dir, sizeof copy_dir, "%s", out->path);
    fsync_path(dirname(copy_dir), O_RDONLY | O_DIRECTORY);
    return DG_OK;
}

/*
 * Creates path atomically: fill(file, ctx, opt) writes the contents of a
 * temporary file, which is renamed over path only when complete and not
 * cancelled.  errno after a failed HDF5 write is whatever HDF5 left there
 * (EFBIG, ENOSPC, or unrelated), so it is only reported when it says what
 * happened.
 */
static int write_atomically(const char *path,
                            int (*fill)(hid_t file, const void *ctx,
                                        const dg_h5_write_options *opt),
                            const void *ctx, const dg_h5_write_options *opt, dg_error *err)
{
    char tmp[TEMP_PATH_MAX];
    dg_output_path out;
    dg_h5_quiet();
    if (cancelled(opt))
        return dg_error_set(err, DG_ECANCELLED, "interrupted; %s not written", path);
    int status = dg_file_resolve_output(path, &out, err);
    if (status == DG_OK)
        status = make_temp_name(&out, path, tmp, sizeof tmp, err);
    if (status != DG_OK)
        return status;
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        status = dg_error_set(err, DG_EIO, "cannot create %s", tmp);
        goto remove_temp;
    }
    errno = 0;
    const bool failed = fill(file, ctx, opt) != 0;
    const bool closed = H5Fclose(file) >= 0;
    const int failure = errno;
    if (cancelled(opt))
        status = dg_error_set(err, DG_ECANCELLED, "interrupted; %s not written", path);
    else if ((!closed || failed) && (failure == EFBIG || failure == ENOSPC || failure == EDQUOT))
        status = dg_error_set(err, DG_EIO, "cannot write %s: %s", path, strerror(failure));
    else if (!closed || failed)
        status = dg_error_set(err, DG_EIO, "cannot write %s (disk full?)", path);
    else
        return commit_temp(tmp, &out, path, opt, err); /* which removes tmp if it fails */
remove_temp:
    unlink(tmp);
    return status;
}

static int fill_run(hid_t file, const void *ctx, const dg_h5_write_options *opt)
{
    return write_run_contents(file, ctx, opt);
}

int dg_h5_write_run(const char *path, const dg_run *run, dg_error *err)
{
    return write_atomically(path, fill_run, run, NULL, err);
}

int dg_h5_write_run_ex(const char *path, const dg_run *run, const dg_h5_write_options *opt,
                       dg_error *err)
{
    return write_atomically(path, fill_run, run, opt, err);
}

typedef struct file_contents {
    const dg_h5_attr *attrs;
    size_t nattrs;
    const dg_h5_array *arrays;
    size_t narrays;
    const dg_h5_array *ints; /* stored as int64 */
    size_t nints;
} file_contents;

static int add_array_typed(hid_t file, const dg_h5_array *a, hid_t file_type);

static int add_array(hid_t file, const dg_h5_array *a)
{
    return add_array_typed(file, a, H5T_IEEE_F64LE);
}

static int fill_file(hid_t file, const void *ctx, const dg_h5_write_options *opt)
{
    const file_contents *c = ctx;
    herr_t rc = stamp_root(file);
    if (rc >= 0)
        rc = write_attrs(file, c->attrs, c->nattrs);
    for (size_t k = 0; k < c->narrays && rc >= 0 && !cancelled(opt); k++)
        rc = add_array(file, &c->arrays[k]);
    /* HDF5 converts the doubles to int64 as it writes: exact for integers. */
    for (size_t k = 0; k < c->nints && rc >= 0 && !cancelled(opt); k++)
        rc = add_array_typed(file, &c->ints[k], H5T_STD_I64LE);
    return rc < 0 ? -1 : 0;
}

int dg_h5_write_file_ex(const char *path, const dg_h5_attr *attrs, size_t nattrs,
                        const dg_h5_array *arrays, size_t narrays, const dg_h5_array *ints,
                        size_t nints, const dg_h5_write_options *opt, dg_error *err)
{
    const file_contents c = {attrs, nattrs, arrays, narrays, ints, nints};
    return write_atomically(path, fill_file, &c, opt, err);
}

int dg_h5_write_file(const char *path, const dg_h5_attr *attrs, size_t nattrs,
                     const dg_h5_array *arrays, size_t narrays, dg_error *err)
{
    return dg_h5_write_file_ex(path, attrs, nattrs, arrays, narrays, NULL, 0, NULL, err);
}

/*
 * Byte copy of the file at from (path as the user named it) into the
 * (existing, empty) file to, from one descriptor: when opt expects a version,
 * the descriptor's file must be that version before and after the copy, so
 * that the copy is of the file the caller read.
 */
static int copy_file(const char *from, const char *path, const char *to,
                     const dg_h5_write_options *opt, dg_error *err)
{
    const int fd = open(from, O_RDONLY);
    FILE *in = fd >= 0 ? fdopen(fd, "rb") : NULL, *out = in ? fopen(to, "wb") : NULL;
    char buf[COPY_BUFFER];
    size_t got;
    dg_file_version v;
    int status =
        in && out ? DG_OK : dg_error_set(err, DG_EIO, "cannot copy %s: %s", path, strerror(errno));
    const bool expecting = opt && opt->expect;
    if (status == DG_OK && expecting &&
        (dg_file_version_of_fd(fd, path, &v, err) != DG_OK ||
         !dg_file_version_same(&v, opt->expect)))
        status = changed(path, err);
    while (status == DG_OK && (got = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, got, out) != got)
            status = dg_error_set(err, DG_EIO, "cannot copy %s: %s", path, strerror(errno));
    if (status == DG_OK && ferror(in))
        status = dg_error_set(err, DG_EIO, "cannot copy %s: %s", path, strerror(errno));
    if (status == DG_OK && expecting &&
        (dg_file_version_of_fd(fd, path, &v, err) != DG_OK ||
         !dg_file_version_same(&v, opt->expect)))
        status = changed(path, err);
    if (in)
        fclose(in);
    else if (fd >= 0)
        close(fd);
    if (out && fclose(out) != 0 && status == DG_OK)
        status = dg_error_set(err, DG_EIO, "cannot copy %s: %s", path, strerror(errno));
    return status;
}

static int add_array_typed(hid_t file, const dg_h5_array *a, hid_t file_type)
{
    hsize_t dims[DG_H5_RANK_MAX];
    for (size_t k = 0; k < a->rank; k++)
        dims[k] = a->shape[k];
    if (H5Lexists(file, a->name, H5P_DEFAULT) > 0 && H5Ldelete(file, a->name, H5P_DEFAULT) < 0)
        return -1;
    if (!a->data)
        return 0;
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t space = H5Screate_simple((int)a->rank, dims, NULL);
    hid_t dset = H5Dcreate2(file, a->name, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc =
        dset < 0 ? -1 : H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data);
    if (rc >= 0)
        rc = label_axes(dset, (int)a->rank, a->axes);
    if (rc >= 0 && a->description)
        rc = attr_string(dset, "description", a->description);
    if (rc >= 0 && a->units)
        rc = attr_string(dset, "units", a->units);
    if (rc >= 0 && a->note)
        rc = attr_string(dset, "note", a->note);
    if (dset >= 0)
        H5Dclose(dset);
    H5Sclose(space);
    H5Pclose(lcpl);
    return rc < 0 ? -1 : 0;
}

int dg_h5_add_arrays(const char *path, const dg_h5_array *arrays, size_t count, dg_error *err)
{
    return dg_h5_add_arrays_ex(path, arrays, count, NULL, err);
}

int dg_h5_add_arrays_ex(const char *path, const dg_h5_array *arrays, size_t count,
                        const dg_h5_write_options *opt, dg_error *err)
{
    char tmp[TEMP_PATH_MAX];
    dg_output_path out;
    hid_t file = -1;
    int status = dg_file_resolve_output(path, &out, err);
    if (status == DG_OK && !out.exists)
        status = dg_error_set(err, DG_EIO, "cannot open %s: No such file or directory", path);
    if (status == DG_OK)
        status = check_version(out.path, path, opt, err);
    if (status == DG_OK)
        status = dg_h5_open_file(path, &file, err);
    if (status != DG_OK)
        return status;
    H5Fclose(file);
    status = make_temp_name(&out, path, tmp, sizeof tmp, err);
    if (status != DG_OK)
        return status;
    status = copy_file(out.path, path, tmp, opt, err);
    if (status != DG_OK)
        goto remove_temp;
    file = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0) {
        status = dg_error_set(err, DG_EIO, "cannot open a copy of %s for writing", path);
        goto remove_temp;
    }
    bool failed = false;
    for (size_t k = 0; k < count && !failed && !cancelled(opt); k++)
        failed = add_array(file, &arrays[k]) != 0;
    if (H5Fclose(file) < 0 || failed) {
        status = dg_error_set(err, DG_EIO, "cannot write arrays into %s (disk full?)", path);
        goto remove_temp;
    }
    return commit_temp(tmp, &out, path, opt, err); /* which removes tmp if it fails */
remove_temp:
    unlink(tmp);
    return status;
}
