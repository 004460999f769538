# flow2d.gp: an animated GIF of 300 samples flowing from noise (σ = 3) to the data
# along the probability-flow ODE (Euler: N σ values, N − 1 steps, N = 60 by
# default), one frame per σ value, then frames that hold the end, over the data
# density (run by lecture2d.sh; variables as in lecture2d.gp, here the grid of
# the density, the data's extent with a margin).  The view of each frame is that
# box widened by 2σ of the step on every side, so it closes in on the data as the
# samples do and ends on the box itself.  With -e "FRAME=k" it draws only frame k,
# as OUT/flow-k.png (to look at one).
U0 = real(UG[1:strstrt(UG, ",") - 1]); DU = real(UG[strstrt(UG, ",") + 1:*])
V0 = real(VG[1:strstrt(VG, ",") - 1]); DV = real(VG[strstrt(VG, ",") + 1:*])
u(j) = U0 + j * DU
v(i) = V0 + i * DV
f(name) = OUT . "/" . name . ".txt"

stats f("flow") using 1 nooutput
STEPS = int(STATS_max) # Euler steps: the σ grid's last index
HOLD = 12 # frames that hold the end
# σ of each step, column 2 of any of its lines (before any range is set: stats
# sees only points inside it)
array SIG[STEPS + 1]
do for [k = 0:STEPS] {
    stats f("flow") every ::k::k using 2 nooutput
    SIG[k + 1] = STATS_min
}
# the canvas: the final view (the box) with its longer side 600 pixels, at least 360
GW = u(140) - u(0); GH = v(140) - v(0)
PW = GW >= GH ? 600.0 : 600.0 * GW / GH
PH = GW >= GH ? 600.0 * GH / GW : 600.0
PW = PW < 360 ? 360.0 : PW
PH = PH < 360 ? 360.0 : PH
W = int(PW + 100); H = int(PH + 110)
if (exists("FRAME")) {
    set terminal pngcairo size W,H font "sans,12" noenhanced
    set output sprintf("%s/flow-%d.png", OUT, FRAME)
    FIRST = FRAME; LAST = FRAME
} else {
    set terminal gif animate delay 8 loop 0 size W,H font "sans,12" noenhanced
    set output OUT . "/flow.gif"
    FIRST = 0; LAST = STEPS + HOLD
}
set encoding utf8
set size ratio -1
set xlabel "x_1"
set ylabel "x_2"
set tics out nomirror
set border 3
unset key
unset colorbox
# the density's colour scale, fixed over the frames
stats f("flow-density") using (exp($3)) nooutput
set cbrange [0:STATS_max]
set palette defined (0 "#ffffff", 0.35 "#bcd3ea", 0.7 "#4f86c0", 1 "#16386b")
do for [frame = FIRST:LAST] {
    k = frame > STEPS ? STEPS : frame
    PAD = 2 * SIG[k + 1]
    set xrange [u(0) - PAD:u(140) + PAD]
    set yrange [v(0) - PAD:v(140) + PAD]
    # frame 0 is the noise x_0 = σ_max z; frame k the samples after k steps, at σ_k
    TITLE = frame == 0 ? sprintf("%s: 300 samples of noise N(0, σ² I), σ = %.3g (start)", \
                                 DATA, SIG[1]) : \
            frame <= STEPS ? sprintf("%s: 300 samples at σ = %.3g (step %d of %d)", \
                                     DATA, SIG[k + 1], k, STEPS) : \
            sprintf("%s: the 300 samples at σ = %.3g, after all %d steps", \
                    DATA, SIG[k + 1], STEPS)
    set title TITLE
    plot f("flow-density") using (u($2)):(v($1)):(exp($3)) with image, \
         f("flow") every ::k::k using 4:5 with points pt 7 ps 0.6 lc rgb "#d2601a"
}
