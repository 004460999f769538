/* dg_metric_table: the arrays of /metrics, their shapes and texts, in one table. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dg_metrics.h"

/* Units of the arrays. */
static const char DATA_UNITS[] = "data units";
static const char NO_UNITS[] = "1";
static const char NATS[] = "nats";

/* Axes of the arrays. */
static const char GRID_SAMPLE[] = "grid sample";
static const char EVAL_SAMPLE[] = "eval sample";

const dg_metric_info dg_metric_infos[] = {
    /* Of the run alone. */
    {"deviation", GRID_SAMPLE, DATA_UNITS, "distance of x_i from the line through x_0 and x_T",
     NULL, "distance of x_i from the line through x_0 and x_T (0 at both ends)", false},
    {"deviation_denoised", EVAL_SAMPLE, DATA_UNITS,
     "distance of D(x_i; s_i) from the line through D_0 and D_{T-1}", NULL,
     "the same for D_i = D(x_i; σ_i), on the line D_0 → D_{T−1}", false},
    {"distance_to_end", GRID_SAMPLE, DATA_UNITS, "||x_i - x_T||", NULL, "‖x_i − x_T‖", false},
    {"distance_to_end_denoised", EVAL_SAMPLE, DATA_UNITS, "||D(x_i; s_i) - D_{T-1}||", NULL,
     "‖D_i − D_{T−1}‖", false},
    {"chord", "sample", DATA_UNITS, "||x_T - x_0||, the chord length", NULL, "‖x_T − x_0‖", false},
    {"norm_x", GRID_SAMPLE, DATA_UNITS, "||x_i||", NULL, "‖x_i‖", false},
    {"norm_denoised", EVAL_SAMPLE, DATA_UNITS, "||D(x_i; s_i)||", NULL, "‖D_i‖", false},
    {"norm_d", EVAL_SAMPLE, NO_UNITS, "||d_i||, d_i = (x_i - D_i)/s_i, the slope of the ODE",
     "x_T has no evaluation, hence no d: the array has T rows",
     "‖d_i‖, d_i = (x_i − D_i)/σ_i (none at x_T)", false},
    {"cosine", EVAL_SAMPLE, NO_UNITS, "cos(d_i, x_i - x_T) with d_i = (x_i - D_i)/s_i", NULL,
     "cos(d_i, x_i − x_T)", false},
    {"pca2_error", GRID_SAMPLE, NO_UNITS,
     "||x_i - x~_i||/||x_i||, x~ the projection on the top 2 principal components of the "
     "sample's T+1 points (centred)",
     NULL,
     "‖x_i − x̃_i‖/‖x_i‖, x̃ the projection on the top two principal components of the "
     "sample's T+1 points (centred)",
     false},
    {"coords3d", "grid sample coord", DATA_UNITS,
     "(a, b, c): a = (x_i - x_0).u, u = (x_T - x_0)/||x_T - x_0||; b, c on the top 2 principal "
     "directions of the off-chord parts (about the chord, not centred), each signed so that its "
     "largest |coordinate| is positive",
     NULL,
     "the 3-D view (a, b, c): a = (x_i − x_0)·u along u = (x_T − x_0)/‖x_T − x_0‖; b, c on the "
     "top two principal directions of the off-chord parts (about the chord, not centred)",
     false},
    {"curvature", GRID_SAMPLE, "1/data units",
     "curvature |r' x r''|/|r'|^3 of coords3d from a local cubic least-squares fit in arc "
     "length; NaN where the window does not fit",
     NULL,
     "κ of that 3-D curve from a local cubic least-squares fit in arc length over --window "
     "points; NaN where the window does not fit (the first and last (W−1)/2 points) or the fit "
     "is degenerate",
     false},
    {"torsion", GRID_SAMPLE, "1/data units",
     "torsion (r' x r'').r'''/|r' x r''|^2 of coords3d from a local cubic least-squares fit in "
     "arc length; NaN where the window does not fit or r' x r'' = 0",
     NULL, "τ of that 3-D curve from the same fit; NaN where κ is, or where the window is straight",
     false},
    /* Against the exact empirical denoiser D* of reference data. */
    {"distance_to_optimal", GRID_SAMPLE, DATA_UNITS,
     "||x_i - x*_i||, x* integrated from x_0 on /sigmas with D* in place of the run's denoiser",
     NULL,
     "‖x_i − x*_i‖, x* the trajectory from the same x_0 on the same σ grid with D* in place "
     "of the run's denoiser, by the run's solver (/config; euler when the file names none, "
     "said in 'note')",
     true},
    {"denoised_vs_optimal", EVAL_SAMPLE, DATA_UNITS, "||D_i - D*(x*_i; s_i)||", NULL,
     "‖D_i − D*(x*_i; σ_i)‖", true},
    {"score_deviation", EVAL_SAMPLE, DATA_UNITS,
     "||D_i - D*(x_i; s_i)||, the score deviation along the run", NULL,
     "‖D_i − D*(x_i; σ_i)‖ along the run", true},
    {"optimal_self", EVAL_SAMPLE, DATA_UNITS,
     "||D(x*_i; s_i) - D*(x*_i; s_i)||, D the run's own denoiser (re-created from /config/data "
     "'{data}', limit {limit})",
     NULL,
     "‖D(x*_i; σ_i) − D*(x*_i; σ_i)‖ with the run's own denoiser: only for runs of 'diffgeo "
     "sample' whose /config/data (and limit) re-create it, or whose fitted denoiser (gaussian, "
     "gmm-fit:K) is stored under /fit, and that reproduce /denoised; otherwise not written (an "
     "older one is removed) and 'note' of score_deviation says why",
     true},
    {"nn_distance", "sample", DATA_UNITS,
     "distance of x_T to its nearest reference point (exact differences)", NULL,
     "distance of x_T to its nearest reference point", true},
    {"nn_distance_ratio", "sample", NO_UNITS,
     "nn_distance/(s_min sqrt(d)), s_min = {s_min} the smallest positive s of the grid", NULL,
     "nn_distance/(σ_min √d), σ_min the smallest positive σ (memorisation: about 1)", true},
    {"kde_loglik_before", EVAL_SAMPLE, NATS,
     "log p^_h(x_i), h = s_i, p^_h = (1/N) sum_j N(y_j, h^2 I) the Gaussian KDE of the "
     "reference data",
     NULL,
     "log p̂_h(x_i), h = σ_i, the Gaussian KDE of the reference data (nats, normalised "
     "density)",
     true},
    {"kde_loglik_after", EVAL_SAMPLE, NATS,
     "log p^_h(x_{i+1}), the same h = s_i as kde_loglik_before", NULL,
     "log p̂_h(x_{i+1}), the same h = σ_i", true},
    {"kde_gain_bound", EVAL_SAMPLE, NATS,
     "lambda(2 - lambda)||D*(x_i) - x_i||^2/(2 s_i^2), lambda = 1 - s_{i+1}/s_i: the least "
     "gain of log p^_h for an Euler step with D* (doc/theory.md section 3)",
     NULL,
     "λ(2−λ)‖D*(x_i) − x_i‖²/(2σ_i²) with λ = 1 − σ_{i+1}/σ_i: the least gain of an Euler "
     "step with D* (doc/theory.md §3)",
     true},
    {"kde_violations", "eval", "count",
     "samples with kde_loglik_after < kde_loglik_before in step i", NULL,
     "samples whose log-likelihood fell in step i", true},
    {NULL, NULL, NULL, NULL, NULL, NULL, false},
};

const dg_metric_info *dg_metric_info_find(const char *name)
{
    for (const dg_metric_info *m = dg_metric_infos; m->name; m++)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

/* The axis words and their extents in a shape text, in the order of the enum. */
enum { AXIS_GRID, AXIS_EVAL, AXIS_SAMPLE, AXIS_COORD, AXIS_WORDS_COUNT };
static const struct {
    const char *word, *text;
} AXIS_WORDS[AXIS_WORDS_COUNT] = {{"grid", "T+1"}, {"eval", "T"}, {"sample", "n"}, {"coord", "3"}};

/* The axis words of m in order, as indices into AXIS_WORDS; returns the rank. */
static size_t axis_words(const dg_metric_info *m, int words[DG_METRIC_RANK_MAX])
{
    size_t rank = 0;
    for (const char *p = m->axes; *p && rank < DG_METRIC_RANK_MAX;) {
        const size_t len = strcspn(p, " ");
        for (int k = 0; k < AXIS_WORDS_COUNT; k++)
            if (strlen(AXIS_WORDS[k].word) == len && strncmp(p, AXIS_WORDS[k].word, len) == 0)
                words[rank++] = k;
        p += len + (p[len] == ' ');
    }
    return rank;
}

size_t dg_metric_shape(const dg_metric_info *m, size_t T, size_t n,
                       size_t shape[DG_METRIC_RANK_MAX])
{
    int words[DG_METRIC_RANK_MAX];
    const size_t rank = axis_words(m, words);
    for (size_t k = 0; k < rank; k++) {
        const size_t extent[AXIS_WORDS_COUNT] = {T + 1, T, n, 3};
        shape[k] = extent[words[k]];
    }
    return rank;
}

size_t dg_metric_shape_text(const dg_metric_info *m, char *out, size_t size)
{
    int words[DG_METRIC_RANK_MAX];
    const size_t rank = axis_words(m, words);
    size_t len = 0;
    if (size)
        out[0] = '\0';
    for (size_t k = 0; k < rank; k++) {
        const int used = snprintf(out + (len < size ? len : size), len < size ? size - len : 0,
                                  "[%s]", AXIS_WORDS[words[k]].text);
        len += used > 0 ? (size_t)used : 0;
    }
    return len;
}

/* Appends the value of the field at p ("{s_min}" ...) to out; returns the field's length in
 * the description, or 0 if p starts no field. */
static size_t append_field(const char *p, const dg_metric_values *v, char *out, size_t size,
                           size_t *len)
{
    static const char *const fields[] = {"{s_min}", "{data}", "{limit}"};
    for (int k = 0; v && k < 3; k++) {
        const size_t flen = strlen(fields[k]);
        if (strncmp(p, fields[k], flen) != 0)
            continue;
        char *at = out + (*len < size ? *len : size);
        const size_t room = *len < size ? size - *len : 0;
        const int used = k == 0   ? snprintf(at, room, "%.17g", v->sigma_min)
                         : k == 1 ? snprintf(at, room, "%s", v->data ? v->data : "")
                                  : snprintf(at, room, "%zu", v->limit);
        *len += used > 0 ? (size_t)used : 0;
        return flen;
    }
    return 0;
}

size_t dg_metric_describe(const dg_metric_info *m, const dg_metric_values *v, char *out,
                          size_t size)
{
    size_t len = 0;
    for (const char *p = m->description; *p;) {
        const size_t field = *p == '{' ? append_field(p, v, out, size, &len) : 0;
        if (field) {
            p += field;
            continue;
        }
        if (len + 1 < size)
            out[len] = *p;
        len++;
        p++;
    }
    if (size)
        out[len < size ? len : size - 1] = '\0';
    return len;
}
