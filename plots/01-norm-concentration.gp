# 01-norm-concentration.gp: the norm of noisy data concentrates (doc/theory.md §8, experiment 1).
#
#   gnuplot -c plots/01-norm-concentration.gp RUN.h5 FORWARD.txt OUT.png [DIFFGEO]
#
# RUN.h5: a run of `diffgeo sample` with /metrics (`diffgeo analyze`); FORWARD.txt: the
# statistics of forward-noised data written by experiments/01-norm-concentration.sh (columns
# index sigma mean std min max count prediction, same grid as RUN).  Two panels against σ:
#   left   ‖x‖/(σ√d): sampling trajectories (mean ± std band), forward-noised data y + σε, and
#          the prediction sqrt(‖y‖²/(σ²d) + 1); log-log
#   right  the spread (std over the samples) of the same ratio, with 1/√(2d) (the spread of
#          ‖ε‖/√d for ε ~ N(0, I_d)); log-log
# Each `diffgeo table` command runs once.

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 3) {
    print "usage: gnuplot -c 01-norm-concentration.gp RUN.h5 FORWARD.txt OUT.png [DIFFGEO]"
    exit error "01-norm-concentration.gp: missing arguments"
}
RUN = ARG1
FWD = ARG2
OUT = ARG3
DG = (ARGC >= 4 && strlen(ARG4) > 0) ? ARG4 : "diffgeo"
load PLOTS . "lib.gp"

info = runinfo(RUN)
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("01-norm-concentration.gp: '%s info %s' failed", DG, RUN)
}
if (strstrt(info, "/metrics/norm_x") == 0) {
    exit error sprintf("01-norm-concentration.gp: %s has no /metrics; run '%s analyze %s' first", RUN, DG, RUN)
}
D = real(cfg(info, "dim"))
N = cfg(info, "n")

# columns: index sigma mean std min max count
set table $samp
plot sprintf("< { %s; %s; } | %s", tab(RUN, "/sigmas", ""), tab(RUN, "/metrics/norm_x", ""), \
             awkf("rowstats", sprintf("-v op=bysigma -v scale=%.17g", 1 / sqrt(D)))) \
     using 1:2:3:4:5:6:7 with table
unset table
set table $fwd
plot FWD using 1:2:3:4:5:6:7:8 with table
unset table

stats $samp using 2 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
stats $samp every ::0::0 using 3 nooutput
m0 = STATS_mean
stats $samp every ::0::0 using 4 nooutput
s0 = STATS_mean
stats $fwd every ::0::0 using 3 nooutput
fm0 = STATS_mean
stats $fwd every ::0::0 using 4 nooutput
fs0 = STATS_mean
stats $fwd using 7 nooutput
nfwd = int(STATS_max)
REF = 1 / sqrt(2 * D)

set terminal pngcairo size 1600,780 enhanced font "Sans,15" linewidth 1.5
set output OUT
eval sigaxis(sig_lo, sig_hi)
set multiplot layout 1,2 title sprintf("{/:Bold Norm concentration of noisy data: ‖x_σ‖ ≈ σ√d at large σ}\n" . \
    "{/*0.8 data %s (d = %d), Euler with %s timestamps, exact optimal denoiser}", \
    cfg(info, "data"), D, cfg(info, "steps")) font ",18"

# ---- left: the ratio ----------------------------------------------------------------------
set title "‖x‖ / (σ√d) against σ" font ",16"
set ylabel "‖x‖ / (σ√d)   (dimensionless; log scale)"
set logscale y
set format y "%g"
set lmargin 11
set rmargin 3
set key top left
set label 1 sprintf("at σ = %g:\nsampling %.3f ± %.3f\nforward-noised %.3f ± %.3f\n1/√(2d) = %.4f", \
    sig_hi, m0, s0, fm0, fs0, REF) at graph 0.04, graph 0.60 left front font ",13" boxed
plot $samp using 2:($3 - $4):($3 + $4) with filledcurves fc rgb C_X @BAND notitle, \
     $fwd using 2:($3 - $4):($3 + $4) with filledcurves fc rgb C_3 @BAND notitle, \
     $samp using 2:3 with linespoints lc rgb C_X lw 2 pt 7 ps 0.9 \
         title sprintf("sampling trajectories x_i (%s)", N), \
     $fwd using 2:3 with linespoints lc rgb C_3 lw 2 pt 5 ps 0.8 dt 2 \
         title sprintf("forward-noised data y + σε (%d)", nfwd), \
     $fwd using 2:8 with lines lc rgb C_REF lw 1.5 dt 3 title "prediction sqrt(‖y‖^2/(σ^2d) + 1)", \
     1 with lines lc rgb "#999999" lw 1 notitle, \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder title "mean ± std"
unset label 1

# ---- right: the spread --------------------------------------------------------------------
set title "Spread of ‖x‖ / (σ√d) over the samples" font ",16"
set ylabel "std of ‖x‖ / (σ√d) over the samples   (log scale)"
set format y "10^{%T}"
set key top left
plot $samp using 2:4 with linespoints lc rgb C_X lw 2 pt 7 ps 0.9 title "sampling trajectories", \
     $fwd using 2:4 with linespoints lc rgb C_3 lw 2 pt 5 ps 0.8 dt 2 title "forward-noised data", \
     REF with lines lc rgb C_REF lw 1.5 dt 3 title sprintf("1/√(2d) = %.4f (spread of ‖ε‖/√d)", REF)
unset multiplot
set output
