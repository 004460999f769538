/*
 * Fuzz target: IDX files (MNIST format, plain or gzip) through
 * dg_data_load("idx:PATH"), all rows and the first row only.
 */
#include "config.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[160];
    snprintf(spec, sizeof spec, "idx:%s", fuzz_write("in.idx", data, size));
    for (size_t limit = 0; limit <= 1; limit++) {
        const dg_data_options opt = {.limit = limit};
        dg_dataset *d = NULL;
        dg_error err;
        const int status = dg_data_load(spec, &opt, &d, &err);
        fuzz_check_error(status, &err);
        if (status == DG_OK)
            fuzz_check_dataset(d, limit);
        dg_dataset_free(d);
    }
    return 0;
}
