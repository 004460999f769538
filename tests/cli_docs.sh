#!/bin/sh
# The project stands on its own: no file of it (sources, scripts, plots,
# experiments, docs) and no --help text cites a document the project does not
# contain.  Every NAME.md and every doc/PATH a text mentions must exist, in
# the tree's top directory or next to the file that mentions it, and every
# "theory.md §N" must name a section of doc/theory.md (a heading "## N." or
# "### N.M").  Runs from a distribution tarball too: it reads $srcdir.
. "${srcdir:-.}/tests/lib.sh"

top=$srcdir
theory=$top/doc/theory.md

# The texts of the project, by kind: generated files (Makefile.in, configure)
# repeat their sources and are left out, and so are the test suite's outputs
# and this script, which names missing documents on purpose.
texts() {
    (cd "$top" && find . \( -name .git -o -name autom4te.cache -o -name work \) -prune -o \
        -type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.py' -o -name '*.gp' \
        -o -name '*.md' -o -name Makefile.am -o -name configure.ac -o -name NEWS \
        -o -name quickstart -o -name '*.in' ! -name Makefile.in \) -print) |
        sed 's|^\./||' | grep -v '^tests/cli_docs\.sh$' | LC_ALL=C sort
}

# missing_refs FILE DIR: the NAME.md and doc/PATH that FILE mentions and that
# exist neither below $top nor below DIR (FILE's own directory), one a line.
missing_refs() {
    grep -oE '[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md|(^|[^A-Za-z0-9_./-])doc/[A-Za-z0-9_./-]*[A-Za-z0-9_/]' "$1" |
        sed 's|^[^A-Za-z0-9_./-]||; s|^\./||' | LC_ALL=C sort -u |
        while IFS= read -r ref; do
            [ -e "$top/$ref" ] || [ -e "$2/$ref" ] || echo "$ref"
        done
}

# The section numbers doc/theory.md has, one a line ("3", "3.2").
sections() {
    sed -n 's/^##* \([0-9][0-9.]*[0-9]\)\.\{0,1\} .*/\1/p; s/^##* \([0-9]\)\. .*/\1/p' "$theory" |
        LC_ALL=C sort -u
}

# bad_sections FILE: each §N or "section N" after "theory.md" on a line of
# FILE (and every §N of doc/theory.md itself) that is not a section of
# doc/theory.md.
bad_sections() {
    case $1 in
    */doc/theory.md) grep -oE '§[0-9][0-9.]*' "$1" ;;
    *) grep -oE 'theory\.md.*' "$1" | grep -oE '(§|sections? )[0-9][0-9.]*' ;;
    esac | sed 's/^§//; s/^sections* //; s/\.$//' | LC_ALL=C sort -u |
        while IFS= read -r n; do
            printf '%s\n' "$known" | grep -qx "$(printf '%s' "$n" | sed 's/\./\\./g')" ||
                echo "§$n"
        done
}

[ -f "$theory" ]
ok $? "doc/theory.md is in the tree"
known=$(sections)
[ "$(printf '%s\n' "$known" | grep -c .)" -ge 8 ]
ok $? "doc/theory.md has numbered sections ($(printf '%s' "$known" | tr '\n' ' '))"

# The checks can fail: a planted file citing a missing document and a
# missing section is caught, one citing what exists is not.
printf 'see NOWHERE.md and doc/nowhere.md, doc/theory.md §1 and §99\n' >"$WORK/planted.c"
printf 'see doc/theory.md section 1 and section 98\n' >"$WORK/planted.py"
[ "$(missing_refs "$WORK/planted.c" "$WORK" | tr '\n' ' ')" = "NOWHERE.md doc/nowhere.md " ] &&
    [ "$(bad_sections "$WORK/planted.c")" = "§99" ] &&
    [ "$(bad_sections "$WORK/planted.py")" = "§98" ]
ok $? "a planted citation of missing documents and of a missing section is found"
printf 'see README.md, doc/theory.md §1 and §2.\n' >"$WORK/fine.c"
[ -z "$(missing_refs "$WORK/fine.c" "$WORK")" ] && [ -z "$(bad_sections "$WORK/fine.c")" ]
ok $? "a citation of documents and sections that exist passes"

nfiles=0 bad=
for f in $(texts); do
    nfiles=$((nfiles + 1))
    miss=$(missing_refs "$top/$f" "$top/$(dirname "$f")")
    secs=$(bad_sections "$top/$f")
    if [ -n "$miss$secs" ]; then
        bad="$bad $f"
        echo "# $f cites what the project lacks:" $miss $secs
    fi
done
[ "$nfiles" -ge 100 ] && [ -z "$bad" ]
ok $? "the $nfiles source, script and doc files cite only documents and sections that exist"

# The help of the tool and of every command it lists.
cmds=$("$DIFFGEO" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
[ "$(printf '%s\n' "$cmds" | grep -c .)" -ge 8 ]
ok $? "diffgeo --help lists the commands ($(printf '%s' "$cmds" | tr '\n' ' '))"
"$DIFFGEO" --help >"$WORK/help.txt"
for c in $cmds; do
    "$DIFFGEO" "$c" --help >>"$WORK/help.txt"
done
miss=$(missing_refs "$WORK/help.txt" "$top")
secs=$(bad_sections "$WORK/help.txt")
[ -z "$miss$secs" ]
ok $? "the --help texts cite only documents and sections that exist:" $miss $secs
done_testing
