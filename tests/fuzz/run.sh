#!/bin/sh
# run.sh BUILD FUZZDIR SECONDS NAME: runs the fuzz target BUILD/fuzz_NAME for
# SECONDS on its seed corpus FUZZDIR/corpus/NAME (read only) and the corpus it
# grows in BUILD/corpus/NAME, then prints libFuzzer's statistics.  Crashing
# inputs are saved as BUILD/NAME-crash-*; the exit status is 1 if any.
#
# The HDF5 target runs in libFuzzer's fork mode with -ignore_crashes=1:
# libhdf5 1.10 itself crashes on some malformed files (README.md, "Trust
# boundary"), so the run goes on after a crash, and each crash is then
# replayed and reported with the function it happened in.  Only crashes
# outside libhdf5 fail the run.
set -u
# Absolute paths: the spec target works in a private directory of its own.
build=$(cd "$1" && pwd) fuzzdir=$(cd "$2" && pwd) seconds=$3 name=$4
target=$build/fuzz_$name
log=$build/$name.log
mkdir -p "$build/corpus/$name"
set -- -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    -artifact_prefix="$build/$name-" -print_final_stats=1
[ -f "$fuzzdir/$name.dict" ] && set -- "$@" -dict="$fuzzdir/$name.dict"
case $name in
spec) set -- "$@" -max_len=512 ;;
h5) set -- "$@" -max_len=16384 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 ;;
*) set -- "$@" -max_len=16384 ;;
esac
echo "fuzz: $name for $seconds s (log: $log)"
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$fuzzdir/lsan.supp}
export LSAN_OPTIONS
"$target" "$@" "$build/corpus/$name" "$fuzzdir/corpus/$name" >"$log" 2>&1
rc=$?
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+: cov:' "$log" |
    tail -n 3 | sed "s/^/fuzz: $name: /"

# where REPORT: the first frame of the first stack of a sanitizer report that
# is in libhdf5 or in diffgeo's own sources (the fuzz target included), past
# the frames of libc and of the sanitizers' runtime; "alloc:" prefixes it
# when the memory was allocated by diffgeo's code.
where() {
    awk '/^ +#[0-9]+ / {
            if (/libhdf5/) f = "libhdf5: " ($3 == "in" ? $4 : $3)
            else if (/(src\/lib|tests\/fuzz)\/[a-z_0-9]+\.[ch]:[0-9]/) f = "diffgeo: " $4 " " $5
            else next
            if (!first) first = f
            if (alloc && !owner) owner = f
         }
         /allocated by thread/ { alloc = 1 }
         END {
            if (owner ~ /^diffgeo/ && first !~ /^diffgeo/) print "alloc: " owner " (" first ")"
            else print first ? first : "unknown"
         }' "$1"
}

# Each saved input is replayed: a crash inside libhdf5 is reported, any other
# one fails the run.
bad=0
for crash in "$build/$name"-crash-* "$build/$name"-leak-* "$build/$name"-timeout-* \
    "$build/$name"-oom-*; do
    case $crash in *.report) continue ;; esac
    [ -f "$crash" ] || continue
    # Whole stacks through libhdf5, which has no frame pointers: of allocations,
    # and of the hang a timeout reports.
    if ASAN_OPTIONS=fast_unwind_on_malloc=0:fast_unwind_on_fatal=0 "$target" -timeout=25 \
        "$crash" >"$crash.report" 2>&1; then
        # Saved by an earlier run, and fixed since.
        echo "fuzz: $name: $(basename "$crash"): no longer fails"
        continue
    fi
    w=$(where "$crash.report")
    case $w in
    libhdf5:*) echo "fuzz: $name: $(basename "$crash"): inside $w" ;;
    *) echo "fuzz: $name: $(basename "$crash"): CRASH in $w"; bad=1 ;;
    esac
done
if [ "$name" = h5 ]; then
    [ "$bad" -eq 0 ]
else
    [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]
fi
