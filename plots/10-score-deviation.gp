# 10-score-deviation.gp: the four distances between a generalising denoiser and the exact
# optimal denoiser D* of the training data, against σ (doc/theory.md §6, §8 experiment 10).
#
#   gnuplot -c plots/10-score-deviation.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2 [RUN3.h5 LABEL3]]
#
# Each RUN is analysed with `diffgeo analyze --reference`.  One panel per run: mean ± std over
# the trajectories of distance_to_optimal, denoised_vs_optimal, score_deviation and (when
# present) optimal_self, on log axes; the noise norm σ√d is given in the subtitle for scale (as a
# curve it rose through the legend and dwarfed the distances).

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 4) {
    print "usage: gnuplot -c 10-score-deviation.gp OUT.png DIFFGEO RUN1.h5 LABEL1 [RUN2.h5 LABEL2 [RUN3.h5 LABEL3]]"
    exit error "10-score-deviation.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
load PLOTS . "lib.gp"
NRUN = int((ARGC - 2) / 2)
if (NRUN > 3) { NRUN = 3 }
run(k) = value(sprintf("ARG%d", 2 * k + 3))
label(k) = value(sprintf("ARG%d", 2 * k + 4))
M1 = "distance_to_optimal"; M2 = "denoised_vs_optimal"; M3 = "score_deviation"; M4 = "optimal_self"
mname(m) = word("distance_to_optimal denoised_vs_optimal score_deviation optimal_self", m)
mtitle(m) = m == 1 ? "‖x_i − x*_i‖  (distance\\_to\\_optimal)" : \
            m == 2 ? "‖D(x_i) − D*(x*_i)‖  (denoised\\_vs\\_optimal)" : \
            m == 3 ? "‖D(x_i) − D*(x_i)‖  (score\\_deviation)" : "‖D(x*_i) − D*(x*_i)‖  (optimal\\_self)"
mcol(m) = word("#1f5fa8 #d2601a #2a9d4a #7b3fa0", m)
mpt(m) = int(word("7 5 9 13", m))

info = runinfo(run(0))
if (GPVAL_SYSTEM_ERRNO != 0) { exit error "10-score-deviation.gp: cannot read " . run(0) }
data = cfg(info, "data")
lim = cfg(info, "limit")
ntraj = cfg(info, "n")
dim = cfg(info, "dim")
array has[12]
ymin = 1e300; ymax = 0
do for [k = 0:NRUN - 1] {
    inf = runinfo(run(k))
    if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(inf, "/metrics/score_deviation") == 0) {
        exit error sprintf("10-score-deviation.gp: %s was not analysed with --reference", run(k))
    }
    do for [m = 1:4] {
        has[4 * k + m] = strstrt(inf, "/metrics/" . mname(m) . " ") > 0
        if (has[4 * k + m]) {
            eval sprintf("set table $r%d_%d", k, m)
            plot sprintf("< %s", tab(run(k), "/metrics/" . mname(m), "--reduce --sigma")) using 2:3:4 with table
            unset table
            eval sprintf("stats $r%d_%d using 2 nooutput", k, m)
            ymax = STATS_max > ymax ? STATS_max : ymax
            eval sprintf("stats $r%d_%d using (pos($2)) nooutput", k, m)
            ymin = STATS_min < ymin ? STATS_min : ymin
        }
    }
}
eval sprintf("stats $r0_1 using 1 nooutput")
sig_lo = STATS_min; sig_hi = STATS_max
blk(k, m) = sprintf("$r%d_%d", k, m)

set terminal pngcairo size 1900,760 enhanced font "Sans,15" linewidth 1.5
set output OUT
set multiplot layout 1,NRUN title sprintf("{/:Bold Score deviation: generalising denoisers D against the optimal D* of the training data}\n" . \
    "{/*0.8 reference %s (%s, d = %s); %s trajectories per run, Euler 21 timestamps from the same starts; x* = the optimal trajectory; mean ± std}\n{/*0.8 for scale: the noise norm σ√d is %.0f at σ = %g and %.3g at σ = 1}", \
    data, (lim eq "0" || lim eq "?") ? "all training images" : "first " . lim . " training images", dim, ntraj, sig_hi * sqrt(dim), sig_hi, sqrt(dim)) font ",18"
eval sigaxis(sig_lo, sig_hi)
set logscale y
set format y "10^{%T}"
set yrange [10**floor(log10(ymin)):10**ceil(log10(ymax) + 1.3)]
set ylabel "distance (data units)"
set key top left font ",12"
set lmargin 11
set rmargin 4
do for [k = 0:NRUN - 1] {
    set title label(k) font ",16"
    plot for [m = 1:4] (has[4 * k + m] ? blk(k, m) : "$r0_1") using 1:(has[4 * k + m] ? lofloor($2, $3, $2 / 10) : NaN):($2 + $3) \
              with filledcurves fc rgb mcol(m) @BAND notitle, \
         for [m = 1:4] (has[4 * k + m] ? blk(k, m) : "$r0_1") using 1:(has[4 * k + m] ? pos($2) : NaN) \
              with linespoints lc rgb mcol(m) lw 2 pt mpt(m) ps 0.8 title (has[4 * k + m] ? mtitle(m) : "optimal\\_self: not written")
}
unset multiplot
set output
