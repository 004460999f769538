/* dg_dataset: datasets and the rows a loader keeps. */
#include "config.h"

#include "dg_dataset.h"

#include <stdlib.h>

#include "dg_comm.h"
#include "dg_tensor.h"

dg_dataset *dg_dataset_alloc(size_t n, size_t dim)
{
    dg_dataset *data = calloc(1, sizeof *data);
    if (!data)
        return NULL;
    data->x = dg_doubles_alloc(n, dim);
    if (!data->x) {
        free(data);
        return NULL;
    }
    data->n = n;
    data->total = n;
    data->dim = dim;
    return data;
}

void dg_dataset_free(dg_dataset *data)
{
    if (!data)
        return;
    dg_doubles_free(data->x);
    free(data);
}

void dg_dataset_set_image_shape(dg_dataset *data, size_t rank, const size_t *shape)
{
    if (rank < 3 || rank - 1 > DG_IMAGE_RANK_MAX)
        return;
    data->image_rank = rank - 1;
    for (size_t k = 1; k < rank; k++)
        data->image_shape[k - 1] = shape[k];
}

int dg_data_check_dim(const dg_data_options *opt, size_t dim, const char *what, dg_error *err)
{
    if (!opt || !opt->want_dim || opt->want_dim == dim)
        return DG_OK;
    return dg_error_set(err, DG_EFORMAT, "%s: rows of dimension %zu, %zu wanted", what, dim,
                        opt->want_dim);
}

int dg_dataset_alloc_wanted(const dg_data_options *opt, size_t n, size_t dim, const char *what,
                            dg_dataset **out, dg_error *err)
{
    size_t total, first, count;
    *out = NULL;
    const int status = dg_data_check_dim(opt, dim, what, err);
    if (status != DG_OK)
        return status;
    dg_data_wanted(opt, n, &total, &first, &count);
    *out = dg_dataset_alloc(count, dim);
    if (!*out)
        return dg_error_set(err, DG_ENOMEM, "%s: cannot allocate %zu × %zu doubles", what, count,
                            dim);
    (*out)->total = total;
    (*out)->first = first;
    return DG_OK;
}

void dg_data_wanted(const dg_data_options *opt, size_t n, size_t *total, size_t *first,
                    size_t *count)
{
    *total = opt && opt->limit && opt->limit < n ? opt->limit : n;
    *first = 0;
    *count = *total;
    if (opt && opt->shard_parts > 1)
        dg_data_shard(*total, opt->shard_align ? opt->shard_align : 1, opt->shard_parts,
                      opt->shard_index, first, count);
}
