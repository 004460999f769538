/* dg_source: the --data grammar, rows (dg_data) and mixtures (dg_gmm), as one table. */
#include "config.h"

#include "dg_source.h"

#include <limits.h>
#include <string.h>

#include "dg_h5.h"

/* A loader of mixtures: rest is what follows the form's prefix (dg_spec_form_matches). */
typedef int (*mixture_loader)(const dg_spec_form *form, const char *spec, const char *rest,
                              const dg_data_options *opt, dg_gmm **out, dg_error *err);

/* dg_gmm_load_group as a dg_h5_reader, for dg_h5_isolated. */
typedef struct gmm_file {
    const char *path, *group;
    dg_gmm **out;
} gmm_file;

static int read_gmm_file(void *ctx, dg_error *err)
{
    const gmm_file *f = ctx;
    return dg_gmm_load_group(f->path, f->group, f->out, err);
}

static int load_gmm_file(const dg_spec_form *form, const char *spec, const char *rest,
                         const dg_data_options *opt, dg_gmm **out, dg_error *err)
{
    char path[PATH_MAX];
    const char *group;
    if (dg_spec_split(rest, ":/", path, sizeof path, &group) != DG_OK)
        return dg_error_set(err, DG_EINVAL, "bad data spec '%s': expected %s", spec, form->syntax);
    gmm_file file = {path, group ? group : "", out};
    if (opt && opt->isolate_hdf5)
        return dg_h5_isolated(path, read_gmm_file, &file, err);
    return read_gmm_file(&file, err);
}

static int load_builtin(const dg_spec_form *form, const char *spec, const char *rest,
                        const dg_data_options *opt, dg_gmm **out, dg_error *err)
{
    (void)rest, (void)opt;
    return dg_gmm_synthetic(spec + strlen(form->prefix), out, err);
}

/* The distributions, after the rows of dg_data_spec. */
static const struct mixture_spec {
    dg_spec_form form;
    mixture_loader load;
} mixture_specs[] = {
    {{"gmm:", NULL, 0, "gmm:FILE[:/group]", "a Gaussian mixture file: /weights, /means, /covs"},
     load_gmm_file},
    {{"synthetic:", dg_gmm_synthetic_name, ',', "synthetic:NAME[,key=value...]",
      "a built-in mixture, with keys of its own"},
     load_builtin},
};
#define NMIXTURE_SPECS (sizeof mixture_specs / sizeof mixture_specs[0])

/* The number of row forms. */
static size_t row_forms(void)
{
    size_t n = 0;
    while (dg_data_spec(n))
        n++;
    return n;
}

const dg_spec_form *dg_source_at(size_t i, dg_source_kind *kind)
{
    const dg_spec_form *form = dg_data_spec(i);
    dg_source_kind k = DG_SOURCE_ROWS;
    if (!form) {
        const size_t m = i - row_forms();
        if (m >= NMIXTURE_SPECS)
            return NULL;
        form = &mixture_specs[m].form;
        k = DG_SOURCE_MIXTURE;
    }
    if (kind)
        *kind = k;
    return form;
}

const dg_spec_form *dg_source_find(const char *spec, dg_source_kind *kind)
{
    dg_source_kind k;
    for (size_t i = 0; dg_source_at(i, &k); i++)
        if (dg_spec_form_matches(dg_source_at(i, NULL), spec, NULL)) {
            if (kind)
                *kind = k;
            return dg_source_at(i, NULL);
        }
    return NULL;
}

size_t dg_source_list(unsigned kinds, dg_spec_style style, const char *within, char *text,
                      size_t size)
{
    size_t len = 0;
    dg_source_kind k;
    if (size > 0)
        text[0] = '\0';
    for (size_t i = 0; dg_source_at(i, &k); i++)
        if (kinds & k)
            dg_spec_form_write(dg_source_at(i, NULL), style, within, text, size, &len);
    return len;
}

/* DG_EUNKNOWN for a spec of no form, with the forms it could have had. */
static int unknown_spec(const char *spec, dg_error *err)
{
    static const char synthetic[] = "synthetic:";
    char list[DG_SPEC_LIST_MAX];
    const unsigned all = DG_SOURCE_ROWS | DG_SOURCE_MIXTURE;
    if (strncmp(spec, synthetic, strlen(synthetic)) == 0) {
        dg_source_list(all, DG_SPEC_SHORT, synthetic, list, sizeof list);
        return dg_error_set(err, DG_EUNKNOWN, "unknown synthetic distribution '%s' (%s)",
                            spec + strlen(synthetic), list);
    }
    dg_source_list(all, DG_SPEC_SHORT, NULL, list, sizeof list);
    return dg_error_set(err, DG_EUNKNOWN, "unknown data spec '%s' (%s)", spec, list);
}

int dg_source_load(const char *spec, const dg_data_options *opt, dg_dataset **rows,
                   dg_gmm **mixture, dg_error *err)
{
    *rows = NULL;
    *mixture = NULL;
    if (dg_data_spec_find(spec))
        return dg_data_load(spec, opt, rows, err);
    for (size_t i = 0; i < NMIXTURE_SPECS; i++) {
        const dg_spec_form *form = &mixture_specs[i].form;
        const char *rest;
        if (dg_spec_form_matches(form, spec, &rest))
            return mixture_specs[i].load(form, spec, rest, opt, mixture, err);
    }
    return unknown_spec(spec, err);
}
