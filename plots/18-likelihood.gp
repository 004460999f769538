# 18-likelihood.gp: the exact log-density along the sampling and the denoising trajectory
# (experiment 18).
#
#   gnuplot -c plots/18-likelihood.gp OUT.png TABLE.txt N
#
# TABLE: i sigma mean_x std_x mean_D std_D (experiments/18-likelihood.sh).  Left: mean ± std of
# log p(x_i) and log p(D(x_i; σ_i)) against σ; right: the same against the step index, clipped to
# the range of the denoising output so that the approach to the end is visible.
if (ARGC < 3) {
    print "usage: gnuplot -c 18-likelihood.gp OUT.png TABLE.txt N"
    exit error "18-likelihood.gp: missing arguments"
}
dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
load PLOTS . "lib.gp"
T = ARG2
stats T using 2 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
stats T using 5 nooutput
ylo = STATS_min; yhi = STATS_max
set terminal pngcairo size 1700,720 enhanced font "Sans,15" linewidth 1.5
set output ARG1
set multiplot layout 1,2 title sprintf("{/:Bold Exact log-density along the trajectories (Observation 3 as likelihood)}\n{/*0.8 a 5-component Gaussian mixture in d = 2 (EM fit to 2000 rows of synthetic:gauss2d), its exact denoiser, %s Euler trajectories of 21 timestamps}", ARG3) font ",18"
set lmargin 12
set rmargin 3
eval sigaxis(sig_lo, sig_hi)
set ylabel "log p   (nats; mean ± std over the trajectories)"
set key bottom right font ",12"
set title "all of it (log p(x_i) starts far below: x_0 = 80 z)" font ",16"
plot T using 2:($3 - $4):($3 + $4) with filledcurves fc rgb C_X @BAND notitle, \
     T using 2:($5 - $6):($5 + $6) with filledcurves fc rgb C_D @BAND notitle, \
     T using 2:3 with linespoints pt 7 lc rgb C_X lw 2 title "sampling: log p(x_i)", \
     T using 2:5 with linespoints pt 5 lc rgb C_D lw 2 title "denoising: log p(D(x_i; σ_i))"
set title "zoom on the range of the denoising output" font ",16"
set yrange [ylo - 1:yhi + 1.5]
plot T using 2:3 with linespoints pt 7 lc rgb C_X lw 2 title "sampling: log p(x_i)", \
     T using 2:5 with linespoints pt 5 lc rgb C_D lw 2 title "denoising: log p(D(x_i; σ_i))"
unset multiplot
set output
