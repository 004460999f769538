# 07-denoising-converges-faster.gp: the denoising output reaches the final sample long before
# the sampling trajectory does (doc/theory.md §8, experiment 7).
#
#   gnuplot -c plots/07-denoising-converges-faster.gp RUN.h5 OUT.png [DIFFGEO] [RMS] [REL]
#
# RUN.h5 is a run file with /metrics (`diffgeo analyze`).  Per grid index, against σ, mean ± std
# over the trajectories, of ‖x_i − x_T‖ (/metrics/distance_to_end) and ‖D(x_i; σ_i) − x_T‖
# (computed here from /denoised and /samples with rowdist.awk: both against the same end point
# x_T of the sampling trajectory).  Two panels, log y:
#   left   the distances in data units, with the threshold RMS·√d (an RMS difference per pixel
#          of RMS; default 0.02, 1 % of the [−1, 1] pixel range)
#   right  each distance relative to its own start (i = 0), with the threshold REL (default
#          0.01)
# A vertical line marks where the mean first falls below each threshold.  Each `diffgeo table`
# command runs once.

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 2) {
    print "usage: gnuplot -c 07-denoising-converges-faster.gp RUN.h5 OUT.png [DIFFGEO] [RMS] [REL]"
    exit error "07-denoising-converges-faster.gp: missing arguments"
}
RUN = ARG1
OUT = ARG2
DG = (ARGC >= 3 && strlen(ARG3) > 0) ? ARG3 : "diffgeo"
RMS = (ARGC >= 4 && strlen(ARG4) > 0) ? real(ARG4) : 0.02
REL = (ARGC >= 5 && strlen(ARG5) > 0) ? real(ARG5) : 0.01
load PLOTS . "lib.gp"

info = runinfo(RUN)
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("07-denoising-converges-faster.gp: '%s info %s' failed", DG, RUN)
}
if (strstrt(info, "/metrics/distance_to_end") == 0) {
    exit error sprintf("07-denoising-converges-faster.gp: %s has no /metrics; run '%s analyze %s' first", RUN, DG, RUN)
}
D = real(cfg(info, "dim"))
NEVAL = dim0(info, "/denoised")
ABS = RMS * sqrt(D)
# ‖D_i − x_T‖ per trajectory, grid index i = 0 .. NEVAL − 1
dend = sprintf("{ %s; %s; } | %s", tab(RUN, "/samples", ""), slices(RUN, "/denoised", NEVAL - 1), awkf("rowdist", ""))
withsig(cmd, vars) = sprintf("< { %s; %s; } | %s", tab(RUN, "/sigmas", ""), cmd, awkf("rowstats", vars))

# columns: index sigma mean std min max count
set table $x_abs
plot withsig(tab(RUN, "/metrics/distance_to_end", ""), "") using 1:2:3:4:5:6:7 with table
set table $d_abs
plot withsig(dend, "") using 1:2:3:4:5:6:7 with table
set table $x_rel
plot withsig(tab(RUN, "/metrics/distance_to_end", ""), "-v op=byrow0") using 1:2:3:4:5:6:7 with table
set table $d_rel
plot withsig(dend, "-v op=byrow0") using 1:2:3:4:5:6:7 with table
unset table

stats $x_abs using 2 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
# first grid index (and its σ) where the mean is below a threshold
array cross_i[4]; array cross_s[4]
do for [k = 1:4] {
    blk = word("$x_abs $d_abs $x_rel $d_rel", k)
    thr = k <= 2 ? ABS : REL
    eval sprintf("stats %s using ($3 > 0 && $3 < %.17g ? $1 : NaN) nooutput", blk, thr)
    cross_i[k] = STATS_records > 0 ? STATS_min : -1
    eval sprintf("stats %s using ($3 > 0 && $3 < %.17g ? $2 : NaN) nooutput", blk, thr)
    cross_s[k] = STATS_records > 0 ? STATS_max : NaN
}
# floors of the log axes: the smallest positive mean less a decade
stats $x_abs using ($3 > 0 ? $3 : NaN) nooutput
ymin_abs = STATS_min
stats $d_abs using ($3 > 0 ? $3 : NaN) nooutput
ymin_abs = STATS_min < ymin_abs ? STATS_min : ymin_abs
stats $x_abs using ($3 + $4) nooutput
ymax_abs = STATS_max
stats $x_rel using ($3 > 0 ? $3 : NaN) nooutput
ymin_rel = STATS_min
stats $d_rel using ($3 > 0 ? $3 : NaN) nooutput
ymin_rel = STATS_min < ymin_rel ? STATS_min : ymin_rel
FA = 10**(floor(log10(ymin_abs)) - 1)
FR = 10**(floor(log10(ymin_rel)) - 1)
crosstext(k, what) = cross_i[k] >= 0 ? sprintf("%s: step %d (σ = %.2g)", what, cross_i[k], cross_s[k]) : sprintf("%s: not reached", what)

set terminal pngcairo size 1600,820 enhanced font "Sans,15" linewidth 1.5
set output OUT
eval sigaxis(sig_lo, sig_hi)
set multiplot layout 1,2 title sprintf("{/:Bold How fast x_i and the denoising output D(x_i; σ_i) reach the final sample x_T}\n" . \
    "{/*0.8 data %s (d = %d), %s solver, %s timestamps (NFE %s), %s trajectories, exact optimal denoiser; both against the same end x_T}", \
    cfg(info, "data"), D, cfg(info, "solver"), cfg(info, "steps"), cfg(info, "nfe"), cfg(info, "n")) font ",18"
set lmargin 11
set rmargin 4
set logscale y
set format y "10^{%T}"

set title "Distance to the final sample x_T" font ",16"
set ylabel "distance to x_T (data units; log scale)"
set yrange [FA:10**ceil(log10(ymax_abs) + 0.5)]
if (cross_i[1] >= 0) { set arrow 1 from cross_s[1], graph 0 to cross_s[1], graph 1 nohead lc rgb C_X lw 1.2 dt 2 }
if (cross_i[2] >= 0) { set arrow 2 from cross_s[2], graph 0 to cross_s[2], graph 1 nohead lc rgb C_D lw 1.2 dt 2 }
set label 1 sprintf("first step with mean below %.2g\n(RMS %.2g per pixel):\n%s\n%s", ABS, RMS, \
    crosstext(1, "sampling x_i"), crosstext(2, "denoising D(x_i; σ_i)")) at graph 0.97, graph 0.86 right front font ",13" boxed
set key bottom right
plot $x_abs using 2:(lofloor($3, $4, FA)):($3 + $4) with filledcurves fc rgb C_X @BAND notitle, \
     $d_abs using 2:(lofloor($3, $4, FA)):($3 + $4) with filledcurves fc rgb C_D @BAND notitle, \
     $x_abs using 2:(pos($3)) with linespoints lc rgb C_X lw 2 pt 7 ps 0.8 title "‖x_i − x_T‖", \
     $d_abs using 2:(pos($3)) with linespoints lc rgb C_D lw 2 pt 5 ps 0.8 title "‖D(x_i; σ_i) − x_T‖", \
     ABS with lines lc rgb C_REF lw 1.2 dt 3 title sprintf("threshold %.2g", ABS), \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder title "mean ± std"
unset arrow 1; unset arrow 2; unset label 1

set title "Distance to x_T relative to its value at the start" font ",16"
set ylabel "distance to x_T / distance at i = 0   (log scale)"
set yrange [FR:10]
if (cross_i[3] >= 0) { set arrow 1 from cross_s[3], graph 0 to cross_s[3], graph 1 nohead lc rgb C_X lw 1.2 dt 2 }
if (cross_i[4] >= 0) { set arrow 2 from cross_s[4], graph 0 to cross_s[4], graph 1 nohead lc rgb C_D lw 1.2 dt 2 }
set label 1 sprintf("first step with mean below\n%g %% of its start:\n%s\n%s", 100 * REL, \
    crosstext(3, "sampling x_i"), crosstext(4, "denoising D(x_i; σ_i)")) at graph 0.97, graph 0.86 right front font ",13" boxed
set key bottom left
plot $x_rel using 2:(lofloor($3, $4, FR)):($3 + $4) with filledcurves fc rgb C_X @BAND notitle, \
     $d_rel using 2:(lofloor($3, $4, FR)):($3 + $4) with filledcurves fc rgb C_D @BAND notitle, \
     $x_rel using 2:(pos($3)) with linespoints lc rgb C_X lw 2 pt 7 ps 0.8 title "sampling", \
     $d_rel using 2:(pos($3)) with linespoints lc rgb C_D lw 2 pt 5 ps 0.8 title "denoising", \
     REL with lines lc rgb C_REF lw 1.2 dt 3 title sprintf("threshold %g %%", 100 * REL)
unset multiplot
set output
