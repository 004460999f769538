# 12-low-dimensional.gp: low-dimensional structure of the sampling trajectories (doc/theory.md §6,
# §8 experiment 12).
#
#   gnuplot -c plots/12-low-dimensional.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2]
#
# Left: pca2_error (‖x_i − x̃_i‖/‖x_i‖, in %) against σ, mean ± std, for each run, with AMED's
# 8 % line.  Middle: the 3-D "boomerang" {u, PC1, PC2} of the first six trajectories of RUN1
# (/metrics/coords3d, in % of the chord length).  Right: what the 3-D view leaves out, the
# length of x_i − x_0 outside span{u, PC1, PC2} in % of the deviation from the chord
# (12-low-dimensional.awk mode=residual), mean ± std and largest, against σ, for each run.

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 4) {
    print "usage: gnuplot -c 12-low-dimensional.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2]"
    exit error "12-low-dimensional.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
load PLOTS . "lib.gp"
NRUN = ARGC >= 5 ? 2 : 1
run(k) = value(sprintf("ARG%d", 2 * k + 3))
label(k) = value(sprintf("ARG%d", 2 * k + 4))
colour(k) = word("#1f5fa8 #d2601a", k + 1)
pal(j) = word("#1f5fa8 #d2601a #2a9d4a #7b3fa0 #c0392b #17a2b8", j + 1)

info = runinfo(run(0))
if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(info, "/metrics/coords3d") == 0) {
    exit error sprintf("12-low-dimensional.gp: %s has no /metrics/coords3d ('%s analyze' it)", run(0), DG)
}
data = cfg(info, "data")
ntraj = cfg(info, "n")
lim = cfg(info, "limit")
T = dim0(info, "/sigmas") - 1
do for [k = 0:NRUN - 1] {
    eval sprintf("set table $p%d", k)
    plot sprintf("< { %s; %s; } | %s", tab(run(k), "/sigmas", ""), tab(run(k), "/metrics/pca2_error", ""), \
        awkf("rowstats", "-v scale=100")) using 2:3:4:5:6 with table
    unset table
}
# the curves, one data set (index) per trajectory; the command runs once per plot element
CURVES = sprintf("< %s | awk -f %s -v mode=curves", slices(run(0), "/metrics/coords3d", T), q(PLOTS . "12-low-dimensional.awk"))
do for [k = 0:NRUN - 1] {
    eval sprintf("set table $r%d", k)
    plot sprintf("< { %s; %s; %s; } | awk -f %s -v mode=residual", tab(run(k), "/sigmas", ""), tab(run(k), "/metrics/deviation", ""), \
        slices(run(k), "/metrics/coords3d", dim0(runinfo(run(k)), "/sigmas") - 1), q(PLOTS . "12-low-dimensional.awk")) \
        using 2:3:4:5:6:7 with table
    unset table
}
stats $p0 using 1 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
ymx = 8
do for [k = 0:NRUN - 1] {
    eval sprintf("stats $p%d using ($2 + $3) nooutput", k)
    ymx = STATS_max > ymx ? STATS_max : ymx
}
pk = system(sprintf("{ %s; %s; } | %s", tab(run(0), "/sigmas", ""), tab(run(0), "/metrics/pca2_error", ""), awkf("rowstats", "-v scale=100 -v out=matrix")) . \
    " | awk '/^#/ { next } { for (j = 3; j <= NF; j++) if ($j > m) m = $j } END { print m }'")

set terminal pngcairo size 2000,720 enhanced font "Sans,15" linewidth 1.5
set output OUT
set multiplot title sprintf("{/:Bold Low-dimensional trajectories: two principal components and the 3-D “boomerang”}\n" . \
    "{/*0.8 data %s (%s), %s trajectories per run, exact optimal denoiser, σ 80 → 0.002}", data, \
    (lim eq "0" || lim eq "?") ? "all images" : "first " . lim . " images", ntraj) font ",18"

set origin 0, 0
set size 0.36, 0.88
set lmargin 10
set rmargin 3
eval sigaxis(sig_lo, sig_hi)
set title "‖x_i − x̃_i‖ / ‖x_i‖, x̃ on the trajectory's top 2 PCs" font ",16"
set ylabel "relative projection error   (%)"
set yrange [0:ymx * 1.3]
set key top left
set label 1 sprintf("largest over all points (%s): %.2f %%", label(0), pk + 0) at graph 0.97, graph 0.62 right front font ",12" boxed
plot for [k = 0:NRUN - 1] sprintf("$p%d", k) using 1:(lo0($2, $3)):($2 + $3) with filledcurves fc rgb colour(k) @BAND notitle, \
     for [k = 0:NRUN - 1] sprintf("$p%d", k) using 1:2 with linespoints lc rgb colour(k) lw 2 pt 7 ps 0.7 title label(k) . " (mean ± std)", \
     8 with lines lc rgb C_REF dt 2 lw 1.2 title "8 % (AMED's bound)"
unset label 1
unset logscale x
unset xrange
unset yrange

set origin 0.36, 0
set size 0.30, 0.88
set title sprintf("3-D view (u, PC1, PC2) of %s, first 6 trajectories", label(0)) font ",16"
set view 62, 32, 1, 1
set xlabel "along u  (% of length)" rotate parallel offset 0,-0.5
set ylabel "PC1  (%)" rotate parallel
set zlabel "PC2  (%)" rotate parallel
set xrange [*:*]; set yrange [*:*]; set zrange [*:*]
set format x "%g"; set format y "%g"; set format z "%g"
set xtics 25 offset 0,-0.3; set ytics 0.2; set ztics auto
unset key
set ticslevel 0
set border 4095 lw 0.6
splot for [j = 0:5] CURVES index j using 2:3:4 with lines lw 2 lc rgb pal(j)
set border 3 lw 1.2

set origin 0.66, 0
set size 0.34, 0.88
set lmargin 10
set title "outside span(u, PC1, PC2): ‖r_i‖ / deviation_i" font ",16"
eval sigaxis(sig_lo, sig_hi)
set xlabel norotate offset 0,0
set xtics auto norotate offset 0,0
set ylabel "‖r_i‖ in % of the deviation from the chord" rotate by 90
unset zlabel
set yrange [0:*]
set ytics auto
set key top left
rmx = 0
do for [k = 0:NRUN - 1] {
    eval sprintf("stats $r%d using 4 nooutput", k)
    rmx = STATS_max > rmx ? STATS_max : rmx
}
set yrange [0:rmx * 1.45]
plot for [k = 0:NRUN - 1] sprintf("$r%d", k) using 1:(lo0($2, $3)):($2 + $3) with filledcurves fc rgb colour(k) @BAND notitle, \
     for [k = 0:NRUN - 1] sprintf("$r%d", k) using 1:2 with linespoints lc rgb colour(k) lw 2 pt 7 ps 0.7 title label(k) . " (mean ± std)", \
     for [k = 0:NRUN - 1] sprintf("$r%d", k) using 1:4 with lines lc rgb colour(k) dt 2 lw 1.2 title "largest"
unset multiplot
set output
