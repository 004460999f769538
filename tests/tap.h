/*
 * A minimal TAP producer for the C tests (automake's tap-driver.sh reads it).
 * ok() records one test; check_rel() and check_abs() compare numbers with a
 * stated tolerance and print both values on failure.
 */
#ifndef DG_TAP_H
#define DG_TAP_H

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failed;

static void ok(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static void ok(int pass, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass)
        tap_failed++;
    fflush(stdout);
}

/* |got − want| ≤ tol · |want|; NaN never passes. */
static __attribute__((unused)) int check_rel(double got, double want, double tol, const char *what)
{
    const double err = fabs(got - want);
    const int pass = err <= tol * fabs(want);
    ok(pass, "%s (relative error %.3g, tolerance %.3g)", what, want != 0 ? err / fabs(want) : err,
       tol);
    if (!pass)
        printf("# got %.17g, want %.17g\n", got, want);
    return pass;
}

static __attribute__((unused)) int check_abs(double got, double want, double tol, const char *what)
{
    const double err = fabs(got - want);
    const int pass = err <= tol;
    ok(pass, "%s (error %.3g, tolerance %.3g)", what, err, tol);
    if (!pass)
        printf("# got %.17g, want %.17g\n", got, want);
    return pass;
}

static __attribute__((unused)) void diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Records one skipped test (TAP "# SKIP"). */
static void skip(const char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), unused));
static void skip(const char *why, const char *fmt, ...)
{
    va_list ap;
    printf("ok %d - ", ++tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" # SKIP %s\n", why);
    fflush(stdout);
}

/*
 * Whether long double arithmetic carries its extra precision and range at
 * run time.  Valgrind computes x87 instructions in double precision: there,
 * long-double references lose their digits and OpenBLAS's x87 kernels (dnrm2)
 * their range, so the tests that rely on them skip.
 */
static __attribute__((unused)) int have_extended_precision(void)
{
    volatile long double one = 1, tiny = LDBL_EPSILON;
    return sizeof(long double) > sizeof(double) && one + tiny != one;
}

#define NO_EXTENDED_PRECISION "long double runs in double precision here (valgrind?)"

/* Prints the plan at the end and returns the exit status. */
static __attribute__((unused)) int done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif /* DG_TAP_H */
