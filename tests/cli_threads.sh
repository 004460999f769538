#!/bin/sh
# The same command with OMP_NUM_THREADS=1 and 2 writes bit-identical
# /trajectory and /denoised (README.md, "Exactness and determinism").  `diffgeo table` prints
# 17 significant digits, which round-trip doubles exactly: equal text means
# equal bits.
. "$srcdir/tests/lib.sh"

# 3000 rows = 6 chunks of the reduction tree, 40 queries, Heun with σ = 0 at the end.
common="--data synthetic:gmm,n=3000,d=49,k=5,seed=3 -n 40 --seed 11 --steps 9 --final-zero -q"
for threads in 1 2; do
    OMP_NUM_THREADS=$threads "$DIFFGEO" sample $common -o "$WORK/t$threads.h5"
    ok $? "sample with OMP_NUM_THREADS=$threads"
done
for path in /trajectory /denoised; do
    for t in 1 2; do
        : >"$WORK/$t.txt"
        i=0
        while [ $i -lt 9 ]; do
            "$DIFFGEO" table "$WORK/t$t.h5" $path --slice $i >>"$WORK/$t.txt" || break
            i=$((i + 1))
        done
    done
    cmp -s "$WORK/1.txt" "$WORK/2.txt"
    ok $? "$path is bit-identical for 1 and 2 threads"
done

# analyze: the nearest-neighbour and KDE kernel runs queries in parallel, the
# optimal trajectory through the denoiser; /metrics must not depend on threads.
for t in 1 2; do
    cp "$WORK/t1.h5" "$WORK/m$t.h5"
    OMP_NUM_THREADS=$t "$DIFFGEO" analyze "$WORK/m$t.h5" -q --window 5 \
        --reference synthetic:gmm,n=3000,d=49,k=5,seed=3 --reference-limit 2900
    ok $? "analyze with OMP_NUM_THREADS=$t"
    for m in kde_loglik_before kde_loglik_after nn_distance distance_to_optimal \
        score_deviation optimal_self pca2_error curvature torsion; do
        "$DIFFGEO" table "$WORK/m$t.h5" /metrics/$m
    done >"$WORK/m$t.txt"
done
cmp -s "$WORK/m1.txt" "$WORK/m2.txt"
ok $? "/metrics are bit-identical for 1 and 2 threads"

if [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    for threads in 1 2; do
        OMP_NUM_THREADS=$threads "$DIFFGEO" sample --data fashion-mnist --limit 2500 -n 5 \
            --steps 6 --solver euler -q -o "$WORK/f$threads.h5"
        "$DIFFGEO" table "$WORK/f$threads.h5" /samples >"$WORK/f$threads.txt"
    done
    cmp -s "$WORK/f1.txt" "$WORK/f2.txt"
    ok $? "Fashion-MNIST samples are bit-identical for 1 and 2 threads"
else
    echo "ok $((tap_n = tap_n + 1)) # SKIP Fashion-MNIST not installed"
fi
done_testing
