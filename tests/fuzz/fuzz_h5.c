/*
 * Fuzz target: HDF5 input files, read in this process as the library reads
 * them: dg_data_load("h5:PATH") (the only array at the root) and
 * "h5:PATH:/x" with a row limit, dg_gmm_load (mixture files), and
 * dg_h5_read_array (the σ grids of --schedule h5:FILE).  Besides the
 * contract of fuzz.h, every call must leave no HDF5 object open.
 *
 * libhdf5 1.10 itself crashes on some malformed files (README.md, "Trust
 * boundary"): run this target with -fork=1 -ignore_crashes=1 (as `make fuzz`
 * does) and look at where each crash is.
 */
#include "config.h"

#include <hdf5.h>

#include "fuzz.h"

static void check_closed(const char *call)
{
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        fuzz_fail(call, NULL);
}

static void load(const char *spec, size_t limit)
{
    fuzz_load(spec, limit, NULL);
    check_closed("dg_data_load left an HDF5 object open");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("in.h5", data, size);
    char spec[160];
    snprintf(spec, sizeof spec, "h5:%s", path);
    load(spec, 0);
    snprintf(spec, sizeof spec, "h5:%s:/x", path);
    load(spec, 2);

    dg_gmm *g = NULL;
    dg_error err;
    int status = dg_gmm_load(path, &g, &err);
    fuzz_check_error(status, &err);
    if (status == DG_OK && dg_gmm_check(g, &err) != DG_OK)
        fuzz_fail("dg_gmm_load returned a mixture that fails dg_gmm_check", &err);
    dg_gmm_free(g);
    check_closed("dg_gmm_load left an HDF5 object open");

    size_t rank, shape[DG_H5_RANK_MAX];
    double *v = NULL;
    status = dg_h5_read_array(path, "/sigmas", &rank, shape, &v, &err);
    fuzz_check_error(status, &err);
    dg_doubles_free(v);
    check_closed("dg_h5_read_array left an HDF5 object open");
    return 0;
}
