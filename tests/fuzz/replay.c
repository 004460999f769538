/*
 * Replays the seed corpus of one fuzz target (tests/fuzz/corpus/FUZZ_NAME/)
 * as a TAP test, without libFuzzer: `make check` builds each target with
 * this driver, so that every seed and every regression input found by
 * fuzzing runs on every build (and under --enable-asan, --enable-ubsan and
 * check-valgrind).  An input that breaks a target's checks aborts it.
 */
#include "config.h"

#include <dirent.h>
#include <gsl/gsl_errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file at path in a malloc'd buffer; NULL on failure. */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf = NULL;
    if (f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        *size = (size_t)st.st_size;
        buf = malloc(*size ? *size : 1);
        if (buf && fread(buf, 1, *size, f) != *size) {
            free(buf);
            buf = NULL;
        }
    }
    if (f)
        fclose(f);
    return buf;
}

int main(void)
{
    gsl_set_error_handler_off();
    const char *srcdir = getenv("srcdir");
    char rel[4096], dir[PATH_MAX];
    snprintf(rel, sizeof rel, "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".", FUZZ_NAME);
    /* Absolute, since a target may change directory. */
    if (!realpath(rel, dir))
        snprintf(dir, sizeof dir, "%s", rel);
    struct dirent **names;
    const int count = scandir(dir, &names, NULL, alphasort);
    ok(count > 2, "the seed corpus %s is not empty", dir);
    for (int k = 0; k < count; k++) {
        char path[8192];
        size_t size = 0;
        snprintf(path, sizeof path, "%s/%s", dir, names[k]->d_name);
        if (names[k]->d_name[0] != '.') {
            uint8_t *data = slurp(path, &size);
            if (data)
                LLVMFuzzerTestOneInput(data, size);
            ok(data != NULL, "%s/%s (%zu bytes) passes the checks", FUZZ_NAME, names[k]->d_name,
               size);
            free(data);
        }
        free(names[k]);
    }
    if (count >= 0)
        free(names);
    return done_testing();
}
