/* dg_h5: HDF5 input and file walking. */
#include "config.h"

#include "dg_h5.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "dg_file.h"
#include "dg_h5_file.h"
#include "dg_tensor.h"

void dg_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

int dg_h5_open_file(const char *path, hid_t *file, dg_error *err)
{
    dg_h5_quiet();
    int status = dg_file_check_input(path, err);
    if (status != DG_OK)
        return status;
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    fclose(probe);
    if (H5Fis_hdf5(path) <= 0)
        return dg_error_set(err, DG_EFORMAT, "%s: not an HDF5 file", path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0)
        return dg_error_set(err, DG_EFORMAT, "%s: cannot open as HDF5", path);
    return DG_OK;
}

/* "float64", "uint8", ... for a numeric type; "string", "other" otherwise. */
static const char *type_name(hid_t type)
{
    static const char *const ints[2][4] = {{"uint8", "uint16", "uint32", "uint64"},
                                           {"int8", "int16", "int32", "int64"}};
    const size_t size = H5Tget_size(type);
    switch (H5Tget_class(type)) {
    case H5T_FLOAT:
        return size == 4 ? "float32" : size == 8 ? "float64" : size == 2 ? "float16" : "float";
    case H5T_INTEGER: {
        const int is_signed = H5Tget_sign(type) == H5T_SGN_2;
        const int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
        return ints[is_signed][k];
    }
    case H5T_STRING:
        return "string";
    default:
        return "other";
    }
}

/* ------------------------------------------------------------------------ */
/* Reading arrays                                                           */
/* ------------------------------------------------------------------------ */

/* The longest name of an array at the root kept, and of the list of them in a message. */
#define ROOT_NAME_MAX 256
#define ROOT_LIST_MAX 512

/* "PATH:/name" in messages: a path of PATH_MAX and a dataset name. */
#define WHAT_MAX (PATH_MAX + 304)

typedef struct root_arrays {
    hid_t file;
    char only[ROOT_NAME_MAX];
    size_t count;
    char list[ROOT_LIST_MAX];
} root_arrays;

/* Counts the datasets at the root; soft and external links are aliases or
 * other files, not arrays of this file. */
static herr_t collect_root_array(hid_t group, const char *name, const H5L_info_t *info, void *ctx)
{
    root_arrays *r = ctx;
    H5O_info_t oinfo;
    if (info->type != H5L_TYPE_HARD || H5Oget_info_by_name(group, name, &oinfo, H5P_DEFAULT) < 0 ||
        oinfo.type != H5O_TYPE_DATASET)
        return 0;
    r->count++;
    snprintf(r->only, sizeof r->only, "/%s", name);
    size_t used = strlen(r->list);
    snprintf(r->list + used, sizeof r->list - used, "%s/%s", used ? ", " : "", name);
    return 0;
}

/* Refuses to follow an external link: an input file names only itself. */
static herr_t refuse_external_link(const char *parent_file, const char *parent_group,
                                   const char *child_file, const char *child_object,
                                   unsigned *flags, hid_t fapl, void *ctx)
{
    (void)parent_file, (void)parent_group, (void)child_file, (void)child_object;
    (void)flags, (void)fapl, (void)ctx;
    return -1;
}

/* The name of the only dataset at the root of file into only[ROOT_NAME_MAX]. */
static int only_root_array(hid_t file, const char *path, char *only, dg_error *err)
{
    root_arrays found = {.file = file};
    H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_root_array, &found);
    if (found.count == 0)
        return dg_error_set(err, DG_EFORMAT, "%s holds no array at its root", path);
    if (found.count > 1)
        return dg_error_set(err, DG_EFORMAT,
                            "%s holds several arrays (%s): name one as h5:%s:/NAME", path,
                            found.list, path);
    memcpy(only, found.only, sizeof found.only);
    return DG_OK;
}

/*
 * Opens dataset name, or the only dataset at the root when name is NULL
 * (its name then goes to only[ROOT_NAME_MAX]); *used gets the name opened.
 */
static int open_dataset(hid_t file, const char *path, const char *name, char *only, hid_t *dset,
                        const char **used, dg_error *err)
{
    if (!name) {
        const int status = only_root_array(file, path, only, err);
        if (status != DG_OK)
            return status;
        name = only;
    }
    *used = name;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 || H5Pset_elink_cb(dapl, refuse_external_link, NULL) < 0) {
        H5Pclose(dapl);
        return dg_error_set(err, DG_ENOMEM, "%s: cannot set up HDF5 access", path);
    }
    if (H5Lexists(file, name, dapl) <= 0) {
        H5Pclose(dapl);
        return dg_error_set(err, DG_EFORMAT, "%s: no dataset %s", path, name);
    }
    *dset = H5Dopen2(file, name, dapl);
    H5Pclose(dapl);
    if (*dset < 0)
        return dg_error_set(err, DG_EFORMAT, "%s: %s is not a dataset of this file", path, name);
    return DG_OK;
}

/* Integers of 1, 2, 4 or 8 whole bytes and IEEE binary32 or binary64: the
 * types whose conversion to double HDF5 does with its tested hard paths. */
static int plain_numeric_type(hid_t type)
{
    const size_t size = H5Tget_size(type);
    switch (H5Tget_class(type)) {
    case H5T_INTEGER:
        return (size == 1 || size == 2 || size == 4 || size == 8) &&
               H5Tget_precision(type) == 8 * size && H5Tget_offset(type) == 0;
    case H5T_FLOAT:
        return H5Tequal(type, H5T_IEEE_F32LE) > 0 || H5Tequal(type, H5T_IEEE_F32BE) > 0 ||
               H5Tequal(type, H5T_IEEE_F64LE) > 0 || H5Tequal(type, H5T_IEEE_F64BE) > 0;
    default:
        return 0;
    }
}

/* Rank, shape and numeric type of an open dataset, validated. */
static int dataset_shape(hid_t dset, const char *path, const char *name, size_t *rank,
                         size_t shape[DG_H5_RANK_MAX], hid_t *type, dg_error *err)
{
    *type = H5Dget_type(dset);
    const H5T_class_t cls = H5Tget_class(*type);
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        return dg_error_set(err, DG_EFORMAT, "%s:%s holds %s values, not numbers", path, name,
                            type_name(*type));
    if (!plain_numeric_type(*type))
        return dg_error_set(err, DG_EFORMAT,
                            "%s:%s holds %zu-byte %s values of an unusual layout "
                            "(expected 8- to 64-bit integers, IEEE float32 or float64)",
                            path, name, H5Tget_size(*type), cls == H5T_FLOAT ? "float" : "integer");
    hid_t space = H5Dget_space(dset);
    const int r = H5Sget_simple_extent_ndims(space);
    hsize_t dims[DG_H5_RANK_MAX];
    if (r < 0 || r > DG_H5_RANK_MAX) {
        H5Sclose(space);
        return dg_error_set(err, DG_EFORMAT, "%s:%s has unsupported rank %d", path, name, r);
    }
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    *rank = (size_t)r;
    for (int k = 0; k < r; k++) {
        if (dims[k] > SIZE_MAX)
            return dg_error_set(err, DG_EFORMAT, "%s:%s is too large", path, name);
        shape[k] = (size_t)dims[k];
    }
    return DG_OK;
}

/* Reads rows [first, first + keep) of a dataset of shape rows × rest as doubles. */
static int read_leading_rows(hid_t dset, size_t rank, const size_t *shape, size_t first,
                             size_t keep, double *buf)
{
    hsize_t start[DG_H5_RANK_MAX] = {0}, count[DG_H5_RANK_MAX];
    for (size_t k = 0; k < rank; k++)
        count[k] = shape[k];
    if (rank > 0) {
        start[0] = first;
        count[0] = keep;
    }
    hid_t fspace = H5Dget_space(dset);
    hid_t mspace = H5Screate_simple((int)rank, count, NULL);
    herr_t rc =
        rank > 0 ? H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) : 0;
    if (rc >= 0)
        rc = H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, buf);
    H5Sclose(mspace);
    H5Sclose(fspace);
    return rc < 0 ? -1 : 0;
}

/* Integer images: the type's range maps linearly onto [−1, 1] (uint8: v/127.5 − 1). */
static void scale_integers(hid_t type, double *x, size_t len)
{
    const size_t bits = 8 * H5Tget_size(type);
    double lo, hi;
    if (H5Tget_sign(type) == H5T_SGN_2) {
        hi = ldexp(1.0, (int)bits - 1) - 1;
        lo = -hi - 1;
    } else {
        lo = 0;
        hi = ldexp(1.0, (int)bits) - 1;
    }
    const double half = (hi - lo) / 2;
    for (size_t k = 0; k < len; k++)
        x[k] = (x[k] - lo) / half - 1.0;
}

/* A numeric array opened for reading, with its validated rank and shape. */
typedef struct open_array {
    hid_t file, dset, type;
    const char *name;         /* the dataset opened (the only one when none was named) */
    char only[ROOT_NAME_MAX]; /* the name of the only one */
    size_t rank;
    size_t shape[DG_H5_RANK_MAX];
} open_array;

static void array_close(open_array *a)
{
    if (a->type >= 0)
        H5Tclose(a->type);
    if (a->dset >= 0)
        H5Dclose(a->dset);
    if (a->file >= 0)
        H5Fclose(a->file);
}

/*
 * Refuses an array whose values are not all stored in the file itself,
 * before anything is allocated for it.  A 2 KB file can declare a petabyte
 * chunked dataset whose chunks were never written (HDF5 reads them as fill
 * values), keep its values in other files (external storage, virtual
 * datasets: reading them would read any file the input names), or need a
 * filter other than deflate, shuffle and fletcher32 (scale-offset stores any
 * number of equal values in a few bytes; unknown filters are plugins, that
 * is, code).  With deflate the values take at least 1/DG_H5_DEFLATE_RATIO of
 * the raw bytes in the file.  The storage size is taken from the layout, and
 * never more than the size of the file.
 */
#define DG_H5_DEFLATE_RATIO 1032 /* zlib's largest compression ratio */

static int check_storage(const open_array *a, const char *path, dg_error *err)
{
    hid_t dcpl = H5Dget_create_plist(a->dset);
    if (dcpl < 0)
        return dg_error_set(err, DG_EFORMAT, "%s:%s: cannot read its layout", path, a->name);
    int status = DG_OK, deflate = 0;
    const H5D_layout_t layout = H5Pget_layout(dcpl);
    const int nfilters = H5Pget_nfilters(dcpl);
    if (layout != H5D_COMPACT && layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED)
        status = dg_error_set(err, DG_EFORMAT,
                              "%s:%s is a virtual dataset (its values are in other files)", path,
                              a->name);
    else if (H5Pget_external_count(dcpl) != 0)
        status = dg_error_set(err, DG_EFORMAT, "%s:%s keeps its values in external files", path,
                              a->name);
    else if (nfilters < 0)
        status = dg_error_set(err, DG_EFORMAT, "%s:%s: cannot read its filters", path, a->name);
    for (int k = 0; status == DG_OK && k < nfilters; k++) {
        unsigned flags, config;
        size_t nvalues = 0;
        const H5Z_filter_t f =
            H5Pget_filter2(dcpl, (unsigned)k, &flags, &nvalues, NULL, 0, NULL, &config);
        if (f == H5Z_FILTER_DEFLATE)
            deflate = 1;
        else if (f != H5Z_FILTER_SHUFFLE && f != H5Z_FILTER_FLETCHER32)
            status = dg_error_set(err, DG_EFORMAT,
                                  "%s:%s needs HDF5 filter %d (only deflate, shuffle "
                                  "and fletcher32 are read)",
                                  path, a->name, (int)f);
    }
    H5Pclose(dcpl);
    if (status != DG_OK)
        return status;
    /* The raw size, saturated: dataset_shape bounded each extent by SIZE_MAX. */
    double raw = (double)H5Tget_size(a->type);
    for (size_t k = 0; k < a->rank; k++)
        raw *= (double)a->shape[k];
    /* A malformed layout can claim more storage than the whole file holds. */
    hsize_t file_size = 0;
    H5Fget_filesize(a->file, &file_size);
    const double stored = fmin((double)H5Dget_storage_size(a->dset), (double)file_size);
    if (stored * (deflate ? DG_H5_DEFLATE_RATIO : 1) < raw)
        return dg_error_set(err, DG_EFORMAT,
                            "%s:%s declares %.0f bytes of values but the file stores %.0f%s "
                            "(never written, or truncated)",
                            path, a->name, raw, stored, deflate ? " compressed" : "");
    return DG_OK;
}

/* Opens dataset name (NULL: the only one) of path; on failure all is closed. */
static int array_open(const char *path, const char *name, open_array *a, dg_error *err)
{
    a->file = a->dset = a->type = -1;
    a->name = name;
    int status = dg_h5_open_file(path, &a->file, err);
    if (status == DG_OK)
        status = open_dataset(a->file, path, name, a->only, &a->dset, &a->name, err);
    if (status == DG_OK)
        status = dataset_shape(a->dset, path, a->name, &a->rank, a->shape, &a->type, err);
    if (status == DG_OK)
        status = check_storage(a, path, err);
    if (status != DG_OK)
        array_close(a);
    return status;
}

int dg_h5_read_rows(const char *path, const char *name, size_t limit, dg_dataset **out,
                    dg_error *err)
{
    const dg_data_options opt = {.limit = limit};
    return dg_h5_read_shard(path, name, &opt, out, err);
}

/* Values per row of an array of rank ≥ 2 with at least one row, checked. */
static int row_dim(const open_array *a, const char *path, size_t *dim, dg_error *err)
{
    if (a->rank < 2)
        return dg_error_set(err, DG_EFORMAT,
                            "%s:%s has rank %zu; expected rows (rank 2 or more, rows first)", path,
                            a->name, a->rank);
    *dim = 1;
    for (size_t k = 1; k < a->rank; k++) {
        if (a->shape[k] == 0 || *dim > SIZE_MAX / a->shape[k])
            return dg_error_set(err, DG_EFORMAT, "%s:%s has an empty or oversized axis %zu", path,
                                a->name, k);
        *dim *= a->shape[k];
    }
    if (a->shape[0] == 0)
        return dg_error_set(err, DG_EFORMAT, "%s:%s has no rows", path, a->name);
    return DG_OK;
}

/* Reads the rows data holds (from data->first on) of the open array a, named `what`. */
static int read_rows_into(const open_array *a, const char *what, size_t dim, dg_dataset *data,
                          dg_error *err)
{
    if (data->n > 0 &&
        read_leading_rows(a->dset, a->rank, a->shape, data->first, data->n, data->x) != 0)
        return dg_error_set(err, DG_EIO, "%s: read failed", what);
    if (H5Tget_class(a->type) == H5T_INTEGER)
        scale_integers(a->type, data->x, data->n * dim);
    dg_dataset_set_image_shape(data, a->rank, a->shape);
    return dg_check_finite_rows(data->x, data->n, dim, data->first, what, err);
}

int dg_h5_read_shard(const char *path, const char *name, const dg_data_options *opt,
                     dg_dataset **out, dg_error *err)
{
    open_array a;
    dg_dataset *data = NULL;
    size_t dim = 0;
    *out = NULL;
    int status = array_open(path, name, &a, err);
    if (status != DG_OK)
        return status;
    status = row_dim(&a, path, &dim, err);
    if (status != DG_OK)
        goto close_array;
    char what[WHAT_MAX];
    snprintf(what, sizeof what, "%s:%s", path, a.name);
    status = dg_dataset_alloc_wanted(opt, a.shape[0], dim, what, &data, err);
    if (status == DG_OK)
        status = read_rows_into(&a, what, dim, data, err);

close_array:
    array_close(&a);
    if (status != DG_OK)
        dg_dataset_free(data);
    else
        *out = data;
    return status;
}

int dg_h5_read_array(const char *path, const char *name, size_t *rank, size_t shape[DG_H5_RANK_MAX],
                     double **data, dg_error *err)
{
    open_array a;
    *data = NULL;
    int status = array_open(path, name, &a, err);
    if (status != DG_OK)
        return status;
    size_t len = 1;
    for (size_t k = 0; k < a.rank; k++) {
        if (a.shape[k] && len > SIZE_MAX / sizeof(double) / a.shape[k]) {
            status = dg_error_set(err, DG_EFORMAT, "%s:%s is too large", path, a.name);
            goto close_array;
        }
        len *= a.shape[k];
    }
    *data = dg_doubles_alloc(len, 1);
    if (!*data) {
        status =
            dg_error_set(err, DG_ENOMEM, "%s:%s: cannot allocate %zu doubles", path, a.name, len);
        goto close_array;
    }
    if (len > 0 &&
        read_leading_rows(a.dset, a.rank, a.shape, 0, a.rank ? a.shape[0] : 1, *data) != 0)
        status = dg_error_set(err, DG_EIO, "%s:%s: read failed", path, a.name);
close_array:
    array_close(&a);
    if (status != DG_OK) {
        dg_doubles_free(*data);
        *data = NULL;
    } else {
        *rank = a.rank;
        memcpy(shape, a.shape, a.rank * sizeof *shape);
    }
    return status;
}

int dg_h5_describe_array(const char *path, const char *name, dg_h5_array_info *info, dg_error *err)
{
    open_array a;
    memset(info, 0, sizeof *info);
    const int status = array_open(path, name, &a, err);
    if (status != DG_OK)
        return status;
    info->rank = a.rank;
    memcpy(info->shape, a.shape, a.rank * sizeof *a.shape);
    info->kind = H5Tget_class(a.type) == H5T_FLOAT  ? DG_H5_FLOAT
                 : H5Tget_sign(a.type) == H5T_SGN_2 ? DG_H5_SIGNED
                                                    : DG_H5_UNSIGNED;
    for (size_t k = 0; k < a.rank; k++)
        if (H5DSget_label(a.dset, (unsigned)k, info->labels[k], DG_H5_LABEL_MAX) < 0)
            info->labels[k][0] = '\0';
    array_close(&a);
    return DG_OK;
}

void dg_h5_integers_free(dg_h5_integers *a)
{
    free(a->s);
    free(a->u);
    a->s = NULL;
    a->u = NULL;
}

int dg_h5_read_integers(const char *path, const char *name, dg_h5_integers *out, dg_error *err)
{
    open_array a;
    memset(out, 0, sizeof *out);
    int status = array_open(path, name, &a, err);
    if (status != DG_OK)
        return status;
    size_t len = 1;
    if (H5Tget_class(a.type) != H5T_INTEGER)
        status = dg_error_set(err, DG_EFORMAT, "%s:%s holds floats, not integers", path, a.name);
    for (size_t k = 0; status == DG_OK && k < a.rank; k++) {
        if (a.shape[k] && len > SIZE_MAX / sizeof(int64_t) / a.shape[k])
            status = dg_error_set(err, DG_EFORMAT, "%s:%s is too large", path, a.name);
        len *= a.shape[k];
    }
    if (status != DG_OK)
        goto close_array;
    const bool is_signed = H5Tget_sign(a.type) == H5T_SGN_2;
    void *values = malloc((len ? len : 1) * sizeof(int64_t));
    if (is_signed)
        out->s = values;
    else
        out->u = values;
    if (!values)
        status =
            dg_error_set(err, DG_ENOMEM, "%s:%s: cannot allocate %zu integers", path, a.name, len);
    else if (len > 0 && H5Dread(a.dset, is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64, H5S_ALL,
                                H5S_ALL, H5P_DEFAULT, values) < 0)
        status = dg_error_set(err, DG_EIO, "%s:%s: read failed", path, a.name);
close_array:
    array_close(&a);
    if (status != DG_OK)
        dg_h5_integers_free(out);
    else {
        out->rank = a.rank;
        memcpy(out->shape, a.shape, a.rank * sizeof *a.shape);
    }
    return status;
}

int dg_h5_read_attr_ints(const char *path, const char *object, const char *name, long *values,
                         size_t max, size_t *count, dg_error *err)
{
    hid_t file = -1;
    *count = 0;
    int status = dg_h5_open_file(path, &file, err);
    if (status != DG_OK)
        return status;
    if (H5Aexists_by_name(file, object, name, H5P_DEFAULT) <= 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: %s has no attribute %s", path, object, name);
        goto close_file;
    }
    hid_t attr = H5Aopen_by_name(file, object, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Aget_space(attr);
    const hssize_t npoints = H5Sget_simple_extent_npoints(space);
    long long buf[DG_H5_RANK_MAX];
    if (npoints < 1 || (size_t)npoints > max || (size_t)npoints > DG_H5_RANK_MAX ||
        H5Aread(attr, H5T_NATIVE_LLONG, buf) < 0) {
        status =
            dg_error_set(err, DG_EFORMAT, "%s: attribute %s of %s is not a short list of integers",
                         path, name, object);
    } else {
        for (hssize_t k = 0; k < npoints; k++)
            values[k] = (long)buf[k];
        *count = (size_t)npoints;
    }
    H5Sclose(space);
    H5Aclose(attr);
close_file:
    H5Fclose(file);
    return status;
}

/* A scalar string attribute into text (size bytes); false if it is not one or too long. */
static bool read_short_string(hid_t attr, char *text, size_t size)
{
    hid_t type = H5Aget_type(attr), space = H5Aget_space(attr);
    bool read = false;
    if (H5Tget_class(type) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
        if (H5Tis_variable_str(type) > 0) {
            char *s = NULL;
            hid_t mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
            if (H5Aread(attr, mem, &s) >= 0 && s && strlen(s) < size) {
                strcpy(text, s);
                read = true;
            }
            if (s)
                H5free_memory(s);
            H5Tclose(mem);
        } else {
            const size_t len = H5Tget_size(type);
            if (len < size && H5Aread(attr, type, text) >= 0) {
                text[len] = '\0';
                read = true;
            }
        }
    }
    H5Sclose(space);
    H5Tclose(type);
    return read;
}

int dg_h5_read_attr_string(const char *path, const char *object, const char *name, char *text,
                           size_t size, dg_error *err)
{
    hid_t file = -1;
    int status = dg_h5_open_file(path, &file, err);
    if (status != DG_OK)
        return status;
    if (H5Lexists(file, object, H5P_DEFAULT) <= 0 ||
        H5Aexists_by_name(file, object, name, H5P_DEFAULT) <= 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: %s has no attribute %s", path, object, name);
        goto close_file;
    }
    hid_t attr = H5Aopen_by_name(file, object, name, H5P_DEFAULT, H5P_DEFAULT);
    if (!read_short_string(attr, text, size))
        status = dg_error_set(err, DG_EFORMAT, "%s: attribute %s of %s is not a short string", path,
                              name, object);
    H5Aclose(attr);
close_file:
    H5Fclose(file);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Isolated reading                                                         */
/* ------------------------------------------------------------------------ */

/* What the child of dg_h5_isolated reports through its pipe. */
typedef struct isolated_report {
    int status;
    char message[DG_ERROR_MESSAGE_SIZE];
} isolated_report;

/* The child's limits: CPU seconds, wall-clock seconds, address-space bytes (0: none). */
typedef struct isolated_limits {
    rlim_t cpu;
    unsigned wall;
    rlim_t memory;
} isolated_limits;

/*
 * The child ends with its parent: a parent killed outright must not leave
 * a reader behind (one blocked in a read would never reach its CPU limit).
 */
static void die_with_parent(pid_t parent)
{
#ifdef PR_SET_PDEATHSIG
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent) /* the parent died before prctl */
        _exit(1);
}

/* Runs the reader in the child and reports; never returns. */
static void __attribute__((noreturn))
isolated_child(int out, dg_h5_reader reader, void *ctx, const isolated_limits *lim, pid_t parent)
{
    die_with_parent(parent);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    const int defaults[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGXCPU, SIGALRM};
    for (size_t k = 0; k < sizeof defaults / sizeof defaults[0]; k++)
        signal(defaults[k], SIG_DFL);
    const struct rlimit limit = {lim->cpu, lim->cpu + 1};
    setrlimit(RLIMIT_CPU, &limit);
    if (lim->memory) {
        const struct rlimit memory = {lim->memory, lim->memory};
        setrlimit(RLIMIT_AS, &memory);
    }
    alarm(lim->wall);
    isolated_report r;
    dg_error e;
    memset(&r, 0, sizeof r);
    dg_error_clear(&e);
    r.status = reader(ctx, &e);
    snprintf(r.message, sizeof r.message, "%s", e.message);
    const char *p = (const char *)&r;
    size_t left = sizeof r;
    while (left > 0) {
        const ssize_t put = write(out, p, left);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            _exit(1);
        p += put;
        left -= (size_t)put;
    }
    /* _exit: no atexit handlers (libhdf5's would close the parent's files'
     * copies) and no second flush of the parent's stdio buffers. */
    _exit(0);
}

/* Reads up to size bytes until end of file; returns how many came. */
static size_t read_report(int in, isolated_report *r)
{
    char *p = (char *)r;
    size_t got = 0;
    while (got < sizeof *r) {
        const ssize_t k = read(in, p + got, sizeof *r - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

/*
 * The address space the child may add to what it inherits: the file's
 * values as doubles (an image of bytes grows eightfold, a compressed one
 * more) and libhdf5's caches.  None under AddressSanitizer, whose shadow
 * memory needs terabytes of address space.
 */
static rlim_t isolated_memory(off_t file_size, rlim_t margin, rlim_t per_byte)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)file_size;
    return 0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    (void)file_size;
    return 0;
#endif
#endif
    unsigned long long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    const bool known = f && fscanf(f, "%llu", &pages) == 1;
    if (f)
        fclose(f);
    const long page = sysconf(_SC_PAGESIZE);
    if (!known || page <= 0)
        return 0;
    return (rlim_t)pages * (rlim_t)page + margin +
           per_byte * (rlim_t)(file_size > 0 ? file_size : 0);
}

/* reader(ctx, err) here with the soft address-space limit lowered to memory
 * (0: as it is) for the call, then restored. */
static int read_bounded(dg_h5_reader reader, void *ctx, rlim_t memory, dg_error *err)
{
    struct rlimit old;
    bool bounded = memory && getrlimit(RLIMIT_AS, &old) == 0 &&
                   (old.rlim_cur == RLIM_INFINITY || old.rlim_cur > memory);
    if (bounded) {
        const struct rlimit tight = {memory, old.rlim_max};
        bounded = setrlimit(RLIMIT_AS, &tight) == 0;
    }
    const int status = reader(ctx, err);
    if (bounded)
        setrlimit(RLIMIT_AS, &old);
    return status;
}

static int isolated_read(const char *path, dg_h5_reader reader, void *ctx, rlim_t margin,
                         rlim_t per_byte, dg_error *err)
{
    struct stat st;
    const bool sized = stat(path, &st) == 0;
    const rlim_t cpu = DG_H5_ISOLATED_CPU_SECONDS + (sized ? (rlim_t)st.st_size >> 20 : 0);
    const isolated_limits lim = {cpu, (unsigned)(DG_H5_ISOLATED_WALL_FACTOR * cpu),
                                 isolated_memory(sized ? st.st_size : 0, margin, per_byte)};
    const pid_t parent = getpid();
    int fds[2];
    if (pipe(fds) != 0)
        return dg_error_set(err, DG_EIO, "cannot read %s in a child process: %s", path,
                            strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) {
        const int failure = errno;
        close(fds[0]);
        close(fds[1]);
        return dg_error_set(err, DG_EIO, "cannot read %s in a child process: %s", path,
                            strerror(failure));
    }
    if (pid == 0) {
        close(fds[0]);
        isolated_child(fds[1], reader, ctx, &lim, parent);
    }
    close(fds[1]);
    isolated_report r;
    const size_t got = read_report(fds[0], &r);
    close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (got == sizeof r && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && r.status >= DG_OK &&
        r.status <= DG_ECANCELLED) {
        if (r.status == DG_OK)
            return read_bounded(reader, ctx, lim.memory, err);
        r.message[sizeof r.message - 1] = '\0';
        return dg_error_set(err, r.status, "%s", r.message);
    }
    const int sig = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT)
        return dg_error_set(err, DG_ECANCELLED, "interrupted while reading %s", path);
    if (sig == SIGALRM)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: HDF5 library did not finish reading in %u s (malformed file?)",
                            path, lim.wall);
    if (sig == SIGXCPU)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: HDF5 library did not finish reading in %lu s of CPU time "
                            "(malformed file?)",
                            path, (unsigned long)cpu);
    return dg_error_set(err, DG_EFORMAT, "%s: HDF5 library crashed while reading (malformed file?)",
                        path);
}

int dg_h5_isolated(const char *path, dg_h5_reader reader, void *ctx, dg_error *err)
{
    return isolated_read(path, reader, ctx, DG_H5_ISOLATED_MEMORY_BYTES,
                         DG_H5_ISOLATED_MEMORY_PER_BYTE, err);
}

int dg_h5_isolated_metadata(const char *path, dg_h5_reader reader, void *ctx, dg_error *err)
{
    return isolated_read(path, reader, ctx, DG_H5_METADATA_MEMORY_BYTES,
                         DG_H5_METADATA_MEMORY_PER_BYTE, err);
}

/* ------------------------------------------------------------------------ */
/* Walking                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct walk_ctx {
    void (*visit)(void *ctx, const dg_h5_entry *entry);
    void *ctx;
    size_t seen;  /* objects visited so far */
    bool stopped; /* too many objects, or a path that did not fit */
} walk_ctx;

static herr_t walk_object(hid_t root, const char *name, const H5O_info_t *info, void *data)
{
    walk_ctx *w = data;
    if (strcmp(name, ".") == 0)
        return 0;
    /* A malformed group structure can make libhdf5 visit the same objects
     * under ever longer names, without end: stop at the first path that does
     * not fit, or after DG_H5_WALK_MAX objects. */
    char path[DG_H5_WALK_PATH_MAX];
    if (++w->seen > DG_H5_WALK_MAX ||
        (size_t)snprintf(path, sizeof path, "/%s", name) >= sizeof path) {
        w->stopped = true;
        return 1;
    }
    dg_h5_entry e = {.path = path, .is_group = info->type == H5O_TYPE_GROUP, .type = ""};
    if (info->type == H5O_TYPE_DATASET) {
        hid_t dset = H5Dopen2(root, name, H5P_DEFAULT);
        if (dset >= 0) {
            hid_t type = H5Dget_type(dset), space = H5Dget_space(dset);
            hsize_t dims[DG_H5_RANK_MAX];
            const int r = H5Sget_simple_extent_ndims(space);
            if (r >= 0 && r <= DG_H5_RANK_MAX) {
                H5Sget_simple_extent_dims(space, dims, NULL);
                e.rank = (size_t)r;
                for (int k = 0; k < r; k++)
                    e.shape[k] = (size_t)dims[k];
            }
            e.type = type_name(type);
            H5Sclose(space);
            H5Tclose(type);
            H5Dclose(dset);
        }
    } else if (info->type != H5O_TYPE_GROUP) {
        return 0;
    }
    w->visit(w->ctx, &e);
    return 0;
}

int dg_h5_walk(const char *path, void (*visit)(void *ctx, const dg_h5_entry *entry), void *ctx,
               dg_error *err)
{
    hid_t file;
    int status = dg_h5_open_file(path, &file, err);
    if (status != DG_OK)
        return status;
    walk_ctx w = {visit, ctx, 0, false};
    const herr_t rc = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, walk_object, &w, H5O_INFO_BASIC);
    if (w.stopped)
        status = dg_error_set(err, DG_EFORMAT,
                              "%s: more than %d objects or a path of %d bytes or more "
                              "(malformed file?)",
                              path, DG_H5_WALK_MAX, DG_H5_WALK_PATH_MAX);
    else if (rc < 0)
        status = dg_error_set(err, DG_EFORMAT, "%s: cannot list its contents", path);
    H5Fclose(file);
    return status;
}

typedef struct attr_ctx {
    void (*visit)(void *ctx, const char *name, const char *value);
    void *ctx;
} attr_ctx;

/* Numeric attributes of up to ATTR_VALUES_MAX values are shown, in up to ATTR_TEXT_MAX bytes. */
#define ATTR_VALUES_MAX 16
#define ATTR_TEXT_MAX 1024

/* Formats an attribute value: strings as they are, numbers as "v" or "[a, b]". */
static void format_attr(hid_t attr, char *text, size_t size)
{
    hid_t type = H5Aget_type(attr), space = H5Aget_space(attr);
    const hssize_t npoints = H5Sget_simple_extent_npoints(space);
    const H5T_class_t cls = H5Tget_class(type);
    snprintf(text, size, "(%s)", type_name(type));
    if (cls == H5T_STRING && npoints == 1) {
        if (H5Tis_variable_str(type) > 0) {
            char *s = NULL;
            hid_t mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
            if (H5Aread(attr, mem, &s) >= 0 && s) {
                snprintf(text, size, "%s", s);
                H5free_memory(s);
            }
            H5Tclose(mem);
        } else {
            /* A corrupt size is not believed: the value is stored in the file. */
            const size_t len = H5Tget_size(type);
            char *s = len <= H5Aget_storage_size(attr) ? calloc(len + 1, 1) : NULL;
            if (s && H5Aread(attr, type, s) >= 0)
                snprintf(text, size, "%s", s);
            free(s);
        }
    } else if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && npoints >= 1 &&
               npoints <= ATTR_VALUES_MAX) {
        double v[ATTR_VALUES_MAX];
        if (H5Aread(attr, H5T_NATIVE_DOUBLE, v) >= 0) {
            size_t used = 0;
            for (hssize_t k = 0; k < npoints && used < size; k++)
                used += (size_t)snprintf(text + used, size - used, "%s%.17g%s",
                                         k == 0 && npoints > 1 ? "[" : "", v[k],
                                         npoints == 1       ? ""
                                         : k + 1 == npoints ? "]"
                                                            : ", ");
        }
    }
    H5Sclose(space);
    H5Tclose(type);
}

static herr_t visit_attr(hid_t obj, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    attr_ctx *a = data;
    char text[ATTR_TEXT_MAX];
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return 0;
    format_attr(attr, text, sizeof text);
    H5Aclose(attr);
    a->visit(a->ctx, name, text);
    return 0;
}

int dg_h5_walk_attrs(const char *path, const char *object,
                     void (*visit)(void *ctx, const char *name, const char *value), void *ctx,
                     dg_error *err)
{
    hid_t file;
    int status = dg_h5_open_file(path, &file, err);
    if (status != DG_OK)
        return status;
    hid_t obj = H5Oopen(file, object, H5P_DEFAULT);
    if (obj < 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: no object %s", path, object);
        goto close_file;
    }
    attr_ctx a = {visit, ctx};
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, NULL, visit_attr, &a);
    H5Oclose(obj);
close_file:
    H5Fclose(file);
    return status;
}
