# 08-ode-jump.gp: ODE-Jump against full sampling at equal NFE (doc/theory.md §8, experiment 8).
#
#   gnuplot -c plots/08-ode-jump.gp SUMMARY.txt OUT.png [DIFFGEO] [TEACHER.h5] ["REFMEAN REFSTD REFSAME"] [THRESHOLD]
#
# SUMMARY.txt is written by experiments/08-ode-jump.sh: columns K nfe sigma_K jump_mean
# jump_std full_mean full_std xK_mean xK_std (the distances, in data units, of the end points to
# the teacher's end points: mean and std over the trajectories) jump_same full_same xK_same (how
# many samples are within THRESHOLD of the teacher's end: on the same training image) n (later
# columns, the paired statistics, are not drawn).
# TEACHER.h5 (optional) names the data; "REFMEAN REFSTD REFSAME" (optional) are the same three
# numbers for the full 21-timestamp Euler run, drawn as horizontal lines.  Two panels against
# NFE, with σ_K on the top axis:
#   left   the distance to the teacher's end point, mean ± std bands, log y
#   right  the share of samples within THRESHOLD of the teacher's end point (percent)

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 2) {
    print "usage: gnuplot -c 08-ode-jump.gp SUMMARY.txt OUT.png [DIFFGEO] [TEACHER.h5] [\"REFMEAN REFSTD REFSAME\"] [THRESHOLD]"
    exit error "08-ode-jump.gp: missing arguments"
}
SUM = ARG1
OUT = ARG2
DG = (ARGC >= 3 && strlen(ARG3) > 0) ? ARG3 : "diffgeo"
load PLOTS . "lib.gp"
sub = ""
if (ARGC >= 4 && strlen(ARG4) > 0) {
    info = runinfo(ARG4)
    if (GPVAL_SYSTEM_ERRNO != 0) { print info; exit error sprintf("08-ode-jump.gp: '%s info %s' failed", DG, ARG4) }
    sub = sprintf("data %s, %s trajectories, exact optimal denoiser; teacher: %s with %s timestamps (NFE %s) from the same starts", \
                  cfg(info, "data"), cfg(info, "n"), cfg(info, "solver"), cfg(info, "steps"), cfg(info, "nfe"))
}
has_ref = (ARGC >= 5 && words(ARG5) == 3)
REF = has_ref ? real(word(ARG5, 1)) : NaN
REFSAME = has_ref ? real(word(ARG5, 3)) : NaN
THR = (ARGC >= 6 && strlen(ARG6) > 0) ? ARG6 : "the threshold"

set table $s
plot SUM using 1:2:3:4:5:6:7:8:9:10:11:12:13 with table
unset table
stats $s using 13 nooutput
N = STATS_max
stats $s using 2 nooutput
nfe_lo = STATS_min; nfe_hi = STATS_max
stats $s using 4 nooutput
ylo = STATS_min
stats $s using 8 nooutput
yhi = STATS_max
if (has_ref && REF > 0) { ylo = REF < ylo ? REF : ylo }
stats $s using ($4 < $6 ? 1 : 0) nooutput
better = int(STATS_sum); total = STATS_records

set terminal pngcairo size 1600,820 enhanced font "Sans,15" linewidth 1.5
set output OUT
XR = sprintf("[%g:%g]", nfe_lo - 1.5, (nfe_hi > 20 ? nfe_hi : 20) + 1.5)
set multiplot layout 1,2 title sprintf("{/:Bold ODE-Jump against full sampling at equal NFE}\n{/*0.8 %s}", sub) font ",18"
set xlabel "NFE (denoiser evaluations per sample)"
eval "set xrange " . XR
eval "set x2range " . XR
set xtics 2 nomirror
set mxtics 2
# top axis: σ_K of the jumps
set x2tics () out nomirror font ",11"
do for [r = 0:total - 1] {
    stats $s every ::r::r using 2 nooutput
    xr = STATS_max
    stats $s every ::r::r using 3 nooutput
    eval sprintf("set x2tics add ('%.2g' %g)", STATS_max, xr)
}
set x2label "σ_K of the jump (ODE-Jump returns D(x_K; σ_K) at NFE K + 1)" font ",13"
set lmargin 11
set rmargin 4
set tmargin 7

set title "Distance to the teacher's end point" font ",16"
set ylabel "distance (data units; log scale)"
set logscale y
set format y "10^{%T}"
set yrange [10**(floor(log10(ylo)) - 0.3):10**(ceil(log10(yhi)) + 0.8)]
set key top right
set label 1 sprintf("ODE-Jump closer than the full run\nat equal NFE for %d of %d K", better, total) \
    at graph 0.97, graph 0.55 right front font ",13" boxed
plot $s using 2:(lo0($4, $5) > 0 ? lo0($4, $5) : $4 / 10):($4 + $5) with filledcurves fc rgb C_D @BAND notitle, \
     $s using 2:(lo0($6, $7) > 0 ? lo0($6, $7) : $6 / 10):($6 + $7) with filledcurves fc rgb C_X @BAND notitle, \
     $s using ($2 - 1):(lo0($8, $9)):($8 + $9) with filledcurves fc rgb C_4 @BAND notitle, \
     $s using 2:4 with linespoints lc rgb C_D lw 2.5 pt 5 ps 1.1 title "ODE-Jump: Euler to σ_K, then D(x_K; σ_K)", \
     $s using 2:6 with linespoints lc rgb C_X lw 2.5 pt 7 ps 1.1 title "full Euler run, NFE + 1 timestamps", \
     $s using ($2 - 1):8 with linespoints lc rgb C_4 lw 2 pt 9 ps 1.1 title "x_K itself (NFE K)", \
     (has_ref ? REF : NaN) with lines lc rgb C_REF lw 1.5 dt 2 title sprintf("full Euler run, 21 timestamps (NFE 20): %.3g", REF), \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder title "mean ± std"
unset label 1

set title sprintf("Samples on the teacher's training image (within %s)", THR) font ",16"
set ylabel "share of the samples (%)"
unset logscale y
set format y "%g"
set yrange [-3:115]
set ytics 0, 20, 100
set key top left
plot $s using 2:(100 * $10 / $13) with linespoints lc rgb C_D lw 2.5 pt 5 ps 1.1 title "ODE-Jump", \
     $s using 2:(100 * $11 / $13) with linespoints lc rgb C_X lw 2.5 pt 7 ps 1.1 title "full Euler run", \
     $s using ($2 - 1):(100 * $12 / $13) with linespoints lc rgb C_4 lw 2 pt 9 ps 1.1 title "x_K itself", \
     (has_ref ? 100 * REFSAME / N : NaN) with lines lc rgb C_REF lw 1.5 dt 2 title "full Euler run, NFE 20"
unset multiplot
set output
