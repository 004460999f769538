/*
 * dg_order: rows in a spatially tight order (a PCA tree), so that
 * consecutive blocks of rows hold similar points.
 *
 * - Why: the empirical denoiser skips whole chunks of rows whose weights
 *   are negligible, and bounds the rounding of a chunk's logits by its
 *   radius; both work only when a chunk holds points close to each other,
 *   which a file's own order seldom gives.
 * - How: the rows are split at the median of their projection on their top
 *   principal direction (a few power iterations on a subsample of about 512
 *   rows, from the one farthest from their mean), the first part a whole
 *   number of leaves, and each part again, down to leaves of at most `leaf`
 *   rows.
 * - Determinism: plain loops in a fixed order and a stable sort (ties by
 *   row index): the same order on every machine and for any thread count.
 */
#ifndef DG_ORDER_H
#define DG_ORDER_H

#include <stddef.h>

#include "dg_status.h"

/*
 * order[0 … n) ← a permutation of the rows of y (n × dim): leaf-sized
 * blocks of consecutive entries (the last possibly shorter) are the
 * leaves of the tree.  leaf ≥ 1.
 * - Memory: n (one double and one index per row) + 3 dim doubles of scratch.
 * - Cost: n · dim · log₂(n / leaf) multiply-adds for the projections, and
 *   about 2 · 7 · 512 · dim per split for its direction.
 * - Errors: DG_ENOMEM.
 */
int dg_order_pca_tree(const double *y, size_t n, size_t dim, size_t leaf, size_t *order,
                      dg_error *err);

#endif /* DG_ORDER_H */
