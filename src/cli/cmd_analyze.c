/* diffgeo analyze: add the measurements of doc/theory.md §3 and §6 to a run file. */
#include "config.h"

#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "analyze";

/* The curvature window of doc/theory.md §6 (101 points of a 1000-step trajectory). */
#define ANALYZE_WINDOW 101
/*
 * A denoiser re-created from /config must give /denoised to this relative
 * error (it is deterministic, so in practice bit for bit) to count as the
 * run's own.
 */
#define ANALYZE_REPRODUCE_TOL 1e-12

/* Room for texts of /config (the data spec; a solver or denoiser name) and for short notes. */
#define CONFIG_DATA_MAX 1024
#define CONFIG_NAME_MAX 64
#define NOTE_SHORT 160
/* The rank of /trajectory and /denoised: [points][n][d]. */
#define RUN_RANK 3

/* Usage, what the input must be, and the options. */
static void help_usage(void)
{
    printf("Usage: diffgeo analyze RUN.h5 [OPTION]...\n"
           "Measure the geometry of the trajectories in a run file and add the results\n"
           "under /metrics (doc/theory.md §3, §6); the file is rewritten atomically, and\n"
           "left unchanged on any error; if another program replaces or rewrites it\n"
           "while analyze measures it, nothing is written (exit 1).  The last check and\n"
           "the rename are made under an fcntl lock on the file that every diffgeo\n"
           "writer takes (and waits for); programs that take no lock (mv, h5py) are\n"
           "caught up to that check.  A fitted run's /fit is read, like the rest of\n"
           "the file, as untrusted input (isolated, shapes checked first).  Without\n"
           "--reference, arrays of an earlier --reference are removed.  The run file\n"
           "may come from 'diffgeo sample' or from any sampler: it needs /sigmas [T+1]\n"
           "(finite, strictly decreasing, positive but for a last 0), /trajectory\n"
           "[T+1][n][d] and /denoised [T][n][d], finite (see\n"
           "experiments/export_from_pytorch.py).  Row i of /denoised is D(x_i; σ_i), so\n"
           "every evaluated σ is positive; the end x_T has no evaluation.\n"
           "\n"
           "Options:\n"
           "      --reference SPEC     data whose exact empirical denoiser D* is the\n"
           "                           reference (a data spec as for 'diffgeo sample',\n"
           "                           e.g. the training data): adds the arrays marked R\n"
           "      --reference-limit N  use the first N rows of the reference data\n"
           "      --trust-config       let the run file name data to load: re-create the\n"
           "                           run's own denoiser from /config/data for\n"
           "                           optimal_self even when that is not the --reference\n"
           "                           data (or more rows of it), or is a mixture (a run\n"
           "                           of --denoiser gmm); without it a run file\n"
           "                           opens nothing the command line did not name\n"
           "      --window W           points of the local cubic fit for curvature and\n"
           "                           torsion, odd, at least %d [%d, capped at T+1]\n"
           "  -q, --quiet              no progress line\n"
           "  -h, --help               show this help\n"
           "\n",
           DG_CURVATURE_WINDOW_MIN, ANALYZE_WINDOW);
}

static void help(void)
{
    help_usage();
    printf("Arrays written (first axis = grid index i, second = sample; units in the\n"
           "'units' attribute, the formula in 'description', caveats in 'note'):\n");
    cli_help_metrics();
    printf("With AFS, row 0 of /denoised is the analytic substitute, and so are the D_0\n"
           "above; with --threshold, /denoised holds thresholded values, D* never is.\n"
           "\n"
           "Examples:\n"
           "  diffgeo analyze run.h5 && \\\n"
           "      diffgeo table run.h5 /metrics/deviation --reduce --sigma\n"
           "  diffgeo sample --data fashion-mnist --limit 1000 --solver euler \\\n"
           "      --steps 21 -o run.h5\n"
           "  diffgeo analyze run.h5 --reference fashion-mnist  # score deviation, all data\n"
           "\n"
           "Under mpirun or srun (a build with ./configure --with-mpi), each process reads\n"
           "the run file and only its share of the reference data; D*, the optimal\n"
           "trajectory, the KDE and the nearest neighbours combine over the processes\n"
           "exactly, so /metrics is bit-identical to one process's:\n"
           "  mpirun -np 4 diffgeo analyze run.h5 --reference h5:imagenet64.h5:/x\n");
}

/* ------------------------------------------------------------------------ */
/* Options and input                                                        */
/* ------------------------------------------------------------------------ */

typedef struct analyze_options {
    const char *path;
    const char *reference;  /* data spec of D*, or NULL */
    size_t reference_limit; /* 0: all rows */
    size_t window;          /* curvature window as asked */
    bool trust_config;      /* /config/data may be loaded */
    bool quiet;
} analyze_options;

enum { OPT_REFERENCE = 2000, OPT_REFERENCE_LIMIT, OPT_WINDOW, OPT_TRUST_CONFIG };

/* analyze's options; a cli_parser option. */
static int analyze_option(void *ctx, int opt, const char *arg)
{
    analyze_options *o = ctx;
    switch (opt) {
    case OPT_REFERENCE:
        o->reference = arg;
        return EXIT_OK;
    case OPT_REFERENCE_LIMIT:
        return cli_parse_count(COMMAND, "reference-limit", arg, "row", &o->reference_limit) == 0
                   ? EXIT_OK
                   : EXIT_USAGE;
    case OPT_WINDOW:
        if (cli_parse_size(COMMAND, "window", arg, &o->window) != 0)
            return EXIT_USAGE;
        if (o->window < DG_CURVATURE_WINDOW_MIN || o->window % 2 == 0)
            return cli_usage_error(COMMAND,
                                   "--window %s: must be odd and at least %d (a cubic "
                                   "needs 4 points)",
                                   arg, DG_CURVATURE_WINDOW_MIN);
        return EXIT_OK;
    case OPT_TRUST_CONFIG:
        o->trust_config = true;
        return EXIT_OK;
    case 'q':
        o->quiet = true;
        return EXIT_OK;
    default:
        return CLI_OPTION_SHARED;
    }
}

/* The options of o; *helped after --help.  An exit code. */
static int parse(int argc, char **argv, analyze_options *o, bool *helped)
{
    static const struct option longopts[] = {
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"reference-limit", required_argument, NULL, OPT_REFERENCE_LIMIT},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"trust-config", no_argument, NULL, OPT_TRUST_CONFIG},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":qh",
                          .longopts = longopts,
                          .help = help,
                          .option = analyze_option,
                          .ctx = o,
                          .operands = true};
    int first;
    const int rc = cli_parse_options(&p, argc, argv, &first);
    *helped = rc == EXIT_OK && first < 0;
    if (rc != EXIT_OK || *helped)
        return rc;
    if (argc - first != 1)
        return cli_usage_error(COMMAND, "expected one run file");
    o->path = argv[first];
    if (o->reference_limit && !o->reference)
        return cli_usage_error(COMMAND, "--reference-limit needs --reference");
    if (o->trust_config && !o->reference)
        return cli_usage_error(COMMAND, "--trust-config needs --reference");
    return EXIT_OK;
}

typedef struct run_arrays {
    double *sigmas, *traj, *denoised;
    size_t T, n, dim;
} run_arrays;

static void run_arrays_free(run_arrays *r)
{
    dg_doubles_free(r->sigmas);
    dg_doubles_free(r->traj);
    dg_doubles_free(r->denoised);
}

/* True if the K × n × dim block x is finite; else says where it is not. */
static bool all_finite(const char *path, const char *name, const double *x, size_t K, size_t n,
                       size_t dim)
{
    size_t at;
    if (dg_all_finite(x, K * n * dim, &at))
        return true;
    cli_error("%s: %s[%zu][%zu][%zu] holds %s", path, name, at / (n * dim), at / dim % n, at % dim,
              isnan(x[at]) ? "NaN" : "Inf");
    return false;
}

/* The three arrays of a run file and their shapes, as a dg_h5_reader. */
typedef struct run_read {
    const char *path;
    run_arrays *r;
    size_t rs, rt, rd, ss[DG_H5_RANK_MAX], st[DG_H5_RANK_MAX], sd[DG_H5_RANK_MAX];
} run_read;

static int read_run_arrays(void *ctx, dg_error *err)
{
    run_read *q = ctx;
    int status = dg_h5_read_array(q->path, "/sigmas", &q->rs, q->ss, &q->r->sigmas, err);
    if (status == DG_OK)
        status = dg_h5_read_array(q->path, "/trajectory", &q->rt, q->st, &q->r->traj, err);
    if (status == DG_OK)
        status = dg_h5_read_array(q->path, "/denoised", &q->rd, q->sd, &q->r->denoised, err);
    return status;
}

/* Reads the three arrays (isolated: the file may come from anyone) and
 * checks their shapes, values and the σ grid. */
static int read_run(const char *path, run_arrays *r)
{
    run_read q = {.path = path, .r = r};
    dg_error err;
    if (dg_h5_isolated(path, read_run_arrays, &q, &err) != DG_OK)
        return cli_fail(&err);
    const size_t rs = q.rs, rt = q.rt, rd = q.rd, *ss = q.ss, *st = q.st, *sd = q.sd;
    if (rs != 1 || ss[0] < 2) {
        cli_error("%s: /sigmas must be a vector of at least 2 entries", path);
        return EXIT_FAILED;
    }
    r->T = ss[0] - 1;
    if (rt != RUN_RANK || st[0] != r->T + 1 || st[1] == 0 || st[2] == 0) {
        cli_error("%s: /trajectory must be [%zu][n][d] to match /sigmas [%zu]", path, r->T + 1,
                  r->T + 1);
        return EXIT_FAILED;
    }
    r->n = st[1];
    r->dim = st[2];
    if (rd != RUN_RANK || sd[0] != r->T || sd[1] != r->n || sd[2] != r->dim) {
        cli_error("%s: /denoised must be [%zu][%zu][%zu] to match /trajectory", path, r->T, r->n,
                  r->dim);
        return EXIT_FAILED;
    }
    if (!all_finite(path, "/trajectory", r->traj, r->T + 1, r->n, r->dim) ||
        !all_finite(path, "/denoised", r->denoised, r->T, r->n, r->dim))
        return EXIT_FAILED;
    if (dg_schedule_check(r->sigmas, r->T + 1, &err) != DG_OK) {
        cli_error("%s: /sigmas: %s", path, err.message);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* How the run was sampled, from /config where the file has it. */
typedef struct run_config {
    const dg_solver_type *solver;
    dg_solve_options opt;
    char solver_note[NOTE_SHORT];   /* why the solver is what it is, when it is a guess */
    char data[CONFIG_DATA_MAX];     /* /config/data, "" if absent */
    char denoiser[CONFIG_NAME_MAX]; /* /config/denoiser, "" if absent */
    size_t limit;                   /* /config/limit, 0 if absent */
    size_t samples;                 /* /config/samples: rows drawn from a mixture, 0 if absent */
} run_config;

static long config_int(const char *path, const char *name, long fallback)
{
    long v;
    size_t count;
    return dg_h5_read_attr_ints(path, "/config", name, &v, 1, &count, NULL) == DG_OK && count == 1
               ? v
               : fallback;
}

static void read_config_fields(const char *path, run_config *c)
{
    char solver[CONFIG_NAME_MAX];
    memset(c, 0, sizeof *c);
    if (dg_h5_read_attr_string(path, "/config", "solver", solver, sizeof solver, NULL) != DG_OK) {
        c->solver = &dg_solver_euler;
        snprintf(c->solver_note, sizeof c->solver_note,
                 "the run file names no solver (/config/solver): euler assumed");
    } else if (!(c->solver = dg_solver_find(solver))) {
        c->solver = &dg_solver_euler;
        snprintf(c->solver_note, sizeof c->solver_note,
                 "/config/solver '%s' is not one of diffgeo's solvers: euler used", solver);
    }
    c->opt.afs = config_int(path, "afs", 0) != 0;
    c->opt.denoise_to_zero = config_int(path, "denoise_to_zero", 0) != 0;
    c->opt.threshold = config_int(path, "threshold", 0) != 0;
    const long order = config_int(path, "max_order", 0);
    c->opt.max_order = order >= 1 && order <= DG_SOLVER_MAX_ORDER ? (unsigned)order : 0;
    const long limit = config_int(path, "limit", 0);
    c->limit = limit > 0 ? (size_t)limit : 0;
    const long samples = config_int(path, "samples", 0);
    c->samples = samples > 0 ? (size_t)samples : 0;
    if (dg_h5_read_attr_string(path, "/config", "data", c->data, sizeof c->data, NULL) != DG_OK)
        c->data[0] = '\0';
    if (dg_h5_read_attr_string(path, "/config", "denoiser", c->denoiser, sizeof c->denoiser,
                               NULL) != DG_OK)
        c->denoiser[0] = '\0';
}

typedef struct config_read {
    const char *path;
    run_config *c;
} config_read;

/* read_config_fields as a dg_h5_reader. */
static int read_config_reader(void *ctx, dg_error *err)
{
    (void)err;
    config_read *q = ctx;
    read_config_fields(q->path, q->c);
    return DG_OK;
}

/* /config, read as untrusted metadata (isolated, in bounded memory); a
 * /config that cannot be read counts as absent, with a note. */
static void read_config(const char *path, run_config *c)
{
    config_read q = {path, c};
    dg_error err;
    if (dg_h5_isolated_metadata(path, read_config_reader, &q, &err) == DG_OK)
        return;
    memset(c, 0, sizeof *c);
    c->solver = &dg_solver_euler;
    snprintf(c->solver_note, sizeof c->solver_note, "/config unreadable (%.*s): euler assumed",
             (int)(sizeof c->solver_note / 2), err.message);
}

/* ------------------------------------------------------------------------ */
/* The arrays to write                                                      */
/* ------------------------------------------------------------------------ */

#define METRICS_MAX 32
#define METRIC_TEXT 2048

typedef struct metric_list {
    dg_h5_array array[METRICS_MAX];
    double *data[METRICS_MAX];                  /* owned */
    char description[METRICS_MAX][METRIC_TEXT]; /* owned texts of the attributes */
    char note[METRICS_MAX][METRIC_TEXT];
    char name[METRICS_MAX][CONFIG_NAME_MAX]; /* "/metrics/NAME" */
    size_t count;
} metric_list;

static void metric_list_free(metric_list *l)
{
    for (size_t k = 0; k < l->count; k++)
        dg_doubles_free(l->data[k]);
    l->count = 0;
}

/*
 * Adds /metrics/NAME, an entry of dg_metric_infos, for the run r: its shape,
 * units and axes from the table, the description filled from v (may be
 * NULL), and note (NULL: the table's).  Returns its (uninitialised) buffer;
 * NULL after a message when out of memory.
 */
static double *metric_add(metric_list *l, const run_arrays *r, const char *name, const char *note,
                          const dg_metric_values *v)
{
    const dg_metric_info *m = dg_metric_info_find(name);
    size_t shape[DG_METRIC_RANK_MAX], rank = m ? dg_metric_shape(m, r->T, r->n, shape) : 0;
    size_t len = rank > 0;
    for (size_t k = 0; k < rank; k++)
        len = dg_size_fits(len, shape[k]) ? len * shape[k] : 0;
    double *data = l->count < METRICS_MAX && len ? dg_doubles_alloc(len, 1) : NULL;
    if (!data) {
        cli_error("cannot allocate /metrics/%s", name);
        return NULL;
    }
    if (!note)
        note = m->note;
    const size_t k = l->count++;
    dg_h5_array *a = &l->array[k];
    memset(a, 0, sizeof *a);
    l->data[k] = data;
    dg_metric_describe(m, v, l->description[k], METRIC_TEXT);
    if (note)
        snprintf(l->note[k], METRIC_TEXT, "%s", note);
    snprintf(l->name[k], sizeof l->name[k], "/metrics/%s", name);
    a->name = l->name[k];
    a->data = data;
    a->rank = rank;
    memcpy(a->shape, shape, rank * sizeof *shape);
    a->description = l->description[k];
    a->units = m->units;
    a->axes = m->axes;
    a->note = note ? l->note[k] : NULL;
    return data;
}

/* Removes a stale /metrics/NAME from an earlier analysis, if present. */
static void metric_remove(metric_list *l, const char *name)
{
    if (l->count >= METRICS_MAX)
        return;
    const size_t k = l->count++;
    snprintf(l->name[k], sizeof l->name[k], "/metrics/%s", name);
    memset(&l->array[k], 0, sizeof l->array[k]);
    l->array[k].name = l->name[k];
    l->data[k] = NULL;
}

/* Removes the arrays of an earlier --reference: they would not match the
 * measurements written now (the run may have been sampled again). */
static void remove_reference_metrics(metric_list *l)
{
    for (const dg_metric_info *m = dg_metric_infos; m->name; m++)
        if (m->reference)
            metric_remove(l, m->name);
}

/* ------------------------------------------------------------------------ */
/* Measurements of the run alone                                            */
/* ------------------------------------------------------------------------ */

static int basic_metrics(const run_arrays *r, metric_list *l)
{
    const size_t T = r->T, n = r->n, dim = r->dim;
    double *dev, *dev_d, *end, *end_d, *chord, *nx, *nd, *ndd, *cosine;
    if (!(dev = metric_add(l, r, "deviation", NULL, NULL)) ||
        !(dev_d = metric_add(l, r, "deviation_denoised", NULL, NULL)) ||
        !(end = metric_add(l, r, "distance_to_end", NULL, NULL)) ||
        !(end_d = metric_add(l, r, "distance_to_end_denoised", NULL, NULL)) ||
        !(chord = metric_add(l, r, "chord", NULL, NULL)) ||
        !(nx = metric_add(l, r, "norm_x", NULL, NULL)) ||
        !(nd = metric_add(l, r, "norm_denoised", NULL, NULL)) ||
        !(ndd = metric_add(l, r, "norm_d", NULL, NULL)) ||
        !(cosine = metric_add(l, r, "cosine", NULL, NULL)))
        return EXIT_FAILED;
    dg_metric_deviation(r->traj, T + 1, n, dim, dev);
    dg_metric_deviation(r->denoised, T, n, dim, dev_d);
    dg_metric_distance_to_end(r->traj, T + 1, n, dim, end);
    dg_metric_distance_to_end(r->denoised, T, n, dim, end_d);
    memcpy(chord, end, n * sizeof *chord); /* ‖x_0 − x_T‖ */
    dg_metric_norm(r->traj, T + 1, n, dim, nx);
    dg_metric_norm(r->denoised, T, n, dim, nd);
    dg_metric_norm_d(r->traj, r->denoised, r->sigmas, T, n, dim, ndd);
    dg_metric_cosine(r->traj, r->denoised, T, n, dim, cosine);
    return EXIT_OK;
}

/* The window actually used: capped at the number of points, odd. */
static size_t effective_window(size_t asked, size_t K)
{
    size_t w = asked < K ? asked : K;
    if (w % 2 == 0)
        w--;
    return w < DG_CURVATURE_WINDOW_MIN ? DG_CURVATURE_WINDOW_MIN : w;
}

static int shape_metrics(const run_arrays *r, size_t window, metric_list *l)
{
    const size_t K = r->T + 1, n = r->n, dim = r->dim;
    const size_t win = effective_window(window, K);
    char note[NOTE_SHORT];
    snprintf(note, sizeof note, "window of %zu points (asked %zu)%s", win, window,
             win > K ? ": longer than the trajectory, all NaN" : "");
    double *pca, *c3, *kappa, *tau;
    if (!(pca = metric_add(l, r, "pca2_error", NULL, NULL)) ||
        !(c3 = metric_add(l, r, "coords3d", NULL, NULL)) ||
        !(kappa = metric_add(l, r, "curvature", note, NULL)) ||
        !(tau = metric_add(l, r, "torsion", note, NULL)))
        return EXIT_FAILED;
    dg_metric_workspace *w = dg_metric_workspace_alloc(K, dim);
    if (!w) {
        cli_error("cannot allocate the principal-component workspace (%zu × %zu)", K, dim);
        return EXIT_FAILED;
    }
    dg_error err;
    int status = dg_metric_pca2_error(r->traj, K, n, dim, w, pca, &err);
    if (status == DG_OK)
        status = dg_metric_coords3d(r->traj, K, n, dim, w, c3, &err);
    if (status == DG_OK)
        status = dg_metric_curvature_torsion(c3, K, n, win, w, kappa, tau, &err);
    dg_metric_workspace_free(w);
    return status == DG_OK ? EXIT_OK : cli_fail(&err);
}

/* ------------------------------------------------------------------------ */
/* Measurements against the optimal denoiser of reference data              */
/* ------------------------------------------------------------------------ */

/* out[i] ← D(x_i; σ_i) for the T evaluated blocks of traj (each n × dim). */
static int eval_rows(dg_denoiser *den, const run_arrays *r, const double *traj, double *out)
{
    const size_t block = r->n * r->dim;
    dg_error err;
    for (size_t i = 0; i < r->T; i++)
        if (dg_denoiser_eval(den, traj + i * block, r->n, r->sigmas[i], out + i * block, &err) !=
            DG_OK)
            return cli_fail(&err);
    return EXIT_OK;
}

/*
 * The two bandwidths of the density estimate at point k of a run: σ_{k−1},
 * the end of step k − 1, and σ_k, the start of step k.
 */
enum { H_AFTER, H_BEFORE, H_PER_POINT };

/*
 * The KDE of the reference rows at every point of the run, one pass over
 * the data for all of them: logp [T+1][n][2] at the bandwidths σ_{k−1} (the
 * end of step k − 1) and σ_k (the start of step k), nn2 [T+1][n] the squared
 * nearest distances.  On an MPI job each process passes its shard and all
 * get the whole result (collective).
 */
static int kde_estimate(const run_arrays *r, const dg_dataset *ref, double **logp, double **nn2)
{
    const size_t T = r->T, n = r->n, K = T + 1;
    double *h = dg_doubles_alloc(K * n, H_PER_POINT);
    *logp = dg_doubles_alloc(K * n, H_PER_POINT);
    *nn2 = dg_doubles_alloc(K, n);
    dg_error err;
    int status = h && *logp && *nn2 ? DG_OK
                                    : dg_error_set(&err, DG_ENOMEM,
                                                   "cannot allocate the "
                                                   "density estimates of %zu points",
                                                   K * n);
    for (size_t k = 0; status == DG_OK && k < K; k++)
        for (size_t s = 0; s < n; s++) {
            h[(k * n + s) * H_PER_POINT + H_AFTER] = k > 0 ? r->sigmas[k - 1] : NAN;
            h[(k * n + s) * H_PER_POINT + H_BEFORE] = k < T ? r->sigmas[k] : NAN;
        }
    /* On an MPI job every process learns of a failure before the others
     * wait for it in messages. */
    status = cli_mpi_agree_error(status, &err);
    if (status == DG_OK)
        status = dg_metric_kde_shard(ref->x, ref->n, ref->dim, ref->total, cli_mpi_comm(), r->traj,
                                     K * n, h, H_PER_POINT, *logp, *nn2, NULL, &err);
    dg_doubles_free(h);
    return status == DG_OK ? EXIT_OK : cli_fail(&err);
}

/* The likelihood and nearest-neighbour arrays from kde_estimate's results. */
static int kde_metrics(const run_arrays *r, const double *logp, const double *nn2,
                       const double *mshift, const char *note, metric_list *l)
{
    const size_t T = r->T, n = r->n;
    double *before, *after, *bound, *viol, *nn, *ratio;
    const double sigma_min = r->sigmas[T] > 0 ? r->sigmas[T] : r->sigmas[T - 1];
    const dg_metric_values v = {.sigma_min = sigma_min};
    if (!(before = metric_add(l, r, "kde_loglik_before", note, NULL)) ||
        !(after = metric_add(l, r, "kde_loglik_after", note, NULL)) ||
        !(bound = metric_add(l, r, "kde_gain_bound", note, NULL)) ||
        !(viol = metric_add(l, r, "kde_violations", note, NULL)) ||
        !(nn = metric_add(l, r, "nn_distance", note, NULL)) ||
        !(ratio = metric_add(l, r, "nn_distance_ratio", note, &v)))
        return EXIT_FAILED;
    for (size_t i = 0; i < T; i++) {
        viol[i] = 0;
        for (size_t s = 0; s < n; s++) {
            before[i * n + s] = logp[(i * n + s) * H_PER_POINT + H_BEFORE];
            after[i * n + s] = logp[((i + 1) * n + s) * H_PER_POINT + H_AFTER];
            viol[i] += after[i * n + s] < before[i * n + s];
        }
    }
    dg_metric_kde_gain_bound(r->traj, mshift, r->sigmas, T, n, r->dim, bound);
    for (size_t s = 0; s < n; s++) {
        nn[s] = sqrt(nn2[T * n + s]);
        ratio[s] = nn[s] / (sigma_min * sqrt((double)r->dim));
    }
    return EXIT_OK;
}

/* The reference data, D* and everything computed from them, for reference_metrics. */
typedef struct reference_run {
    const analyze_options *o;
    const run_arrays *r;
    run_config cfg;
    cli_progress progress;
    cli_model_options mo;
    cli_model ref;
    dg_dataset *own_data;                /* the run's data, when not the reference's */
    dg_denoiser *own_den;                /* the run's denoiser built on own_data */
    dg_denoiser *run_den;                /* the run's denoiser: ref.den or own_den */
    double *xstar, *dstar, *dref, *drun; /* x*, D*(x*), D*(x), D(x*) */
    double *logp, *nn2;                  /* of kde_estimate */
    char note[METRIC_TEXT / 4];          /* the reference data */
    char solver_note[METRIC_TEXT / 2];   /* and how x* was integrated */
    char why[METRIC_TEXT / 2];           /* why optimal_self is not written */
} reference_run;

/* Writes why optimal_self is not written (printf-style) and returns false. */
static bool no_self(reference_run *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool no_self(reference_run *q, const char *fmt, ...)
{
    static const char prefix[] = "optimal_self not written: ";
    va_list ap;
    va_start(ap, fmt);
    snprintf(q->why, sizeof q->why, "%s", prefix);
    vsnprintf(q->why + strlen(prefix), sizeof q->why - strlen(prefix), fmt, ap);
    va_end(ap);
    return false;
}

/* Loads the rows `spec` names (the first `limit`; each process its shard on an
 * MPI job) and builds their empirical denoiser in q->own_den. */
static bool load_run_denoiser(reference_run *q, const char *spec, size_t limit)
{
    dg_error err;
    dg_data_options dopt = cli_shard_options(limit);
    dopt.want_dim = q->r->dim; /* refused before its rows are allocated */
    /* Rows of any form, synthetic:NAME,n=N (rows drawn from a mixture) too. */
    int status = cli_mpi_agree_error(cli_load_rows(spec, &dopt, &q->own_data, &err), &err);
    if (status == DG_OK) {
        dg_dataset *d = q->own_data;
        status = dg_denoiser_empirical_shard(d->x, d->n, d->dim, d->total, cli_mpi_comm(),
                                             &q->own_den, &err);
        if (status == DG_OK)
            d->x = NULL; /* adopted */
        status = cli_mpi_agree_error(status, &err);
    }
    if (status != DG_OK)
        return no_self(q, "cannot re-create the run's denoiser: %s", err.message);
    return true;
}

/* The largest relative error of q->run_den against /denoised at the last
 * evaluation; every process gets the same (the evaluation is collective). */
static double reproduction_error(const reference_run *q)
{
    const run_arrays *r = q->r;
    const size_t i = r->T - 1, block = r->n * r->dim;
    dg_error err;
    double *check = dg_doubles_alloc(r->n + 1, r->dim);
    double worst = INFINITY;
    int status = check ? DG_OK : dg_error_set(&err, DG_ENOMEM, "out of memory");
    status = cli_mpi_agree_error(status, &err);
    if (status == DG_OK)
        status = dg_denoiser_eval(q->run_den, r->traj + i * block, r->n, r->sigmas[i], check, &err);
    if (status != DG_OK)
        goto free_check;
    if (q->cfg.opt.threshold)
        dg_dynamic_threshold(check, r->n, r->dim, check + block);
    worst = 0;
    for (size_t s = 0; s < r->n; s++) {
        const double *want = r->denoised + i * block + s * r->dim;
        const double e = sqrt(dg_sqdist(check + s * r->dim, want, r->dim) /
                              fmax(dg_sqnorm(want, r->dim), DBL_MIN));
        worst = fmax(worst, e);
    }
free_check:
    dg_doubles_free(check);
    return worst;
}

/* /fit of a run file as a dg_h5_reader: /fit/means must be [K][dim], K the
 * components /config/denoiser names, before any array of /fit is read. */
typedef struct fit_read {
    const char *path;
    size_t K, dim;
    dg_gmm **fit;
} fit_read;

static int read_fit(void *ctx, dg_error *err)
{
    const fit_read *q = ctx;
    dg_h5_array_info means;
    int status = dg_h5_describe_array(q->path, "/fit/means", &means, err);
    if (status != DG_OK)
        return status;
    if (means.rank != 2 || means.shape[0] != q->K || means.shape[1] != q->dim)
        return dg_error_set(err, DG_EFORMAT,
                            "%s:/fit/means is not [%zu][%zu] (the components of "
                            "/config/denoiser, the run's dimension)",
                            q->path, q->K, q->dim);
    return dg_gmm_load_group(q->path, "/fit", q->fit, err);
}

/* A fitted run (--denoiser gaussian or gmm-fit:K): its denoiser is the
 * mixture stored under /fit, loaded into q->own_den.  /fit is untrusted like
 * the rest of the file: read isolated, its shape checked before its values
 * are read (each array's storage too, by dg_h5_read_array), in bounded memory. */
static bool load_fitted_denoiser(reference_run *q)
{
    dg_error err;
    dg_gmm *fit = NULL;
    const size_t K = cli_model_fit_components(q->cfg.denoiser);
    if (K == 0)
        return no_self(q, "/config/denoiser '%s' names no number of components", q->cfg.denoiser);
    fit_read r = {q->o->path, K, q->r->dim, &fit};
    int status = dg_h5_isolated(q->o->path, read_fit, &r, &err);
    if (status == DG_OK)
        status = dg_denoiser_gmm_alloc(fit, &q->own_den, &err);
    dg_gmm_free(fit);
    if (cli_mpi_agree_error(status, &err) != DG_OK)
        return no_self(q, "cannot re-create the run's fitted denoiser from /fit: %s", err.message);
    return true;
}

/*
 * A mixture run (--denoiser gmm on gmm:FILE or synthetic:NAME): its denoiser
 * is the exact one of the mixture /config/data names, loaded into q->own_den
 * (a mixture file read isolated).  The command line names no mixture (the
 * reference is rows), so only with --trust-config.
 */
static bool load_mixture_denoiser(reference_run *q)
{
    const char *spec = q->cfg.data;
    if (!q->o->trust_config)
        return no_self(q,
                       "cannot re-create the run's mixture denoiser without --trust-config: "
                       "/config/data '%s' names a mixture the command line did not",
                       spec);
    dg_error err;
    dg_dataset *rows = NULL;
    dg_gmm *mixture = NULL;
    const dg_data_options dopt = {.isolate_hdf5 = true};
    int status = dg_source_load(spec, &dopt, &rows, &mixture, &err);
    if (status == DG_OK && !mixture)
        status = dg_error_set(&err, DG_EINVAL, "'%s' is data rows, not a mixture", spec);
    if (status == DG_OK)
        status = dg_denoiser_gmm_alloc(mixture, &q->own_den, &err);
    dg_dataset_free(rows);
    dg_gmm_free(mixture);
    if (cli_mpi_agree_error(status, &err) != DG_OK)
        return no_self(q, "cannot re-create the run's mixture denoiser: %s", err.message);
    return true;
}

/*
 * The run's own denoiser, re-created from /config/data and /config/limit
 * (empirical), from the rows the run stored in /samples_data (empirical on
 * rows drawn by --samples: the run file is named on the command line, so no
 * --trust-config is needed), from /fit (gaussian, gmm-fit:K) or from the
 * mixture /config/data names (gmm, with --trust-config), and accepted only if it
 * reproduces /denoised at the last evaluation.  True with q->run_den set to
 * the reference's (same data) or to q->own_den; else false with the reason
 * in q->why.
 */
static bool recreate_run_denoiser(reference_run *q)
{
    const run_config *c = &q->cfg;
    const analyze_options *o = q->o;
    const bool fitted =
        strcmp(c->denoiser, "gaussian") == 0 || strncmp(c->denoiser, "gmm-fit:", 8) == 0;
    const bool mixture = strcmp(c->denoiser, "gmm") == 0;
    if (!c->data[0] || (!fitted && !mixture && strcmp(c->denoiser, "empirical") != 0))
        return no_self(q,
                       "the run's denoiser%s%s%s cannot be re-created (no /config/data with "
                       "denoiser 'empirical', 'gmm', 'gaussian' or 'gmm-fit:K')",
                       c->denoiser[0] ? " '" : "", c->denoiser, c->denoiser[0] ? "'" : "");
    if (c->opt.afs && q->r->T == 1)
        return no_self(q, "the run's only evaluation is AFS's analytic substitute, so its "
                          "denoiser cannot be checked");
    /* The empirical denoiser's rows: those /config names, or the run's own. */
    const bool drawn = !fitted && !mixture && c->samples > 0;
    char drawn_spec[CONFIG_DATA_MAX];
    const int len =
        drawn ? snprintf(drawn_spec, sizeof drawn_spec, "h5:%s:/samples_data", o->path) : 0;
    if (len < 0 || (size_t)len >= sizeof drawn_spec)
        return no_self(q, "the run file's name is too long to read its /samples_data");
    const char *data = drawn ? drawn_spec : c->data;
    const size_t limit = drawn ? 0 : c->limit;
    const bool same_data = strcmp(data, o->reference) == 0;
    /* The rows of the --reference data the user named, or a first part of them. */
    const bool within_reference =
        same_data && limit && (!o->reference_limit || limit <= o->reference_limit);
    if (fitted || mixture) {
        if (!(fitted ? load_fitted_denoiser(q) : load_mixture_denoiser(q)))
            return false;
        q->run_den = q->own_den;
    } else if (same_data && limit == o->reference_limit)
        q->run_den = q->ref.den;
    else if (!drawn && !within_reference && !o->trust_config)
        return no_self(q,
                       "cannot re-create the run's denoiser without --trust-config: "
                       "/config/data '%s'%s names data the command line did not",
                       c->data, same_data ? " (all its rows)" : "");
    else if (load_run_denoiser(q, data, limit))
        q->run_den = q->own_den;
    else
        return false;
    if (dg_denoiser_dim(q->run_den) != q->r->dim)
        return no_self(q, "the data '%s' have dimension %zu, the run %zu", data,
                       dg_denoiser_dim(q->run_den), q->r->dim);
    const double worst = reproduction_error(q);
    if (!(worst <= ANALYZE_REPRODUCE_TOL))
        return no_self(q, "the denoiser of '%s' does not reproduce /denoised (relative error %.3g)",
                       data, worst);
    return true;
}

/* Loads the reference rows (for the density estimates first; the denoiser
 * takes them over later: one copy of the data) and writes the notes. */
static int load_reference(reference_run *q)
{
    const analyze_options *o = q->o;
    read_config(o->path, &q->cfg);
    cli_progress_init(&q->progress, "optimal trajectory");
    q->progress.enabled &= !o->quiet;
    q->mo = (cli_model_options){.spec = o->reference,
                                .limit = o->reference_limit,
                                .denoiser = "empirical",
                                .announce = q->progress.enabled,
                                .adopt_rows = 1,
                                .data_only = 1,
                                .want_dim = q->r->dim};
    const int rc = cli_model_load_ex(&q->mo, &q->ref);
    if (rc != EXIT_OK)
        return rc == EXIT_USAGE ? EXIT_USAGE : EXIT_FAILED;
    if (q->ref.dim != q->r->dim) {
        cli_error("--reference %s: data of dimension %zu, the run's points %zu", o->reference,
                  q->ref.dim, q->r->dim);
        return EXIT_FAILED;
    }
    const run_config *c = &q->cfg;
    snprintf(q->note, sizeof q->note, "reference D*: the exact empirical denoiser of %s (%zu rows)",
             o->reference, q->ref.data->total);
    snprintf(q->solver_note, sizeof q->solver_note, "%s; x* by %s%s%s%s%s", q->note,
             c->solver->name, c->opt.afs ? ", AFS" : "",
             c->opt.threshold ? ", dynamic thresholding" : "", c->solver_note[0] ? "; " : "",
             c->solver_note);
    return EXIT_OK;
}

/* The density estimates, then D* built on the rows, D*(x_i) and the KDE's arrays. */
static int reference_density(reference_run *q, metric_list *l)
{
    const run_arrays *r = q->r;
    const size_t T = r->T, n = r->n, dim = r->dim;
    int rc = EXIT_FAILED;
    q->xstar = dg_doubles_alloc((T + 1) * n, dim);
    q->dstar = dg_doubles_alloc(T * n, dim);
    q->dref = dg_doubles_alloc(T * n, dim);
    q->drun = dg_doubles_alloc(T * n, dim);
    if (!q->xstar || !q->dstar || !q->dref || !q->drun)
        cli_error("cannot allocate optimal trajectories of %zu × %zu × %zu doubles", T + 1, n, dim);
    else
        rc = EXIT_OK;
    if ((rc = cli_mpi_agree(rc)) != EXIT_OK ||
        (rc = kde_estimate(r, q->ref.data, &q->logp, &q->nn2)) != EXIT_OK)
        return rc;
    q->mo.data_only = 0;
    if ((rc = cli_model_build_denoiser(&q->mo, &q->ref)) != EXIT_OK)
        return rc;
    /* D*(x_i): the score deviation along the run, and the mean shift of the KDE. */
    if ((rc = eval_rows(q->ref.den, r, r->traj, q->dref)) == EXIT_OK)
        rc = kde_metrics(r, q->logp, q->nn2, q->dref, q->note, l);
    return cli_mpi_agree(rc);
}

/* x* and D*(x*): the run's solver from x_0 on /sigmas with D*. */
static int optimal_trajectory(reference_run *q)
{
    const run_arrays *r = q->r;
    const bool cluster = cli_mpi_size() > 1;
    cli_watch watch = {&q->progress, 0};
    dg_solve_options sopt = q->cfg.opt;
    sopt.progress = cluster ? cli_watch_step : cli_progress_update;
    sopt.progress_ctx = cluster ? (void *)&watch : (void *)&q->progress;
    sopt.cancel = cluster ? &watch.cancel : &cli_interrupted;
    cli_catch_signals();
    dg_error err;
    const int solved = dg_solve(q->cfg.solver, q->ref.den, r->sigmas, r->T + 1, r->n, r->dim,
                                r->traj, q->xstar, q->dstar, &sopt, NULL, &err);
    cli_progress_done(&q->progress);
    if (solved != DG_OK)
        return cli_fail(&err);
    /* The solver records AFS's substitute and thresholded values; D* itself is wanted. */
    if (q->cfg.opt.afs || q->cfg.opt.threshold)
        return eval_rows(q->ref.den, r, q->xstar, q->dstar);
    return EXIT_OK;
}

/* The arrays of x* and D*, and optimal_self when the run's denoiser is re-created. */
static int optimal_metrics(reference_run *q, metric_list *l)
{
    const run_arrays *r = q->r;
    const size_t T = r->T, n = r->n, dim = r->dim;
    const bool have_run_den = recreate_run_denoiser(q);
    char score_note[METRIC_TEXT];
    snprintf(score_note, sizeof score_note, "%s%s%s", q->note, have_run_den ? "" : "; ",
             have_run_den ? "" : q->why);
    double *to_opt, *den_opt, *score, *self;
    int rc = EXIT_FAILED;
    if ((to_opt = metric_add(l, r, "distance_to_optimal", q->solver_note, NULL)) &&
        (den_opt = metric_add(l, r, "denoised_vs_optimal", q->solver_note, NULL)) &&
        (score = metric_add(l, r, "score_deviation", score_note, NULL))) {
        dg_metric_distance(r->traj, q->xstar, T + 1, n, dim, to_opt);
        dg_metric_distance(r->denoised, q->dstar, T, n, dim, den_opt);
        dg_metric_distance(r->denoised, q->dref, T, n, dim, score);
        rc = EXIT_OK;
    }
    if (!have_run_den) {
        metric_remove(l, "optimal_self");
        return rc;
    }
    if ((rc = cli_mpi_agree(rc)) != EXIT_OK ||
        (rc = eval_rows(q->run_den, r, q->xstar, q->drun)) != EXIT_OK)
        return rc;
    const dg_metric_values v = {.data = q->cfg.data, .limit = q->cfg.limit};
    if (!(self = metric_add(l, r, "optimal_self", q->solver_note, &v)))
        return EXIT_FAILED;
    dg_metric_distance(q->drun, q->dstar, T, n, dim, self);
    return EXIT_OK;
}

/*
 * On an MPI job each process holds a shard of the reference data and the
 * evaluations of D* and the density estimates are collective: before each,
 * the processes agree on whether all got there (cli_mpi_agree), so that a
 * failure on one stops them all instead of leaving the others waiting.
 * Every process computes every array; process 0 writes them.
 */
static int reference_metrics(const analyze_options *o, const run_arrays *r, metric_list *l)
{
    reference_run *q = calloc(1, sizeof *q);
    if (!q) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    q->o = o;
    q->r = r;
    int rc = load_reference(q);
    if (rc == EXIT_OK)
        rc = reference_density(q, l);
    if (rc == EXIT_OK)
        rc = optimal_trajectory(q);
    if (rc == EXIT_OK)
        rc = optimal_metrics(q, l);
    dg_doubles_free(q->xstar);
    dg_doubles_free(q->dstar);
    dg_doubles_free(q->dref);
    dg_doubles_free(q->drun);
    dg_doubles_free(q->logp);
    dg_doubles_free(q->nn2);
    dg_denoiser_free(q->own_den);
    dg_dataset_free(q->own_data);
    cli_model_free(&q->ref);
    free(q);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The command                                                              */
/* ------------------------------------------------------------------------ */

int cmd_analyze(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    analyze_options o = {.window = ANALYZE_WINDOW};
    bool helped;
    int rc = parse(argc, argv, &o, &helped);
    if (rc != EXIT_OK || helped)
        return rc;

    /* A path analyze could not write back is refused before the work. */
    dg_output_path out;
    dg_error err;
    if (dg_file_resolve_output(o.path, &out, &err) != DG_OK)
        return cli_fail(&err);
    /* The version measured is the version written to: another program's
     * file written meanwhile is never given these measurements. */
    dg_file_version version;
    if (dg_file_version_of(o.path, &version, &err) != DG_OK)
        return cli_fail(&err);
    cli_catch_signals();
    run_arrays r = {0};
    metric_list *l = calloc(1, sizeof *l); /* about 140 kB of texts: not on the stack */
    if (!l) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    rc = read_run(o.path, &r);
    if (rc == EXIT_OK)
        rc = basic_metrics(&r, l);
    if (rc == EXIT_OK)
        rc = shape_metrics(&r, o.window, l);
    /* On an MPI job every process reads the run and measures it alike; the
     * reference measurements are collective, process 0 writes. */
    if (o.reference && (rc = cli_mpi_agree(rc)) == EXIT_OK)
        rc = reference_metrics(&o, &r, l);
    else if (rc == EXIT_OK)
        remove_reference_metrics(l);
    if (cli_mpi_interrupted() && rc == EXIT_OK) {
        cli_error("interrupted; %s unchanged", o.path);
        rc = cli_interrupted_status();
    }
    const dg_h5_write_options wopt = {.cancel = &cli_interrupted, .expect = &version};
    if (rc == EXIT_OK && cli_mpi_rank() == 0 &&
        dg_h5_add_arrays_ex(o.path, l->array, l->count, &wopt, &err) != DG_OK)
        rc = cli_fail(&err);
    metric_list_free(l);
    free(l);
    run_arrays_free(&r);
    return rc;
}
