# 17-shape.awk: the shape of each sampling trajectory normalised by its chord (experiment 17).
#
#   { diffgeo table RUN /metrics/distance_to_end; diffgeo table RUN /metrics/deviation
#     diffgeo table RUN /metrics/chord; } | awk -f 17-shape.awk -v mode=MODE [-v m=20]
#
# Per trajectory j and grid index i: the position along the chord from x_0,
# t_i = (L − sqrt(e_i² − v_i²))/L (e = distance to the end, v = deviation, L = chord), and the
# deviation / chord f_i = v_i/L; f is interpolated linearly onto t = 0, 1/m, …, 1.
# mode=profiles: "t f_0 f_1 ..." (percent) on that grid, one line per t.
# mode=stats: one line per t: "t mean std" of f over the trajectories (percent).
# mode=align: one line "mean_cos min_cos rms_scaled" — the cosine between each trajectory's
#   profile and the mean profile (mean and smallest over the trajectories), and the RMS (over t
#   and trajectories) of f_j/max f_j − g/max g, g the mean profile: a 1-D Procrustes distance
#   after removing each trajectory's scale.
/^#/ { blk++; next }
blk == 1 { for (c = 2; c <= NF; c++) e[$1, c - 2] = $c; T = $1; n = NF - 1; next }
blk == 2 { for (c = 2; c <= NF; c++) v[$1, c - 2] = $c; next }
blk == 3 { L[$1] = $2 }
END {
    if (m == "") m = 20
    for (j = 0; j < n; j++) {
        for (i = 0; i <= T; i++) {
            w = e[i, j] ^ 2 - v[i, j] ^ 2
            t[i] = (L[j] - sqrt(w > 0 ? w : 0)) / L[j]; f[i] = v[i, j] / L[j] * 100
        }
        i = 0
        for (k = 0; k <= m; k++) {
            tt = k / m
            while (i < T - 1 && t[i + 1] < tt) i++
            dt = t[i + 1] - t[i]
            g = dt > 0 ? f[i] + (f[i + 1] - f[i]) * (tt - t[i]) / dt : f[i]
            if (tt <= t[0]) g = f[0]; if (tt >= t[T]) g = f[T]
            P[k, j] = g
        }
    }
    for (k = 0; k <= m; k++) { s = 0; for (j = 0; j < n; j++) s += P[k, j]; M[k] = s / n }
    if (mode == "profiles") {
        for (k = 0; k <= m; k++) { line = sprintf("%.6g", k / m); for (j = 0; j < n; j++) line = line sprintf(" %.8g", P[k, j]); print line }
        exit
    }
    if (mode == "stats") {
        for (k = 0; k <= m; k++) { ss = 0; for (j = 0; j < n; j++) ss += (P[k, j] - M[k]) ^ 2
            printf "%.6g %.8g %.8g\n", k / m, M[k], (n > 1 ? sqrt(ss / (n - 1)) : 0) }
        exit
    }
    gm = 0; for (k = 0; k <= m; k++) if (M[k] > gm) gm = M[k]
    mc = 0; lc = 2; r2 = 0; c2 = 0
    for (j = 0; j < n; j++) {
        fm = 0; dot = 0; a2 = 0; b2 = 0
        for (k = 0; k <= m; k++) { if (P[k, j] > fm) fm = P[k, j]; dot += P[k, j] * M[k]; a2 += P[k, j] ^ 2; b2 += M[k] ^ 2 }
        cs = dot / sqrt(a2 * b2); mc += cs; if (cs < lc) lc = cs
        for (k = 0; k <= m; k++) { r2 += (P[k, j] / fm - M[k] / gm) ^ 2; c2++ }
    }
    printf "%.8g %.8g %.8g\n", mc / n, lc, sqrt(r2 / c2)
}
