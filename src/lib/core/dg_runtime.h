/*
 * dg_runtime: library-wide settings, the version and the BLAS library's
 * threads and buffers.
 */
#ifndef DG_RUNTIME_H
#define DG_RUNTIME_H

#include "dg_status.h"

/* The library's version string, e.g. "0.1.0". */
const char *dg_version(void);

/*
 * Limits the threads the BLAS library starts of its own (OpenBLAS's pthread
 * build) to n.  libdiffgeo parallelises with OpenMP and wants single-threaded
 * BLAS calls inside its parallel regions: programs call dg_blas_set_threads(1)
 * once at start-up.  A no-op for a BLAS without such a setting.
 */
void dg_blas_set_threads(int n);

/*
 * Checks that the BLAS library will find memory for the work buffers of
 * `callers` concurrent callers, until that has once succeeded.
 * - Why: OpenBLAS (0.3.21) allocates a 128 MiB buffer per concurrent caller
 *   on its first level-3 call and, when malloc fails, retries forever; a run
 *   that fits its own arrays but not those buffers would hang, not fail.
 * - How: maps the same amount once and unmaps it at once.  The buffers, once
 *   made, stay in OpenBLAS's pool for the life of the process, so the
 *   largest count that succeeded is remembered (process-wide, like the pool)
 *   and never checked again.
 * - Returns DG_OK, or DG_ENOMEM with "no memory left for the BLAS library's
 *   work buffers (N MiB)".  A no-op for other BLAS libraries.
 * - dg_denoiser_eval calls it.  Not thread-safe: call it outside parallel
 *   regions.
 */
int dg_blas_reserve(int callers, dg_error *err);

#endif /* DG_RUNTIME_H */
