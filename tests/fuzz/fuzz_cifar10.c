/*
 * Fuzz target: CIFAR-10 binary batches through
 * dg_data_load("cifar10:DIR:test") (the input is test_batch.bin) and
 * dg_data_load("cifar10:DIR") (the input is each of data_batch_1..5.bin).
 */
#include "config.h"

#include "fuzz.h"

static void check_images(const dg_dataset *d)
{
    if (d->dim != 3072 || d->image_rank != 3)
        fuzz_fail("CIFAR-10 rows are not 3 × 32 × 32 images", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("test_batch.bin", data, size);
    for (int k = 1; k <= 5; k++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", k);
        fuzz_write(name, data, size);
    }
    for (size_t s = 0; s < 2; s++) {
        char spec[160];
        snprintf(spec, sizeof spec, "cifar10:%s%s", fuzz_tmpdir(), s ? "" : ":test");
        /* 7 rows: more than one test file of 5 records holds, fewer than five. */
        fuzz_load(spec, s ? 7 : 0, check_images);
    }
    return 0;
}
