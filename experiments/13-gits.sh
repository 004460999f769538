#!/bin/sh
# 13-gits.sh: doc/theory.md §8 experiment 13, a GITS schedule against EDM's polynomial schedule.
#
#   experiments/13-gits.sh [--quick] [OUTDIR]
#
# Claim (GITS, Chen et al. ICML 2024): a 6-step σ schedule found by dynamic programming on a
# teacher's trajectories beats EDM's polynomial ρ = 7 schedule at the same NFE.  `diffgeo gits`
# (teacher iPNDM on 61 timestamps, warm-up starts of seed 0, cost `dev`, coefficient 1.15) finds
# the 7-timestamp schedule; then, on FRESH starts (seed 1), iPNDM and Euler run on it, on EDM's
# 7-timestamp ρ = 7 grid and on the schedule published for CIFAR-10 (80, 10.9836, 3.8811,
# 1.584, 0.5666, 0.1698, 0.002), all with NFE 6, and are compared with the teacher's end points
# from the same fresh starts (iPNDM, 61 timestamps, NFE 60).  Error: ‖x_T − x_T^teacher‖ per
# sample (mean ± std), and the share of samples within 0.02·√d of the teacher's end (on the same
# training image: the exact denoiser memorises); and, since every schedule runs from the same
# fresh starts, the paired difference of the errors against EDM's schedule (mean and standard
# error of the per-start difference, and how many starts favour each).  The tool has no command comparing two runs'
# /samples: the distances come from `diffgeo table` and awk (plots/rowdist.awk).
# Writes OUTDIR/13-gits-schedule.h5 (the schedule, costs and programme), -teacher.h5,
# -SOLVER-SCHEDULE.h5 for SOLVER in ipndm euler and SCHEDULE in gits edm published,
# 13-gits-summary.txt and 13-gits.png; with DIFFGEO_CIFAR10 the same with -cifar10.
# --quick: first 3000 images, 32 warm-up trajectories (default 256, the paper's), 16 fresh
# starts (default 128).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

warmup=$(dg_size 32 256)
n=$(dg_size 16 128)
rms=0.02
published=list:80,10.9836,3.8811,1.584,0.5666,0.1698,0.002
solvers="ipndm euler"
schedules="gits edm published"
name=13-gits
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    # shellcheck disable=SC2086
    dg gits --data "$(dg_spec "$set")" $limit --steps 7 --warmup "$warmup" --seed 0 -q -o "$base-schedule.h5"
    dg_sample "$set" "$base-teacher.h5" "$n" --seed 1 --solver ipndm --steps 61
    wrote="$wrote $base-schedule.h5 $base-teacher.h5"
    for solver in $solvers; do
        for sched in $schedules; do
            case $sched in
                gits) grid="--schedule h5:$base-schedule.h5" ;;
                edm) grid="--schedule edm --steps 7" ;;
                published) grid="--schedule $published" ;;
            esac
            # $grid is a list of words: unquoted on purpose
            # shellcheck disable=SC2086
            dg_sample "$set" "$base-$solver-$sched.h5" "$n" --seed 1 --solver "$solver" $grid
            wrote="$wrote $base-$solver-$sched.h5"
        done
    done

    # errors against the teacher: one row per solver, mean std same per schedule
    same=$(dg_rms "$base-teacher.h5" "$rms")
    # one row per schedule (gits edm published), one column per fresh start
    { echo "# solver nfe gits_mean gits_std gits_same edm_mean edm_std edm_same published_mean published_std published_same n gits-edm_mean gits-edm_se gits_lower edm_lower ties n_pairs published-edm_mean published-edm_se published_lower edm_lower ties n_pairs"
      for solver in $solvers; do
          { "$DIFFGEO" table "$base-teacher.h5" /samples
            for sched in $schedules; do "$DIFFGEO" table "$base-$solver-$sched.h5" /samples; done; } |
              dg_awk rowdist >"$base-dist.tmp"
          printf "%s %s" "$solver" "$(dg_cfg "$base-$solver-gits.h5" nfe)"
          dg_awk rowstats -v sigma=0 -v below="$same" "$base-dist.tmp" |
              awk '!/^#/ { printf " %.17g %.17g %d", $2, $3, $7 }'
          # the same fresh starts for every schedule: paired differences against EDM's
          echo " $n $(dg_awk paired -v a=0 -v b=1 "$base-dist.tmp") $(dg_awk paired -v a=2 -v b=1 "$base-dist.tmp")"
      done; } >"$base-summary.tmp"
    rm -f "$base-dist.tmp"
    mv "$base-summary.tmp" "$base-summary.txt"
    dg_draw $name.gp "$base-summary.txt" "$base.png" "$DIFFGEO" "$base-schedule.h5" "$base-teacher.h5" \
        "$published" "$(awk -v s="$same" -v r="$rms" 'BEGIN { printf "%.2g = %g√d", s, r }')"
    wrote="$wrote $base-summary.txt $base.png"
done

# ---- headline numbers ------------------------------------------------------------------------
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    echo "headline ($(dg_name "$set"); GITS warm-up $warmup trajectories of seed 0; $n fresh starts of seed 1; error = ||x_T - x_T^teacher||, mean +- std, and the share within $rms sqrt(d) of the teacher):"
    printf "  GITS schedule found:"
    "$DIFFGEO" table "$base-schedule.h5" /sigmas | awk '!/^#/ { printf " %.4g", $2 } END { printf "\n" }'
    printf "  EDM rho = 7, 7 timestamps:"
    "$DIFFGEO" schedule --steps 7 | awk '!/^#/ { printf " %.4g", $2 } END { printf "\n" }'
    awk '/^#/ { next }
         { printf "  %-5s (NFE %d): GITS %.3f +- %.3f (%.0f %%)   EDM %.3f +- %.3f (%.0f %%)   published CIFAR-10 GITS %.3f +- %.3f (%.0f %%)\n", \
               $1, $2, $3, $4, 100 * $5 / $12, $6, $7, 100 * $8 / $12, $9, $10, 100 * $11 / $12
           printf "  %-5s: GITS error / EDM error = %.3f\n", $1, $3 / $6
           printf "  %-5s paired, same start: GITS - EDM = %+.3f +- %.3f (standard error); GITS lower for %d, EDM for %d, equal %d of %d starts\n", $1, $13, $14, $15, $16, $17, $18
           printf "  %-5s paired, same start: published - EDM = %+.3f +- %.3f; published lower for %d, EDM for %d, equal %d of %d starts\n", $1, $19, $20, $21, $22, $23, $24 }' "$base-summary.txt"
done
dg_elapsed
