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

#endif /* DIFFGEO_H */
