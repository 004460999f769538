# 18-loglik.awk: the exact log-density of a 2-D Gaussian mixture along the sampling and the
# denoising trajectory (experiment 18), computed here from the mixture's parameters.
#
#   { diffgeo table RUN /sigmas; diffgeo table RUN /fit/weights; diffgeo table RUN /fit/means
#     diffgeo table RUN /fit/covs --slice k   (k = 0 … K−1)
#     diffgeo table RUN /trajectory --slice i (i = 0 … T)
#     diffgeo table RUN /denoised --slice i   (i = 0 … T−1); } | awk -f 18-loglik.awk -v K=K
#
# log p(x) = log Σ_k w_k N(x; μ_k, Σ_k) (a log-sum-exp).  One line per grid index i:
# "i sigma mean_x std_x mean_D std_D" of log p(x_i) and log p(D_i) over the samples (nats);
# the last line (i = T) has no D (NaN).
function logp(x1, x2,    k, d1, d2, det, q, l, mx, s) {
    mx = -1e300
    for (k = 0; k < K; k++) {
        det = a[k] * c[k] - b[k] * b[k]
        d1 = x1 - m1[k]; d2 = x2 - m2[k]
        q = (c[k] * d1 * d1 - 2 * b[k] * d1 * d2 + a[k] * d2 * d2) / det
        l[k] = log(w[k]) - log(2 * 3.141592653589793) - 0.5 * log(det) - 0.5 * q
        if (l[k] > mx) mx = l[k]
    }
    s = 0
    for (k = 0; k < K; k++) s += exp(l[k] - mx)
    return mx + log(s)
}
/^#/ { blk++; next }
blk == 1 { sg[$1] = $2; T = $1; next }
blk == 2 { w[$1] = $2; next }
blk == 3 { m1[$1] = $2; m2[$1] = $3; next }
blk <= 3 + K { k = blk - 4; if ($1 == 0) { a[k] = $2; b[k] = $3 } else c[k] = $3; next }
blk <= 4 + K + T { i = blk - 4 - K; X[i, $1] = logp($2, $3); if ($1 + 1 > n) n = $1 + 1; next }
{ i = blk - 5 - K - T; Y[i, $1] = logp($2, $3) }
END {
    for (i = 0; i <= T; i++) {
        s = ss = t = tt = 0
        for (j = 0; j < n; j++) { s += X[i, j]; ss += X[i, j] ^ 2; if (i < T) { t += Y[i, j]; tt += Y[i, j] ^ 2 } }
        mx = s / n; vx = ss / n - mx * mx
        if (i < T) { my = t / n; vy = tt / n - my * my
            printf "%d %.10g %.10g %.10g %.10g %.10g\n", i, sg[i], mx, sqrt(vx > 0 ? vx : 0), my, sqrt(vy > 0 ? vy : 0) }
        else printf "%d %.10g %.10g %.10g NaN NaN\n", i, sg[i], mx, sqrt(vx > 0 ? vx : 0)
    }
}
