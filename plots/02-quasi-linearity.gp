# 02-quasi-linearity.gp: deviation from the start-end line relative to the chord, for one or
# more runs (doc/theory.md §8, experiment 2).
#
#   gnuplot -c plots/02-quasi-linearity.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2 [RUN3.h5 LABEL3]]
#
# Each RUN is a run file with /metrics (`diffgeo analyze`).  Two panels against σ:
#   left   sampling trajectory: deviation_i / chord, per trajectory, chord = ‖x_T − x_0‖
#          (/metrics/deviation, /metrics/chord), in percent
#   right  denoising trajectory: deviation_denoised_i / ‖D_{T−1} − D_0‖ (its own chord), in
#          percent
# Mean over the trajectories as a line, mean ± std as a band.  The per-trajectory ratios are
# formed by rowstats.awk from `diffgeo table` output; each command runs once.

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 4) {
    print "usage: gnuplot -c 02-quasi-linearity.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2 [RUN3.h5 LABEL3]]"
    exit error "02-quasi-linearity.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
load PLOTS . "lib.gp"
NRUN = int((ARGC - 2) / 2)
if (NRUN > 3) { NRUN = 3 }
run(k) = value(sprintf("ARG%d", 2 * k + 3))
label(k) = (ARGC >= 2 * k + 4) ? value(sprintf("ARG%d", 2 * k + 4)) : run(k)
colour(k) = word("#1f5fa8 #d2601a #2a9d4a", k + 1)
point(k) = word("7 5 9", k + 1)

info = runinfo(run(0))
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("02-quasi-linearity.gp: '%s info %s' failed", DG, run(0))
}
data = cfg(info, "data")
ntraj = cfg(info, "n")
desc = ""
sig_lo = 1e300; sig_hi = 0
ymx_x = 1.2; ymx_d = 0      # upper ends of the bands (1.2: room for the 1 % line)
array pk_x[3]; array pk_d[3]; array pk_xs[3]; array pk_ds[3]
do for [k = 0:NRUN - 1] {
    inf = runinfo(run(k))
    if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(inf, "/metrics/chord") == 0) {
        exit error sprintf("02-quasi-linearity.gp: %s is not a run file with /metrics ('%s analyze' it)", run(k), DG)
    }
    desc = desc . sprintf("%s%s: NFE %s", k > 0 ? ", " : "", label(k), cfg(inf, "nfe"))
    # columns: index sigma mean std min max count
    eval sprintf("set table $x%d", k)
    plot sprintf("< { %s; %s; %s; } | %s", tab(run(k), "/sigmas", ""), tab(run(k), "/metrics/deviation", ""), \
                 tab(run(k), "/metrics/chord", ""), awkf("rowstats", "-v op=bycol -v scale=100")) \
         using 1:2:3:4:5:6:7 with table
    unset table
    eval sprintf("set table $d%d", k)
    plot sprintf("< { %s; %s; %s; } | %s", tab(run(k), "/sigmas", ""), tab(run(k), "/metrics/deviation_denoised", ""), \
                 tab(run(k), "/metrics/distance_to_end_denoised", "--slice 0"), awkf("rowstats", "-v op=bycol -v scale=100")) \
         using 1:2:3:4:5:6:7 with table
    unset table
    eval sprintf("stats $x%d using 2 nooutput", k)
    sig_hi = STATS_max > sig_hi ? STATS_max : sig_hi
    sig_lo = STATS_min < sig_lo ? STATS_min : sig_lo
    eval sprintf("stats $x%d using 3 nooutput", k)
    pk_x[k + 1] = STATS_max
    eval sprintf("stats $x%d every ::%d::%d using 2 nooutput", k, STATS_index_max, STATS_index_max)
    pk_xs[k + 1] = STATS_max
    eval sprintf("stats $d%d using 3 nooutput", k)
    pk_d[k + 1] = STATS_max
    eval sprintf("stats $d%d every ::%d::%d using 2 nooutput", k, STATS_index_max, STATS_index_max)
    pk_ds[k + 1] = STATS_max
    # (stats obeys the axis ranges: done here, before any range is set)
    eval sprintf("stats $x%d using ($3 + $4) nooutput", k)
    ymx_x = STATS_max > ymx_x ? STATS_max : ymx_x
    eval sprintf("stats $d%d using ($3 + $4) nooutput", k)
    ymx_d = STATS_max > ymx_d ? STATS_max : ymx_d
}
xblock(k) = sprintf("$x%d", k)
dblock(k) = sprintf("$d%d", k)

set terminal pngcairo size 1600,800 enhanced font "Sans,15" linewidth 1.5
set output OUT
eval sigaxis(sig_lo, sig_hi)
set multiplot layout 1,2 title sprintf("{/:Bold Quasi-linearity: deviation from the straight start–end line, relative to the chord}\n" . \
    "{/*0.8 data %s, %s trajectories per run (%s), exact optimal denoiser}", data, ntraj, desc) font ",18"

set lmargin 11
set rmargin 4
set key top left
set ylabel "deviation / chord length   (%)"
set format y "%g"

set title "Sampling trajectory x_i: deviation_i / ‖x_T − x_0‖" font ",16"
txt = ""
do for [k = 0:NRUN - 1] { txt = txt . sprintf("%s%s: max of the mean %.2f %% (σ = %.2g)", k > 0 ? "\n" : "", label(k), pk_x[k + 1], pk_xs[k + 1]) }
set label 1 txt at graph 0.96, graph 0.96 right front font ",13" boxed
set yrange [0:ymx_x * 1.45]
set key at graph 0.03, graph 0.80 top left
plot for [k = 0:NRUN - 1] xblock(k) using 2:(lo0($3, $4)):($3 + $4) with filledcurves fc rgb colour(k) @BAND notitle, \
     for [k = 0:NRUN - 1] xblock(k) using 2:3 with linespoints lc rgb colour(k) lw 2 pt int(point(k)) ps 0.8 title label(k), \
     1 with lines lc rgb C_REF lw 1.2 dt 2 title "1 % (the paper's bound)", \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder title "mean ± std"
unset label 1

set title "Denoising trajectory D(x_i; σ_i): deviation_i / ‖D_{T−1} − D_0‖" font ",16"
txt = ""
do for [k = 0:NRUN - 1] { txt = txt . sprintf("%s%s: max of the mean %.1f %% (σ = %.2g)", k > 0 ? "\n" : "", label(k), pk_d[k + 1], pk_ds[k + 1]) }
set label 1 txt at graph 0.96, graph 0.96 right front font ",13" boxed
set yrange [0:ymx_d * 1.45]
plot for [k = 0:NRUN - 1] dblock(k) using 2:(lo0($3, $4)):($3 + $4) with filledcurves fc rgb colour(k) @BAND notitle, \
     for [k = 0:NRUN - 1] dblock(k) using 2:3 with linespoints lc rgb colour(k) lw 2 pt int(point(k)) ps 0.8 title label(k), \
     keyentry with filledcurves fc rgb "#808080" fs transparent solid 0.3 noborder title "mean ± std"
unset multiplot
set output
