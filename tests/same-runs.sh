#!/bin/sh
# same-runs.sh: do two builds of diffgeo write the same run files?
#
#   tests/same-runs.sh OLD_DIFFGEO NEW_DIFFGEO [WORKDIR]
#
# Runs one fixed set of commands (sample with each solver and each kind of
# denoiser, gits, meanshift in each mode, interpolate, analyze with and
# without --reference) with each binary, then compares every file with
# h5py: every group, array and attribute must be identical, bit for bit,
# apart from the attributes that name the build or the moment (version,
# time, command line).  For refactorings that must not change behaviour.
# Needs /usr/bin/python3 with h5py (or PYTHON3) and Fashion-MNIST.
set -eu
[ $# -ge 2 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
absolute() { case $1 in /*) echo "$1" ;; */*) echo "$PWD/$1" ;; *) command -v "$1" ;; esac; }
old=$(absolute "$1") new=$(absolute "$2")
work=${3:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON3:-/usr/bin/python3}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2

runs() { # runs DIFFGEO DIR: in DIR, so that the paths in the files agree
    dg=$1 out=$2
    mkdir -p "$out" && cd "$out"
    fm="fashion-mnist --limit 1500"
    mix="synthetic:gmm,n=400,d=6,k=3,seed=5"
    for s in euler heun dpm2 dpmpp2m dpmpp3m ipndm ipndm_v; do
        "$dg" sample -q --data $fm --solver $s --steps 9 -n 5 --seed 3 \
            -o "sample-$s.h5"
    done
    "$dg" sample -q --data $fm --schedule logsnr --steps 7 -n 4 --final-zero \
        --afs -o "sample-afs.h5"
    "$dg" sample -q --data $fm --jump-at 4 --steps 8 -n 3 --threshold \
        -o "sample-jump.h5"
    "$dg" sample -q --data $mix --denoiser gaussian --steps 7 -n 6 \
        -o "sample-gaussian.h5"
    "$dg" sample -q --data $mix --denoiser gmm-fit:3 --steps 7 -n 6 \
        -o "sample-gmmfit.h5"
    "$dg" sample -q --data synthetic:rings --steps 9 -n 6 --denoise-to-zero \
        -o "sample-rings.h5"
    "$dg" sample -q --data synthetic:gauss2d --samples 300 --steps 9 -n 6 \
        -o "sample-gauss2d-samples.h5"
    "$dg" sample -q --data synthetic:blobs,n=5000,d=4 --schedule time-uniform \
        --steps 6 -n 4 -o "sample-blobs.h5"
    "$dg" sample -q --data $mix --init "h5:sample-gaussian.h5:/samples" \
        --steps 5 -n 6 --sigma-max 2 -o "sample-init.h5"
    "$dg" gits -q --data $fm --limit 800 --teacher-steps 21 --warmup 8 \
        --steps 5 -o "gits.h5"
    "$dg" sample -q --data $fm --limit 800 --solver ipndm \
        --schedule "h5:gits.h5" -n 3 -o "sample-gits.h5"
    "$dg" meanshift -q --data $mix --bandwidth 0.5 \
        -o "meanshift-gaussian.h5"
    "$dg" meanshift -q --data $fm --limit 800 --anneal edm --steps 9 -n 3 \
        -o "meanshift-anneal.h5"
    "$dg" meanshift -q --data $mix --kernel flat --bin-seeding \
        -o "meanshift-flat.h5"
    "$dg" meanshift -q --data $mix --kernel flat -o "meanshift-flat2.h5"
    for m in lerp slerp; do
        "$dg" interpolate -q --data $fm --method $m --points 5 --steps 7 \
            -o "interpolate-$m.h5"
    done
    cp "sample-heun.h5" "analyze-ref.h5"
    "$dg" analyze -q "analyze-ref.h5" --reference fashion-mnist \
        --reference-limit 1500
    cp "sample-euler.h5" "analyze.h5"
    "$dg" analyze -q "analyze.h5"
    cp "sample-gaussian.h5" "analyze-gaussian.h5"
    "$dg" analyze -q "analyze-gaussian.h5" --reference "$mix"
}

echo "same-runs: old build into $work/old" >&2
(runs "$old" "$work/old")
echo "same-runs: new build into $work/new" >&2
(runs "$new" "$work/new")
"$python" "$here/same_runs.py" "$work/old" "$work/new"
