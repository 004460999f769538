#!/bin/sh
# 09-curvature-identity.sh: doc/theory.md §5 and §8 experiment 9, the curvature identity
# d²x/dσ² = −(1/σ) dD/dσ along trajectories of the probability-flow ODE.
#
#   experiments/09-curvature-identity.sh [--quick] [OUTDIR]
#
# Differentiating dx/dσ = (x − D)/σ once more gives d²x/dσ² = −(1/σ) dD/dσ: the curvature of
# the sampling trajectory is the (scaled) velocity of the denoising trajectory, which is why
# second-order samplers are "Euler plus a finite difference of D".  Heun runs on three nested
# EDM grids (ρ = 7; N0, 2N0 − 1 and 4N0 − 3 timestamps, so grid index i of the coarsest is
# index 2i and 4i of the others) from the same starts on the same data give both sides by
# central finite differences at the same σ points.  Their relative difference is the O(h²)
# error of the differences (and of Heun): halving h should divide it by 4, an observed order
# p = log2(e_h / e_{h/2}) of 2.  The comparison is made at 12 coarse grid points with σ ≥ 1
# (where D still moves), per sample; pairs where D has settled on some grid
# (‖(1/σ) dD/dσ‖ ≤ 1e-6, both sides vanish) are left out.
#   OUTDIR/09-curvature-identity-N.h5   the run with N timestamps
#   OUTDIR/09-curvature-identity.txt    per σ point and sample: index_coarse sigma sample, then
#                                       lhs rhs rel for each grid (coarse to fine)
#   OUTDIR/09-curvature-identity.png    the relative difference against σ on each grid, and the
#                                       observed order of each halving
# --quick: first 3000 images, 4 trajectories, 101/201/401 timestamps (default: the first 10000
# images, 4 trajectories, 201/401/801).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

name=09-curvature-identity
txt=$outdir/$name.txt
n=4
n0=$(dg_size 101 201)
[ -n "$limit" ] || limit="--limit 10000"
grids="$n0 $((2 * n0 - 1)) $((4 * n0 - 3))"
wrote=
for g in $grids; do
    dg_sample main "$outdir/$name-$g.h5" "$n" --solver heun --steps "$g"
    wrote="$wrote $outdir/$name-$g.h5"
done

# the coarse points: 12 indices spread over the coarse grid's points with sigma >= 1
pts=$("$DIFFGEO" table "$outdir/$name-$n0.h5" /sigmas |
      awk '!/^#/ && $1 > 0 && $2 >= 1 { last = $1 } END { for (k = 0; k < 12; k++) printf "%d ", 1 + int(k * (last - 1) / 11 + 0.5) }')

# one point of one grid: x at i−1, i, i+1 and D at i−1, i+1 -> "lhs rhs rel" per sample
point() {
    f=$1; i=$2
    for s in $((i - 1)) "$i" $((i + 1)); do "$DIFFGEO" table "$f" /trajectory --slice "$s"; done
    for s in $((i - 1)) $((i + 1)); do "$DIFFGEO" table "$f" /denoised --slice "$s"; done
} 
sig_of() {
    "$DIFFGEO" table "$1" /sigmas | awk -v i="$2" '$1 == i - 1 || $1 == i || $1 == i + 1 { printf "%s ", $2 }'
}
: >"$txt.tmp"
for p in $pts; do
    m=1
    for g in $grids; do
        f=$outdir/$name-$g.h5
        i=$((p * m))
        point "$f" "$i" | awk -v sg="$(sig_of "$f" "$i")" -v p="$p" -v g="$g" '
            BEGIN { split(sg, s, " "); h0 = s[2] - s[1]; h1 = s[3] - s[2] }
            /^#/ { blk++; row = 0; next }
            { for (c = 2; c <= NF; c++) v[blk, row, c] = $c; nc = NF; nr = ++row }
            END {
                for (j = 0; j < nr; j++) {
                    l2 = r2 = d2 = 0
                    for (c = 2; c <= nc; c++) {
                        xpp = 2 * ((v[3, j, c] - v[2, j, c]) / h1 - (v[2, j, c] - v[1, j, c]) / h0) / (h0 + h1)
                        dd = -(v[5, j, c] - v[4, j, c]) / (h0 + h1) / s[2]
                        l2 += xpp * xpp; r2 += dd * dd; d2 += (xpp - dd) * (xpp - dd)
                    }
                    printf "%d %d %.17g %d %.17g %.17g %.17g\n", p, g, s[2], j, sqrt(l2), sqrt(r2), sqrt(d2 / l2)
                }
            }' >>"$txt.tmp"
        m=$((m * 2))
    done
done
# one line per (point, sample): p sigma j, then lhs rhs rel of each grid
{ echo "# index_coarse sigma sample $(for g in $grids; do printf 'lhs_%s rhs_%s rel_%s ' "$g" "$g" "$g"; done)"
  awk '{ k = $1 " " $4; if (!(k in line)) { line[k] = $1 " " $3 " " $4; ord[++no] = k } line[k] = line[k] " " $5 " " $6 " " $7 }
       END { for (q = 1; q <= no; q++) print line[ord[q]] }' "$txt.tmp"; } >"$txt"
rm -f "$txt.tmp"

dg_draw "$name.gp" "$outdir/$name.png" "$txt" "$(dg_name main)" "$n" "$grids"
# shellcheck disable=SC2086
dg_wrote $wrote "$txt" "$outdir/$name.png"
echo "headline ($(dg_name main); $n trajectories, Heun on EDM grids of $grids timestamps, the same starts):"
awk -v grids="$grids" '
    /^#/ { next }
    # D settled on a training image on some grid: both sides vanish, nothing to compare
    $5 <= 1e-6 || $8 <= 1e-6 || $11 <= 1e-6 { skipped++; next }
    { for (g = 0; g < 3; g++) rel[g] = $(6 + 3 * g)
      for (g = 0; g < 3; g++) { band = $2 >= 5 ? 0 : 1; e[band, g] += rel[g]; ne[band, g]++ }
      for (g = 0; g < 2; g++) if (rel[g] > 0 && rel[g + 1] > 0) {
          band = $2 >= 5 ? 0 : 1; o = log(rel[g] / rel[g + 1]) / log(2)
          so[band, g] += o; sso[band, g] += o * o; no[band, g]++
          if (!(band SUBSEP g in lo) || o < lo[band, g]) lo[band, g] = o
          if (!(band SUBSEP g in hi) || o > hi[band, g]) hi[band, g] = o } }
    END {
        split(grids, G, " ")
        printf "  (%d point x sample pairs skipped: D has settled, ||(1/sigma) dD/dsigma|| <= 1e-6 on some grid)\n", skipped
        for (band = 0; band < 2; band++) {
            printf "  %s:\n", band == 0 ? "sigma >= 5" : "1 <= sigma < 5"
            for (g = 0; g < 3; g++) if (ne[band, g]) printf "    %s timestamps: mean relative difference %.3e\n", G[g + 1], e[band, g] / ne[band, g]
            for (g = 0; g < 2; g++) if (no[band, g]) {
                m = so[band, g] / no[band, g]; sd = sso[band, g] / no[band, g] - m * m
                printf "    observed order %s -> %s: %.3f ± %.3f (std over %d points x samples; range %.3f .. %.3f)\n", G[g + 1], G[g + 2], m, (sd > 0 ? sqrt(sd) : 0), no[band, g], lo[band, g], hi[band, g] }
        }
    }' "$txt"
dg_elapsed
