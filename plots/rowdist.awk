# rowdist.awk: Euclidean distances between the rows of `diffgeo table` blocks (n × d matrices:
# one row per sample, e.g. /samples or /denoised --slice I), printed as a matrix that reads like
# a `diffgeo table` matrix (and so feeds rowstats.awk).
#
#   { diffgeo table RUN /samples; for i in 0 1 2; do diffgeo table RUN /denoised --slice $i; done; } |
#       awk -f rowdist.awk -v mode=ref
#
# mode=ref (default)  the first block R is the reference; each further block B_k prints the line
#                     "k ‖B_k[0] − R[0]‖ ‖B_k[1] − R[1]‖ ..."
# mode=pairs          blocks come in pairs (X_k, Y_k); line k holds ‖X_k[j] − Y_k[j]‖
# Every block starts with its '# ' header line; its first column (the row index) is skipped.
# Output: '# index c0 c1 ...', then one line per output row.
BEGIN {
    if (mode == "") mode = "ref"
    if (mode != "ref" && mode != "pairs") {
        print "rowdist.awk: unknown mode '" mode "'" > "/dev/stderr"; bad = 1; exit 1
    }
    block = -1
}
function flush() {
    if (block < 0 || !is_output) return
    if (!header) {
        printf "# index"
        for (j = 0; j < nrow; j++) printf " c%d", j
        printf "\n"
        header = 1
    }
    printf "%d", k_out
    for (j = 0; j < nrow; j++) printf " %.17g", sqrt(acc[j])
    printf "\n"
    k_out++
}
/^#/ {
    flush()
    block++
    # ref: block 0 is the reference; pairs: even blocks are X_k, odd blocks Y_k
    is_ref = (mode == "ref") ? (block == 0) : (block % 2 == 0)
    is_output = !is_ref
    nrow = 0
    next
}
{
    r = nrow++
    if (is_ref) {
        for (c = 2; c <= NF; c++) ref[r, c] = $c
        width[r] = NF
    } else {
        if (NF != width[r]) {
            print "rowdist.awk: block " block " row " r " has " NF - 1 " values, its reference " \
                  width[r] - 1 > "/dev/stderr"
            bad = 1; exit 1
        }
        s = 0
        for (c = 2; c <= NF; c++) { t = $c - ref[r, c]; s += t * t }
        acc[r] = s
    }
}
END {
    if (bad) exit 1
    flush()
    if (!header) { print "rowdist.awk: no block to compare" > "/dev/stderr"; exit 1 }
}
