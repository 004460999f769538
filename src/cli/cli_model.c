/* The data and denoiser a command works with, and start points. */
#include "config.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_model_load(const char *spec, size_t limit, const char *denoiser,
                   int announce, cli_model *m)
{
    dg_error err;
    memset(m, 0, sizeof *m);
    if (announce)
        fprintf(stderr, "loading %s ...", spec);
    const dg_data_options dopt = {.limit = limit};
    const int loaded = dg_data_load(spec, &dopt, &m->data, &err);
    if (announce)
        fprintf(stderr, "\r\033[K"); /* clear the line */
    if (loaded != DG_OK)
        return cli_fail_spec(&err);
    m->dim = m->data->dim;
    if (!denoiser)
        return EXIT_OK;
    if (strcmp(denoiser, "empirical") != 0) {
        cli_model_free(m);
        cli_error("unknown denoiser '%s' (empirical)", denoiser);
        return EXIT_USAGE;
    }
    if (dg_denoiser_empirical_alloc(m->data->x, m->data->n, m->data->dim, &m->den, &err) !=
        DG_OK) {
        cli_model_free(m);
        return cli_fail(&err);
    }
    m->denoiser = denoiser;
    return EXIT_OK;
}

void cli_model_free(cli_model *m)
{
    dg_denoiser_free(m->den);
    dg_dataset_free(m->data);
    m->den = NULL;
    m->data = NULL;
}

int cli_draw_starts(unsigned long seed, size_t n, size_t dim, double sigma_max,
                    dg_dataset **out)
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

int cli_make_starts(const char *init, size_t n, int n_given, unsigned long seed,
                    size_t dim, double sigma_max, dg_dataset **out)
{
    dg_error err;
    if (!init)
        return cli_draw_starts(seed, n, dim, sigma_max, out);
    if (dg_data_load(init, NULL, out, &err) != DG_OK)
        return cli_fail_spec(&err);
    if ((*out)->dim != dim) {
        cli_error("--init %s: start points have dimension %zu, the data %zu", init,
                  (*out)->dim, dim);
        return EXIT_FAILED;
    }
    if (n_given && (*out)->n != n) {
        cli_error("--init %s holds %zu start points, --n asks for %zu", init, (*out)->n, n);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}
