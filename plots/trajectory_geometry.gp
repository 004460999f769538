# trajectory_geometry.gp: geometry of the sampling and denoising trajectories.
#
#   gnuplot -c plots/trajectory_geometry.gp RUN.h5 OUT.png [DIFFGEO]
#
# RUN.h5 is a run file of `diffgeo sample` on which `diffgeo analyze` has been run; DIFFGEO is
# the diffgeo tool (default "diffgeo" on PATH).  Two panels against sigma (log axis, reversed so
# that sampling reads left to right):
#   left   deviation of x_i and of D(x_i; sigma_i) from the straight line through the start
#          and the end of their own trajectory (/metrics/deviation, /metrics/deviation_denoised)
#   right  distance to the end point (/metrics/distance_to_end, ..._denoised), log y axis
# Mean over the trajectories as a line, mean +- std as a transparent band.  Rows with
# sigma <= 0 (the sigma = 0 end of a --final-zero run) cannot go on a log axis and are skipped;
# so are zero distances on the log y axis (noted on the figure when they occur).
# Each `diffgeo table` command runs exactly once; its output is kept in a datablock.

if (ARGC < 2) {
    print "usage: gnuplot -c trajectory_geometry.gp RUN.h5 OUT.png [DIFFGEO]"
    exit error "trajectory_geometry.gp: missing arguments"
}
RUN = ARG1
OUT = ARG2
DG = (ARGC >= 3 && strlen(ARG3) > 0) ? ARG3 : "diffgeo"

# single-quote a string for /bin/sh
esc(s) = strlen(s) == 0 ? "" : ((s[1:1] eq "'" ? "'\\''" : s[1:1]) . esc(s[2:*]))
q(s) = "'" . esc(s) . "'"
table(path, opts) = sprintf("< %s table %s %s %s", q(DG), q(RUN), path, opts)

# ---- run description from `diffgeo info` ---------------------------------------------------
info = system(sprintf("%s info %s 2>&1", q(DG), q(RUN)))
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("trajectory_geometry.gp: '%s info %s' failed", DG, RUN)
}
# value of a /config attribute: the word after its name, searched after the word "/config"
cfg_data = "?"; cfg_solver = "?"; cfg_steps = "?"; cfg_n = "?"; cfg_nfe = "?"
in_config = 0
do for [k = 1:words(info) - 1] {
    w = word(info, k)
    if (w eq "/config") { in_config = 1 }
    if (w eq "contents") { in_config = 0 }
    if (in_config) {
        if (w eq "data")   { cfg_data   = word(info, k + 1) }
        if (w eq "solver") { cfg_solver = word(info, k + 1) }
        if (w eq "steps")  { cfg_steps  = word(info, k + 1) }
        if (w eq "n")      { cfg_n      = word(info, k + 1) }
        if (w eq "nfe")    { cfg_nfe    = word(info, k + 1) }
    }
}
if (strstrt(info, "/metrics/deviation_denoised") == 0 || strstrt(info, "/metrics/chord") == 0) {
    exit error sprintf("trajectory_geometry.gp: %s has no /metrics; run '%s analyze %s' first", RUN, DG, RUN)
}

# ---- load every table once ---------------------------------------------------------------
# columns of --reduce --sigma: index sigma mean std min max
set table $dev_x
plot table("/metrics/deviation", "--reduce --sigma") using 1:2:3:4 with table
unset table
set table $dev_d
plot table("/metrics/deviation_denoised", "--reduce --sigma") using 1:2:3:4 with table
unset table
set table $end_x
plot table("/metrics/distance_to_end", "--reduce --sigma") using 1:2:3:4 with table
unset table
set table $end_d
plot table("/metrics/distance_to_end_denoised", "--reduce --sigma") using 1:2:3:4 with table
unset table
set table $chord
plot table("/metrics/chord", "") using 1:2 with table
unset table

# ---- headline numbers ---------------------------------------------------------------------
stats $chord using 2 nooutput
chord = STATS_mean
# (one-column stats: they also work on a single row)
stats $dev_x using 3 nooutput
dev_x_max = STATS_max
i_max = STATS_index_max
stats $dev_x every ::i_max::i_max using 2 nooutput
dev_x_sig = STATS_max
stats $dev_d using 3 nooutput
dev_d_max = STATS_max
i_max = STATS_index_max
stats $dev_d every ::i_max::i_max using 2 nooutput
dev_d_sig = STATS_max
# chord of the denoising trajectory: its distance to the end at the first evaluation
stats $end_d every ::0::0 using 3 nooutput
chord_d = STATS_mean
stats $end_x using 2 nooutput
sig_hi = STATS_max
stats $end_x using ($2 > 0 ? $2 : NaN) nooutput
sig_lo = STATS_min
# smallest positive mean distance of the sampling curve: sets the bottom of the log y axis
stats $end_x using (($2 > 0 && $3 > 0) ? $3 : NaN) nooutput
ymin_end = 10**(floor(log10(STATS_min)) - 1)
stats $end_x using 3 nooutput
ymax_end = 10**ceil(log10(STATS_max * 1.5))
# grid points (sigma > 0) where the denoising trajectory is below the log axis: it has arrived
stats $end_d using (($2 > 0 && $3 < ymin_end) ? $2 : NaN) nooutput
n_zero_d = STATS_records
sig_zero_d = (n_zero_d > 0) ? STATS_max : 0

pct_x = (chord > 0) ? 100.0 * dev_x_max / chord : 0
pct_d = (chord_d > 0) ? 100.0 * dev_d_max / chord_d : 0
print sprintf("max mean deviation (sampling)  = %.4g at sigma = %.3g: %.3g %% of the mean chord %.5g", \
              dev_x_max, dev_x_sig, pct_x, chord)
print sprintf("max mean deviation (denoising) = %.4g at sigma = %.3g: %.3g %% of its mean chord %.4g", \
              dev_d_max, dev_d_sig, pct_d, chord_d)

# ---- style -------------------------------------------------------------------------------
set terminal pngcairo size 1600,800 enhanced font "Sans,15" linewidth 1.5
set output OUT
set encoding utf8

C_X = "#1f5fa8"   # sampling trajectory
C_D = "#d2601a"   # denoising trajectory
pos(v) = v > 0 ? v : NaN
lo0(m, s) = (m - s > 0) ? m - s : 0
lolog(m, s) = (m - s > ymin_end) ? m - s : ymin_end
hilog(m, s) = (m + s > ymin_end) ? m + s : ymin_end

xlo = 10**floor(log10(sig_lo) + 1e-9)
xhi = 10**ceil(log10(sig_hi) - 1e-9)
set logscale x
set xrange [xhi:xlo]            # reversed: sampling goes from large to small sigma
set format x "%g"
set xlabel "σ (noise level, data units; log scale)"
set mxtics 10
set grid xtics ytics mxtics lw 0.5 lc rgb "#d8d8d8", lw 0.5 lc rgb "#eeeeee"
set border 3 lw 1.2
set tics nomirror out scale 0.8
set key top right opaque box lc rgb "#bbbbbb" samplen 2.5 spacing 1.25 font ",13"

set multiplot layout 1,2 \
    title sprintf("{/:Bold Geometry of probability-flow ODE trajectories}\n{/*0.8 data %s, %s solver, %s steps (NFE %s), %s trajectories, exact optimal denoiser}", \
                  cfg_data, cfg_solver, cfg_steps, cfg_nfe, cfg_n) font ",18"

# ---- left: deviation from the start-end line ----------------------------------------------
set title "Deviation from the straight line through start and end" font ",16"
set ylabel "deviation from the start–end line (data units)"
set format y "%g"
set lmargin 10
set rmargin 3
set label 1 sprintf("sampling x_i: max mean deviation %.3g = {/:Bold %.2g %%} of the chord %.0f\ndenoising D(x_i; σ_i): max %.3g = {/:Bold %.2g %%} of its chord %.3g", \
                    dev_x_max, pct_x, chord, dev_d_max, pct_d, chord_d) \
    at graph 0.06, graph 0.94 left front font ",13" boxed
set style textbox opaque fillcolor rgb "#ffffff" border lc rgb "#bbbbbb" margins 6,6
stats $dev_x using ($3 + $4) nooutput
set yrange [0:(STATS_max > 0 ? STATS_max * 1.6 : 1)]
set key at graph 0.98, graph 0.80 top right
plot $dev_x using (pos($2)):(lo0($3,$4)):($3+$4) with filledcurves \
         fc rgb C_X fs transparent solid 0.22 noborder notitle, \
     $dev_d using (pos($2)):(lo0($3,$4)):($3+$4) with filledcurves \
         fc rgb C_D fs transparent solid 0.22 noborder notitle, \
     $dev_x using (pos($2)):3 with linespoints lc rgb C_X lw 2 pt 7 ps 0.8 \
         title "sampling trajectory x_i", \
     $dev_d using (pos($2)):3 with linespoints lc rgb C_D lw 2 pt 5 ps 0.8 \
         title "denoising trajectory D(x_i; σ_i)", \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder \
         title sprintf("mean ± std over %s trajectories", cfg_n)
unset label 1

# ---- right: distance to the end point -----------------------------------------------------
set title "Distance to the end point of the trajectory" font ",16"
set ylabel "distance to the end (data units; log scale)"
set logscale y
set yrange [ymin_end:ymax_end]
set format y "10^{%T}"
set mytics 10
set lmargin 12
set key at graph 0.97, graph 0.86 top right
if (n_zero_d > 0 && chord_d > ymin_end) {
    set label 2 sprintf("for σ ≤ %.2g the denoising output is within %g of its end\n(below this axis: the exact denoiser returns a training image)", sig_zero_d, ymin_end) \
        at graph 0.97, graph 0.95 right front font ",12" tc rgb C_D
}
# rows at distance 0 (the end itself) are dropped: log axis
plot $end_x using (($2 > 0 && $3 > 0) ? $2 : NaN):(lolog($3,$4)):(hilog($3,$4)) with filledcurves \
         fc rgb C_X fs transparent solid 0.22 noborder notitle, \
     $end_d using (($2 > 0 && $3 > 0) ? $2 : NaN):(lolog($3,$4)):(hilog($3,$4)) with filledcurves \
         fc rgb C_D fs transparent solid 0.22 noborder notitle, \
     $end_x using (pos($2)):(pos($3)) with linespoints lc rgb C_X lw 2 pt 7 ps 0.8 \
         title "sampling: ‖x_i − x_{end}‖", \
     $end_d using (pos($2)):(pos($3)) with linespoints lc rgb C_D lw 2 pt 5 ps 0.8 \
         title "denoising: ‖D(x_i; σ_i) − D_{end}‖", \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder \
         title sprintf("mean ± std over %s trajectories", cfg_n)

unset multiplot
set output
