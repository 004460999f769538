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
    fuzz_load(spec, 0, NULL);
    fuzz_load(spec, 1, NULL);
    return 0;
}
