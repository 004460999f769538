/* dg_source: the --data grammar, rows (dg_data) and mixtures (dg_gmm), as one table. */
#include "config.h"

#include "dg_source.h"

#include <errno.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dg_h5.h"

/* A loader of mixtures: rest is what follows the form's prefix (dg_spec_form_matches). */
typedef int (*mixture_loader)(const dg_spec_form *form, const char *spec, const char *rest,
                              const dg_data_options *opt, dg_gmm **out, dg_error *err);

/* dg_gmm_load_group as a dg_h5_reader, for dg_h5_isolated. */
typedef struct gmm_file {
    const char *path, *group;
    dg_gmm **out;
} gmm_file;

static int read_gmm_file(void *ctx, dg_error *err)
{
    const gmm_file *f = ctx;
    return dg_gmm_load_group(f->path, f->group, f->out, err);
}

static int load_gmm_file(const dg_spec_form *form, const char *spec, const char *rest,
                         const dg_data_options *opt, dg_gmm **out, dg_error *err)
{
    char path[PATH_MAX];
    const char *group;
    if (dg_spec_split(rest, ":/", path, sizeof path, &group) != DG_OK)
        return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected %s", spec, form->syntax);
    gmm_file file = {path, group ? group : "", out};
    if (opt && opt->isolate_hdf5)
        return dg_h5_isolated(path, read_gmm_file, &file, err);
    return read_gmm_file(&file, err);
}

static int load_builtin(const dg_spec_form *form, const char *spec, const char *rest,
                        const dg_data_options *opt, dg_gmm **out, dg_error *err)
{
    (void)rest, (void)opt;
    return dg_gmm_synthetic(spec + strlen(form->prefix), out, err);
}

/* ------------------------------------------------------------------------ */
/* Rows drawn from a built-in mixture: synthetic:NAME,...,n=N                */
/* ------------------------------------------------------------------------ */

/* The key that asks for rows, and the most rows it may ask for. */
static const char ROWS_KEY[] = ",n=";
#define MIXTURE_ROWS_MAX 1000000000ULL
/* The rows' stream is seeded apart from the mixture's (gauss2d draws its
 * components from seed): the same seed must not give the same uniforms. */
#define MIXTURE_ROWS_SALT 0xD7A3C0DEUL
/* The longest spec of rows drawn from a mixture, NUL included. */
#define MIXTURE_SPEC_SIZE 256

/* The built-in mixtures' form (the last of mixture_specs). */
static const dg_spec_form *builtin_form(void);

/* Whether spec is a built-in mixture with n=: rows drawn from it. */
static bool drawn_from_mixture(const char *spec)
{
    return dg_spec_form_matches(builtin_form(), spec, NULL) && strstr(spec, ROWS_KEY) != NULL;
}

/* The value after ",key=" in spec, as an unsigned integer (fallback: none). */
static unsigned long long key_value(const char *spec, const char *key, unsigned long long fallback)
{
    const char *at = strstr(spec, key);
    return at ? strtoull(at + strlen(key), NULL, 10) : fallback;
}

/*
 * mixture ← spec without its n= item; *n ← N.  The keys of the mixture are
 * checked when it is built; n here.
 */
static int split_rows_key(const char *spec, char *mixture, size_t size, size_t *n, dg_error *err)
{
    if (strlen(spec) >= size)
        return dg_error_set(err, DG_EINVAL, "synthetic spec too long");
    const char *at = strstr(spec, ROWS_KEY), *value = at + strlen(ROWS_KEY);
    const size_t len = strcspn(value, ",");
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(value, &end, 10);
    if (len == 0 || end != value + len || errno || *value == '-' || v == 0 ||
        v > MIXTURE_ROWS_MAX || strstr(value, ROWS_KEY))
        return dg_error_set(err, DG_EINVAL, "%s: n must be a row count from 1 to 10^9, given once",
                            spec);
    *n = (size_t)v;
    snprintf(mixture, size, "%.*s%s", (int)(at - spec), spec, value + len);
    return DG_OK;
}

/*
 * N rows drawn from the mixture (dg_gmm_sample, in order from an mt19937
 * stream seeded from the spec's seed), of which *rows keeps those opt asks
 * for, like every loader.
 */
static int load_mixture_rows(const char *spec, const dg_data_options *opt, dg_dataset **rows,
                             dg_error *err)
{
    char mixture[MIXTURE_SPEC_SIZE];
    size_t n = 0;
    int status = split_rows_key(spec, mixture, sizeof mixture, &n, err);
    dg_gmm *g = NULL;
    if (status == DG_OK)
        status = dg_gmm_synthetic(mixture + strlen(builtin_form()->prefix), &g, err);
    if (status != DG_OK)
        return status;
    size_t total, first, count;
    dg_data_wanted(opt, n, &total, &first, &count);
    const size_t dim = dg_gmm_dim(g);
    status = dg_data_check_dim(opt, dim, spec, err);
    if (status != DG_OK) {
        dg_gmm_free(g);
        return status;
    }
    dg_dataset *data = dg_dataset_alloc(first + count, dim);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!data || !rng) {
        status = dg_error_set(err, DG_ENOMEM, "%s: cannot allocate %zu × %zu doubles", spec,
                              first + count, dim);
        goto release;
    }
    gsl_rng_set(rng, (unsigned long)key_value(spec, ",seed=", 0) ^ MIXTURE_ROWS_SALT);
    status = dg_gmm_sample(g, rng, first + count, data->x, err);
    if (status != DG_OK)
        goto release;
    memmove(data->x, data->x + first * dim, count * dim * sizeof *data->x);
    data->n = count;
    data->first = first;
    data->total = total;
    *rows = data;
    data = NULL;
release:
    gsl_rng_free(rng);
    dg_dataset_free(data);
    dg_gmm_free(g);
    return status;
}

/* The distributions, after the rows of dg_data_spec. */
static const struct mixture_spec {
    dg_spec_form form;
    mixture_loader load;
} mixture_specs[] = {
    {{"gmm:", NULL, 0, "gmm:FILE[:/group]", "a Gaussian mixture file: /weights, /means, /covs"},
     load_gmm_file},
    {{"synthetic:", dg_gmm_synthetic_name, ',', "synthetic:NAME[,key=value...]",
      "a built-in mixture; with n=N, N rows drawn from it"},
     load_builtin},
};
#define NMIXTURE_SPECS (sizeof mixture_specs / sizeof mixture_specs[0])

static const dg_spec_form *builtin_form(void)
{
    return &mixture_specs[NMIXTURE_SPECS - 1].form;
}

/* The number of row forms. */
static size_t row_forms(void)
{
    size_t n = 0;
    while (dg_data_spec(n))
        n++;
    return n;
}

const dg_spec_form *dg_source_at(size_t i, dg_source_kind *kind)
{
    const dg_spec_form *form = dg_data_spec(i);
    dg_source_kind k = DG_SOURCE_ROWS;
    if (!form) {
        const size_t m = i - row_forms();
        if (m >= NMIXTURE_SPECS)
            return NULL;
        form = &mixture_specs[m].form;
        k = DG_SOURCE_MIXTURE;
    }
    if (kind)
        *kind = k;
    return form;
}

const dg_spec_form *dg_source_find(const char *spec, dg_source_kind *kind)
{
    dg_source_kind k;
    for (size_t i = 0; dg_source_at(i, &k); i++)
        if (dg_spec_form_matches(dg_source_at(i, NULL), spec, NULL)) {
            if (kind)
                *kind = drawn_from_mixture(spec) ? DG_SOURCE_ROWS : k;
            return dg_source_at(i, NULL);
        }
    return NULL;
}

size_t dg_source_list(unsigned kinds, dg_spec_style style, const char *within, char *text,
                      size_t size)
{
    size_t len = 0;
    dg_source_kind k;
    if (size > 0)
        text[0] = '\0';
    for (size_t i = 0; dg_source_at(i, &k); i++)
        if (kinds & k)
            dg_spec_form_write(dg_source_at(i, NULL), style, within, text, size, &len);
    return len;
}

/* DG_EUNKNOWN for a spec of no form, with the forms it could have had. */
static int unknown_spec(const char *spec, dg_error *err)
{
    static const char synthetic[] = "synthetic:";
    char list[DG_SPEC_LIST_MAX];
    const unsigned all = DG_SOURCE_ROWS | DG_SOURCE_MIXTURE;
    if (strncmp(spec, synthetic, strlen(synthetic)) == 0) {
        dg_source_list(all, DG_SPEC_SHORT, synthetic, list, sizeof list);
        return dg_error_set(err, DG_EUNKNOWN, "unknown synthetic distribution '%s' (%s)",
                            spec + strlen(synthetic), list);
    }
    dg_source_list(all, DG_SPEC_SHORT, NULL, list, sizeof list);
    return dg_error_set(err, DG_EUNKNOWN, "unknown data spec '%s' (%s)", spec, list);
}

int dg_source_load(const char *spec, const dg_data_options *opt, dg_dataset **rows,
                   dg_gmm **mixture, dg_error *err)
{
    *rows = NULL;
    *mixture = NULL;
    if (dg_data_spec_find(spec))
        return dg_data_load(spec, opt, rows, err);
    if (drawn_from_mixture(spec))
        return load_mixture_rows(spec, opt, rows, err);
    for (size_t i = 0; i < NMIXTURE_SPECS; i++) {
        const dg_spec_form *form = &mixture_specs[i].form;
        const char *rest;
        if (dg_spec_form_matches(form, spec, &rest))
            return mixture_specs[i].load(form, spec, rest, opt, mixture, err);
    }
    return unknown_spec(spec, err);
}
