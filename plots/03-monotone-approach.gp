# 03-monotone-approach.gp: do the sampling and the denoising trajectories approach their end
# monotonically?  (doc/theory.md §8, experiment 3)
#
#   gnuplot -c plots/03-monotone-approach.gp RUN.h5 OUT.png [DIFFGEO]
#
# RUN.h5 is a run file with /metrics (`diffgeo analyze`).  Two panels against σ:
#   left   every trajectory's distance to its end, relative to its start:
#          ‖x_i − x_T‖ / ‖x_0 − x_T‖ and ‖D_i − D_{T−1}‖ / ‖D_0 − D_{T−1}‖ (log y; a denoising
#          distance of exactly 0, reached when the exact denoiser returns a training image,
#          cannot be drawn and ends its line), and the mean over the trajectories relative to
#          its start, mean_i / mean_0 (thick)
#   right  the paper's Observation 2, on the mean over the trajectories: the ratio of
#          consecutive means mean_{i+1} / mean_i (thick; above 1 the claim fails); as extra
#          information the step ratio dist_{i+1} / dist_i of single trajectories, plotted at σ_i:
#          mean ± std band and the largest over the trajectories, a ratio above 1 (one
#          trajectory moving away from its end) marked by a circle
# Each `diffgeo table` command runs once.

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 2) {
    print "usage: gnuplot -c 03-monotone-approach.gp RUN.h5 OUT.png [DIFFGEO]"
    exit error "03-monotone-approach.gp: missing arguments"
}
RUN = ARG1
OUT = ARG2
DG = (ARGC >= 3 && strlen(ARG3) > 0) ? ARG3 : "diffgeo"
load PLOTS . "lib.gp"

info = runinfo(RUN)
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("03-monotone-approach.gp: '%s info %s' failed", DG, RUN)
}
if (strstrt(info, "/metrics/distance_to_end_denoised") == 0) {
    exit error sprintf("03-monotone-approach.gp: %s has no /metrics; run '%s analyze %s' first", RUN, DG, RUN)
}
N = int(cfg(info, "n"))
dist(path, vars) = sprintf("{ %s; %s; } | %s", tab(RUN, "/sigmas", ""), tab(RUN, path, ""), awkf("rowstats", vars))
X = "/metrics/distance_to_end"
DN = "/metrics/distance_to_end_denoised"

# per trajectory, as text (columns index sigma v0 ... v_{n-1}; too many for `with table`)
set print $rel_x
print system(dist(X, "-v op=byrow0 -v out=matrix"))
set print $rel_d
print system(dist(DN, "-v op=byrow0 -v out=matrix"))
set print $all_x
print system(dist(X, "-v op=stepratio -v out=matrix"))
set print $all_d
print system(dist(DN, "-v op=stepratio -v out=matrix"))
unset print
# the means over the trajectories (index sigma mean std min max count), then per step i, at σ_i:
# sigma mean_{i+1}/mean_i (no ratio where both means are 0)
set table $mean_x
plot "< " . dist(X, "") using 1:2:3:4:5:6:7 with table
set table $mean_d
plot "< " . dist(DN, "") using 1:2:3:4:5:6:7 with table
unset table
meanstep(block) = sprintf("ps = NaN; pm = NaN; set table $ms_%s; " . \
    "plot $mean_%s using (s0 = ps, ps = $2, s0):(r = (pm == 0 && $3 == 0) ? NaN : $3 / pm, " . \
    "pm = $3, r) with table; unset table", block, block)
eval meanstep("x")
eval meanstep("d")
if (|$all_d| < 2) { exit error sprintf("03-monotone-approach.gp: cannot read the distances of %s", RUN) }
# step ratios reduced: index sigma mean std min max count
set table $step_x
plot "< " . dist(X, "-v op=stepratio") using 1:2:3:4:5:6:7 with table
set table $step_d
plot "< " . dist(DN, "-v op=stepratio") using 1:2:3:4:5:6:7 with table
unset table

# ---- numbers: violations (ratio > 1) ------------------------------------------------------
viol_x = 0; viol_d = 0; steps_x = 0; steps_d = 0
do for [j = 3:N + 2] {
    # NaN (no defined ratio: a distance 0 before the step) is skipped
    stats $all_x using (column(j) == column(j) ? (column(j) > 1) : NaN) nooutput
    viol_x = viol_x + STATS_sum; steps_x = steps_x + STATS_records
    stats $all_d using (column(j) == column(j) ? (column(j) > 1) : NaN) nooutput
    viol_d = viol_d + STATS_sum; steps_d = steps_d + STATS_records
}
stats $step_x using 6 nooutput
worst_x = STATS_max
stats $step_d using 6 nooutput
worst_d = STATS_max
i_worst = STATS_index_max
stats $step_d every ::i_worst::i_worst using 2 nooutput
worst_d_sig = STATS_max
stats $rel_x using 2 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
# Observation 2: steps at which the mean over the trajectories grows
stats $ms_x using ($2 > 1) nooutput
mup_x = STATS_sum; msteps_x = STATS_records
stats $ms_x using 2 nooutput
mworst_x = STATS_max
stats $ms_d using ($2 > 1) nooutput
mup_d = STATS_sum; msteps_d = STATS_records
stats $ms_d using 2 nooutput
mworst_d = STATS_max
stats $mean_x every ::0::0 using 3 nooutput
m0_x = STATS_max
stats $mean_d every ::0::0 using 3 nooutput
m0_d = STATS_max
# smallest positive relative distance of the sampling curves: floor of the log axis
ymin = 1
do for [j = 3:N + 2] {
    stats $rel_x using (column(j) > 0 ? column(j) : NaN) nooutput
    ymin = STATS_min < ymin ? STATS_min : ymin
}
YFLOOR = 10**(floor(log10(ymin)) - 1)
print sprintf("Observation 2, mean over the trajectories: sampling grows in %d of %d steps (largest ratio %.4f), denoising %d of %d (largest %.4f)", \
              mup_x, msteps_x, mworst_x, mup_d, msteps_d, mworst_d)
print sprintf("single trajectories: sampling %d of %d steps (largest ratio %.4f), denoising %d of %d (largest %.4f at sigma %.3g)", \
              viol_x, steps_x, worst_x, viol_d, steps_d, worst_d, worst_d_sig)

# ---- figure -----------------------------------------------------------------------------------
set terminal pngcairo size 1600,800 enhanced font "Sans,15" linewidth 1.5
set output OUT
eval sigaxis(sig_lo, sig_hi)
set multiplot layout 1,2 title sprintf("{/:Bold Monotone approach to the end point}\n" . \
    "{/*0.8 data %s, %s solver, %s timestamps (NFE %s), %d trajectories, exact optimal denoiser}", \
    cfg(info, "data"), cfg(info, "solver"), cfg(info, "steps"), cfg(info, "nfe"), N) font ",18"
set lmargin 12
set rmargin 4

set title "Distance to the end, relative to the start (every trajectory)" font ",16"
set ylabel "distance to the end / distance at the start   (log scale)"
set logscale y
set format y "10^{%T}"
set yrange [YFLOOR:30]
set key top right
plot for [j = 3:N + 2] $rel_x using 2:(pos(column(j))) with lines lc rgb "#801f5fa8" lw 1 notitle, \
     for [j = 3:N + 2] $rel_d using 2:(pos(column(j))) with lines lc rgb "#80d2601a" lw 1 notitle, \
     $mean_x using 2:(pos($3 / m0_x)) with lines lc rgb C_X lw 4 notitle, \
     $mean_d using 2:(pos($3 / m0_d)) with lines lc rgb C_D lw 4 notitle, \
     keyentry with lines lc rgb C_X lw 2 title "sampling: ‖x_i − x_T‖ / ‖x_0 − x_T‖", \
     keyentry with lines lc rgb C_D lw 2 title "denoising: ‖D_i − D_{T−1}‖ / ‖D_0 − D_{T−1}‖\n(a line ends where D_i = D_{T−1} exactly)", \
     keyentry with lines lc rgb "#606060" lw 4 title "mean over the trajectories / its start"

set title "Step ratio  (below 1: closer to the end)" font ",16"
set ylabel "dist_{i+1} / dist_i   (dimensionless)"
unset logscale y
set format y "%g"
set yrange [0:(worst_d > 1.2 ? worst_d * 2.6 : 3.0)]
set key top left
set label 1 sprintf("Observation 2: the mean over the trajectories\ngrows (ratio of means > 1) in\nsampling %d of %d steps (largest %.3f)\ndenoising %d of %d (largest %.3f)\n\nsingle trajectories (extra), steps away\nfrom the end: sampling %d of %d (largest %.3f)\ndenoising %d of %d (largest %.3f, at σ = %.2g)", \
    mup_x, msteps_x, mworst_x, mup_d, msteps_d, mworst_d, \
    viol_x, steps_x, worst_x, viol_d, steps_d, worst_d, worst_d_sig) at graph 0.97, graph 0.68 right front font ",12" boxed
plot $step_x using 2:(lo0($3, $4)):($3 + $4) with filledcurves fc rgb C_X @BAND notitle, \
     $step_d using 2:(lo0($3, $4)):($3 + $4) with filledcurves fc rgb C_D @BAND notitle, \
     $ms_x using 1:2 with lines lc rgb C_X lw 4 title "sampling: mean_{i+1} / mean_i (Observation 2)", \
     $ms_d using 1:2 with lines lc rgb C_D lw 4 title "denoising: mean_{i+1} / mean_i (Observation 2)", \
     $step_x using 2:3 with linespoints lc rgb C_X lw 1.5 pt 7 ps 0.8 title "sampling: dist_{i+1} / dist_i, mean ± std", \
     $step_d using 2:3 with linespoints lc rgb C_D lw 1.5 pt 5 ps 0.8 title "denoising: dist_{i+1} / dist_i, mean ± std", \
     $step_x using 2:6 with lines lc rgb C_X lw 1.5 dt 2 notitle, \
     $step_d using 2:6 with lines lc rgb C_D lw 1.5 dt 2 notitle, \
     keyentry with lines lc rgb "#606060" lw 1.5 dt 2 title "dist_{i+1} / dist_i, largest over the trajectories", \
     $step_d using 2:($6 > 1 ? $6 : NaN) with points lc rgb "#c00000" pt 6 ps 2.2 lw 2 title "one trajectory steps away from the end", \
     $step_x using 2:($6 > 1 ? $6 : NaN) with points lc rgb "#c00000" pt 6 ps 2.2 lw 2 notitle, \
     1 with lines lc rgb C_REF lw 1.2 notitle
unset multiplot
set output
