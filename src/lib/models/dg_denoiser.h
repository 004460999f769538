/*
 * dg_denoiser: the denoiser interface D(x; σ) and its kinds.
 *
 * - What: a batch of n points x (n × dim, row-major) at noise level σ > 0
 *   goes to n points D(x; σ), the posterior mean E[y | y + σε = x] for the
 *   kind's data distribution (doc/theory.md §2).
 * - Kinds are const type descriptors; a denoiser object pairs a kind with
 *   its state.
 * - Threads: an object is not safe to use from several threads at once (it
 *   owns scratch space); evaluations parallelise internally with OpenMP and
 *   are bit-identical for any number of threads.
 */
#ifndef DG_DENOISER_H
#define DG_DENOISER_H

#include <stddef.h>

#include "dg_comm.h"
#include "dg_status.h"

typedef struct dg_denoiser dg_denoiser;

typedef struct dg_denoiser_type {
    const char *name; /* "empirical", ... */
    /* out ← D(x; σ) for n rows; σ > 0 and finite x are checked by the caller. */
    int (*eval)(void *state, const double *x, size_t n, double sigma, double *out, dg_error *err);
    void (*free)(void *state);
} dg_denoiser_type;

/* --- Generic interface ---------------------------------------------------- */

/*
 * out ← D(x; σ) for the n rows of x (n × dim).  out may not alias x.
 * Returns DG_EINVAL for σ ≤ 0 or non-finite σ, DG_ENONFINITE for NaN/Inf in x
 * or in out (squared distances that overflow: points too far from the data).
 */
int dg_denoiser_eval(dg_denoiser *den, const double *x, size_t n, double sigma, double *out,
                     dg_error *err);

size_t dg_denoiser_dim(const dg_denoiser *den);
const char *dg_denoiser_name(const dg_denoiser *den);

/* Releases a denoiser and its state; NULL is a no-op. */
void dg_denoiser_free(dg_denoiser *den);

/* --- The exact empirical optimal denoiser (doc/theory.md §2) --------------- */

/*
 * What: D*(x; σ) = Σ_i w_i y_i, w = softmax_i(−‖x − y_i‖² / (2σ²)), for data
 * y_1..y_N with uniform weights.
 *
 * How it is computed:
 * - Storage: the data are centred on their mean μ, cut into chunks of
 *   DG_EMPIRICAL_CHUNK rows, in the order of a PCA tree within each group
 *   of DG_EMPIRICAL_GROUP chunks (dg_order.h), so that a chunk holds
 *   similar rows; the group is the unit of distribution over processes, so
 *   the order does not depend on their number.
 * - Per chunk and query: one GEMM gives the logits
 *   (x−μ)·(y_i−μ) − ½‖y_i−μ‖², a second GEMM the weighted sum, giving a
 *   record (max logit, Σ e^{ℓ−max}, Σ e^{ℓ−max} y).
 * - Reduction: records are combined over a binary tree whose shape depends
 *   only on the number of chunks (a binary counter over chunk indices), so
 *   the result is bit-identical for any thread count.
 * - Small σ: where the rounding error of the GEMM logits could exceed
 *   DG_EMPIRICAL_LOGIT_TOL, the logits of every point whose weight is not
 *   negligible (within DG_EMPIRICAL_LOGIT_WINDOW nats of its chunk's
 *   maximum, allowing for the worst-case rounding error) are recomputed from
 *   exact differences −‖x − y_i‖²/2.
 * - The mean μ: the sum of the chunks' row sums (long double, rows in order)
 *   merged over the same tree, divided by N.
 * - Groups: chunks are computed in fixed groups of DG_EMPIRICAL_GROUP (in
 *   parallel), first the logits of the whole group, then the records.
 * - Skipping: a query whose weights in a chunk are all below e^−WINDOW of
 *   the largest logit of the chunk's group skips that chunk's second
 *   product.  The decision looks at the group alone, so which products are
 *   skipped depends neither on the thread count nor on how groups are spread
 *   over processes.
 * - Bounds carried over: an evaluation with as many queries as the last one
 *   keeps, per query, an upper bound on its distance to the nearest row and,
 *   per chunk, a lower bound on its distance to the chunk's rows; at the
 *   next evaluation both move by how far each query moved (the triangle
 *   inequality), and a chunk whose weights they prove below e^−WINDOW of
 *   the largest is skipped for that query, first product included.  Along
 *   a trajectory (the ODE, mean shift) most chunks drop out once σ is small;
 *   unrelated queries only weaken the bounds (never the result).  The
 *   nearest-distance bound is agreed over processes (one message of a
 *   double per query), so the skips are the same for any process count.
 *   History: O(n (dim + C)) doubles for n queries, kept while that is at
 *   most 32 MiB.
 */
#define DG_EMPIRICAL_CHUNK DG_CHUNK_ROWS  /* rows per chunk: fixes the reduction tree */
#define DG_EMPIRICAL_QUERY_BLOCK 128      /* queries per pass over the data */
#define DG_EMPIRICAL_GROUP DG_CHUNK_GROUP /* chunks computed between skip decisions */
#define DG_EMPIRICAL_LOGIT_TOL 1e-12      /* largest typical logit error accepted from a GEMM */
#define DG_EMPIRICAL_LOGIT_WINDOW 50.0    /* e^−50 ≈ 2e−22: weights below it cannot matter */
/* Rows per unit of distribution over processes: whole groups of chunks. */
#define DG_EMPIRICAL_SHARD_ROWS DG_SHARD_ROWS

/*
 * Builds the empirical denoiser for the n rows of y (n × dim).
 * - Ownership: the data are copied (the caller keeps y).
 * - Errors: DG_EINVAL for n = 0 or dim = 0, DG_ENONFINITE for NaN/Inf in y,
 *   DG_ENOMEM.
 */
int dg_denoiser_empirical_alloc(const double *y, size_t n, size_t dim, dg_denoiser **out,
                                dg_error *err);

/*
 * The same without a copy of the data.
 * - Ownership: takes y (n × dim, allocated with dg_doubles_alloc) and
 *   reorders and centres it in place; the caller must not use or free y
 *   afterwards.
 * - On failure y is left unchanged and stays the caller's.
 */
int dg_denoiser_empirical_adopt(double *y, size_t n, size_t dim, dg_denoiser **out, dg_error *err);

/*
 * How many first products (query × chunk held here) the last evaluation of
 * den skipped thanks to the bounds carried from the evaluation before, and
 * how many there were; both 0 for a denoiser of another kind.
 */
void dg_denoiser_pruned(const dg_denoiser *den, size_t *skipped, size_t *products);

/* --- Distributed evaluation ----------------------------------------------- */

/*
 * The empirical denoiser of a dataset of n_total rows spread over the
 * processes of comm.
 * - What it computes: the same denoiser as a single process holding all the
 *   data, bit for bit.
 * - Inputs: collective; every process calls it with its own rows, rows
 *   [first, first + n) of the dataset for the range that
 *   dg_data_shard(n_total, DG_EMPIRICAL_SHARD_ROWS, comm->size, comm->rank)
 *   gives (whole groups of chunks; a process may hold none, y = NULL).
 *   comm = NULL or a single process is the serial case.
 * - Ownership: takes y as dg_denoiser_empirical_adopt does.
 * - Evaluation: every process calls dg_denoiser_eval with the same queries
 *   at the same time and gets the same output.
 * - Determinism: the chunk records of each process enter the same reduction
 *   tree, nodes that span processes are built by messages, and the root's
 *   result is broadcast from process 0.
 * - Memory: each process holds its rows plus scratch of
 *   O(DG_EMPIRICAL_QUERY_BLOCK · (dim · (log C + DG_EMPIRICAL_GROUP) +
 *   DG_EMPIRICAL_GROUP · DG_EMPIRICAL_CHUNK)) doubles for C chunks, and
 *   the history of the bounds carried over.
 * - Errors:
 *   - those of _adopt;
 *   - DG_EINVAL if n is not this process's shard;
 *   - DG_ENOMEM also when the BLAS library's buffers would not fit
 *     (dg_blas_reserve for the current OpenMP thread count, made sure of
 *     here so that no evaluation fails on one process alone);
 *   - DG_EREMOTE on every process that had no trouble of its own when
 *     another failed to build its part (no process is left waiting);
 *   - a failed message leaves y the caller's, its rows possibly reordered
 *     and centred.
 */
int dg_denoiser_empirical_shard(double *y, size_t n, size_t dim, size_t n_total,
                                const dg_comm *comm, dg_denoiser **out, dg_error *err);

/*
 * Whether every process reached this point with DG_OK.
 * - Why: processes about to evaluate together all go on or all stop,
 *   instead of some waiting for one that failed on its own (e.g. to
 *   allocate its workspace).
 * - Collective for a distributed denoiser (dg_denoiser_empirical_shard);
 *   for any other, returns status.
 * - Returns status where it is an error, DG_EREMOTE (message in err) where
 *   another process failed, DG_OK when all succeeded.
 */
int dg_denoiser_agree(dg_denoiser *den, int status, dg_error *err);

/* Allocates a denoiser object of a given kind around state (for kinds defined elsewhere). */
dg_denoiser *dg_denoiser_wrap(const dg_denoiser_type *type, size_t dim, void *state);

#endif /* DG_DENOISER_H */
