/* dg_gmm_synthetic: the built-in teaching mixtures. */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dg_gmm.h"
#include "dg_gmm_internal.h"
#include "dg_tensor.h"

/* The largest number of components or dimensions a teaching mixture may ask for. */
#define SYNTH_SIZE_MAX 1000000.0
#define SYNTH_KEYS_MAX 5

typedef struct synth_key {
    const char *name;
    double fallback; /* the default */
    int integer;     /* 1: a non-negative integer */
    double min, max; /* the allowed range */
} synth_key;

typedef struct synth_type {
    const char *name;
    int (*build)(const double *v, dg_gmm **out, dg_error *err);
    synth_key keys[SYNTH_KEYS_MAX]; /* v[i] is the value of keys[i] */
} synth_type;

/* 2^53: the largest seed a double holds exactly. */
#define SEED_MAX 9007199254740992.0

static int build_gauss2d(const double *v, dg_gmm **out, dg_error *err)
{
    const size_t K = (size_t)v[0];
    const double spread = v[2], std = v[3];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *w = malloc(K * sizeof *w);
    int status = rng && w ? dg_gmm_alloc(K, 2, out, err)
                          : dg_error_set(err, DG_ENOMEM, "gauss2d: out of memory");
    if (status == DG_OK) {
        gsl_rng_set(rng, (unsigned long)v[1]);
        double total = 0;
        for (size_t k = 0; k < K; k++)
            total += w[k] = 0.5 + gsl_rng_uniform(rng);
        for (size_t k = 0; k < K && status == DG_OK; k++) {
            const double rad = spread * sqrt(gsl_rng_uniform(rng));
            const double phi = 2 * M_PI * gsl_rng_uniform(rng);
            const double theta = M_PI * gsl_rng_uniform(rng);
            const double s1 = std * (0.5 + gsl_rng_uniform(rng));
            const double s2 = std * (0.5 + gsl_rng_uniform(rng));
            const double c = cos(theta), s = sin(theta);
            const double mean[2] = {rad * cos(phi), rad * sin(phi)};
            const double off = c * s * (s1 * s1 - s2 * s2);
            const double cov[4] = {c * c * s1 * s1 + s * s * s2 * s2, off, off,
                                   s * s * s1 * s1 + c * c * s2 * s2};
            status = dg_gmm_set_full(*out, k, w[k] / total, mean, cov, err);
        }
    }
    free(w);
    gsl_rng_free(rng);
    return status;
}

static int build_rings(const double *v, dg_gmm **out, dg_error *err)
{
    const size_t rings = (size_t)v[0], per = (size_t)v[1];
    const double radius = v[2], std = v[3];
    if ((double)rings * (double)per > SYNTH_SIZE_MAX)
        return dg_error_set(err, DG_EINVAL, "rings: %zu × %zu components are too many", rings, per);
    const size_t K = rings * per;
    int status = dg_gmm_alloc(K, 2, out, err);
    for (size_t k = 0; k < K && status == DG_OK; k++) {
        const double rad = radius * (double)(k / per + 1);
        const double phi = 2 * M_PI * (double)(k % per) / (double)per;
        const double mean[2] = {rad * cos(phi), rad * sin(phi)};
        status = dg_gmm_set_iso(*out, k, 1.0 / (double)K, mean, std * std, err);
    }
    return status;
}

static int build_lowrank(const double *v, dg_gmm **out, dg_error *err)
{
    const size_t d = (size_t)v[0], K = (size_t)v[1], r = (size_t)v[2];
    const double scale = v[4];
    if (r > d)
        return dg_error_set(err, DG_EINVAL, "lowrank: r = %zu exceeds d = %zu", r, d);
    if ((double)K * (double)(r + 1) * (double)d > 64 * SYNTH_SIZE_MAX)
        return dg_error_set(err, DG_EINVAL,
                            "lowrank: k × (r + 1) × d = %zu × %zu × %zu is too "
                            "large",
                            K, r + 1, d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *mean = dg_doubles_alloc(d, 1), *u = dg_doubles_alloc(r, d);
    double *lambda = dg_doubles_alloc(r, 1);
    int status = rng && mean && u && lambda
                     ? dg_gmm_alloc(K, d, out, err)
                     : dg_error_set(err, DG_ENOMEM, "lowrank: out of memory");
    if (status == DG_OK)
        gsl_rng_set(rng, (unsigned long)v[3]);
    for (size_t k = 0; k < K && status == DG_OK; k++) {
        for (size_t j = 0; j < d; j++)
            mean[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (size_t j = 0; j < r * d; j++)
            u[j] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (size_t j = 0; j < r; j++)
            lambda[j] = scale * scale * (0.25 + 0.75 * gsl_rng_uniform(rng));
        dg_gmm_orthonormalise(u, r, d);
        status = dg_gmm_set_lowrank(*out, k, 1.0 / (double)K, mean, r, u, lambda, err);
    }
    dg_doubles_free(lambda);
    dg_doubles_free(u);
    dg_doubles_free(mean);
    gsl_rng_free(rng);
    return status;
}

static const synth_type synth_types[] = {
    {"gauss2d",
     build_gauss2d,
     {{"k", 5, 1, 1, SYNTH_SIZE_MAX},
      {"seed", 0, 1, 0, SEED_MAX},
      {"spread", 3, 0, 0, DBL_MAX},
      {"std", 0.4, 0, 0, DBL_MAX}}},
    {"rings",
     build_rings,
     {{"rings", 2, 1, 1, SYNTH_SIZE_MAX},
      {"per_ring", 8, 1, 1, SYNTH_SIZE_MAX},
      {"radius", 1, 0, 0, DBL_MAX},
      {"std", 0.05, 0, 0, DBL_MAX}}},
    {"lowrank",
     build_lowrank,
     {{"d", 16, 1, 1, SYNTH_SIZE_MAX},
      {"k", 3, 1, 1, SYNTH_SIZE_MAX},
      {"r", 2, 1, 0, SYNTH_SIZE_MAX},
      {"seed", 0, 1, 0, SEED_MAX},
      {"scale", 1, 0, 0, DBL_MAX}}},
};
#define NSYNTH (sizeof synth_types / sizeof synth_types[0])

const char *dg_gmm_synthetic_name(size_t i)
{
    return i < NSYNTH ? synth_types[i].name : NULL;
}

/* "k, seed, spread, std": the keys of t, for messages. */
static void key_list(const synth_type *t, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < SYNTH_KEYS_MAX && t->keys[i].name && used < size; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%s", i ? ", " : "", t->keys[i].name);
}

/* v[i] ← the value text of key i of t, checked against its range. */
static int parse_value(const synth_type *t, size_t i, const char *text, double *v, dg_error *err)
{
    const synth_key *key = &t->keys[i];
    char *end;
    errno = 0;
    if (key->integer) {
        const unsigned long long u = strtoull(text, &end, 10);
        if (*text == '\0' || *end || errno || strchr(text, '-'))
            return dg_error_set(err, DG_EINVAL, "%s: %s must be a non-negative integer, not '%s'",
                                t->name, key->name, text);
        *v = (double)u;
    } else {
        *v = strtod(text, &end);
        if (*text == '\0' || *end || errno || !isfinite(*v))
            return dg_error_set(err, DG_EINVAL, "%s: %s must be a finite number, not '%s'", t->name,
                                key->name, text);
    }
    if (*v < key->min)
        return dg_error_set(err, DG_EINVAL, "%s: %s must be ≥ %g, not %s", t->name, key->name,
                            key->min, text);
    if (*v > key->max)
        return dg_error_set(err, DG_EINVAL, "%s: %s must be ≤ %g, not %s", t->name, key->name,
                            key->max, text);
    return DG_OK;
}

int dg_gmm_synthetic(const char *spec, dg_gmm **out, dg_error *err)
{
    *out = NULL;
    char buf[256];
    if (strlen(spec) >= sizeof buf)
        return dg_error_set(err, DG_EINVAL, "synthetic mixture spec too long");
    strcpy(buf, spec);
    char *save = NULL, *name = strtok_r(buf, ",", &save);
    const synth_type *t = NULL;
    for (size_t i = 0; name && i < NSYNTH; i++)
        if (strcmp(name, synth_types[i].name) == 0)
            t = &synth_types[i];
    if (!t)
        return dg_error_set(
            err, DG_EUNKNOWN,
            "unknown synthetic distribution '%s' (gmm, blobs, gauss2d, rings, lowrank)",
            name ? name : "");
    double v[SYNTH_KEYS_MAX];
    for (size_t i = 0; i < SYNTH_KEYS_MAX; i++)
        v[i] = t->keys[i].fallback;
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return dg_error_set(err, DG_EINVAL, "%s: '%s' is not key=value", t->name, kv);
        *eq = '\0';
        size_t i = 0;
        while (i < SYNTH_KEYS_MAX && t->keys[i].name && strcmp(t->keys[i].name, kv) != 0)
            i++;
        if (i == SYNTH_KEYS_MAX || !t->keys[i].name) {
            char keys[128];
            key_list(t, keys, sizeof keys);
            return dg_error_set(err, DG_EUNKNOWN, "%s: unknown parameter '%s' (%s)", t->name, kv,
                                keys);
        }
        int status = parse_value(t, i, eq + 1, &v[i], err);
        if (status != DG_OK)
            return status;
    }
    int status = t->build(v, out, err);
    if (status != DG_OK) {
        dg_gmm_free(*out);
        *out = NULL;
    }
    return status;
}
