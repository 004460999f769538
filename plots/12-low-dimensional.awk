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
/^#/ { i++; next }
{ a[i, $1] = $2; b[i, $1] = $3; c[i, $1] = $4; if ($1 + 1 > n) n = $1 + 1 }
END {
    if (mode == "") mode = "curves"
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
