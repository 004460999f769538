/*
 * Tests of dg_exp: errors in ulps against long-double expl over millions of
 * arguments, exact values, monotonicity where the argument reduction
 * changes k, the edges (infinities, NaN, underflow, overflow) and the array
 * form against the scalar one, bit for bit.
 */
#include "config.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg_exp.h"
#include "tap.h"

/* The contract: within this many ulps of the correctly rounded result. */
#define ULP_BOUND 2.0

static uint64_t bits_of(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/*
 * The error of got against e^x in ulps of the correctly rounded result y:
 * ulp(y) = 2^(⌊log2 |y|⌋ − 52), and 2^−1074 among the subnormals and at 0.
 * e^x comes from expl, whose own error (about 2^−63 relative on x86-64)
 * is a thousandth of a double ulp.  A result that overflows must be +∞.
 */
static double ulp_error(double got, double x)
{
    const long double exact = expl((long double)x);
    const double y = (double)exact;
    if (isinf(y))
        return got == INFINITY ? 0 : INFINITY;
    const double ulp = y < DBL_MIN ? 0x1p-1074 : ldexp(1.0, ilogb(y) - 52);
    return (double)(fabsl((long double)got - exact) / ulp);
}

/* Error statistics of one range of arguments. */
typedef struct range_stats {
    double worst;      /* largest error, ulps */
    double worst_x;    /* where */
    size_t mismatches; /* array ≠ scalar, bitwise */
    size_t above_one;  /* x ≤ 0 with a result above 1 */
} range_stats;

/* Errors of dg_exp_array over the n arguments x (overwritten), each also
 * evaluated by dg_exp. */
static range_stats measure(double *x, double *y, size_t n)
{
    range_stats s = {0, 0, 0, 0};
    memcpy(y, x, n * sizeof *x);
    dg_exp_array(y, n);
    for (size_t i = 0; i < n; i++) {
        const double e = ulp_error(y[i], x[i]);
        if (!(e <= s.worst)) {
            s.worst = e;
            s.worst_x = x[i];
        }
        if (bits_of(y[i]) != bits_of(dg_exp(x[i])))
            s.mismatches++;
        if (x[i] <= 0 && y[i] > 1)
            s.above_one++;
    }
    return s;
}

static void report(range_stats s, size_t n, const char *what)
{
    ok(s.worst <= ULP_BOUND, "%zu arguments in %s: max error %.4f ulp (at %.17g), bound %g", n,
       what, s.worst, s.worst_x, ULP_BOUND);
    ok(s.mismatches == 0, "%s: dg_exp_array gives dg_exp's bits (%zu differ)", what, s.mismatches);
    ok(s.above_one == 0, "%s: no weight above 1 for x ≤ 0 (%zu)", what, s.above_one);
}

/*
 * The determinism contract: dg_exp's operations, each result stored through
 * a volatile double so that it is rounded to double on its own, whatever the
 * compiler's flags (no contraction into FMA, no extended precision).  The
 * method (dg_exp.c): k = round(x / ln 2) by the 1.5·2^52 shifter, r from a
 * two-constant ln 2 with its rounding error, Taylor to degree 13 by
 * Estrin's scheme, 1 + r as an exact sum, 2^k as 2^⌊k/2⌋ · 2^(k − ⌊k/2⌋).
 */
static double rounded_exp(double x0)
{
    if (isnan(x0))
        return NAN;
    volatile double x = isgreater(fabs(x0), 746.0) ? copysign(746.0, x0) : x0;
    volatile double t1 = x * 0x1.71547652b82fep0, shifted = t1 + 0x1.8p52;
    volatile double k = shifted - 0x1.8p52;
    volatile double khi = k * 0x1.62e42fee00000p-1, t = x - khi;
    volatile double klo = k * 0x1.a39ef35793c76p-33, r = t - klo;
    volatile double d = t - r, r_lo = d - klo;
    /* 1/n!, n! exact in a double up to 13!, then one correctly rounded
     * division, as the compiler folds dg_exp.c's constants. */
    double c[14], factorial = 1;
    for (int j = 0; j < 14; j++) {
        factorial *= j > 0 ? j : 1;
        c[j] = 1.0 / factorial;
    }
    volatile double r2 = r * r, r4 = r2 * r2, pair[6], m;
    for (int j = 0; j < 6; j++) {
        m = c[2 * j + 3] * r;
        pair[j] = c[2 * j + 2] + m;
    }
    volatile double quad[3];
    for (int j = 0; j < 3; j++) {
        m = pair[2 * j + 1] * r2;
        quad[j] = pair[2 * j] + m;
    }
    volatile double q = r4 * quad[2];
    q = quad[1] + q;
    q = r4 * q;
    q = quad[0] + q;
    volatile double hi = 1.0 + r, lo = 1.0 - hi;
    lo = lo + r;
    volatile double tail = r2 * q;
    tail = tail + r_lo;
    tail = lo + tail;
    volatile double p = hi + tail;
    const int64_t kk = (int64_t)k, k1 = kk >= 0 ? kk / 2 : -((1 - kk) / 2);
    volatile double scaled = p * ldexp(1.0, (int)k1);
    return scaled * ldexp(1.0, (int)(kk - k1));
}

/* dg_exp and dg_exp_array against rounded_exp, bit for bit. */
static void test_bits(gsl_rng *rng, double *x, double *y, size_t n)
{
    size_t scalar = 0, array = 0;
    for (size_t i = 0; i < n; i++)
        x[i] = (i % 4 ? -746.0 : 746.0) * gsl_rng_uniform(rng);
    memcpy(y, x, n * sizeof *x);
    dg_exp_array(y, n);
    for (size_t i = 0; i < n; i++) {
        const uint64_t want = bits_of(rounded_exp(x[i]));
        scalar += bits_of(dg_exp(x[i])) != want;
        array += bits_of(y[i]) != want;
    }
    ok(scalar == 0 && array == 0,
       "%zu arguments in [-746, 746]: the bits of the operations rounded one at a time "
       "(%zu scalar, %zu array differ)",
       n, scalar, array);
}

/* Uniform arguments in [lo, hi]. */
static void test_uniform(gsl_rng *rng, double lo, double hi, size_t n, double *x, double *y,
                         const char *what)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
    report(measure(x, y, n), n, what);
}

/* Arguments of magnitude 10^−300 … 1, log-uniform, both signs. */
static void test_small(gsl_rng *rng, size_t n, double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        const double m = pow(10.0, -300.0 * gsl_rng_uniform(rng));
        x[i] = i % 2 ? -m : m;
    }
    report(measure(x, y, n), n, "±[1e-300, 1] (log-uniform)");
}

/*
 * Monotonicity: a dense sweep over [−746, 0], and every run of consecutive
 * doubles around the points (j + ½) ln 2 where the reduction switches k and
 * the polynomial is used at both ends of its interval.
 */
static void test_monotonic(double *x, double *y, size_t cap)
{
    size_t n = 0, bad = 0;
    const double lo = -746.0;
    for (; n < cap; n++)
        x[n] = lo + (0.0 - lo) * (double)n / (double)(cap - 1);
    memcpy(y, x, n * sizeof *x);
    dg_exp_array(y, n);
    for (size_t i = 1; i < n; i++)
        bad += y[i] < y[i - 1];
    ok(bad == 0, "monotonic over %zu points evenly spaced in [-746, 0] (%zu decreases)", n, bad);

    const int half = 200;
    size_t runs = 0, points = 0;
    bad = 0;
    for (int j = -1077; j <= 1024; j++) {
        double t = (j + 0.5) * 0.69314718055994530942;
        for (int h = 0; h < half; h++)
            t = nextafter(t, -INFINITY);
        for (int h = 0; h < 2 * half; h++) {
            x[h] = t;
            t = nextafter(t, INFINITY);
        }
        memcpy(y, x, 2 * half * sizeof *x);
        dg_exp_array(y, 2 * half);
        for (int h = 1; h < 2 * half; h++)
            bad += y[h] < y[h - 1];
        runs++;
        points += 2 * half;
    }
    ok(bad == 0,
       "monotonic over %zu runs of %d consecutive doubles across the switches of k "
       "(%zu points, %zu decreases)",
       runs, 2 * half, points, bad);
    /* Powers of two from −1 to −2^−1074, 0, then up from 2^−1074 to 1. */
    n = 0;
    for (int e = 0; e <= 1074; e++)
        x[n++] = -ldexp(1.0, -e);
    x[n++] = 0;
    for (int e = 1074; e >= 0; e--)
        x[n++] = ldexp(1.0, -e);
    memcpy(y, x, n * sizeof *x);
    dg_exp_array(y, n);
    bad = 0;
    for (size_t i = 1; i < n; i++)
        bad += y[i] < y[i - 1];
    ok(bad == 0, "monotonic over ±2^-e, e = 0 … 1074, across 0 (%zu decreases)", bad);
}

static void test_exact(void)
{
    ok(bits_of(dg_exp(0.0)) == bits_of(1.0), "exp(0) = 1 exactly");
    ok(bits_of(dg_exp(-0.0)) == bits_of(1.0), "exp(-0) = 1 exactly");
    double a[3] = {0.0, -0.0, 0.0};
    dg_exp_array(a, 3);
    ok(a[0] == 1.0 && a[1] == 1.0 && a[2] == 1.0, "exp(±0) = 1 exactly in the array form");
    /* |x| < 2^−54: e^x rounds to 1. */
    ok(dg_exp(-0x1p-55) == 1.0 && dg_exp(0x1p-55) == 1.0 && dg_exp(-DBL_TRUE_MIN) == 1.0,
       "exp(±2^-55) = exp(-min subnormal) = 1");
}

static void test_edges(void)
{
    ok(bits_of(dg_exp(-INFINITY)) == bits_of(0.0), "exp(-inf) = +0");
    ok(dg_exp(INFINITY) == INFINITY, "exp(+inf) = +inf");
    ok(isnan(dg_exp(NAN)) && isnan(dg_exp(-NAN)), "exp(NaN) is NaN");
    const double huge_negative[] = {-DBL_MAX, -1e300, -1e16, -1e6, -1000, -746, -745.2};
    size_t bad = 0;
    for (size_t i = 0; i < sizeof huge_negative / sizeof *huge_negative; i++)
        bad += bits_of(dg_exp(huge_negative[i])) != bits_of(0.0);
    ok(bad == 0, "exp(x) = +0 for x from -DBL_MAX to -745.2 (%zu not)", bad);
    const double huge_positive[] = {DBL_MAX, 1e300, 1e16, 1000, 746, 710, 709.79};
    bad = 0;
    for (size_t i = 0; i < sizeof huge_positive / sizeof *huge_positive; i++)
        bad += dg_exp(huge_positive[i]) != INFINITY;
    ok(bad == 0, "exp(x) = +inf for x from 709.79 to DBL_MAX (%zu not)", bad);
    /* ln DBL_MAX = 709.7827: e^709.78 = 1.7928e308, finite. */
    ok(isfinite(dg_exp(709.78)) && dg_exp(709.78) > 1.79e308, "exp(709.78) is finite");
    /* The smallest results: e^x ≈ 2^−1074 near x = −744.44, and the last
     * argument whose exact value rounds up to it. */
    ok(dg_exp(-744.44) == DBL_TRUE_MIN, "exp(-744.44) = 2^-1074");
    ok(dg_exp(-745.13) == DBL_TRUE_MIN && dg_exp(-745.14) == 0,
       "exp(-745.13) = 2^-1074, exp(-745.14) = 0 (halfway at -745.1332)");
    /* The array form on the same edges, NaN and infinities mixed with
     * ordinary arguments. */
    double a[6] = {NAN, -INFINITY, INFINITY, -1e300, -1.5, 1e300};
    dg_exp_array(a, 6);
    ok(isnan(a[0]) && a[1] == 0 && a[2] == INFINITY && a[3] == 0 && a[4] == dg_exp(-1.5) &&
           a[5] == INFINITY,
       "dg_exp_array: NaN, ±inf and huge arguments as dg_exp");
}

/* Every length 0 … 19, so the tail of dg_exp_array is covered, with guard
 * elements after it left alone. */
static void test_lengths(gsl_rng *rng)
{
    size_t bad = 0, touched = 0;
    for (size_t n = 0; n < 20; n++) {
        double x[24], y[24];
        for (size_t i = 0; i < 24; i++)
            x[i] = -50.0 * gsl_rng_uniform(rng);
        memcpy(y, x, sizeof x);
        dg_exp_array(y, n);
        for (size_t i = 0; i < n; i++)
            bad += bits_of(y[i]) != bits_of(dg_exp(x[i]));
        for (size_t i = n; i < 24; i++)
            touched += bits_of(y[i]) != bits_of(x[i]);
    }
    ok(bad == 0 && touched == 0,
       "dg_exp_array of lengths 0 … 19 as dg_exp, nothing beyond n written (%zu, %zu)", bad,
       touched);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261205);
    const size_t n = 4000000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!rng || !x || !y) {
        printf("Bail out! out of memory\n");
        return 1;
    }
    test_exact();
    test_edges();
    test_lengths(rng);
    test_monotonic(x, y, n);
    test_bits(rng, x, y, n / 8);
    if (have_extended_precision()) {
        test_uniform(rng, -745.2, 0.0, n, x, y, "[-745.2, 0] (the weights)");
        test_uniform(rng, -745.2, -708.3, n / 4, x, y, "[-745.2, -708.3] (subnormal results)");
        test_uniform(rng, -0.35, 0.35, n / 4, x, y, "[-0.35, 0.35] (no reduction)");
        test_uniform(rng, 0.0, 709.78, n / 4, x, y, "[0, 709.78]");
        test_uniform(rng, -760.0, 760.0, n / 4, x, y, "[-760, 760] (with underflow, overflow)");
        test_small(rng, n / 4, x, y);
    } else {
        skip(NO_EXTENDED_PRECISION, "errors in ulps against expl");
    }
    free(x);
    free(y);
    gsl_rng_free(rng);
    return done_testing();
}
