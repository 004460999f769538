/*
 * dg_data: the synthetic mixture and the spec dispatch; the file-format
 * loaders live in dg_data_formats.c and dg_h5.c, the datasets in
 * dg_dataset.c.
 */
#include "config.h"

#include "dg_data.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dg_data_formats.h"
#include "dg_h5.h"
#include "dg_tensor.h"

int dg_fashion_mnist_path(const char *dir, const char *split, char *path, size_t size)
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
    for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return dg_error_set(err, DG_EINVAL, "synthetic:gmm: '%s' is not key=value", kv);
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
                                "synthetic:gmm: %s must be a non-negative integer, not '%s'", key,
                                val);
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

/* The component means of a synthetic mixture, from rng (see load_synthetic). */
static void synthetic_means(const gmm_params *p, size_t w, gsl_rng *rng, double *means)
{
    for (size_t c = 0; c < p->k; c++) {
        const double a = gsl_rng_uniform_int(rng, 4) + 0.5;
        const double b = gsl_rng_uniform_int(rng, 4);
        const double phi = 2 * M_PI * gsl_rng_uniform(rng);
        for (size_t j = 0; j < p->d; j++) {
            const double r = (double)(j / w), col = (double)(j % w);
            means[c * p->d + j] = 0.8 * cos(2 * M_PI * (a * r + b * col) / (double)w + phi);
        }
    }
}

/* The stream of block b of synthetic:blobs: a seed that differs for every
 * (seed, b) pair a run can use, mixed so that neighbouring blocks' streams
 * do not start alike (splitmix64's finaliser). */
static unsigned long block_seed(unsigned long seed, size_t b)
{
    unsigned long long z = (unsigned long long)seed * 0x9E3779B97F4A7C15ULL + b + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (unsigned long)(z ^ (z >> 31));
}

/*
 * Component means are smooth patterns, 0.8 cos(2π(a r + b c)/w + φ) over an
 * image of w columns (one row when d is not a square), so that trajectories of
 * a square dimension draw as pictures; points add isotropic noise of scale std.
 * synthetic:gmm draws all rows from one stream; synthetic:blobs (indexed)
 * draws block b of DG_SYNTHETIC_BLOCK rows from its own stream, so that
 * only the rows opt asks for are made.
 */
static int load_synthetic(const char *name, const char *params, int indexed,
                          const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    gmm_params p = {2000, 64, 6, 0.15, 0};
    int status = parse_gmm_params(params, &p, err);
    if (status != DG_OK)
        return status;
    size_t w = (size_t)llround(sqrt((double)p.d));
    const int square = w * w == p.d && p.d > 1;
    if (!square)
        w = p.d;
    size_t total, first, count;
    dg_data_wanted(opt, p.n, &total, &first, &count);
    /* synthetic:gmm draws rows in order from one stream (so the first
     * `limit` rows do not depend on n): the rows before the shard too.
     * synthetic:blobs draws the shard's rows alone. */
    const size_t start = indexed ? first : 0, keep = first + count - start;

    dg_dataset *data = dg_dataset_alloc(keep, p.d);
    double *means = dg_doubles_alloc(p.k, p.d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!data || !means || !rng) {
        status = dg_error_set(err, DG_ENOMEM, "synthetic:%s: out of memory (%zu × %zu doubles)",
                              name, keep, p.d);
        goto release;
    }
    gsl_rng_set(rng, p.seed);
    synthetic_means(&p, w, rng, means);
    for (size_t i = start; i < first + count; i++) {
        if (indexed && (i == first || i % DG_SYNTHETIC_BLOCK == 0)) {
            const size_t b = i / DG_SYNTHETIC_BLOCK;
            gsl_rng_set(rng, block_seed(p.seed, b));
            /* Draw the block's rows before i, to keep each row's values. */
            for (size_t s = b * DG_SYNTHETIC_BLOCK; s < i; s++) {
                (void)gsl_rng_uniform_int(rng, p.k);
                for (size_t j = 0; j < p.d; j++)
                    (void)gsl_ran_gaussian_ziggurat(rng, p.std);
            }
        }
        const double *mu = means + gsl_rng_uniform_int(rng, p.k) * p.d;
        double *x = data->x + (i - start) * p.d;
        for (size_t j = 0; j < p.d; j++)
            x[j] = mu[j] + gsl_ran_gaussian_ziggurat(rng, p.std);
    }
    if (start < first) /* keep the shard alone */
        memmove(data->x, data->x + (first - start) * p.d, count * p.d * sizeof *data->x);
    data->n = count;
    data->first = first;
    data->total = total;
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

/*
 * Splits rest at the last occurrence of sep: what comes before is copied to
 * head (it must be non-empty and fit), *tail points one character into the
 * separator, or is NULL when there is none.  "a.h5:/x" at ":/" gives "a.h5"
 * and "/x"; "dir:test" at ":" gives "dir" and "test".
 */
static int split_at_last(const char *rest, const char *sep, char *head, size_t size,
                         const char **tail)
{
    const char *at = NULL;
    for (const char *s = strstr(rest, sep); s; s = strstr(s + 1, sep))
        at = s;
    const size_t len = at ? (size_t)(at - rest) : strlen(rest);
    if (len == 0 || len >= size)
        return DG_EINVAL;
    memcpy(head, rest, len);
    head[len] = '\0';
    *tail = at ? at + 1 : NULL;
    return DG_OK;
}

/* dg_h5_read_rows as a dg_h5_reader, for dg_h5_isolated. */
typedef struct h5_rows {
    const char *path, *name;
    const dg_data_options *opt;
    dg_dataset **out;
} h5_rows;

static int read_h5_rows(void *ctx, dg_error *err)
{
    const h5_rows *r = ctx;
    return dg_h5_read_shard(r->path, r->name, r->opt, r->out, err);
}

int dg_data_load(const char *spec, const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    char path[PATH_MAX];
    *out = NULL;

    if (starts_with(spec, "h5:")) {
        const char *name;
        if (split_at_last(spec + 3, ":/", path, sizeof path, &name) != DG_OK)
            return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected h5:PATH[:/dataset]",
                                spec);
        h5_rows rows = {path, name, opt, out};
        if (opt && opt->isolate_hdf5)
            return dg_h5_isolated(path, read_h5_rows, &rows, err);
        return read_h5_rows(&rows, err);
    }
    if (starts_with(spec, "idx:")) {
        if (spec[4] == '\0')
            return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected idx:PATH", spec);
        return dg_load_idx(spec + 4, opt, out, err);
    }
    if (starts_with(spec, "npy:")) {
        if (spec[4] == '\0')
            return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected npy:PATH", spec);
        return dg_load_npy(spec + 4, opt, out, err);
    }
    if (strcmp(spec, "cifar10") == 0 || starts_with(spec, "cifar10:")) {
        /* A directory whose name holds ':' needs the split spelt out. */
        const char *split;
        if (spec[7] == '\0' || split_at_last(spec + 8, ":", path, sizeof path, &split) != DG_OK)
            return dg_error_set(err, DG_EINVAL,
                                "bad data spec '%s': expected cifar10:DIR[:train|:test]", spec);
        return dg_load_cifar10(path, split ? split : "train", opt, out, err);
    }
    if (strcmp(spec, "fashion-mnist") == 0 || starts_with(spec, "fashion-mnist:")) {
        const char *split = spec[13] ? spec + 14 : "train";
        if (dg_fashion_mnist_path(DG_FASHION_MNIST_DIR, split, path, sizeof path) != DG_OK)
            return dg_error_set(err, DG_EUNKNOWN,
                                "unknown Fashion-MNIST split '%s' (train or test)", split);
        struct stat st;
        if (stat(path, &st) != 0)
            return dg_error_set(
                err, DG_EIO,
                "cannot open %s: %s (install the Debian package dataset-fashion-mnist)", path,
                strerror(errno));
        return dg_load_idx(path, opt, out, err);
    }
    if (strcmp(spec, "synthetic:gmm") == 0)
        return load_synthetic("gmm", "", 0, opt, out, err);
    if (starts_with(spec, "synthetic:gmm,"))
        return load_synthetic("gmm", spec + 14, 0, opt, out, err);
    if (strcmp(spec, "synthetic:blobs") == 0)
        return load_synthetic("blobs", "", 1, opt, out, err);
    if (starts_with(spec, "synthetic:blobs,"))
        return load_synthetic("blobs", spec + 16, 1, opt, out, err);
    if (starts_with(spec, "synthetic:"))
        return dg_error_set(err, DG_EUNKNOWN,
                            "unknown synthetic dataset '%s' (synthetic:gmm, synthetic:blobs)",
                            spec + 10);
    return dg_error_set(err, DG_EUNKNOWN,
                        "unknown data spec '%s' (h5:PATH, idx:PATH, npy:PATH, cifar10:DIR, "
                        "fashion-mnist, synthetic:gmm)",
                        spec);
}
