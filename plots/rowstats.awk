# rowstats.awk: per-sample quantities derived from a `diffgeo table` matrix, reduced over the
# samples or printed per sample.  For the plot scripts and the experiment scripts.
#
#   { diffgeo table RUN /sigmas; diffgeo table RUN /metrics/X; } | awk -f rowstats.awk -v op=OP
#
# Input: tables exactly as `diffgeo table` prints them, each starting with its '# ' line:
#   1. /sigmas (index value)                          (left out with -v sigma=0)
#   2. a matrix M (index c0 c1 ...): one row per grid index i, one column per sample j
#   3. with op=bycol only: a vector V (index value), one value per sample
# Variables:
#   op     value      v = M[i][j]
#          bysigma    v = M[i][j] / sigma_i
#          byrow0     v = M[i][j] / M[0][j]       (relative to the first row)
#          bycol      v = M[i][j] / V[j]          (e.g. deviation / chord)
#          stepratio  v = M[i+1][j] / M[i][j]     (printed on row i; < 1: it decreased)
#   scale  multiplies v (default 1)
#   out    reduce (default): '# index sigma mean std min max count', the statistics over the
#          samples (std in the population form of `diffgeo table --reduce`);
#          matrix: '# index sigma v0 v1 ...', one value per sample (NaN where undefined)
#   sigma  1 (default): table 1 is /sigmas; 0: no sigma table and no sigma column
#   below  with out=reduce: one more column, the number of samples with v < below
# A sample whose divisor is 0 has no value at that row (a distance 0 to itself); a row with
# no value at all is left out of the reduced output.
BEGIN {
    if (op == "") op = "value"
    if (scale == "") scale = 1
    if (out == "") out = "reduce"
    if (sigma == "") sigma = 1
    if (op != "value" && op != "bysigma" && op != "byrow0" && op != "bycol" && op != "stepratio") {
        print "rowstats.awk: unknown op '" op "'" > "/dev/stderr"; bad = 1; exit 1
    }
    if (op == "bysigma" && !sigma) {
        print "rowstats.awk: op=bysigma needs the sigma table" > "/dev/stderr"; bad = 1; exit 1
    }
    part = sigma ? -1 : 0      # after its header: 0 sigmas, 1 matrix, 2 vector
}
/^#/ { part++; next }
part == 0 { sig[$1] = $2; next }
part == 1 {
    i = $1 + 0
    if (i + 1 > rows) rows = i + 1
    cols = NF - 1
    for (j = 0; j < cols; j++) m[i, j] = $(j + 2)
    next
}
part == 2 { vec[$1 + 0] = $2; next }
function value(i, j,    a, b) {
    if (op == "value") return m[i, j]
    if (op == "bysigma") { b = sig[i]; a = m[i, j] }
    else if (op == "byrow0") { b = m[0, j]; a = m[i, j] }
    else if (op == "bycol") { b = vec[j]; a = m[i, j] }
    else { b = m[i, j]; a = m[i + 1, j] }
    if (b == 0) return "NaN"
    return a / b
}
END {
    if (bad) exit 1
    if (part < (op == "bycol" ? 2 : 1) || rows == 0) {
        print "rowstats.awk: missing input tables" > "/dev/stderr"; exit 1
    }
    last = (op == "stepratio") ? rows - 2 : rows - 1
    if (out == "matrix") {
        printf "# index%s", sigma ? " sigma" : ""
        for (j = 0; j < cols; j++) printf " v%d", j
        printf "\n"
    } else
        printf "# index%s mean std min max count%s\n", sigma ? " sigma" : "", below != "" ? " below" : ""
    for (i = 0; i <= last; i++) {
        n = 0; s = 0; nb = 0
        for (j = 0; j < cols; j++) {
            v = value(i, j)
            w[j] = v
            if (v == "NaN") continue
            v *= scale; w[j] = v
            if (n == 0 || v < lo) lo = v
            if (n == 0 || v > hi) hi = v
            s += v; n++
            if (below != "" && v < below + 0) nb++
        }
        if (out == "matrix") {
            printf "%d", i
            if (sigma) printf " %.17g", sig[i]
            for (j = 0; j < cols; j++) printf(w[j] == "NaN" ? " %s" : " %.17g", w[j])
            printf "\n"
            continue
        }
        if (n == 0) continue
        mean = s / n; ss = 0
        for (j = 0; j < cols; j++) if (w[j] != "NaN") ss += (w[j] - mean) ^ 2
        printf "%d", i
        if (sigma) printf " %.17g", sig[i]
        printf " %.17g %.17g %.17g %.17g %d", mean, sqrt(ss / n), lo, hi, n
        if (below != "") printf " %d", nb
        printf "\n"
    }
}
