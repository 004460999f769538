/*
 * Tests of dg_data: IDX (plain and gzip), HDF5 (integer scaling, ranks,
 * NaN), NumPy .npy (every dtype, header versions, malformed headers),
 * CIFAR-10 batch directories, synthetic mixtures, spec errors, and the
 * grammar of specs as a table (dg_data_spec, dg_source).  Fixtures are written here, in
 * the build directory, with zlib and HDF5 directly or byte by byte.
 */
#include "config.h"

#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "diffgeo.h"
#include "tap.h"

#define WORKDIR "tests/work/test_data"

/* An IDX ubyte file of n images rows × cols, pixel (i, r, c) = (7i + 3r + c) mod 256. */
static void write_idx(const char *path, int gzip, size_t n, size_t rows, size_t cols,
                      size_t truncate_to)
{
    size_t len = 16 + n * rows * cols;
    unsigned char *b = malloc(len);
    const unsigned char head[16] = {0,
                                    0,
                                    8,
                                    3,
                                    (unsigned char)(n >> 24),
                                    (unsigned char)(n >> 16),
                                    (unsigned char)(n >> 8),
                                    (unsigned char)n,
                                    0,
                                    0,
                                    0,
                                    (unsigned char)rows,
                                    0,
                                    0,
                                    0,
                                    (unsigned char)cols};
    memcpy(b, head, 16);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < rows * cols; p++)
            b[16 + i * rows * cols + p] =
                (unsigned char)((7 * i + 3 * (p / cols) + p % cols) % 256);
    if (truncate_to)
        len = truncate_to;
    if (gzip) {
        gzFile gz = gzopen(path, "wb");
        gzwrite(gz, b, (unsigned)len);
        gzclose(gz);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(b, 1, len, f);
        fclose(f);
    }
    free(b);
}

static double expected_pixel(size_t i, size_t p, size_t cols)
{
    return (double)((7 * i + 3 * (p / cols) + p % cols) % 256) / 127.5 - 1.0;
}

static void test_idx(void)
{
    for (int gzip = 0; gzip <= 1; gzip++) {
        const char *path = gzip ? WORKDIR "/img.idx.gz" : WORKDIR "/img.idx";
        write_idx(path, gzip, 37, 5, 4, 0);
        char spec[256];
        snprintf(spec, sizeof spec, "idx:%s", path);
        dg_dataset *d = NULL;
        dg_error err;
        int status = dg_data_load(spec, NULL, &d, &err);
        ok(status == DG_OK && d->n == 37 && d->dim == 20 && d->image_rank == 2 &&
               d->image_shape[0] == 5 && d->image_shape[1] == 4,
           "%s IDX: 37 images of 5 × 4 read with their shape", gzip ? "gzip" : "plain");
        int exact = status == DG_OK;
        for (size_t i = 0; exact && i < 37; i++)
            for (size_t p = 0; p < 20; p++)
                exact &= d->x[i * 20 + p] == expected_pixel(i, p, 4);
        ok(exact, "%s IDX: pixels scaled by v/127.5 − 1 exactly", gzip ? "gzip" : "plain");
        dg_dataset_free(d);

        const dg_data_options lim = {.limit = 9};
        status = dg_data_load(spec, &lim, &d, &err);
        ok(status == DG_OK && d->n == 9 && d->x[8 * 20 + 19] == expected_pixel(8, 19, 4),
           "%s IDX: --limit 9 keeps the first 9 rows", gzip ? "gzip" : "plain");
        dg_dataset_free(d);

        const char *tpath = gzip ? WORKDIR "/trunc.idx.gz" : WORKDIR "/trunc.idx";
        write_idx(tpath, gzip, 37, 5, 4, 16 + 20 * 10 + 3);
        snprintf(spec, sizeof spec, "idx:%s", tpath);
        status = dg_data_load(spec, NULL, &d, &err);
        ok(status == DG_EFORMAT && d == NULL && strstr(err.message, "truncated"),
           "%s IDX cut after 10 images is refused: %s", gzip ? "gzip" : "plain", err.message);
    }
    FILE *f = fopen(WORKDIR "/text.idx", "w");
    fputs("not an idx file\n", f);
    fclose(f);
    dg_dataset *d = NULL;
    dg_error err;
    ok(dg_data_load("idx:" WORKDIR "/text.idx", NULL, &d, &err) == DG_EFORMAT &&
           strstr(err.message, "magic"),
       "a text file is not IDX: %s", err.message);
    ok(dg_data_load("idx:" WORKDIR "/missing.idx", NULL, &d, &err) == DG_EIO &&
           strstr(err.message, "No such file"),
       "a missing file: %s", err.message);
}

/* Writes one dataset of the given HDF5 type from doubles (HDF5 converts). */
static void write_h5(const char *path, const char *name, hid_t type, int rank, const hsize_t *dims,
                     const double *values, int truncate)
{
    hid_t file = truncate ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)
                          : H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(dset);
    H5Sclose(space);
    H5Fclose(file);
}

static void test_h5(void)
{
    double v[6 * 3 * 2];
    for (size_t k = 0; k < 36; k++)
        v[k] = (double)((k * 37) % 256);
    const hsize_t img[3] = {6, 3, 2};
    write_h5(WORKDIR "/u8.h5", "/images", H5T_STD_U8LE, 3, img, v, 1);
    dg_dataset *d = NULL;
    dg_error err;
    int status = dg_data_load("h5:" WORKDIR "/u8.h5", NULL, &d, &err);
    int exact = status == DG_OK && d->n == 6 && d->dim == 6 && d->image_rank == 2 &&
                d->image_shape[0] == 3 && d->image_shape[1] == 2;
    for (size_t k = 0; exact && k < 36; k++)
        exact &= d->x[k] == v[k] / 127.5 - 1.0;
    ok(exact, "uint8 HDF5 images (the only array): shape kept, v/127.5 − 1");
    dg_dataset_free(d);

    double s[4 * 2] = {-32768, 32767, 0, -1, 100, -100, 12345, -5};
    const hsize_t m[2] = {4, 2};
    write_h5(WORKDIR "/i16.h5", "/x", H5T_STD_I16LE, 2, m, s, 1);
    write_h5(WORKDIR "/i16.h5", "/y", H5T_IEEE_F32LE, 2, m, s, 0);
    status = dg_data_load("h5:" WORKDIR "/i16.h5:/x", NULL, &d, &err);
    exact = status == DG_OK && d->x[0] == -1.0 && d->x[1] == 1.0;
    for (size_t k = 0; exact && k < 8; k++)
        exact &= fabs(d->x[k] - ((s[k] + 32768) / 32767.5 - 1)) < 1e-15;
    ok(exact, "int16 data map [−32768, 32767] onto [−1, 1]");
    dg_dataset_free(d);
    status = dg_data_load("h5:" WORKDIR "/i16.h5:/y", NULL, &d, &err);
    ok(status == DG_OK && d->x[7] == -5 && d->image_rank == 0,
       "float32 data are read unscaled, rows without image shape");
    dg_dataset_free(d);
    ok(dg_data_load("h5:" WORKDIR "/i16.h5", NULL, &d, &err) == DG_EFORMAT &&
           strstr(err.message, "/x, /y"),
       "two arrays and no name: %s", err.message);

    const hsize_t one[1] = {8};
    write_h5(WORKDIR "/rank1.h5", "/v", H5T_IEEE_F64LE, 1, one, s, 1);
    ok(dg_data_load("h5:" WORKDIR "/rank1.h5:/v", NULL, &d, &err) == DG_EFORMAT &&
           strstr(err.message, "rank 1"),
       "a vector is not data: %s", err.message);
    s[5] = NAN;
    write_h5(WORKDIR "/nan.h5", "/x", H5T_IEEE_F64LE, 2, m, s, 1);
    ok(dg_data_load("h5:" WORKDIR "/nan.h5:/x", NULL, &d, &err) == DG_ENONFINITE &&
           strstr(err.message, "row 2, column 1 holds NaN"),
       "NaN is found and named: %s", err.message);
    ok(dg_data_load("h5:" WORKDIR "/nan.h5:/nope", NULL, &d, &err) == DG_EFORMAT &&
           strstr(err.message, "/nope"),
       "a missing dataset is named: %s", err.message);
    ok(dg_data_load("h5:" WORKDIR "/text.idx", NULL, &d, &err) == DG_EFORMAT &&
           strstr(err.message, "not an HDF5 file"),
       "a text file is not HDF5: %s", err.message);
}

/*
 * Writes /x (4 × 3, type) with the creation property list dcpl into a new
 * file; write_values = 0 leaves it unwritten.
 */
static void write_h5_with(const char *path, hid_t type, hid_t dcpl, int write_values)
{
    const hsize_t dims[2] = {4, 3};
    double v[12];
    for (size_t k = 0; k < 12; k++)
        v[k] = 0.25 * (double)k;
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t dset = H5Dcreate2(file, "/x", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (write_values)
        H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(dset);
    H5Sclose(space);
    H5Fclose(file);
}

/* dg_data_load(spec) fails with DG_EFORMAT and a message holding fragment. */
static void refused(const char *spec, const char *fragment, const char *what)
{
    dg_dataset *d = NULL;
    dg_error err = {0};
    const int status = dg_data_load(spec, NULL, &d, &err);
    ok(status == DG_EFORMAT && d == NULL && strstr(err.message, fragment),
       "%s is refused before reading: %s", what, err.message);
    dg_dataset_free(d);
}

/*
 * HDF5 files whose values are not all in the file itself (dg_h5.h, "Reading
 * untrusted files in a child process"): refused from their layout, filters and
 * storage, before anything is allocated for them.
 */
static void test_h5_storage(void)
{
    const hsize_t chunk[2] = {2, 3};
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 6);
    H5Pset_fletcher32(dcpl);
    write_h5_with(WORKDIR "/gzip.h5", H5T_IEEE_F64LE, dcpl, 1);
    dg_dataset *d = NULL;
    dg_error err;
    ok(dg_data_load("h5:" WORKDIR "/gzip.h5", NULL, &d, &err) == DG_OK && d->x[11] == 2.75,
       "chunked data with shuffle, deflate and fletcher32 are read");
    dg_dataset_free(d);
    write_h5_with(WORKDIR "/unwritten-chunks.h5", H5T_IEEE_F64LE, dcpl, 0);
    refused("h5:" WORKDIR "/unwritten-chunks.h5", "never written",
            "a compressed dataset whose chunks were never written");
    H5Pclose(dcpl);

    write_h5_with(WORKDIR "/unwritten.h5", H5T_IEEE_F64LE, H5P_DEFAULT, 0);
    refused("h5:" WORKDIR "/unwritten.h5", "declares 96 bytes of values but the file stores 0",
            "a contiguous dataset never written");

    /* A petabyte of chunks never written: 1.4 KB on disk. */
    const hsize_t huge[2] = {(hsize_t)1 << 40, 1000}, one_row[2] = {1, 1000};
    hid_t file = H5Fcreate(WORKDIR "/huge.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Screate_simple(2, huge, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, one_row);
    H5Dclose(H5Dcreate2(file, "/x", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(file);
    refused("h5:" WORKDIR "/huge.h5", "never written", "a petabyte dataset in a small file");
    size_t rank, shape[DG_H5_RANK_MAX];
    double *v = NULL;
    ok(dg_h5_read_array(WORKDIR "/huge.h5", "/x", &rank, shape, &v, &err) == DG_EFORMAT &&
           v == NULL && strstr(err.message, "never written"),
       "dg_h5_read_array refuses it too: %s", err.message);

    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_external(dcpl, "outside.bin", 0, 96);
    write_h5_with(WORKDIR "/external.h5", H5T_IEEE_F64LE, dcpl, 0);
    H5Pclose(dcpl);
    refused("h5:" WORKDIR "/external.h5", "external files", "a dataset in an external file");

    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_scaleoffset(dcpl, H5Z_SO_FLOAT_DSCALE, 2);
    write_h5_with(WORKDIR "/scaleoffset.h5", H5T_IEEE_F64LE, dcpl, 1);
    H5Pclose(dcpl);
    refused("h5:" WORKDIR "/scaleoffset.h5", "needs HDF5 filter 6",
            "a scale-offset filtered dataset");

    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t vdims[2] = {4, 3};
    hid_t vspace = H5Screate_simple(2, vdims, NULL);
    H5Pset_virtual(dcpl, vspace, "outside.h5", "/x", vspace);
    write_h5_with(WORKDIR "/virtual.h5", H5T_IEEE_F64LE, dcpl, 0);
    H5Sclose(vspace);
    H5Pclose(dcpl);
    refused("h5:" WORKDIR "/virtual.h5:/x", "virtual dataset", "a virtual dataset");

    /* An external link to a real file: following it would read that file. */
    file = H5Fcreate(WORKDIR "/elink.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Lcreate_external("gzip.h5", "/x", file, "/x", H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(file);
    refused("h5:" WORKDIR "/elink.h5:/x", "not a dataset of this file", "an external link");
    refused("h5:" WORKDIR "/elink.h5", "no array", "an external link at the root");

    /* Found by fuzzing: a 2 KB file whose contiguous layout claims 5.9e18
     * bytes of storage for its 293271193090 × 2 doubles. */
    char spec[4096];
    const char *srcdir = getenv("srcdir");
    snprintf(spec, sizeof spec, "h5:%s/tests/fuzz/corpus/h5/regress-storage-beyond-eof:/me-ns",
             srcdir ? srcdir : ".");
    refused(spec, "but the file stores 2132", "a layout claiming more storage than the file");

    hid_t f16 = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(f16, 15, 10, 5, 0, 10);
    H5Tset_size(f16, 2);
    H5Tset_ebias(f16, 15);
    H5Tset_precision(f16, 16);
    write_h5_with(WORKDIR "/float16.h5", f16, H5P_DEFAULT, 1);
    H5Tclose(f16);
    refused("h5:" WORKDIR "/float16.h5", "2-byte float values of an unusual layout",
            "a 16-bit float type");
    hid_t i24 = H5Tcopy(H5T_STD_I32LE);
    H5Tset_precision(i24, 24);
    write_h5_with(WORKDIR "/int24.h5", i24, H5P_DEFAULT, 1);
    H5Tclose(i24);
    refused("h5:" WORKDIR "/int24.h5", "integer values of an unusual layout",
            "a 24-bit integer type");
}

/* What an isolated read does, and how often it ran in this process. */
typedef enum {
    READ_OK,
    READ_FAIL,
    READ_SEGV,
    READ_ABORT,
    READ_SILENT,
    READ_TERM,
    READ_SPIN
} read_kind;

typedef struct probe {
    read_kind kind;
    int runs; /* runs in this process: the child's are lost */
} probe;

static int probe_read(void *ctx, dg_error *err)
{
    probe *p = ctx;
    p->runs++;
    switch (p->kind) {
    case READ_OK:
        return DG_OK;
    case READ_FAIL:
        return dg_error_set(err, DG_ENONFINITE, "row 3 holds NaN");
    case READ_SEGV:
        raise(SIGSEGV);
        break;
    case READ_ABORT:
        abort();
    case READ_SILENT:
        _exit(0);
    case READ_TERM:
        raise(SIGTERM);
        break;
    case READ_SPIN: {
        /* 1 s of CPU time instead of DG_H5_ISOLATED_CPU_SECONDS. */
        const struct rlimit lim = {1, 2};
        setrlimit(RLIMIT_CPU, &lim);
        for (volatile unsigned long k = 0;; k++)
            ;
    }
    }
    return DG_OK;
}

/* dg_h5_isolated: how each end of the child becomes a status. */
static void test_h5_isolated(void)
{
    const char *path = WORKDIR "/u8.h5";
    probe p = {READ_OK, 0};
    dg_error err = {0};
    ok(dg_h5_isolated(path, probe_read, &p, &err) == DG_OK && p.runs == 1,
       "isolated read: a clean child, then one read in this process");
    p = (probe){READ_FAIL, 0};
    ok(dg_h5_isolated(path, probe_read, &p, &err) == DG_ENONFINITE && p.runs == 0 &&
           strcmp(err.message, "row 3 holds NaN") == 0,
       "isolated read: the child's failure and message come back, no read here");
    const read_kind crashes[3] = {READ_SEGV, READ_ABORT, READ_SILENT};
    const char *how[3] = {"SIGSEGV", "abort()", "an exit without a report"};
    for (int k = 0; k < 3; k++) {
        p = (probe){crashes[k], 0};
        ok(dg_h5_isolated(path, probe_read, &p, &err) == DG_EFORMAT && p.runs == 0 &&
               strcmp(err.message, WORKDIR "/u8.h5: HDF5 library crashed while reading "
                                           "(malformed file?)") == 0,
           "isolated read: %s in the child is an error: %s", how[k], err.message);
    }
    p = (probe){READ_TERM, 0};
    ok(dg_h5_isolated(path, probe_read, &p, &err) == DG_ECANCELLED && p.runs == 0,
       "isolated read: SIGTERM in the child cancels: %s", err.message);
    p = (probe){READ_SPIN, 0};
    ok(dg_h5_isolated(path, probe_read, &p, &err) == DG_EFORMAT && p.runs == 0 &&
           strstr(err.message, "did not finish reading in 60 s of CPU time"),
       "isolated read: a child past its CPU time is an error: %s", err.message);

    /* dg_data_load with isolate_hdf5 reads the same rows. */
    const dg_data_options iso = {.limit = 4, .isolate_hdf5 = 1};
    dg_dataset *a = NULL, *b = NULL;
    ok(dg_data_load("h5:" WORKDIR "/u8.h5", &iso, &a, &err) == DG_OK &&
           dg_data_load("h5:" WORKDIR "/u8.h5:/images", &(dg_data_options){.limit = 4}, &b, &err) ==
               DG_OK &&
           a->n == 4 && a->image_rank == 2 && memcmp(a->x, b->x, 4 * 6 * sizeof *a->x) == 0,
       "dg_data_load with isolate_hdf5 reads what it reads without");
    dg_dataset_free(a);
    dg_dataset_free(b);
    ok(dg_data_load("h5:" WORKDIR "/nan.h5:/x", &iso, &a, &err) == DG_ENONFINITE && !a &&
           strstr(err.message, "row 2, column 1 holds NaN"),
       "dg_data_load with isolate_hdf5 reports the child's error: %s", err.message);
}

/* ------------------------------------------------------------------------ */
/* NumPy .npy                                                               */
/* ------------------------------------------------------------------------ */

static void write_bytes(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, len, f);
    fclose(f);
}

/*
 * A .npy file as numpy lays it out: magic, version major.0, the header
 * length (2 bytes little-endian for 1.0, 4 otherwise), the dict padded with
 * blanks and a newline to a multiple of 64 bytes, then len data bytes.
 */
static void write_npy(const char *path, int major, const char *dict, const unsigned char *data,
                      size_t len)
{
    const size_t pre = major == 1 ? 10 : 12;
    const size_t total = (pre + strlen(dict) + 1 + 63) / 64 * 64;
    const size_t hlen = total - pre;
    unsigned char *b = malloc(total + len);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (size_t k = 0; k < pre - 8; k++)
        b[8 + k] = (unsigned char)(hlen >> (8 * k));
    memset(b + pre, ' ', hlen);
    memcpy(b + pre, dict, strlen(dict));
    b[total - 1] = '\n';
    if (len)
        memcpy(b + total, data, len);
    write_bytes(path, b, total + len);
    free(b);
}

/* The bits of v (rounded to float when size is 4), size bytes in that byte order. */
static void put_value(unsigned char *p, double v, size_t size, int big_endian)
{
    uint64_t u;
    if (size == 8) {
        memcpy(&u, &v, 8);
    } else {
        const float f = (float)v;
        uint32_t w;
        memcpy(&w, &f, 4);
        u = w;
    }
    for (size_t k = 0; k < size; k++)
        p[big_endian ? size - 1 - k : k] = (unsigned char)(u >> (8 * k));
}

/* Element k of the test arrays: a float, or a byte for uint8 data. */
static double npy_float(size_t k)
{
    return 2.385 * (double)k - 41.17 + 1e-3 / (double)(k + 1);
}

static unsigned char npy_byte(size_t k)
{
    return (unsigned char)((37 * k + 11) % 256);
}

/* The value the loader must give for element k of a dtype of that size. */
static double npy_expected(size_t k, size_t size)
{
    return size == 1   ? npy_byte(k) / 127.5 - 1.0
           : size == 4 ? (double)(float)npy_float(k)
                       : npy_float(k);
}

/* count elements of the test arrays encoded as size bytes each; caller frees. */
static unsigned char *npy_payload(size_t count, size_t size, int big_endian)
{
    unsigned char *b = malloc(count * size + 1);
    for (size_t k = 0; k < count; k++) {
        if (size == 1)
            b[k] = npy_byte(k);
        else
            put_value(b + k * size, npy_float(k), size, big_endian);
    }
    return b;
}

/* True if d holds n × dim of the test values of a dtype of that size, exactly. */
static int npy_matches(const dg_dataset *d, size_t n, size_t dim, size_t size)
{
    int exact = d && d->n == n && d->dim == dim;
    for (size_t k = 0; exact && k < n * dim; k++)
        exact &= d->x[k] == npy_expected(k, size);
    return exact;
}

static void test_npy_dtypes(void)
{
    static const struct {
        const char *descr;
        size_t size;
        int big_endian;
    } types[] = {{"<f8", 8, 0}, {">f8", 8, 1}, {"<f4", 4, 0},
                 {">f4", 4, 1}, {"|u1", 1, 0}, {"<u1", 1, 0}};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        char dict[128];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (7, 5), }",
                 types[t].descr);
        unsigned char *b = npy_payload(35, types[t].size, types[t].big_endian);
        write_npy(WORKDIR "/dtype.npy", 1, dict, b, 35 * types[t].size);
        free(b);
        dg_dataset *d = NULL;
        dg_error err;
        int status = dg_data_load("npy:" WORKDIR "/dtype.npy", NULL, &d, &err);
        ok(status == DG_OK && npy_matches(d, 7, 5, types[t].size) && d->image_rank == 0,
           "npy '%s' 7 × 5: every value exact%s", types[t].descr,
           types[t].size == 1 ? " (v/127.5 − 1)" : "");
        if (status != DG_OK)
            diag("%s", err.message);
        dg_dataset_free(d);
    }
}

static void test_npy_versions_and_shapes(void)
{
    dg_dataset *d = NULL;
    dg_error err;
    for (int major = 2; major <= 3; major++) {
        unsigned char *b = npy_payload(36, 8, 0);
        write_npy(WORKDIR "/v23.npy", major,
                  "{'descr': '<f8', 'fortran_order': False, 'shape': (6, 3, 2), }", b, 36 * 8);
        free(b);
        int status = dg_data_load("npy:" WORKDIR "/v23.npy", NULL, &d, &err);
        ok(status == DG_OK && npy_matches(d, 6, 6, 8) && d->image_rank == 2 &&
               d->image_shape[0] == 3 && d->image_shape[1] == 2,
           "npy version %d.0, rank 3: 6 rows of 3 × 2 images, values exact", major);
        dg_dataset_free(d);
    }
    unsigned char *b = npy_payload(4 * 30, 1, 0);
    write_npy(WORKDIR "/rank4.npy", 1,
              "{'descr': '|u1', 'fortran_order': False, 'shape': (4, 2, 3, 5), }", b, 120);
    free(b);
    int status = dg_data_load("npy:" WORKDIR "/rank4.npy", NULL, &d, &err);
    ok(status == DG_OK && npy_matches(d, 4, 30, 1) && d->image_rank == 3 &&
           d->image_shape[0] == 2 && d->image_shape[1] == 3 && d->image_shape[2] == 5,
       "npy rank 4 uint8: image shape 2 × 3 × 5 kept");
    dg_dataset_free(d);
    b = npy_payload(3 * 16, 4, 1);
    write_npy(WORKDIR "/rank5.npy", 1,
              "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 2, 2, 2, 2), }", b,
              3 * 16 * 4);
    free(b);
    status = dg_data_load("npy:" WORKDIR "/rank5.npy", NULL, &d, &err);
    ok(status == DG_OK && npy_matches(d, 3, 16, 4) && d->image_rank == 0,
       "npy rank 5: rows flattened to 16 values, no image shape");
    dg_dataset_free(d);

    /* Rows 0-3 finite, row 5 NaN: --limit 4 must stop before it. */
    b = npy_payload(8 * 3, 8, 1);
    put_value(b + (5 * 3 + 1) * 8, NAN, 8, 1);
    write_npy(WORKDIR "/limit.npy", 1,
              "{'descr': '>f8', 'fortran_order': False, 'shape': (8, 3), }", b, 8 * 3 * 8);
    free(b);
    const dg_data_options lim = {.limit = 4};
    status = dg_data_load("npy:" WORKDIR "/limit.npy", &lim, &d, &err);
    ok(status == DG_OK && npy_matches(d, 4, 3, 8),
       "npy --limit 4 reads the first 4 rows and stops before the NaN of row 5");
    dg_dataset_free(d);
    status = dg_data_load("npy:" WORKDIR "/limit.npy", NULL, &d, &err);
    ok(status == DG_ENONFINITE && d == NULL && strstr(err.message, "row 5, column 1 holds NaN"),
       "npy NaN in the data is found and named: %s", err.message);
    b = npy_payload(8 * 3, 4, 0);
    put_value(b + (2 * 3 + 2) * 4, -INFINITY, 4, 0);
    write_npy(WORKDIR "/inf.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 3), }",
              b, 8 * 3 * 4);
    free(b);
    status = dg_data_load("npy:" WORKDIR "/inf.npy", NULL, &d, &err);
    ok(status == DG_ENONFINITE && d == NULL && strstr(err.message, "row 2, column 2 holds Inf"),
       "npy -Inf in float32 data is found and named: %s", err.message);

    /* Headers numpy could have written, or a person by hand. */
    static const char *const dicts[][2] = {
        {"keys in another order, no trailing comma",
         "{'shape': (7, 5), 'fortran_order': False, 'descr': '<f8'}"},
        {"blanks, tabs and newlines around every token, trailing commas",
         "{ 'descr' : '<f8' ,\n\t'fortran_order' : False ,'shape' : ( 7 , 5 , ) , }"},
        {"double quotes and the L of Python 2 longs",
         "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (7L, 5L)}"},
    };
    b = npy_payload(35, 8, 0);
    for (size_t k = 0; k < sizeof dicts / sizeof dicts[0]; k++) {
        write_npy(WORKDIR "/dict.npy", 1, dicts[k][1], b, 35 * 8);
        status = dg_data_load("npy:" WORKDIR "/dict.npy", NULL, &d, &err);
        ok(status == DG_OK && npy_matches(d, 7, 5, 8), "npy header accepted: %s", dicts[k][0]);
        dg_dataset_free(d);
    }
    free(b);
}

/* A malformed or unsupported .npy file: the status and a fragment of the message. */
typedef struct npy_bad {
    const char *what;
    int major;
    const char *dict; /* the header, for 7 × 5 <f8 data bytes */
    int status;
    const char *fragment;
} npy_bad;

static void test_npy_refusals(void)
{
    static const npy_bad bad[] = {
        {"Fortran order", 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (7, 5), }",
         DG_EFORMAT, "Fortran order is not supported; save with np.ascontiguousarray"},
        {"object array", 1, "{'descr': '|O', 'fortran_order': False, 'shape': (7, 5), }",
         DG_EFORMAT, "object arrays ('|O') are not supported"},
        {"int64", 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (7, 5), }", DG_EFORMAT,
         "unsupported dtype '<i8'"},
        {"float16", 2, "{'descr': '<f2', 'fortran_order': False, 'shape': (7, 5), }", DG_EFORMAT,
         "unsupported dtype '<f2'"},
        {"structured", 1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (7, 5), }",
         DG_EFORMAT, "structured"},
        {"rank 1", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (35,), }", DG_EFORMAT,
         "rank 1;"},
        {"rank 0", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", DG_EFORMAT,
         "rank 0;"},
        {"no rows", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), }", DG_EFORMAT,
         "empty axis 0"},
        {"empty rows", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 0), }", DG_EFORMAT,
         "empty axis 1"},
        {"10^12 rows in a small file", 1,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 5), }", DG_EFORMAT,
         "truncated .npy file (the header claims 1000000000000 rows of 40 bytes, "
         "the file holds 7)"},
        {"8 rows, 7 held", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 5), }",
         DG_EFORMAT, "claims 8 rows"},
        {"extent above 2^64", 1,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 18446744073709551616), }",
         DG_EFORMAT, "too large"},
        {"row size above 2^64", 1,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 4294967296, 4294967296), }",
         DG_EFORMAT, "too large"},
        {"(7) is not a tuple", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (7), }",
         DG_EFORMAT, "a 1-tuple is (n,)"},
        {"negative extent", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (-7, 5), }",
         DG_EFORMAT, "non-negative integer"},
        {"leading zero", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (07, 5), }",
         DG_EFORMAT, "non-negative integer"},
        {"lowercase false", 1, "{'descr': '<f8', 'fortran_order': false, 'shape': (7, 5), }",
         DG_EFORMAT, "True or False"},
        {"missing key", 1, "{'descr': '<f8', 'shape': (7, 5), }", DG_EFORMAT,
         "lacks 'fortran_order'"},
        {"unknown key", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 5), 'extra': 1}",
         DG_EFORMAT, "unexpected key 'extra'"},
        {"repeated key", 1,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 5), 'descr': '<f8'}", DG_EFORMAT,
         "repeated key 'descr'"},
        {"two commas", 1, "{'descr': '<f8',, 'fortran_order': False, 'shape': (7, 5)}", DG_EFORMAT,
         "at byte 26: expected a quoted key or '}'"},
        {"no colon", 1, "{'descr' '<f8', 'fortran_order': False, 'shape': (7, 5)}", DG_EFORMAT,
         "expected ':'"},
        {"misplaced quote", 1, "{'descr': '<f8, 'fortran_order': False, 'shape': (7, 5)}",
         DG_EFORMAT, "at byte 27: expected ',' or '}'"},
        {"unterminated string", 1, "{'descr': '<f8", DG_EFORMAT, "expected the end of a string"},
        {"escape in a string", 1, "{'descr': '<f\\8', 'fortran_order': False, 'shape': (7, 5)}",
         DG_EFORMAT, "plain string"},
        {"text after the dict", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 5)} x",
         DG_EFORMAT, "only blanks after '}'"},
        {"not a dict", 1, "['descr', '<f8']", DG_EFORMAT, "at byte 10: expected '{'"},
        {"rank 65", 1,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (7, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
         "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
         "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), }",
         DG_EFORMAT, "rank above 64"},
    };
    unsigned char *b = npy_payload(35, 8, 0);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        write_npy(WORKDIR "/bad.npy", bad[k].major, bad[k].dict, b, 35 * 8);
        dg_dataset *d = NULL;
        dg_error err;
        const int status = dg_data_load("npy:" WORKDIR "/bad.npy", NULL, &d, &err);
        ok(status == bad[k].status && d == NULL && strstr(err.message, bad[k].fragment),
           "npy %s is refused: %s", bad[k].what, err.message);
    }
    free(b);
}

/* Files broken before the dict: magic, version, header length. */
static void test_npy_preambles(void)
{
    static const struct {
        const char *what;
        const char *bytes;
        size_t len;
        const char *fragment;
    } bad[] = {
        {"text", "this is not a .npy file\n", 24, "bad magic"},
        {"NUMPZ", "\x93NUMPZ\x01\x00\x10\x00{}              ", 26, "bad magic"},
        {"empty file", "", 0, "truncated .npy header"},
        {"magic alone", "\x93NUMPY", 6, "truncated .npy header"},
        {"no header length", "\x93NUMPY\x01\x00\x46", 9, "truncated .npy header"},
        {"version 4.0", "\x93NUMPY\x04\x00\x10\x00\x00\x00{}", 14, "version 4.0"},
        {"version 1.1", "\x93NUMPY\x01\x01\x10\x00{}", 12, "version 1.1"},
        {"header past the end", "\x93NUMPY\x01\x00\x00\x02{'descr': '<f8'}", 27,
         "truncated .npy header (512 bytes claimed, 17 left in the file)"},
        {"a 4 GB header", "\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14, "longer than 10000"},
        {"a 65600-byte header", "\x93NUMPY\x03\x00\x40\x00\x01\x00{}", 14,
         ".npy header of 65600 bytes, longer than 10000"},
        {"NUL in the header", "\x93NUMPY\x01\x00\x06\x00{\0}   ", 16,
         "at byte 11: expected a quoted key"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        write_bytes(WORKDIR "/pre.npy", bad[k].bytes, bad[k].len);
        dg_dataset *d = NULL;
        dg_error err;
        const int status = dg_data_load("npy:" WORKDIR "/pre.npy", NULL, &d, &err);
        ok(status == DG_EFORMAT && d == NULL && strstr(err.message, bad[k].fragment),
           "npy %s is refused: %s", bad[k].what, err.message);
    }
    dg_dataset *d = NULL;
    dg_error err;
    ok(dg_data_load("npy:" WORKDIR "/missing.npy", NULL, &d, &err) == DG_EIO &&
           strstr(err.message, "cannot open " WORKDIR "/missing.npy: No such file or directory"),
       "npy missing file: %s", err.message);
    ok(dg_data_load("npy:" WORKDIR, NULL, &d, &err) == DG_EIO &&
           strstr(err.message, "Is a directory"),
       "npy a directory: %s", err.message);
}

/* ------------------------------------------------------------------------ */
/* CIFAR-10                                                                 */
/* ------------------------------------------------------------------------ */

#define CIFAR_DIR WORKDIR "/cifar"
#define CIFAR_PIXELS 3072

/* Byte j (plane j / 1024, row j % 1024 / 32, column j % 32) of record r of batch b. */
static unsigned char cifar_byte(size_t b, size_t r, size_t j)
{
    return (unsigned char)((13 * b + 31 * r + 7 * (j % 1024) + 50 * (j / 1024)) % 256);
}

/* Writes count records of batch b (label, then 3072 pixels) and extra stray bytes. */
static void write_cifar_batch(const char *path, size_t b, size_t count, size_t extra)
{
    FILE *f = fopen(path, "wb");
    for (size_t r = 0; r < count; r++) {
        fputc((int)((b + r) % 10), f);
        for (size_t j = 0; j < CIFAR_PIXELS; j++)
            fputc(cifar_byte(b, r, j), f);
    }
    for (size_t k = 0; k < extra; k++)
        fputc(0x5a, f);
    fclose(f);
}

/* A directory of train batches of the given record counts (0: no file) and a test batch. */
static void write_cifar_dir(const char *dir, const size_t counts[5], size_t test_count)
{
    char path[256];
    mkdir(dir, 0777);
    for (size_t b = 0; b < 5; b++) {
        snprintf(path, sizeof path, "%s/data_batch_%zu.bin", dir, b + 1);
        remove(path);
        if (counts[b])
            write_cifar_batch(path, b, counts[b], 0);
    }
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    remove(path);
    if (test_count)
        write_cifar_batch(path, 5, test_count, 0);
}

/* True if rows [0, n) of d are the records of the batches from `first`, in order. */
static int cifar_matches(const dg_dataset *d, size_t n, const size_t *counts, size_t first)
{
    int exact = d && d->n == n && d->dim == CIFAR_PIXELS && d->image_rank == 3 &&
                d->image_shape[0] == 3 && d->image_shape[1] == 32 && d->image_shape[2] == 32;
    size_t b = first, r = 0;
    for (size_t i = 0; exact && i < n; i++, r++) {
        while (r == counts[b - first]) {
            b++;
            r = 0;
        }
        for (size_t j = 0; j < CIFAR_PIXELS; j++)
            exact &= d->x[i * CIFAR_PIXELS + j] == cifar_byte(b, r, j) / 127.5 - 1.0;
    }
    return exact;
}

static void test_cifar10(void)
{
    static const size_t counts[5] = {3, 2, 3, 1, 2};
    const size_t test_counts[1] = {4};
    write_cifar_dir(CIFAR_DIR, counts, 4);
    dg_dataset *d = NULL;
    dg_error err;
    int status = dg_data_load("cifar10:" CIFAR_DIR, NULL, &d, &err);
    ok(status == DG_OK && cifar_matches(d, 11, counts, 0),
       "cifar10: 11 records of 5 batches in order, planes R, G, B as in the file, "
       "3 × 32 × 32, v/127.5 − 1");
    if (status != DG_OK)
        diag("%s", err.message);
    dg_dataset_free(d);
    status = dg_data_load("cifar10:" CIFAR_DIR ":train", NULL, &d, &err);
    ok(status == DG_OK && cifar_matches(d, 11, counts, 0), "cifar10 :train is the default");
    dg_dataset_free(d);
    const dg_data_options lim4 = {.limit = 4}, lim99 = {.limit = 99};
    status = dg_data_load("cifar10:" CIFAR_DIR, &lim4, &d, &err);
    ok(status == DG_OK && cifar_matches(d, 4, counts, 0),
       "cifar10 --limit 4: batch 1 and the first record of batch 2");
    dg_dataset_free(d);
    status = dg_data_load("cifar10:" CIFAR_DIR, &lim99, &d, &err);
    ok(status == DG_OK && cifar_matches(d, 11, counts, 0), "cifar10 --limit 99 keeps all 11");
    dg_dataset_free(d);
    status = dg_data_load("cifar10:" CIFAR_DIR ":test", NULL, &d, &err);
    ok(status == DG_OK && cifar_matches(d, 4, test_counts, 5),
       "cifar10 :test reads the 4 records of test_batch.bin");
    dg_dataset_free(d);

    /* Batch 2 with a cut record: refused whatever the limit. */
    write_cifar_batch(CIFAR_DIR "/data_batch_2.bin", 1, 2, 3072);
    d = NULL;
    status = dg_data_load("cifar10:" CIFAR_DIR, &lim4, &d, &err);
    ok(status == DG_EFORMAT && d == NULL &&
           strstr(err.message, CIFAR_DIR "/data_batch_2.bin: truncated CIFAR-10 file "
                                         "(9218 bytes, not a whole number of 3073-byte records)"),
       "cifar10 a batch with a cut record: %s", err.message);
    write_cifar_batch(CIFAR_DIR "/data_batch_2.bin", 1, 0, 0);
    status = dg_data_load("cifar10:" CIFAR_DIR, NULL, &d, &err);
    ok(status == DG_EFORMAT && d == NULL &&
           strstr(err.message, "data_batch_2.bin: empty CIFAR-10 file"),
       "cifar10 an empty batch: %s", err.message);

    /* Batch 3 missing: refused even when --limit would stop in batch 1. */
    static const size_t holes[5] = {3, 2, 0, 1, 2};
    write_cifar_dir(CIFAR_DIR, holes, 0);
    const dg_data_options lim1 = {.limit = 1};
    status = dg_data_load("cifar10:" CIFAR_DIR, &lim1, &d, &err);
    ok(status == DG_EIO && d == NULL &&
           strcmp(err.message,
                  "cannot open " CIFAR_DIR "/data_batch_3.bin: No such file or directory") == 0,
       "cifar10 a missing batch: %s", err.message);
    status = dg_data_load("cifar10:" CIFAR_DIR ":test", NULL, &d, &err);
    ok(status == DG_EIO && d == NULL && strstr(err.message, CIFAR_DIR "/test_batch.bin"),
       "cifar10 :test without test_batch.bin: %s", err.message);
    status = dg_data_load("cifar10:" WORKDIR "/nodir", NULL, &d, &err);
    ok(status == DG_EIO && d == NULL &&
           strstr(err.message, WORKDIR "/nodir/data_batch_1.bin: No such file"),
       "cifar10 a missing directory: %s", err.message);
}

static void test_synthetic_and_specs(void)
{
    dg_dataset *a = NULL, *b = NULL;
    dg_error err;
    int status = dg_data_load("synthetic:gmm,n=300,d=16,k=3,seed=5", NULL, &a, &err);
    ok(status == DG_OK && a->n == 300 && a->dim == 16 && a->image_rank == 2 &&
           a->image_shape[0] == 4,
       "synthetic:gmm with parameters; a square d draws as 4 × 4 images");
    const dg_data_options lim = {.limit = 40};
    status = dg_data_load("synthetic:gmm,n=300,d=16,k=3,seed=5", &lim, &b, &err);
    ok(status == DG_OK && b->n == 40 && memcmp(a->x, b->x, 40 * 16 * sizeof(double)) == 0,
       "--limit keeps a prefix of the same rows");
    dg_dataset_free(b);
    status = dg_data_load("synthetic:gmm,n=300,d=16,k=3,seed=6", NULL, &b, &err);
    ok(status == DG_OK && memcmp(a->x, b->x, 300 * 16 * sizeof(double)) != 0,
       "another seed gives other data");
    dg_dataset_free(a);
    dg_dataset_free(b);

    static const char *const bad[][2] = {
        {"synthetic:gmm,n=0", "positive"},
        {"synthetic:gmm,q=3", "unknown parameter 'q'"},
        {"synthetic:gmm,std=-1", "std"},
        {"synthetic:gmm,n=abc", "n must be"},
        {"synthetic:swirl", "unknown synthetic dataset"},
        {"nonsense:foo", "unknown data spec"},
        {"fashion-mnist:valid", "split"},
        {"h5:", "h5:PATH"},
        {"npy:", "npy:PATH"},
        {"cifar10:", "expected cifar10:DIR[:train|:test]"},
        {"cifar10", "expected cifar10:DIR[:train|:test]"},
        {"cifar10::test", "expected cifar10:DIR[:train|:test]"},
        {"cifar10:" WORKDIR ":valid", "unknown CIFAR-10 split 'valid' (train or test)"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        dg_dataset *d = NULL;
        status = dg_data_load(bad[k][0], NULL, &d, &err);
        ok(status != DG_OK && d == NULL && strstr(err.message, bad[k][1]) != NULL,
           "'%s' is refused: %s", bad[k][0], err.message);
    }
    /* Found by fuzzing: a message quotes the spec, and stays one line. */
    dg_dataset *d = NULL;
    status = dg_data_load("\n\033[2Jx\r", NULL, &d, &err);
    ok(status == DG_EUNKNOWN && strstr(err.message, "unknown data spec '??[2Jx?'"),
       "control characters in a quoted spec become '?': %s", err.message);
}

/* The toy sets as rows: shapes, seeds, a prefix under --limit, and checks
 * of their geometry in long double against the definitions. */
static void test_toy_rows(void)
{
    dg_dataset *a = NULL, *b = NULL;
    dg_error err;
    int status = dg_data_load("synthetic:moons,n=301,noise=0,seed=8", NULL, &a, &err);
    long double worst = 0;
    for (size_t i = 0; status == DG_OK && i < a->n; i++) {
        const long double x = a->x[2 * i], y = a->x[2 * i + 1];
        /* Even rows: the circle about (0, 0), y ≥ 0; odd: about (1, 0.5), y ≤ 0.5. */
        const long double cx = i % 2 ? 1 : 0, cy = i % 2 ? 0.5L : 0;
        const long double off = fabsl(sqrtl((x - cx) * (x - cx) + (y - cy) * (y - cy)) - 1);
        worst = fmaxl(worst, off + ((i % 2 ? y > 0.5L : y < 0) ? 1 : 0));
    }
    ok(status == DG_OK && a->n == 301 && a->dim == 2 && a->image_rank == 0 && worst < 1e-15L,
       "synthetic:moons, noise 0: 301 rows on the two half circles (worst %.1Le)", worst);
    const dg_data_options lim = {.limit = 77};
    status = dg_data_load("synthetic:moons,n=301,noise=0,seed=8", &lim, &b, &err);
    ok(status == DG_OK && b->n == 77 && memcmp(a->x, b->x, 77 * 2 * sizeof(double)) == 0,
       "synthetic:moons: --limit keeps a prefix of the same rows");
    dg_dataset_free(b);
    status = dg_data_load("synthetic:moons,n=301,noise=0,seed=9", NULL, &b, &err);
    ok(status == DG_OK && memcmp(a->x, b->x, 301 * 2 * sizeof(double)) != 0,
       "synthetic:moons: another seed gives other rows");
    dg_dataset_free(a);
    dg_dataset_free(b);

    status = dg_data_load("synthetic:checkerboard,n=500,cells=8", NULL, &a, &err);
    int black = status == DG_OK && a->n == 500;
    for (size_t i = 0; black && i < a->n; i++) {
        const double x = a->x[2 * i], y = a->x[2 * i + 1];
        black = fabs(x) <= 4 && fabs(y) <= 4 && ((long)floor(x) + (long)floor(y)) % 2 == 0;
    }
    ok(black, "synthetic:checkerboard,cells=8: every point in a black square of [−4, 4]²");
    dg_dataset_free(a);

    status = dg_data_load("synthetic:swissroll,d=3,n=200,noise=0", NULL, &a, &err);
    long double roll = 0;
    for (size_t i = 0; status == DG_OK && i < a->n; i++) {
        const double *p = a->x + 3 * i;
        const long double r = hypotl(p[0], p[1]), t = 4.5L * M_PI * r;
        roll = fmaxl(roll, fabsl(r * cosl(t) - p[0]) + fabsl(r * sinl(t) - p[1]));
        roll = fmaxl(roll, fabs(p[2]) > 1 ? 1 : 0);
    }
    ok(status == DG_OK && a->dim == 3 && roll < 1e-13L,
       "synthetic:swissroll,d=3: (r cos t, r sin t, h) with t = 4.5π r, |h| ≤ 1 (worst %.1Le)",
       roll);
    dg_dataset_free(a);

    static const char *const bad[][2] = {
        {"synthetic:moons,noise=nan", "noise must be a finite number"},
        {"synthetic:moons,n=1000000001", "n must be between 1 and 10^9"},
        {"synthetic:spiral,d=3", "unknown parameter 'd' (n, seed, noise, turns)"},
        {"synthetic:swissroll,d=1", "d must be 2 or 3"},
        {"synthetic:checkerboard,cells=0", "cells must be an even number"},
        {"synthetic:moons,seed=4294967296", "seed must be at most"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        dg_dataset *d = NULL;
        status = dg_data_load(bad[k][0], NULL, &d, &err);
        ok(status == DG_EINVAL && d == NULL && strstr(err.message, bad[k][1]) != NULL,
           "'%s' is refused: %s", bad[k][0], err.message);
    }
}

/* Rows drawn from a built-in mixture (synthetic:NAME,n=N): counts, shards, the mixture's means. */
static void test_mixture_rows(void)
{
    dg_dataset *rows = NULL, *part = NULL;
    dg_gmm *mixture = NULL;
    dg_error err;
    int status = dg_source_load("synthetic:rings,rings=1,per_ring=4,std=0.001,n=203,seed=4", NULL,
                                &rows, &mixture, &err);
    int on_means = status == DG_OK && rows && !mixture && rows->n == 203 && rows->dim == 2;
    for (size_t i = 0; on_means && i < rows->n; i++) {
        /* The 4 means (±1, 0), (0, ±1): one coordinate near 0, the other near ±1. */
        const double x = fabs(rows->x[2 * i]), y = fabs(rows->x[2 * i + 1]);
        on_means = fmin(x, y) < 0.01 && fabs(fmax(x, y) - 1) < 0.01;
    }
    ok(on_means, "synthetic:rings,…,n=203: 203 rows, each near one of the 4 component means");
    const dg_data_options o = {.shard_parts = 3, .shard_index = 1, .shard_align = 10};
    status = dg_source_load("synthetic:rings,rings=1,per_ring=4,std=0.001,n=203,seed=4", &o, &part,
                            &mixture, &err);
    ok(status == DG_OK && part->total == 203 && part->first > 0 &&
           memcmp(part->x, rows->x + part->first * 2, part->n * 2 * sizeof(double)) == 0,
       "a shard of rows drawn from a mixture is the same rows as in the whole");
    dg_dataset_free(part);
    dg_dataset_free(rows);
    static const char *const bad[][2] = {
        {"synthetic:rings,n=0", "n must be a row count"},
        {"synthetic:rings,n=-3", "n must be a row count"},
        {"synthetic:rings,n=2,n=3", "given once"},
        {"synthetic:rings,n=2,std=-1", "std must be ≥ 0"},
        {"synthetic:gauss2d,n=5,q=1", "unknown parameter 'q'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        status = dg_source_load(bad[k][0], NULL, &rows, &mixture, &err);
        ok(status != DG_OK && !rows && !mixture && strstr(err.message, bad[k][1]) != NULL,
           "'%s' is refused: %s", bad[k][0], err.message);
    }
}

/* dg_spec_split, the one splitter of the grammar, on its edge cases. */
static void test_spec_split(void)
{
    static const struct {
        const char *text, *sep;
        int status;
        const char *head, *tail; /* tail NULL: no separator */
    } cases[] = {
        {"a:b.h5:/x", ":/", DG_OK, "a:b.h5", "/x"},
        {"a.h5", ":/", DG_OK, "a.h5", NULL},
        {"d:/a.h5:/g:/x", ":/", DG_OK, "d:/a.h5:/g", "/x"},
        {"dir:with:colons:test", ":", DG_OK, "dir:with:colons", "test"},
        {"dir:", ":", DG_OK, "dir", ""},
        {"", ":/", DG_EINVAL, NULL, NULL},
        {":/x", ":/", DG_EINVAL, NULL, NULL},
        {":test", ":", DG_EINVAL, NULL, NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char head[64] = "unset";
        const char *tail = "unset";
        const int status = dg_spec_split(cases[k].text, cases[k].sep, head, sizeof head, &tail);
        int good = status == cases[k].status;
        if (good && status == DG_OK)
            good = strcmp(head, cases[k].head) == 0 &&
                   (cases[k].tail ? tail && strcmp(tail, cases[k].tail) == 0 : tail == NULL);
        ok(good, "dg_spec_split('%s', '%s') gives '%s' and '%s'", cases[k].text, cases[k].sep,
           status == DG_OK ? head : "(refused)", status == DG_OK && tail ? tail : "(none)");
    }
    char small[4];
    const char *tail;
    ok(dg_spec_split("abc", ":", small, sizeof small, &tail) == DG_OK && strcmp(small, "abc") == 0,
       "dg_spec_split: a head that just fits is copied");
    ok(dg_spec_split("abcd:x", ":", small, sizeof small, &tail) == DG_EINVAL,
       "dg_spec_split: a head that does not fit is refused");
}

/* The specs of data rows and mixtures, in the table's order, as short forms. */
static const char *const SHORT_FORMS[] = {
    "h5:PATH",
    "idx:PATH",
    "npy:PATH",
    "cifar10:DIR",
    "fashion-mnist",
    "synthetic:gmm",
    "synthetic:blobs",
    "synthetic:moons",
    "synthetic:spiral",
    "synthetic:swissroll",
    "synthetic:checkerboard",
    "gmm:FILE",
    "synthetic:gauss2d",
    "synthetic:rings",
    "synthetic:lowrank",
};
#define NSHORT (sizeof SHORT_FORMS / sizeof SHORT_FORMS[0])

/* The table of dg_source: every form found by its own prefix, lists that name them all. */
static void test_spec_table(void)
{
    char list[DG_SPEC_LIST_MAX], one[DG_SPEC_LIST_MAX];
    size_t forms = 0, rows = 0, entries = 0;
    int found = 1, short_summaries = 1;
    dg_source_kind kind;
    for (const dg_spec_form *f; (f = dg_source_at(forms, &kind)); forms++) {
        rows += kind == DG_SOURCE_ROWS;
        short_summaries &= strlen(f->summary) <= DG_SPEC_SUMMARY_MAX;
        /* Each prefix (with each of its names) on a line of its own. */
        size_t len = 0;
        dg_spec_form_write(f, DG_SPEC_PREFIXES, NULL, one, sizeof one, &len);
        for (char *save = NULL, *p = strtok_r(one, "\n", &save); p;
             p = strtok_r(NULL, "\n", &save), entries++) {
            dg_source_kind k = 0;
            found &= dg_source_find(p, &k) == f && k == kind;
        }
    }
    ok(forms == 10 && rows == 8 && entries == NSHORT,
       "the table holds 8 forms of rows and 2 of mixtures, 15 prefixes with the built-in names "
       "(%zu forms, %zu of rows, %zu prefixes)",
       forms, rows, entries);
    ok(found, "every prefix is found, as its own form and kind, by dg_source_find");
    ok(short_summaries, "every summary fits in DG_SPEC_SUMMARY_MAX bytes");
    const size_t len =
        dg_source_list(DG_SOURCE_ROWS | DG_SOURCE_MIXTURE, DG_SPEC_SHORT, NULL, list, sizeof list);
    char expected[DG_SPEC_LIST_MAX] = "";
    for (size_t k = 0; k < NSHORT; k++)
        snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s",
                 k ? ", " : "", SHORT_FORMS[k]);
    ok(strcmp(list, expected) == 0 && len == strlen(expected),
       "the generated list names every form: %s", list);
    char cut[10];
    ok(dg_source_list(DG_SOURCE_ROWS | DG_SOURCE_MIXTURE, DG_SPEC_SHORT, NULL, cut, sizeof cut) ==
               len &&
           strlen(cut) == sizeof cut - 1 && strncmp(cut, list, sizeof cut - 1) == 0,
       "a list that does not fit is cut short, and its whole length returned");
    dg_source_list(DG_SOURCE_MIXTURE, DG_SPEC_SHORT, "synthetic:", list, sizeof list);
    ok(strcmp(list, "gauss2d, rings, lowrank") == 0, "the built-in mixtures by name: %s", list);
    dg_source_list(DG_SOURCE_MIXTURE, DG_SPEC_HELP, NULL, list, sizeof list);
    ok(strstr(list, "gmm:FILE[:/group]\n  ") == list &&
           strstr(list, "synthetic:NAME[,key=value...]\n  ") &&
           strstr(list, "  NAME: gauss2d, rings, lowrank\n"),
       "the help of the mixtures gives syntax, summary and names");

    static const struct {
        const char *spec;
        int kind; /* 0: no form */
    } kinds[] = {
        {"h5:a:b.h5:/x", DG_SOURCE_ROWS},
        {"h5:", DG_SOURCE_ROWS},
        {"cifar10", DG_SOURCE_ROWS},
        {"cifar10:dir:with:colons:test", DG_SOURCE_ROWS},
        {"cifar10,x", 0},
        {"fashion-mnist:test", DG_SOURCE_ROWS},
        {"fashion-mnistx", 0},
        {"synthetic:gmm,n=3", DG_SOURCE_ROWS},
        {"synthetic:gmmx", 0},
        {"synthetic:blobs", DG_SOURCE_ROWS},
        {"gmm:mix.h5:/fit", DG_SOURCE_MIXTURE},
        {"synthetic:rings,std=0.1", DG_SOURCE_MIXTURE},
        {"synthetic:rings,n=50", DG_SOURCE_ROWS},
        {"synthetic:gauss2d,k=3,n=50,seed=2", DG_SOURCE_ROWS},
        {"synthetic:gauss2d,k=3", DG_SOURCE_MIXTURE},
        {"synthetic:moons", DG_SOURCE_ROWS},
        {"synthetic:swissroll,d=3", DG_SOURCE_ROWS},
        {"synthetic:moonsx", 0},
        {"synthetic:ring", 0},
        {"synthetic:lowrank", DG_SOURCE_MIXTURE},
        {"synthetic:", 0},
        {"nonsense:foo", 0},
        {"", 0},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        dg_source_kind got = 0;
        const dg_spec_form *f = dg_source_find(kinds[k].spec, &got);
        ok(kinds[k].kind ? f && (int)got == kinds[k].kind : f == NULL, "'%s' is %s", kinds[k].spec,
           !kinds[k].kind                    ? "of no form"
           : kinds[k].kind == DG_SOURCE_ROWS ? "a form of rows"
                                             : "a form of mixtures");
    }
}

/* dg_source_load: rows or a mixture, and the unknown specs' messages list every form. */
static void test_source_load(void)
{
    dg_dataset *rows = NULL;
    dg_gmm *mixture = NULL;
    dg_error err;
    int status = dg_source_load("synthetic:gmm,n=5,d=2", NULL, &rows, &mixture, &err);
    ok(status == DG_OK && rows && rows->n == 5 && rows->dim == 2 && mixture == NULL,
       "dg_source_load: synthetic:gmm gives rows");
    dg_dataset_free(rows);
    status = dg_source_load("synthetic:rings,rings=1,per_ring=3", NULL, &rows, &mixture, &err);
    ok(status == DG_OK && rows == NULL && mixture && dg_gmm_components(mixture) == 3 &&
           dg_gmm_dim(mixture) == 2,
       "dg_source_load: synthetic:rings gives a mixture");
    dg_gmm_free(mixture);

    static const char *const unknown[] = {"nonsense:foo", "gmmx:a.h5", "cifar10,x"};
    for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++) {
        status = dg_source_load(unknown[k], NULL, &rows, &mixture, &err);
        int all = status == DG_EUNKNOWN && rows == NULL && mixture == NULL &&
                  strstr(err.message, "unknown data spec '");
        for (size_t s = 0; all && s < NSHORT; s++)
            all = strstr(err.message, SHORT_FORMS[s]) != NULL;
        ok(all, "'%s' is unknown, and the message names every form: %s", unknown[k], err.message);
    }
    status = dg_source_load("synthetic:nosuch", NULL, &rows, &mixture, &err);
    ok(status == DG_EUNKNOWN && strcmp(err.message, "unknown synthetic distribution 'nosuch' "
                                                    "(gmm, blobs, moons, spiral, swissroll, "
                                                    "checkerboard, gauss2d, rings, lowrank)") == 0,
       "synthetic:nosuch: %s", err.message);
    status = dg_source_load("gmm:", NULL, &rows, &mixture, &err);
    ok(status == DG_EINVAL && strcmp(err.message, "bad data spec 'gmm:': expected "
                                                  "gmm:FILE[:/group]") == 0,
       "gmm: without a file: %s", err.message);
    status = dg_source_load("gmm:" WORKDIR "/none.h5:/fit", NULL, &rows, &mixture, &err);
    ok(status == DG_EIO && strstr(err.message, WORKDIR "/none.h5: No such file"),
       "gmm:FILE:/group reads FILE: %s", err.message);

    /* dg_data_load knows rows only, and lists them all. */
    status = dg_data_load("nonsense:foo", NULL, &rows, &err);
    ok(status == DG_EUNKNOWN &&
           strcmp(err.message, "unknown data spec 'nonsense:foo' (h5:PATH, idx:PATH, npy:PATH, "
                               "cifar10:DIR, fashion-mnist, synthetic:gmm, synthetic:blobs, "
                               "synthetic:moons, synthetic:spiral, synthetic:swissroll, "
                               "synthetic:checkerboard)") == 0,
       "dg_data_load: %s", err.message);
    status = dg_data_load("synthetic:rings", NULL, &rows, &err);
    ok(status == DG_EUNKNOWN &&
           strcmp(err.message, "unknown synthetic dataset 'rings' (synthetic:gmm, "
                               "synthetic:blobs, synthetic:moons, synthetic:spiral, "
                               "synthetic:swissroll, synthetic:checkerboard)") == 0,
       "dg_data_load does not load mixtures: %s", err.message);
}

/* A CIFAR-10 directory whose name holds ':' is read when the split is spelt out. */
static void test_cifar10_colons(void)
{
    static const size_t counts[5] = {1, 1, 1, 1, 1};
    write_cifar_dir(WORKDIR "/dir:with:colons", counts, 2);
    dg_dataset *d = NULL;
    dg_error err;
    int status = dg_data_load("cifar10:" WORKDIR "/dir:with:colons:test", NULL, &d, &err);
    ok(status == DG_OK && d->n == 2, "cifar10:dir:with:colons:test reads the test batch");
    dg_dataset_free(d);
    status = dg_data_load("cifar10:" WORKDIR "/dir:with:colons:train", NULL, &d, &err);
    ok(status == DG_OK && d->n == 5, "cifar10:dir:with:colons:train reads the 5 batches");
    dg_dataset_free(d);
    status = dg_data_load("cifar10:" WORKDIR "/dir:with:colons", NULL, &d, &err);
    ok(status == DG_EUNKNOWN && strstr(err.message, "unknown CIFAR-10 split 'colons'"),
       "without the split, the last ':' still starts one: %s", err.message);
}

/* dg_data_wanted and dg_dataset_set_image_shape, the helpers of every loader. */
static void test_dataset_helpers(void)
{
    size_t total, first, count;
    dg_data_wanted(NULL, 10, &total, &first, &count);
    ok(total == 10 && first == 0 && count == 10, "dg_data_wanted: all rows without options");
    const dg_data_options lim = {.limit = 4};
    dg_data_wanted(&lim, 10, &total, &first, &count);
    ok(total == 4 && first == 0 && count == 4, "dg_data_wanted: the first `limit` rows");
    const dg_data_options big = {.limit = 40};
    dg_data_wanted(&big, 10, &total, &first, &count);
    ok(total == 10 && count == 10, "dg_data_wanted: a limit above n keeps all");
    /* Shards of 3 parts in blocks of 2 rows make up the 9 limited rows, in order. */
    size_t next = 0;
    int contiguous = 1;
    for (size_t part = 0; part < 3; part++) {
        const dg_data_options o = {
            .limit = 9, .shard_parts = 3, .shard_index = part, .shard_align = 2};
        dg_data_wanted(&o, 20, &total, &first, &count);
        contiguous &= total == 9 && first == next && (first % 2 == 0 || count == 0);
        next += count;
    }
    ok(contiguous && next == 9, "dg_data_wanted: shards make up the limited rows, in blocks");
    const dg_data_options second = {
        .limit = 9, .shard_parts = 3, .shard_index = 1, .shard_align = 2};
    dg_dataset *rows = NULL;
    dg_error err;
    dg_data_wanted(&second, 20, &total, &first, &count);
    ok(dg_dataset_alloc_wanted(&second, 20, 3, "x", &rows, &err) == DG_OK && rows->n == count &&
           rows->total == 9 && rows->first == first && rows->dim == 3,
       "dg_dataset_alloc_wanted: the rows dg_data_wanted names, with total and first");
    dg_dataset_free(rows);
    rows = NULL;
    ok(dg_dataset_alloc_wanted(NULL, SIZE_MAX / 4, 16, "huge", &rows, &err) == DG_ENOMEM &&
           rows == NULL && strstr(err.message, "huge: cannot allocate "),
       "dg_dataset_alloc_wanted: too many rows is DG_ENOMEM: %s", err.message);

    dg_dataset *d = dg_dataset_alloc(2, 28);
    const size_t flat[2] = {2, 28}, image[3] = {2, 4, 7}, deep[5] = {2, 1, 2, 2, 7};
    dg_dataset_set_image_shape(d, 2, flat);
    ok(d->image_rank == 0, "rows of rank-2 arrays are not images");
    dg_dataset_set_image_shape(d, 3, image);
    ok(d->image_rank == 2 && d->image_shape[0] == 4 && d->image_shape[1] == 7,
       "rows of a rank-3 array are images of its last two axes");
    d->image_rank = 0;
    dg_dataset_set_image_shape(d, 5, deep);
    ok(d->image_rank == 0, "rows of rank above DG_IMAGE_RANK_MAX + 1 are not images");
    dg_dataset_free(d);
}

/*
 * Shards: for every loader, the parts dg_data_shard deals out (blocks of 3
 * rows) concatenate to the whole (limited) dataset, each part saying where
 * it starts, whatever the number of parts.
 */
static void test_shards(void)
{
    static const size_t counts[5] = {3, 2, 3, 1, 2};
    write_cifar_dir(CIFAR_DIR "-shards", counts, 1);
    write_idx(WORKDIR "/shards.idx", 0, 23, 3, 2, 0);
    write_idx(WORKDIR "/shards.idx.gz", 1, 23, 3, 2, 0);
    unsigned char *b = npy_payload(19 * 4, 8, 0);
    write_npy(WORKDIR "/shards.npy", 1,
              "{'descr': '<f8', 'fortran_order': False, 'shape': (19, 4), }", b, 19 * 4 * 8);
    free(b);
    double v[17 * 3];
    for (size_t k = 0; k < 17 * 3; k++)
        v[k] = 2.385 * (double)k - 7.1;
    const hsize_t dims[2] = {17, 3};
    write_h5(WORKDIR "/shards.h5", "/x", H5T_IEEE_F64LE, 2, dims, v, 1);
    static const char *const specs[] = {
        "synthetic:gmm,n=29,d=5,seed=3", "synthetic:blobs,n=1100,d=3,seed=3",
        "synthetic:moons,n=31,seed=3",   "synthetic:swissroll,d=3,n=23",
        "idx:" WORKDIR "/shards.idx",    "idx:" WORKDIR "/shards.idx.gz",
        "npy:" WORKDIR "/shards.npy",    "h5:" WORKDIR "/shards.h5:/x",
        "cifar10:" CIFAR_DIR "-shards",
    };
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        for (size_t limit = 0; limit <= 10; limit += 10) {
            dg_dataset *whole = NULL;
            dg_error err;
            const dg_data_options all = {.limit = limit};
            int good = dg_data_load(specs[s], &all, &whole, &err) == DG_OK &&
                       whole->total == whole->n && whole->first == 0;
            const size_t parts_list[3] = {2, 3, 7};
            for (size_t pi = 0; good && pi < 3; pi++) {
                size_t next = 0;
                for (size_t part = 0; good && part < parts_list[pi]; part++) {
                    const dg_data_options o = {.limit = limit,
                                               .shard_parts = parts_list[pi],
                                               .shard_index = part,
                                               .shard_align = 3};
                    dg_dataset *d = NULL;
                    good = dg_data_load(specs[s], &o, &d, &err) == DG_OK && d->total == whole->n &&
                           d->first == next && d->dim == whole->dim && d->n <= whole->n - next &&
                           memcmp(d->x, whole->x + next * whole->dim,
                                  d->n * d->dim * sizeof *d->x) == 0;
                    if (good)
                        next += d->n;
                    dg_dataset_free(d);
                }
                good = good && next == whole->n;
            }
            ok(good, "%s --limit %zu: shards of 2, 3 and 7 parts make up the whole", specs[s],
               limit);
            dg_dataset_free(whole);
        }
    }
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    mkdir("tests/work", 0777);
    mkdir(WORKDIR, 0777);
    test_idx();
    test_h5();
    test_h5_storage();
    test_h5_isolated();
    test_npy_dtypes();
    test_npy_versions_and_shapes();
    test_npy_refusals();
    test_npy_preambles();
    test_cifar10();
    test_synthetic_and_specs();
    test_toy_rows();
    test_mixture_rows();
    test_shards();
    test_spec_split();
    test_spec_table();
    test_source_load();
    test_cifar10_colons();
    test_dataset_helpers();
    return done_testing();
}
