# 15-dimension.gp: norm concentration and quasi-linearity against the dimension (experiment 15).
#
#   gnuplot -c plots/15-dimension.gp OUT.png TABLE.txt
#
# TABLE: experiments/15-dimension.sh's 15-dimension.txt.  Left: the spread (std over samples) of
# ‖x‖/(σ√d) at σ_max and at σ_8 against d, with 1/√(2d); right: the largest deviation / chord of
# each trajectory (mean and largest) against d.
if (ARGC < 2) {
    print "usage: gnuplot -c 15-dimension.gp OUT.png TABLE.txt"
    exit error "15-dimension.gp: missing arguments"
}
dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
load PLOTS . "lib.gp"
T = ARG2
s8 = real(system(sprintf("awk '!/^#/ { print $7; exit }' %s", q(T))))
nt = system(sprintf("awk '!/^#/ { print $10; exit }' %s", q(T)))
set terminal pngcairo size 1700,720 enhanced font "Sans,15" linewidth 1.5
set output ARG1
set multiplot layout 1,2 title sprintf("{/:Bold Norm concentration and quasi-linearity against the dimension}\n{/*0.8 synthetic Gaussian-mixture rows (n = 2000) for each d, %s trajectories, Euler with 21 timestamps (σ 80 → 0.002)}", nt) font ",18"
set lmargin 12
set rmargin 3
set logscale xy
set format x "%g"
set format y "%g"
set xlabel "dimension d"
set xrange [1.5:4500]
set key bottom left font ",12"
set title "spread of ‖x‖ / (σ√d) over the samples" font ",16"
set ylabel "std of ‖x‖ / (σ√d)"
plot T using 1:4 with points pt 7 ps 1.4 lc rgb C_X title "x_0 at σ = 80 (the start)", \
     T using 1:6 with points pt 5 ps 1.2 lc rgb C_D title sprintf("x_8 at σ = %.2g (sampling trajectory)", s8), \
     1 / sqrt(2 * x) with lines lc rgb C_REF dt 2 lw 1.2 title "1/√(2d)"
set title "largest deviation from the chord, per trajectory" font ",16"
set ylabel "max_i deviation_i / chord   (%)"
set key top right font ",12"
plot T using 1:8 with linespoints pt 7 lc rgb C_X lw 2 title "mean over the trajectories", \
     T using 1:9 with linespoints pt 5 lc rgb C_D lw 1.5 dt 2 title "largest"
unset multiplot
set output
