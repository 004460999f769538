/* diffgeo analyze: add the geometric measurements of PAPER.md §6 to a run file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "analyze";

static void help(void)
{
    printf("Usage: diffgeo analyze RUN.h5\n"
           "Measure the geometry of the trajectories in a run file and add the results\n"
           "under /metrics (the file is rewritten atomically).  The run file may come\n"
           "from 'diffgeo sample' or from any sampler: it needs /sigmas [T+1],\n"
           "/trajectory [T+1][n][d] and /denoised [T][n][d], all float64.\n"
           "\n"
           "Arrays written (first axis = grid index, second = sample):\n"
           "  /metrics/deviation               [T+1][n] distance of x_i from the line\n"
           "                                   through x_0 and x_T (0 at both ends)\n"
           "  /metrics/deviation_denoised      [T][n]   the same for the denoising\n"
           "                                   trajectory D(x_i; σ_i), line D_0 → D_{T−1}\n"
           "  /metrics/distance_to_end         [T+1][n] ‖x_i − x_T‖\n"
           "  /metrics/distance_to_end_denoised [T][n]  ‖D_i − D_{T−1}‖\n"
           "  /metrics/norm_x                  [T+1][n] ‖x_i‖\n"
           "  /metrics/norm_denoised           [T][n]   ‖D_i‖\n"
           "  /metrics/cosine                  [T][n]   cos(d_i, x_i − x_T),\n"
           "                                   d_i = (x_i − D_i)/σ_i\n"
           "  /metrics/chord                   [n]      ‖x_T − x_0‖, the chord length\n"
           "Each array carries 'description' and 'units' attributes.\n"
           "\n"
           "  -h, --help   show this help\n"
           "\n"
           "Example: mean deviation as a fraction of the chord, per step:\n"
           "  diffgeo analyze run.h5 && diffgeo table run.h5 /metrics/deviation --reduce --sigma\n");
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

/* Reads the three arrays and checks that their shapes agree. */
static int read_run(const char *path, run_arrays *r)
{
    size_t rs, rt, rd, ss[DG_H5_RANK_MAX], st[DG_H5_RANK_MAX], sd[DG_H5_RANK_MAX];
    dg_error err;
    if (dg_h5_read_array(path, "/sigmas", &rs, ss, &r->sigmas, &err) != DG_OK ||
        dg_h5_read_array(path, "/trajectory", &rt, st, &r->traj, &err) != DG_OK ||
        dg_h5_read_array(path, "/denoised", &rd, sd, &r->denoised, &err) != DG_OK)
        return cli_fail(&err);
    if (rs != 1 || ss[0] < 2) {
        cli_error("%s: /sigmas must be a vector of at least 2 entries", path);
        return EXIT_FAILED;
    }
    r->T = ss[0] - 1;
    if (rt != 3 || st[0] != r->T + 1 || st[1] == 0 || st[2] == 0) {
        cli_error("%s: /trajectory must be [%zu][n][d] to match /sigmas [%zu]", path, r->T + 1,
                  r->T + 1);
        return EXIT_FAILED;
    }
    r->n = st[1];
    r->dim = st[2];
    if (rd != 3 || sd[0] != r->T || sd[1] != r->n || sd[2] != r->dim) {
        cli_error("%s: /denoised must be [%zu][%zu][%zu] to match /trajectory", path, r->T,
                  r->n, r->dim);
        return EXIT_FAILED;
    }
    const size_t len = (r->T + 1) * r->n * r->dim;
    if (dg_check_finite(r->traj, len, 1, "/trajectory", &err) != DG_OK ||
        dg_check_finite(r->denoised, len - r->n * r->dim, 1, "/denoised", &err) != DG_OK ||
        dg_check_finite(r->sigmas, r->T + 1, 1, "/sigmas", &err) != DG_OK) {
        cli_error("%s: %s", path, err.message);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

enum { M_DEV, M_DEV_D, M_END, M_END_D, M_NORM, M_NORM_D, M_COS, M_CHORD, M_COUNT };

int cmd_analyze(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    int first;
    int rc = cli_parse_no_options(COMMAND, argc, argv, help, &first);
    if (rc != EXIT_OK || first < 0)
        return rc;
    if (argc - first != 1)
        return cli_usage_error(COMMAND, "expected one run file");
    const char *path = argv[first];

    run_arrays r = {0};
    rc = read_run(path, &r);
    double *m[M_COUNT] = {0};
    if (rc != EXIT_OK)
        goto release;
    const size_t T = r.T, n = r.n, dim = r.dim;
    for (int k = 0; k < M_COUNT; k++) {
        m[k] = dg_doubles_alloc(T + 1, n);
        if (!m[k]) {
            cli_error("out of memory");
            rc = EXIT_FAILED;
            goto release;
        }
    }
    dg_metric_deviation(r.traj, T + 1, n, dim, m[M_DEV]);
    dg_metric_deviation(r.denoised, T, n, dim, m[M_DEV_D]);
    dg_metric_distance_to_end(r.traj, T + 1, n, dim, m[M_END]);
    dg_metric_distance_to_end(r.denoised, T, n, dim, m[M_END_D]);
    dg_metric_norm(r.traj, T + 1, n, dim, m[M_NORM]);
    dg_metric_norm(r.denoised, T, n, dim, m[M_NORM_D]);
    dg_metric_cosine(r.traj, r.denoised, T, n, dim, m[M_COS]);
    memcpy(m[M_CHORD], m[M_END], n * sizeof(double)); /* ‖x_0 − x_T‖ */

    const dg_h5_array arrays[M_COUNT] = {
        {"/metrics/deviation", m[M_DEV], 2, {T + 1, n},
         "distance of x_i from the line through x_0 and x_T", "data units", "grid sample"},
        {"/metrics/deviation_denoised", m[M_DEV_D], 2, {T, n},
         "distance of D(x_i; s_i) from the line through D_0 and D_{T-1}", "data units",
         "eval sample"},
        {"/metrics/distance_to_end", m[M_END], 2, {T + 1, n}, "||x_i - x_T||", "data units", "grid sample"},
        {"/metrics/distance_to_end_denoised", m[M_END_D], 2, {T, n},
         "||D(x_i; s_i) - D_{T-1}||", "data units", "eval sample"},
        {"/metrics/norm_x", m[M_NORM], 2, {T + 1, n}, "||x_i||", "data units", "grid sample"},
        {"/metrics/norm_denoised", m[M_NORM_D], 2, {T, n}, "||D(x_i; s_i)||", "data units", "eval sample"},
        {"/metrics/cosine", m[M_COS], 2, {T, n},
         "cos(d_i, x_i - x_T) with d_i = (x_i - D_i)/s_i", "1", "eval sample"},
        {"/metrics/chord", m[M_CHORD], 1, {n}, "||x_T - x_0||, the chord length", "data units", "sample"},
    };
    dg_error err;
    if (dg_h5_add_arrays(path, arrays, M_COUNT, &err) != DG_OK)
        rc = cli_fail(&err);

release:
    for (int k = 0; k < M_COUNT; k++)
        dg_doubles_free(m[k]);
    run_arrays_free(&r);
    return rc;
}
