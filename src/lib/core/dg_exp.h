/*
 * dg_exp: the exponential of the empirical denoiser's weights, the same
 * bits on every IEEE machine and cheap enough that the dense evaluation
 * stays close to its two GEMMs.  Internal to libdiffgeo: not installed.
 *
 * libm's exp may change with the libm version and, in glibc, with the
 * processor (an FMA variant is chosen at run time); dg_exp uses only IEEE
 * additions, multiplications and integer operations on bits, in a fixed
 * order, with FMA contraction off (Makefile.am builds the library with
 * -ffp-contract=off), so it gives the same result wherever double is IEEE
 * binary64 evaluated in binary64 (FLT_EVAL_METHOD 0, every x86-64 and
 * ARM64 target) and the rounding mode is to nearest.
 *
 * Accuracy: within 2 ulp of the correctly rounded exp(x) for every x,
 * including subnormal results (tests/test_exp.c measures under 1 ulp);
 * exp(±0) = 1 exactly; exp(x) = 0 below about −745.13 (where the exact
 * value rounds to zero), +∞ above about 709.78, exp(−∞) = 0,
 * exp(+∞) = +∞, exp(NaN) is NaN.  Floating-point exception flags are not
 * part of the contract.  Thread-safe: no state.
 */
#ifndef DG_EXP_H
#define DG_EXP_H

#include <stddef.h>

/* e^x. */
double dg_exp(double x);

/* x[i] ← e^x[i] for i < n, bit for bit what dg_exp gives each element;
 * vectorised by the compiler. */
void dg_exp_array(double *x, size_t n);

#endif /* DG_EXP_H */
