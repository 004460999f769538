/*
 * The distributed empirical denoiser without MPI: P forked processes, each
 * holding its shard of the data and talking through pipes (a dg_comm of our
 * own), give bit for bit the output of one process holding all the data,
 * for data sizes whose shards are uneven, partial or empty, for queries in
 * more than one block, at small, medium and large σ, with processes running
 * different numbers of threads, and skip the same first products in all
 * (which the agreement on the nearest-distance bounds is for: without it
 * the products differ, though the outputs may not).  The Gaussian KDE and
 * nearest neighbours (dg_metric_kde_shard) are bit-identical in the same
 * way.  A process whose shard is bad makes every process fail, without
 * waiting forever.
 *
 * Everything runs in child processes: the parent never starts OpenMP or
 * BLAS threads, so each child starts from a clean process.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dg_tree.h"
#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

#define P_MAX 7
#define DIM 5
#define NQ 131 /* two query blocks */
#define NSIGMA 4
/* The last one with the bounds the others carried over (same queries). */
static const double sigmas[NSIGMA] = {0.002, 0.7, 40.0, 0.05};
#define NH 2 /* KDE bandwidths per query: two of sigmas */
/* What a process writes: D* at each σ, then per query the KDE's log p̂ at
 * its NH bandwidths, the squared nearest distance and the nearest row. */
#define OUT_DOUBLES (NSIGMA * NQ * DIM + NQ * (NH + 2))
/* Then the first products this process skipped in the last evaluation, and
 * all it had: summed over processes, the same as one process's. */
#define OUT_SIZE (OUT_DOUBLES + 2)

/* ------------------------------------------------------------------------ */
/* A dg_comm over pipes between forked processes                            */
/* ------------------------------------------------------------------------ */

typedef struct pipes {
    int me, size;
    int fd[P_MAX][P_MAX][2]; /* fd[a][b]: messages from a to b */
} pipes;

static int write_all(int fd, const void *buf, size_t bytes)
{
    const char *p = buf;
    while (bytes > 0) {
        const ssize_t k = write(fd, p, bytes);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return DG_EIO;
        p += k;
        bytes -= (size_t)k;
    }
    return DG_OK;
}

static int read_all(int fd, void *buf, size_t bytes)
{
    char *p = buf;
    while (bytes > 0) {
        const ssize_t k = read(fd, p, bytes);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return DG_EIO;
        p += k;
        bytes -= (size_t)k;
    }
    return DG_OK;
}

static int pipe_send(void *state, const void *buf, size_t bytes, int to)
{
    const pipes *c = state;
    return write_all(c->fd[c->me][to][1], buf, bytes);
}

static int pipe_recv(void *state, void *buf, size_t bytes, int from)
{
    const pipes *c = state;
    return read_all(c->fd[from][c->me][0], buf, bytes);
}

static int pipe_bcast(void *state, void *buf, size_t bytes, int root)
{
    const pipes *c = state;
    if (c->me != root)
        return read_all(c->fd[root][c->me][0], buf, bytes);
    for (int r = 0; r < c->size; r++)
        if (r != root && write_all(c->fd[root][r][1], buf, bytes) != DG_OK)
            return DG_EIO;
    return DG_OK;
}

static int pipe_max(void *state, double *values, size_t count)
{
    const pipes *c = state;
    if (c->me != 0) {
        if (write_all(c->fd[c->me][0][1], values, count * sizeof *values) != DG_OK)
            return DG_EIO;
        return read_all(c->fd[0][c->me][0], values, count * sizeof *values);
    }
    double *other = malloc(count * sizeof *other);
    int status = other ? DG_OK : DG_ENOMEM;
    for (int r = 1; status == DG_OK && r < c->size; r++) {
        status = read_all(c->fd[r][0][0], other, count * sizeof *other);
        for (size_t k = 0; status == DG_OK && k < count; k++)
            values[k] = fmax(values[k], other[k]);
    }
    for (int r = 1; status == DG_OK && r < c->size; r++)
        status = write_all(c->fd[0][r][1], values, count * sizeof *values);
    free(other);
    return status;
}

/* ------------------------------------------------------------------------ */
/* One process of a run                                                     */
/* ------------------------------------------------------------------------ */

static int failing_last; /* run_rank: the last process fails before evaluating */

/*
 * Rank `me` of `size` (size 0: one process with dg_denoiser_empirical_alloc
 * and dg_metric_kde) estimates the KDE at x, denoises x at every σ and
 * writes the outputs to fd; returns the status of the KDE, of building the
 * denoiser, or of the first failed evaluation.
 */
static int run_rank(const double *y, size_t n, const double *x, pipes *c, int size, int out)
{
    dg_denoiser *den = NULL;
    dg_error err;
    int status;
#ifdef _OPENMP
    omp_set_num_threads(1 + c->me % 2); /* processes need not agree on threads */
#endif
    double *d = malloc(OUT_SIZE * sizeof *d), *h = malloc(NQ * NH * sizeof *h);
    double *kde = d + NSIGMA * NQ * DIM, *nn2 = kde + NQ * NH, *nn_at = nn2 + NQ;
    size_t nn_index[NQ] = {0};
    for (size_t q = 0; q < NQ; q++)
        for (size_t j = 0; j < NH; j++)
            h[q * NH + j] = sigmas[(q + j) % NSIGMA];
    if (size == 0) {
        status = dg_metric_kde(y, n, DIM, x, NQ, h, NH, kde, nn2, nn_index, &err);
        if (status == DG_OK)
            status = dg_denoiser_empirical_alloc(y, n, DIM, &den, &err);
    } else {
        const dg_comm comm = {c->me, size, c, pipe_send, pipe_recv, pipe_bcast, pipe_max};
        static dg_comm keep; /* the denoiser keeps a pointer to it */
        keep = comm;
        size_t first, count;
        dg_data_shard(n, DG_EMPIRICAL_SHARD_ROWS, (size_t)size, (size_t)c->me, &first, &count);
        double *mine = dg_doubles_alloc(count, DIM);
        memcpy(mine, y + first * DIM, count * DIM * sizeof *mine);
        /* The KDE first: the denoiser centres the rows it adopts. */
        status = dg_metric_kde_shard(count ? mine : NULL, count, DIM, n, &keep, x, NQ, h, NH, kde,
                                     nn2, nn_index, &err);
        if (status == DG_OK)
            status =
                dg_denoiser_empirical_shard(count ? mine : NULL, count, DIM, n, &keep, &den, &err);
        if (status != DG_OK || !count)
            dg_doubles_free(mine);
    }
    /* The agreement test: the last process fails on its own before the
     * evaluations (as a solver short of workspace would). */
    if (status == DG_OK && failing_last)
        status = dg_denoiser_agree(den, c->me == size - 1 ? DG_ENOMEM : DG_OK, &err);
    for (size_t q = 0; q < NQ; q++)
        nn_at[q] = (double)nn_index[q];
    for (size_t s = 0; status == DG_OK && s < NSIGMA; s++)
        status = dg_denoiser_eval(den, x, NQ, sigmas[s], d + s * NQ * DIM, &err);
    if (status == DG_OK) {
        size_t skipped, products;
        dg_denoiser_pruned(den, &skipped, &products);
        d[OUT_DOUBLES] = (double)skipped;
        d[OUT_DOUBLES + 1] = (double)products;
        status = write_all(out, d, OUT_SIZE * sizeof *d);
    }
    free(d);
    free(h);
    dg_denoiser_free(den);
    return status;
}

/*
 * Runs one process (size 0) or `size` processes on the data and queries;
 * outs[r] gets rank r's outputs (OUT_SIZE), status[r] its exit
 * status (the dg status it ended with, 100 + a signal if it was killed).
 */
static void run(const double *y, size_t n, const double *x, int size, double **outs, int *status)
{
    const int procs = size ? size : 1;
    pipes c = {0, size, {{{0}}}};
    int result[P_MAX][2];
    pid_t pid[P_MAX];
    for (int a = 0; a < size; a++)
        for (int b = 0; b < size; b++)
            if (a != b && pipe(c.fd[a][b]) != 0)
                abort();
    for (int r = 0; r < procs; r++) {
        if (pipe(result[r]) != 0)
            abort();
        pid[r] = fork();
        if (pid[r] == 0) {
            alarm(120); /* a hang fails the test instead of blocking it */
            c.me = r;
            close(result[r][0]);
            _exit(run_rank(y, n, x, &c, size, result[r][1]));
        }
        close(result[r][1]);
    }
    for (int a = 0; a < size; a++)
        for (int b = 0; b < size; b++)
            if (a != b) {
                close(c.fd[a][b][0]);
                close(c.fd[a][b][1]);
            }
    /* Outputs are small (≤ 20 KiB per process): read them after the exits
     * would also do, but reading first never blocks a writer. */
    const size_t bytes = OUT_SIZE * sizeof(double);
    for (int r = 0; r < procs; r++) {
        outs[r] = calloc(1, bytes);
        if (read_all(result[r][0], outs[r], bytes) != DG_OK)
            memset(outs[r], 0xff, bytes);
        close(result[r][0]);
    }
    for (int r = 0; r < procs; r++) {
        int ws = 0;
        waitpid(pid[r], &ws, 0);
        status[r] = WIFEXITED(ws) ? WEXITSTATUS(ws) : 100 + WTERMSIG(ws);
    }
}

/* ------------------------------------------------------------------------ */
/* Failed messages are reported in err                                      */
/* ------------------------------------------------------------------------ */

/* A transport whose every message fails, or whose maximum says "failed". */
static int broken_send(void *state, const void *buf, size_t bytes, int to)
{
    (void)state, (void)buf, (void)bytes, (void)to;
    return DG_EIO;
}

static int broken_recv(void *state, void *buf, size_t bytes, int from)
{
    (void)state, (void)buf, (void)bytes, (void)from;
    return DG_EIO;
}

static int broken_bcast(void *state, void *buf, size_t bytes, int root)
{
    (void)state, (void)buf, (void)bytes, (void)root;
    return DG_EIO;
}

static int broken_max(void *state, double *values, size_t count)
{
    (void)state, (void)values, (void)count;
    return DG_EIO;
}

static int other_failed_max(void *state, double *values, size_t count)
{
    (void)state;
    for (size_t k = 0; k < count; k++)
        values[k] = 1;
    return DG_OK;
}

static void merge_nothing(const void *ctx, void *a, const void *b)
{
    (void)ctx, (void)a, (void)b;
}

static size_t one_double(const void *ctx)
{
    (void)ctx;
    return sizeof(double);
}

static void test_messages(void)
{
    dg_comm comm = {1, 2, NULL, broken_send, broken_recv, broken_bcast, broken_max};
    dg_error err;
    dg_error_clear(&err);
    int status = dg_comm_all_ok(&comm, DG_OK, &err);
    ok(status == DG_EIO && err.status == DG_EIO &&
           strcmp(err.message, "communication between processes failed") == 0,
       "dg_comm_all_ok: a failed message is DG_EIO with a message (%s)", err.message);
    dg_error_set(&err, DG_ENOMEM, "mine");
    status = dg_comm_all_ok(&comm, DG_ENOMEM, &err);
    ok(status == DG_ENOMEM && strcmp(err.message, "mine") == 0,
       "dg_comm_all_ok: a process's own failure keeps its message (%s)", err.message);
    comm.max = other_failed_max;
    dg_error_clear(&err);
    status = dg_comm_all_ok(&comm, DG_OK, &err);
    ok(status == DG_EREMOTE && err.status == DG_EREMOTE &&
           strcmp(err.message, "another process failed") == 0,
       "dg_comm_all_ok: another's failure is DG_EREMOTE with a message (%s)", err.message);

    /* Process 1 of 2 holds the second group of chunks: finishing the tree
     * sends its node to process 0, which fails here. */
    const dg_tree_ops ops = {merge_nothing, one_double, NULL};
    dg_tree tree = {0};
    dg_error_clear(&err);
    status = dg_tree_init(&tree, 2 * DG_SHARD_ROWS, &comm, sizeof(double), &err);
    const double leaf = 1;
    for (size_t j = tree.first; status == DG_OK && j < tree.end; j++)
        dg_tree_push(&tree, &ops, NULL, j, &leaf);
    void *root = &tree;
    if (status == DG_OK)
        status = dg_tree_finish(&tree, &ops, NULL, &root, &err);
    ok(status == DG_EIO && err.status == DG_EIO && root == NULL &&
           strcmp(err.message, "communication between processes failed") == 0,
       "dg_tree_finish: a failed message is reported in err (%d: %s)", status, err.message);
    dg_tree_release(&tree);
}

int main(void)
{
    /* The library's BLAS calls stay single-threaded (as the tool sets it). */
    dg_blas_set_threads(1);
    test_messages();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261129);
    /* 1 row; part of a chunk; exactly one group; one group and one row;
     * groups, the last partial, a tree that is not a power of two. */
    static const size_t sizes[] = {1, 600, 4096, 4097, 9000, 21257};
    static const int procs[] = {1, 2, 3, 4, 6};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        const size_t n = sizes[t];
        /* Far from the origin, so that small σ takes the exact-difference path. */
        double *y = random_points(rng, n, DIM, 37.1, 2.385);
        double *x = random_points(rng, NQ, DIM, 37.1, 2.6);
        double *one[1];
        int one_status[1];
        run(y, n, x, 0, one, one_status);
        ok(one_status[0] == 0, "N = %zu: one process", n);
        for (size_t p = 0; p < sizeof procs / sizeof procs[0]; p++) {
            double *outs[P_MAX];
            int status[P_MAX];
            run(y, n, x, procs[p], outs, status);
            int good = 1;
            double skipped = 0, products = 0;
            for (int r = 0; r < procs[p]; r++) {
                good &=
                    status[r] == 0 && memcmp(outs[r], one[0], OUT_DOUBLES * sizeof(double)) == 0;
                skipped += outs[r][OUT_DOUBLES];
                products += outs[r][OUT_DOUBLES + 1];
                free(outs[r]);
            }
            if (!good)
                for (int r = 0; r < procs[p]; r++)
                    diag("process %d: status %d", r, status[r]);

            ok(good,
               "N = %zu, %d processes: every process's D*, KDE and nearest neighbours "
               "bit-identical to one process (σ = 0.002, 0.7, 40, 0.05; 131 queries)",
               n, procs[p]);
            ok(skipped == one[0][OUT_DOUBLES] && products == one[0][OUT_DOUBLES + 1],
               "N = %zu, %d processes: the same first products skipped at σ = 0.05 as one "
               "process (%.0f of %.0f; one process %.0f of %.0f)",
               n, procs[p], skipped, products, one[0][OUT_DOUBLES], one[0][OUT_DOUBLES + 1]);
        }
        free(one[0]);
        free(x);
        free(y);
    }

    /* NaN in the last shard: that process fails on its own, the others
     * learn it (DG_EREMOTE) and nobody waits forever. */
    const size_t n = 9000;
    double *y = random_points(rng, n, DIM, 1.0, 2.385);
    double *x = random_points(rng, NQ, DIM, 1.0, 2.6);
    y[(n - 1) * DIM + 2] = NAN;
    double *outs[3];
    int status[3];
    run(y, n, x, 3, outs, status);
    ok(status[2] == DG_ENONFINITE && status[0] == DG_EREMOTE && status[1] == DG_EREMOTE,
       "NaN in process 2's shard: it fails with DG_ENONFINITE, the others with DG_EREMOTE "
       "(got %d, %d, %d)",
       status[0], status[1], status[2]);
    for (int r = 0; r < 3; r++)
        free(outs[r]);

    /* dg_denoiser_agree: a failure of process 2 alone reaches all, so none
     * goes on to an evaluation the others will not join. */
    y[(n - 1) * DIM + 2] = 1.0;
    failing_last = 1;
    run(y, n, x, 3, outs, status);
    ok(status[2] == DG_ENOMEM && status[0] == DG_EREMOTE && status[1] == DG_EREMOTE,
       "dg_denoiser_agree: process 2's failure stops all three (got %d, %d, %d)", status[0],
       status[1], status[2]);
    for (int r = 0; r < 3; r++)
        free(outs[r]);

    /* Rows that are not this process's shard are refused, by both. */
    dg_error err;
    dg_denoiser *den = NULL;
    double logp[NQ];
    const double h = 1.0;
    double *half = dg_doubles_alloc(n / 2, DIM);
    memcpy(half, y, n / 2 * DIM * sizeof *half);
    ok(dg_metric_kde_shard(half, n / 2, DIM, n, NULL, x, 1, &h, 1, logp, NULL, NULL, &err) ==
               DG_EINVAL &&
           strstr(err.message, "holds 4500 rows; its shard of 9000 rows has 9000"),
       "dg_metric_kde_shard: half the rows as one process's shard is refused (%s)", err.message);
    ok(dg_denoiser_empirical_shard(half, n / 2, DIM, n, NULL, &den, &err) == DG_EINVAL && !den &&
           strstr(err.message, "holds 4500 rows; its shard of 9000 rows has 9000"),
       "dg_denoiser_empirical_shard: the same (%s)", err.message);
    dg_doubles_free(half);
    free(x);
    free(y);
    gsl_rng_free(rng);
    return done_testing();
}
