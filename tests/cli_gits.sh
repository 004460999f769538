#!/bin/sh
# `diffgeo gits`: the schedule file, its use as a grid, and bad input.
. "$srcdir/tests/lib.sh"

data="synthetic:gmm,n=400,d=16,k=3"
run_diffgeo gits --data $data --teacher-steps 21 --warmup 12 --steps 5 -o "$WORK/g.h5"
ok $rc "gits succeeds: $(cat "$WORK/err")"
"$DIFFGEO" info "$WORK/g.h5" >"$WORK/info.txt"
for item in "/sigmas  *float64  *\[5\]" "/indices  *float64  *\[5\]" \
    "/teacher_sigmas  *float64  *\[21\]" "/cost  *float64  *\[21 × 21\]" "/dp  *float64  *\[21 × 5\]" \
    "teacher  *ipndm" "cost  *dev" "warmup  *12"; do
    grep -q "$item" "$WORK/info.txt"
    ok $? "the schedule file holds $item"
done

# /sigmas are the teacher's σ at /indices, from index 0 to 20.
"$DIFFGEO" table "$WORK/g.h5" /indices | awk '!/^#/ { print $2 }' >"$WORK/idx.txt"
"$DIFFGEO" table "$WORK/g.h5" /teacher_sigmas | awk '!/^#/ { print $2 }' >"$WORK/tsig.txt"
"$DIFFGEO" table "$WORK/g.h5" /sigmas | awk '!/^#/ { print $2 }' >"$WORK/sig.txt"
awk 'NR == FNR { t[NR - 1] = $1; next } { print t[$1] }' "$WORK/tsig.txt" "$WORK/idx.txt" |
    cmp -s - "$WORK/sig.txt"
ok $? "/sigmas = /teacher_sigmas[/indices]"
[ "$(head -n 1 "$WORK/idx.txt")" = 0 ] && [ "$(tail -n 1 "$WORK/idx.txt")" = 20 ]
ok $? "the schedule runs from the first to the last teacher point"

run_diffgeo sample --data $data --solver euler --schedule "h5:$WORK/g.h5" -n 3 -o "$WORK/s.h5"
"$DIFFGEO" info "$WORK/s.h5" | grep -q "nfe              4"
ok $? "sample --schedule h5:SCHED.h5 runs the 4 GITS steps"

"$DIFFGEO" gits --data $data --teacher-steps 21 --warmup 12 --steps 5 -q -o "$WORK/g2.h5"
"$DIFFGEO" table "$WORK/g.h5" /sigmas >"$WORK/a.tab"
"$DIFFGEO" table "$WORK/g2.h5" /sigmas >"$WORK/b.tab"
cmp -s "$WORK/a.tab" "$WORK/b.tab"
ok $? "the same command finds the same schedule"

for bad in "--steps 1" "--steps 30" "--cost l7" "--coeff 0" "--warmup 0" "--teacher rk4" \
    "--final-zero" "--schedule list:80,1"; do
    run_diffgeo gits --data $data --teacher-steps 21 --warmup 4 $bad -o "$WORK/bad.h5"
    [ $rc -eq 2 ] && [ ! -e "$WORK/bad.h5" ] && [ "$(wc -l <"$WORK/err")" -eq 1 ]
    ok $? "gits $bad: usage error, no file: $(cat "$WORK/err")"
done
done_testing
