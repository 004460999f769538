# paired.awk: paired statistics of two rows of a matrix as rowdist.awk prints it (one row per
# method, one column per start), for two methods run from the same starts.
#
#   ... | awk -f rowdist.awk | awk -f paired.awk -v a=0 -v b=1
#
# Per start j the difference v_a[j] − v_b[j] (e.g. error of method a minus error of method b).
# Prints one line "mean se a_lower b_lower ties n": the mean difference over the n starts, its
# standard error (sample std with n − 1, over √n), the number of starts where row a is lower,
# where row b is lower, and where they are equal.  Pairing removes the spread that the starts
# share (a hard start is hard for both methods), which the two unpaired stds keep.
BEGIN {
    if (a == "" || b == "") {
        print "paired.awk: set -v a=ROW -v b=ROW" > "/dev/stderr"; bad = 1; exit 1
    }
}
/^#/ { next }
$1 == a + 0 { for (c = 2; c <= NF; c++) va[c] = $c; na = NF }
$1 == b + 0 { for (c = 2; c <= NF; c++) vb[c] = $c; nb = NF }
END {
    if (bad) exit 1
    if (!na || na != nb) {
        print "paired.awk: rows " a " and " b " missing or of different lengths" > "/dev/stderr"; exit 1
    }
    n = na - 1
    for (c = 2; c <= na; c++) {
        d = va[c] - vb[c]; s += d
        if (d < 0) lo_a++; else if (d > 0) lo_b++; else tie++
        diff[c] = d
    }
    mean = s / n
    for (c = 2; c <= na; c++) ss += (diff[c] - mean) ^ 2
    se = n > 1 ? sqrt(ss / (n - 1) / n) : 0
    printf "%.17g %.17g %d %d %d %d\n", mean, se, lo_a, lo_b, tie, n
}
