# 12-low-dimensional.awk: the 3-D view {u, PC1, PC2} of /metrics/coords3d, per trajectory.
#
#   for i in $(seq 0 T); do diffgeo table RUN /metrics/coords3d --slice $i; done |
#       awk -f 12-low-dimensional.awk -v mode=curves|extent [-v maxn=N]
#
# Input: T+1 blocks (one per grid index i), each n rows "j a b c".
# The length of a trajectory is its chord a_T (a is measured along u from x_0).
# mode=curves (default): for each sample j < maxn (default 6) a gnuplot data block (two blank
#   lines between samples): "i a/L b/L c/L off/L" in percent, off = sqrt(b² + c²)
# mode=extent: one line "mean max min" over the samples of max_i off_i / L, in percent
# mode=residual: the input starts with two more blocks, `diffgeo table RUN /sigmas` and
#   `diffgeo table RUN /metrics/deviation`, then the T+1 coords3d blocks.  The off-chord part
#   x_i − x_0 − a_i u has the length dev_i (the deviation from the chord) and the components b, c
#   on PC1, PC2, so what lies outside span{u, PC1, PC2} has the length
#   r_i = sqrt(dev_i² − b_i² − c_i²).  One line per inner grid index i (0 < i < T):
#   "i sigma mean std max" of r_i / dev_i over the samples, in percent, then "mean_rc max_rc"
#   of r_i / chord in percent; samples with dev_i = 0 are skipped.
/^#/ { i++; next }
mode == "residual" && i == 1 { sig[$1] = $2; next }
mode == "residual" && i == 2 { for (j = 2; j <= NF; j++) dev[$1, j - 2] = $j; next }
{ k = mode == "residual" ? i - 2 : i; a[k, $1] = $2; b[k, $1] = $3; c[k, $1] = $4; if ($1 + 1 > n) n = $1 + 1 }
END {
    if (mode == "") mode = "curves"
    if (mode == "residual") {
        T = i - 2
        for (k = 2; k < T; k++) {
            s = 0; ss = 0; m = 0; mx = 0; src = 0; mxc = 0
            for (j = 0; j < n; j++) {
                dv = dev[k - 1, j]
                if (dv <= 0) continue
                r2 = dv ^ 2 - b[k, j] ^ 2 - c[k, j] ^ 2
                r = r2 > 0 ? sqrt(r2) : 0
                v = r / dv * 100; vc = r / a[T, j] * 100
                s += v; ss += v * v; m++; if (v > mx) mx = v; src += vc; if (vc > mxc) mxc = vc
            }
            if (m == 0) continue
            sd = ss / m - (s / m) ^ 2
            printf "%d %.10g %.10g %.10g %.10g %.10g %.10g\n", k - 1, sig[k - 1], s / m, (sd > 0 ? sqrt(sd) : 0), mx, src / m, mxc
        }
        exit
    }
    if (maxn == "") maxn = 6
    T = i
    for (j = 0; j < n; j++) {
        L = a[T, j]; if (L == 0) L = 1
        mx = 0
        for (k = 1; k <= T; k++) {
            off = sqrt(b[k, j] ^ 2 + c[k, j] ^ 2) / L * 100
            if (off > mx) mx = off
            if (mode == "curves" && j < maxn)
                printf "%d %.10g %.10g %.10g %.10g\n", k - 1, a[k, j] / L * 100, b[k, j] / L * 100, c[k, j] / L * 100, off
        }
        if (mode == "curves" && j < maxn) printf "\n\n"
        s += mx; if (j == 0 || mx > hi) hi = mx; if (j == 0 || mx < lo) lo = mx
    }
    if (mode == "extent") printf "%.10g %.10g %.10g\n", s / n, hi, lo
}
