#!/bin/sh
# help2man.sh DIFFGEO [COMMAND]: the man page of diffgeo (section 1) or of
# 'diffgeo COMMAND' (diffgeo-COMMAND), made from the --help text, on stdout.
# help2man.sh DIFFGEO --commands: the commands 'diffgeo --help' lists, one a
# line, with their one-line summaries.
#
# The --help texts are the one source: a usage line, paragraphs at column 0,
# section headers ("Output:"), option lines ("  -o, --output FILE  text",
# continued by lines indented further) and indented blocks (tables,
# examples), which the page keeps as they are laid out.  Only POSIX sh, awk
# and sed; the page is plain man(7) markup.
set -e
tool=${1:?usage: help2man.sh DIFFGEO [COMMAND|--commands]}
cmd=${2:-}

# The commands, from the "Commands:" block of 'diffgeo --help'.
commands() {
    "$tool" --help | awk '
        /^Commands:/ { on = 1; next }
        on && /^[^ ]/ { exit }
        on && /^$/ { exit }
        on && /^  [a-z]/ { name = $1; sub(/^  [a-z][a-z0-9-]* +/, ""); print name "\t" $0 }'
}

if [ "$cmd" = --commands ]; then
    commands
    exit 0
fi

version=$("$tool" --version | sed -n '1s/^diffgeo //p')
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d 2>/dev/null || date -u +%Y-%m-%d)
else
    date=$(date -u +%Y-%m-%d)
fi
list=$(commands)
if [ -z "$cmd" ]; then
    page=diffgeo
    summary="the geometry of diffusion-model sampling with exact optimal denoisers"
    help=$("$tool" --help)
else
    page=diffgeo-$cmd
    summary=$(printf '%s\n' "$list" | awk -F '\t' -v c="$cmd" '$1 == c { print $2 }')
    [ -n "$summary" ] || { echo "help2man.sh: 'diffgeo --help' lists no command '$cmd'" >&2; exit 1; }
    help=$("$tool" "$cmd" --help)
fi
seealso=$(printf '%s\n' "$list" | awk -F '\t' -v p="$page" '
    { n = "diffgeo\\-" $1; if (n != "diffgeo\\-" substr(p, 9)) s = s (s ? ",\n" : "") ".BR \\%" n " (1)" }
    END { if (p != "diffgeo") s = ".BR diffgeo (1)" (s ? ",\n" s : ""); print s }')

# (SEE ALSO goes through the environment: awk -v would read its backslashes)
printf '%s\n' "$help" | DG_SEEALSO=$seealso awk -v page="$page" -v summary="$summary" \
    -v version="$version" -v date="$date" '
# esc(s): s as groff text: backslashes, minus signs, control characters.
function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    if (s ~ /^[.\047]/) s = "\\&" s
    return s
}
function indent(s) { match(s, /^ */); return RLENGTH }
function is_option(s) {
    return !example && s ~ /^ +(-[A-Za-z0-9], )?--?[A-Za-z]/ && indent(s) <= 8
}
function is_header(s) { return s ~ /^[A-Z][^ ]*( [^ ]+)*:$/ }
function start_options() {
    if (!options) { print ".SH OPTIONS"; options = 1 }
}
# flush(): print the buffered block of non-option lines: a paragraph when
# every line is at column 0, else the lines as laid out.
function flush(   i, filled) {
    if (nbuf == 0) return
    filled = 1
    for (i = 1; i <= nbuf; i++) if (buf[i] ~ /^ /) filled = 0
    print ".PP"
    if (!filled) print ".nf"
    for (i = 1; i <= nbuf; i++) print esc(buf[i])
    if (!filled) print ".fi"
    nbuf = 0
}
BEGIN {
    upper = toupper(page); gsub(/-/, "\\-", upper)
    printf ".TH %s 1 \"%s\" \"diffgeo %s\" \"User Commands\"\n", upper, date, version
    print ".\\\" Made by doc/man/help2man.sh from the --help text: edit that, not this."
    print ".nh"
    print ".SH NAME"
    print esc(page) " \\- " esc(summary)
}
NR == 1 {
    sub(/^Usage: /, "")
    usage = $0
    next
}
usage != "" && /^ / && !body { sub(/^ +/, ""); usage = usage " " $0; next }
!body {
    body = 1
    u = usage
    w = (page == "diffgeo") ? 1 : 2
    split(u, f, " ")
    head = f[1]; for (i = 2; i <= w; i++) head = head " " f[i]
    rest = substr(u, length(head) + 2)
    print ".SH SYNOPSIS"
    print "\\fB" esc(head) "\\fR " esc(rest)
    print ".SH DESCRIPTION"
}
/^$/ { flush(); inopt = 0; next }
is_header($0) {
    flush(); inopt = 0
    h = $0; sub(/:$/, "", h)
    if (h ~ /^Examples?( |$)/) {
        example = 1; commands = 0
        print ".SH EXAMPLES"
        if (h ~ /^Examples? \(.*\)$/) {
            sub(/^Examples? \(/, "", h); sub(/\)$/, "", h)
            print ".PP"; print esc(toupper(substr(h, 1, 1)) substr(h, 2)) ":"
        }
    } else if (h == "Commands") {
        example = 0; commands = 1
        print ".SH COMMANDS"
    } else if (h == "Options") {
        example = 0; commands = 0
        start_options()
    } else {
        example = 0; commands = 0
        example = 0
        start_options()
        print ".SS " esc(h)
    }
    next
}
# the commands of diffgeo(1), each with its page
commands && /^  [a-z]/ {
    flush()
    name = $1; text = $0; sub(/^  [a-z][a-z0-9-]* +/, "", text)
    print ".TP"
    print "\\fB" esc(name) "\\fR"
    print esc(text) "; see"
    print ".BR \\%" esc("diffgeo-" name) " (1)."
    next
}
is_option($0) {
    flush()
    start_options()
    optcol = indent($0)
    line = substr($0, optcol + 1)
    if (match(line, /   *[^ ]/)) {
        tag = substr(line, 1, RSTART - 1)
        desc = substr(line, RSTART + RLENGTH - 1)
        desccol = optcol + RSTART + RLENGTH - 2
    } else {
        tag = line; desc = ""; desccol = optcol + 8
    }
    # a line of several short options ("--sigma-max S  [80]  --rho R"): all tag
    if (desc ~ /  +--?[A-Za-z]/) {
        tag = line; gsub(/\]   */, "], ", tag); gsub(/   */, " ", tag); desc = ""
    }
    print ".TP"
    # the option names bold, their arguments as they are
    n = split(tag, t, " "); out = ""
    for (i = 1; i <= n; i++) {
        w = esc(t[i])
        if (t[i] ~ /^-/) w = "\\fB" w "\\fR"
        out = out (i > 1 ? " " : "") w
    }
    print out
    if (desc != "") print esc(desc)
    inopt = 1
    next
}
inopt && indent($0) > optcol {
    rel = indent($0) - desccol
    s = $0; sub(/^ +/, "", s)
    pad = ""; for (i = 0; i < rel; i++) pad = pad "\\ "
    print ".br"
    print pad esc(s)
    next
}
{ inopt = 0; buf[++nbuf] = $0 }
END {
    flush()
    print ".SH SEE ALSO"
    print ENVIRON["DG_SEEALSO"]
    print ".PP"
    print "The science behind the numbers:"
    print ".BR diffgeo (7),"
    print "made from doc/theory.md of the source tree."
}'
