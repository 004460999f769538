# flow2d.gp: an animated GIF of 300 samples flowing from noise (σ = 3) to the data
# along the probability-flow ODE (Euler, 60 steps), one frame per step, over the
# data density (run by lecture2d.sh; variables as in lecture2d.gp).  With
# -e "FRAME=k" it draws only frame k, as OUT/flow-k.png (to look at one).
U0 = real(UG[1:strstrt(UG, ",") - 1]); DU = real(UG[strstrt(UG, ",") + 1:*])
V0 = real(VG[1:strstrt(VG, ",") - 1]); DV = real(VG[strstrt(VG, ",") + 1:*])
u(j) = U0 + j * DU
v(i) = V0 + i * DV
f(name) = OUT . "/" . name . ".txt"

stats f("flow") using 1 nooutput
STEPS = int(STATS_max)
HOLD = 12 # frames that hold the end
# σ of each step, column 2 of any of its lines (before any range is set: stats
# sees only points inside it)
array SIG[STEPS + 1]
do for [k = 0:STEPS] {
    stats f("flow") every ::k::k using 2 nooutput
    SIG[k + 1] = STATS_min
}
if (exists("FRAME")) {
    set terminal pngcairo size 640,640 font "sans,12" noenhanced
    set output sprintf("%s/flow-%d.png", OUT, FRAME)
    FIRST = FRAME; LAST = FRAME
} else {
    set terminal gif animate delay 8 loop 0 size 640,640 font "sans,12" noenhanced
    set output OUT . "/flow.gif"
    FIRST = 0; LAST = STEPS + HOLD
}
set encoding utf8
set size ratio -1
set xrange [u(0):u(140)]
set yrange [v(0):v(140)]
set xlabel "x_1"
set ylabel "x_2"
set tics out nomirror
set border 3
unset key
unset colorbox
set palette defined (0 "#ffffff", 0.35 "#bcd3ea", 0.7 "#4f86c0", 1 "#16386b")
do for [frame = FIRST:LAST] {
    k = frame > STEPS ? STEPS : frame
    set title sprintf("%s: 300 samples at σ = %.3g (step %d of %d)", DATA, SIG[k + 1], k, STEPS)
    plot f("flow-density") using (u($2)):(v($1)):(exp($3)) with image, \
         f("flow") every ::k::k using 4:5 with points pt 7 ps 0.6 lc rgb "#d2601a"
}
