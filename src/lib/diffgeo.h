/*
 * diffgeo.h: the public interface of libdiffgeo, the geometry of
 * diffusion-model sampling with exact optimal denoisers.
 *
 * Include this header and link with `pkg-config --libs diffgeo`.  Each module
 * header documents its functions; start with dg_denoiser.h and dg_solver.h.
 */
#ifndef DIFFGEO_H
#define DIFFGEO_H

#include "dg_status.h"
#include "dg_tensor.h"
#include "dg_data.h"
#include "dg_denoiser.h"
#include "dg_gmm.h"
#include "dg_schedule.h"
#include "dg_solver.h"
#include "dg_metrics.h"
#include "dg_gits.h"
#include "dg_meanshift.h"
#include "dg_h5.h"

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
 * Checks, until it has once succeeded for `callers` concurrent BLAS callers,
 * that the BLAS library will find memory for its work buffers.  OpenBLAS
 * (0.3.21) allocates a 128 MiB buffer per concurrent caller on its first
 * level-3 call and, when malloc fails, retries forever: a run that fits its
 * own arrays but not those buffers would hang instead of failing.  This maps
 * the same amount once (and unmaps it at once) and returns DG_ENOMEM,
 * "no memory left for the BLAS library's work buffers (N MiB)", when it
 * cannot.  dg_denoiser_eval calls it; a no-op for other BLAS libraries.
 */
int dg_blas_reserve(int callers, dg_error *err);

#endif /* DIFFGEO_H */
