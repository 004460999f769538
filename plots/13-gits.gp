# 13-gits.gp: a GITS schedule against EDM's polynomial schedule at equal NFE (doc/theory.md §8,
# experiment 13).
#
#   gnuplot -c plots/13-gits.gp SUMMARY.txt OUT.png DIFFGEO SCHEDULE.h5 TEACHER.h5 [PUBLISHED] [THRESHOLD]
#
# SUMMARY.txt is written by experiments/13-gits.sh: one row per solver, columns solver nfe, then
# for the schedules gits, edm and published: mean and std of ‖x_T − x_T^teacher‖ and the number
# of samples within THRESHOLD of the teacher's end, then n (later columns, the paired statistics,
# are not drawn).  SCHEDULE.h5 is the output of `diffgeo gits`; TEACHER.h5 the teacher's run on
# the fresh starts; PUBLISHED the schedule published for CIFAR-10 as a list:σ0,σ1,... spec.
# Two panels:
#   left   the three σ schedules against the step index (log σ)
#   right  the error to the teacher of each solver on each schedule: bars with mean ± std, the
#          share of samples on the teacher's training image written above each bar

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 5) {
    print "usage: gnuplot -c 13-gits.gp SUMMARY.txt OUT.png DIFFGEO SCHEDULE.h5 TEACHER.h5 [PUBLISHED] [THRESHOLD]"
    exit error "13-gits.gp: missing arguments"
}
SUM = ARG1
OUT = ARG2
DG = strlen(ARG3) > 0 ? ARG3 : "diffgeo"
SCHED = ARG4
TEACHER = ARG5
PUB = (ARGC >= 6 && strlen(ARG6) > 0) ? ARG6 : ""
THR = (ARGC >= 7 && strlen(ARG7) > 0) ? ARG7 : "the threshold"
load PLOTS . "lib.gp"

sinfo = runinfo(SCHED)
if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(sinfo, "/teacher_sigmas") == 0) {
    print sinfo
    exit error sprintf("13-gits.gp: %s is not a schedule file of 'diffgeo gits'", SCHED)
}
tinfo = runinfo(TEACHER)
if (GPVAL_SYSTEM_ERRNO != 0) { print tinfo; exit error sprintf("13-gits.gp: '%s info %s' failed", DG, TEACHER) }

# ---- schedules: index sigma ----------------------------------------------------------------
set table $gits
plot "< " . tab(SCHED, "/sigmas", "") using 1:2 with table
unset table
stats $gits using 1 nooutput
K = int(STATS_max)
set table $edm
plot sprintf("< %s schedule --steps %d", q(DG), K + 1) using 1:2 with table
unset table
if (strlen(PUB) > 0) {
    set table $pub
    plot sprintf("< %s schedule --schedule %s", q(DG), q(PUB)) using 1:2 with table
    unset table
}

# ---- errors: solver nfe (mean std same) x 3 n ------------------------------------------------
set table $err
plot SUM using 0:2:3:4:5:6:7:8:9:10:11:12:xtic(1) with table
unset table
stats SUM using 2 nooutput
NS = STATS_records
NFE = STATS_max
stats SUM using ($3 + $4) nooutput
emax = STATS_max
stats SUM using ($6 + $7) nooutput
emax = STATS_max > emax ? STATS_max : emax
stats SUM using ($9 + $10) nooutput
emax = STATS_max > emax ? STATS_max : emax

set terminal pngcairo size 1600,820 enhanced font "Sans,15" linewidth 1.5
set output OUT
set multiplot layout 1,2 title sprintf("{/:Bold GITS against EDM's polynomial schedule at equal NFE (%d)}\n" . \
    "{/*0.8 data %s; GITS from %s warm-up trajectories (seed %s, cost %s); errors on %s fresh starts against the teacher (%s, %s timestamps, NFE %s)}", \
    NFE, cfg(sinfo, "data"), cfg(sinfo, "warmup"), cfg(sinfo, "seed"), cfg(sinfo, "cost"), cfg(tinfo, "n"), \
    cfg(tinfo, "solver"), cfg(tinfo, "steps"), cfg(tinfo, "nfe")) font ",18"
set lmargin 11
set rmargin 4

set title sprintf("The σ schedules (%d steps)", K) font ",16"
set xlabel "step index i"
set ylabel "σ_i (noise level; log scale)"
set logscale y
set format y "%g"
set xrange [-0.3:K + 0.3]
set xtics 1
set mxtics 1
set key bottom left
plot $gits using 1:2 with linespoints lc rgb C_D lw 2.5 pt 5 ps 1.3 title "GITS found here", \
     $edm using 1:2 with linespoints lc rgb C_X lw 2.5 pt 7 ps 1.3 title "EDM, ρ = 7", \
     (strlen(PUB) > 0 ? "$pub" : "$edm") using 1:(strlen(PUB) > 0 ? $2 : NaN) with linespoints lc rgb C_3 lw 2 dt 2 pt 9 ps 1.2 \
         title "GITS published for CIFAR-10"

set title sprintf("Error against the teacher's end point\n{/*0.8 bars: mean ± std over the samples}\n{/*0.8 %% above a bar: share of samples within %s of the teacher}", THR) font ",16"
set xlabel "solver"
set ylabel "‖x_T − x_T^{teacher}‖ (data units)"
unset logscale y
set format y "%g"
set xrange [-0.6:NS - 0.4]
set yrange [0:emax * 1.35]
set xtics () 
do for [r = 0:NS - 1] {
    eval sprintf("set xtics add ('%s (NFE %d)' %d)", system(sprintf("awk '!/^#/ { if (n++ == %d) print $1 }' %s", r, q(SUM))), NFE, r)
}
set boxwidth 0.26
set style fill solid 0.75 border lc rgb "#404040"
set key top left
W = 0.27
plot SUM using ($0 - W):3:4 with boxerrorbars lc rgb C_D title "GITS found here", \
     SUM using ($0):6:7 with boxerrorbars lc rgb C_X title "EDM, ρ = 7", \
     SUM using ($0 + W):9:10 with boxerrorbars lc rgb C_3 title "GITS published for CIFAR-10", \
     SUM using ($0 - W):($3 + $4):(sprintf("%.0f %%", 100 * $5 / $12)) with labels offset 0, 0.8 font ",12" notitle, \
     SUM using ($0):($6 + $7):(sprintf("%.0f %%", 100 * $8 / $12)) with labels offset 0, 0.8 font ",12" notitle, \
     SUM using ($0 + W):($9 + $10):(sprintf("%.0f %%", 100 * $11 / $12)) with labels offset 0, 0.8 font ",12" notitle
unset multiplot
set output
