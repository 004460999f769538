# lecture2d.gp: the 2-D lecture figure, four panels over the data density
# (run by lecture2d.sh, which writes the tables it reads):
#   a. sampling trajectories x_i of the probability-flow ODE;
#   b. the denoising trajectories D(x_i; σ_i) of the same runs;
#   c. the score ∇ log p_σ at σ = 0.3 as arrows (direction; colour: log10 of its length);
#   d. Gaussian mean-shift paths (bandwidth 0.3) from 60 data points.
# Variables from the command line: OUT (the directory), DATA (its name), UG and VG
# ("first,spacing" of the grid's u and v).
U0 = real(UG[1:strstrt(UG, ",") - 1]); DU = real(UG[strstrt(UG, ",") + 1:*])
V0 = real(VG[1:strstrt(VG, ",") - 1]); DV = real(VG[strstrt(VG, ",") + 1:*])
u(j) = U0 + j * DU
v(i) = V0 + i * DV
f(name) = OUT . "/" . name . ".txt"

# the last step (before any range is set: stats sees only points inside it)
stats f("trajectories") using 1 nooutput
LAST = int(STATS_max)
# the density's colour scale: log p over its top 6 nats (e^-6 of the peak is white),
# so that wide components and tails show beside sharp peaks
stats f("density") using 3 nooutput
DMAX = STATS_max
set cbrange [DMAX - 6:DMAX]

set terminal pngcairo size 1600,1500 font "sans,15" noenhanced
set output OUT . "/lecture2d.png"
set encoding utf8
set multiplot layout 2,2 title sprintf("%s: the geometry of sampling with the exact denoiser\n(blue: log p_σ at σ = 0.02, its top 6 nats)", DATA) \
    font "sans,20"
set size ratio -1
set xrange [u(0):u(100)]
set yrange [v(0):v(100)]
set xlabel "x_1"
set ylabel "x_2"
set tics out nomirror
set border 3
unset key
unset colorbox
# log p_σ (σ = 0.02): white to deep blue
set palette defined (0 "#ffffff", 0.35 "#bcd3ea", 0.7 "#4f86c0", 1 "#16386b")

set title "a. sampling trajectories x_i (Heun, 30 steps from σ = 80; ○ the ends)"
plot f("density") using (u($2)):(v($1)):($3) with image, \
     f("trajectories") using 3:4 with lines lw 1.6 lc rgb "#d2601a", \
     f("trajectories") using 3:($1 == LAST ? $4 : NaN) with points pt 7 ps 1.3 lc rgb "#ffffff", \
     f("trajectories") using 3:($1 == LAST ? $4 : NaN) with points pt 6 ps 1.3 lw 1.5 lc rgb "#000000"

set title "b. denoising trajectories D(x_i; σ_i) of the same runs"
plot f("density") using (u($2)):(v($1)):($3) with image, \
     f("denoised") using 3:4 with linespoints lw 1.2 pt 7 ps 0.45 lc rgb "#7b3fa0"

set title "c. the score ∇log p_σ at σ = 0.3 (colour: log10 of its length)"
set palette defined (0 "#2a9d4a", 0.5 "#e0a000", 1 "#c0392b")
set colorbox user origin 0.475, 0.08 size 0.012, 0.3
set cbtics out
set cbrange [*:*]
S = 3.2 * DU
len(a, b) = sqrt(a * a + b * b)
plot f("data") using 2:3 with points pt 7 ps 0.5 lc rgb "#9a9a9a", \
     f("score") every 5:5 using (u($2)):(v($1)):(S * $3 / len($3, $4)):(S * $4 / len($3, $4)):(log10(len($3, $4))) \
        with vectors head filled size screen 0.006,20 lw 1.6 lc palette
unset colorbox

set cbrange [DMAX - 6:DMAX]
set title "d. Gaussian mean shift, bandwidth 0.3, from 60 data points (○)"
set palette defined (0 "#ffffff", 0.35 "#bcd3ea", 0.7 "#4f86c0", 1 "#16386b")
plot f("density") using (u($2)):(v($1)):($3) with image, \
     f("meanshift") using 3:4 with lines lw 1.4 lc rgb "#d2601a", \
     f("meanshift") using 3:($1 == 0 ? $4 : NaN) with points pt 6 ps 0.6 lc rgb "#303030"
unset multiplot
