/* The data and denoiser a command works with, and start points. */
#include "config.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Samples and EM initialisation use their own streams, derived from --seed,
 * so that they are not the same normals as the start points. */
#define SAMPLES_SEED_SALT 0x5A17ED5EEDUL
#define FIT_SEED_SALT 0xF17C0DEUL

/* Draws n points of g into a new dataset. */
static int sample_mixture(const dg_gmm *g, size_t n, unsigned long seed, dg_dataset **out,
                          dg_error *err)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    *out = dg_dataset_alloc(n, dg_gmm_dim(g));
    if (!rng || !*out) {
        gsl_rng_free(rng);
        dg_dataset_free(*out);
        *out = NULL;
        return dg_error_set(err, DG_ENOMEM, "cannot allocate %zu samples", n);
    }
    gsl_rng_set(rng, seed ^ SAMPLES_SEED_SALT);
    int status = dg_gmm_sample(g, rng, n, (*out)->x, err);
    gsl_rng_free(rng);
    if (status != DG_OK) {
        dg_dataset_free(*out);
        *out = NULL;
    }
    return status;
}

/* EM's iteration callback: a signal stops the fit (DG_ECANCELLED). */
static int stop_when_interrupted(void *ctx, size_t iteration, double loglik)
{
    (void)ctx, (void)iteration, (void)loglik;
    return cli_interrupted != 0;
}

/* The empirical denoiser of the rows: spanning the processes of an MPI job
 * (each holds its shard), adopting the rows, or on a copy of them. */
static int empirical_denoiser(const cli_model_options *o, cli_model *m, dg_error *err)
{
    dg_dataset *d = m->data;
    int status;
    if (cli_mpi_size() > 1)
        status =
            dg_denoiser_empirical_shard(d->x, d->n, d->dim, d->total, cli_mpi_comm(), &m->den, err);
    else if (o->adopt_rows && !m->keep_rows)
        /* The denoiser takes the rows over: no second copy of the data. */
        status = dg_denoiser_empirical_adopt(d->x, d->n, d->dim, &m->den, err);
    else
        return dg_denoiser_empirical_alloc(d->x, d->n, d->dim, &m->den, err);
    if (status == DG_OK)
        d->x = NULL;
    return status;
}

size_t cli_model_fit_components(const char *kind)
{
    if (strcmp(kind, "gaussian") == 0)
        return 1;
    if (strncmp(kind, "gmm-fit:", 8) != 0)
        return 0;
    const char *digits = kind + 8;
    if (!*digits || strspn(digits, "0123456789") != strlen(digits))
        return 0;
    errno = 0;
    const unsigned long long K = strtoull(digits, NULL, 10);
    return errno == 0 && K <= SIZE_MAX ? (size_t)K : 0;
}

/* gmm-fit:K, a K-component mixture fitted by EM, and its denoiser; an exit code. */
static int fitted_denoiser(const cli_model_options *o, const char *kind, cli_model *m)
{
    const size_t K = cli_model_fit_components(kind);
    if (K == 0) {
        cli_error("--denoiser %s: K must be a positive integer", kind);
        return EXIT_USAGE;
    }
    dg_error err;
    const dg_gmm_fit_options fit = {.on_iteration = stop_when_interrupted};
    int status = dg_gmm_fit_em(m->data->x, m->data->n, m->data->dim, K, o->seed ^ FIT_SEED_SALT,
                               &fit, &m->fit, &err);
    if (status == DG_OK)
        status = dg_denoiser_gmm_alloc(m->fit, &m->den, &err);
    return status == DG_OK ? EXIT_OK : cli_fail(&err);
}

/* A denoiser of data rows (all but gmm); sets m->fit for fitted kinds; an exit code. */
static int rows_denoiser(const cli_model_options *o, const char *kind, cli_model *m)
{
    dg_error err;
    int status;
    if (cli_mpi_size() > 1 && strcmp(kind, "empirical") != 0) {
        /* Each process holds its shard; only the empirical denoiser spans them all. */
        cli_error("--denoiser %s needs all the data in one process: only empirical "
                  "(or gmm, of a mixture) runs on several",
                  kind);
        return EXIT_USAGE;
    }
    if (strcmp(kind, "empirical") == 0) {
        status = empirical_denoiser(o, m, &err);
    } else if (strcmp(kind, "gaussian") == 0) {
        status = dg_gmm_fit_gaussian(m->data->x, m->data->n, m->data->dim, &m->fit, &err);
        if (status == DG_OK)
            status = dg_denoiser_gmm_alloc(m->fit, &m->den, &err);
    } else if (strncmp(kind, "gmm-fit:", 8) == 0) {
        return fitted_denoiser(o, kind, m);
    } else {
        cli_error("unknown denoiser '%s' (empirical, gmm, gaussian, gmm-fit:K)", kind);
        return EXIT_USAGE;
    }
    return status == DG_OK ? EXIT_OK : cli_fail(&err);
}

/* Builds the denoiser kind on what was loaded; sets m->fit for fitted kinds. */
static int build_denoiser(const cli_model_options *o, cli_model *m)
{
    const char *kind = o->denoiser ? o->denoiser : m->data ? "empirical" : "gmm";
    m->denoiser = kind;
    if (strcmp(kind, "gmm") == 0) {
        if (!m->population) {
            cli_error("--denoiser gmm needs a mixture (--data gmm:FILE or synthetic:NAME "
                      "without --samples); for data use gaussian or gmm-fit:K");
            return EXIT_USAGE;
        }
        dg_error err;
        return dg_denoiser_gmm_alloc(m->population, &m->den, &err) == DG_OK ? EXIT_OK
                                                                            : cli_fail(&err);
    }
    if (!m->data) {
        cli_error("--denoiser %s needs data rows: give --samples N to draw them from %s", kind,
                  o->spec);
        return EXIT_USAGE;
    }
    return rows_denoiser(o, kind, m);
}

/* Cuts data, all the rows, down to this process's shard. */
static int keep_shard(dg_dataset *data, dg_error *err)
{
    size_t first, count;
    dg_data_shard(data->n, DG_EMPIRICAL_SHARD_ROWS, (size_t)cli_mpi_size(), (size_t)cli_mpi_rank(),
                  &first, &count);
    double *x = dg_doubles_alloc(count, data->dim);
    if (!x)
        return dg_error_set(err, DG_ENOMEM, "cannot allocate %zu × %zu doubles", count, data->dim);
    memcpy(x, data->x + first * data->dim, count * data->dim * sizeof *x);
    dg_doubles_free(data->x);
    data->x = x;
    data->total = data->n;
    data->first = first;
    data->n = count;
    return DG_OK;
}

dg_data_options cli_shard_options(size_t limit)
{
    /* Whole groups of the empirical denoiser's chunks, dealt out in order. */
    return (dg_data_options){.limit = limit,
                             .isolate_hdf5 = true,
                             .shard_parts = (size_t)cli_mpi_size(),
                             .shard_index = (size_t)cli_mpi_rank(),
                             .shard_align = DG_EMPIRICAL_SHARD_ROWS};
}

/*
 * Loads what o->spec names into m: rows (this process's shard), or a
 * mixture and, with --samples, rows drawn from it; *mixture says which.
 */
static int load_spec(const cli_model_options *o, cli_model *m, bool *mixture, dg_error *err)
{
    dg_source_kind kind = DG_SOURCE_ROWS;
    dg_source_find(o->spec, &kind);
    *mixture = kind == DG_SOURCE_MIXTURE;
    if (o->samples > 0 && !*mixture) {
        char list[DG_SPEC_LIST_MAX];
        dg_source_list(DG_SOURCE_MIXTURE, DG_SPEC_SHORT, NULL, list, sizeof list);
        return dg_error_set(err, DG_EINVAL, "--samples applies to mixtures (%s), not to '%s'", list,
                            o->spec);
    }
    /* Mixture files are untrusted input like the data: read isolated. */
    dg_data_options dopt =
        *mixture ? (dg_data_options){.isolate_hdf5 = true} : cli_shard_options(o->limit);
    dopt.want_dim = *mixture ? 0 : o->want_dim;
    int status = dg_source_load(o->spec, &dopt, &m->data, &m->population, err);
    if (status == DG_OK && *mixture && o->samples > 0) {
        status = sample_mixture(m->population, o->samples, o->seed, &m->data, err);
        m->rows_drawn = true;
    }
    if (status == DG_OK && *mixture && m->data && cli_mpi_size() > 1) {
        /* Rows drawn from a mixture (--samples): every process drew them
         * all; it keeps its shard. */
        status = keep_shard(m->data, err);
    }
    return status;
}

/* EXIT_OK if every value of the rows held here lies in [−bound, bound]. */
static int check_bound(const cli_model *m, const char *spec, double bound, const char *option)
{
    if (!m->data) {
        cli_error("%s needs data rows in [%g, %g]: %s is a distribution", option, -bound, bound,
                  spec);
        return EXIT_FAILED;
    }
    const dg_dataset *d = m->data;
    for (size_t k = 0; k < d->n * d->dim; k++)
        if (!(fabs(d->x[k]) <= bound)) {
            cli_error("%s is only for data in [%g, %g]: row %zu of %s holds %.17g", option, -bound,
                      bound, d->first + k / d->dim, spec, d->x[k]);
            return EXIT_FAILED;
        }
    return EXIT_OK;
}

/* Whether the output stores the rows (cli_save_data): then no denoiser takes them over. */
static bool keeps_rows(const cli_model_options *o, const cli_model *m)
{
    if (!m->data || cli_mpi_size() > 1 || o->save_data == CLI_SAVE_DATA_OFF)
        return false;
    return o->save_data == CLI_SAVE_DATA_ON ||
           (double)m->data->n * (double)m->data->dim <= CLI_SAVE_DATA_MAX;
}

int cli_model_data_array(const cli_model *m, dg_h5_array *array)
{
    if (!m->keep_rows || !m->data || !m->data->x)
        return 0;
    *array = (dg_h5_array){
        m->rows_drawn ? "/samples_data" : "/data",
        m->data->x,
        2,
        {m->data->n, m->data->dim},
        m->rows_drawn ? "the rows drawn from the mixture of --data by --samples, the data of the "
                        "run, one a row"
                      : "the data rows of --data (the first --limit of them), one a row",
        "data units",
        "row dim",
        "stored when rows × dim ≤ 10^6 or with --save-data; --no-save-data leaves them out"};
    return 1;
}

int cli_model_load_ex(const cli_model_options *o, cli_model *m)
{
    dg_error err;
    bool mixture;
    memset(m, 0, sizeof *m);
    if (o->announce)
        fprintf(stderr, "loading %s ...", o->spec);
    const int status = load_spec(o, m, &mixture, &err);
    if (o->announce)
        fprintf(stderr, "\r\033[K"); /* clear the line */
    int rc = EXIT_OK;
    if (status != DG_OK) {
        cli_model_free(m);
        /* An unknown name or key is a usage error; a mixture that is
         * impossible (K = 0, r > d, negative variances, weights not summing
         * to 1) or a file that cannot be read is a failure. */
        rc = mixture && status != DG_EUNKNOWN ? cli_fail(&err) : cli_fail_spec(&err);
    }
    /* On an MPI job every process has read its shard, or all stop. */
    rc = cli_mpi_agree(rc);
    if (rc != EXIT_OK) {
        cli_model_free(m);
        return rc;
    }
    m->dim = m->data ? m->data->dim : dg_gmm_dim(m->population);
    m->keep_rows = keeps_rows(o, m);
    /* Before any denoiser takes the rows over. */
    if (o->bound_option) {
        rc = cli_mpi_agree(check_bound(m, o->spec, o->bound, o->bound_option));
        if (rc != EXIT_OK) {
            cli_model_free(m);
            return rc;
        }
    }
    if (o->data_only) {
        if (m->data)
            return EXIT_OK;
        cli_model_free(m);
        cli_error("%s is a distribution, not data rows%s", o->spec,
                  o->samples ? "" : " (draw rows from it with --samples N where offered)");
        return EXIT_USAGE;
    }
    return cli_model_build_denoiser(o, m);
}

/* The options of cli_model_load_common. */
static cli_model_options common_options(const cli_common *c, bool announce, bool adopt_rows)
{
    return (cli_model_options){.spec = c->data,
                               .limit = c->limit,
                               .denoiser = c->denoiser,
                               .samples = c->samples,
                               .seed = c->seed,
                               .announce = announce,
                               .adopt_rows = adopt_rows,
                               .save_data = c->save_data};
}

int cli_model_load_common(const cli_common *c, bool announce, cli_model *m)
{
    const cli_model_options o = common_options(c, announce, true);
    return cli_model_load_ex(&o, m);
}

int cli_model_load_bounded(const cli_common *c, bool announce, double bound, const char *option,
                           cli_model *m)
{
    cli_model_options o = common_options(c, announce, true);
    o.bound = bound;
    o.bound_option = option;
    return cli_model_load_ex(&o, m);
}

int cli_model_build_denoiser(const cli_model_options *o, cli_model *m)
{
    const int rc = cli_mpi_agree(build_denoiser(o, m));
    if (rc != EXIT_OK)
        cli_model_free(m);
    return rc;
}

int cli_model_load(const cli_common *c, const char *denoiser, bool announce, cli_model *m)
{
    const cli_model_options o = {.spec = c->data,
                                 .limit = c->limit,
                                 .denoiser = denoiser,
                                 .samples = c->samples,
                                 .seed = c->seed,
                                 .announce = announce,
                                 .data_only = denoiser == NULL,
                                 .save_data = c->save_data};
    return cli_model_load_ex(&o, m);
}

void cli_model_free(cli_model *m)
{
    dg_denoiser_free(m->den);
    dg_dataset_free(m->data);
    dg_gmm_free(m->population);
    dg_gmm_free(m->fit);
    memset(m, 0, sizeof *m);
}

void cli_model_release_denoiser(cli_model *m)
{
    dg_denoiser_free(m->den);
    m->den = NULL;
}

int cli_model_fit_arrays(const cli_model *m, dg_h5_array *arrays, double **storage)
{
    *storage = NULL;
    if (!m->fit)
        return 0;
    const size_t K = dg_gmm_components(m->fit), d = dg_gmm_dim(m->fit);
    double *buf = malloc((K + K * d + K * d * d) * sizeof *buf);
    if (!buf)
        return -1;
    double *w = buf, *means = buf + K, *covs = means + K * d;
    for (size_t k = 0; k < K; k++) {
        w[k] = dg_gmm_weight(m->fit, k);
        memcpy(means + k * d, dg_gmm_mean(m->fit, k), d * sizeof *means);
        if (dg_gmm_covariance(m->fit, k, covs + k * d * d, NULL) != DG_OK) {
            free(buf);
            return -1;
        }
    }
    const dg_h5_array fit[3] = {
        {"/fit/weights",
         w,
         1,
         {K},
         "weights of the fitted mixture (reuse: --data gmm:FILE:/fit)",
         "1",
         "component",
         NULL},
        {"/fit/means",
         means,
         2,
         {K, d},
         "means of the fitted mixture",
         "data units",
         "component dim",
         NULL},
        {"/fit/covs",
         covs,
         3,
         {K, d, d},
         "covariances of the fitted mixture",
         "data units^2",
         "component dim dim",
         NULL},
    };
    memcpy(arrays, fit, sizeof fit);
    *storage = buf;
    return 3;
}

int cli_draw_starts(unsigned long seed, size_t n, size_t dim, double sigma_max, dg_dataset **out)
{
    *out = dg_dataset_alloc(n, dim);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!*out || !rng) {
        gsl_rng_free(rng);
        dg_dataset_free(*out);
        *out = NULL;
        cli_error("cannot allocate %zu start points of dimension %zu", n, dim);
        return EXIT_FAILED;
    }
    gsl_rng_set(rng, seed);
    /* x_0 = σ_max z, drawn in row order: the first rows do not depend on n. */
    for (size_t k = 0; k < n * dim; k++)
        (*out)->x[k] = sigma_max * gsl_ran_gaussian_ziggurat(rng, 1.0);
    gsl_rng_free(rng);
    return EXIT_OK;
}

int cli_load_rows(const char *spec, const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    dg_gmm *mixture = NULL;
    int status = dg_source_load(spec, opt, out, &mixture, err);
    if (status == DG_OK && mixture)
        status = dg_error_set(err, DG_EINVAL, "%s is a distribution, not data rows", spec);
    dg_gmm_free(mixture);
    return status;
}

int cli_make_starts(const char *init, size_t n, bool n_given, unsigned long seed, size_t dim,
                    double sigma_max, dg_dataset **out)
{
    dg_error err;
    if (!init)
        return cli_draw_starts(seed, n, dim, sigma_max, out);
    /* Start points are untrusted input like the data: HDF5 is read isolated. */
    const dg_data_options options = {.isolate_hdf5 = true};
    if (cli_load_rows(init, &options, out, &err) != DG_OK)
        return cli_fail_spec(&err);
    int rc = EXIT_OK;
    if ((*out)->dim != dim) {
        cli_error("--init %s: start points have dimension %zu, the data %zu", init, (*out)->dim,
                  dim);
        rc = EXIT_FAILED;
    } else if (n_given && (*out)->n != n) {
        cli_error("--init %s holds %zu start points, --n asks for %zu", init, (*out)->n, n);
        rc = EXIT_FAILED;
    }
    if (rc != EXIT_OK) {
        dg_dataset_free(*out);
        *out = NULL;
    }
    return rc;
}
