#!/bin/sh
# 06-annealed-mean-shift.sh: doc/theory.md §3 and §8 experiment 6, the optimal sampler is annealed
# mean shift.
#
#   experiments/06-annealed-mean-shift.sh [--quick] [OUTDIR]
#
# Claims: (a) an Euler step of the optimal ODE is the convex blend
# x_{i+1} = (σ_{i+1}/σ_i) x_i + (1 − σ_{i+1}/σ_i) m_{σ_i}(x_i), so `diffgeo meanshift --anneal`
# on the same grid and seed reproduces `diffgeo sample --solver euler`; (b) the Gaussian-KDE
# log-likelihood log p̂_h (h = σ_i) never decreases at an Euler step, its gain is at least
# λ(2 − λ)‖m − x‖²/(2h²), λ = 1 − σ_{i+1}/σ_i; (c) the end point lies within about σ_min √d of
# a training sample (memorisation).
# Runs (seed 0, EDM ρ = 7 grid σ = 80 → 0.002, 21 timestamps):
#   OUTDIR/06-annealed-mean-shift-euler21.h5     diffgeo sample --solver euler, analysed with
#                                                --reference the same data (/metrics)
#   OUTDIR/06-annealed-mean-shift-meanshift.h5   diffgeo meanshift --anneal edm (/path, /targets)
#   OUTDIR/06-annealed-mean-shift-reldiff.txt    per grid index: σ, the largest (over samples)
#                                                ‖x_ms − x_euler‖/‖x_euler‖ and ‖m − D‖/‖D‖
#   OUTDIR/06-annealed-mean-shift.png            the four panels
# --quick: first 3000 images, 16 trajectories (default: all images, 32 trajectories).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 32)
steps=21
name=06-annealed-mean-shift
base=$outdir/$name
run=$base-euler21.h5
ms=$base-meanshift.h5
rel=$base-reldiff.txt
reflimit=
[ -z "$limit" ] || reflimit="--reference-limit 3000"

dg_sample main "$run" "$n" --solver euler --steps $steps --seed 0
# shellcheck disable=SC2086
dg meanshift --data "$data" $limit --anneal edm --steps $steps -n "$n" --seed 0 -q -o "$ms"
# shellcheck disable=SC2086
dg analyze "$run" --reference "$data" $reflimit -q

# ---- (a) mean shift versus Euler: relative differences per grid index ------------------------
# rel_rows A PATH_A B PATH_B LAST: the largest relative row distance ‖A_i[j] − B_i[j]‖/‖A_i[j]‖
# over the samples j, for every slice i = 0..LAST (one line "i value")
rel_rows() {
    i=0
    while [ "$i" -le "$5" ]; do
        "$DIFFGEO" table "$1" "$2" --slice $i
        "$DIFFGEO" table "$3" "$4" --slice $i
        i=$((i + 1))
    done | awk '
        /^#/ { blk++; r = 0; next }
        {
            if (blk % 2 == 1) { for (c = 2; c <= NF; c++) a[r, c] = $c; r++; next }
            s = 0; t = 0
            for (c = 2; c <= NF; c++) { u = $c - a[r, c]; s += u * u; t += a[r, c] * a[r, c] }
            v = (t > 0) ? sqrt(s / t) : 0
            k = blk / 2 - 1
            if (!(k in mx) || v > mx[k]) mx[k] = v
            if (k > last) last = k
            r++
        }
        END { for (k = 0; k <= last; k++) printf "%d %.17g\n", k, mx[k] }'
}
T=$((steps - 1))
rel_rows "$run" /trajectory "$ms" /path $T >"$rel.x"
rel_rows "$run" /denoised "$ms" /targets $((T - 1)) >"$rel.d"
{
    echo "# index sigma rel_x_max rel_target_max"
    "$DIFFGEO" table "$run" /sigmas | awk -v fx="$rel.x" -v fd="$rel.d" '
        BEGIN { while ((getline l < fx) > 0) { split(l, f); x[f[1]] = f[2] }
                while ((getline l < fd) > 0) { split(l, f); d[f[1]] = f[2] } }
        /^#/ { next }
        { printf "%d %.17g %.17g %s\n", $1, $2, x[$1], ($1 in d) ? sprintf("%.17g", d[$1]) : "NaN" }'
} >"$rel"
rm -f "$rel.x" "$rel.d"

dg_draw $name.gp "$base.png" "$DIFFGEO" "$run" "$ms" "$rel"
dg_wrote "$run" "$ms" "$rel" "$base.png"

# ---- headline numbers ------------------------------------------------------------------------
echo "headline ($(dg_name main); $n trajectories, Euler, $steps timestamps, sigma 80 -> 0.002):"
awk '/^#/ { next } { if ($3 > mx) mx = $3; if ($4 != "NaN" && $4 > md) md = $4 }
    END { printf "  (a) meanshift --anneal vs sample --solver euler: max relative difference %.3g (trajectory), %.3g (targets m vs denoised D)\n", mx, md }' "$rel"
"$DIFFGEO" table "$run" /metrics/kde_violations |
    awk '/^#/ { next } { s += $2; c++ } END { printf "  (b) KDE log-likelihood decreases: %d of %d step x sample pairs (kde_violations total)\n", s, c * n }' n="$n"
{ "$DIFFGEO" table "$run" /metrics/kde_loglik_before; "$DIFFGEO" table "$run" /metrics/kde_loglik_after
  "$DIFFGEO" table "$run" /metrics/kde_gain_bound; } |
    awk '/^#/ { b++; next }
        { for (j = 2; j <= NF; j++) v[b, $1, j] = $j; if ($1 + 1 > rows) rows = $1 + 1; nf = NF }
        END {
            for (i = 0; i < rows; i++) for (j = 2; j <= nf; j++) {
                g = v[2, i, j] - v[1, i, j]; bd = v[3, i, j]
                if (c == 0 || g < gmin) gmin = g
                if (bd > 0) { r = g / bd; if (c == 0 || r < rmin) rmin = r }
                c++
            }
            printf "      smallest gain %.4g nats; smallest gain / bound - 1 = %.2g (>= 0, up to rounding: the bound holds)\n", gmin, rmin - 1
        }'
# (a') an independent mean shift: the KDE weights and the weighted mean computed in awk from the
# raw IDX rows (plots/06-kde-mean.awk), at grid indices 0, 8, 12, 16 of one trajectory, against
# the run's D(x_i; σ_i) and its Euler step.  awk is slow: the check uses its own Euler run of one
# trajectory (seed 0) on the first 3000 rows, OUTDIR/06-annealed-mean-shift-check.h5, in both
# sizes (not available for the synthetic fallback data)
idx_file=
case $data in
    fashion-mnist) idx_file=$fmnist_dir/train-images-idx3-ubyte.gz ;;
    idx:*) idx_file=${data#idx:} ;;
esac
if [ -n "$idx_file" ]; then
    rows=3000
    dg sample --data "$data" --limit $rows -n 1 --solver euler --steps $steps --seed 0 -q -o "$base-check.h5"
    run=$base-check.h5
    pts="0 8 12 16"
    sigs=$("$DIFFGEO" table "$run" /sigmas | awk '!/^#/ { printf "%s ", $2 }')
    { for i in $pts; do
          "$DIFFGEO" table "$run" /trajectory --slice "$i" |
              awk -v i="$i" -v sg="$sigs" 'BEGIN { split(sg, s, " ") } $1 == "0" { $1 = s[i + 1]; print }'
      done
      echo "#"
      # IDX: 16 header bytes, then 784 bytes per image (06-kde-mean.awk scales them to
      # diffgeo's v/127.5 − 1 itself: printed from awk they would be rounded to 6 digits)
      gzip -dc "$idx_file" | tail -c +17 | head -c $((rows * 784)) | od -An -v -tu1 -w784
    } | awk -f "$plots_dir/06-kde-mean.awk" -v np=4 >"$base-kde-mean.tmp"
    [ "$(awk 'NF == 784' "$base-kde-mean.tmp" | wc -l)" -eq 4 ] ||
        dg_die "the independent KDE mean of $run failed (see the messages above)"
    k=0
    for i in $pts; do
        k=$((k + 1))
        { sed -n "${k}p" "$base-kde-mean.tmp"
          "$DIFFGEO" table "$run" /denoised --slice "$i" | awk '$1 == "0" { $1 = ""; print }'
          "$DIFFGEO" table "$run" /trajectory --slice "$i" | awk '$1 == "0" { $1 = ""; print }'
          "$DIFFGEO" table "$run" /trajectory --slice $((i + 1)) | awk '$1 == "0" { $1 = ""; print }'; } |
            awk -v i="$i" -v sg="$sigs" -v rows="$rows" 'BEGIN { split(sg, s, " ") }
                { for (c = 1; c <= NF; c++) v[NR, c] = $c; nf = NF }
                END {
                    if (NR != 4) { print "06: the comparison rows are missing" > "/dev/stderr"; exit 1 }
                    r = s[i + 2] / s[i + 1]
                    for (c = 1; c <= nf; c++) {
                        a += (v[1, c] - v[2, c]) ^ 2; b += v[2, c] ^ 2
                        e = r * v[3, c] + (1 - r) * v[1, c]; f += (e - v[4, c]) ^ 2; g += v[4, c] ^ 2
                    }
                    printf "  (a\x27) independent KDE mean (awk, %d raw rows) at sigma %-8.4g: ||m - D||/||D|| = %.2e, Euler step from m vs x_{i+1}: %.2e\n", rows, s[i + 1], sqrt(a / b), sqrt(f / g)
                }'
    done
    rm -f "$base-kde-mean.tmp"
    run=$base-euler21.h5
else
    echo "  (a') independent KDE mean: skipped (the data $data is not an IDX file)"
fi
"$DIFFGEO" table "$run" /metrics/nn_distance_ratio |
    awk '/^#/ { next } { s += $2; c++; if (c == 1 || $2 > hi) hi = $2; if (c == 1 || $2 < lo) lo = $2 }
        END { printf "  (c) end point to nearest training image / (sigma_min sqrt(d)): mean %.3f (range %.3f .. %.3f)\n", s / c, lo, hi }'
"$DIFFGEO" table "$run" /metrics/nn_distance |
    awk -v d="$(dg_cfg "$run" dim)" '/^#/ { next } { s += $2; c++ } END { printf "      nn_distance mean %.4f (sigma_min sqrt(d) = %.4f)\n", s / c, 0.002 * sqrt(d) }'
dg_elapsed
