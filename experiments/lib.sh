# experiments/lib.sh: what every experiment script shares (sourced, POSIX sh).
#
#   script_dir=$(cd "$(dirname "$0")" && pwd)
#   . "$script_dir/lib.sh"
#   dg_setup "$@"
#
# dg_setup parses `[--quick] [OUTDIR]`, finds the tools and chooses the data.  It sets
#   prog        the script's name, for messages
#   quick       1 with --quick, else 0
#   outdir      OUTDIR (default results), created
#   plots_dir   the gnuplot scripts (plots/ beside experiments/)
#   DIFFGEO     the tool: $DIFFGEO if set, else ../diffgeo beside this directory (the build
#               tree), else diffgeo on PATH
#   GNUPLOT     $GNUPLOT or gnuplot
#   data        the main data set: fashion-mnist when the Debian package dataset-fashion-mnist
#               is installed (directory $DIFFGEO_FASHION_MNIST, default
#               /usr/share/datasets/fashion-mnist), else synthetic:gmm,d=784 (note on stderr)
#   sets        "main", plus "cifar10" when DIFFGEO_CIFAR10 names the directory of the CIFAR-10
#               binary version (data_batch_1.bin ... data_batch_5.bin)
#   limit       "--limit 3000" with --quick, else empty (use it unquoted: zero or two words)
# and removes the temporary files of dg_draw on exit.
#
# The variables above are set for the sourcing script, script_dir by it:
# shellcheck shell=sh disable=SC2034,SC2154

dg_usage() {
    echo "usage: $0 [--quick] [OUTDIR]  (default OUTDIR: results)"
}

dg_die() {
    echo "$prog: $*" >&2
    exit 1
}

dg_setup() {
    prog=$(basename "$0")
    quick=0
    outdir=
    while [ $# -gt 0 ]; do
        case $1 in
            --quick) quick=1 ;;
            -h|--help) dg_usage; exit 0 ;;
            --) shift; [ $# -gt 0 ] && { outdir=$1; shift; }; break ;;
            -*) echo "$prog: unknown option '$1'" >&2; dg_usage >&2; exit 2 ;;
            *) [ -z "$outdir" ] || { echo "$prog: more than one OUTDIR" >&2; dg_usage >&2; exit 2; }
               outdir=$1 ;;
        esac
        shift
    done
    [ $# -eq 0 ] || { echo "$prog: unexpected argument '$1'" >&2; dg_usage >&2; exit 2; }
    outdir=${outdir:-results}

    plots_dir=$script_dir/../plots
    if [ -z "${DIFFGEO:-}" ]; then
        if [ -x "$script_dir/../diffgeo" ]; then
            DIFFGEO=$script_dir/../diffgeo
        else
            DIFFGEO=diffgeo
        fi
    fi
    command -v "$DIFFGEO" >/dev/null 2>&1 ||
        dg_die "cannot run the diffgeo tool '$DIFFGEO' (build it, put it on PATH or set DIFFGEO)"
    GNUPLOT=${GNUPLOT:-gnuplot}
    command -v "$GNUPLOT" >/dev/null 2>&1 ||
        dg_die "gnuplot is missing: install it (Debian: apt-get install gnuplot-nox) or set GNUPLOT"

    fmnist_dir=${DIFFGEO_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
    if [ -r "$fmnist_dir/train-images-idx3-ubyte.gz" ]; then
        if [ -n "${DIFFGEO_FASHION_MNIST:-}" ]; then
            data=idx:$fmnist_dir/train-images-idx3-ubyte.gz
        else
            data=fashion-mnist
        fi
    else
        data=synthetic:gmm,d=784
        echo "$prog: Fashion-MNIST not found ($fmnist_dir; Debian package" \
             "dataset-fashion-mnist): using the synthetic mixture $data instead" >&2
    fi
    sets=main
    if [ -n "${DIFFGEO_CIFAR10:-}" ]; then
        [ -r "$DIFFGEO_CIFAR10/data_batch_1.bin" ] ||
            dg_die "DIFFGEO_CIFAR10=$DIFFGEO_CIFAR10 holds no data_batch_1.bin (the CIFAR-10 binary version)"
        sets="main cifar10"
    fi
    limit=
    [ "$quick" -eq 0 ] || limit="--limit 3000"

    mkdir -p "$outdir"
    dg_log=$(mktemp "${TMPDIR:-/tmp}/$prog.XXXXXX")
    trap 'rm -f "$dg_log"' EXIT
    trap 'exit 130' INT TERM
    dg_t0=$(date +%s)
}

# dg_size QUICK FULL: the value for the current size
dg_size() {
    if [ "$quick" -eq 1 ]; then echo "$1"; else echo "$2"; fi
}

# dg_spec SET: the data spec of a set of $sets
dg_spec() {
    case $1 in
        main) echo "$data" ;;
        cifar10) echo "cifar10:$DIFFGEO_CIFAR10" ;;
        *) dg_die "unknown data set '$1'" ;;
    esac
}

# dg_tag SET: the file-name part of a set ("" for the main set, "-cifar10")
dg_tag() {
    case $1 in
        main) echo "" ;;
        *) echo "-$1" ;;
    esac
}

# dg_name SET: a short name of a set for the printed numbers
dg_name() {
    case $1 in
        main) echo "$data${limit:+, first ${limit#--limit } rows}" ;;
        *) echo "$1${limit:+, first ${limit#--limit } rows}" ;;
    esac
}

# dg DIFFGEO-ARGS...: run the tool, saying what runs
dg() {
    echo "$prog: diffgeo $*" >&2
    "$DIFFGEO" "$@"
}

# dg_sample SET RUN.h5 N SAMPLE-OPTIONS...: `diffgeo sample` of N trajectories on the data of
# SET (with $limit), quietly
dg_sample() {
    dg_set=$1; dg_out=$2; dg_n=$3; shift 3
    # $limit is empty or two words: unquoted on purpose
    # shellcheck disable=SC2086
    dg sample --data "$(dg_spec "$dg_set")" $limit -n "$dg_n" "$@" -q -o "$dg_out"
}

# dg_paper_runs SET BASE N: the two runs of the authors' settings, N trajectories from the
# same starts (seed 0) on EDM's rho = 7 grid from sigma = 80 to 0.002, each with /metrics:
#   BASE-euler21.h5   Euler, 21 timestamps (the authors' notebook)
#   BASE-heun18.h5    Heun, 18 timestamps (EDM's sampler, without the sigma = 0 step)
dg_paper_runs() {
    dg_sample "$1" "$2-euler21.h5" "$3" --solver euler --steps 21
    dg_sample "$1" "$2-heun18.h5" "$3" --solver heun --steps 18
    dg analyze "$2-euler21.h5"
    dg analyze "$2-heun18.h5"
}
dg_paper="euler21 heun18"

# dg_paper_label RUN: the figure label of euler21 or heun18
dg_paper_label() {
    case $1 in
        euler21) echo "Euler, 21 timestamps" ;;
        heun18) echo "Heun, 18 timestamps" ;;
        *) dg_die "unknown run '$1'" ;;
    esac
}

# dg_draw SCRIPT ARGS...: run plots/SCRIPT; gnuplot's output is shown only when it fails
dg_draw() {
    dg_script=$1; shift
    [ -r "$plots_dir/$dg_script" ] || dg_die "cannot find the plot script $plots_dir/$dg_script"
    echo "$prog: drawing $dg_script" >&2
    if ! "$GNUPLOT" -c "$plots_dir/$dg_script" "$@" >"$dg_log" 2>&1; then
        cat "$dg_log" >&2
        dg_die "gnuplot script $dg_script failed"
    fi
}

# dg_wrote FILE...: list the files written (each must exist and be non-empty)
dg_wrote() {
    echo "wrote:"
    for f in "$@"; do
        [ -s "$f" ] || dg_die "$f was not written"
        echo "  $f"
    done
}

# dg_elapsed: the run time since dg_setup
dg_elapsed() {
    if [ "$quick" -eq 1 ]; then dg_mode=" --quick"; else dg_mode=; fi
    echo "  ($prog$dg_mode: $(($(date +%s) - dg_t0)) s)"
}

# dg_awk SCRIPT ARGS...: run plots/SCRIPT.awk (rowstats, rowdist)
dg_awk() {
    dg_awk_script=$1; shift
    awk -f "$plots_dir/$dg_awk_script.awk" "$@"
}

# dg_cfg RUN KEY: a /config attribute of a run file (its first word)
dg_cfg() {
    "$DIFFGEO" info "$1" | awk -v k="$2" '$1 == k { print $2; exit }'
}

# dg_colmax: from a matrix of rowstats.awk (out=matrix: index sigma v0 v1 ...), the largest
# value of each sample (column) over the grid; prints "mean largest smallest count" of these
# per-sample maxima (NaN entries are skipped)
dg_colmax() {
    awk '/^#/ { next }
        { for (j = 3; j <= NF; j++) if ($j != "NaN" && (!(j in mx) || $j + 0 > mx[j])) mx[j] = $j + 0 }
        END {
            for (j in mx) { s += mx[j]; c++; if (c == 1 || mx[j] > hi) hi = mx[j]; if (c == 1 || mx[j] < lo) lo = mx[j] }
            if (c) printf "%.17g %.17g %.17g %d\n", s / c, hi, lo, c
        }'
}

# dg_colfirst THRESHOLD: from a matrix of rowstats.awk (out=matrix: index sigma v0 v1 ...), the
# first grid index at which each sample (column) is below THRESHOLD; prints
# "median-index sigma-there smallest-index largest-index samples-that-got-there samples"
dg_colfirst() {
    awk -v thr="$1" '/^#/ { next }
        { sig[$1] = $2; for (j = 3; j <= NF; j++) { ncol = NF - 2; if (!(j in first) && $j != "NaN" && $j + 0 < thr) first[j] = $1 } }
        END {
            for (j in first) v[c++] = first[j]
            for (a = 1; a < c; a++) for (b = a; b > 0 && v[b - 1] > v[b]; b--) { t = v[b]; v[b] = v[b - 1]; v[b - 1] = t }
            if (c) printf "%d %.6g %d %d %d %d\n", v[int((c - 1) / 2)], sig[v[int((c - 1) / 2)]], v[0], v[c - 1], c, ncol
            else printf "NaN NaN NaN NaN 0 %d\n", ncol
        }'
}

# dg_rms RUN RMS: RMS·√d for the dimension d of RUN, the length of a difference of RMS per pixel
dg_rms() {
    awk -v r="$2" -v d="$(dg_cfg "$1" dim)" 'BEGIN { printf "%.6g", r * sqrt(d) }'
}
