/*
 * diffgeo field: the optimal denoiser, the score, log p_σ and the ODE
 * velocity on a regular grid of a plane, for a few σ, as an HDF5 file.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *const COMMAND = "field";

/* Defaults and limits of the grid and the σ list. */
#define FIELD_GRID_DEFAULT 41
#define FIELD_GRID_MAX 4096
#define FIELD_POINTS_MAX 4000000 /* grid points per σ: NU × NV */
#define FIELD_SIGMAS_MAX 64
#define FIELD_SIGMA_DEFAULT "0.1,0.3,1,3"
/* The automatic range: the data's extent widened by this fraction each side. */
#define FIELD_MARGIN 0.1
/* A mixture's extent: this many standard deviations about each mean. */
#define FIELD_MIXTURE_STDS 3.0
/* Two directions closer to parallel than this (sine of their angle) span no plane. */
#define FIELD_DEPENDENT_TOL 1e-12

static void help(void)
{
    printf("Usage: diffgeo field --data SPEC [OPTION]... -o FIELD.h5\n"
           "Evaluate, on a regular 2-D grid of points x, for each σ of a list:\n"
           "  D(x; σ)                 the optimal denoiser, the posterior mean E[y | x]\n"
           "  score = (D − x)/σ²      ∇ log p_σ(x), the direction of increasing density\n"
           "  log p_σ(x)              the density of the data blurred by N(0, σ² I): exact\n"
           "                          for a mixture, the Gaussian KDE of data rows\n"
           "                          (log-sum-exp, bandwidth σ)\n"
           "  velocity = (x − D)/σ    dx/dσ of the probability-flow ODE: sampling runs σ\n"
           "                          down, so a point moves along −velocity, toward D\n"
           "In 2-D the grid covers the data plane itself.  In d > 2 it lies in a plane\n"
           "through the data mean, and vectors are shown by their components in it.\n"
           "\n"
           "Data and denoiser (as for 'diffgeo sample'):\n"
           "  -d, --data SPEC        data rows (h5:, npy:, idx:, synthetic:gmm, ...) or a\n"
           "                         mixture (gmm:FILE, synthetic:gauss2d, rings, ...)\n"
           "      --limit N          use only the first N rows\n"
           "      --samples N        draw N rows from a mixture and use them as data\n"
           "                         (stored as /samples_data, not /data)\n"
           "      --denoiser KIND    empirical (data), gmm (mixture), gaussian, gmm-fit:K;\n"
           "                         log p_σ is that of the same distribution\n"
           "      --seed K           seed of --samples and gmm-fit [0]\n"
           "\n"
           "Grid:\n"
           "      --sigma LIST       noise levels, e.g. 0.1,0.3,1,3 [" FIELD_SIGMA_DEFAULT "]\n"
           "      --grid N|NU,NV     grid points along u and v [41]\n"
           "      --range U0,U1,V0,V1  the grid's extent in plane coordinates; default:\n"
           "                         the data's extent (a mixture's: ±3 std of each\n"
           "                         component) widened by 10%% each side\n"
           "      --plane I,J        the plane of coordinate axes I and J (from 0) through\n"
           "                         the data mean: u = x_I, v = x_J (default in 2-D)\n"
           "      --plane SPEC       the plane through the data mean spanned by the two\n"
           "                         rows of a data SPEC (e.g. npy:dirs.npy), made\n"
           "                         orthonormal (Gram-Schmidt)\n"
           "                         default in d > 2: the top two principal components\n"
           "                         of the data (of the mixture's covariance)\n"
           "\n"
           "Output:\n"
           "  -o, --output FIELD.h5  written atomically:\n"
           "      /grid/u [NU], /grid/v [NV], /grid/sigma [S]   the axes\n"
           "      /field/denoised, /field/score, /field/velocity [S][NV][NU][2]\n"
           "                         (components along u and v; D as coordinates)\n"
           "      /field/logp [S][NV][NU]   nats\n"
           "      /plane/origin [d], /plane/basis [2][d]: x = origin + u b0 + v b1\n"
           "      /data [n][d], /plane/data [n][2]   the data rows (as --save-data says)\n"
           "      /samples_data [n][d], /plane/samples_data [n][2]   instead, for rows\n"
           "                         drawn from a mixture by --samples\n" CLI_SAVE_DATA_HELP
           "  -q, --quiet            no progress line\n"
           "  -h, --help             show this help\n"
           "\n"
           "Examples:\n"
           "  diffgeo field --data synthetic:rings --sigma 0.05,0.2,1 --grid 81 -o f.h5\n"
           "  diffgeo table f.h5 /field/logp --slice 1       (a matrix: rows v, columns u)\n"
           "  diffgeo table f.h5 /field/score --slice 1 --long --coords --digits 6\n"
           "    (lines 'v u score_u score_v' at the grid's coordinates; without\n"
           "    --coords, indices: u = /grid/u[i])\n");
}

typedef struct field_options {
    cli_common c; /* --data, -o, --quiet, --limit, --seed, --denoiser, --samples,
                     --save-data */
    double sigmas[FIELD_SIGMAS_MAX];
    size_t nsigmas;
    size_t nu, nv;
    double range[4];
    bool range_given;
    long axes[2];      /* --plane I,J; −1 when not given */
    const char *plane; /* --plane SPEC */
} field_options;

/* Up to max comma-separated numbers of text into v; their count, or 0 after a message. */
static size_t parse_numbers(const char *option, const char *text, double *v, size_t max)
{
    size_t n = 0;
    for (const char *p = text;; p++) {
        char *end;
        errno = 0;
        const double x = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(x) || (*end && *end != ',') || n == max) {
            cli_usage_error(COMMAND,
                            "--%s '%s': expected up to %zu finite numbers separated by "
                            "commas",
                            option, text, max);
            return 0;
        }
        v[n++] = x;
        p = end;
        if (!*p)
            return n;
    }
}

static int parse_sigmas(field_options *o, const char *text)
{
    o->nsigmas = parse_numbers("sigma", text, o->sigmas, FIELD_SIGMAS_MAX);
    if (o->nsigmas == 0)
        return EXIT_USAGE;
    for (size_t k = 0; k < o->nsigmas; k++)
        if (!(o->sigmas[k] > 0))
            return cli_usage_error(COMMAND, "--sigma %s: every σ must be positive (%g is not)",
                                   text, o->sigmas[k]);
    return EXIT_OK;
}

static int parse_grid(field_options *o, const char *text)
{
    double v[2];
    const size_t n = parse_numbers("grid", text, v, 2);
    if (n == 0)
        return EXIT_USAGE;
    if (n == 1)
        v[1] = v[0];
    for (size_t k = 0; k < 2; k++)
        if (!(v[k] >= 2 && v[k] <= FIELD_GRID_MAX && v[k] == floor(v[k])))
            return cli_usage_error(COMMAND, "--grid %s: expected whole numbers of 2 to %d points",
                                   text, FIELD_GRID_MAX);
    o->nu = (size_t)v[0], o->nv = (size_t)v[1];
    if (o->nu * o->nv > FIELD_POINTS_MAX)
        return cli_usage_error(COMMAND, "--grid %s: more than %d points", text, FIELD_POINTS_MAX);
    return EXIT_OK;
}

static int parse_range(field_options *o, const char *text)
{
    if (parse_numbers("range", text, o->range, 4) != 4)
        return cli_usage_error(COMMAND, "--range %s: expected U0,U1,V0,V1", text);
    if (!(o->range[0] < o->range[1] && o->range[2] < o->range[3]))
        return cli_usage_error(COMMAND, "--range %s: need U0 < U1 and V0 < V1", text);
    o->range_given = true;
    return EXIT_OK;
}

/* --plane I,J (two different axis numbers) or --plane SPEC. */
static int parse_plane(field_options *o, const char *text)
{
    long a, b;
    int used = 0;
    if (sscanf(text, "%ld,%ld%n", &a, &b, &used) == 2 && text[used] == '\0') {
        if (a < 0 || b < 0 || a == b)
            return cli_usage_error(COMMAND, "--plane %s: expected two different axes from 0", text);
        o->axes[0] = a, o->axes[1] = b;
        o->plane = NULL;
    } else {
        o->plane = text;
        o->axes[0] = o->axes[1] = -1;
    }
    return EXIT_OK;
}

enum { OPT_SIGMA = 3100, OPT_GRID, OPT_RANGE, OPT_PLANE };

/* field's options; a cli_parser option. */
static int field_option(void *ctx, int opt, const char *arg)
{
    field_options *o = ctx;
    switch (opt) {
    case OPT_SIGMA:
        return parse_sigmas(o, arg);
    case OPT_GRID:
        return parse_grid(o, arg);
    case OPT_RANGE:
        return parse_range(o, arg);
    case OPT_PLANE:
        return parse_plane(o, arg);
    default:
        return CLI_OPTION_SHARED;
    }
}

/* The options into o; *helped after --help.  An exit code. */
static int parse(int argc, char **argv, field_options *o, bool *helped)
{
    static const struct option longopts[] = {CLI_COMMON_OPTIONS,
                                             CLI_DENOISER_OPTIONS,
                                             CLI_SAVE_DATA_OPTIONS,
                                             {"sigma", required_argument, NULL, OPT_SIGMA},
                                             {"grid", required_argument, NULL, OPT_GRID},
                                             {"range", required_argument, NULL, OPT_RANGE},
                                             {"plane", required_argument, NULL, OPT_PLANE},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":d:o:qh",
                          .longopts = longopts,
                          .help = help,
                          .option = field_option,
                          .ctx = o,
                          .common = &o->c};
    int first;
    *helped = false;
    int rc = cli_parse_options(&p, argc, argv, &first);
    if (rc != EXIT_OK)
        return rc;
    if (first < 0) {
        *helped = true;
        return EXIT_OK;
    }
    if (o->nsigmas == 0 && parse_sigmas(o, FIELD_SIGMA_DEFAULT) != EXIT_OK)
        return EXIT_USAGE;
    return cli_common_check(COMMAND, &o->c, "FIELD.h5");
}

/* ------------------------------------------------------------------------ */
/* The plane                                                                */
/* ------------------------------------------------------------------------ */

/* The plane x = origin + u b0 + v b1 and how it was chosen. */
typedef struct field_plane {
    double *origin; /* d */
    double *basis;  /* 2 × d, orthonormal rows */
    char how[128];  /* for the file: "axes 0,1", "pca", "rows of SPEC" */
} field_plane;

/* The mean of the data rows, or of the mixture (Σ π_k μ_k), into mean (d). */
static void model_mean(const cli_model *m, double *mean)
{
    const size_t d = m->dim;
    if (m->data) {
        for (size_t j = 0; j < d; j++) {
            long double s = 0;
            for (size_t i = 0; i < m->data->n; i++)
                s += m->data->x[i * d + j];
            mean[j] = (double)(s / (long double)m->data->n);
        }
        return;
    }
    memset(mean, 0, d * sizeof *mean);
    for (size_t k = 0; k < dg_gmm_components(m->population); k++)
        for (size_t j = 0; j < d; j++)
            mean[j] += dg_gmm_weight(m->population, k) * dg_gmm_mean(m->population, k)[j];
}

/* Makes the two rows of b (2 × d) orthonormal; false when they are dependent. */
static bool orthonormalise(double *b, size_t d)
{
    const double n0 = dg_norm(b, d);
    if (!(n0 > 0))
        return false;
    for (size_t j = 0; j < d; j++)
        b[j] /= n0;
    const double p = dg_dot(b, b + d, d);
    for (size_t j = 0; j < d; j++)
        b[d + j] -= p * b[j];
    const double n1 = dg_norm(b + d, d);
    if (!(n1 > FIELD_DEPENDENT_TOL))
        return false;
    for (size_t j = 0; j < d; j++)
        b[d + j] /= n1;
    return true;
}

/* Each row of b (2 × d) signed so that its largest |component| is positive. */
static void fix_signs(double *b, size_t d)
{
    for (size_t r = 0; r < 2; r++) {
        size_t big = 0;
        for (size_t j = 1; j < d; j++)
            if (fabs(b[r * d + j]) > fabs(b[r * d + big]))
                big = j;
        if (b[r * d + big] < 0)
            for (size_t j = 0; j < d; j++)
                b[r * d + j] = -b[r * d + j];
    }
}

/* The mixture's covariance Σ_k π_k (Σ_k + (μ_k − m)(μ_k − m)ᵀ) into cov (d × d). */
static int mixture_covariance(const dg_gmm *g, const double *mean, double *cov, double *tmp,
                              dg_error *err)
{
    const size_t d = dg_gmm_dim(g);
    memset(cov, 0, d * d * sizeof *cov);
    for (size_t k = 0; k < dg_gmm_components(g); k++) {
        const int status = dg_gmm_covariance(g, k, tmp, err);
        if (status != DG_OK)
            return status;
        const double w = dg_gmm_weight(g, k), *mu = dg_gmm_mean(g, k);
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++)
                cov[i * d + j] += w * (tmp[i * d + j] + (mu[i] - mean[i]) * (mu[j] - mean[j]));
    }
    return DG_OK;
}

/*
 * The top two principal directions of the data rows about their mean, or of
 * the mixture's covariance Σ (its rows as points: the eigenvectors of Σ² are
 * Σ's), into p->basis by dg_metric_top_two, each signed so that its largest
 * |component| is positive; an exit code.
 */
static int principal_plane(const cli_model *m, field_plane *p)
{
    const size_t d = m->dim, K = m->data ? m->data->n : d;
    dg_metric_workspace *w = dg_metric_workspace_alloc(K, d);
    double *cov = m->data ? NULL : dg_doubles_alloc(2 * d, d);
    int rc = EXIT_OK;
    dg_error err;
    size_t rank = 0;
    if (!w || (!m->data && !cov)) {
        cli_error("cannot allocate the principal components of %zu × %zu values", K, d);
        rc = EXIT_FAILED;
    } else if (!m->data &&
               mixture_covariance(m->population, p->origin, cov, cov + d * d, &err) != DG_OK) {
        rc = cli_fail(&err);
    } else if (dg_metric_top_two(m->data ? m->data->x : cov, m->data ? p->origin : NULL, K, d, w,
                                 p->basis, &rank, &err) != DG_OK) {
        rc = cli_fail(&err);
    } else if (rank < 2) {
        cli_error("the data span fewer than two dimensions: choose the plane with --plane");
        rc = EXIT_FAILED;
    }
    fix_signs(p->basis, d);
    snprintf(p->how, sizeof p->how, "top two principal components");
    dg_metric_workspace_free(w);
    dg_doubles_free(cov);
    return rc;
}

/* The plane of two rows of a data spec through the mean; an exit code. */
static int plane_from_spec(const field_options *o, size_t d, field_plane *p)
{
    dg_dataset *rows = NULL;
    dg_error err;
    const dg_data_options options = {.isolate_hdf5 = true};
    if (dg_data_load(o->plane, &options, &rows, &err) != DG_OK)
        return cli_fail_spec(&err);
    int rc = EXIT_OK;
    if (rows->n != 2 || rows->dim != d) {
        cli_error("--plane %s: expected 2 rows of dimension %zu, found %zu of %zu", o->plane, d,
                  rows->n, rows->dim);
        rc = EXIT_FAILED;
    } else {
        memcpy(p->basis, rows->x, 2 * d * sizeof *p->basis);
        if (!orthonormalise(p->basis, d)) {
            cli_error("--plane %s: the two directions are parallel or zero", o->plane);
            rc = EXIT_FAILED;
        }
    }
    snprintf(p->how, sizeof p->how, "the rows of %s", o->plane);
    dg_dataset_free(rows);
    return rc;
}

/* The plane of o for the model; an exit code. */
static int make_plane(const field_options *o, const cli_model *m, field_plane *p)
{
    const size_t d = m->dim;
    p->origin = dg_doubles_alloc(1, d);
    p->basis = dg_doubles_alloc(2, d);
    if (!p->origin || !p->basis) {
        cli_error("cannot allocate a plane of dimension %zu", d);
        return EXIT_FAILED;
    }
    model_mean(m, p->origin);
    long axes[2] = {o->axes[0], o->axes[1]};
    if (axes[0] < 0 && !o->plane && d == 2)
        axes[0] = 0, axes[1] = 1;
    if (axes[0] >= 0) {
        if ((size_t)axes[0] >= d || (size_t)axes[1] >= d) {
            cli_error("--plane %ld,%ld: the data have axes 0 to %zu", axes[0], axes[1], d - 1);
            return EXIT_USAGE;
        }
        /* u = x_I and v = x_J themselves; the other coordinates at their mean. */
        memset(p->basis, 0, 2 * d * sizeof *p->basis);
        p->basis[axes[0]] = p->basis[d + (size_t)axes[1]] = 1;
        p->origin[axes[0]] = p->origin[axes[1]] = 0;
        snprintf(p->how, sizeof p->how, "coordinate axes %ld,%ld", axes[0], axes[1]);
        return EXIT_OK;
    }
    return o->plane ? plane_from_spec(o, d, p) : principal_plane(m, p);
}

static void plane_free(field_plane *p)
{
    dg_doubles_free(p->origin);
    dg_doubles_free(p->basis);
}

/* Plane coordinates of a point x (d): (x − origin)·b. */
static void to_plane(const field_plane *p, const double *x, size_t d, double *uv)
{
    for (size_t r = 0; r < 2; r++) {
        long double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (long double)(x[j] - p->origin[j]) * p->basis[r * d + j];
        uv[r] = (double)s;
    }
}

/* ------------------------------------------------------------------------ */
/* The grid and the field                                                   */
/* ------------------------------------------------------------------------ */

/* Widens [lo, hi] of each coordinate by FIELD_MARGIN (a point: by ±0.5). */
static void widen(double *range)
{
    for (size_t r = 0; r < 2; r++) {
        double *lo = &range[2 * r], *hi = &range[2 * r + 1];
        const double span = *hi > *lo ? *hi - *lo : 1.0;
        const double pad = *hi > *lo ? FIELD_MARGIN * span : 0.5;
        *lo -= pad;
        *hi += pad;
    }
}

/* The extent of the data rows, or of the mixture's components (±3 std), in the plane. */
static int auto_range(const cli_model *m, const field_plane *p, double *range)
{
    const size_t d = m->dim;
    range[0] = range[2] = INFINITY;
    range[1] = range[3] = -INFINITY;
    double uv[2];
    if (m->data) {
        for (size_t i = 0; i < m->data->n; i++) {
            to_plane(p, m->data->x + i * d, d, uv);
            for (size_t r = 0; r < 2; r++) {
                range[2 * r] = fmin(range[2 * r], uv[r]);
                range[2 * r + 1] = fmax(range[2 * r + 1], uv[r]);
            }
        }
        widen(range);
        return EXIT_OK;
    }
    double *cov = dg_doubles_alloc(d, d), *cb = dg_doubles_alloc(1, d);
    dg_error err;
    int rc = cov && cb ? EXIT_OK : EXIT_FAILED;
    if (rc != EXIT_OK)
        cli_error("cannot allocate a covariance of dimension %zu", d);
    for (size_t k = 0; rc == EXIT_OK && k < dg_gmm_components(m->population); k++) {
        if (dg_gmm_covariance(m->population, k, cov, &err) != DG_OK) {
            rc = cli_fail(&err);
            break;
        }
        to_plane(p, dg_gmm_mean(m->population, k), d, uv);
        for (size_t r = 0; r < 2; r++) {
            dg_gemm_ab(1.0, dg_block_view(p->basis + r * d, 1, d), dg_block_view(cov, d, d), 0.0,
                       dg_block_view(cb, 1, d));
            const double sd = sqrt(fmax(dg_dot(cb, p->basis + r * d, d), 0.0));
            range[2 * r] = fmin(range[2 * r], uv[r] - FIELD_MIXTURE_STDS * sd);
            range[2 * r + 1] = fmax(range[2 * r + 1], uv[r] + FIELD_MIXTURE_STDS * sd);
        }
    }
    dg_doubles_free(cov);
    dg_doubles_free(cb);
    if (rc == EXIT_OK)
        widen(range);
    return rc;
}

/* The field's arrays: S σ × NV × NU points. */
typedef struct field_values {
    size_t S, nu, nv, d;
    double *u, *v;                       /* NU, NV */
    double *denoised, *score, *velocity; /* S × NV × NU × 2 */
    double *logp;                        /* S × NV × NU */
} field_values;

static void field_free(field_values *f)
{
    free(f->u);
    free(f->v);
    dg_doubles_free(f->denoised);
    dg_doubles_free(f->score);
    dg_doubles_free(f->velocity);
    dg_doubles_free(f->logp);
}

static bool field_alloc(field_values *f)
{
    const size_t points = f->S * f->nv * f->nu;
    f->u = malloc(f->nu * sizeof *f->u);
    f->v = malloc(f->nv * sizeof *f->v);
    f->denoised = dg_doubles_alloc(points, 2);
    f->score = dg_doubles_alloc(points, 2);
    f->velocity = dg_doubles_alloc(points, 2);
    f->logp = dg_doubles_alloc(points, 1);
    return f->u && f->v && f->denoised && f->score && f->velocity && f->logp;
}

/* log p_σ of the distribution the denoiser is exact for, at n points x. */
static int log_density(const cli_model *m, const double *x, size_t n, double sigma, double *h,
                       double *out, dg_error *err)
{
    const dg_gmm *g = m->fit ? m->fit : strcmp(m->denoiser, "gmm") == 0 ? m->population : NULL;
    if (g)
        return dg_gmm_log_density(g, x, n, sigma, out, err);
    for (size_t i = 0; i < n; i++)
        h[i] = sigma;
    return dg_metric_kde(m->data->x, m->data->n, m->dim, x, n, h, 1, out, NULL, NULL, err);
}

/* Buffers for one line of the grid (NU points of dimension d). */
typedef struct field_line {
    double *x, *den, *h;
} field_line;

/* The field at σ_s along grid line j (v = v_j); a library status. */
static int eval_line(const cli_model *m, const field_plane *p, field_values *f, size_t s,
                     double sigma, size_t j, field_line *b, dg_error *err)
{
    const size_t d = f->d, nu = f->nu;
    for (size_t i = 0; i < nu; i++)
        for (size_t k = 0; k < d; k++)
            b->x[i * d + k] = p->origin[k] + f->u[i] * p->basis[k] + f->v[j] * p->basis[d + k];
    int status = dg_denoiser_eval(m->den, b->x, nu, sigma, b->den, err);
    const size_t at = (s * f->nv + j) * nu;
    if (status == DG_OK)
        status = log_density(m, b->x, nu, sigma, b->h, f->logp + at, err);
    if (status != DG_OK)
        return status;
    for (size_t i = 0; i < nu; i++) {
        const double *x = b->x + i * d, *den = b->den + i * d;
        double dv[2];
        to_plane(p, den, d, f->denoised + 2 * (at + i));
        for (size_t r = 0; r < 2; r++) {
            /* The components in the plane of D − x, from exact differences. */
            long double c = 0;
            for (size_t k = 0; k < d; k++)
                c += (long double)(den[k] - x[k]) * p->basis[r * d + k];
            dv[r] = (double)c;
            f->score[2 * (at + i) + r] = dv[r] / (sigma * sigma);
            f->velocity[2 * (at + i) + r] = -dv[r] / sigma;
        }
    }
    return DG_OK;
}

/* Every σ and grid line; an exit code. */
static int eval_field(const field_options *o, const cli_model *m, const field_plane *p,
                      field_values *f)
{
    field_line b = {dg_doubles_alloc(f->nu, f->d), dg_doubles_alloc(f->nu, f->d),
                    dg_doubles_alloc(f->nu, 1)};
    int rc = b.x && b.den && b.h ? EXIT_OK : EXIT_FAILED;
    if (rc != EXIT_OK)
        cli_error("cannot allocate %zu points of dimension %zu", f->nu, f->d);
    cli_progress progress;
    cli_progress_init(&progress, "field");
    progress.enabled &= !o->c.quiet;
    dg_error err;
    for (size_t s = 0; rc == EXIT_OK && s < f->S; s++)
        for (size_t j = 0; rc == EXIT_OK && j < f->nv; j++) {
            if (cli_interrupted) {
                rc = cli_interrupted_status();
                break;
            }
            if (eval_line(m, p, f, s, o->sigmas[s], j, &b, &err) != DG_OK)
                rc = cli_fail(&err);
            cli_progress_update(&progress, s * f->nv + j + 1, f->S * f->nv);
        }
    cli_progress_done(&progress);
    dg_doubles_free(b.x);
    dg_doubles_free(b.den);
    dg_doubles_free(b.h);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The file                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * The data rows as cli_model_data_array stores them (/data, or /samples_data
 * for rows drawn by --samples) and their plane coordinates (/plane/data or
 * /plane/samples_data) into out[0..1]; returns their number (0 when the rows
 * are not kept, −1 when short of memory).  *storage holds the coordinates
 * until the caller frees it.
 */
static int data_arrays(const cli_model *m, const field_plane *p, dg_h5_array *out, double **storage)
{
    *storage = NULL;
    if (cli_model_data_array(m, &out[0]) == 0)
        return 0;
    const size_t n = m->data->n, d = m->data->dim;
    *storage = dg_doubles_alloc(n, 2);
    if (!*storage)
        return -1;
    for (size_t i = 0; i < n; i++)
        to_plane(p, m->data->x + i * d, d, *storage + 2 * i);
    out[1] = (dg_h5_array){m->rows_drawn ? "/plane/samples_data" : "/plane/data",
                           *storage,
                           2,
                           {n, 2},
                           "the rows of /data (or /samples_data) in plane coordinates (u, v) = "
                           "(x - origin).basis",
                           "data units",
                           "row coord",
                           NULL};
    return 2;
}

enum { FIELD_ATTRS = 7, FIELD_ARRAYS = 9, FIELD_DATA_ARRAYS = 2 };

/* The arrays of the field file but /data, into arrays[0..FIELD_ARRAYS − 1]. */
static void field_arrays(const field_options *o, const field_plane *p, const field_values *f,
                         dg_h5_array *arrays)
{
    const size_t S = f->S, nv = f->nv, nu = f->nu, d = f->d;
    const dg_h5_array a[FIELD_ARRAYS] = {
        {"/field/denoised",
         f->denoised,
         4,
         {S, nv, nu, 2},
         "D(x; sigma) in plane coordinates (D - origin).basis",
         "data units",
         "sigma v u coord",
         NULL},
        {"/field/score",
         f->score,
         4,
         {S, nv, nu, 2},
         "the score (D - x)/sigma^2 = grad log p_sigma, components along basis",
         "1/data units",
         "sigma v u coord",
         NULL},
        {"/field/velocity",
         f->velocity,
         4,
         {S, nv, nu, 2},
         "dx/dsigma = (x - D)/sigma of the probability-flow ODE, components along basis",
         "1",
         "sigma v u coord",
         NULL},
        {"/field/logp",
         f->logp,
         3,
         {S, nv, nu},
         "log p_sigma(x): of the mixture, or the Gaussian KDE of the rows (bandwidth sigma)",
         "nats",
         "sigma v u",
         NULL},
        {"/grid/u",
         f->u,
         1,
         {nu},
         "u, the first plane coordinate of the grid",
         "data units",
         "u",
         NULL},
        {"/grid/v",
         f->v,
         1,
         {nv},
         "v, the second plane coordinate of the grid",
         "data units",
         "v",
         NULL},
        {"/grid/sigma", o->sigmas, 1, {S}, "the noise levels", "data units", "sigma", NULL},
        {"/plane/origin",
         p->origin,
         1,
         {d},
         "the plane's origin: x = origin + u b0 + v b1",
         "data units",
         "dim",
         NULL},
        {"/plane/basis", p->basis, 2, {2, d}, "b0 and b1, orthonormal", "1", "coord dim", NULL},
    };
    memcpy(arrays, a, sizeof a);
}

/* Writes the field file; an exit code. */
static int write_field(const field_options *o, const cli_model *m, const field_plane *p,
                       const field_values *f, const char *command_line)
{
    const dg_h5_attr attrs[FIELD_ATTRS] = {
        {"command_line", command_line, 0, 0},   {"data", o->c.data, 0, 0},
        {"denoiser", m->denoiser, 0, 0},        {"plane", p->how, 0, 0},
        {"limit", NULL, (double)o->c.limit, 1}, {"samples", NULL, (double)o->c.samples, 1},
        {"seed", NULL, (double)o->c.seed, 1},
    };
    dg_h5_array arrays[FIELD_ARRAYS + FIELD_DATA_ARRAYS];
    field_arrays(o, p, f, arrays);
    double *storage;
    const int ndata = data_arrays(m, p, arrays + FIELD_ARRAYS, &storage);
    if (ndata < 0) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    const size_t count = FIELD_ARRAYS + (size_t)ndata;
    int rc = cli_check_arrays(arrays, count);
    dg_error err;
    const dg_h5_write_options wopt = {.cancel = &cli_interrupted};
    if (rc == EXIT_OK && dg_h5_write_file_ex(o->c.output, attrs, FIELD_ATTRS, arrays, count, NULL,
                                             0, &wopt, &err) != DG_OK)
        rc = cli_fail(&err);
    dg_doubles_free(storage);
    return rc;
}

/* The model, plane, grid and field of o; an exit code. */
static int run(const field_options *o, const char *command_line)
{
    cli_model m;
    const cli_model_options mo = {.spec = o->c.data,
                                  .limit = o->c.limit,
                                  .denoiser = o->c.denoiser,
                                  .samples = o->c.samples,
                                  .seed = o->c.seed,
                                  .announce = !o->c.quiet && isatty(2),
                                  .save_data = o->c.save_data};
    int rc = cli_model_load_ex(&mo, &m);
    if (rc != EXIT_OK)
        return rc;
    field_plane p = {NULL, NULL, ""};
    field_values f = {.S = o->nsigmas, .nu = o->nu, .nv = o->nv, .d = m.dim};
    if (m.dim < 2) {
        cli_error("%s has dimension 1: a field needs a plane (d ≥ 2)", o->c.data);
        rc = EXIT_FAILED;
        goto free_model;
    }
    rc = make_plane(o, &m, &p);
    double range[4];
    memcpy(range, o->range, sizeof range);
    if (rc == EXIT_OK && !o->range_given)
        rc = auto_range(&m, &p, range);
    if (rc == EXIT_OK && !field_alloc(&f)) {
        cli_error("cannot allocate a field of %zu × %zu × %zu points", f.S, f.nv, f.nu);
        rc = EXIT_FAILED;
    }
    if (rc != EXIT_OK)
        goto free_field;
    for (size_t i = 0; i < f.nu; i++)
        f.u[i] = range[0] + (range[1] - range[0]) * (double)i / (double)(f.nu - 1);
    for (size_t j = 0; j < f.nv; j++)
        f.v[j] = range[2] + (range[3] - range[2]) * (double)j / (double)(f.nv - 1);
    rc = eval_field(o, &m, &p, &f);
    if (rc == EXIT_OK)
        rc = write_field(o, &m, &p, &f, command_line);
free_field:
    field_free(&f);
    plane_free(&p);
free_model:
    cli_model_free(&m);
    return rc;
}

int cmd_field(int argc, char **argv, const char *command_line)
{
    field_options o = {.nu = FIELD_GRID_DEFAULT, .nv = FIELD_GRID_DEFAULT, .axes = {-1, -1}};
    bool helped;
    int rc = parse(argc, argv, &o, &helped);
    if (rc != EXIT_OK || helped)
        return rc;
    /* From here on a signal stops the run cleanly: no output file. */
    cli_catch_signals();
    return run(&o, command_line);
}
