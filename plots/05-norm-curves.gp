# 05-norm-curves.gp: norms along the trajectories (doc/theory.md §8, experiment 5).
#
#   gnuplot -c plots/05-norm-curves.gp RUN.h5 OUT.png [DIFFGEO]
#
# RUN.h5 is a run file with /metrics (`diffgeo analyze`).  Two panels against σ, mean ± std over
# the trajectories:
#   left   ‖x_i‖ (/metrics/norm_x), ‖D(x_i; σ_i)‖ (/metrics/norm_denoised) and
#          ‖d_i‖ = ‖x_i − D(x_i; σ_i)‖ / σ_i, with the references σ√d, √d and
#          sqrt(‖y‖² + σ²d) (‖y‖² the mean squared norm of the end points); log-log
#   right  ‖d_i‖ / √d on a linear axis
# `diffgeo analyze` has no /metrics/norm_d: ‖x_i − D_i‖ is computed here from /trajectory and
# /denoised (rowdist.awk over one `diffgeo table --slice` per grid index; each runs once).

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 2) {
    print "usage: gnuplot -c 05-norm-curves.gp RUN.h5 OUT.png [DIFFGEO]"
    exit error "05-norm-curves.gp: missing arguments"
}
RUN = ARG1
OUT = ARG2
DG = (ARGC >= 3 && strlen(ARG3) > 0) ? ARG3 : "diffgeo"
load PLOTS . "lib.gp"

info = runinfo(RUN)
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("05-norm-curves.gp: '%s info %s' failed", DG, RUN)
}
if (strstrt(info, "/metrics/norm_denoised") == 0) {
    exit error sprintf("05-norm-curves.gp: %s has no /metrics; run '%s analyze %s' first", RUN, DG, RUN)
}
D = real(cfg(info, "dim"))
NEVAL = dim0(info, "/denoised")
SD = sqrt(D)

# columns: index sigma mean std min max (count)
set table $nx
plot "< " . tab(RUN, "/metrics/norm_x", "--reduce --sigma") using 1:2:3:4:5:6 with table
set table $nd
plot "< " . tab(RUN, "/metrics/norm_denoised", "--reduce --sigma") using 1:2:3:4:5:6 with table
set table $dd
plot sprintf("< { %s; { %s; } | %s; } | %s", tab(RUN, "/sigmas", ""), \
             slicepairs(RUN, "/trajectory", "/denoised", NEVAL - 1), awkf("rowdist", "-v mode=pairs"), \
             awkf("rowstats", "-v op=bysigma")) using 1:2:3:4:5:6 with table
set table $ends
plot "< " . tab(RUN, "/metrics/norm_x", "--slice -1") using 1:2 with table
unset table

stats $ends using ($2**2) nooutput
YY = STATS_mean                  # mean ‖y‖² of the end points
stats $nx using 2 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
stats $dd using 3 nooutput
dmin = STATS_min / SD; dmax = STATS_max / SD
i_dmin = STATS_index_min
stats $dd every ::i_dmin::i_dmin using 2 nooutput
dmin_sig = STATS_max
stats $nd using 3 nooutput
nd_hi = STATS_max; nd_lo = STATS_min
stats $nx using 3 nooutput
nx_hi = STATS_max; nx_lo = STATS_min

set terminal pngcairo size 1600,800 enhanced font "Sans,15" linewidth 1.5
set output OUT
eval sigaxis(sig_lo, sig_hi)
set multiplot layout 1,2 title sprintf("{/:Bold Norms along the trajectories: ‖x_i‖, ‖D(x_i; σ_i)‖ and ‖d_i‖ = ‖x_i − D(x_i; σ_i)‖/σ_i}\n" . \
    "{/*0.8 data %s (d = %d), %s solver, %s timestamps (NFE %s), %s trajectories, exact optimal denoiser}", \
    cfg(info, "data"), D, cfg(info, "solver"), cfg(info, "steps"), cfg(info, "nfe"), cfg(info, "n")) font ",18"
set lmargin 11
set rmargin 4

set title "Norms against σ" font ",16"
set ylabel "norm (data units; log scale)"
set logscale y
set format y "10^{%T}"
set yrange [10**floor(log10(nd_lo < SD ? nd_lo : SD) - 0.3):10**ceil(log10(nx_hi) + 0.3)]
set key top right
plot $nx using 2:(lo0($3, $4)):($3 + $4) with filledcurves fc rgb C_X @BAND notitle, \
     $nd using 2:(lo0($3, $4)):($3 + $4) with filledcurves fc rgb C_D @BAND notitle, \
     $dd using 2:(lo0($3, $4)):($3 + $4) with filledcurves fc rgb C_3 @BAND notitle, \
     $nx using 2:3 with linespoints lc rgb C_X lw 2 pt 7 ps 0.8 title "‖x_i‖", \
     $nd using 2:3 with linespoints lc rgb C_D lw 2 pt 5 ps 0.8 title "‖D(x_i; σ_i)‖", \
     $dd using 2:3 with linespoints lc rgb C_3 lw 2 pt 9 ps 0.9 title "‖d_i‖ = ‖x_i − D_i‖/σ_i", \
     $nx using 2:(sqrt(YY + $2**2 * D)) with lines lc rgb C_REF lw 1.5 dt 3 title "sqrt(‖y‖^2 + σ^2d), ‖y‖ of the end points", \
     $nx using 2:($2 * SD) with lines lc rgb "#888888" lw 1.2 dt 2 title "σ√d", \
     SD with lines lc rgb "#888888" lw 1.2 dt 4 title sprintf("√d = %.0f", SD), \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder title "mean ± std"

set title "‖d_i‖ / √d stays close to 1" font ",16"
set ylabel "‖d_i‖ / √d   (dimensionless)"
unset logscale y
set format y "%g"
set yrange [0.8:1.2]
set key top right
set label 1 sprintf("mean ‖d_i‖/√d between %.3f (σ = %.2g) and %.3f", dmin, dmin_sig, dmax) at graph 0.04, graph 0.10 left front font ",13" boxed
plot $dd using 2:(lo0($3, $4) / SD):(($3 + $4) / SD) with filledcurves fc rgb C_3 @BAND notitle, \
     $dd using 2:($3 / SD) with linespoints lc rgb C_3 lw 2 pt 9 ps 0.9 title "‖d_i‖/√d (mean ± std)", \
     $dd using 2:($5 / SD) with lines lc rgb C_3 lw 1.2 dt 2 title "smallest and largest trajectory", \
     $dd using 2:($6 / SD) with lines lc rgb C_3 lw 1.2 dt 2 notitle, \
     1 with lines lc rgb C_REF lw 1 notitle
unset multiplot
set output
