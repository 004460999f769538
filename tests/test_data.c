/*
 * Tests of dg_data: IDX (plain and gzip), HDF5 (integer scaling, ranks,
 * NaN), synthetic mixtures and spec errors.  Fixtures are written here, in
 * the build directory, with zlib and HDF5 directly.
 */
#include "config.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    const unsigned char head[16] = {0, 0, 8, 3,
                                    (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                    (unsigned char)(n >> 8), (unsigned char)n,
                                    0, 0, 0, (unsigned char)rows, 0, 0, 0, (unsigned char)cols};
    memcpy(b, head, 16);
    for (size_t i = 0; i < n; i++)
        for (size_t p = 0; p < rows * cols; p++)
            b[16 + i * rows * cols + p] = (unsigned char)((7 * i + 3 * (p / cols) + p % cols) % 256);
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
static void write_h5(const char *path, const char *name, hid_t type, int rank,
                     const hsize_t *dims, const double *values, int truncate)
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
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        dg_dataset *d = NULL;
        status = dg_data_load(bad[k][0], NULL, &d, &err);
        ok(status != DG_OK && d == NULL && strstr(err.message, bad[k][1]) != NULL,
           "'%s' is refused: %s", bad[k][0], err.message);
    }
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    mkdir("tests/work", 0777);
    mkdir(WORKDIR, 0777);
    test_idx();
    test_h5();
    test_synthetic_and_specs();
    return done_testing();
}
