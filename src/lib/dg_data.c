/* dg_data: dataset loaders (IDX, HDF5, Fashion-MNIST, synthetic mixtures). */
#include "config.h"

#include "dg_data.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dg_h5.h"
#include "dg_tensor.h"

/* ------------------------------------------------------------------------ */
/* Datasets                                                                 */
/* ------------------------------------------------------------------------ */

dg_dataset *dg_dataset_alloc(size_t n, size_t dim)
{
    dg_dataset *data = calloc(1, sizeof *data);
    if (!data)
        return NULL;
    data->x = dg_doubles_alloc(n, dim);
    if (!data->x) {
        free(data);
        return NULL;
    }
    data->n = n;
    data->dim = dim;
    return data;
}

void dg_dataset_free(dg_dataset *data)
{
    if (!data)
        return;
    dg_doubles_free(data->x);
    free(data);
}

int dg_fashion_mnist_path(const char *dir, const char *split, char *path,
                          size_t size)
{
    const char *stem;
    if (strcmp(split, "train") == 0)
        stem = "train";
    else if (strcmp(split, "test") == 0)
        stem = "t10k";
    else
        return DG_EUNKNOWN;
    int len = snprintf(path, size, "%s/%s-images-idx3-ubyte.gz", dir, stem);
    return len < 0 || (size_t)len >= size ? DG_EINVAL : DG_OK;
}

/* ------------------------------------------------------------------------ */
/* IDX (MNIST format)                                                       */
/* ------------------------------------------------------------------------ */

/* The IDX header: two zero bytes, an element type, the rank, then big-endian
 * uint32 extents.  Rank ≥ 2 (rows of vectors or images) is required. */
#define IDX_RANK_MAX 4
enum { IDX_UBYTE = 0x08, IDX_FLOAT = 0x0D, IDX_DOUBLE = 0x0E };

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

/*
 * The uncompressed size of a file as far as it can be known without reading
 * it: the byte count of a plain file, or the gzip ISIZE trailer (size mod
 * 2^32) of a gzip file.  Returns 0 if unknown.
 */
static int idx_stored_size(const char *path, uint64_t *size, int *modulo32)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char magic[2] = {0, 0};
    struct stat st;
    int known = 0;
    if (fstat(fileno(f), &st) == 0 && fread(magic, 1, 2, f) == 2) {
        if (magic[0] == 0x1f && magic[1] == 0x8b) {
            unsigned char t[4];
            if (st.st_size >= 18 && fseek(f, -4, SEEK_END) == 0 &&
                fread(t, 1, 4, f) == 4) {
                *size = (uint64_t)t[0] | (uint64_t)t[1] << 8 |
                        (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
                *modulo32 = 1;
                known = 1;
            }
        } else {
            *size = (uint64_t)st.st_size;
            *modulo32 = 0;
            known = 1;
        }
    }
    fclose(f);
    return known;
}

static double idx_decode(int type, const unsigned char *p)
{
    switch (type) {
    case IDX_UBYTE:
        return p[0] / 127.5 - 1.0;
    case IDX_FLOAT: {
        uint32_t u = be32(p);
        float v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    default: {
        uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
        double v;
        memcpy(&v, &u, sizeof v);
        return v;
    }
    }
}

/* Decompresses the whole file to count its bytes (multi-member gzip files). */
static uint64_t gzip_length(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    unsigned char buf[1 << 16];
    uint64_t total = 0;
    int got;
    if (!gz)
        return 0;
    while ((got = gzread(gz, buf, sizeof buf)) > 0)
        total += (uint64_t)got;
    gzclose(gz);
    return total;
}

static int load_idx(const char *path, size_t limit, dg_dataset **out,
                    dg_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return dg_error_set(err, DG_EIO, "cannot open %s: Is a directory", path);
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path,
                            strerror(errno ? errno : ENOENT));
    int status = DG_OK;
    dg_dataset *data = NULL;
    unsigned char *row = NULL;
    unsigned char head[4];
    unsigned char ext[4 * IDX_RANK_MAX];

    if (gzread(gz, head, 4) != 4 || head[0] != 0 || head[1] != 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: not an IDX file (bad magic)", path);
        goto close_file;
    }
    const int type = head[2];
    const size_t rank = head[3];
    const size_t elem = type == IDX_UBYTE ? 1 : type == IDX_FLOAT ? 4
                      : type == IDX_DOUBLE ? 8 : 0;
    if (elem == 0) {
        status = dg_error_set(err, DG_EFORMAT,
                              "%s: unsupported IDX element type 0x%02X", path, type);
        goto close_file;
    }
    if (rank < 2 || rank > IDX_RANK_MAX) {
        status = dg_error_set(err, DG_EFORMAT,
                              "%s: IDX rank %zu, expected rows of vectors or images (rank 2 to %d)",
                              path, rank, IDX_RANK_MAX);
        goto close_file;
    }
    if (gzread(gz, ext, (unsigned)(4 * rank)) != (int)(4 * rank)) {
        status = dg_error_set(err, DG_EFORMAT, "%s: truncated IDX header", path);
        goto close_file;
    }
    size_t n = be32(ext), dim = 1;
    for (size_t k = 1; k < rank; k++) {
        size_t e = be32(ext + 4 * k);
        if (e == 0 || dim > SIZE_MAX / e) {
            status = dg_error_set(err, DG_EFORMAT, "%s: IDX extent %zu of axis %zu is invalid",
                                  path, e, k);
            goto close_file;
        }
        dim *= e;
    }
    if (n == 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: IDX file holds no rows", path);
        goto close_file;
    }
    /* Refuse a header that claims more bytes than the file holds, before allocating. */
    uint64_t stored = 0;
    int modulo32 = 0;
    const uint64_t want = 4 + 4 * (uint64_t)rank + (uint64_t)n * dim * elem;
    if (dim > UINT64_MAX / elem / n) {
        status = dg_error_set(err, DG_EFORMAT, "%s: IDX header claims an impossible size", path);
        goto close_file;
    }
    /* The gzip trailer holds the length of the last member only: when it
     * disagrees, count the bytes of a multi-member file the slow way. */
    const int known = idx_stored_size(path, &stored, &modulo32);
    if (known && modulo32 && (want & 0xffffffffu) != stored) {
        stored = gzip_length(path);
        modulo32 = 0;
    }
    if (known && !modulo32 && want > stored) {
        status = dg_error_set(err, DG_EFORMAT,
                              "%s: truncated IDX file (header claims %zu rows of %zu values)",
                              path, n, dim);
        goto close_file;
    }
    const size_t keep = limit && limit < n ? limit : n;
    data = dg_dataset_alloc(keep, dim);
    row = malloc(dim * elem);
    if (!data || !row) {
        status = dg_error_set(err, DG_ENOMEM, "%s: cannot allocate %zu × %zu doubles",
                              path, keep, dim);
        goto close_file;
    }
    for (size_t i = 0; i < keep; i++) {
        if (gzread(gz, row, (unsigned)(dim * elem)) != (int)(dim * elem)) {
            status = dg_error_set(err, DG_EFORMAT, "%s: truncated IDX file at row %zu", path, i);
            goto close_file;
        }
        double *x = data->x + i * dim;
        for (size_t j = 0; j < dim; j++)
            x[j] = idx_decode(type, row + j * elem);
    }
    if (rank - 1 <= DG_IMAGE_RANK_MAX && rank >= 3) {
        data->image_rank = rank - 1;
        for (size_t k = 1; k < rank; k++)
            data->image_shape[k - 1] = be32(ext + 4 * k);
    }
    status = dg_check_finite(data->x, keep, dim, path, err);

close_file:
    gzclose(gz);
    free(row);
    if (status != DG_OK)
        dg_dataset_free(data);
    else
        *out = data;
    return status;
}

/* ------------------------------------------------------------------------ */
/* Synthetic mixture                                                        */
/* ------------------------------------------------------------------------ */

typedef struct gmm_params {
    size_t n, d, k;
    double std;
    unsigned long seed;
} gmm_params;

/* Parses "key=value" pairs separated by commas into p. */
static int parse_gmm_params(const char *text, gmm_params *p, dg_error *err)
{
    char buf[256];
    if (strlen(text) >= sizeof buf)
        return dg_error_set(err, DG_EINVAL, "synthetic:gmm: parameter list too long");
    strcpy(buf, text);
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return dg_error_set(err, DG_EINVAL,
                                "synthetic:gmm: '%s' is not key=value", kv);
        *eq = '\0';
        const char *key = kv, *val = eq + 1;
        char *end;
        errno = 0;
        if (strcmp(key, "std") == 0) {
            p->std = strtod(val, &end);
            if (*end || errno || !(p->std > 0) || !isfinite(p->std))
                return dg_error_set(err, DG_EINVAL,
                                    "synthetic:gmm: std must be a positive number, not '%s'", val);
            continue;
        }
        unsigned long long v = strtoull(val, &end, 10);
        if (*end || errno || *val == '-' || *val == '\0')
            return dg_error_set(err, DG_EINVAL,
                                "synthetic:gmm: %s must be a non-negative integer, not '%s'", key, val);
        if (strcmp(key, "n") == 0)
            p->n = v;
        else if (strcmp(key, "d") == 0)
            p->d = v;
        else if (strcmp(key, "k") == 0)
            p->k = v;
        else if (strcmp(key, "seed") == 0)
            p->seed = v;
        else
            return dg_error_set(err, DG_EINVAL,
                                "synthetic:gmm: unknown parameter '%s' (n, d, k, std, seed)", key);
    }
    if (p->n == 0 || p->d == 0 || p->k == 0)
        return dg_error_set(err, DG_EINVAL, "synthetic:gmm: n, d and k must be positive");
    if (p->d > (1u << 24) || !dg_size_fits(p->n, p->d) || p->n > ((size_t)1 << 40))
        return dg_error_set(err, DG_EINVAL, "synthetic:gmm: %zu × %zu is too large", p->n, p->d);
    return DG_OK;
}

/*
 * Component means are smooth patterns, 0.8 cos(2π(a r + b c)/w + φ) over an
 * image of w columns (one row when d is not a square), so that trajectories of
 * a square dimension draw as pictures; points add isotropic noise of scale std.
 */
static int load_synthetic_gmm(const char *params, size_t limit,
                              dg_dataset **out, dg_error *err)
{
    gmm_params p = {2000, 64, 6, 0.15, 0};
    int status = parse_gmm_params(params, &p, err);
    if (status != DG_OK)
        return status;
    size_t w = (size_t)llround(sqrt((double)p.d));
    const int square = w * w == p.d && p.d > 1;
    if (!square)
        w = p.d;
    const size_t keep = limit && limit < p.n ? limit : p.n;

    dg_dataset *data = dg_dataset_alloc(keep, p.d);
    double *means = dg_doubles_alloc(p.k, p.d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!data || !means || !rng) {
        status = dg_error_set(err, DG_ENOMEM, "synthetic:gmm: out of memory");
        goto release;
    }
    gsl_rng_set(rng, p.seed);
    for (size_t c = 0; c < p.k; c++) {
        const double a = gsl_rng_uniform_int(rng, 4) + 0.5;
        const double b = gsl_rng_uniform_int(rng, 4);
        const double phi = 2 * M_PI * gsl_rng_uniform(rng);
        for (size_t j = 0; j < p.d; j++) {
            const double r = (double)(j / w), col = (double)(j % w);
            means[c * p.d + j] = 0.8 * cos(2 * M_PI * (a * r + b * col) / (double)w + phi);
        }
    }
    /* Rows are drawn in order, so the first `limit` rows do not depend on n. */
    for (size_t i = 0; i < keep; i++) {
        const double *mu = means + gsl_rng_uniform_int(rng, p.k) * p.d;
        double *x = data->x + i * p.d;
        for (size_t j = 0; j < p.d; j++)
            x[j] = mu[j] + gsl_ran_gaussian_ziggurat(rng, p.std);
    }
    if (square) {
        data->image_rank = 2;
        data->image_shape[0] = data->image_shape[1] = w;
    }
release:
    gsl_rng_free(rng);
    dg_doubles_free(means);
    if (status != DG_OK)
        dg_dataset_free(data);
    else
        *out = data;
    return status;
}

/* ------------------------------------------------------------------------ */
/* Spec dispatch                                                            */
/* ------------------------------------------------------------------------ */

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Splits "PATH[:/dataset]" at the last ":/" into path and dataset name. */
static int split_h5_spec(const char *rest, char *path, size_t size,
                         const char **name)
{
    const char *colon = NULL;
    for (const char *s = strstr(rest, ":/"); s; s = strstr(s + 1, ":/"))
        colon = s;
    size_t len = colon ? (size_t)(colon - rest) : strlen(rest);
    if (len == 0 || len >= size)
        return DG_EINVAL;
    memcpy(path, rest, len);
    path[len] = '\0';
    *name = colon ? colon + 1 : NULL;
    return DG_OK;
}

int dg_data_load(const char *spec, const dg_data_options *opt,
                 dg_dataset **out, dg_error *err)
{
    const size_t limit = opt ? opt->limit : 0;
    char path[4096];
    *out = NULL;

    if (starts_with(spec, "h5:")) {
        const char *name;
        if (split_h5_spec(spec + 3, path, sizeof path, &name) != DG_OK)
            return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected h5:PATH[:/dataset]", spec);
        return dg_h5_read_rows(path, name, limit, out, err);
    }
    if (starts_with(spec, "idx:")) {
        if (spec[4] == '\0')
            return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected idx:PATH", spec);
        return load_idx(spec + 4, limit, out, err);
    }
    if (strcmp(spec, "fashion-mnist") == 0 || starts_with(spec, "fashion-mnist:")) {
        const char *split = spec[13] ? spec + 14 : "train";
        if (dg_fashion_mnist_path(DG_FASHION_MNIST_DIR, split, path, sizeof path) != DG_OK)
            return dg_error_set(err, DG_EUNKNOWN,
                                "unknown Fashion-MNIST split '%s' (train or test)", split);
        struct stat st;
        if (stat(path, &st) != 0)
            return dg_error_set(err, DG_EIO,
                                "cannot open %s: %s (install the Debian package dataset-fashion-mnist)",
                                path, strerror(errno));
        return load_idx(path, limit, out, err);
    }
    if (strcmp(spec, "synthetic:gmm") == 0)
        return load_synthetic_gmm("", limit, out, err);
    if (starts_with(spec, "synthetic:gmm,"))
        return load_synthetic_gmm(spec + 14, limit, out, err);
    if (starts_with(spec, "synthetic:"))
        return dg_error_set(err, DG_EUNKNOWN, "unknown synthetic dataset '%s' (synthetic:gmm)",
                            spec + 10);
    return dg_error_set(err, DG_EUNKNOWN,
                        "unknown data spec '%s' (h5:PATH, idx:PATH, fashion-mnist, synthetic:gmm)",
                        spec);
}
