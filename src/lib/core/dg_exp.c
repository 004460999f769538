/* dg_exp: a deterministic, vectorisable exp (see dg_exp.h). */
#include "config.h"

#include "dg_exp.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dg_clones.h"

/*
 * Method.  x = k ln 2 + r with k the nearest integer to x / ln 2, so
 * |r| ≤ ln 2 / 2 (Cody and Waite): ln 2 = LN2_HI + LN2_LO, LN2_HI with 32
 * significant bits, so k·LN2_HI is exact for |k| < 2^21 and x − k·LN2_HI
 * is exact (Sterbenz); r is kept as r + r_lo, its rounding error
 * included.  e^r is the Taylor polynomial of degree 13, whose remainder is
 * below 5·10⁻¹⁸ relative for |r| ≤ 0.347, evaluated by Estrin's scheme
 * (so throughput, not latency, bounds the vectorised loop); its leading
 * 1 + r is added as an exact sum of two doubles, so the error is about one
 * rounding.  Then
 * e^x = e^r · 2^k1 · 2^k2, k1 = ⌊k/2⌋ and k2 = k − k1, two powers of two
 * built from bits: both are normal over the whole clamped range, the first
 * product is exact and the second rounds once, also into the subnormals.
 *
 * Every step is an IEEE operation or an operation on integer bits, the same
 * for every element, written without branches (the clamp is a select), so
 * dg_exp_array's loop vectorises and gives what dg_exp gives.
 */

/* Arguments are clamped to [−ARG_BOUND, ARG_BOUND]: e^−746 rounds to 0 and
 * e^746 overflows to +∞ through the same arithmetic. */
static const double ARG_BOUND = 746.0;
static const double INV_LN2 = 0x1.71547652b82fep0;
static const double LN2_HI = 0x1.62e42fee00000p-1;
static const double LN2_LO = 0x1.a39ef35793c76p-33;
/* y + SHIFTER rounds y to an integer held in the low bits of the result,
 * for |y| < 2^51 (1.5·2^52: its last bit weighs 1). */
static const double SHIFTER = 0x1.8p52;
static const uint64_t SHIFTER_BITS = UINT64_C(0x4338000000000000);
/* k + K_BIAS ≥ 0 over the clamped range, so ⌊k/2⌋ is a logical shift. */
static const uint64_t K_BIAS = 2048;

/* 1/n! for n = 2 … 13; the divisions are correctly rounded at compile time. */
#define C2 (1.0 / 2)
#define C3 (1.0 / 6)
#define C4 (1.0 / 24)
#define C5 (1.0 / 120)
#define C6 (1.0 / 720)
#define C7 (1.0 / 5040)
#define C8 (1.0 / 40320)
#define C9 (1.0 / 362880)
#define C10 (1.0 / 3628800)
#define C11 (1.0 / 39916800)
#define C12 (1.0 / 479001600)
#define C13 (1.0 / 6227020800)

static inline double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static inline uint64_t double_to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double exp_kernel(double x)
{
    /* One select on a quiet comparison, whose operands raise no exception,
     * so compilers if-convert it without -fno-trapping-math (two selects in
     * a row would let them thread the second and keep branches); a NaN
     * stays NaN. */
    x = isgreater(fabs(x), ARG_BOUND) ? copysign(ARG_BOUND, x) : x;
    const double shifted = x * INV_LN2 + SHIFTER;
    const double k = shifted - SHIFTER;
    const double t = x - k * LN2_HI;
    const double klo = k * LN2_LO;
    const double r = t - klo;
    const double r_lo = (t - r) - klo;
    /* q(r) = Σ_{n=2}^{13} r^(n−2)/n! by Estrin's scheme: as many
     * operations as Horner's, in a dependency chain a third as long. */
    const double r2 = r * r, r4 = r2 * r2;
    const double q01 = C2 + C3 * r, q23 = C4 + C5 * r, q45 = C6 + C7 * r;
    const double q67 = C8 + C9 * r, q89 = C10 + C11 * r, qab = C12 + C13 * r;
    const double q03 = q01 + q23 * r2, q47 = q45 + q67 * r2, q8b = q89 + qab * r2;
    const double q = q03 + r4 * (q47 + r4 * q8b);
    /* 1 + r = hi + lo exactly (|r| < 1). */
    const double hi = 1.0 + r;
    const double lo = (1.0 - hi) + r;
    const double p = hi + (lo + (r2 * q + r_lo));
    /* Unsigned arithmetic: a NaN's bits give some scale, and NaN · scale
     * is NaN. */
    const uint64_t kb = double_to_bits(shifted) - SHIFTER_BITS + K_BIAS;
    const uint64_t k1b = kb >> 1;
    const double scale1 = bits_to_double((k1b - K_BIAS / 2 + 1023) << 52);
    const double scale2 = bits_to_double((kb - k1b - K_BIAS / 2 + 1023) << 52);
    return p * scale1 * scale2;
}

double dg_exp(double x)
{
    return exp_kernel(x);
}

/* Elements per pass: a fixed count, so that compilers vectorise the pass
 * with no remainder loop (gcc's -O2 cost model asks for that). */
#define LANES 8

static void exp_lanes(double *x)
{
    for (size_t i = 0; i < LANES; i++)
        x[i] = exp_kernel(x[i]);
}

/*
 * Compiled for every vector width (dg_clones.h): wider vectors do the same
 * IEEE operations lane by lane, so every clone gives dg_exp's bits;
 * tests/test_exp.c checks the one the machine runs.
 */
DG_CLONES static void exp_array(double *x, size_t n)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        exp_lanes(x + i);
    if (i < n) {
        double tail[LANES] = {0};
        memcpy(tail, x + i, (n - i) * sizeof *x);
        exp_lanes(tail);
        memcpy(x + i, tail, (n - i) * sizeof *x);
    }
}

/* The plain symbol in front of the clones. */
void dg_exp_array(double *x, size_t n)
{
    exp_array(x, n);
}
