#!/bin/sh
# End-to-end runs of `diffgeo sample`, `schedule` and `info`: the run file's
# contents, NFE, determinism and start points from --init.
. "$srcdir/tests/lib.sh"

data="synthetic:gmm,n=400,d=16,k=3"

run_diffgeo sample --data $data -n 6 --steps 7 -o "$WORK/heun.h5"
ok $rc "sample with defaults (heun, edm) succeeds"
test ! -s "$WORK/err"
ok $? "no progress output when stderr is not a terminal"

run_diffgeo info "$WORK/heun.h5"
for field in "nfe              12" "steps            7" "solver           heun" \
    "schedule         edm" "final_zero       0" "/trajectory                        float64  \[7 × 6 × 16\]" \
    "/denoised                          float64  \[6 × 6 × 16\]" "/samples                           float64  \[6 × 16\]"; do
    grep -q "$field" "$WORK/out"
    ok $? "info shows '$field'"
done

run_diffgeo sample --data $data -n 6 --steps 7 --final-zero -o "$WORK/heunz.h5"
"$DIFFGEO" info "$WORK/heunz.h5" | grep -q "nfe              13"
ok $? "heun with --final-zero: NFE = 2·7 − 1 = 13"
"$DIFFGEO" table "$WORK/heunz.h5" /sigmas | tail -n 1 | grep -q "^7 0$"
ok $? "with --final-zero the grid ends at σ = 0"
run_diffgeo sample --data $data -n 6 --steps 7 --solver euler -o "$WORK/euler.h5"
"$DIFFGEO" info "$WORK/euler.h5" | grep -q "nfe              6"
ok $? "euler: NFE = number of steps"

# /samples is the last trajectory row.
"$DIFFGEO" table "$WORK/heun.h5" /samples >"$WORK/a.txt"
"$DIFFGEO" table "$WORK/heun.h5" /trajectory --slice -1 >"$WORK/b.txt"
cmp -s "$WORK/a.txt" "$WORK/b.txt"
ok $? "/samples equals /trajectory[T]"

# The same seed gives the same run; another seed another one.
"$DIFFGEO" sample --data $data -n 6 --steps 7 -o "$WORK/again.h5"
"$DIFFGEO" table "$WORK/again.h5" /samples >"$WORK/c.txt"
cmp -s "$WORK/a.txt" "$WORK/c.txt"
ok $? "same seed, same samples"
"$DIFFGEO" sample --data $data -n 6 --steps 7 --seed 9 -o "$WORK/seed9.h5"
"$DIFFGEO" table "$WORK/seed9.h5" /samples >"$WORK/d.txt"
! cmp -s "$WORK/a.txt" "$WORK/d.txt"
ok $? "another seed, other samples"

# Start points from a file: here the end points of the first run.
run_diffgeo sample --data $data --init "h5:$WORK/heun.h5:/samples" --steps 5 -o "$WORK/init.h5"
ok $rc "--init reads start points from a run file"
"$DIFFGEO" table "$WORK/init.h5" /trajectory --slice 0 >"$WORK/e.txt"
cmp -s "$WORK/a.txt" "$WORK/e.txt"
ok $? "--init start points are /trajectory[0] exactly"

# The schedule table against doc/theory.md §4 (edm, N = 7).
"$DIFFGEO" schedule --steps 7 >"$WORK/sched.txt"
awk 'BEGIN { split("80 30.183258055 9.7232013553 2.5152189761 0.469979058 0.051532394323 0.002", w) }
     /^#/ { next }
     { v = w[$1 + 1]; e = ($2 - v) / v; if (e < 0) e = -e; if (e > 5e-10) bad = 1; n++ }
     END { exit (bad || n != 7) }' "$WORK/sched.txt"
ok $? "diffgeo schedule prints the edm test vector"
"$DIFFGEO" schedule --schedule logsnr --steps 7 --final-zero | tail -n 1 | grep -q "^7 0$"
ok $? "diffgeo schedule --final-zero appends σ = 0"

# Explicit grids: a list, and the /sigmas of a file.
list="80 10.9836 3.8811 1.584 0.5666 0.1698 0.002"
"$DIFFGEO" schedule --schedule "list:$(echo $list | tr ' ' ',')" >"$WORK/list.txt"
awk -v want="$list" 'BEGIN { n = split(want, w, " ") }
     !/^#/ { k++; if ($2 != w[k] + 0) bad = 1 }
     END { exit (bad || k != n) }' "$WORK/list.txt"
ok $? "--schedule list: prints the given grid, value for value"
"$DIFFGEO" schedule --schedule "h5:$WORK/heunz.h5" | tail -n +2 >"$WORK/h5grid.txt"
"$DIFFGEO" table "$WORK/heunz.h5" /sigmas | tail -n +2 >"$WORK/h5table.txt"
cmp -s "$WORK/h5grid.txt" "$WORK/h5table.txt"
ok $? "--schedule h5:RUN.h5 reads /sigmas (with its final 0)"
run_diffgeo sample --data $data -n 3 --schedule list:6.5,2.2,0.7,0.05 --solver ipndm -o "$WORK/list.h5"
"$DIFFGEO" info "$WORK/list.h5" | grep -q "steps            4" &&
    "$DIFFGEO" info "$WORK/list.h5" | grep -q "sigma_max        6.5"
ok $? "sample with a list grid records its steps and ends"
for bad in "list:80,x,1" "list:1,80" "list:80,-1"; do
    run_diffgeo schedule --schedule "$bad"
    [ $rc -eq 2 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ]
    ok $? "--schedule $bad is a usage error: $(cat "$WORK/err")"
done
run_diffgeo schedule --schedule list:80,1 --steps 5
[ $rc -eq 2 ] && grep -q "drop --steps" "$WORK/err"
ok $? "a list grid refuses --steps"
run_diffgeo schedule --schedule "h5:$WORK/missing.h5"
[ $rc -eq 1 ] && grep -q "No such file" "$WORK/err"
ok $? "a missing grid file is a failure (exit 1)"

# ODE-Jump: K steps, then x ← D(x_K; σ_K); NFE 2K + 1 with Heun.
run_diffgeo sample --data $data -n 4 --steps 9 --jump-at 5 -o "$WORK/jump.h5"
"$DIFFGEO" info "$WORK/jump.h5" | grep -q "nfe              11"
ok $? "--jump-at 5 with heun: NFE = 2·5 + 1"
"$DIFFGEO" table "$WORK/jump.h5" /samples >"$WORK/j1.txt"
"$DIFFGEO" table "$WORK/jump.h5" /denoised --slice 5 >"$WORK/j2.txt"
cmp -s "$WORK/j1.txt" "$WORK/j2.txt"
ok $? "--jump-at K returns D(x_K; σ_K) exactly"
"$DIFFGEO" sample --data $data -n 4 --steps 9 -q -o "$WORK/full.h5"
"$DIFFGEO" table "$WORK/full.h5" /trajectory --slice 5 >"$WORK/j3.txt"
"$DIFFGEO" table "$WORK/jump.h5" /trajectory --slice 5 >"$WORK/j4.txt"
cmp -s "$WORK/j3.txt" "$WORK/j4.txt"
ok $? "--jump-at K follows the full run up to x_K"
run_diffgeo sample --data $data --steps 9 --jump-at 8 -o "$WORK/nojump.h5"
[ $rc -eq 2 ] && [ ! -e "$WORK/nojump.h5" ]
ok $? "--jump-at the last index is a usage error"

# Interpolation between the two starts that seed 3 draws.
"$DIFFGEO" sample --data synthetic:gmm,n=300,d=64 -n 2 --seed 3 --steps 3 -q -o "$WORK/ab.h5"
"$DIFFGEO" table "$WORK/ab.h5" /trajectory --slice 0 >"$WORK/ab.txt"
for method in lerp slerp rescaled; do
    run_diffgeo interpolate --data synthetic:gmm,n=300,d=64 --seed 3 --method $method --points 5 \
        --steps 4 -o "$WORK/$method.h5"
    ok $rc "interpolate --method $method"
    "$DIFFGEO" table "$WORK/$method.h5" /trajectory --slice 0 >"$WORK/$method.txt"
done
# lerp at λ = ½ is (a + b)/2; its norm ratio against σ_max √d, recomputed with awk.
awk 'NR > 1 && NR <= 3 { for (k = 2; k <= NF; k++) v[NR, k] = $k }
     END { for (k = 2; k <= NF; k++) { m = (v[2, k] + v[3, k]) / 2; s += m * m }
           printf "%.12f\n", sqrt(s) / (80 * 8) }' "$WORK/ab.txt" >"$WORK/want.txt"
"$DIFFGEO" table "$WORK/lerp.h5" /interpolation/norm_ratio | awk '$1 == 2 { printf "%.12f\n", $2 }' |
    cmp -s - "$WORK/want.txt"
ok $? "lerp midpoint norm ratio = ‖(a + b)/2‖/(σ_max √d) ($(cat "$WORK/want.txt"))"
"$DIFFGEO" table "$WORK/rescaled.h5" /interpolation/norm_ratio |
    awk '!/^#/ { d = $2 - 1; if (d < 0) d = -d; if (d > 1e-12) bad = 1 } END { exit bad }'
ok $? "rescaled lerp stays on the shell: norm ratio 1"
head -n 2 "$WORK/ab.txt" | tail -n 1 | cut -d' ' -f2- >"$WORK/a.txt"
sed -n 2p "$WORK/slerp.txt" | cut -d' ' -f2- | cmp -s - "$WORK/a.txt"
ok $? "slerp starts exactly at a"

run_diffgeo --help
grep -q "sample" "$WORK/out" && [ $rc -eq 0 ]
ok $? "diffgeo --help lists the commands"
run_diffgeo sample --help
grep -q -- "--final-zero" "$WORK/out" && [ $rc -eq 0 ]
ok $? "diffgeo sample --help documents --final-zero"
run_diffgeo --version
grep -q "^diffgeo [0-9]" "$WORK/out"
ok $? "diffgeo --version"
done_testing
