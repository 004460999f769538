# 04-cosine.gp: the direction of the ODE step points at the end point (doc/theory.md §8,
# experiment 4).
#
#   gnuplot -c plots/04-cosine.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2 [RUN3.h5 LABEL3]]
#
# Each RUN is a run file with /metrics (`diffgeo analyze`).  /metrics/cosine holds
# cos(d_i, x_i − x_T) with d_i = (x_i − D(x_i; σ_i))/σ_i, per grid index and trajectory.  The
# cosine is so close to 1 that it is drawn as 1 − cos on a log axis (left), with the cosine
# itself on the right axis: mean ± std band and the smallest cosine over the trajectories
# (dashed) against σ.  Where 1 − cos is below 1e-12 (rounding), the exact denoiser returns the
# training image of the end and d_i is parallel to x_i − x_T: noted on the figure.
# Each `diffgeo table` command runs once.

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 4) {
    print "usage: gnuplot -c 04-cosine.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2 [RUN3.h5 LABEL3]]"
    exit error "04-cosine.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
load PLOTS . "lib.gp"
NRUN = int((ARGC - 2) / 2)
if (NRUN > 3) { NRUN = 3 }
run(k) = value(sprintf("ARG%d", 2 * k + 3))
label(k) = (ARGC >= 2 * k + 4) ? value(sprintf("ARG%d", 2 * k + 4)) : run(k)
colour(k) = word("#1f5fa8 #d2601a #2a9d4a", k + 1)
point(k) = int(word("7 5 9", k + 1))
block(k) = sprintf("$c%d", k)

info = runinfo(run(0))
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("04-cosine.gp: '%s info %s' failed", DG, run(0))
}
desc = ""
sig_lo = 1e300; sig_hi = 0; floor_1mc = 1
array c0[3]; array cmin[3]; array cmin_sig[3]
do for [k = 0:NRUN - 1] {
    inf = runinfo(run(k))
    if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(inf, "/metrics/cosine") == 0) {
        exit error sprintf("04-cosine.gp: %s is not a run file with /metrics ('%s analyze' it)", run(k), DG)
    }
    desc = desc . sprintf("%s%s: NFE %s", k > 0 ? ", " : "", label(k), cfg(inf, "nfe"))
    # columns: index sigma mean std min max
    eval sprintf("set table %s", block(k))
    plot "< " . tab(run(k), "/metrics/cosine", "--reduce --sigma") using 1:2:3:4:5:6 with table
    unset table
    # (stats obeys the axis ranges: all of them here, before any range is set)
    eval sprintf("stats %s using 2 nooutput", block(k))
    sig_hi = STATS_max > sig_hi ? STATS_max : sig_hi
    sig_lo = STATS_min < sig_lo ? STATS_min : sig_lo
    eval sprintf("stats %s every ::0::0 using 3 nooutput", block(k))
    c0[k + 1] = STATS_max
    eval sprintf("stats %s using 3 nooutput", block(k))
    cmin[k + 1] = STATS_min
    eval sprintf("stats %s every ::%d::%d using 2 nooutput", block(k), STATS_index_min, STATS_index_min)
    cmin_sig[k + 1] = STATS_max
    eval sprintf("stats %s using (1 - $3 > 0 ? 1 - $3 : NaN) nooutput", block(k))
    floor_1mc = STATS_min < floor_1mc ? STATS_min : floor_1mc
}

FLOOR = 10**floor(log10(floor_1mc > 1e-12 ? floor_1mc : 1e-12))
# grid points where the mean is 1 to rounding (1 − cos < 1e-12): the largest such σ that holds
# for every run
sig_one = 1e300
do for [k = 0:NRUN - 1] {
    eval sprintf("stats %s using (1 - $3 < 1e-12 ? $2 : NaN) nooutput", block(k))
    sig_one = (STATS_records > 0 && STATS_max < sig_one) ? STATS_max : (STATS_records > 0 ? sig_one : 0)
}
FLOOR = 1e-6 < FLOOR ? 1e-6 : FLOOR

set terminal pngcairo size 1400,820 enhanced font "Sans,15" linewidth 1.5
set output OUT
eval sigaxis(sig_lo, sig_hi)
set title sprintf("{/:Bold The ODE direction points at the end point: cos(d_i, x_i − x_T),  d_i = (x_i − D(x_i; σ_i))/σ_i}\n" . \
    "{/*0.8 data %s, %s trajectories per run (%s), exact optimal denoiser}", cfg(info, "data"), cfg(info, "n"), desc) font ",17"
set lmargin 12
set rmargin 17
set ylabel "1 − cos(d_i, x_i − x_T)   (log scale)"
set y2label "cos(d_i, x_i − x_T)"
set logscale y
set logscale y2
set yrange [FLOOR:1]
set y2range [FLOOR:1]
set format y "10^{%T}"
set ytics nomirror
set y2tics ("0" 1, "0.9" 0.1, "0.99" 0.01, "0.999" 1e-3, "0.9999" 1e-4, "0.99999" 1e-5, "1 − 10^{−6}" 1e-6, "1 − 10^{−8}" 1e-8, "1 − 10^{−10}" 1e-10) out nomirror
set key top left
txt = ""
do for [k = 0:NRUN - 1] { txt = txt . sprintf("%s%s: cos = %.6f at σ = %g,\n    smallest mean %.4f at σ = %.2g", k > 0 ? "\n" : "", label(k), c0[k + 1], sig_hi, cmin[k + 1], cmin_sig[k + 1]) }
if (sig_one > 0 && sig_one < 1e300) {
    txt = txt . sprintf("\n\nfor σ ≤ %.2g the mean is 1 to rounding\n(below this axis): D returns the end's\ntraining image, so d_i ∥ x_i − x_T", sig_one)
}
set label 1 txt at graph 0.54, graph 0.80 left front font ",13" boxed
plot for [k = 0:NRUN - 1] block(k) using 2:(lofloor(1 - $3, $4, FLOOR)):(1 - $3 + $4) with filledcurves fc rgb colour(k) @BAND notitle, \
     for [k = 0:NRUN - 1] block(k) using 2:(pos(1 - $3)) with linespoints lc rgb colour(k) lw 2 pt point(k) ps 0.8 title label(k) . ": mean ± std", \
     for [k = 0:NRUN - 1] block(k) using 2:(pos(1 - $5)) with lines lc rgb colour(k) lw 1.5 dt 2 notitle, \
     keyentry with lines lc rgb "#606060" lw 1.5 dt 2 title "the smallest cosine over the trajectories"
set output
