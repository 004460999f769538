#!/bin/sh
# The bash completion (doc/completion/diffgeo), sourced into bash and driven
# as bash drives it (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT): the
# commands, every option of each command's --help, solver and schedule names
# the tool accepts, data-spec prefixes and file names after h5:.
. "${srcdir:-.}/tests/lib.sh"

command -v bash >/dev/null 2>&1 || skip_all "no bash"
script="${top_srcdir:-$srcdir}/doc/completion/diffgeo"
# The completion runs 'diffgeo' from PATH: the tool under test.
mkdir -p "$WORK/bin"
ln -sf "$(cd "$(dirname "$DIFFGEO")" && pwd)/$(basename "$DIFFGEO")" "$WORK/bin/diffgeo"
PATH=$(cd "$WORK/bin" && pwd):$PATH
export PATH

# complete LINE: the candidates bash would offer at the end of LINE, one a
# line, sorted.
complete_line() {
    bash -c '
        . "$1" || exit 1
        line=$2
        COMP_LINE=$line
        COMP_POINT=${#line}
        COMP_WORDBREAKS=${COMP_WORDBREAKS:-" \"'"'"'><=;|&(:"}
        read -r -a COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _diffgeo diffgeo "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"' sh "$script" "$1" | grep . | LC_ALL=C sort -u
}
words() {
    tr ' ' '\n' | grep . | LC_ALL=C sort -u
}

bash -c '. "$1" && complete -p diffgeo' sh "$script" | grep -q -- '-F _diffgeo diffgeo'
ok $? "sourcing the script registers _diffgeo for diffgeo"

# Commands: exactly those 'diffgeo --help' lists.
commands=$($DIFFGEO --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
complete_line "diffgeo " >"$WORK/commands"
printf '%s\n' $commands | LC_ALL=C sort -u | cmp -s - "$WORK/commands" &&
    [ "$(grep -c . "$WORK/commands")" -ge 8 ]
ok $? "diffgeo <TAB>: the $(grep -c . "$WORK/commands") commands of diffgeo --help"
[ "$(complete_line "diffgeo me")" = meanshift ]
ok $? "diffgeo me<TAB>: meanshift"

# Options: every long option at the head of an option line of the --help
# text is offered, and every offer is an option the help text names.
for c in $commands; do
    $DIFFGEO "$c" --help >"$WORK/$c.help"
    [ "$c" = interpolate ] && $DIFFGEO sample --help >>"$WORK/$c.help"
    sed '/^Example/,/^$/d' "$WORK/$c.help" |
        sed -n 's/^ \{1,8\}\(-[A-Za-z0-9], \)\{0,1\}\(--[a-z][a-z0-9-]*\).*/\2/p' |
        LC_ALL=C sort -u >"$WORK/$c.heads"
    complete_line "diffgeo $c --" >"$WORK/$c.offered"
    missing=$(LC_ALL=C comm -23 "$WORK/$c.heads" "$WORK/$c.offered" | tr '\n' ' ')
    strange=$(while read -r o; do grep -q -e "$o\\([^a-z0-9-]\\|$\\)" "$WORK/$c.help" || echo "$o"; done \
        <"$WORK/$c.offered" | tr '\n' ' ')
    [ -s "$WORK/$c.heads" ] && [ -z "$missing" ] && [ -z "$strange" ]
    ok $? "diffgeo $c --<TAB>: its $(grep -c . "$WORK/$c.offered") options${missing:+ (missing: $missing)}${strange:+ (not in --help: $strange)}"
done
complete_line "diffgeo gits --" | grep -qx -- '--sigma-min'
ok $? "diffgeo gits --<TAB> offers --sigma-min (second option of a compact line)"

# Solver names: those the tool lists when it refuses an unknown one, each
# run by the tool, and an unknown name offers nothing.
expected=$($DIFFGEO sample --data synthetic:gauss2d --solver nope -o "$WORK/s.h5" 2>&1 |
    sed -n "s/.*unknown solver 'nope' (\([^)]*\)).*/\1/p" | tr -d ',')
complete_line "diffgeo sample --solver " >"$WORK/solvers"
printf '%s\n' $expected | LC_ALL=C sort -u | cmp -s - "$WORK/solvers"
ok $? "diffgeo sample --solver <TAB>: $(echo $expected)"
bad=
for s in $(cat "$WORK/solvers"); do
    $DIFFGEO sample --data synthetic:gauss2d --solver "$s" --steps 3 -n 1 -q \
        -o "$WORK/s.h5" 2>/dev/null || bad="$bad $s"
done
[ -z "$bad" ] && [ -s "$WORK/solvers" ]
ok $? "every offered solver runs${bad:+ (not:$bad)}"
[ -z "$(complete_line "diffgeo sample --solver nope")" ]
ok $? "diffgeo sample --solver nope<TAB>: nothing"
[ "$(complete_line "diffgeo sample --solver dpmpp" | tr '\n' ' ')" = "dpmpp2m dpmpp3m " ]
ok $? "diffgeo sample --solver dpmpp<TAB>: dpmpp2m dpmpp3m"
complete_line "diffgeo gits --teacher " | cmp -s - "$WORK/solvers"
ok $? "diffgeo gits --teacher <TAB>: the same solvers"

# Schedule names: each accepted by 'diffgeo schedule'.
complete_line "diffgeo schedule --schedule " >"$WORK/schedules"
bad=
for s in $(grep -v ':$' "$WORK/schedules"); do
    $DIFFGEO schedule --schedule "$s" --steps 4 >/dev/null 2>&1 || bad="$bad $s"
done
grep -qx edm "$WORK/schedules" && grep -qx logsnr "$WORK/schedules" &&
    grep -qx time-uniform "$WORK/schedules" && grep -qx list: "$WORK/schedules" && [ -z "$bad" ]
ok $? "diffgeo schedule --schedule <TAB>: $(cat "$WORK/schedules" | tr '\n' ' ')${bad:+ (refused:$bad)}"
complete_line "diffgeo meanshift --anneal " | grep -qx logsnr
ok $? "diffgeo meanshift --anneal <TAB> offers the schedules"

# Data specs: the prefixes, and every built-in synthetic name runs.
complete_line "diffgeo sample --data " >"$WORK/specs"
n=0
for p in h5: npy: idx: cifar10: fashion-mnist gmm: synthetic:gmm synthetic:gauss2d synthetic:rings; do
    grep -qx "$p" "$WORK/specs" && n=$((n + 1))
done
[ $n -eq 9 ]
ok $? "diffgeo sample --data <TAB>: h5: npy: idx: cifar10: fashion-mnist gmm: and synthetic names ($n of 9)"
bad=
for s in $(grep '^synthetic:' "$WORK/specs"); do
    $DIFFGEO sample --data "$s" --steps 2 -n 1 -q -o "$WORK/s.h5" 2>/dev/null || bad="$bad $s"
done
[ -z "$bad" ]
ok $? "every offered synthetic: spec runs${bad:+ (not:$bad)}"
# bash replaces only the part after the last ':' (COMP_WORDBREAKS)
[ "$(complete_line "diffgeo sample --data synthetic:ri")" = rings ]
ok $? "diffgeo sample --data synthetic:ri<TAB>: rings (after the colon)"
: >"$WORK/train.h5"
: >"$WORK/trees.txt"
[ "$(complete_line "diffgeo analyze x.h5 --reference h5:$WORK/tr")" = "$WORK/train.h5" ] ||
    [ "$(complete_line "diffgeo analyze x.h5 --reference h5:$WORK/tr" | tr '\n' ' ')" = "$WORK/train.h5 $WORK/trees.txt " ]
ok $? "--reference h5:DIR/tr<TAB>: the file names after h5:"
[ "$(complete_line "diffgeo info $WORK/tra")" = "$WORK/train.h5" ]
ok $? "diffgeo info DIR/tra<TAB>: a file name"
done_testing
