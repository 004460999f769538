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
/* The largest number of doubles, k × (r + 1) × d, a lowrank mixture may hold. */
#define LOWRANK_DOUBLES_MAX (64 * SYNTH_SIZE_MAX)
#define SYNTH_KEYS_MAX 5
/* The longest spec accepted, NUL included. */
#define SPEC_SIZE 256
/* Room for a list of names in a message: the keys of a mixture, the mixtures. */
#define NAME_LIST_SIZE 128

typedef struct synth_key {
    const char *name;
    double fallback; /* the default */
    bool integer;    /* a non-negative integer, else a finite real */
    double min, max; /* the allowed range */
} synth_key;

typedef struct synth_type {
    const char *name;
    int (*build)(const double *v, dg_gmm **out, dg_error *err);
    synth_key keys[SYNTH_KEYS_MAX]; /* v[i] is the value of keys[i] */
} synth_type;

/* 2^53: the largest seed a double holds exactly. */
#define SEED_MAX 9007199254740992.0

/* The K components of gauss2d, drawn from rng in a fixed order; w: K scratch weights. */
static int gauss2d_fill(gsl_rng *rng, double *w, size_t K, double spread, double std, dg_gmm *g,
                        dg_error *err)
{
    double total = 0;
    for (size_t k = 0; k < K; k++)
        total += w[k] = 0.5 + gsl_rng_uniform(rng);
    int status = DG_OK;
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
        status = dg_gmm_set_full(g, k, w[k] / total, mean, cov, err);
    }
    return status;
}

static int build_gauss2d(const double *v, dg_gmm **out, dg_error *err)
{
    const size_t K = (size_t)v[0];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *w = malloc(K * sizeof *w);
    int status;
    if (!rng || !w) {
        status = dg_error_set(err, DG_ENOMEM, "gauss2d: out of memory");
        goto release_scratch;
    }
    status = dg_gmm_alloc(K, 2, out, err);
    if (status != DG_OK)
        goto release_scratch;
    gsl_rng_set(rng, (unsigned long)v[1]);
    status = gauss2d_fill(rng, w, K, v[2], v[3], *out, err);

release_scratch:
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

/* Scratch of one lowrank component, drawn from rng. */
typedef struct lowrank_draw {
    gsl_rng *rng;
    double *mean;   /* d */
    double *u;      /* r × d */
    double *lambda; /* r */
} lowrank_draw;

/* The K components of lowrank, drawn in a fixed order. */
static int lowrank_fill(const lowrank_draw *s, size_t d, size_t r, double scale, dg_gmm *g,
                        dg_error *err)
{
    const size_t K = dg_gmm_components(g);
    int status = DG_OK;
    for (size_t k = 0; k < K && status == DG_OK; k++) {
        for (size_t j = 0; j < d; j++)
            s->mean[j] = gsl_ran_gaussian_ziggurat(s->rng, 1.0);
        for (size_t j = 0; j < r * d; j++)
            s->u[j] = gsl_ran_gaussian_ziggurat(s->rng, 1.0);
        for (size_t j = 0; j < r; j++)
            s->lambda[j] = scale * scale * (0.25 + 0.75 * gsl_rng_uniform(s->rng));
        dg_gmm_orthonormalise(s->u, r, d);
        status = dg_gmm_set_lowrank(g, k, 1.0 / (double)K, s->mean, r, s->u, s->lambda, err);
    }
    return status;
}

static int build_lowrank(const double *v, dg_gmm **out, dg_error *err)
{
    const size_t d = (size_t)v[0], K = (size_t)v[1], r = (size_t)v[2];
    if (r > d)
        return dg_error_set(err, DG_EINVAL, "lowrank: r = %zu exceeds d = %zu", r, d);
    if ((double)K * (double)(r + 1) * (double)d > LOWRANK_DOUBLES_MAX)
        return dg_error_set(err, DG_EINVAL,
                            "lowrank: k × (r + 1) × d = %zu × %zu × %zu is too "
                            "large",
                            K, r + 1, d);
    lowrank_draw s = {gsl_rng_alloc(gsl_rng_mt19937), dg_doubles_alloc(d, 1),
                      dg_doubles_alloc(r, d), dg_doubles_alloc(r, 1)};
    int status;
    if (!s.rng || !s.mean || !s.u || !s.lambda) {
        status = dg_error_set(err, DG_ENOMEM, "lowrank: out of memory");
        goto release_scratch;
    }
    status = dg_gmm_alloc(K, d, out, err);
    if (status != DG_OK)
        goto release_scratch;
    gsl_rng_set(s.rng, (unsigned long)v[3]);
    status = lowrank_fill(&s, d, r, v[4], *out, err);

release_scratch:
    dg_doubles_free(s.lambda);
    dg_doubles_free(s.u);
    dg_doubles_free(s.mean);
    gsl_rng_free(s.rng);
    return status;
}

static const synth_type synth_types[] = {
    {"gauss2d",
     build_gauss2d,
     {{"k", 5, true, 1, SYNTH_SIZE_MAX},
      {"seed", 0, true, 0, SEED_MAX},
      {"spread", 3, false, 0, DBL_MAX},
      {"std", 0.4, false, 0, DBL_MAX}}},
    {"rings",
     build_rings,
     {{"rings", 2, true, 1, SYNTH_SIZE_MAX},
      {"per_ring", 8, true, 1, SYNTH_SIZE_MAX},
      {"radius", 1, false, 0, DBL_MAX},
      {"std", 0.05, false, 0, DBL_MAX},
      /* The mixture does not depend on it: it seeds rows drawn with n=. */
      {"seed", 0, true, 0, SEED_MAX}}},
    {"lowrank",
     build_lowrank,
     {{"d", 16, true, 1, SYNTH_SIZE_MAX},
      {"k", 3, true, 1, SYNTH_SIZE_MAX},
      {"r", 2, true, 0, SYNTH_SIZE_MAX},
      {"seed", 0, true, 0, SEED_MAX},
      {"scale", 1, false, 0, DBL_MAX}}},
};
#define NSYNTH (sizeof synth_types / sizeof synth_types[0])

const char *dg_gmm_synthetic_name(size_t i)
{
    return i < NSYNTH ? synth_types[i].name : NULL;
}

/* Appends ", name" (or name alone first) to the list in text. */
static void list_append(char *text, size_t size, size_t *used, const char *name)
{
    if (*used < size)
        *used += (size_t)snprintf(text + *used, size - *used, "%s%s", *used ? ", " : "", name);
}

/* "k, seed, spread, std": the keys of t, for messages. */
static void key_list(const synth_type *t, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < SYNTH_KEYS_MAX && t->keys[i].name; i++)
        list_append(text, size, &used, t->keys[i].name);
}

/* "gauss2d, rings, lowrank": the built-in mixtures, for messages. */
static void type_list(char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < NSYNTH; i++)
        list_append(text, size, &used, synth_types[i].name);
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

/* The type named name (NULL: none), else DG_EUNKNOWN naming the types there are. */
static int find_type(const char *name, const synth_type **t, dg_error *err)
{
    *t = NULL;
    for (size_t i = 0; name && i < NSYNTH; i++)
        if (strcmp(name, synth_types[i].name) == 0)
            *t = &synth_types[i];
    if (*t)
        return DG_OK;
    char types[NAME_LIST_SIZE];
    type_list(types, sizeof types);
    return dg_error_set(err, DG_EUNKNOWN,
                        "unknown synthetic distribution '%s' (%s; synthetic:gmm and "
                        "synthetic:blobs are data sets)",
                        name ? name : "", types);
}

/* v ← t's defaults, then the "key=value" items strtok_r still holds in save. */
static int parse_keys(const synth_type *t, char **save, double *v, dg_error *err)
{
    for (size_t i = 0; i < SYNTH_KEYS_MAX; i++)
        v[i] = t->keys[i].fallback;
    for (char *kv = strtok_r(NULL, ",", save); kv; kv = strtok_r(NULL, ",", save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return dg_error_set(err, DG_EINVAL, "%s: '%s' is not key=value", t->name, kv);
        *eq = '\0';
        size_t i = 0;
        while (i < SYNTH_KEYS_MAX && t->keys[i].name && strcmp(t->keys[i].name, kv) != 0)
            i++;
        if (i == SYNTH_KEYS_MAX || !t->keys[i].name) {
            char keys[NAME_LIST_SIZE];
            key_list(t, keys, sizeof keys);
            return dg_error_set(err, DG_EUNKNOWN, "%s: unknown parameter '%s' (%s)", t->name, kv,
                                keys);
        }
        const int status = parse_value(t, i, eq + 1, &v[i], err);
        if (status != DG_OK)
            return status;
    }
    return DG_OK;
}

int dg_gmm_synthetic(const char *spec, dg_gmm **out, dg_error *err)
{
    *out = NULL;
    char buf[SPEC_SIZE];
    if (strlen(spec) >= sizeof buf)
        return dg_error_set(err, DG_EINVAL, "synthetic mixture spec too long");
    strcpy(buf, spec);
    char *save = NULL;
    const synth_type *t;
    double v[SYNTH_KEYS_MAX];
    int status = find_type(strtok_r(buf, ",", &save), &t, err);
    if (status == DG_OK)
        status = parse_keys(t, &save, v, err);
    if (status != DG_OK)
        return status;
    status = t->build(v, out, err);
    if (status != DG_OK) {
        dg_gmm_free(*out);
        *out = NULL;
    }
    return status;
}
