#!/bin/sh
# make bench: the empirical denoiser against its two GEMMs and against numpy,
# its weights' exponentials (dg_exp_array against libm's exp), the mixture
# denoiser (K = 10, d = 784) against its GEMMs, a whole optimal-ODE run (and
# each of its evaluations against a GEMM pair, with the first products
# skipped), the GEMM ratio along its sigma range, how the run scales with
# the rows and the queries, the floor of any exact pruning on that run
# (bench/floor.py), 1 versus 2 threads and peak memory.  Contenders
# alternate and medians are taken, so the noise of a shared machine largely
# cancels.  Prints a table and appends it to bench/results.tsv.
#
# Usage: bench/run.sh [ROUNDS]      (from the build directory)
set -eu
rounds=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
data=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
python=/usr/bin/python3
[ -r "$data" ] || { echo "bench: needs Fashion-MNIST ($data)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Peak resident memory (MiB) and wall time (s) of a command, through Python's getrusage.
measure() {
    "$python" -c '
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True)
print(f"{time.perf_counter() - t:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
' "$@"
}

run="./diffgeo sample --data fashion-mnist -n 128 --solver heun --steps 18 --final-zero -q -o $tmp/run.h5"
for r in $(seq "$rounds"); do
    OMP_NUM_THREADS=2 ./bench/bench_denoiser 3 >"$tmp/den"
    awk '/^denoiser_/ { print $2 }' "$tmp/den" >>"$tmp/ours"
    awk '/^two_dgemm/ { print $2 }' "$tmp/den" >>"$tmp/gemm"
    awk '/^exp_libm_over_dg_exp/ { print $2 }' "$tmp/den" >>"$tmp/exp"
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 "$python" "$here/numpy_denoiser.py" "$data" 3 >>"$tmp/numpy"
    OMP_NUM_THREADS=1 ./bench/bench_denoiser 3 >"$tmp/den1"
    awk '/^denoiser_/ { print $2 }' "$tmp/den1" >>"$tmp/ours1"
    awk '/^gemm_ratio_cpu/ { print $2 }' "$tmp/den1" >>"$tmp/cpuratio"
    OMP_NUM_THREADS=2 ./bench/bench_mixture 3 >"$tmp/mix"
    awk '/^mixture_K/ { print $2 }' "$tmp/mix" >>"$tmp/mixture"
    awk '/^its_/ { print $2 }' "$tmp/mix" >>"$tmp/mixgemm"
    OMP_NUM_THREADS=2 measure $run >>"$tmp/run2"
    OMP_NUM_THREADS=1 measure $run >>"$tmp/run1"
done

# Where the whole run's time goes: one evaluation against its two GEMMs along
# the sigma range of the run (queries at sigma from training images).
sweep=
for s in 80 2.5 1 0.5 0.01; do
    r=$(OMP_NUM_THREADS=2 ./bench/bench_denoiser "$rounds" fashion-mnist "$s" |
        awk '/^gemm_ratio/ { print $2 }')
    sweep="$sweep $s:$r"
done

# The whole run evaluation by evaluation: each one against a GEMM pair of
# the same shapes timed right after it, and the fraction of first products
# (query x chunk) that the bounds carried over from the evaluation before
# skipped.
OMP_NUM_THREADS=2 ./bench/bench_run 128 >"$tmp/evals"

# How the run grows with the data (first rows of Fashion-MNIST, B = 128) and
# with the queries (all rows): the run against its 35 GEMM pairs.
scaling=
for nb in 7500:128 15000:128 30000:128 60000:16 60000:512; do
    r=$(OMP_NUM_THREADS=2 ./bench/bench_run "${nb#*:}" "${nb%:*}" |
        awk '/^run_seconds/ { s = $2 } /^run_vs_/ { print s ":" $2 }')
    scaling="$scaling $nb:$r"
done

# The least any exact pruning can do on this run (rows below e^-50 of the
# largest weight left out of both products, with perfect bounds).
./diffgeo sample --data fashion-mnist -n 16 --solver heun --steps 18 --final-zero -q \
    -o "$tmp/floor.h5"
floor=$("$python" "$here/floor.py" "$tmp/floor.h5" "$data" | awk '/^run_floor_/ { print $2 }')

ours=$(median <"$tmp/ours")
gemm=$(median <"$tmp/gemm")
expratio=$(median <"$tmp/exp")
cpuratio=$(median <"$tmp/cpuratio")
numpy=$(median <"$tmp/numpy")
ours1=$(median <"$tmp/ours1")
mixture=$(median <"$tmp/mixture")
mixgemm=$(median <"$tmp/mixgemm")
run2=$(cut -d' ' -f1 "$tmp/run2" | median)
run1=$(cut -d' ' -f1 "$tmp/run1" | median)
rss=$(cut -d' ' -f2 "$tmp/run2" | sort -g | tail -n 1)
dataset=$(awk 'BEGIN { printf "%.0f", 60000 * 784 * 8 / 1048576 }')
outputs=$(awk 'BEGIN { printf "%.0f", (19 + 18 + 1) * 128 * 784 * 8 / 1048576 }')

commit=$(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
machine="$cpu, $(nproc) cores"
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)

awk -v ours="$ours" -v gemm="$gemm" -v expratio="$expratio" -v cpuratio="$cpuratio" -v numpy="$numpy" -v ours1="$ours1" -v run2="$run2" \
    -v run1="$run1" -v mixture="$mixture" -v mixgemm="$mixgemm" -v rss="$rss" -v dataset="$dataset" -v outputs="$outputs" \
    -v sweep="$sweep" -v scaling="$scaling" -v floor="$floor" -v evals="$tmp/evals" -v stamp="$stamp" -v commit="$commit" -v machine="$machine" -v tsv="$here/results.tsv" '
function row(name, value, unit, target) {
    printf "%-44s %10.4g %-8s %s\n", name, value, unit, target
    printf "%s\t%s\t%s\t%s\t%.6g\n", stamp, commit, machine, name, value >> tsv
}
BEGIN {
    print "# diffgeo bench: B = 128 queries, 60 000 Fashion-MNIST images, d = 784, sigma = 10"
    print "# " machine ", commit " commit ", " stamp
    row("denoiser_seconds_2_threads", ours, "s", "")
    row("two_dgemm_seconds", gemm, "s", "")
    row("gemm_ratio", ours / gemm, "", "target <= 1.10")
    row("gemm_ratio_1_thread_cpu", cpuratio, "", "the same, 1 thread, CPU time")
    row("exp_libm_over_dg_exp", expratio, "x", "libm exp / dg_exp_array, 1 thread, CPU time")
    row("numpy_seconds_2_threads", numpy, "s", "")
    row("numpy_ratio", numpy / ours, "", "target >= 1.5")
    row("run_heun18_final_zero_128_seconds", run2, "s", "35 evaluations")
    row("run_vs_35_dense_gemm", 35 * gemm / run2, "x", "target >= 1.4")
    row("run_numpy_ratio", 35 * numpy / run2, "x", "target >= 2.5")
    row("threads_speedup_denoiser", ours1 / ours, "x", "target >= 1.8")
    row("threads_speedup_run", run1 / run2, "x", "target >= 1.8")
    row("mixture_K10_d784_seconds_2_threads", mixture, "s", "")
    row("its_20_dgemm_seconds", mixgemm, "s", "")
    row("mixture_gemm_ratio", mixture / mixgemm, "", "target <= 1.3")
    n = split(sweep, pairs, " ")
    for (i = 1; i <= n; i++) {
        split(pairs[i], sr, ":")
        row("gemm_ratio_at_sigma_" sr[1], sr[2], "", i == 1 ? "(the run: sigma 80 -> 0.002)" : "")
    }
    while ((getline line < evals) > 0) {
        if (line ~ /^eval /) {
            split(line, f, " ")
            row("eval_" f[2] "_sigma_" f[3] "_vs_gemm_pair", f[5], "", "")
            row("eval_" f[2] "_sigma_" f[3] "_first_products_skipped", f[6], "", "")
        } else if (line ~ /^run_vs_/) {
            split(line, f, " ")
            row("run_evaluations_vs_gemm_pairs", f[2], "", "target <= 0.50")
        }
    }
    row("run_floor_of_exact_pruning", floor, "", "bench/floor.py: no exact method goes below")
    n = split(scaling, runs, " ")
    for (i = 1; i <= n; i++) {
        split(runs[i], f, ":")
        row("run_N_" f[1] "_B_" f[2] "_seconds", f[3], "s", "")
        row("run_N_" f[1] "_B_" f[2] "_vs_gemm_pairs", f[4], "", "")
    }
    row("run_peak_rss_mib", rss, "MiB", "")
    row("run_peak_over_dataset_and_outputs_mib", rss - dataset - outputs, "MiB", "target <= 96")
}'
