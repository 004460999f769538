# 06-annealed-mean-shift.awk: the KDE gain of each Euler step against its lower bound.
#
#   { diffgeo table RUN /sigmas; diffgeo table RUN /metrics/kde_loglik_before;
#     diffgeo table RUN /metrics/kde_loglik_after; diffgeo table RUN /metrics/kde_gain_bound; } |
#       awk -f 06-annealed-mean-shift.awk
#
# Output, one line per step i (σ_i → σ_{i+1}), statistics over the samples j:
#   index sigma gain_mean gain_std bound_mean bound_std slack_mean slack_min slack_max
# gain = log p̂(x_{i+1}) − log p̂(x_i) (nats, h = σ_i), bound = λ(2 − λ)‖m − x‖²/(2h²),
# slack = gain/bound − 1 (≥ 0 when the bound holds; NaN when the bound is 0).
/^#/ { b++; next }
b == 1 { sig[$1] = $2; next }
{ for (j = 2; j <= NF; j++) v[b, $1, j] = $j; if ($1 + 1 > rows) rows = $1 + 1; nf = NF }
END {
    print "# index sigma gain_mean gain_std bound_mean bound_std slack_mean slack_min slack_max"
    for (i = 0; i < rows; i++) {
        sg = 0; sg2 = 0; sb = 0; sb2 = 0; ss = 0; ns = 0; n = 0
        for (j = 2; j <= nf; j++) {
            g = v[3, i, j] - v[2, i, j]; bd = v[4, i, j]
            sg += g; sg2 += g * g; sb += bd; sb2 += bd * bd; n++
            if (bd > 0) {
                s = g / bd - 1; ss += s
                if (ns == 0 || s < smin) smin = s
                if (ns == 0 || s > smax) smax = s
                ns++
            }
        }
        mg = sg / n; mb = sb / n
        vg = sg2 / n - mg * mg; vb = sb2 / n - mb * mb
        printf "%d %.17g %.17g %.17g %.17g %.17g", i, sig[i], mg, sqrt(vg > 0 ? vg : 0), mb, sqrt(vb > 0 ? vb : 0)
        if (ns) printf " %.17g %.17g %.17g\n", ss / ns, smin, smax
        else printf " NaN NaN NaN\n"
    }
}
