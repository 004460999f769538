# 11-latent-interpolation.gp: the norm along latent interpolations (doc/theory.md §8, experiment 11).
#
#   gnuplot -c plots/11-latent-interpolation.gp OUT.png DIFFGEO RUN1.h5 [RUN2.h5 [RUN3.h5]]
#
# Each RUN is a run file of `diffgeo interpolate` (/interpolation/lambda and
# /interpolation/norm_ratio = ‖x_0(λ)‖/(σ_max√d)); its method is read from its command line.
# One panel: the norm ratio against λ for each run, with the prediction for two orthogonal
# starts of equal norm, sqrt((1 − λ)² + λ²) for lerp (scaled by the mean ratio of the two
# starts), and 1 (the noise shell).

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 3) {
    print "usage: gnuplot -c 11-latent-interpolation.gp OUT.png DIFFGEO RUN1.h5 [RUN2.h5 [RUN3.h5]]"
    exit error "11-latent-interpolation.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
load PLOTS . "lib.gp"
NRUN = ARGC - 2
if (NRUN > 3) { NRUN = 3 }
run(k) = value(sprintf("ARG%d", k + 3))
colour(k) = word("#d2601a #1f5fa8 #2a9d4a", k + 1)
point(k) = int(word("5 7 9", k + 1))
dt(k) = int(word("1 1 2", k + 1))
block(k) = sprintf("$r%d", k)
array meth[3]
# the method: the word after --method in the command line (slerp, the default, when absent)
method(info) = strstrt(info, "--method ") > 0 ? word(info[strstrt(info, "--method ") + 9:*], 1) : "slerp"

do for [k = 0:NRUN - 1] {
    info = runinfo(run(k))
    if (GPVAL_SYSTEM_ERRNO != 0 || strstrt(info, "/interpolation/norm_ratio") == 0) {
        print info
        exit error sprintf("11-latent-interpolation.gp: %s is not a run file of 'diffgeo interpolate'", run(k))
    }
    meth[k + 1] = method(info)
    eval sprintf("set table %s", block(k))
    # lambda and norm_ratio side by side
    plot sprintf("< { %s; %s; } | awk '/^#/ { p++; next } p == 1 { l[$1] = $2; next } { print l[$1], $2 }'", \
                 tab(run(k), "/interpolation/lambda", ""), tab(run(k), "/interpolation/norm_ratio", "")) \
        using 1:2 with table
    unset table
}

# the two starts: the norm ratios at λ = 0 and λ = 1 of the first run
stats $r0 using 2 nooutput
NPTS = STATS_records
stats $r0 every ::0::0 using 2 nooutput
r_a = STATS_max
eval sprintf("stats $r0 every ::%d::%d using 2 nooutput", NPTS - 1, NPTS - 1)
r_b = STATS_max
# values at λ = ½ (when on the grid) and the smallest of each run
array mid[3]; array low[3]
do for [k = 0:NRUN - 1] {
    eval sprintf("stats %s using (abs($1 - 0.5) < 1e-9 ? $2 : NaN) nooutput", block(k))
    mid[k + 1] = STATS_records > 0 ? STATS_max : NaN
    eval sprintf("stats %s using 2 nooutput", block(k))
    low[k + 1] = STATS_min
}
pred(l) = sqrt((1 - l)**2 * r_a**2 + l**2 * r_b**2)
info = runinfo(run(0))

set terminal pngcairo size 1300,800 enhanced font "Sans,15" linewidth 1.5
set output OUT
set title sprintf("{/:Bold Norm of the start point along latent interpolations}\n" . \
    "{/*0.8 data %s (d = %s), two independent starts at σ_{max} = %s, %d points; ‖x_0(λ)‖ relative to the noise shell σ_{max}√d}", \
    cfg(info, "data"), cfg(info, "dim"), cfg(info, "sigma_max"), NPTS) font ",17"
set xlabel "interpolation parameter λ  (x_0 = a at λ = 0, b at λ = 1)"
set ylabel "‖x_0(λ)‖ / (σ_{max}√d)   (dimensionless)"
set xrange [-0.02:1.02]
set yrange [0.42:1.1]
set xtics 0.1
set samples 201
set lmargin 12
set rmargin 4
set key bottom right
txt = ""
do for [k = 0:NRUN - 1] { txt = txt . sprintf("%s%s: %.4f at λ = ½, smallest %.4f", k > 0 ? "\n" : "", meth[k + 1], mid[k + 1], low[k + 1]) }
set label 1 txt at graph 0.03, graph 0.12 left front font ",13" boxed
plot 1 with lines lc rgb "#999999" lw 1 notitle, \
     [0:1] pred(x) with lines lc rgb C_REF lw 1.5 dt 3 title "lerp of orthogonal starts: sqrt((1 − λ)^2‖a‖^2 + λ^2‖b‖^2)", \
     sqrt(0.5) with lines lc rgb "#bbbbbb" lw 1 dt 2 title "1/√2 ≈ 0.707", \
     for [k = 0:NRUN - 1] block(k) using 1:2 with linespoints lc rgb colour(k) lw 2.5 dt dt(k) pt point(k) ps 1.2 title meth[k + 1]
set output
