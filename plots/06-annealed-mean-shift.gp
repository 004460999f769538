# 06-annealed-mean-shift.gp: the optimal Euler sampler is annealed mean shift (doc/theory.md §3,
# §8 experiment 6).
#
#   gnuplot -c plots/06-annealed-mean-shift.gp OUT.png DIFFGEO RUN.h5 MEANSHIFT.h5 RELDIFF.txt
#
# RUN: `diffgeo sample --solver euler`, analysed with --reference (kde_*, nn_distance_ratio);
# MEANSHIFT: `diffgeo meanshift --anneal` from the same starts; RELDIFF: the table of
# 06-annealed-mean-shift.sh (index sigma rel_x_max rel_target_max).  Four panels:
#   (a) the largest relative difference between the two runs per grid index
#   (b) the KDE log-likelihood gain of each Euler step and its lower bound, mean ± std
#   (c) the slack gain/bound − 1 (mean, min, max over the samples): ≥ 0 means the bound holds
#   (d) the distance of each end point to its nearest training image, in units of σ_min √d

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 5) {
    print "usage: gnuplot -c 06-annealed-mean-shift.gp OUT.png DIFFGEO RUN.h5 MEANSHIFT.h5 RELDIFF.txt"
    exit error "06-annealed-mean-shift.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
RUN = ARG3
MS = ARG4
REL = ARG5
load PLOTS . "lib.gp"

info = runinfo(RUN)
if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(info, "/metrics/kde_gain_bound") == 0) {
    exit error sprintf("06-annealed-mean-shift.gp: %s is not a run file analysed with --reference", RUN)
}
data = cfg(info, "data")
ntraj = cfg(info, "n")
steps = cfg(info, "steps")
lim = cfg(info, "limit")
dim = cfg(info, "dim")
limtxt = (lim eq "0" || lim eq "?") ? "all images" : sprintf("first %s images", lim)

set table $kde
plot sprintf("< { %s; %s; %s; %s; } | %s", tab(RUN, "/sigmas", ""), tab(RUN, "/metrics/kde_loglik_before", ""), \
     tab(RUN, "/metrics/kde_loglik_after", ""), tab(RUN, "/metrics/kde_gain_bound", ""), \
     awkf("06-annealed-mean-shift", "")) using 1:2:3:4:5:6:7:8:9 with table
unset table
set table $nn
plot sprintf("< %s", tab(RUN, "/metrics/nn_distance_ratio", "")) using 1:2 with table
unset table
stats $nn using 2 nooutput
nn_mean = STATS_mean; nn_max = STATS_max; nn_min = STATS_min; nn_n = STATS_records
stats $kde using 8 nooutput
slack_min = STATS_min
stats REL using 3 nooutput
relx = STATS_max
stats REL using 4 nooutput
reld = STATS_max
stats REL using 2 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
viol = real(system(sprintf("%s | awk '!/^#/ { s += $2 } END { print s + 0 }'", tab(RUN, "/metrics/kde_violations", ""))))

set terminal pngcairo size 1700,1250 enhanced font "Sans,15" linewidth 1.5
set output OUT
set multiplot layout 2,2 title sprintf("{/:Bold The optimal Euler sampler is annealed mean shift (bandwidth h = σ_i)}\n" . \
    "{/*0.8 data %s (%s, d = %s), %s trajectories, Euler, %s timestamps (EDM ρ = 7, σ 80 → 0.002), seed 0}", \
    data, limtxt, dim, ntraj, steps) font ",18"
set lmargin 12
set rmargin 4

# (a)
eval sigaxis(sig_lo, sig_hi)
set title "(a) diffgeo meanshift --anneal versus diffgeo sample --solver euler" font ",16"
set logscale y
set format y "10^{%T}"
set yrange [1e-18:1e-8]
set ylabel "largest relative difference over the samples"
set key top left
set label 1 sprintf("largest: %.2g (x_i), %.2g (m versus D)\nindex 0 is identical (same start)", relx, reld) \
    at graph 0.97, graph 0.07 right front font ",13" boxed
plot REL using 2:(pos($3)) with linespoints lc rgb C_X lw 2 pt 7 ps 0.9 title "‖x_i^{ms} − x_i^{Euler}‖ / ‖x_i^{Euler}‖", \
     REL using 2:(pos($4)) with linespoints lc rgb C_D lw 2 pt 5 ps 0.9 title "‖m_{σ_i}(x_i) − D(x_i; σ_i)‖ / ‖D‖", \
     2.22e-16 with lines lc rgb C_REF dt 2 lw 1.2 title "double precision ε = 2.2·10^{-16}"
unset label 1

# (b)
set title "(b) KDE log-likelihood gain of each Euler step, h = σ_i" font ",16"
set xlabel "σ_i at the start of the step (log scale, reversed)"
unset logscale y
set yrange [*:*]
set autoscale y
set format y "%g"
set ylabel "log p̂_h(x_{i+1}) − log p̂_h(x_i)   (nats)"
set key top left
set label 1 sprintf("decreases (kde\\_violations): %d of %d", viol, (steps - 1) * ntraj) \
    at graph 0.97, graph 0.06 right front font ",13" boxed
plot $kde using 2:(lofloor($3, $4, 1e-300)):($3 + $4) with filledcurves fc rgb C_X @BAND notitle, \
     $kde using 2:3 with linespoints lc rgb C_X lw 2 pt 7 ps 0.9 title "gain (mean ± std)", \
     $kde using 2:5 with lines lc rgb C_REF lw 1.5 dt 2 title "bound λ(2−λ)‖m − x‖²/(2h²), λ = 1 − σ_{i+1}/σ_i"
unset label 1

# (c)
set title "(c) slack of the bound: gain / bound − 1 (≥ 0: the bound holds)" font ",16"
set ylabel "gain / bound − 1"
set logscale y
set format y "10^{%T}"
set key top right
set yrange [1e-18:1]
fl(v) = v > 1e-17 ? v : 1e-17
# In the lower left: the slack there (σ > 3) is above 10^{-5}, and to the right the band
# falls through the whole range near σ ≈ 1.
set label 1 sprintf("smallest slack over all\nsteps and samples: %.2g\n\n" . \
    "below σ ≈ 1 one training\nimage dominates p̂_h: log p̂_h\nis quadratic there and the\ngain equals the bound\n" . \
    "exactly (slack at rounding\nlevel; values ≤ 10^{-17}, or\nnegative by rounding, are\ndrawn at 10^{-17})", slack_min) \
    at graph 0.03, graph 0.56 left front font ",11" boxed
plot $kde using 2:(fl($8)):(fl($9)) with filledcurves fc rgb C_D @BAND title "min … max over the samples", \
     $kde using 2:(fl($7)) with linespoints lc rgb C_D lw 2 pt 5 ps 0.9 title "mean"
unset label 1

# (d)
unset logscale
set title "(d) memorisation: end point to its nearest training image" font ",16"
set xlabel "trajectory (sample index)"
set ylabel "nn\\_distance / (σ_{min} √d)"
set format y "%g"
set format x "%g"
set xrange [-0.8:nn_n - 0.2]
set yrange [0:(nn_max > 1.2 ? nn_max : 1.2) * 1.6]
set xtics 0, (nn_n > 20 ? 4 : 1)
set mxtics 1
set key top left
set label 1 sprintf("mean %.3f, range %.3f … %.3f", nn_mean, nn_min, nn_max) at graph 0.03, graph 0.78 left front font ",13" boxed
set boxwidth 0.7
set style fill solid 0.6 noborder
plot $nn using 1:2 with boxes lc rgb C_3 title "‖x_T − nearest y‖ / (σ_{min} √d)", \
     1 with lines lc rgb C_REF dt 2 lw 1.5 title "σ_{min} √d (the paper's scale)"
unset multiplot
set output
