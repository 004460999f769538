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
"$target" "$@" "$build/corpus/$name" "$fuzzdir/corpus/$name" >"$log" 2>&1
rc=$?
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+: cov:' "$log" |
    tail -n 3 | sed "s/^/fuzz: $name: /"

# Where each crash happened: the first stack frame that is not a sanitizer's.
bad=0
for crash in "$build/$name"-crash-* "$build/$name"-leak-* "$build/$name"-timeout-* \
    "$build/$name"-oom-*; do
    [ -f "$crash" ] || continue
    where=$("$target" "$crash" 2>&1 | grep -E '^ +#[0-9]+ ' |
        grep -v -E 'libclang_rt|compiler-rt|sanitizer_common|asan_|ubsan_|in (__interceptor_|__asan|__sanitizer|abort|raise|__GI_)' |
        head -n 1 | sed 's/^ *#[0-9]* 0x[0-9a-f]* in //')
    case $where in
    *libhdf5*) echo "fuzz: $name: $(basename "$crash"): inside libhdf5: $where" ;;
    *) echo "fuzz: $name: $(basename "$crash"): CRASH: $where"; bad=1 ;;
    esac
done
if [ "$name" = h5 ]; then
    [ "$bad" -eq 0 ]
else
    [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ]
fi
