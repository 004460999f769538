/*
 * Shared helpers of the fuzz targets in tests/fuzz/ (one per parser of
 * untrusted input).  Each target defines LLVMFuzzerTestOneInput and is built
 * twice: by `make fuzz` with clang's libFuzzer, ASan and UBSan, and by
 * `make check` with tests/fuzz/replay.c, which feeds it the seed corpus
 * tests/fuzz/corpus/NAME/ once.
 *
 * Besides the sanitizers' checks, the targets check the loaders' contract
 * (dg_data.h, dg_data_formats.h and dg_h5.h) and abort when it breaks:
 *   - a failure returns a known status with a one-line message;
 *   - no input of a few kilobytes makes a loader run out of memory: a header
 *     claiming more than its file holds must fail with DG_EFORMAT before
 *     anything is allocated (allocations above FUZZ_ALLOC_CAP_MB fail, see
 *     __asan_default_options, so such a claim shows up as DG_ENOMEM);
 *   - a dataset that loads has the shape it claims and finite values.
 */
#ifndef DG_FUZZ_H
#define DG_FUZZ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diffgeo.h"

/* The largest single allocation a fuzzed input may make. */
#define FUZZ_ALLOC_CAP_MB 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* ASan (clang or gcc): an allocation above the cap returns NULL, which the
 * library reports as DG_ENOMEM, instead of aborting the process. */
__attribute__((used)) const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

/* Stops the run with a message: libFuzzer saves the input as a crash. */
static __attribute__((noreturn, unused)) void fuzz_fail(const char *what, const dg_error *err)
{
    fprintf(stderr, "fuzz: %s (status %d: %s)\n", what, err ? err->status : 0,
            err ? err->message : "");
    abort();
}

/* The contract every failure keeps: a known status and one line of text. */
static __attribute__((unused)) void fuzz_check_error(int status, const dg_error *err)
{
    if (status == DG_OK)
        return;
    if (status < DG_EINVAL || status > DG_ECANCELLED || err->status != status)
        fuzz_fail("unknown status or status not recorded in dg_error", err);
    if (status == DG_ENOMEM)
        fuzz_fail("out of memory on a small input", err);
    const size_t len = strnlen(err->message, sizeof err->message);
    if (len == 0 || len == sizeof err->message || memchr(err->message, '\n', len))
        fuzz_fail("the message is not one line of text", err);
}

/* A dataset that loaded: consistent shape and finite values only. */
static __attribute__((unused)) void fuzz_check_dataset(const dg_dataset *d, size_t limit)
{
    if (!d || d->n == 0 || d->dim == 0 || (limit && d->n > limit))
        fuzz_fail("a loaded dataset with no rows, no columns or too many rows", NULL);
    size_t product = 1;
    for (size_t k = 0; k < d->image_rank; k++)
        product *= d->image_shape[k];
    if (d->image_rank > DG_IMAGE_RANK_MAX || (d->image_rank && product != d->dim))
        fuzz_fail("image shape does not match the row length", NULL);
    size_t at;
    if (!dg_all_finite(d->x, d->n * d->dim, &at))
        fuzz_fail("a loaded dataset holds NaN or Inf", NULL);
}

/* dg_data_load(spec) with a row limit, its result checked and released;
 * returns the status.  what_loaded, if not NULL, sees the dataset first. */
static __attribute__((unused)) int fuzz_load(const char *spec, size_t limit,
                                             void (*what_loaded)(const dg_dataset *d))
{
    const dg_data_options opt = {.limit = limit};
    dg_dataset *d = NULL;
    dg_error err;
    const int status = dg_data_load(spec, &opt, &d, &err);
    fuzz_check_error(status, &err);
    if (status == DG_OK) {
        fuzz_check_dataset(d, limit);
        if (what_loaded)
            what_loaded(d);
    }
    dg_dataset_free(d);
    return status;
}

/* A private directory for the files a target writes, removed at exit. */
static char fuzz_dir[64];

static void fuzz_remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir);
}

static __attribute__((unused)) const char *fuzz_tmpdir(void)
{
    if (fuzz_dir[0])
        return fuzz_dir;
    const char *base = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/diffgeo-fuzz-XXXXXX",
             base && strlen(base) < 32 ? base : "/tmp");
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_remove_dir);
    return fuzz_dir;
}

/* Writes size bytes to dir/name and returns the path (a static buffer). */
static __attribute__((unused)) const char *fuzz_write(const char *name, const uint8_t *data,
                                                      size_t size)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", fuzz_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz: write");
        abort();
    }
    return path;
}

#endif /* DG_FUZZ_H */
