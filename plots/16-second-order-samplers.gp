# 16-second-order-samplers.gp: local and global error of Heun and DPM-Solver-2 on a closed-form
# Gaussian flow (experiment 16).
#
#   gnuplot -c plots/16-second-order-samplers.gp OUT.png TABLE.txt N
#
# TABLE: solver kind h mean max (experiments/16-second-order-samplers.sh).  Left: the local
# error of one step from σ = 2 against h, with slope 3; right: the global error at σ_min
# against the mean step, with slope 2.  Mean over the starts (points) and largest (dashed).
if (ARGC < 3) {
    print "usage: gnuplot -c 16-second-order-samplers.gp OUT.png TABLE.txt N"
    exit error "16-second-order-samplers.gp: missing arguments"
}
dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
load PLOTS . "lib.gp"
T = ARG2
sel(s, k) = sprintf("< awk '$1 == \"%s\" && $2 == \"%s\"' %s", s, k, q(T))
# reference slopes through the last (smallest-h) Heun point of each kind
lh = real(system(sprintf("awk '$1 == \"heun\" && $2 == \"local\" { h = $3; e = $4 } END { print h, e }' %s", q(T))))
le = real(word(system(sprintf("awk '$1 == \"heun\" && $2 == \"local\" { h = $3; e = $4 } END { print h, e }' %s", q(T))), 2))
gh = real(system(sprintf("awk '$1 == \"heun\" && $2 == \"global\" { h = $3 } END { print h }' %s", q(T))))
ge = real(word(system(sprintf("awk '$1 == \"heun\" && $2 == \"global\" { h = $3; e = $4 } END { print h, e }' %s", q(T))), 2))
set terminal pngcairo size 1700,720 enhanced font "Sans,15" linewidth 1.5
set output ARG1
set multiplot layout 1,2 title sprintf("{/:Bold Second-order samplers on a closed-form Gaussian flow}\n{/*0.8 one Gaussian in d = 2 fitted to 1000 rows, %s starts, error against the exact solution, mean (points) and largest (dashed)}", ARG3) font ",18"
set lmargin 12
set rmargin 3
set logscale xy
set autoscale xfix
set format y "10^{%T}"
set format x "%g"
set key top left font ",12"
set title "local error: one step from σ = 2 to 2 − h" font ",16"
set xlabel "step h"
set ylabel "‖x_1 − x(σ_1)‖   (data units)"
plot sel("heun", "local") using 3:4 with linespoints pt 7 lc rgb C_X lw 2 title "Heun", \
     sel("heun", "local") using 3:5 with lines dt 2 lc rgb C_X notitle, \
     sel("dpm2", "local") using 3:4 with linespoints pt 5 lc rgb C_D lw 2 title "DPM-Solver-2", \
     sel("dpm2", "local") using 3:5 with lines dt 2 lc rgb C_D notitle, \
     le * (x / lh) ** 3 with lines lc rgb C_REF dt 3 lw 1.2 title "∝ h^3"
set autoscale x
set title "global error at σ_{min} = 0.002 (EDM ρ = 7 grids from σ = 80)" font ",16"
set xlabel "mean step h = (σ_{max} − σ_{min}) / steps"
set ylabel "‖x_T − x(σ_{min})‖   (data units)"
plot sel("heun", "global") using 3:4 with linespoints pt 7 lc rgb C_X lw 2 title "Heun", \
     sel("heun", "global") using 3:5 with lines dt 2 lc rgb C_X notitle, \
     sel("dpm2", "global") using 3:4 with linespoints pt 5 lc rgb C_D lw 2 title "DPM-Solver-2", \
     sel("dpm2", "global") using 3:5 with lines dt 2 lc rgb C_D notitle, \
     ge * (x / gh) ** 2 with lines lc rgb C_REF dt 3 lw 1.2 title "∝ h^2"
unset multiplot
set output
