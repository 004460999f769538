# 17-one-shape.gp: every trajectory normalised by its chord, overlaid (experiment 17).
#
#   gnuplot -c plots/17-one-shape.gp OUT.png PROFILES STATS1 LABEL1 STATS2 LABEL2 DATA N
#
# PROFILES: "t f_0 f_1 ..." of run 1 (plots/17-shape.awk mode=profiles); STATS: "t mean std".
# Left: each trajectory's deviation / chord against the position along the chord (run 1), with
# the mean.  Right: mean ± std of both runs.
if (ARGC < 8) {
    print "usage: gnuplot -c 17-one-shape.gp OUT.png PROFILES STATS1 LABEL1 STATS2 LABEL2 DATA N"
    exit error "17-one-shape.gp: missing arguments"
}
dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
load PLOTS . "lib.gp"
ncol = int(system(sprintf("awk 'NR == 1 { print NF; exit }' %s", q(ARG2))))
set terminal pngcairo size 1700,720 enhanced font "Sans,15" linewidth 1.5
set output ARG1
set multiplot layout 1,2 title sprintf("{/:Bold One shape for all trajectories: deviation from the chord, normalised by the chord}\n{/*0.8 %s, %s trajectories per run, exact optimal denoiser, σ 80 → 0.002; position t along the chord from x_0}", ARG7, ARG8) font ",18"
set lmargin 12
set rmargin 3
set xlabel "position along the chord t  (0 = x_0, 1 = x_T)"
set ylabel "deviation / chord   (%)"
set xrange [0:1]
set yrange [0:*]
set key top left font ",12"
set title sprintf("each trajectory (%s)", ARG4) font ",16"
plot for [c = 2:ncol] ARG2 using 1:c with lines lc rgb "#9ab3d5" lw 1 notitle, \
     ARG3 using 1:2 with lines lc rgb C_X lw 3 title "mean"
set title "mean ± std over the trajectories" font ",16"
plot ARG3 using 1:($2 - $3):($2 + $3) with filledcurves fc rgb C_X @BAND notitle, \
     ARG5 using 1:($2 - $3):($2 + $3) with filledcurves fc rgb C_D @BAND notitle, \
     ARG3 using 1:2 with linespoints pt 7 ps 0.6 lc rgb C_X lw 2 title ARG4, \
     ARG5 using 1:2 with linespoints pt 5 ps 0.6 lc rgb C_D lw 2 title ARG6
unset multiplot
set output
