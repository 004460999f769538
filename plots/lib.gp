# lib.gp: definitions shared by the experiment figures (loaded by them, never run alone).
#
#   PLOTS = dir(ARG0)               # with dir() as defined at the top of each script
#   DG = ...                        # the diffgeo tool
#   load PLOTS."lib.gp"
#
# Gives: q() to quote for /bin/sh; tab() a `diffgeo table` command; awkf() the command of a
# helper awk script beside this file (rowstats, rowdist); runinfo() the text of `diffgeo info`
# and cfg() one /config attribute from it; digits(); sigaxis() the reversed log sigma axis;
# the colours; the common look (grid, border, tics, key box, text box).

# single-quote a string for /bin/sh
esc(s) = strlen(s) == 0 ? "" : ((s[1:1] eq "'" ? "'\\''" : s[1:1]) . esc(s[2:*]))
q(s) = "'" . esc(s) . "'"
# the shell command printing dataset PATH of RUN as a table
tab(run, path, opts) = sprintf("%s table %s %s %s", q(DG), q(run), path, opts)
# the shell command running a helper awk script of this directory
awkf(name, vars) = sprintf("awk -f %s %s", q(PLOTS . name . ".awk"), vars)

# shell loops printing the slices 0..LAST of a 3-D dataset (e.g. /denoised) as n × d blocks,
# alone or interleaved with the same slices of a second one (for rowdist.awk)
slices(run, path, last) = sprintf("for i in $(seq 0 %d); do %s; done", last, tab(run, path, "--slice $i"))
slicepairs(run, a, b, last) = sprintf("for i in $(seq 0 %d); do %s; %s; done", last, \
    tab(run, a, "--slice $i"), tab(run, b, "--slice $i"))

# `diffgeo info RUN`; check GPVAL_SYSTEM_ERRNO after it
runinfo(run) = system(sprintf("%s info %s 2>&1", q(DG), q(run)))
# value of the attribute KEY (its first word) in the text of `diffgeo info`, "?" when absent
cfg_at(info, key) = strstrt(info, "\n  " . key . " ")
cfg(info, key) = cfg_at(info, key) > 0 ? word(info[cfg_at(info, key) + 1:*], 2) : "?"
# the whole value of KEY, e.g. "[28, 28]" for image_shape
cfg_rest(info, key) = cfg_at(info, key) > 0 ? info[cfg_at(info, key) + 3 + strlen(key):*] : ""
cfg_line(info, key) = cfg_rest(info, key)[1:strstrt(cfg_rest(info, key) . "\n", "\n") - 1]
# the length of the first axis of a dataset listed by `diffgeo info` ("/denoised  float64  [20 × ...")
dim0(info, path) = int(digits(word(cfg_line(info, path), 2)))
# the decimal digits of a string ("[28," gives "28")
digits(s) = strlen(s) == 0 ? "" : ((strstrt("0123456789", s[1:1]) > 0 ? s[1:1] : "") . digits(s[2:*]))

# reversed log sigma axis over [lo, hi], whole decades: eval sigaxis(lo, hi)
sigaxis(lo, hi) = sprintf("set logscale x; set xrange [%g:%g]; set format x '%%g'; set mxtics 10; " . \
    "set xlabel 'σ (noise level, data units; log scale, reversed)'", \
    10**ceil(log10(hi) - 1e-9), 10**floor(log10(lo) + 1e-9))

# band helpers for columns mean, std: lower edge clipped at 0 (or at a log axis floor)
lo0(m, s) = (m - s > 0) ? m - s : 0
lofloor(m, s, f) = (m - s > f) ? m - s : f
pos(v) = v > 0 ? v : NaN

C_X = "#1f5fa8"     # sampling trajectory x_i
C_D = "#d2601a"     # denoising trajectory D(x_i; σ_i)
C_3 = "#2a9d4a"     # a third curve (forward-noised data, ‖d‖, ...)
C_4 = "#7b3fa0"     # a fourth curve
C_REF = "#303030"   # predictions and reference lines
BAND = "fs transparent solid 0.22 noborder"

set encoding utf8
set grid xtics ytics mxtics mytics lw 0.5 lc rgb "#d8d8d8", lw 0.5 lc rgb "#eeeeee"
set border 3 lw 1.2
set tics nomirror out scale 0.8
set key opaque box lc rgb "#bbbbbb" samplen 2.5 spacing 1.25 font ",13"
set style textbox opaque fillcolor rgb "#ffffff" border lc rgb "#bbbbbb" margins 6,6
