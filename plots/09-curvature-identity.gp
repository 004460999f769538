# 09-curvature-identity.gp: the two sides of d²x/dσ² = −(1/σ) dD/dσ along fine trajectories
# (doc/theory.md §5, §8 experiment 9).
#
#   gnuplot -c plots/09-curvature-identity.gp OUT.png TABLE.txt DATA N STEPS
#
# TABLE: index sigma lhs rhs rel_mean rel_max, as written by experiments/09-curvature-identity.sh.
if (ARGC < 5) {
    print "usage: gnuplot -c 09-curvature-identity.gp OUT.png TABLE.txt DATA N STEPS"
    exit error "09-curvature-identity.gp: missing arguments"
}
set terminal pngcairo size 1700,720 enhanced font "Sans,15" linewidth 1.5
set output ARG1
set multiplot layout 1,2 title sprintf("{/:Bold The curvature identity  d^2x/d{/Symbol s}^2 = -(1/{/Symbol s}) dD/d{/Symbol s}}\n{/*0.8 %s, Heun with %s timestamps, mean over %s trajectories, central differences}", ARG3, ARG5, ARG4)
set logscale x
set xrange [*:*] reverse
set xlabel "{/Symbol s} (noise level, data units; log scale)"
set grid xtics ytics mxtics lc rgb "#dddddd"
set key bottom right box opaque

set logscale y
set format y "10^{%T}"
set ylabel "norm (1/data units)"
set title "the two sides (below {/Symbol s} {/Symbol \273} 1 D has settled on a training image)"
plot ARG2 using 2:3 with lines lw 3 lc rgb "#1f5fa8" title "||d^2x/d{/Symbol s}^2||  (sampling curvature)", \
     ARG2 using 2:4 with lines lw 2 dt 2 lc rgb "#d2601a" title "||(1/{/Symbol s}) dD/d{/Symbol s}||  (denoising velocity)"

set title "relative difference, where D still moves (||(1/{/Symbol s}) dD/d{/Symbol s}|| > 10^{-6})"
set key top left box opaque
set label 1 "the O(h^2) error of the\ncentral differences" at graph 0.05, graph 0.55 font ",13" tc rgb "#555555"
set ylabel "||d^2x/d{/Symbol s}^2 + (1/{/Symbol s}) dD/d{/Symbol s}|| / ||d^2x/d{/Symbol s}^2||"
moving(rhs, v) = rhs > 1e-6 ? v : 1/0
plot ARG2 using 2:(moving($4, $5)) with lines lw 3 lc rgb "#2a9d4a" title "mean over trajectories", \
     ARG2 using 2:(moving($4, $6)) with lines lw 1.5 lc rgb "#7b3fa0" title "largest"
unset multiplot
