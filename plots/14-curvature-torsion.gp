# 14-curvature-torsion.gp: curvature κ and torsion τ of the 3-D curve (u, PC1, PC2) along a
# fine trajectory (doc/theory.md §6, §8 experiment 14).
#
#   gnuplot -c plots/14-curvature-torsion.gp OUT.png DIFFGEO RUN.h5 WINDOW
#
# Left: κ (log scale) against σ, each trajectory and the mean; right: |τ| (log scale) the same way.
# The first and last (WINDOW − 1)/2 points have no value (the fit window does not fit); the σ
# axis is logarithmic (EDM's ρ = 7 grid).

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 3) {
    print "usage: gnuplot -c 14-curvature-torsion.gp OUT.png DIFFGEO RUN.h5 [WINDOW]"
    exit error "14-curvature-torsion.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
RUN = ARG3
WIN = ARGC >= 4 ? ARG4 : "?"
load PLOTS . "lib.gp"
info = runinfo(RUN)
if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(info, "/metrics/curvature") == 0) {
    exit error sprintf("14-curvature-torsion.gp: %s has no /metrics/curvature", RUN)
}
data = cfg(info, "data"); lim = cfg(info, "limit"); ntraj = int(cfg(info, "n")); steps = cfg(info, "steps")
set table $k
plot sprintf("< %s", tab(RUN, "/metrics/curvature", "--sigma")) using 2:3:4:5:6 with table
unset table
set table $t
plot sprintf("< %s", tab(RUN, "/metrics/torsion", "--sigma")) using 2:3:4:5:6 with table
unset table
set table $km
plot sprintf("< %s", tab(RUN, "/metrics/curvature", "--reduce --sigma")) using 2:3:4 with table
unset table
pal(j) = word("#1f5fa8 #d2601a #2a9d4a #7b3fa0", j + 1)
stats $k using 1 nooutput
sig_lo = STATS_min; sig_hi = STATS_max

set terminal pngcairo size 1700,720 enhanced font "Sans,15" linewidth 1.5
set output OUT
set multiplot layout 1,2 title sprintf("{/:Bold Curvature and torsion of the 3-D trajectory (u, PC1, PC2)}\n" . \
    "{/*0.8 data %s (%s), %d trajectories, Euler, %s timestamps of EDM's ρ = 7 grid (σ 80 → 0.002), local cubic fit in arc length over %s points}", \
    data, (lim eq "0" || lim eq "?") ? "all images" : "first " . lim . " images", ntraj, steps, WIN) font ",18"
set lmargin 12
set rmargin 3
eval sigaxis(sig_lo, sig_hi)
set title "curvature κ = ‖r′ × r″‖ / ‖r′‖³" font ",16"
set ylabel "κ   (1 / data units; log scale)"
set logscale y
set format y "10^{%T}"
set key bottom left font ",12"
plot for [j = 0:ntraj - 1] $k using 1:(pos(column(j + 2))) with lines lc rgb pal(j % 4) lw 1.5 title sprintf("trajectory %d", j), \
     $km using 1:(pos($2)) with lines lc rgb C_REF lw 2.5 dt 2 title "mean"
set title "|torsion| |τ| = |(r′ × r″)·r‴| / ‖r′ × r″‖²" font ",16"
set ylabel "|τ|   (1 / data units; log scale)"
set key bottom left font ",12"
set label 1 "where κ falls to rounding level\n(σ ≲ 1: a straight line)\nτ is 0/0 and not meaningful" at graph 0.97, graph 0.95 right front font ",12" boxed
plot for [j = 0:ntraj - 1] $t using 1:(pos(abs(column(j + 2)))) with lines lc rgb pal(j % 4) lw 1.5 title sprintf("trajectory %d", j)
unset label 1
unset multiplot
set output
