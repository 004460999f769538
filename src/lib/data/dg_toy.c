/* dg_toy: the named toy data sets of teaching (see dg_toy.h). */
#include "config.h"

#include "dg_toy.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/* The keys a set may take; a set lists those it has. */
typedef enum toy_key { KEY_N, KEY_SEED, KEY_NOISE, KEY_TURNS, KEY_D, KEY_CELLS, NKEYS } toy_key;

static const char *const key_names[NKEYS] = {"n", "seed", "noise", "turns", "d", "cells"};

/* The values of every key, defaults filled in by the set. */
typedef struct toy_params {
    double v[NKEYS];
    bool has[NKEYS]; /* the set takes this key */
} toy_params;

/* One row of a set: d coordinates into row, from rng. */
typedef void (*toy_row)(const toy_params *p, size_t i, gsl_rng *rng, double *row);

typedef struct toy_type {
    const char *name;
    toy_row row;
    double defaults[NKEYS]; /* NAN: the set has no such key */
} toy_type;

/* The longest spec accepted, NUL included. */
#define TOY_SPEC_SIZE 256
/* The most rows a toy set may ask for, and the largest board. */
#define TOY_ROWS_MAX 1e9
#define TOY_SEED_MAX 4294967295.0
#define TOY_TURNS_MAX 1000.0
#define TOY_CELLS_MAX 1000.0
/* The swissroll's angle runs over [1.5π, 4.5π]; its radius is t / (4.5π). */
#define ROLL_T0 (1.5 * M_PI)
#define ROLL_T1 (4.5 * M_PI)

/* ------------------------------------------------------------------------ */
/* Generators: one row each, a fixed number of draws a row                  */
/* ------------------------------------------------------------------------ */

/* Adds isotropic Gaussian noise of the set's scale to the d coordinates. */
static void add_noise(const toy_params *p, gsl_rng *rng, size_t d, double *row)
{
    for (size_t j = 0; j < d; j++)
        row[j] += gsl_ran_gaussian_ziggurat(rng, 1.0) * p->v[KEY_NOISE];
}

static void moons_row(const toy_params *p, size_t i, gsl_rng *rng, double *row)
{
    const double t = M_PI * gsl_rng_uniform(rng);
    if (i % 2 == 0) {
        row[0] = cos(t);
        row[1] = sin(t);
    } else {
        row[0] = 1 - cos(t);
        row[1] = 0.5 - sin(t);
    }
    add_noise(p, rng, 2, row);
}

static void spiral_row(const toy_params *p, size_t i, gsl_rng *rng, double *row)
{
    (void)i;
    /* √u: the arm's points spread evenly along its length, which grows
     * like θ². */
    const double r = sqrt(gsl_rng_uniform(rng));
    const double theta = 2 * M_PI * p->v[KEY_TURNS] * r;
    row[0] = r * cos(theta);
    row[1] = r * sin(theta);
    add_noise(p, rng, 2, row);
}

static void swissroll_row(const toy_params *p, size_t i, gsl_rng *rng, double *row)
{
    (void)i;
    const double t = ROLL_T0 + (ROLL_T1 - ROLL_T0) * gsl_rng_uniform(rng);
    const double h = 2 * gsl_rng_uniform(rng) - 1;
    const double r = t / ROLL_T1;
    const size_t d = (size_t)p->v[KEY_D];
    row[0] = r * cos(t);
    row[1] = r * sin(t);
    if (d == 3)
        row[2] = h;
    add_noise(p, rng, d, row);
}

static void checkerboard_row(const toy_params *p, size_t i, gsl_rng *rng, double *row)
{
    (void)i;
    const size_t cells = (size_t)p->v[KEY_CELLS], half = cells / 2;
    /* Black square b: board row r, and the column of parity r in it. */
    const size_t b = gsl_rng_uniform_int(rng, cells * half);
    const size_t r = b / half, c = 2 * (b % half) + r % 2;
    row[0] = (double)c - (double)half + gsl_rng_uniform(rng);
    row[1] = (double)r - (double)half + gsl_rng_uniform(rng);
}

static const toy_type toy_types[] = {
    /*                          n     seed  noise turns d    cells */
    {"moons", moons_row, {1000, 0, 0.05, NAN, NAN, NAN}},
    {"spiral", spiral_row, {1000, 0, 0.02, 2, NAN, NAN}},
    {"swissroll", swissroll_row, {1000, 0, 0.02, NAN, 2, NAN}},
    {"checkerboard", checkerboard_row, {1000, 0, NAN, NAN, NAN, 4}},
};
#define NTOYS (sizeof toy_types / sizeof toy_types[0])

const char *dg_toy_name(size_t i)
{
    return i < NTOYS ? toy_types[i].name : NULL;
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

/* "n, seed, noise": the keys t takes, for messages. */
static void key_list(const toy_params *p, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t k = 0; k < NKEYS; k++)
        if (p->has[k] && used < size)
            used +=
                (size_t)snprintf(text + used, size - used, "%s%s", used ? ", " : "", key_names[k]);
}

/* p->v[k] ← text, checked: integers for n, seed, d, cells; ranges of each. */
static int parse_value(const toy_type *t, toy_key k, const char *text, toy_params *p, dg_error *err)
{
    const bool integer = k != KEY_NOISE && k != KEY_TURNS;
    char *end;
    errno = 0;
    double v;
    if (integer) {
        const unsigned long long u = strtoull(text, &end, 10);
        if (*text == '\0' || *end || errno || strchr(text, '-'))
            return dg_error_set(err, DG_EINVAL,
                                "synthetic:%s: %s must be a non-negative integer, not '%s'",
                                t->name, key_names[k], text);
        v = (double)u;
    } else {
        v = strtod(text, &end);
        if (*text == '\0' || *end || errno || !isfinite(v))
            return dg_error_set(err, DG_EINVAL,
                                "synthetic:%s: %s must be a finite number, not '%s'", t->name,
                                key_names[k], text);
    }
    const char *problem = NULL;
    if (k == KEY_N && !(v >= 1 && v <= TOY_ROWS_MAX))
        problem = "between 1 and 10^9";
    else if (k == KEY_SEED && v > TOY_SEED_MAX)
        problem = "at most 2^32 − 1";
    else if (k == KEY_NOISE && v < 0)
        problem = "≥ 0";
    else if (k == KEY_TURNS && !(v > 0 && v <= TOY_TURNS_MAX))
        problem = "in (0, 1000]";
    else if (k == KEY_D && v != 2 && v != 3)
        problem = "2 or 3";
    else if (k == KEY_CELLS && !(v >= 2 && v <= TOY_CELLS_MAX && fmod(v, 2) == 0))
        problem = "an even number from 2 to 1000";
    if (problem)
        return dg_error_set(err, DG_EINVAL, "synthetic:%s: %s must be %s, not %s", t->name,
                            key_names[k], problem, text);
    p->v[k] = v;
    return DG_OK;
}

/* p ← t's defaults, then the "key=value" items strtok_r still holds in save. */
static int parse_keys(const toy_type *t, char **save, toy_params *p, dg_error *err)
{
    for (size_t k = 0; k < NKEYS; k++) {
        p->has[k] = !isnan(t->defaults[k]);
        p->v[k] = p->has[k] ? t->defaults[k] : 0;
    }
    for (char *kv = strtok_r(NULL, ",", save); kv; kv = strtok_r(NULL, ",", save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return dg_error_set(err, DG_EINVAL, "synthetic:%s: '%s' is not key=value", t->name, kv);
        *eq = '\0';
        size_t k = 0;
        while (k < NKEYS && !(p->has[k] && strcmp(key_names[k], kv) == 0))
            k++;
        if (k == NKEYS) {
            char keys[64];
            key_list(p, keys, sizeof keys);
            return dg_error_set(err, DG_EINVAL, "synthetic:%s: unknown parameter '%s' (%s)",
                                t->name, kv, keys);
        }
        const int status = parse_value(t, (toy_key)k, eq + 1, p, err);
        if (status != DG_OK)
            return status;
    }
    return DG_OK;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */
/* ------------------------------------------------------------------------ */

/* The rows [0, first + count) from one stream; keeps [first, first + count). */
static int draw(const toy_type *t, const toy_params *p, const dg_data_options *opt,
                dg_dataset **out, dg_error *err)
{
    const size_t n = (size_t)p->v[KEY_N], d = p->has[KEY_D] ? (size_t)p->v[KEY_D] : 2;
    char what[64];
    snprintf(what, sizeof what, "synthetic:%s", t->name);
    dg_dataset *data;
    int status = dg_dataset_alloc_wanted(opt, n, d, what, &data, err);
    if (status != DG_OK)
        return status;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        dg_dataset_free(data);
        return dg_error_set(err, DG_ENOMEM, "%s: out of memory", what);
    }
    gsl_rng_set(rng, (unsigned long)p->v[KEY_SEED]);
    /* The rows before a shard are drawn and dropped: each row's values
     * depend on the stream before it. */
    double skip[3];
    for (size_t i = 0; i < data->first + data->n; i++)
        t->row(p, i, rng, i < data->first ? skip : data->x + (i - data->first) * d);
    gsl_rng_free(rng);
    *out = data;
    return DG_OK;
}

int dg_toy_load(const char *spec, const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    *out = NULL;
    char buf[TOY_SPEC_SIZE];
    if (strlen(spec) >= sizeof buf)
        return dg_error_set(err, DG_EINVAL, "synthetic spec too long");
    strcpy(buf, spec);
    char *save = NULL;
    const char *name = strtok_r(buf, ",", &save);
    const toy_type *t = NULL;
    for (size_t i = 0; name && i < NTOYS; i++)
        if (strcmp(name, toy_types[i].name) == 0)
            t = &toy_types[i];
    if (!t)
        return dg_error_set(err, DG_EUNKNOWN, "unknown toy data set '%s'", name ? name : "");
    toy_params p;
    const int status = parse_keys(t, &save, &p, err);
    return status == DG_OK ? draw(t, &p, opt, out, err) : status;
}
