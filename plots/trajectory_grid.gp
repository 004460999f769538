# trajectory_grid.gp: images along the sampling and the denoising trajectories.
#
#   gnuplot -c plots/trajectory_grid.gp RUN.h5 OUT.png [DIFFGEO] [NSAMPLES]
#
# RUN.h5 is a run file of `diffgeo sample` whose /config has image_shape; DIFFGEO is the diffgeo
# tool (default "diffgeo" on PATH); NSAMPLES (default 4) trajectories are shown.  For each, one
# row of x_i (/trajectory) at up to 8 grid indices spread evenly from 0 to T, and under it the
# row of D(x_i; sigma_i) (/denoised) at the same indices (the last column shows index T-1, the
# last evaluation).  Each tile is labelled with its sigma.  Grey palette on [-1, 1]: the noisy
# images at large sigma saturate, which is the usual way to show them.
# One `diffgeo table --image` command per tile, each run once.

if (ARGC < 2) {
    print "usage: gnuplot -c trajectory_grid.gp RUN.h5 OUT.png [DIFFGEO] [NSAMPLES]"
    exit error "trajectory_grid.gp: missing arguments"
}
RUN = ARG1
OUT = ARG2
DG = (ARGC >= 3 && strlen(ARG3) > 0) ? ARG3 : "diffgeo"
NS_WANT = (ARGC >= 4 && strlen(ARG4) > 0) ? int(ARG4) : 4
if (NS_WANT < 1) { exit error "trajectory_grid.gp: NSAMPLES must be at least 1" }
NCOL_MAX = 8

# single-quote a string for /bin/sh
esc(s) = strlen(s) == 0 ? "" : ((s[1:1] eq "'" ? "'\\''" : s[1:1]) . esc(s[2:*]))
q(s) = "'" . esc(s) . "'"

# ---- run description ----------------------------------------------------------------------
info = system(sprintf("%s info %s 2>&1", q(DG), q(RUN)))
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("trajectory_grid.gp: '%s info %s' failed", DG, RUN)
}
cfg_data = "?"; cfg_solver = "?"; cfg_steps = "?"; cfg_n = "0"
IMG_H = 0; IMG_W = 0
in_config = 0
do for [k = 1:words(info) - 2] {
    w = word(info, k)
    if (w eq "/config") { in_config = 1 }
    if (w eq "contents") { in_config = 0 }
    if (in_config) {
        if (w eq "data")   { cfg_data   = word(info, k + 1) }
        if (w eq "solver") { cfg_solver = word(info, k + 1) }
        if (w eq "steps")  { cfg_steps  = word(info, k + 1) }
        if (w eq "n")      { cfg_n      = word(info, k + 1) }
        if (w eq "image_shape") {
            # printed as "[H, W]"
            w1 = word(info, k + 1); w2 = word(info, k + 2)
            IMG_H = int(w1[2:strlen(w1) - 1]); IMG_W = int(w2[1:strlen(w2) - 1])
        }
    }
}
if (IMG_H < 1 || IMG_W < 1) {
    exit error sprintf("trajectory_grid.gp: %s has no /config image_shape (not image data)", RUN)
}
NS = (int(cfg_n) < NS_WANT) ? int(cfg_n) : NS_WANT
if (NS < 1) { exit error sprintf("trajectory_grid.gp: %s holds no trajectories", RUN) }

# sigma grid: "# index value" then pairs
sig_txt = system(sprintf("%s table %s /sigmas", q(DG), q(RUN)))
if (GPVAL_SYSTEM_ERRNO != 0) { exit error sprintf("trajectory_grid.gp: cannot read /sigmas of %s", RUN) }
T1 = (words(sig_txt) - 3) / 2          # T + 1 grid points
T = T1 - 1
if (T < 1) { exit error "trajectory_grid.gp: the run has fewer than 2 grid points" }
sigma(i) = real(word(sig_txt, 5 + 2 * i))

# grid indices of the columns, evenly spread over 0..T
NCOL = (T1 < NCOL_MAX) ? T1 : NCOL_MAX
idx_x(c) = int(floor(c * T / (NCOL - 1.0) + 0.5))
idx_d(c) = (idx_x(c) > T - 1) ? T - 1 : idx_x(c)
siglabel(s) = (s == 0) ? "σ = 0" : (s >= 9.95 ? sprintf("σ = %.0f", s) : gprintf("σ = %.2g", s))

# ---- layout in pixel units of the images ----------------------------------------------------
GAPX = 0.12 * IMG_W             # between columns
GAPY = 0.32 * IMG_H             # room for the sigma label above each tile
GAPS = 0.30 * IMG_H             # extra space between samples
LEFT = 1.75 * IMG_W             # row labels
HEAD = 0.95 * IMG_H             # figure title
ROWH = IMG_H + GAPY
BLKH = 2 * ROWH + GAPS
ox(c) = c * (IMG_W + GAPX)                  # left edge of column c (pixel centres from ox)
oy(s, r) = -(s * BLKH + r * ROWH + GAPY)    # top row of tile: sample s, r = 0 (x) or 1 (D)
XMIN = -LEFT
XMAX = ox(NCOL - 1) + IMG_W + 0.15 * IMG_W
YMAX = HEAD
YMIN = oy(NS - 1, 1) - IMG_H - 0.15 * IMG_H
# pixel centres sit at integer offsets: each image covers [o-0.5, o+W-0.5]
set xrange [XMIN : XMAX]
set yrange [YMIN : YMAX]
SCALE = 1400.0 / (XMAX - XMIN)              # screen pixels per image pixel
set terminal pngcairo size int(SCALE * (XMAX - XMIN)), int(SCALE * (YMAX - YMIN)) enhanced font "Sans,14"
set output OUT
set encoding utf8

unset border; unset tics; unset key; unset colorbox
set margins 0, 0, 0, 0
set size ratio -1
set palette grey
set cbrange [-1:1]

# ---- labels --------------------------------------------------------------------------------
cols = ""
do for [c = 0:NCOL - 1] { cols = cols . sprintf(c == 0 ? "%d" : ", %d", idx_x(c)) }
set label 1 sprintf("{/:Bold Sampling trajectory x_i and denoising trajectory D(x_i; σ_i)}\n{/*0.8 %s, %s solver, %s steps; columns: grid indices %s of 0…%d (D: last one %d); grey scale [−1, 1]}", \
                    cfg_data, cfg_solver, cfg_steps, cols, T, T - 1) \
    at (XMIN + XMAX) / 2.0, YMAX - 0.42 * HEAD center font ",17"
do for [s = 0:NS - 1] {
    set label sprintf("{/:Bold sample %d}", s + 1) \
        at XMIN + 0.32 * IMG_W, oy(s, 0) - (ROWH + IMG_H) / 2.0 center rotate by 90 font ",15"
    set label "x_i" \
        at -0.2 * IMG_W, oy(s, 0) - (IMG_H - 1) / 2.0 right font ",15"
    set label "D(x_i; σ_i)" \
        at -0.2 * IMG_W, oy(s, 1) - (IMG_H - 1) / 2.0 right font ",15" tc rgb "#b04a10"
    do for [c = 0:NCOL - 1] {
        set label siglabel(sigma(idx_x(c))) at ox(c) + (IMG_W - 1) / 2.0, oy(s, 0) + 0.5 + 0.14 * IMG_H center font ",11"
        set label siglabel(sigma(idx_d(c))) at ox(c) + (IMG_W - 1) / 2.0, oy(s, 1) + 0.5 + 0.14 * IMG_H center font ",11" tc rgb "#b04a10"
    }
}

tile(path, i, s) = sprintf("< %s table %s %s --slice %d,%d --image", q(DG), q(RUN), path, i, s)

plot for [s = 0:NS - 1] for [c = 0:NCOL - 1] tile("/trajectory", idx_x(c), s) \
         matrix using ($1 + ox(c)):(oy(s, 0) - $2):3 with image, \
     for [s = 0:NS - 1] for [c = 0:NCOL - 1] tile("/denoised", idx_d(c), s) \
         matrix using ($1 + ox(c)):(oy(s, 1) - $2):3 with image

set output
