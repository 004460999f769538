#!/bin/sh
# theory2man.sh MARKDOWN VERSION: diffgeo(7), the theory as implemented, made
# from doc/theory.md on stdout.  The markdown there is plain: "#" headings,
# paragraphs, "- " and "N. " lists, formulas indented by four spaces, pipe
# tables, `code` and **bold**; the page keeps formulas and tables as laid out.
set -e
md=${1:?usage: theory2man.sh MARKDOWN VERSION}
version=${2:-}
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d 2>/dev/null || date -u +%Y-%m-%d)
else
    date=$(date -u +%Y-%m-%d)
fi
awk -v version="$version" -v date="$date" '
function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    return s
}
# inline(s): text with `code` in bold and **bold** bold, escaped
function inline(s,   out, pre, mid, lead) {
    s = esc(s)
    out = ""
    while (match(s, /`[^`]*`|\*\*[^*]+\*\*/)) {
        pre = substr(s, 1, RSTART - 1)
        mid = substr(s, RSTART, RLENGTH)
        gsub(/^`|`$|^\*\*|\*\*$/, "", mid)
        out = out pre "\\fB" mid "\\fR"
        s = substr(s, RSTART + RLENGTH)
    }
    s = out s
    # *emphasis*, when the star opens a word (not D*(x))
    out = ""
    while (match(s, /(^|[ (])\*[A-Za-z][^*]*[A-Za-z.]\*/)) {
        pre = substr(s, 1, RSTART - 1)
        mid = substr(s, RSTART, RLENGTH)
        lead = (mid ~ /^[ (]/) ? substr(mid, 1, 1) : ""
        mid = substr(mid, length(lead) + 2, length(mid) - length(lead) - 2)
        out = out pre lead "\\fI" mid "\\fR"
        s = substr(s, RSTART + RLENGTH)
    }
    s = out s
    if (s ~ /^[.\047]/) s = "\\&" s
    return s
}
function nofill_on() { if (!nf) { print ".PP"; print ".nf"; nf = 1 } }
function nofill_off() { if (nf) { print ".fi"; nf = 0 } }
BEGIN {
    print ".TH DIFFGEO 7 \"" date "\" \"diffgeo " version "\" \"diffgeo\""
    print ".\\\" Made by doc/man/theory2man.sh from doc/theory.md: edit that, not this."
    print ".nh"
    print ".SH NAME"
    print "diffgeo \\- the theory as implemented: noise model, exact denoisers, mean shift, σ grids, solvers, measurements"
}
NR == 1 && /^# / { print ".SH DESCRIPTION"; next }
/^## / { nofill_off(); sub(/^## /, ""); print ".SH \"" toupper(esc($0)) "\""; para = 0; next }
/^### / { nofill_off(); sub(/^### /, ""); print ".SS \"" esc($0) "\""; para = 0; next }
/^\|/ {
    if ($0 ~ /^\|[-|: ]+\|$/) next
    nofill_on()
    line = $0; sub(/^\| */, "", line); sub(/ *\|$/, "", line); gsub(/ *\| */, "  |  ", line)
    gsub(/`/, "", line)
    print "  " esc(line)
    next
}
/^    / { nofill_on(); line = $0; gsub(/`/, "", line); print esc(line); next }
/^$/ { nofill_off(); para = 0; next }
/^- / { nofill_off(); sub(/^- /, ""); print ".IP \\(bu 2"; print inline($0); para = 1; next }
/^[0-9]+\. / { nofill_off(); n = $1; sub(/^[0-9]+\. /, ""); print ".IP " n " 4"; print inline($0); para = 1; next }
{
    nofill_off()
    if (!para) { print ".PP"; para = 1 }
    sub(/^ +/, "")
    print inline($0)
}
END {
    nofill_off()
    print ".SH SEE ALSO"
    print ".BR diffgeo (1)"
}' "$md"
