# 09-curvature-identity.gp: the curvature identity d²x/dσ² = −(1/σ) dD/dσ on three nested grids
# (doc/theory.md §5, §8 experiment 9).
#
#   gnuplot -c plots/09-curvature-identity.gp OUT.png TABLE.txt DATA N "N0 N1 N2"
#
# TABLE: index_coarse sigma sample, then lhs rhs rel for each of the three grids, as written by
# experiments/09-curvature-identity.sh.  Left: the relative difference of the two sides per
# sample against σ, one colour per grid.  Right: the observed order log2(e_h / e_{h/2}) per
# sample for each halving, with the expected 2.  Pairs where D has settled on some grid
# (‖(1/σ) dD/dσ‖ ≤ 1e-6) are left out.
if (ARGC < 5) {
    print "usage: gnuplot -c 09-curvature-identity.gp OUT.png TABLE.txt DATA N \"N0 N1 N2\""
    exit error "09-curvature-identity.gp: missing arguments"
}
dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
load PLOTS . "lib.gp"
G(k) = word(ARG5, k)
col(k) = word("#1f5fa8 #d2601a #2a9d4a", k)
stats ARG2 using 2 nooutput
sig_lo = STATS_min; sig_hi = STATS_max
set terminal pngcairo size 1700,720 enhanced font "Sans,15" linewidth 1.5
set output ARG1
set multiplot layout 1,2 title sprintf("{/:Bold The curvature identity  d²x/dσ² = −(1/σ) dD/dσ on three nested grids}\n{/*0.8 %s, Heun on EDM's ρ = 7 grid with %s timestamps, the same %s starts, central differences at the same σ points}", ARG3, ARG5, ARG4) font ",18"
set lmargin 12
set rmargin 3
eval sigaxis(sig_lo, sig_hi)
set logscale y
set format y "10^{%T}"
set title "relative difference ‖d²x/dσ² + (1/σ) dD/dσ‖ / ‖d²x/dσ²‖ (per sample)" font ",15"
set ylabel "relative difference"
set key bottom right font ",12"
ok(r, a, b, c) = (a > 1e-6 && b > 1e-6 && c > 1e-6) ? r : NaN
plot for [k = 1:3] ARG2 using 2:(ok(column(3 + 3 * k), $5, $8, $11)) with points pt 7 ps 0.8 lc rgb col(k) title G(k) . " timestamps"
unset logscale y
set format y "%g"
set title "observed order log_2(e_h / e_{h/2}) per sample" font ",15"
set ylabel "observed order p"
set yrange [*:*]
set key bottom left font ",12"
plot ARG2 using 2:(ok(log(column(6) / column(9)) / log(2), $5, $8, $11)) with points pt 7 ps 0.8 lc rgb col(1) title G(1) . " → " . G(2), \
     ARG2 using 2:(ok(log(column(9) / column(12)) / log(2), $5, $8, $11)) with points pt 5 ps 0.8 lc rgb col(2) title G(2) . " → " . G(3), \
     2 with lines lc rgb C_REF dt 2 lw 1.2 title "p = 2 (O(h²))"
unset multiplot
set output
