/*
 * Fuzz target: NumPy .npy files, through the pure header parser
 * dg_npy_parse_header (whose result is checked against the buffer) and the
 * loader dg_data_load("npy:PATH").
 */
#include "config.h"

#include "dg_data_formats.h"
#include "fuzz.h"

/* A parsed header describes data that lie within the file. */
static void check_header(const dg_npy_header *h, size_t size)
{
    if (h->rank < 2 || h->rank > DG_NPY_RANK_MAX || h->data_offset > size)
        fuzz_fail("npy header: rank or data offset out of range", NULL);
    const size_t elem = h->type == DG_ELEM_U8                                  ? 1
                        : h->type == DG_ELEM_F32LE || h->type == DG_ELEM_F32BE ? 4
                                                                               : 8;
    size_t dim = 1;
    for (size_t a = 1; a < h->rank; a++)
        dim *= h->shape[a];
    const size_t room = (size - h->data_offset) / elem;
    if (dim != h->dim || h->shape[0] == 0 || dim == 0 || h->shape[0] > room / dim)
        fuzz_fail("npy header: the shape does not fit the file", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dg_npy_header h;
    dg_error err;
    int status = dg_npy_parse_header(data, size, size, "fuzz.npy", &h, &err);
    fuzz_check_error(status, &err);
    if (status == DG_OK)
        check_header(&h, size);

    char spec[160];
    snprintf(spec, sizeof spec, "npy:%s", fuzz_write("in.npy", data, size));
    fuzz_load(spec, 0, NULL);
    fuzz_load(spec, 1, NULL);
    return 0;
}
