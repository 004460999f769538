/*
 * dg_data: the spec grammar of data rows as a table, its dispatch, and the
 * synthetic rows; the file formats are dg_data_formats' and dg_h5's, the
 * datasets dg_dataset's.
 */
#include "config.h"

#include "dg_data.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dg_data_formats.h"
#include "dg_h5.h"
#include "dg_tensor.h"
#include "dg_toy.h"

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

/* The longest parameter list, and the largest dimension and row count. */
#define SYNTHETIC_PARAMS_MAX 256
#define SYNTHETIC_DIM_MAX (1u << 24)
#define SYNTHETIC_ROWS_MAX ((size_t)1 << 40)

typedef struct gmm_params {
    size_t n, d, k;
    double std;
    unsigned long seed;
} gmm_params;

/* Parses "key=value" pairs separated by commas into p. */
static int parse_gmm_params(const char *text, gmm_params *p, dg_error *err)
{
    char buf[SYNTHETIC_PARAMS_MAX];
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
    if (p->d > SYNTHETIC_DIM_MAX || !dg_size_fits(p->n, p->d) || p->n > SYNTHETIC_ROWS_MAX)
        return dg_error_set(err, DG_EINVAL, "synthetic:gmm: %zu × %zu is too large", p->n, p->d);
    return DG_OK;
}

/* The radius of the circle the means of a 2-D synthetic mixture lie on. */
#define PLANE_MEANS_RADIUS 0.8

/*
 * In the plane, k means evenly spaced on a circle (a phase drawn from rng),
 * so that k components are k clusters one sees: the image patterns of
 * synthetic_means would put them on a line, on top of each other.
 */
static void plane_means(const gmm_params *p, gsl_rng *rng, double *means)
{
    const double phase = 2 * M_PI * gsl_rng_uniform(rng);
    for (size_t c = 0; c < p->k; c++) {
        const double phi = phase + 2 * M_PI * (double)c / (double)p->k;
        means[2 * c] = PLANE_MEANS_RADIUS * cos(phi);
        means[2 * c + 1] = PLANE_MEANS_RADIUS * sin(phi);
    }
}

/* Room for "synthetic:NAME" in messages. */
#define SYNTHETIC_WHAT_MAX 32

/* The component means of a synthetic mixture, from rng (see load_synthetic). */
static void synthetic_means(const gmm_params *p, size_t w, gsl_rng *rng, double *means)
{
    if (p->d == 2) {
        plane_means(p, rng, means);
        return;
    }
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

/* The rows a synthetic dataset holds: [first, first + count) of total, drawn from start. */
typedef struct synthetic_rows {
    size_t total, first, count, start;
} synthetic_rows;

/*
 * Draws rows [r->start, r->first + r->count) into x (from its first row):
 * a point is a component drawn uniformly, then its mean plus noise.  Indexed
 * (synthetic:blobs), the stream restarts at every block.
 */
static void draw_rows(const gmm_params *p, const double *means, bool indexed,
                      const synthetic_rows *r, gsl_rng *rng, double *x)
{
    for (size_t i = r->start; i < r->first + r->count; i++) {
        if (indexed && (i == r->first || i % DG_SYNTHETIC_BLOCK == 0)) {
            const size_t b = i / DG_SYNTHETIC_BLOCK;
            gsl_rng_set(rng, block_seed(p->seed, b));
            /* Draw the block's rows before i, to keep each row's values. */
            for (size_t s = b * DG_SYNTHETIC_BLOCK; s < i; s++) {
                (void)gsl_rng_uniform_int(rng, p->k);
                for (size_t j = 0; j < p->d; j++)
                    (void)gsl_ran_gaussian_ziggurat(rng, p->std);
            }
        }
        const double *mu = means + gsl_rng_uniform_int(rng, p->k) * p->d;
        double *row = x + (i - r->start) * p->d;
        for (size_t j = 0; j < p->d; j++)
            row[j] = mu[j] + gsl_ran_gaussian_ziggurat(rng, p->std);
    }
}

/*
 * Component means are smooth patterns, 0.8 cos(2π(a r + b c)/w + φ) over an
 * image of w columns (one row when d is not a square), so that trajectories of
 * a square dimension draw as pictures, or in the plane (d = 2) points of a
 * circle of radius 0.8; points add isotropic noise of scale std.
 * synthetic:gmm draws all rows from one stream; synthetic:blobs (indexed)
 * draws block b of DG_SYNTHETIC_BLOCK rows from its own stream, so that
 * only the rows opt asks for are made.
 */
static int load_synthetic(const char *name, const char *params, bool indexed,
                          const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    gmm_params p = {2000, 64, 6, 0.15, 0};
    int status = parse_gmm_params(params, &p, err);
    char what[SYNTHETIC_WHAT_MAX];
    snprintf(what, sizeof what, "synthetic:%s", name);
    if (status == DG_OK)
        status = dg_data_check_dim(opt, p.d, what, err);
    if (status != DG_OK)
        return status;
    size_t w = (size_t)llround(sqrt((double)p.d));
    const bool square = w * w == p.d && p.d > 1;
    if (!square)
        w = p.d;
    synthetic_rows r;
    dg_data_wanted(opt, p.n, &r.total, &r.first, &r.count);
    /* synthetic:gmm draws rows in order from one stream (so the first
     * `limit` rows do not depend on n): the rows before the shard too.
     * synthetic:blobs draws the shard's rows alone. */
    r.start = indexed ? r.first : 0;
    const size_t keep = r.first + r.count - r.start;
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
    draw_rows(&p, means, indexed, &r, rng, data->x);
    if (r.start < r.first) /* keep the shard alone */
        memmove(data->x, data->x + (r.first - r.start) * p.d, r.count * p.d * sizeof *data->x);
    data->n = r.count;
    data->first = r.first;
    data->total = r.total;
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
/* The grammar as a table                                                   */
/* ------------------------------------------------------------------------ */

/* A spec of the form `form` ends here, or goes on with form->next. */
static bool ends_or_next(const dg_spec_form *form, const char *s)
{
    return *s == '\0' || (form->next && *s == form->next);
}

/* The length of the name of `form` that after starts with, or 0 if none. */
static size_t name_length(const dg_spec_form *form, const char *after)
{
    for (size_t i = 0; form->names(i); i++) {
        const size_t len = strlen(form->names(i));
        if (strncmp(after, form->names(i), len) == 0 && ends_or_next(form, after + len))
            return len;
    }
    return 0;
}

bool dg_spec_form_matches(const dg_spec_form *form, const char *spec, const char **rest)
{
    const size_t len = strlen(form->prefix);
    const char *after = spec + len, *tail;
    if (strncmp(spec, form->prefix, len) != 0)
        return false;
    if (form->names) {
        const size_t name = name_length(form, after);
        if (name == 0)
            return false;
        after += name;
    }
    if (!form->names && len > 0 && form->prefix[len - 1] == ':')
        tail = after; /* "h5:" takes whatever follows */
    else if (ends_or_next(form, after))
        tail = *after ? after + 1 : NULL;
    else
        return false;
    if (rest)
        *rest = tail;
    return true;
}

/* Appends to text[*len..size) as snprintf would, counting what does not fit. */
static void append(char *text, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *text, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const size_t at = *len < size ? *len : size;
    const int n = vsnprintf(size > at ? text + at : NULL, size > at ? size - at : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n;
}

/* One entry, short form `entry` (prefix prefix_len bytes of it), in style. */
static void write_entry(const dg_spec_form *form, dg_spec_style style, const char *entry,
                        int entry_len, int prefix_len, char *text, size_t size, size_t *len)
{
    if (style == DG_SPEC_SHORT)
        append(text, size, len, "%s%.*s", *len ? ", " : "", entry_len, entry);
    else if (style == DG_SPEC_PREFIXES)
        append(text, size, len, "%.*s\n", prefix_len, entry);
    else
        append(text, size, len, "%s\n  %s\n", form->syntax, form->summary);
}

void dg_spec_form_write(const dg_spec_form *form, dg_spec_style style, const char *within,
                        char *text, size_t size, size_t *len)
{
    const size_t skip = within ? strlen(within) : 0;
    char entry[DG_SPEC_ENTRY_MAX];
    if (size > 0 && *len == 0)
        text[0] = '\0';
    for (size_t i = 0; form->names ? form->names(i) != NULL : i == 0; i++) {
        /* The short form: prefix and name, or the syntax up to its options. */
        if (form->names)
            snprintf(entry, sizeof entry, "%s%s", form->prefix, form->names(i));
        else
            snprintf(entry, sizeof entry, "%.*s", (int)strcspn(form->syntax, "["), form->syntax);
        const size_t prefix_len = form->names ? strlen(entry) : strlen(form->prefix);
        if (strncmp(entry, within ? within : "", skip) != 0 || prefix_len < skip)
            continue;
        write_entry(form, style, entry + skip, (int)(strlen(entry) - skip),
                    (int)(prefix_len - skip), text, size, len);
        if (style == DG_SPEC_HELP && form->names) {
            /* The syntax and summary once, then the names. */
            append(text, size, len, "  NAME:");
            for (size_t k = 0; form->names(k); k++)
                append(text, size, len, "%s %s", k ? "," : "", form->names(k));
            append(text, size, len, "\n");
            break;
        }
    }
}

int dg_spec_split(const char *text, const char *sep, char *head, size_t size, const char **tail)
{
    const char *at = NULL;
    for (const char *s = strstr(text, sep); s; s = strstr(s + 1, sep))
        at = s;
    const size_t len = at ? (size_t)(at - text) : strlen(text);
    if (len == 0 || len >= size)
        return DG_EINVAL;
    memcpy(head, text, len);
    head[len] = '\0';
    *tail = at ? at + 1 : NULL;
    return DG_OK;
}

/* A loader of rows: rest is what follows the form's prefix (dg_spec_form_matches). */
typedef int (*row_loader)(const dg_spec_form *form, const char *spec, const char *rest,
                          const dg_data_options *opt, dg_dataset **out, dg_error *err);

static int bad_spec(const dg_spec_form *form, const char *spec, dg_error *err)
{
    return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected %s", spec, form->syntax);
}

/* dg_h5_read_shard as a dg_h5_reader, for dg_h5_isolated. */
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

static int load_h5(const dg_spec_form *form, const char *spec, const char *rest,
                   const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    char path[PATH_MAX];
    const char *name;
    if (dg_spec_split(rest, ":/", path, sizeof path, &name) != DG_OK)
        return bad_spec(form, spec, err);
    h5_rows rows = {path, name, opt, out};
    if (opt && opt->isolate_hdf5)
        return dg_h5_isolated(path, read_h5_rows, &rows, err);
    return read_h5_rows(&rows, err);
}

static int load_idx(const dg_spec_form *form, const char *spec, const char *rest,
                    const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    return *rest ? dg_load_idx(rest, opt, out, err) : bad_spec(form, spec, err);
}

static int load_npy(const dg_spec_form *form, const char *spec, const char *rest,
                    const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    return *rest ? dg_load_npy(rest, opt, out, err) : bad_spec(form, spec, err);
}

/* A directory whose name holds ':' needs the split spelt out. */
static int load_cifar10(const dg_spec_form *form, const char *spec, const char *rest,
                        const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    char dir[PATH_MAX];
    const char *split;
    if (!rest || dg_spec_split(rest, ":", dir, sizeof dir, &split) != DG_OK)
        return bad_spec(form, spec, err);
    return dg_load_cifar10(dir, split ? split : "train", opt, out, err);
}

static int load_fashion_mnist(const dg_spec_form *form, const char *spec, const char *rest,
                              const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    (void)form, (void)spec;
    char path[PATH_MAX];
    const char *split = rest ? rest : "train";
    if (dg_fashion_mnist_path(DG_FASHION_MNIST_DIR, split, path, sizeof path) != DG_OK)
        return dg_error_set(err, DG_EUNKNOWN, "unknown Fashion-MNIST split '%s' (train or test)",
                            split);
    struct stat st;
    if (stat(path, &st) != 0)
        return dg_error_set(err, DG_EIO,
                            "cannot open %s: %s (install the Debian package dataset-fashion-mnist)",
                            path, strerror(errno));
    return dg_load_idx(path, opt, out, err);
}

static int load_gmm_rows(const dg_spec_form *form, const char *spec, const char *rest,
                         const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    (void)form, (void)spec;
    return load_synthetic("gmm", rest ? rest : "", false, opt, out, err);
}

static int load_blobs(const dg_spec_form *form, const char *spec, const char *rest,
                      const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    (void)form, (void)spec;
    return load_synthetic("blobs", rest ? rest : "", true, opt, out, err);
}

static int load_toy(const dg_spec_form *form, const char *spec, const char *rest,
                    const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    (void)rest;
    return dg_toy_load(spec + strlen(form->prefix), opt, out, err);
}

/* The prefix of the generated datasets. */
static const char SYNTHETIC[] = "synthetic:";

/* The grammar of data rows, in the order of help texts. */
static const struct row_spec {
    dg_spec_form form;
    row_loader load;
} row_specs[] = {
    {{"h5:", NULL, 0, "h5:PATH[:/dataset]", "an HDF5 array; unnamed, the file's only one"},
     load_h5},
    {{"idx:", NULL, 0, "idx:PATH", "an MNIST IDX file (gzip accepted)"}, load_idx},
    {{"npy:", NULL, 0, "npy:PATH", "a NumPy .npy file of float64, float32 or uint8"}, load_npy},
    {{"cifar10", NULL, ':', "cifar10:DIR[:train|:test]", "CIFAR-10, the binary batches"},
     load_cifar10},
    {{"fashion-mnist", NULL, ':', "fashion-mnist[:train|:test]", "Debian's dataset-fashion-mnist"},
     load_fashion_mnist},
    {{"synthetic:gmm", NULL, ',', "synthetic:gmm[,key=value...]",
      "rows of a Gaussian mixture; keys n, d, k, std, seed"},
     load_gmm_rows},
    {{"synthetic:blobs", NULL, ',', "synthetic:blobs[,key=value...]",
      "the same made block by block: any shard alone"},
     load_blobs},
    {{"synthetic:", dg_toy_name, ',', "synthetic:TOY[,key=value...]",
      "toy sets (see doc/data.md); keys n, seed, noise"},
     load_toy},
};
#define NROW_SPECS (sizeof row_specs / sizeof row_specs[0])

const dg_spec_form *dg_data_spec(size_t i)
{
    return i < NROW_SPECS ? &row_specs[i].form : NULL;
}

const dg_spec_form *dg_data_spec_find(const char *spec)
{
    for (size_t i = 0; i < NROW_SPECS; i++)
        if (dg_spec_form_matches(&row_specs[i].form, spec, NULL))
            return &row_specs[i].form;
    return NULL;
}

/* An unknown spec: DG_EUNKNOWN, with the specs that would be known. */
static int unknown_spec(const char *spec, dg_error *err)
{
    char list[DG_SPEC_LIST_MAX];
    size_t len = 0;
    const bool synthetic = strncmp(spec, SYNTHETIC, strlen(SYNTHETIC)) == 0;
    for (size_t i = 0; i < NROW_SPECS; i++)
        if (!synthetic || strncmp(row_specs[i].form.prefix, SYNTHETIC, strlen(SYNTHETIC)) == 0)
            dg_spec_form_write(&row_specs[i].form, DG_SPEC_SHORT, NULL, list, sizeof list, &len);
    if (synthetic)
        return dg_error_set(err, DG_EUNKNOWN, "unknown synthetic dataset '%s' (%s)",
                            spec + strlen(SYNTHETIC), list);
    return dg_error_set(err, DG_EUNKNOWN, "unknown data spec '%s' (%s)", spec, list);
}

int dg_data_load(const char *spec, const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < NROW_SPECS; i++) {
        const char *rest;
        if (dg_spec_form_matches(&row_specs[i].form, spec, &rest))
            return row_specs[i].load(&row_specs[i].form, spec, rest, opt, out, err);
    }
    return unknown_spec(spec, err);
}
