/*
 * dg_toy: the named toy data sets of teaching, as rows (synthetic:NAME).
 *
 *   moons         two interleaved half circles of radius 1: the upper one
 *                 centred at (0, 0) (y ≥ 0), the lower one at (1, 0.5)
 *                 (y ≤ 0.5); even rows on the upper, odd on the lower
 *   spiral        one arm of an Archimedean spiral in the unit disc: angle
 *                 θ = 2π turns √u (u uniform), radius r = θ / (2π turns)
 *   swissroll     the roll r = t / (4.5π), t uniform in [1.5π, 4.5π]:
 *                 (r cos t, r sin t), and with d=3 a height uniform in
 *                 [−1, 1] as third coordinate
 *   checkerboard  uniform on the black squares of a cells × cells board on
 *                 [−cells/2, cells/2]²: those whose corner (i, j) (the
 *                 floors of x and y) has i + j even; no noise
 *
 * Keys (key=value, comma separated): n (rows, 1000), seed (0), noise (the
 * standard deviation of isotropic Gaussian noise added to every coordinate;
 * moons 0.05, spiral 0.02, swissroll 0.02), turns (spiral, 2), d (swissroll,
 * 2 or 3), cells (checkerboard, 4, even).  A key a set does not have is
 * refused.
 *
 * Rows are drawn in order from one GSL mt19937 stream seeded with seed, a
 * fixed number of uniform and Gaussian (ziggurat) draws per row: the first
 * rows do not depend on n, and the values are the same on every machine
 * whose libm rounds sin and cos alike (glibc's are correctly rounded in
 * practice).  Thread-safe: no shared state.
 */
#ifndef DG_TOY_H
#define DG_TOY_H

#include <stddef.h>

#include "dg_dataset.h"
#include "dg_status.h"

/* The i-th toy set's name ("moons", ...); NULL past the last. */
const char *dg_toy_name(size_t i);

/*
 * Loads the toy set spec names ("moons" or "swissroll,d=3,n=500": a name,
 * then keys) into *out (caller frees with dg_dataset_free): the rows opt
 * (NULL: all) keeps, as every loader does.  Returns DG_OK, DG_EUNKNOWN (no
 * such set), DG_EINVAL (a bad key or value, with a one-line message naming
 * it) or DG_ENOMEM.  Nothing is allocated on failure.
 */
int dg_toy_load(const char *spec, const dg_data_options *opt, dg_dataset **out, dg_error *err);

#endif /* DG_TOY_H */
