#!/bin/sh
# Distributed runs (./configure --with-mpi): `mpirun -np P diffgeo sample`
# writes the same /trajectory and /denoised, bit for bit, as one process
# (and analyze, gits, interpolate and meanshift the same files),
# for P = 1 … 4 and OMP_NUM_THREADS 1 and 2; a process that fails stops
# them all with one line from process 0 and no output file.  `diffgeo
# table` prints 17 significant digits, which round-trip doubles: equal text
# means equal bits.
. "$srcdir/tests/lib.sh"

[ -n "${MPIEXEC:-}" ] || skip_all "built without MPI (./configure --with-mpi)"

# Open MPI refuses root and more processes than cores unless told; MPICH
# ignores these.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM \
    OMPI_MCA_rmaps_base_oversubscribe OMPI_MCA_hwloc_base_binding_policy

# Open MPI's launcher explains a failed job at length on stderr unless
# --quiet; MPICH's has no such option and says nothing.
quiet=
"$MPIEXEC" --version 2>&1 | grep -q -e "Open MPI" -e OpenRTE && quiet=--quiet

# mpi_diffgeo P ARGS...: the tool as P processes; timeout turns a hang into
# a failure.
mpi_diffgeo() {
    _np=$1
    shift
    timeout 300 "$MPIEXEC" $quiet -np "$_np" "$DIFFGEO" "$@"
}

# tables RUN STEPS: /trajectory and /denoised of a run as text.
tables() {
    _i=0
    while [ $_i -lt "$2" ]; do
        "$DIFFGEO" table "$1" /trajectory --slice $_i || return 1
        [ $_i -lt $(($2 - 1)) ] && { "$DIFFGEO" table "$1" /denoised --slice $_i || return 1; }
        _i=$((_i + 1))
    done
}

# 5 groups of 8 chunks and a partial sixth (21257 rows, 42 chunks): shards
# of whole groups, uneven for 4 processes, and a tree that is not a power of
# two.  σ down to 0.002 takes the exact-difference path too.
data="synthetic:blobs,n=21257,d=10,k=5,seed=4"
common="--data $data -n 9 --seed 11 --steps 7 --solver heun -q"
OMP_NUM_THREADS=2 "$DIFFGEO" sample $common -o "$WORK/serial.h5"
ok $? "sample on one process"
tables "$WORK/serial.h5" 7 >"$WORK/serial.txt"
for threads in 1 2; do
    for np in 1 2 3 4; do
        OMP_NUM_THREADS=$threads mpi_diffgeo $np sample $common -o "$WORK/p$np.h5" \
            2>"$WORK/err"
        ok $? "mpirun -np $np, OMP_NUM_THREADS=$threads: sample"
        tables "$WORK/p$np.h5" 7 >"$WORK/p$np.txt" && cmp -s "$WORK/serial.txt" "$WORK/p$np.txt"
        ok $? "mpirun -np $np, OMP_NUM_THREADS=$threads: /trajectory and /denoised bit-identical to one process"
        rm -f "$WORK/p$np.h5"
    done
done

# The same run file otherwise: the command line and /config as one process
# writes them (a distributed run adds only its mpi_* measurements, and has
# no /data: no process holds all the rows, as sample --help says).
mkdir -p "$WORK/one" "$WORK/three"
(cd "$WORK/one" && "$DIFFGEO" sample $common -o run.h5)
(cd "$WORK/three" && mpi_diffgeo 3 sample $common -o run.h5)
(cd "$WORK/one" && "$DIFFGEO" info run.h5) | grep -v -e created -e mpi_ -e '^ */data ' \
    >"$WORK/info1"
(cd "$WORK/three" && "$DIFFGEO" info run.h5) | grep -v -e created -e mpi_ >"$WORK/info3"
cmp -s "$WORK/info1" "$WORK/info3"
_r=$?
ok $_r "mpirun -np 3: the run file's description is the one-process one"
[ $_r -eq 0 ] || diff "$WORK/info1" "$WORK/info3" | sed 's/^/#   /'
"$DIFFGEO" info "$WORK/three/run.h5" | grep -q mpi_peak_memory_mib
ok $? "mpirun -np 3: /config records peak memory and time per step"

# HDF5 input read as hyperslabs, and starts from --init read by process 0.
"$DIFFGEO" sample --data synthetic:gmm,n=300,d=6,seed=2 -n 9000 --steps 2 -q \
    -o "$WORK/rows.h5"
ok $? "an HDF5 dataset of 9000 rows (3 groups)"
"$DIFFGEO" sample --data synthetic:gmm,n=300,d=6,seed=5 -n 5 --steps 2 -q -o "$WORK/init.h5"
h5common="--data h5:$WORK/rows.h5:/samples --init h5:$WORK/init.h5:/samples --steps 6 -q"
"$DIFFGEO" sample $h5common -o "$WORK/h5serial.h5" &&
    tables "$WORK/h5serial.h5" 6 >"$WORK/h5serial.txt"
ok $? "h5 data, --init: one process"
# 4 processes for 3 groups: one holds nothing.
for np in 2 4; do
    mpi_diffgeo $np sample $h5common -o "$WORK/h5p$np.h5" &&
        tables "$WORK/h5p$np.h5" 6 >"$WORK/h5p$np.txt" &&
        cmp -s "$WORK/h5serial.txt" "$WORK/h5p$np.txt"
    ok $? "h5 data, --init, mpirun -np $np: bit-identical to one process"
done

# Rows drawn from a mixture (--samples: every process draws them, keeps its
# shard), the mixture's own denoiser (replicated), and interpolate.
for args in "sample --data synthetic:gauss2d --samples 9000" "sample --data synthetic:gauss2d" \
    "interpolate --data $data --points 5"; do
    "$DIFFGEO" $args --steps 5 -q -o "$WORK/x1.h5" && tables "$WORK/x1.h5" 5 >"$WORK/x1.txt"
    ok $? "$args: one process"
    mpi_diffgeo 3 $args --steps 5 -q -o "$WORK/x3.h5" && tables "$WORK/x3.h5" 5 >"$WORK/x3.txt" &&
        cmp -s "$WORK/x1.txt" "$WORK/x3.txt"
    ok $? "$args, mpirun -np 3: bit-identical to one process"
done

# gits: the teacher runs distributed; the schedule, costs and DP table are
# the one-process ones.
gcommon="--data $data --teacher-steps 11 --warmup 6 --steps 4 -q"
gtables() {
    for a in /sigmas /indices /cost /dp; do
        "$DIFFGEO" table "$1" $a || return 1
    done
}
"$DIFFGEO" gits $gcommon -o "$WORK/g1.h5" && gtables "$WORK/g1.h5" >"$WORK/g1.txt"
ok $? "gits on one process"
mpi_diffgeo 3 gits $gcommon -o "$WORK/g3.h5" && gtables "$WORK/g3.h5" >"$WORK/g3.txt" &&
    cmp -s "$WORK/g1.txt" "$WORK/g3.txt"
ok $? "gits, mpirun -np 3: schedule, costs and DP table bit-identical to one process"

# meanshift, Gaussian kernel: annealed from drawn starts, and a fixed
# bandwidth from --init points; /path and /targets as on one process.
mtables() {
    "$DIFFGEO" table "$1" /path --slice 0 || return 1
    "$DIFFGEO" table "$1" /path --slice "$2" || return 1
    [ "$3" = fixed ] || "$DIFFGEO" table "$1" /targets --slice 1
}
for mode in annealed fixed; do
    if [ $mode = annealed ]; then
        margs="--anneal edm --steps 6 -n 7"
    else
        margs="--bandwidth 0.4 --init h5:$WORK/init.h5:/samples --max-iter 4 --tol 0"
    fi
    margs="--data synthetic:blobs,n=9000,d=6,seed=2 $margs -q"
    "$DIFFGEO" meanshift $margs -o "$WORK/ms1.h5" && mtables "$WORK/ms1.h5" 4 $mode >"$WORK/ms1.txt"
    ok $? "meanshift $mode on one process"
    mpi_diffgeo 3 meanshift $margs -o "$WORK/ms3.h5" &&
        mtables "$WORK/ms3.h5" 4 $mode >"$WORK/ms3.txt" && cmp -s "$WORK/ms1.txt" "$WORK/ms3.txt"
    ok $? "meanshift $mode, mpirun -np 3: bit-identical to one process"
done

# analyze --reference: the optimal trajectory and D* evaluations run on the
# sharded denoiser, the KDE and nearest neighbours over the same tree; every
# /metrics array is the one-process one.  Runs whose /config/data is the
# reference (optimal_self uses D* itself) and one whose is a --limit of it
# (the run's own denoiser is re-created, sharded too).
metrics="chord deviation curvature distance_to_optimal denoised_vs_optimal
score_deviation optimal_self nn_distance nn_distance_ratio kde_loglik_before
kde_loglik_after kde_gain_bound kde_violations"
atables() {
    for _m in $metrics; do
        "$DIFFGEO" table "$1" /metrics/$_m || return 1
    done
    # The file's layout, but for the first line (its name).
    "$DIFFGEO" info "$1" | sed 1d
}
"$DIFFGEO" sample --data "$data" --limit 9000 -n 5 --seed 3 --steps 6 -q -o "$WORK/lim.h5"
ok $? "a run on the first 9000 rows"
for run in serial lim; do
    cp "$WORK/$run.h5" "$WORK/a1.h5" &&
        OMP_NUM_THREADS=2 "$DIFFGEO" analyze "$WORK/a1.h5" --reference "$data" -q &&
        atables "$WORK/a1.h5" >"$WORK/a1.txt"
    ok $? "analyze $run.h5 --reference on one process"
    grep -q "optimal_self not written" "$WORK/a1.txt"
    ok $((!$?)) "analyze $run.h5: the run's own denoiser was re-created (optimal_self written)"
    for threads in 1 2; do
        for np in 1 2 3 4; do
            cp "$WORK/$run.h5" "$WORK/ap.h5" &&
                OMP_NUM_THREADS=$threads mpi_diffgeo $np analyze "$WORK/ap.h5" \
                    --reference "$data" -q &&
                atables "$WORK/ap.h5" >"$WORK/ap.txt" && cmp -s "$WORK/a1.txt" "$WORK/ap.txt"
            ok $? "analyze $run.h5, mpirun -np $np, OMP_NUM_THREADS=$threads: /metrics bit-identical to one process"
        done
    done
    # Every array of /metrics and its attributes (notes name the reference's
    # rows: all of them, not a shard's), for the last of those runs.
    if have_python; then
        "$PYTHON3" - "$WORK/a1.h5" "$WORK/ap.h5" <<'EOS'
import sys, h5py
a, b = (h5py.File(p, "r")["metrics"] for p in sys.argv[1:])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    assert a[k][()].tobytes() == b[k][()].tobytes(), k
    attrs = lambda d: {n: str(v) for n, v in d.attrs.items()}
    assert attrs(a[k]) == attrs(b[k]), k
assert "(21257 rows)" in a["score_deviation"].attrs["note"]
EOS
        ok $? "analyze $run.h5, mpirun -np 4: every /metrics array and attribute as on one process"
    else
        skip_tests 1 "analyze $run.h5: /metrics attributes" "no python3 with h5py"
    fi
done

# Signals.  SIGTERM to process 1 alone: every process stops after the same
# step (process 1 tells the others at the end of each step) and ends by it,
# process 0 says so in one line, the launcher reports a failure (Open MPI's
# 143, MPICH's 15), and neither the run file nor a temporary file is left.
# SIGTERM to the launcher, which passes it on to every process: the same,
# but for the launcher's own exit status, which is its business (Open MPI's
# is 1; MPICH's 15 or, on a busy machine, 0).
# run_pids: the run's diffgeo processes.
run_pids() {
    for _pid in $(pgrep -f -- "-o $WORK/sig/run.h5"); do
        grep -q diffgeo "/proc/$_pid/comm" 2>/dev/null && echo "$_pid"
    done
}
# busy_processes: how many of them have computed for a second (so that a
# signal comes while they evaluate).
busy_processes() {
    _busy=0
    for _pid in $(run_pids); do
        [ "$(cpu_ticks "$_pid")" -ge 100 ] && _busy=$((_busy + 1))
    done
    echo $_busy
}
# rank_pid R: the process of rank R (Open MPI's or MPICH's variable).
rank_pid() {
    for _pid in $(run_pids); do
        tr '\0' '\n' <"/proc/$_pid/environ" 2>/dev/null |
            grep -q -x -e "OMPI_COMM_WORLD_RANK=$1" -e "PMI_RANK=$1" && echo "$_pid"
    done
}
# signal_run TARGET: TARGET is "launcher" or "process 1".
signal_run() {
    mkdir -p "$WORK/sig"
    OMP_NUM_THREADS=1 "$MPIEXEC" $quiet -np 2 "$DIFFGEO" sample \
        --data synthetic:blobs,n=200000,d=64 -n 64 --steps 5000 -q -o "$WORK/sig/run.h5" \
        >"$WORK/sig.out" 2>"$WORK/sig.err" &
    _launcher=$!
    _k=0
    while [ "$(busy_processes)" -lt 2 ] && [ $_k -lt 3000 ] && kill -0 $_launcher 2>/dev/null; do
        sleep 0.02
        _k=$((_k + 1))
    done
    if [ "$1" = launcher ]; then
        kill -TERM $_launcher
    else
        kill -TERM $(rank_pid 1)
    fi
    # The processes stop within a step (a few ms); a minute means a hang.
    ( sleep 60 && kill -KILL $_launcher 2>/dev/null ) &
    _watchdog=$!
    wait $_launcher
    _status=$?
    kill $_watchdog 2>/dev/null
    if [ "$1" = launcher ]; then
        [ $_status -ne 137 ]
    else
        [ $_status -ne 0 ] && [ $_status -ne 137 ]
    fi
    ok $? "SIGTERM to $1: every process stops (launcher status $_status)"
    grep -q "^diffgeo: interrupted after step" "$WORK/sig.err" &&
        [ "$(grep -c "^diffgeo: " "$WORK/sig.err")" -eq 1 ]
    _r=$?
    ok $_r "SIGTERM to $1: one line from diffgeo, 'interrupted after step …'"
    [ $_r -eq 0 ] || diag "$WORK/sig.err"
    [ -z "$(ls -A "$WORK/sig")" ]
    ok $? "SIGTERM to $1: no run file and no temporary file"
    sleep 1
    [ -z "$(pgrep -f -- "-o $WORK/sig/run.h5")" ]
    ok $? "SIGTERM to $1: no process left"
    pkill -KILL -f -- "-o $WORK/sig/run.h5"
}
if under_valgrind; then
    skip_tests 8 "signals to a distributed run" "signal timing under valgrind"
else
    signal_run "process 1"
    signal_run launcher
fi

# Failures: one line from process 0, the same status everywhere, no output
# file, no hang.  DIFFGEO becomes a launcher of 2 processes for expect_error:
# launch_two [KB] writes it, process 1 alone under `ulimit -v KB` if given
# (rank1-limit).
cat >"$WORK/rank1-limit" <<EOS
#!/bin/sh
_kb=\$1
shift
[ "\${OMPI_COMM_WORLD_RANK:-\${PMI_RANK:-0}}" = 1 ] && ulimit -v \$_kb
exec "\$@"
EOS
chmod +x "$WORK/rank1-limit"
serial_diffgeo=$DIFFGEO
launch_two() {
    _limit=
    [ -n "${1:-}" ] && _limit="$WORK/rank1-limit $1"
    cat >"$WORK/diffgeo2" <<EOS
#!/bin/sh
exec timeout 300 "$MPIEXEC" $quiet -np 2 $_limit "$serial_diffgeo" "\$@"
EOS
    chmod +x "$WORK/diffgeo2"
}
launch_two
DIFFGEO=$WORK/diffgeo2
expect_error "a command that runs on one process" 2 - "runs on one process" -- \
    info "$WORK/serial.h5"
expect_error "meanshift from the data rows" 2 "$WORK/bad.h5" "only the Gaussian kernel" \
    "run them on one process" -- meanshift --data "$data" --bandwidth 0.3 -o "$WORK/bad.h5"
expect_error "meanshift, flat kernel" 2 "$WORK/bad.h5" "only the Gaussian kernel" -- \
    meanshift --data "$data" --kernel flat --bandwidth 0.3 -o "$WORK/bad.h5"
expect_error "--denoiser gaussian" 2 "$WORK/bad.h5" "needs all the data in one process" -- \
    sample --data "$data" --denoiser gaussian -n 2 --steps 3 -o "$WORK/bad.h5"
if have_python; then
    # NaN in the last row: only process 1 reads it.
    "$PYTHON3" -c '
import numpy as np, sys
x = np.linspace(-1, 1, 4200 * 3).reshape(4200, 3)
x[-1, 1] = np.nan
np.save(sys.argv[1], x)' "$WORK/nan.npy"
    expect_error "process 1 cannot use its shard" 1 "$WORK/bad.h5" "process 1: " "nan.npy" \
        "row 4199, column 1 holds NaN" -- sample --data "npy:$WORK/nan.npy" -n 2 --steps 3 -o "$WORK/bad.h5"
    # analyze: the same bad reference; the run file is left as it was.
    "$serial_diffgeo" sample --data synthetic:blobs,n=500,d=3 -n 2 --steps 3 -q -o "$WORK/d3.h5"
    expect_error "analyze: process 1 cannot use its reference shard" 1 "$WORK/d3.h5" \
        "process 1: " "nan.npy" "row 4199, column 1 holds NaN" -- \
        analyze "$WORK/d3.h5" --reference "npy:$WORK/nan.npy"
    # --threshold checks the rows each process holds before the sharded
    # denoiser takes them over (it once read them after: a crash).
    "$PYTHON3" -c '
import numpy as np, sys
x = np.linspace(-1, 1, 4200 * 3).reshape(4200, 3)
np.save(sys.argv[1], x)
x[-1, 2] = 1.5
np.save(sys.argv[2], x)' "$WORK/unit.npy" "$WORK/over.npy"
    thr="--threshold -n 3 --steps 5 --seed 2 -q"
    "$serial_diffgeo" sample --data "npy:$WORK/unit.npy" $thr -o "$WORK/thr1.h5" &&
        "$DIFFGEO" sample --data "npy:$WORK/unit.npy" $thr -o "$WORK/thr2.h5"
    ok $? "--threshold on data in [-1, 1] over 2 processes"
    (DIFFGEO=$serial_diffgeo &&    # table runs on one process
        tables "$WORK/thr1.h5" 5 >"$WORK/thr1.txt" &&
        tables "$WORK/thr2.h5" 5 >"$WORK/thr2.txt") &&
        cmp -s "$WORK/thr1.txt" "$WORK/thr2.txt"
    ok $? "--threshold over 2 processes: bit-identical to one process"
    expect_error "--threshold, a value beyond 1 in process 1's rows" 1 "$WORK/bad.h5" \
        "process 1: " "--threshold is only for data in [-1, 1]" "row 4199" -- \
        sample --data "npy:$WORK/over.npy" $thr -o "$WORK/bad.h5"
else
    skip_tests 17 "process 1 cannot use its shard" "no python3 with numpy"
fi
expect_error "analyze: a reference of another dimension" 1 "$WORK/serial.h5" \
    "synthetic:blobs: rows of dimension 6, 10 wanted" -- \
    analyze "$WORK/serial.h5" --reference synthetic:blobs,n=9000,d=6
skip_reason=
under_asan && skip_reason="ulimit -v under AddressSanitizer"
under_valgrind && skip_reason="ulimit -v under valgrind"
# Process 1 alone short of memory, where process 0 has plenty: it must not
# leave process 0 waiting for it.
(
    OMP_NUM_THREADS=8 OPENBLAS_NUM_THREADS=1
    export OMP_NUM_THREADS OPENBLAS_NUM_THREADS
    # 977 MiB start process 1 and hold its shard (Open MPI takes about 350 of
    # them, MPICH less), not OpenBLAS's 128 MiB buffers for 8 threads: the
    # denoiser makes sure of them when it is built.
    launch_two 1000000
    expect_error "process 1 short of memory for BLAS" 1 "$WORK/bad.h5" \
        "process 1: no memory left for the BLAS library's work buffers (1024 MiB)" -- \
        sample --data "$data" -n 2 --steps 3 -o "$WORK/bad.h5"
    OMP_NUM_THREADS=1
    # 684 MiB hold the tool, MPI, the buffer for one thread and a million
    # start points (80 MB), not their trajectories (720 MB): the processes
    # agree before evaluating.
    launch_two 700000
    expect_error "process 1 short of memory for the trajectories" 1 "$WORK/bad.h5" \
        "process 1: cannot allocate trajectories of 5 × 1000000 × 10 doubles" -- \
        sample --data "$data" -n 1000000 --steps 5 -o "$WORK/bad.h5"
    echo "tap_n=$tap_n tap_failed=$tap_failed" >"$WORK/counts"
)
. "$WORK/counts"
launch_two
# 1.4 GB of data over 2 processes with 600 MB of address space each (enough
# for the tool, MPI and OpenBLAS's buffers, as in cli_limits.sh).
(
    ulimit -v 600000 2>/dev/null
    expect_error "out of memory on every process" 1 "$WORK/bad.h5" "out of memory" -- \
        sample --data synthetic:blobs,n=1000000,d=175 -n 2 --steps 3 -o "$WORK/bad.h5"
    echo "tap_n=$tap_n tap_failed=$tap_failed" >"$WORK/counts"
)
. "$WORK/counts"
DIFFGEO=$serial_diffgeo
done_testing
