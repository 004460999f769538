/* dg_gmm_load: Gaussian mixtures read from HDF5 files. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dg_gmm.h"
#include "dg_h5.h"
#include "dg_tensor.h"

enum { F_WEIGHTS, F_MEANS, F_COVS, F_VARIANCES, F_EIGVECS, F_EIGVALS, F_COUNT };
static const char *const gmm_dataset[F_COUNT] = {
    "/weights", "/means", "/covs", "/variances", "/eigvecs", "/eigvals",
};

/* Room for a dataset's full path: the group and one of gmm_dataset. */
#define DATASET_PATH_SIZE 256
/* Room kept after the group for the longest of gmm_dataset ("/variances") and its NUL. */
#define DATASET_SUFFIX_SIZE 16
/* Room for a shape "[K][d][d]" in a message. */
#define SHAPE_TEXT_SIZE 96

typedef struct h5_found {
    char name[DATASET_PATH_SIZE]; /* the dataset's full path: group + gmm_dataset[f] */
    bool present;
    size_t rank;
    size_t shape[DG_H5_RANK_MAX];
} h5_found;

static void find_gmm_dataset(void *ctx, const dg_h5_entry *e)
{
    h5_found *found = ctx;
    if (e->is_group)
        return;
    for (int f = 0; f < F_COUNT; f++)
        if (strcmp(e->path, found[f].name) == 0) {
            found[f].present = true;
            found[f].rank = e->rank;
            memcpy(found[f].shape, e->shape, sizeof found[f].shape);
        }
}

static void format_shape(char *text, size_t size, size_t rank, const size_t *shape)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t k = 0; k < rank && used < size; k++)
        used += (size_t)snprintf(text + used, size - used, "[%zu]", shape[k]);
}

/* DG_OK when dataset f is present with exactly the given shape. */
static int expect_shape(const char *path, const h5_found *found, int f, size_t rank,
                        const size_t *shape, const char *meaning, dg_error *err)
{
    if (!found[f].present)
        return dg_error_set(err, DG_EFORMAT, "%s: no dataset %s", path, found[f].name);
    bool same = found[f].rank == rank;
    for (size_t k = 0; same && k < rank; k++)
        same = found[f].shape[k] == shape[k];
    if (same)
        return DG_OK;
    char got[SHAPE_TEXT_SIZE], expected[SHAPE_TEXT_SIZE];
    format_shape(got, sizeof got, found[f].rank, found[f].shape);
    format_shape(expected, sizeof expected, rank, shape);
    return dg_error_set(err, DG_EFORMAT, "%s:%s has shape %s, expected %s = %s", path,
                        found[f].name, got[0] ? got : "[] (a scalar)", meaning, expected);
}

/* The form and sizes of a mixture file, from the shapes of its datasets. */
typedef struct gmm_layout {
    int form;       /* F_COVS, F_VARIANCES or F_EIGVECS */
    size_t K, d, r; /* components, dimension, low-rank directions */
} gmm_layout;

/* /weights [K] and /means [K][d]: K and d. */
static int check_weights_means(const char *path, const h5_found *found, gmm_layout *l,
                               dg_error *err)
{
    const h5_found *w = &found[F_WEIGHTS], *m = &found[F_MEANS];
    if (!w->present)
        return dg_error_set(err, DG_EFORMAT, "%s: no dataset %s", path, found[F_WEIGHTS].name);
    if (w->rank != 1)
        return dg_error_set(err, DG_EFORMAT, "%s:%s has rank %zu, expected [K]", path, w->name,
                            w->rank);
    l->K = w->shape[0];
    if (l->K == 0)
        return dg_error_set(err, DG_EFORMAT, "%s:%s is empty (K = 0)", path, w->name);
    if (!m->present)
        return dg_error_set(err, DG_EFORMAT, "%s: no dataset %s", path, m->name);
    if (m->rank != 2 || m->shape[1] == 0)
        return dg_error_set(err, DG_EFORMAT, "%s:/means has rank %zu, expected [K][d] with d ≥ 1",
                            path, m->rank);
    l->d = m->shape[1];
    const size_t kd[2] = {l->K, l->d};
    return expect_shape(path, found, F_MEANS, 2, kd, "[K][d]", err);
}

/* Exactly one covariance form is present: l->form. */
static int check_form(const char *path, const h5_found *found, gmm_layout *l, dg_error *err)
{
    const int nforms = found[F_COVS].present + found[F_VARIANCES].present +
                       (found[F_EIGVECS].present || found[F_EIGVALS].present);
    if (nforms == 0)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: no covariances (/covs, /variances, or /eigvecs "
                            "with /eigvals)",
                            path);
    if (nforms > 1)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: holds more than one of /covs, /variances and "
                            "/eigvecs: keep one covariance form",
                            path);
    l->form = found[F_COVS].present ? F_COVS : found[F_VARIANCES].present ? F_VARIANCES : F_EIGVECS;
    return DG_OK;
}

/* /eigvecs [K][r][d] with /eigvals [K][r]: r. */
static int check_eigen(const char *path, const h5_found *found, gmm_layout *l, dg_error *err)
{
    const h5_found *e = &found[F_EIGVECS];
    if (!e->present)
        return dg_error_set(err, DG_EFORMAT, "%s: /eigvals without /eigvecs", path);
    if (e->rank != 3)
        return dg_error_set(err, DG_EFORMAT, "%s:/eigvecs has rank %zu, expected [K][r][d]", path,
                            e->rank);
    l->r = e->shape[1];
    if (l->r > l->d)
        return dg_error_set(err, DG_EFORMAT, "%s:/eigvecs: rank r = %zu exceeds d = %zu", path,
                            l->r, l->d);
    const size_t krd[3] = {l->K, l->r, l->d}, kr[2] = {l->K, l->r};
    int status = expect_shape(path, found, F_EIGVECS, 3, krd, "[K][r][d]", err);
    if (status == DG_OK)
        status = expect_shape(path, found, F_EIGVALS, 2, kr, "[K][r]", err);
    return status;
}

/* Checks the shapes of every dataset before anything is read. */
static int check_layout(const char *path, const h5_found *found, gmm_layout *l, dg_error *err)
{
    int status = check_weights_means(path, found, l, err);
    if (status == DG_OK)
        status = check_form(path, found, l, err);
    if (status != DG_OK)
        return status;
    const size_t kdd[3] = {l->K, l->d, l->d}, kd[2] = {l->K, l->d};
    if (l->form == F_COVS)
        return expect_shape(path, found, F_COVS, 3, kdd, "[K][d][d]", err);
    if (l->form == F_VARIANCES)
        return expect_shape(path, found, F_VARIANCES, 2, kd, "[K][d]", err);
    return check_eigen(path, found, l, err);
}

/* Reads dataset f, whose shape check_layout has approved, as doubles. */
static int read_checked(const char *path, const h5_found *found, int f, double **data,
                        dg_error *err)
{
    size_t rank, shape[DG_H5_RANK_MAX];
    int status = dg_h5_read_array(path, found[f].name, &rank, shape, data, err);
    if (status != DG_OK)
        return status;
    size_t len = 1;
    bool same = rank == found[f].rank;
    for (size_t k = 0; same && k < rank; k++) {
        same = shape[k] == found[f].shape[k];
        len *= shape[k];
    }
    if (!same)
        return dg_error_set(err, DG_EFORMAT, "%s:%s changed shape while being read", path,
                            found[f].name);
    char what[DG_ERROR_MESSAGE_SIZE]; /* longer would be cut in the message */
    snprintf(what, sizeof what, "%s:%s", path, found[f].name);
    return dg_check_finite(*data, 1, len, what, err);
}

/* Re-sets err's status with "PREFIX: old message" and returns status. */
static int wrap_error(dg_error *err, int status, const char *path, const char *dataset)
{
    if (err) {
        char old[DG_ERROR_MESSAGE_SIZE];
        memcpy(old, err->message, sizeof old);
        dg_error_set(err, status, "%s:%s: %s", path, dataset, old);
    }
    return status;
}

int dg_gmm_load(const char *path, dg_gmm **out, dg_error *err)
{
    return dg_gmm_load_group(path, "", out, err);
}

/* found[f].name ← group + gmm_dataset[f], group's trailing '/' left out. */
static int dataset_names(const char *path, const char *group, h5_found *found, dg_error *err)
{
    memset(found, 0, F_COUNT * sizeof *found);
    const size_t glen = strlen(group) - (group[0] && group[strlen(group) - 1] == '/');
    if (glen + DATASET_SUFFIX_SIZE > sizeof found[0].name)
        return dg_error_set(err, DG_EINVAL, "%s: group name too long", path);
    for (int f = 0; f < F_COUNT; f++)
        snprintf(found[f].name, sizeof found[f].name, "%.*s%s", (int)glen, group, gmm_dataset[f]);
    return DG_OK;
}

/* Reads the datasets of layout l into data[], and checks the weights. */
static int read_datasets(const char *path, const h5_found *found, const gmm_layout *l,
                         double **data, dg_error *err)
{
    const int need[] = {F_WEIGHTS, F_MEANS, l->form, F_EIGVALS};
    const size_t nneed = l->form == F_EIGVECS ? 4 : 3;
    int status = DG_OK;
    for (size_t f = 0; status == DG_OK && f < nneed; f++)
        status = read_checked(path, found, need[f], &data[need[f]], err);
    for (size_t k = 0; status == DG_OK && k < l->K; k++)
        if (!(data[F_WEIGHTS][k] > 0))
            status = dg_error_set(err, DG_EINVAL, "%s:%s: weight %zu is not positive (%g)", path,
                                  found[F_WEIGHTS].name, k, data[F_WEIGHTS][k]);
    return status;
}

/* *g ← the mixture of the datasets read, checked; errors name the dataset. */
static int build_mixture(const char *path, const h5_found *found, const gmm_layout *l,
                         double *const *data, dg_gmm **g, dg_error *err)
{
    const size_t K = l->K, d = l->d, r = l->r;
    int status = dg_gmm_alloc(K, d, g, err);
    for (size_t k = 0; status == DG_OK && k < K; k++) {
        const double w = data[F_WEIGHTS][k], *mu = data[F_MEANS] + k * d;
        if (l->form == F_COVS)
            status = dg_gmm_set_full(*g, k, w, mu, data[F_COVS] + k * d * d, err);
        else if (l->form == F_VARIANCES)
            status = dg_gmm_set_diag(*g, k, w, mu, data[F_VARIANCES] + k * d, err);
        else
            status = dg_gmm_set_lowrank(*g, k, w, mu, r, data[F_EIGVECS] + k * r * d,
                                        data[F_EIGVALS] + k * r, err);
        if (status != DG_OK)
            status = wrap_error(err, status, path, gmm_dataset[l->form]);
    }
    if (status == DG_OK && (status = dg_gmm_check(*g, err)) != DG_OK)
        status = wrap_error(err, status, path, found[F_WEIGHTS].name);
    return status;
}

int dg_gmm_load_group(const char *path, const char *group, dg_gmm **out, dg_error *err)
{
    *out = NULL;
    h5_found found[F_COUNT];
    gmm_layout layout = {F_COVS, 0, 0, 0};
    int status = dataset_names(path, group, found, err);
    if (status == DG_OK)
        status = dg_h5_walk(path, find_gmm_dataset, found, err);
    if (status == DG_OK)
        status = check_layout(path, found, &layout, err);
    if (status != DG_OK)
        return status;

    double *data[F_COUNT] = {NULL};
    dg_gmm *g = NULL;
    status = read_datasets(path, found, &layout, data, err);
    if (status == DG_OK)
        status = build_mixture(path, found, &layout, data, &g, err);
    for (int f = 0; f < F_COUNT; f++)
        dg_doubles_free(data[f]);
    if (status != DG_OK)
        dg_gmm_free(g);
    else
        *out = g;
    return status;
}
