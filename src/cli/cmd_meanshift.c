/* diffgeo meanshift: Gaussian mean shift (fixed, annealed) and scikit-learn's flat MeanShift. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "meanshift";

static void help(void)
{
    printf("Usage: diffgeo meanshift --data SPEC [OPTION]... -o OUT.h5\n"
           "Mean shift on the data, in one of three modes:\n"
           "\n"
           "  Gaussian kernel, fixed bandwidth (--bandwidth H): x ← m_H(x), the\n"
           "  Gaussian-weighted mean of the data around x, which is the exact optimal\n"
           "  denoiser D*(x; σ = H).  Every data point (or --init point) climbs until\n"
           "  all of them move by at most tol·H in one iteration, or --max-iter.\n"
           "\n"
           "  Gaussian kernel, annealed bandwidth (--anneal SCHEDULE): on a decreasing σ\n"
           "  grid, x_{i+1} = (σ_{i+1}/σ_i) x_i + (1 − σ_{i+1}/σ_i) m_{σ_i}(x_i), which\n"
           "  is an Euler step of the probability-flow ODE: the run reproduces\n"
           "  'diffgeo sample --solver euler' from the same starts.  A step to σ = 0\n"
           "  (--final-zero) is one classic mean-shift iteration.\n"
           "\n"
           "  Flat kernel (--kernel flat): scikit-learn's sklearn.cluster.MeanShift,\n"
           "  step for step: the mean of the points within distance H, H from\n"
           "  estimate_bandwidth(quantile=0.3) unless given, optional bin seeding,\n"
           "  then centres sorted by how many points they hold, near duplicates\n"
           "  (within H) removed, and every point labelled by its nearest centre.\n"
           "\n"
           "Data and kernel:\n"
           "  -d, --data SPEC        data, as for 'diffgeo sample' (see its --help)\n"
           "      --limit N          use the first N rows of the data\n"
           "      --samples N        draw N rows from a mixture given as --data (seeded\n"
           "                         from --seed, as 'diffgeo sample') and use them\n"
           "      --kernel NAME      gaussian (default) or flat\n"
           "      --bandwidth H      kernel bandwidth (required for gaussian without\n"
           "                         --anneal; flat: estimated when absent)\n"
           "      --tol T            stop when every point moves by ≤ T·H (gaussian;\n"
           "                         0: run exactly --max-iter iterations) or by < T·H\n"
           "                         (flat, per seed) [0.001]\n"
           "      --max-iter N       at most N iterations (flat: scikit-learn's max_iter,\n"
           "                         at most N + 1 updates per seed) [300]\n"
           "\n"
           "Flat kernel only:\n"
           "      --quantile Q       quantile of estimate_bandwidth [0.3]\n"
           "      --bin-seeding      seeds at the centres round(y/H)·H of occupied bins\n"
           "                         (scikit-learn's get_bin_seeds) instead of every point\n"
           "      --min-bin-freq N   bins need at least N points to give a seed [1]\n"
           "\n"
           "Annealing (Gaussian kernel):\n");
    char names[CLI_NAMES_MAX], text[2 * CLI_NAMES_MAX];
    cli_schedule_names(names, sizeof names, NULL);
    snprintf(text, sizeof text,
             "the σ grid: %s, or an explicit grid list:80,10.98,…,0.002 or h5:FILE[:/sigmas]",
             names);
    cli_help_item("      --anneal NAME", CLI_OPTION_COLUMN, text);
    printf("      --steps N          timestamps from σ_max to σ_min [18]\n"
           "      --sigma-max S      [80]    --sigma-min S [0.002]    --rho R [7, 1]\n"
           "      --final-zero       append σ = 0: a last plain mean-shift iteration\n"
           "  -n, --n COUNT          start points x_0 = σ_max z, as 'diffgeo sample' [16]\n"
           "      --seed K           seed of those start points, as 'diffgeo sample' [0]\n"
           "\n"
           "Start points (all modes):\n"
           "      --init SPEC        start points or seeds from a data SPEC (COUNT × d);\n"
           "                         without it fixed-bandwidth runs start from every data\n"
           "                         point and annealed runs from the seed\n"
           "\n"
           "Output:\n"
           "  -o, --output OUT.h5    /path [iterations+1][n][d], every iterate (annealed:\n"
           "                         per grid point, with /sigmas and /targets m_σ(x));\n"
           "                         flat: /path of the seeds, /counts, /modes [M][d] in\n"
           "                         scikit-learn's order and int64 /labels [N]; /data\n"
           "                         (or /samples_data); written atomically\n" CLI_SAVE_DATA_HELP
           "  -q, --quiet            no progress line\n"
           "  -h, --help             show this help\n"
           "\n"
           "Examples:\n"
           "  diffgeo meanshift --data synthetic:gmm,n=500,d=2 --bandwidth 0.1 -o ms.h5\n"
           "  diffgeo meanshift --data fashion-mnist --limit 2000 --anneal edm --steps 21 \\\n"
           "      -n 8 -o annealed.h5\n"
           "  diffgeo meanshift --data h5:blobs.h5:/x --kernel flat --bin-seeding -o flat.h5\n");
}

typedef struct ms_options {
    cli_common c; /* --data, -o, --quiet, --limit, --seed */
    const char *init;
    const struct kernel *kernel;
    cli_grid grid;
    double *sigmas; /* --anneal: the grid, made before the data are loaded */
    size_t nsigmas;
    double bandwidth, tol, quantile;
    size_t max_iter, n, min_bin_freq;
    bool anneal, bin_seeding;
    /* Options given on the command line, for the checks of parse(). */
    bool set_tol, set_max_iter, set_n, set_quantile, set_min_bin_freq;
} ms_options;

/* A kernel: the denoiser it needs (NULL: the data alone) and its run. */
typedef struct kernel {
    const char *name;
    const char *denoiser;
    int (*run)(const ms_options *o, const char *command_line, cli_model *model,
               cli_progress *progress);
} kernel;

static int run_gaussian(const ms_options *o, const char *command_line, cli_model *model,
                        cli_progress *progress);
static int run_flat(const ms_options *o, const char *command_line, cli_model *model,
                    cli_progress *progress);

static const kernel kernels[] = {
    {"gaussian", "empirical", run_gaussian},
    {"flat", NULL, run_flat},
};

static const kernel *kernel_find(const char *name)
{
    for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
        if (strcmp(name, kernels[k].name) == 0)
            return &kernels[k];
    return NULL;
}

enum {
    OPT_KERNEL = 2000,
    OPT_BANDWIDTH,
    OPT_TOL,
    OPT_MAX_ITER,
    OPT_QUANTILE,
    OPT_BIN_SEEDING,
    OPT_MIN_BIN_FREQ,
    OPT_INIT
};

/* Checks of option combinations; a usage error names the first conflict. */
static int check_combinations(const ms_options *o)
{
    const cli_grid *g = &o->grid;
    const int flat = o->kernel->run == run_flat;
    const int missing = cli_common_check(COMMAND, &o->c, "OUT.h5");
    if (missing != EXIT_OK)
        return missing;
    if (o->anneal) {
        if (flat)
            return cli_usage_error(COMMAND, "--anneal needs the gaussian kernel");
        if (o->bandwidth > 0)
            return cli_usage_error(COMMAND, "--anneal and --bandwidth exclude each other: "
                                            "the grid gives the bandwidths");
        if (o->set_tol || o->set_max_iter)
            return cli_usage_error(COMMAND, "--tol and --max-iter do not apply to --anneal: "
                                            "the grid fixes the steps");
        if (o->init && o->c.set_seed)
            return cli_usage_error(COMMAND, "--init and --seed both give the start points");
    } else {
        if (g->set_steps || g->set_sigma_min || g->set_sigma_max || g->rho > 0 || g->final_zero)
            return cli_usage_error(COMMAND, "--steps, --sigma-min, --sigma-max, --rho and "
                                            "--final-zero apply to --anneal");
        if (o->set_n || (o->c.set_seed && !o->c.samples))
            return cli_usage_error(COMMAND, "-n and --seed draw start points for --anneal; "
                                            "a fixed bandwidth starts from the data or --init");
        if (!flat && !(o->bandwidth > 0))
            return cli_usage_error(COMMAND, "missing --bandwidth H (or --anneal SCHEDULE)");
    }
    if (!flat && (o->bin_seeding || o->set_min_bin_freq || o->set_quantile))
        return cli_usage_error(COMMAND, "--bin-seeding, --min-bin-freq and --quantile apply "
                                        "to --kernel flat");
    if (o->set_min_bin_freq && !o->bin_seeding)
        return cli_usage_error(COMMAND, "--min-bin-freq applies to --bin-seeding");
    if (o->bin_seeding && o->init)
        return cli_usage_error(COMMAND, "--bin-seeding and --init both choose the seeds");
    if (o->set_quantile && o->bandwidth > 0)
        return cli_usage_error(COMMAND, "--quantile estimates the bandwidth: drop it or "
                                        "--bandwidth");
    /* On an MPI job no process holds all the data: the Gaussian kernel runs
     * there (the denoiser spans the processes) from starts that are not the
     * data rows.  The other modes move every row: their iterates, and the
     * /path written, are the whole data (times the iterations). */
    if (cli_mpi_size() > 1 && (flat || (!o->anneal && !o->init)))
        return cli_usage_error(COMMAND, "on several MPI processes only the Gaussian kernel "
                                        "runs, annealed or from --init points (the flat "
                                        "kernel and starts at the data rows move all the "
                                        "data: run them on one process)");
    return EXIT_OK;
}

/* Parses a positive number for --bandwidth or --quantile (≤ 1 with at_most_one). */
static int parse_positive(const char *option, const char *text, bool at_most_one, double *out)
{
    if (cli_parse_double(COMMAND, option, text, out) != 0)
        return EXIT_USAGE;
    if (!(*out > 0) || (at_most_one && *out > 1))
        return cli_usage_error(COMMAND, "--%s %s: must be positive%s", option, text,
                               at_most_one ? " and at most 1" : "");
    return EXIT_OK;
}

/* meanshift's own options; --anneal is the grid's --schedule.  A cli_parser option. */
static int meanshift_option(void *ctx, int opt, const char *arg)
{
    ms_options *o = ctx;
    switch (opt) {
    case OPT_SCHEDULE:
        o->anneal = true;
        return CLI_OPTION_SHARED;
    case 'n':
        o->set_n = true;
        return cli_parse_count(COMMAND, "n", arg, "start point", &o->n) == 0 ? EXIT_OK : EXIT_USAGE;
    case OPT_KERNEL:
        o->kernel = kernel_find(arg);
        if (!o->kernel)
            return cli_usage_error(COMMAND, "unknown kernel '%s' (gaussian, flat)", arg);
        return EXIT_OK;
    case OPT_BANDWIDTH:
        return parse_positive("bandwidth", arg, false, &o->bandwidth);
    case OPT_TOL:
        o->set_tol = true;
        if (cli_parse_double(COMMAND, "tol", arg, &o->tol) != 0)
            return EXIT_USAGE;
        if (!(o->tol >= 0))
            return cli_usage_error(COMMAND, "--tol %s: must be non-negative", arg);
        return EXIT_OK;
    case OPT_MAX_ITER:
        o->set_max_iter = true;
        if (cli_parse_size(COMMAND, "max-iter", arg, &o->max_iter) != 0)
            return EXIT_USAGE;
        if (o->max_iter > CLI_STEPS_MAX)
            return cli_usage_error(COMMAND, "--max-iter %s: at most %d", arg, CLI_STEPS_MAX);
        return EXIT_OK;
    case OPT_QUANTILE:
        o->set_quantile = true;
        return parse_positive("quantile", arg, true, &o->quantile);
    case OPT_BIN_SEEDING:
        o->bin_seeding = true;
        return EXIT_OK;
    case OPT_MIN_BIN_FREQ:
        o->set_min_bin_freq = true;
        return cli_parse_count(COMMAND, "min-bin-freq", arg, "point", &o->min_bin_freq) == 0
                   ? EXIT_OK
                   : EXIT_USAGE;
    case OPT_INIT:
        o->init = arg;
        return EXIT_OK;
    default:
        return CLI_OPTION_SHARED;
    }
}

/* The options of o; *helped after --help.  An exit code. */
static int parse(int argc, char **argv, ms_options *o, bool *helped)
{
    static const struct option longopts[] = {
        {"n", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"kernel", required_argument, NULL, OPT_KERNEL},
        {"bandwidth", required_argument, NULL, OPT_BANDWIDTH},
        {"tol", required_argument, NULL, OPT_TOL},
        {"max-iter", required_argument, NULL, OPT_MAX_ITER},
        {"quantile", required_argument, NULL, OPT_QUANTILE},
        {"bin-seeding", no_argument, NULL, OPT_BIN_SEEDING},
        {"min-bin-freq", required_argument, NULL, OPT_MIN_BIN_FREQ},
        {"init", required_argument, NULL, OPT_INIT},
        {"anneal", required_argument, NULL, OPT_SCHEDULE},
        {"steps", required_argument, NULL, OPT_STEPS},
        {"sigma-min", required_argument, NULL, OPT_SIGMA_MIN},
        {"sigma-max", required_argument, NULL, OPT_SIGMA_MAX},
        {"rho", required_argument, NULL, OPT_RHO},
        {"final-zero", no_argument, NULL, OPT_FINAL_ZERO},
        {"samples", required_argument, NULL, OPT_SAMPLES},
        CLI_COMMON_OPTIONS,
        CLI_SAVE_DATA_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":d:o:n:qh",
                          .longopts = longopts,
                          .help = help,
                          .option = meanshift_option,
                          .ctx = o,
                          .grid = &o->grid,
                          .common = &o->c};
    int first;
    const int rc = cli_parse_options(&p, argc, argv, &first);
    *helped = rc == EXIT_OK && first < 0;
    if (rc != EXIT_OK || *helped)
        return rc;
    return check_combinations(o);
}

/* ------------------------------------------------------------------------ */
/* Output                                                                   */
/* ------------------------------------------------------------------------ */

/* Root attributes of the output file, collected as the run goes: room for
 * the most a mode writes (the flat kernel's 19). */
enum { ATTRS_MAX = 32 };
typedef struct attr_list {
    dg_h5_attr a[ATTRS_MAX];
    size_t n;
} attr_list;

static void add_text(attr_list *l, const char *name, const char *text)
{
    l->a[l->n++] = (dg_h5_attr){name, text ? text : "", 0, 0};
}

static void add_number(attr_list *l, const char *name, double v, bool is_integer)
{
    l->a[l->n++] = (dg_h5_attr){name, NULL, v, is_integer};
}

/* The attributes every mode writes. */
static void common_attrs(attr_list *l, const ms_options *o, const char *command_line,
                         const dg_dataset *data, size_t npoints)
{
    add_text(l, "command_line", command_line);
    add_text(l, "data", o->c.data);
    add_text(l, "kernel", o->kernel->name);
    add_text(l, "mode", o->anneal ? "annealed" : "fixed");
    add_text(l, "init", o->init);
    add_number(l, "n", (double)npoints, true);
    add_number(l, "n_data", (double)data->total, true);
    add_number(l, "dim", (double)data->dim, true);
    if (o->c.samples)
        add_number(l, "samples", (double)o->c.samples, true);
}

/* The most float64 arrays a mode writes (annealed: /sigmas, /path, /targets). */
enum { MODE_ARRAYS_MAX = 3 };

/* Writes the output file (float64 arrays, then int64 ones); an interruption
 * (before or while writing) leaves no file and ends with 130 or 143. */
static int write_output(const ms_options *o, const cli_model *model, const attr_list *l,
                        const dg_h5_array *mode_arrays, size_t nmode, const dg_h5_array *ints,
                        size_t nints)
{
    /* The mode's arrays, then the data rows when they are kept. */
    dg_h5_array arrays[MODE_ARRAYS_MAX + 1];
    memcpy(arrays, mode_arrays, nmode * sizeof *arrays);
    const size_t narrays = nmode + (size_t)cli_model_data_array(model, &arrays[nmode]);
    dg_error err;
    const dg_h5_write_options wopt = {.cancel = &cli_interrupted};
    /* On an MPI job process 0 writes (main makes every process fail with it). */
    if (cli_mpi_rank() > 0)
        return EXIT_OK;
    if (cli_check_arrays(arrays, narrays) != EXIT_OK)
        return EXIT_FAILED;
    return dg_h5_write_file_ex(o->c.output, l->a, l->n, arrays, narrays, ints, nints, &wopt,
                               &err) == DG_OK
               ? EXIT_OK
               : cli_fail(&err);
}

/* Progress and cancellation of a run: on an MPI job every process stops
 * after the same iteration (cli_watch). */
static dg_meanshift_options watched(dg_meanshift_options m, cli_watch *watch)
{
    if (cli_mpi_size() > 1) {
        m.progress = cli_watch_step;
        m.progress_ctx = watch;
        m.cancel = &watch->cancel;
    }
    return m;
}

/* size_t values as doubles for an int64 dataset; NULL if short of memory. */
static double *as_doubles(const size_t *v, size_t n)
{
    double *d = dg_doubles_alloc(n ? n : 1, 1);
    for (size_t k = 0; d && k < n; k++)
        d[k] = (double)v[k];
    return d;
}

/* ------------------------------------------------------------------------ */
/* Gaussian kernel                                                          */
/* ------------------------------------------------------------------------ */

/* Writes the fixed-bandwidth run: the iterates of the n points. */
static int write_fixed(const ms_options *o, const char *command_line, const cli_model *model,
                       size_t n, const double *path, size_t iterations)
{
    const dg_dataset *data = model->data;
    attr_list l = {.n = 0};
    common_attrs(&l, o, command_line, data, n);
    add_number(&l, "bandwidth", o->bandwidth, false);
    add_number(&l, "tol", o->tol, false);
    add_number(&l, "max_iter", (double)o->max_iter, true);
    add_number(&l, "iterations", (double)iterations, true);
    const dg_h5_array arrays[] = {
        {"/path",
         path,
         3,
         {iterations + 1, n, data->dim},
         "x_k, the k-th iterate x_k = m_h(x_{k-1}); [0] = the start points",
         "data units",
         "iteration sample dim",
         NULL},
    };
    return write_output(o, model, &l, arrays, 1, NULL, 0);
}

static int run_fixed(const ms_options *o, const char *command_line, cli_model *model,
                     cli_progress *progress)
{
    const dg_dataset *data = model->data, *points = data;
    dg_dataset *starts = NULL;
    double *path = NULL;
    const size_t dim = data->dim;
    int rc = EXIT_OK;
    if (o->init) {
        /* On an MPI job process 0 reads them and sends them to all. */
        rc = cli_mpi_rank() == 0 ? cli_make_starts(o->init, 0, false, 0, dim, 0, &starts) : EXIT_OK;
        rc = cli_mpi_share_starts(rc, dim, &starts);
        if (rc != EXIT_OK)
            goto free_points;
        points = starts;
    }
    const size_t n = points->n;
    path = dg_doubles_alloc((o->max_iter + 1) * n, dim);
    if (!path)
        cli_error("cannot allocate %zu iterations of %zu × %zu points: lower --max-iter",
                  o->max_iter + 1, n, dim);
    /* On an MPI job the processes go on to evaluate together, or all stop. */
    if ((rc = cli_mpi_agree(path ? EXIT_OK : EXIT_FAILED)) != EXIT_OK)
        goto free_points;
    cli_watch watch = {progress, 0};
    const dg_meanshift_options mopt =
        watched((dg_meanshift_options){.tol = o->tol,
                                       .max_iter = o->max_iter,
                                       .progress = cli_progress_update,
                                       .progress_ctx = progress,
                                       .cancel = &cli_interrupted},
                &watch);
    size_t iterations = 0;
    dg_error err;
    const int status = dg_meanshift_gaussian(model->den, o->bandwidth, n, dim, points->x, &mopt,
                                             path, &iterations, &err);
    cli_progress_done(progress);
    rc =
        status == DG_OK ? write_fixed(o, command_line, model, n, path, iterations) : cli_fail(&err);
free_points:
    dg_doubles_free(path);
    dg_dataset_free(starts);
    return rc;
}

/* Writes the annealed run: the grid, the n paths and the targets of each step. */
static int write_annealed(const ms_options *o, const char *command_line, const cli_model *model,
                          size_t n, const double *path, const double *targets)
{
    const cli_grid *g = &o->grid;
    const size_t nsigmas = o->nsigmas, T = nsigmas - 1, dim = model->dim;
    attr_list l = {.n = 0};
    common_attrs(&l, o, command_line, model->data, n);
    add_text(&l, "schedule", g->name);
    add_number(&l, "steps", (double)g->steps, true);
    add_number(&l, "sigma_min", g->sigma_min, false);
    add_number(&l, "sigma_max", g->sigma_max, false);
    add_number(&l, "rho", g->rho > 0 ? g->rho : g->schedule ? g->schedule->default_rho : 0, false);
    add_number(&l, "final_zero", g->final_zero, true);
    add_number(&l, "iterations", (double)T, true);
    add_number(&l, "seed", (double)o->c.seed, true);
    const dg_h5_array arrays[] = {
        {"/sigmas",
         o->sigmas,
         1,
         {nsigmas},
         "the annealed bandwidths σ_i, decreasing",
         "data units",
         "grid",
         NULL},
        {"/path",
         path,
         3,
         {nsigmas, n, dim},
         "x_{i+1} = (s_{i+1}/s_i) x_i + (1 - s_{i+1}/s_i) m_{s_i}(x_i); [0] = the starts",
         "data units",
         "grid sample dim",
         NULL},
        {"/targets",
         targets,
         3,
         {T, n, dim},
         "m_{s_i}(x_i), the mean-shift target of step i",
         "data units",
         "eval sample dim",
         NULL},
    };
    return write_output(o, model, &l, arrays, sizeof arrays / sizeof arrays[0], NULL, 0);
}

static int run_annealed(const ms_options *o, const char *command_line, cli_model *model,
                        cli_progress *progress)
{
    const double *sigmas = o->sigmas;
    const size_t nsigmas = o->nsigmas, T = nsigmas - 1, dim = model->dim;
    double *path = NULL, *targets = NULL;
    dg_dataset *starts = NULL;
    /* On an MPI job process 0 makes the starts and sends them to all. */
    int rc = cli_mpi_rank() == 0
                 ? cli_make_starts(o->init, o->n, o->set_n, o->c.seed, dim, sigmas[0], &starts)
                 : EXIT_OK;
    rc = cli_mpi_share_starts(rc, dim, &starts);
    if (rc != EXIT_OK)
        goto free_paths;
    const size_t n = starts->n;
    path = dg_doubles_alloc(nsigmas * n, dim);
    targets = dg_doubles_alloc(T * n, dim);
    if (!path || !targets) {
        cli_error("cannot allocate paths of %zu × %zu × %zu doubles", nsigmas, n, dim);
        rc = EXIT_FAILED;
    }
    /* On an MPI job the processes go on to evaluate together, or all stop. */
    if ((rc = cli_mpi_agree(rc)) != EXIT_OK)
        goto free_paths;
    cli_watch watch = {progress, 0};
    const dg_meanshift_options mopt = watched(
        (dg_meanshift_options){
            .progress = cli_progress_update, .progress_ctx = progress, .cancel = &cli_interrupted},
        &watch);
    dg_error err;
    const int status = dg_meanshift_annealed(model->den, sigmas, nsigmas, n, dim, starts->x, &mopt,
                                             path, targets, &err);
    cli_progress_done(progress);
    rc =
        status == DG_OK ? write_annealed(o, command_line, model, n, path, targets) : cli_fail(&err);
free_paths:
    dg_doubles_free(path);
    dg_doubles_free(targets);
    dg_dataset_free(starts);
    return rc;
}

static int run_gaussian(const ms_options *o, const char *command_line, cli_model *model,
                        cli_progress *progress)
{
    return o->anneal ? run_annealed(o, command_line, model, progress)
                     : run_fixed(o, command_line, model, progress);
}

/* ------------------------------------------------------------------------ */
/* Flat kernel (scikit-learn's MeanShift)                                   */
/* ------------------------------------------------------------------------ */

/* The seeds: --init, bin centres, or the data points, as scikit-learn chooses. */
static int flat_seeds(const ms_options *o, const dg_dataset *data, double h, dg_dataset **seeds)
{
    dg_error err;
    if (o->init)
        return cli_make_starts(o->init, 0, 0, 0, data->dim, 0, seeds);
    *seeds = dg_dataset_alloc(data->n, data->dim);
    if (!*seeds) {
        cli_error("cannot allocate %zu seeds", data->n);
        return EXIT_FAILED;
    }
    if (!o->bin_seeding) {
        memcpy((*seeds)->x, data->x, data->n * data->dim * sizeof *data->x);
        return EXIT_OK;
    }
    if (dg_meanshift_bin_seeds(data->x, data->n, data->dim, h, o->min_bin_freq, (*seeds)->x,
                               &(*seeds)->n, &err) != DG_OK)
        return cli_fail(&err);
    if ((*seeds)->n == 0) {
        cli_error("no bin of width %g holds --min-bin-freq %zu points", h, o->min_bin_freq);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* The bandwidth of the flat kernel: --bandwidth, or estimated as scikit-learn does. */
static int flat_bandwidth(const ms_options *o, const dg_dataset *data, double *h)
{
    *h = o->bandwidth;
    if (*h > 0)
        return EXIT_OK;
    dg_error err;
    if (dg_meanshift_estimate_bandwidth(data->x, data->n, data->dim, o->quantile, h, &err) != DG_OK)
        return cli_fail(&err);
    if (!(*h > 0)) {
        cli_error("the estimated bandwidth is 0 (the nearest neighbours coincide): "
                  "give --bandwidth");
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* What the flat kernel finds from S seeds on N data points. */
typedef struct flat_result {
    double h;                    /* the bandwidth */
    dg_dataset *seeds;           /* S seeds */
    double *path;                /* [iterations + 1][S][dim]: the seeds after each update */
    double *modes;               /* [M][dim], room for S */
    size_t *counts, *labels;     /* [S] points near each seed's mean, [N] each point's mode */
    double *counts_d, *labels_d; /* the same as doubles, for the file */
    size_t iterations, n_iter, M;
} flat_result;

static void flat_result_free(flat_result *f)
{
    dg_dataset_free(f->seeds);
    dg_doubles_free(f->path);
    dg_doubles_free(f->modes);
    dg_doubles_free(f->counts_d);
    dg_doubles_free(f->labels_d);
    free(f->counts);
    free(f->labels);
}

/* Moves the seeds of f to their modes and labels the data points. */
static int flat_compute(const ms_options *o, const dg_dataset *data, cli_progress *progress,
                        flat_result *f)
{
    const size_t N = data->n, dim = data->dim, S = f->seeds->n;
    f->path = dg_doubles_alloc((o->max_iter + 2) * S, dim);
    f->modes = dg_doubles_alloc(S, dim);
    f->counts = malloc(S * sizeof *f->counts);
    f->labels = malloc(N * sizeof *f->labels);
    if (!f->path || !f->modes || !f->counts || !f->labels) {
        cli_error("cannot allocate the paths of %zu seeds over %zu iterations: lower --max-iter", S,
                  o->max_iter + 1);
        return EXIT_FAILED;
    }
    const dg_meanshift_options mopt = {.tol = o->tol,
                                       .max_iter = o->max_iter,
                                       .progress = cli_progress_update,
                                       .progress_ctx = progress,
                                       .cancel = &cli_interrupted};
    dg_error err;
    int status = dg_meanshift_flat(data->x, N, dim, f->h, f->seeds->x, S, &mopt, f->path, f->counts,
                                   &f->iterations, &f->n_iter, &err);
    cli_progress_done(progress);
    if (status == DG_OK)
        status = dg_meanshift_select(f->path + f->iterations * S * dim, f->counts, S, dim, f->h,
                                     f->modes, &f->M, &err);
    if (status == DG_OK)
        status = dg_meanshift_label(data->x, N, dim, f->modes, f->M, f->labels, &err);
    if (status != DG_OK)
        return cli_fail(&err);
    f->counts_d = as_doubles(f->counts, S);
    f->labels_d = as_doubles(f->labels, N);
    if (!f->counts_d || !f->labels_d) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* The flat kernel's attributes beyond the common ones. */
static void flat_attrs(attr_list *l, const ms_options *o, const flat_result *f)
{
    add_number(l, "bandwidth", f->h, false);
    add_number(l, "bandwidth_estimated", !(o->bandwidth > 0), true);
    if (!(o->bandwidth > 0))
        add_number(l, "quantile", o->quantile, false);
    add_number(l, "bin_seeding", o->bin_seeding, true);
    add_number(l, "min_bin_freq", (double)o->min_bin_freq, true);
    add_number(l, "tol", o->tol, false);
    add_number(l, "max_iter", (double)o->max_iter, true);
    add_number(l, "iterations", (double)f->iterations, true);
    add_number(l, "n_iter", (double)f->n_iter, true);
    add_number(l, "modes", (double)f->M, true);
}

/* Writes the flat kernel's run: the seeds' paths, the modes, counts and labels. */
static int write_flat(const ms_options *o, const char *command_line, const cli_model *model,
                      const flat_result *f)
{
    const dg_dataset *data = model->data;
    const size_t S = f->seeds->n, N = data->n, dim = data->dim;
    attr_list l = {.n = 0};
    common_attrs(&l, o, command_line, data, S);
    flat_attrs(&l, o, f);
    const dg_h5_array arrays[] = {
        {"/path",
         f->path,
         3,
         {f->iterations + 1, S, dim},
         "the seeds after k updates (a seed that stopped keeps its place); [0] = the seeds",
         "data units",
         "iteration seed dim",
         NULL},
        {"/modes",
         f->modes,
         2,
         {f->M, dim},
         "cluster centres in scikit-learn's order",
         "data units",
         "mode dim",
         NULL},
    };
    const dg_h5_array ints[] = {
        {"/counts",
         f->counts_d,
         1,
         {S},
         "data points within h of each seed's last mean (0: none)",
         "1",
         "seed",
         NULL},
        {"/labels",
         f->labels_d,
         1,
         {N},
         "index of the nearest mode of each data point",
         "1",
         "sample",
         NULL},
    };
    return write_output(o, model, &l, arrays, 2, ints, 2);
}

static int run_flat(const ms_options *o, const char *command_line, cli_model *model,
                    cli_progress *progress)
{
    const dg_dataset *data = model->data;
    flat_result f = {.h = 0};
    int rc = flat_bandwidth(o, data, &f.h);
    if (rc == EXIT_OK)
        rc = flat_seeds(o, data, f.h, &f.seeds);
    if (rc == EXIT_OK)
        rc = flat_compute(o, data, progress, &f);
    if (rc == EXIT_OK)
        rc = write_flat(o, command_line, model, &f);
    flat_result_free(&f);
    return rc;
}

/* --anneal's grid, made before the data are loaded. */
static int make_anneal_grid(ms_options *o)
{
    o->nsigmas = cli_grid_size(&o->grid);
    o->sigmas = malloc(o->nsigmas * sizeof *o->sigmas);
    if (!o->sigmas) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    return cli_grid_make(COMMAND, &o->grid, o->sigmas);
}

int cmd_meanshift(int argc, char **argv, const char *command_line)
{
    ms_options o = {.kernel = &kernels[0],
                    .grid = CLI_GRID_DEFAULTS,
                    .tol = DG_MEANSHIFT_TOL,
                    .quantile = DG_MEANSHIFT_QUANTILE,
                    .max_iter = DG_MEANSHIFT_MAX_ITER,
                    .n = 16,
                    .min_bin_freq = 1};
    cli_model model = {0};
    bool helped;
    int rc = parse(argc, argv, &o, &helped);
    if (rc != EXIT_OK || helped)
        goto free_options;
    if (o.anneal && (rc = make_anneal_grid(&o)) != EXIT_OK)
        goto free_options;
    /* Caught from here, as by sample: a signal while the data load is
     * heeded at the first step, with its message. */
    cli_catch_signals();
    cli_progress progress;
    cli_progress_init(&progress, "mean shift");
    progress.enabled &= !o.c.quiet;
    rc = cli_model_load(&o.c, o.kernel->denoiser, progress.enabled, &model);
    if (rc != EXIT_OK)
        goto free_options;
    rc = o.kernel->run(&o, command_line, &model, &progress);
free_options:
    cli_model_free(&model);
    cli_grid_free(&o.grid);
    free(o.sigmas);
    return rc;
}
