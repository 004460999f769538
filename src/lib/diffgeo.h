/*
 * diffgeo.h: the public interface of libdiffgeo, the geometry of
 * diffusion-model sampling with exact optimal denoisers.
 *
 * Include this header and link with `pkg-config --libs diffgeo`.  Each module
 * header documents its functions; start with dg_denoiser.h and dg_solver.h.
 */
#ifndef DIFFGEO_H
#define DIFFGEO_H

#include "dg_comm.h"
#include "dg_data.h"
#include "dg_dataset.h"
#include "dg_denoiser.h"
#include "dg_file.h"
#include "dg_gits.h"
#include "dg_gmm.h"
#include "dg_h5.h"
#include "dg_meanshift.h"
#include "dg_metrics.h"
#include "dg_run.h"
#include "dg_runtime.h"
#include "dg_schedule.h"
#include "dg_solver.h"
#include "dg_source.h"
#include "dg_status.h"
#include "dg_tensor.h"

#endif /* DIFFGEO_H */
