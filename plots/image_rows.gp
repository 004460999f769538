# image_rows.gp: rows of images from run files, one row per dataset, one column per sample.
#
#   gnuplot -c plots/image_rows.gp OUT.png DIFFGEO TITLE COLUMNS ROW [ROW...]
#
# COLUMNS  the column labels separated by "|" (e.g. "λ = 0|λ = 0.5|λ = 1"), or a number N for
#          the columns "sample 1" ... "sample N"; column c shows sample c − 1 of every row
# ROW      "LABEL|RUN.h5|PATH|LEAD": the images are rows of dataset PATH of RUN.h5, shown with
#          `diffgeo table RUN PATH --slice LEAD,c` (LEAD empty: --slice c), e.g.
#          "teacher|run.h5|/samples|" or "x_5|jump.h5|/trajectory|5"; up to 5 rows
# TITLE    the figure title; a second line (after a newline) is printed smaller
# Grey images (image_shape H × W) use `diffgeo table --image`; colour images
# (image_shape 3 × H × W, channel planes as CIFAR-10) are assembled from the flat row by an
# awk one-liner (`diffgeo table --image` knows grey images only).  Grey scale and colours cover [−1, 1]; values outside
# are clipped.  Every `diffgeo table` command runs once.

dir(s) = strstrt(s, "/") == 0 ? "" : s[1:strstrt(s, "/")] . dir(s[strstrt(s, "/") + 1:*])
PLOTS = dir(ARG0)
if (ARGC < 5) {
    print "usage: gnuplot -c image_rows.gp OUT.png DIFFGEO TITLE COLUMNS ROW [ROW...]"
    exit error "image_rows.gp: missing arguments"
}
OUT = ARG1
DG = strlen(ARG2) > 0 ? ARG2 : "diffgeo"
load PLOTS . "lib.gp"
TITLE = ARG3
COLS = ARG4
NROW = ARGC - 4
if (NROW > 5) { exit error "image_rows.gp: at most 5 rows" }
row(r) = value(sprintf("ARG%d", r + 5))
# field k (from 1) of a "|"-separated string
field(s, k) = k <= 1 ? (strstrt(s, "|") > 0 ? s[1:strstrt(s, "|") - 1] : s) : \
              (strstrt(s, "|") > 0 ? field(s[strstrt(s, "|") + 1:*], k - 1) : "")
nfields(s) = strstrt(s, "|") > 0 ? 1 + nfields(s[strstrt(s, "|") + 1:*]) : 1

if (strlen(digits(COLS)) == strlen(COLS) && strlen(COLS) > 0) {
    NCOL = int(COLS)
    collabel(c) = sprintf("sample %d", c + 1)
} else {
    NCOL = nfields(COLS)
    collabel(c) = field(COLS, c + 1)
}
if (NCOL < 1) { exit error "image_rows.gp: no column" }

# ---- image shape from the first row's run -------------------------------------------------
info = runinfo(field(row(0), 2))
if (GPVAL_SYSTEM_ERRNO != 0) {
    print info
    exit error sprintf("image_rows.gp: '%s info %s' failed", DG, field(row(0), 2))
}
shape = cfg_line(info, "image_shape")
if (words(shape) == 2) {
    CH = 1; IMG_H = int(digits(word(shape, 1))); IMG_W = int(digits(word(shape, 2)))
} else {
    if (words(shape) == 3) {
        CH = int(digits(word(shape, 1))); IMG_H = int(digits(word(shape, 2))); IMG_W = int(digits(word(shape, 3)))
    } else {
        exit error sprintf("image_rows.gp: %s has no /config image_shape (not image data)", field(row(0), 2))
    }
}
if (CH != 1 && CH != 3) { exit error sprintf("image_rows.gp: image_shape %s: 1 or 3 channels only", shape) }

# ---- layout in screen pixels --------------------------------------------------------------
TILE = 112.0
GAP = 10.0
maxlen = 0
do for [r = 0:NROW - 1] { maxlen = strlen(field(row(r), 1)) > maxlen ? strlen(field(row(r), 1)) : maxlen }
LEFT = 30 + 9.5 * maxlen
HEAD = 96.0
COLH = 26.0
W = int(LEFT + NCOL * (TILE + GAP) + 20)
# wide enough for the title (about 14 pixels per character in bold at this size); the grid is centred
nl = strstrt(TITLE, "\n")
TW = int(14.0 * strlen(nl > 0 ? TITLE[1:nl - 1] : TITLE) + 60)
if (TW > W) { LEFT = LEFT + (TW - W) / 2.0; W = TW }
H = int(HEAD + COLH + NROW * (TILE + GAP) + 16)
ox(c) = LEFT + c * (TILE + GAP)
oy(r) = H - HEAD - COLH - r * (TILE + GAP)         # top edge of row r
PX = TILE / IMG_W
PY = TILE / IMG_H

set terminal pngcairo size W, H enhanced font "Sans,14"
set output OUT
set xrange [0:W]
set yrange [0:H]
set margins 0, 0, 0, 0
unset border; unset tics; unset key; unset colorbox; unset grid
set palette grey
set cbrange [-1:1]

if (nl > 0) {
    set label 1 sprintf("{/:Bold %s}\n{/*0.8 %s}", TITLE[1:nl - 1], TITLE[nl + 1:*]) at W / 2.0, H - 34 center font ",17"
} else {
    set label 1 sprintf("{/:Bold %s}", TITLE) at W / 2.0, H - 40 center font ",17"
}
do for [c = 0:NCOL - 1] {
    set label collabel(c) at ox(c) + TILE / 2, oy(0) + COLH / 2 + 2 center font ",12"
}
do for [r = 0:NROW - 1] {
    set label field(row(r), 1) at LEFT - 14, oy(r) - TILE / 2 right font ",14"
}

slice(r, c) = strlen(field(row(r), 4)) > 0 ? sprintf("%s,%d", field(row(r), 4), c) : sprintf("%d", c)
grey(r, c) = "< " . tab(field(row(r), 2), field(row(r), 3), "--slice " . slice(r, c) . " --image")
# colour: the flat row (index value) in channel planes -> "x y r g b", 0..255
RGB_AWK = sprintf("awk -v h=%d -v w=%d 'NR > 1 { v[$1] = $2 } END { for (y = 0; y < h; y++) for (x = 0; x < w; x++) { printf \"%%d %%d\", x, y; for (k = 0; k < 3; k++) { t = (v[k*h*w + y*w + x] + 1) * 127.5; printf \" %%.1f\", t < 0 ? 0 : (t > 255 ? 255 : t) } printf \"\\n\" } }'", IMG_H, IMG_W)
colour(r, c) = "< " . tab(field(row(r), 2), field(row(r), 3), "--slice " . slice(r, c)) . " | " . RGB_AWK

if (CH == 1) {
    plot for [r = 0:NROW - 1] for [c = 0:NCOL - 1] grey(r, c) \
        matrix using (ox(c) + ($1 + 0.5) * PX):(oy(r) - ($2 + 0.5) * PY):3 with image
} else {
    plot for [r = 0:NROW - 1] for [c = 0:NCOL - 1] colour(r, c) \
        using (ox(c) + ($1 + 0.5) * PX):(oy(r) - ($2 + 0.5) * PY):3:4:5 with rgbimage
}
set output
