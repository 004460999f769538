/*
 * Fuzz target: the spec strings of the command line, each input given to
 * dg_data_load (h5:…, idx:…, synthetic:gmm,…), dg_source_load (the same and
 * the mixtures gmm:…, synthetic:NAME), dg_spec_split, dg_gmm_synthetic (the
 * teaching mixtures after "synthetic:") and dg_schedule_parse_list (the σ
 * list after "list:").
 *
 * The target runs in an empty private directory and skips strings holding a
 * '/' that does not start a dataset name (":/"), so that file specs name
 * only files that do not exist there: this target fuzzes the strings, the
 * file formats have their own targets.  It also skips valid requests for a
 * lot of work: a spec whose numbers multiply to more than SPEC_WORK_MAX
 * (synthetic:lowrank,d=3000,r=3000 costs r²d by design); the refusal of
 * sizes too large to allocate is tested in tests/test_data.c and
 * tests/test_gmm.c.
 */
#include "config.h"

#include <ctype.h>

#include "fuzz.h"

#define SPEC_WORK_MAX 1e5

/* Whether the spec may be run: no path outside the private directory and
 * the product of its numbers (each at least 1) within SPEC_WORK_MAX. */
static int runnable(const char *s)
{
    double work = 1;
    for (const char *p = s; *p; p++) {
        if (*p == '/' && (p == s || p[-1] != ':'))
            return 0;
        if (isdigit((unsigned char)*p) && (p == s || !isdigit((unsigned char)p[-1]))) {
            const double v = strtod(p, NULL); /* the digit run, or more */
            work *= v > 1 ? v : 1;
        }
    }
    return work <= SPEC_WORK_MAX;
}

static const char *after(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0 ? s + strlen(prefix) : s;
}

/* dg_source_load: a known status and message, and exactly one of rows or a mixture. */
static void check_source(const char *s)
{
    const dg_data_options opt = {.limit = 2};
    dg_dataset *rows = NULL;
    dg_gmm *mixture = NULL;
    dg_error err;
    dg_source_kind kind = 0;
    const dg_spec_form *form = dg_source_find(s, &kind);
    const int status = dg_source_load(s, &opt, &rows, &mixture, &err);
    fuzz_check_error(status, &err);
    if (!form && status != DG_EUNKNOWN)
        fuzz_fail("a spec of no form was not refused as unknown", &err);
    if (status == DG_OK && (!rows == !mixture || (kind == DG_SOURCE_ROWS) != (rows != NULL)))
        fuzz_fail("dg_source_load gave not exactly the one result its form says", NULL);
    if (rows)
        fuzz_check_dataset(rows, 2);
    if (mixture && dg_gmm_check(mixture, &err) != DG_OK)
        fuzz_fail("dg_source_load returned a mixture that fails dg_gmm_check", &err);
    dg_dataset_free(rows);
    dg_gmm_free(mixture);
}

/* dg_spec_split: a non-empty head that is text's start, and a tail just past a separator. */
static void check_split(const char *s, const char *sep)
{
    char head[64];
    const char *tail = NULL;
    if (dg_spec_split(s, sep, head, sizeof head, &tail) != DG_OK)
        return;
    const size_t len = strlen(head);
    if (len == 0 || strncmp(head, s, len) != 0 ||
        (tail ? tail != s + len + 1 || strncmp(s + len, sep, strlen(sep)) != 0 : s[len] != '\0'))
        fuzz_fail("dg_spec_split broke its contract", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int in_private_dir;
    if (!in_private_dir) {
        if (chdir(fuzz_tmpdir()) != 0) {
            perror("fuzz: chdir");
            abort();
        }
        in_private_dir = 1;
    }
    char s[1024];
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (!runnable(s))
        return 0;

    fuzz_load(s, 2, NULL);
    check_source(s);
    check_split(s, ":/");
    check_split(s, ":");

    dg_error err;
    dg_gmm *g = NULL;
    int status = dg_gmm_synthetic(after(s, "synthetic:"), &g, &err);
    fuzz_check_error(status, &err);
    if (status == DG_OK && dg_gmm_check(g, &err) != DG_OK)
        fuzz_fail("dg_gmm_synthetic returned a mixture that fails dg_gmm_check", &err);
    dg_gmm_free(g);

    double *sigmas = NULL;
    size_t n = 0;
    status = dg_schedule_parse_list(after(s, "list:"), &sigmas, &n, &err);
    fuzz_check_error(status, &err);
    if (status == DG_OK && dg_schedule_check(sigmas, n, &err) != DG_OK)
        fuzz_fail("dg_schedule_parse_list returned a grid that fails dg_schedule_check", &err);
    free(sigmas);
    return 0;
}
