# 06-kde-mean.awk: the Gaussian-KDE mean-shift target m_h(x) = Σ_i w_i y_i / Σ_i w_i,
# w_i = exp(−‖x − y_i‖²/(2h²)), computed here from the raw data rows, independently of diffgeo
# (experiment 6), for P query points at once, streaming the rows with a running log-sum-exp.
#
#   { printf "%s\n" "h x_1 ... x_d" ...;  echo "#";  data rows (d uint8 values each) ; } |
#       awk -f 06-kde-mean.awk -v np=P
#
# Data values v are mapped to diffgeo's scale v/127.5 − 1 here (printing them scaled would
# round them to awk's 6 digits).
#
# The first P lines are the queries: the bandwidth h then the d coordinates; a line "#" ends
# them.  Prints one line per query: the d coordinates of m_h(x).
NR <= np { h[NR] = $1; for (k = 2; k <= NF; k++) q[NR, k - 1] = $k; d = NF - 1; next }
/^#/ { next }
{
    for (k = 1; k <= d; k++) $k = $k / 127.5 - 1
    for (p = 1; p <= np; p++) {
        s = 0
        for (k = 1; k <= d; k++) { u = $k - q[p, k]; s += u * u }
        lw = -s / (2 * h[p] * h[p])
        if (!(p in M) || lw > M[p]) {
            f = (p in M) ? exp(M[p] - lw) : 0
            S[p] *= f; for (k = 1; k <= d; k++) acc[p, k] *= f
            M[p] = lw
        }
        e = exp(lw - M[p]); S[p] += e
        for (k = 1; k <= d; k++) acc[p, k] += e * $k
    }
}
END {
    for (p = 1; p <= np; p++) {
        line = ""
        for (k = 1; k <= d; k++) line = line (k > 1 ? " " : "") sprintf("%.17g", acc[p, k] / S[p])
        print line
    }
}
