#!/bin/sh
# The man pages (doc/man/help2man.sh): every command 'diffgeo --help' lists
# has a page, each page has exactly the options of its --help text, man
# renders every page without a groff warning, and 'make install' puts them
# where 'man diffgeo-sample' finds them.
. "${srcdir:-.}/tests/lib.sh"

command -v man >/dev/null 2>&1 || skip_all "no man"
h2m="${top_srcdir:-$srcdir}/doc/man/help2man.sh"
pages=$WORK/man1
mkdir -p "$pages"
# man renders UTF-8 pages (σ, ‖) with a UTF-8 device; the C locale's ASCII
# device has no glyph for some of them.
LC_ALL=C.UTF-8
MANWIDTH=80
export LC_ALL MANWIDTH

# options TEXT-FILE: the options named in the option lines of a --help text
# or a rendered page, one a line: the words that start with a dash in the
# parts of a line before a run of blanks (and in compact lines of several).
options() {
    awk '/^[A-Z]+( [A-Z]+)*$/ { ex = 0 } /^(   )?(Example|EXAMPLE)/ { ex = 1 }
        !ex && /^ +(-[A-Za-z0-9], )?--?[A-Za-z]/ {
            line = $0; sub(/^ +/, "", line)
            ns = split(line, seg, /  +/)
            for (s = 1; s <= ns; s++) {
                if (seg[s] !~ /^-/) continue
                n = split(seg[s], w, " ")
                for (i = 1; i <= n; i++) {
                    o = w[i]; sub(/,$/, "", o)
                    if (o ~ /^--?[A-Za-z0-9][A-Za-z0-9_-]*$/) print o
                }
            }
        }' "$1" | LC_ALL=C sort -u
}

commands=$(sh "$h2m" "$DIFFGEO" --commands | cut -f 1)
ncmd=$(printf '%s\n' "$commands" | grep -c .)
[ "$ncmd" -ge 8 ]
ok $? "help2man.sh finds the $ncmd commands of diffgeo --help: $(echo $commands)"

sh "$h2m" "$DIFFGEO" >"$pages/diffgeo.1"
ok $? "help2man.sh makes diffgeo.1"
for c in $commands; do
    sh "$h2m" "$DIFFGEO" "$c" >"$pages/diffgeo-$c.1" && [ -s "$pages/diffgeo-$c.1" ]
    ok $? "help2man.sh makes diffgeo-$c.1"
done
sh "$h2m" "$DIFFGEO" no-such-command >"$WORK/none.1" 2>"$WORK/none.err"
[ $? -ne 0 ] && grep -q "no command 'no-such-command'" "$WORK/none.err"
ok $? "help2man.sh refuses a command diffgeo does not list"

# The check of warnings can fail: a page with an unknown macro and an
# unknown character draws two.
printf '.TH X 1\n.SH NAME\nx \\- y\n.SH DESCRIPTION\n.nosuchmacro\n\\(zz\n' >"$WORK/bad.1"
man --warnings -l "$WORK/bad.1" 2>&1 >/dev/null | grep -c warning | grep -qx 2
ok $? "man --warnings reports the two faults of a planted bad page"

for p in diffgeo $(printf 'diffgeo-%s ' $commands); do
    c=${p#diffgeo}
    c=${c#-}
    man --warnings -l "$pages/$p.1" >"$WORK/$p.txt" 2>"$WORK/$p.warn"
    st=$?
    [ $st -eq 0 ] && [ ! -s "$WORK/$p.warn" ]
    ok $? "man --warnings -l $p.1 renders with no warning"
    [ -s "$WORK/$p.warn" ] && sed 's/^/# /' "$WORK/$p.warn"
    # The page's name line and its options, against the --help text.
    grep -q "^ *$p  *-  *[a-z]" "$WORK/$p.txt"
    ok $? "$p.1 names itself in NAME"
    $DIFFGEO $c --help >"$WORK/$p.help"
    options "$WORK/$p.help" >"$WORK/$p.help.opts"
    options "$WORK/$p.txt" >"$WORK/$p.page.opts"
    if [ -n "$c" ]; then
        [ -s "$WORK/$p.help.opts" ] && cmp -s "$WORK/$p.help.opts" "$WORK/$p.page.opts"
        ok $? "$p.1 has the $(grep -c . "$WORK/$p.help.opts") options of 'diffgeo $c --help'"
        diff "$WORK/$p.help.opts" "$WORK/$p.page.opts" | sed 's/^/# /'
    fi
done

# The check of options can fail: a page that lost an option is found.
grep -v -- '--seed' "$WORK/diffgeo-sample.txt" >"$WORK/lost.txt"
options "$WORK/lost.txt" >"$WORK/lost.opts"
! cmp -s "$WORK/diffgeo-sample.help.opts" "$WORK/lost.opts"
ok $? "a page without --seed differs from sample's --help"

# diffgeo(1) lists every command with its page.
for c in $commands; do
    grep -q "diffgeo-$c(1)" "$WORK/diffgeo.txt" || echo "missing $c"
done >"$WORK/missing"
[ ! -s "$WORK/missing" ]
ok $? "diffgeo.1 refers to the page of every command"

# diffgeo(7) from doc/theory.md: renders without a warning and has every
# numbered section of it.
theory="${top_srcdir:-$srcdir}/doc/theory.md"
sh "${top_srcdir:-$srcdir}/doc/man/theory2man.sh" "$theory" test >"$pages/diffgeo.7"
man --warnings -l "$pages/diffgeo.7" >"$WORK/diffgeo7.txt" 2>"$WORK/diffgeo7.warn"
[ $? -eq 0 ] && [ ! -s "$WORK/diffgeo7.warn" ]
ok $? "man --warnings -l diffgeo.7 (from doc/theory.md) renders with no warning"
sed 's/^/# /' "$WORK/diffgeo7.warn"
missing=$(sed -n 's/^##* \([0-9][0-9.]*\) .*/\1/p' "$theory" | while read -r n; do
    grep -q "^ *$n " "$WORK/diffgeo7.txt" || printf '%s ' "$n"
done)
nsec=$(grep -c '^##* [0-9]' "$theory")
[ "$nsec" -ge 8 ] && [ -z "$missing" ]
ok $? "diffgeo.7 has the $nsec numbered sections of doc/theory.md${missing:+ (missing: $missing)}"

# make install into a temporary prefix: the pages and the completion, and
# 'man diffgeo-sample' with MANPATH finds the page.
if [ -n "${DG_MAKE:-}" ] && [ -f Makefile ]; then
    prefix=$(cd "$WORK" && pwd)/prefix
    $DG_MAKE install-data-local install-man7 install-dist_bashcompletionDATA prefix="$prefix" \
        bashcompletiondir="$prefix/share/bash-completion/completions" >"$WORK/install.log" 2>&1
    ok $? "make install-data-local install-man7 install-dist_bashcompletionDATA into $prefix"
    n=0
    for c in $commands; do
        [ -f "$prefix/share/man/man1/diffgeo-$c.1" ] && n=$((n + 1))
    done
    [ $n -eq "$ncmd" ] && [ -f "$prefix/share/man/man1/diffgeo.1" ]
    ok $? "the $n command pages and diffgeo.1 are installed in share/man/man1"
    MANPATH=$prefix/share/man man diffgeo-sample 2>"$WORK/installed.warn" >"$WORK/installed.txt" &&
        grep -q -- '--solver NAME' "$WORK/installed.txt"
    ok $? "MANPATH=$prefix/share/man man diffgeo-sample shows the installed page"
    [ -f "$prefix/share/bash-completion/completions/diffgeo" ]
    ok $? "the bash completion is installed in share/bash-completion/completions"
    MANPATH=$prefix/share/man man 7 diffgeo 2>/dev/null | grep -q 'POSTERIOR MEAN\|posterior mean'
    ok $? "MANPATH=$prefix/share/man man 7 diffgeo shows the theory"
    $DG_MAKE uninstall-local uninstall-man7 uninstall-dist_bashcompletionDATA prefix="$prefix" \
        bashcompletiondir="$prefix/share/bash-completion/completions" >>"$WORK/install.log" 2>&1 &&
        [ -z "$(find "$prefix" -type f)" ]
    ok $? "make uninstall removes them again"
else
    echo "# make install not tried: run from 'make check' (DG_MAKE unset or no Makefile)"
fi
done_testing
