/* dg_data_formats: the IDX, .npy and CIFAR-10 loaders behind dg_data_load. */
#include "config.h"

#include "dg_data_formats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dg_file.h"
#include "dg_tensor.h"

/* ------------------------------------------------------------------------ */
/* Element decoding                                                         */
/* ------------------------------------------------------------------------ */

static size_t elem_size(dg_elem_type type)
{
    switch (type) {
    case DG_ELEM_U8:
        return 1;
    case DG_ELEM_F32LE:
    case DG_ELEM_F32BE:
        return 4;
    default:
        return 8;
    }
}

/* The unsigned integer of size bytes at p, in either byte order. */
static uint64_t load_uint(const unsigned char *p, size_t size, bool big_endian)
{
    uint64_t u = 0;
    for (size_t k = 0; k < size; k++)
        u = u << 8 | p[big_endian ? k : size - 1 - k];
    return u;
}

/* Decodes count elements of src into dst: pixels to [−1, 1], floats as is. */
static void decode_elems(dg_elem_type type, const unsigned char *src, size_t count, double *dst)
{
    const size_t size = elem_size(type);
    const bool big = type == DG_ELEM_F32BE || type == DG_ELEM_F64BE;
    for (size_t k = 0; k < count; k++) {
        const unsigned char *p = src + k * size;
        if (type == DG_ELEM_U8) {
            dst[k] = p[0] / 127.5 - 1.0;
        } else if (size == 4) {
            const uint32_t u = (uint32_t)load_uint(p, 4, big);
            float v;
            memcpy(&v, &u, sizeof v);
            dst[k] = v;
        } else {
            const uint64_t u = load_uint(p, 8, big);
            double v;
            memcpy(&v, &u, sizeof v);
            dst[k] = v;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Files and shapes                                                         */
/* ------------------------------------------------------------------------ */

/*
 * A descriptor of path for reading, in blocking mode, and its stat; anything
 * but a regular file is refused.  The open itself does not block: the path
 * may have become a FIFO since dg_file_check_input looked at it.
 */
static int open_regular(const char *path, int *fd, struct stat *st, dg_error *err)
{
    int status = dg_file_check_input(path, err);
    if (status != DG_OK)
        return status;
    *fd = open(path, O_RDONLY | O_NONBLOCK);
    if (*fd < 0)
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    if (fstat(*fd, st) != 0)
        status = dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    else if (!S_ISREG(st->st_mode))
        status = dg_error_set(err, DG_EIO, "cannot open %s: not a regular file", path);
    else if (fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK) != 0)
        status = dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    if (status != DG_OK) {
        close(*fd);
        *fd = -1;
    }
    return status;
}

/* Opens path for reading and measures it; anything but a regular file is refused. */
static int open_sized(const char *path, FILE **f, uint64_t *size, dg_error *err)
{
    int fd;
    struct stat st;
    *f = NULL;
    int status = open_regular(path, &fd, &st, err);
    if (status != DG_OK)
        return status;
    if (!(*f = fdopen(fd, "rb"))) {
        close(fd);
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    *size = (uint64_t)st.st_size;
    return DG_OK;
}

/* Bytes read at a time by read_elems. */
#define READ_BUFFER (1 << 14)

/*
 * Reads and decodes count elements from f into x through a fixed buffer, so
 * that a large array needs no second copy in its file encoding.
 */
static int read_elems(FILE *f, dg_elem_type type, size_t count, double *x)
{
    unsigned char buf[READ_BUFFER];
    const size_t size = elem_size(type), per_read = sizeof buf / size;
    for (size_t done = 0; done < count;) {
        const size_t k = count - done < per_read ? count - done : per_read;
        if (fread(buf, size, k, f) != k)
            return -1;
        decode_elems(type, buf, k, x + done);
        done += k;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* IDX (MNIST format)                                                       */
/* ------------------------------------------------------------------------ */

/* The IDX header: two zero bytes, an element type, the rank, then big-endian
 * uint32 extents.  Rank ≥ 2 (rows of vectors or images) is required. */
#define IDX_RANK_MAX 4
#define IDX_MAGIC_LEN 4
/* Bytes decompressed at a time when a gzip file is measured. */
#define GZIP_BUFFER (1 << 16)
enum { IDX_UBYTE = 0x08, IDX_FLOAT = 0x0D, IDX_DOUBLE = 0x0E };

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/*
 * The uncompressed size of a file as far as it can be known without reading
 * it: the byte count of a plain file, or the gzip ISIZE trailer (size mod
 * 2^32) of a gzip file.  Returns false if unknown.
 */
static bool idx_stored_size(const char *path, uint64_t *size, bool *modulo32)
{
    FILE *f;
    uint64_t bytes;
    if (open_sized(path, &f, &bytes, NULL) != DG_OK)
        return false;
    unsigned char magic[2] = {0, 0};
    bool known = false;
    if (fread(magic, 1, 2, f) == 2) {
        if (magic[0] == 0x1f && magic[1] == 0x8b) {
            unsigned char t[4];
            if (bytes >= 18 && fseek(f, -4, SEEK_END) == 0 && fread(t, 1, 4, f) == 4) {
                *size = (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 |
                        (uint64_t)t[3] << 24;
                *modulo32 = true;
                known = true;
            }
        } else {
            *size = bytes;
            *modulo32 = false;
            known = true;
        }
    }
    fclose(f);
    return known;
}

/* Decompresses the whole file to count its bytes (multi-member gzip files). */
static uint64_t gzip_length(const char *path)
{
    int fd = -1;
    struct stat st;
    gzFile gz = open_regular(path, &fd, &st, NULL) == DG_OK ? gzdopen(fd, "rb") : NULL;
    unsigned char buf[GZIP_BUFFER];
    uint64_t total = 0;
    int got;
    if (!gz) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while ((got = gzread(gz, buf, sizeof buf)) > 0)
        total += (uint64_t)got;
    gzclose(gz);
    return total;
}

/* The IDX header, read and checked. */
typedef struct idx_header {
    dg_elem_type type;
    size_t rank;
    size_t shape[IDX_RANK_MAX]; /* shape[0] = n, the rows */
    size_t dim;                 /* values per row: Π shape[1..rank) */
} idx_header;

/* Opens path (plain or gzip) for reading; anything but a regular file is refused. */
static int idx_open(const char *path, gzFile *gz, dg_error *err)
{
    int fd;
    struct stat st;
    int status = open_regular(path, &fd, &st, err);
    if (status != DG_OK)
        return status;
    *gz = gzdopen(fd, "rb");
    if (!*gz) {
        close(fd);
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path,
                            strerror(errno ? errno : ENOMEM));
    }
    return DG_OK;
}

/* The element type of IDX type code `code`. */
static int idx_type(unsigned code, const char *path, dg_elem_type *type, dg_error *err)
{
    if (code == IDX_UBYTE)
        *type = DG_ELEM_U8;
    else if (code == IDX_FLOAT)
        *type = DG_ELEM_F32BE;
    else if (code == IDX_DOUBLE)
        *type = DG_ELEM_F64BE;
    else
        return dg_error_set(err, DG_EFORMAT, "%s: unsupported IDX element type 0x%02X", path, code);
    return DG_OK;
}

/* Reads the magic, type, rank and extents at the start of gz into h. */
static int idx_read_header(gzFile gz, const char *path, idx_header *h, dg_error *err)
{
    unsigned char head[IDX_MAGIC_LEN], ext[4 * IDX_RANK_MAX];
    if (gzread(gz, head, IDX_MAGIC_LEN) != IDX_MAGIC_LEN || head[0] != 0 || head[1] != 0)
        return dg_error_set(err, DG_EFORMAT, "%s: not an IDX file (bad magic)", path);
    h->rank = head[3];
    int status = idx_type(head[2], path, &h->type, err);
    if (status != DG_OK)
        return status;
    if (h->rank < 2 || h->rank > IDX_RANK_MAX)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: IDX rank %zu, expected rows of vectors or images (rank 2 to %d)",
                            path, h->rank, IDX_RANK_MAX);
    if (gzread(gz, ext, (unsigned)(4 * h->rank)) != (int)(4 * h->rank))
        return dg_error_set(err, DG_EFORMAT, "%s: truncated IDX header", path);
    for (size_t k = 0; k < h->rank; k++)
        h->shape[k] = be32(ext + 4 * k);
    h->dim = 1;
    for (size_t k = 1; k < h->rank; k++) {
        const size_t e = h->shape[k];
        if (e == 0 || h->dim > SIZE_MAX / e)
            return dg_error_set(err, DG_EFORMAT, "%s: IDX extent %zu of axis %zu is invalid", path,
                                e, k);
        h->dim *= e;
    }
    if (h->shape[0] == 0)
        return dg_error_set(err, DG_EFORMAT, "%s: IDX file holds no rows", path);
    return DG_OK;
}

/* Refuses a header that claims more bytes than the file holds, before allocating. */
static int idx_check_size(const char *path, const idx_header *h, dg_error *err)
{
    const size_t n = h->shape[0], elem = elem_size(h->type);
    if (h->dim > UINT64_MAX / elem / n)
        return dg_error_set(err, DG_EFORMAT, "%s: IDX header claims an impossible size", path);
    const uint64_t want = IDX_MAGIC_LEN + 4 * (uint64_t)h->rank + (uint64_t)n * h->dim * elem;
    uint64_t stored = 0;
    bool modulo32 = false;
    /* The gzip trailer holds the length of the last member only: when it
     * disagrees, count the bytes of a multi-member file the slow way. */
    const bool known = idx_stored_size(path, &stored, &modulo32);
    if (known && modulo32 && (want & 0xffffffffu) != stored) {
        stored = gzip_length(path);
        modulo32 = false;
    }
    if (known && !modulo32 && want > stored)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: truncated IDX file (header claims %zu rows of %zu values)", path,
                            n, h->dim);
    return DG_OK;
}

/* Reads rows data->first … of gz, which stands after the header, into data. */
static int idx_read_rows(gzFile gz, const char *path, const idx_header *h, dg_dataset *data,
                         dg_error *err)
{
    const size_t row_bytes = h->dim * elem_size(h->type);
    unsigned char *row = malloc(row_bytes);
    int status = DG_OK;
    if (!row) {
        status = dg_error_set(err, DG_ENOMEM, "%s: cannot allocate %zu × %zu doubles", path,
                              data->n, h->dim);
        goto free_row;
    }
    /* gzseek reads forward through a compressed file, keeping nothing. */
    if (data->first > 0 && gzseek(gz, (z_off_t)(data->first * row_bytes), SEEK_CUR) < 0) {
        status = dg_error_set(err, DG_EFORMAT, "%s: truncated IDX file before row %zu", path,
                              data->first);
        goto free_row;
    }
    for (size_t i = 0; i < data->n; i++) {
        if (gzread(gz, row, (unsigned)row_bytes) != (int)row_bytes) {
            status = dg_error_set(err, DG_EFORMAT, "%s: truncated IDX file at row %zu", path, i);
            goto free_row;
        }
        decode_elems(h->type, row, h->dim, data->x + i * h->dim);
    }
free_row:
    free(row);
    return status;
}

int dg_load_idx(const char *path, const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    gzFile gz;
    idx_header h;
    dg_dataset *data = NULL;
    int status = idx_open(path, &gz, err);
    if (status != DG_OK)
        return status;
    status = idx_read_header(gz, path, &h, err);
    if (status == DG_OK)
        status = idx_check_size(path, &h, err);
    if (status != DG_OK)
        goto close_file;
    status = dg_dataset_alloc_wanted(opt, h.shape[0], h.dim, path, &data, err);
    if (status != DG_OK)
        goto close_file;
    status = idx_read_rows(gz, path, &h, data, err);
    if (status != DG_OK)
        goto close_file;
    dg_dataset_set_image_shape(data, h.rank, h.shape);
    status = dg_check_finite_rows(data->x, data->n, h.dim, data->first, path, err);

close_file:
    gzclose(gz);
    if (status != DG_OK)
        dg_dataset_free(data);
    else
        *out = data;
    return status;
}

/* ------------------------------------------------------------------------ */
/* NumPy .npy                                                               */
/* ------------------------------------------------------------------------ */

/*
 * The format (numpy/lib/format.py): the magic "\x93NUMPY", a major and a
 * minor version byte, the header length (uint16 LE for 1.0, uint32 LE for
 * 2.0 and 3.0, whose header is UTF-8), then the header, a Python dict literal
 * padded with blanks to a newline, and the raw array data.
 */
#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6

/* The dtypes read, by their descr; numpy writes bytes as '|u1'. */
static const struct npy_descr {
    const char *descr;
    dg_elem_type type;
} npy_descrs[] = {
    {"<f8", DG_ELEM_F64LE}, {">f8", DG_ELEM_F64BE}, {"<f4", DG_ELEM_F32LE}, {">f4", DG_ELEM_F32BE},
    {"|u1", DG_ELEM_U8},    {"<u1", DG_ELEM_U8},    {">u1", DG_ELEM_U8},
};

/* The keys of the header dict, all required. */
enum { NPY_DESCR, NPY_FORTRAN_ORDER, NPY_SHAPE, NPY_KEYS };
static const char *const npy_keys[NPY_KEYS] = {"descr", "fortran_order", "shape"};

/* The longest descr or key quoted back in a message. */
#define NPY_QUOTE_MAX 40

/* A position in the header text, which is not NUL-terminated. */
typedef struct npy_cursor {
    const unsigned char *text;
    size_t len, pos;
    size_t base;      /* file offset of text[0], for messages */
    const char *what; /* the file, for messages */
    dg_error *err;
} npy_cursor;

/* The header's values as written, before they are checked. */
typedef struct npy_fields {
    const char *descr; /* points into the header text */
    size_t descr_len;
    bool fortran_order;
    size_t rank;
    uint64_t shape[DG_NPY_RANK_MAX]; /* UINT64_MAX stands for larger */
} npy_fields;

static size_t npy_preamble_length(unsigned major)
{
    return major == 1 ? 10 : 12;
}

int dg_npy_parse_preamble(const unsigned char *buf, size_t len, uint64_t file_size,
                          const char *what, size_t *header_end, dg_error *err)
{
    const size_t magic = len < NPY_MAGIC_LEN ? len : NPY_MAGIC_LEN;
    if (magic > 0 && memcmp(buf, NPY_MAGIC, magic) != 0)
        return dg_error_set(err, DG_EFORMAT, "%s: not a .npy file (bad magic)", what);
    if (len < NPY_MAGIC_LEN + 2)
        return dg_error_set(err, DG_EFORMAT, "%s: truncated .npy header", what);
    const unsigned major = buf[6], minor = buf[7];
    if (major < 1 || major > 3 || minor != 0)
        return dg_error_set(err, DG_EFORMAT, "%s: unsupported .npy version %u.%u (1.0, 2.0 or 3.0)",
                            what, major, minor);
    const size_t start = npy_preamble_length(major);
    if (len < start)
        return dg_error_set(err, DG_EFORMAT, "%s: truncated .npy header", what);
    const uint64_t header_len = load_uint(buf + 8, start - 8, false);
    if (header_len > DG_NPY_HEADER_MAX)
        return dg_error_set(err, DG_EFORMAT, "%s: .npy header of %llu bytes, longer than %d", what,
                            (unsigned long long)header_len, DG_NPY_HEADER_MAX);
    if (start + header_len > file_size)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: truncated .npy header (%llu bytes claimed, "
                            "%llu left in the file)",
                            what, (unsigned long long)header_len,
                            (unsigned long long)(file_size > start ? file_size - start : 0));
    *header_end = start + (size_t)header_len;
    return DG_OK;
}

static int npy_malformed(const npy_cursor *c, const char *expected)
{
    return dg_error_set(c->err, DG_EFORMAT, "%s: malformed .npy header at byte %zu: expected %s",
                        c->what, c->base + c->pos, expected);
}

static void npy_skip_blanks(npy_cursor *c)
{
    while (c->pos < c->len && (c->text[c->pos] == ' ' || c->text[c->pos] == '\t' ||
                               c->text[c->pos] == '\n' || c->text[c->pos] == '\r'))
        c->pos++;
}

/* True, and past it, when the next token is the character ch. */
static bool npy_accept(npy_cursor *c, char ch)
{
    npy_skip_blanks(c);
    if (c->pos < c->len && c->text[c->pos] == (unsigned char)ch) {
        c->pos++;
        return true;
    }
    return false;
}

/* True, and past it, when the next token is the word w. */
static bool npy_accept_word(npy_cursor *c, const char *w)
{
    const size_t n = strlen(w);
    npy_skip_blanks(c);
    if (c->len - c->pos >= n && memcmp(c->text + c->pos, w, n) == 0) {
        c->pos += n;
        return true;
    }
    return false;
}

/*
 * A quoted string of printable ASCII, without escapes (all that numpy's keys
 * and simple descrs need): *s and *n get its contents within the header.
 */
static int npy_string(npy_cursor *c, const char *expected, const char **s, size_t *n)
{
    npy_skip_blanks(c);
    if (c->pos >= c->len || (c->text[c->pos] != '\'' && c->text[c->pos] != '"'))
        return npy_malformed(c, expected);
    const unsigned char quote = c->text[c->pos];
    size_t end = c->pos + 1;
    while (end < c->len && c->text[end] != quote) {
        if (c->text[end] < 0x20 || c->text[end] > 0x7e || c->text[end] == '\\') {
            c->pos = end;
            return npy_malformed(c, c->text[end] == '\n'
                                        ? "the end of a string"
                                        : "a plain string (printable, no escapes)");
        }
        end++;
    }
    if (end == c->len) {
        c->pos = end;
        return npy_malformed(c, "the end of a string");
    }
    *s = (const char *)c->text + c->pos + 1;
    *n = end - c->pos - 1;
    c->pos = end + 1;
    return DG_OK;
}

/*
 * A non-negative integer as Python writes it: decimal digits, no sign, no
 * leading zero, and the 'L' of Python 2 longs that old numpy wrote and
 * numpy still reads.  Values above UINT64_MAX become UINT64_MAX.
 */
static int npy_extent(npy_cursor *c, uint64_t *v)
{
    npy_skip_blanks(c);
    const size_t start = c->pos;
    *v = 0;
    while (c->pos < c->len && c->text[c->pos] >= '0' && c->text[c->pos] <= '9') {
        const unsigned digit = c->text[c->pos] - '0';
        *v = *v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : *v * 10 + digit;
        c->pos++;
    }
    if (c->pos == start || (c->text[start] == '0' && c->pos - start > 1)) {
        c->pos = start;
        return npy_malformed(c, "a non-negative integer");
    }
    if (c->pos < c->len && c->text[c->pos] == 'L')
        c->pos++;
    return DG_OK;
}

/* A tuple of extents: (), (n,), (n, m) or (n, m,). */
static int npy_shape(npy_cursor *c, npy_fields *f)
{
    if (!npy_accept(c, '('))
        return npy_malformed(c, "a tuple such as (1000, 784)");
    f->rank = 0;
    while (!npy_accept(c, ')')) {
        if (f->rank == DG_NPY_RANK_MAX)
            return dg_error_set(c->err, DG_EFORMAT, "%s: .npy array of rank above %d", c->what,
                                DG_NPY_RANK_MAX);
        int status = npy_extent(c, &f->shape[f->rank++]);
        if (status != DG_OK)
            return status;
        if (npy_accept(c, ','))
            continue;
        /* Python reads (n) as the number n: a 1-tuple needs its comma. */
        if (f->rank == 1 || !npy_accept(c, ')'))
            return npy_malformed(c, f->rank == 1 ? "',' (a 1-tuple is (n,))" : "',' or ')'");
        break;
    }
    return DG_OK;
}

static int npy_value(npy_cursor *c, int key, npy_fields *f)
{
    switch (key) {
    case NPY_DESCR:
        npy_skip_blanks(c);
        if (c->pos < c->len && c->text[c->pos] == '[')
            return dg_error_set(c->err, DG_EFORMAT,
                                "%s: structured .npy arrays (a list descr) are "
                                "not supported",
                                c->what);
        return npy_string(c, "a dtype string such as '<f8'", &f->descr, &f->descr_len);
    case NPY_FORTRAN_ORDER:
        if (npy_accept_word(c, "True"))
            f->fortran_order = true;
        else if (npy_accept_word(c, "False"))
            f->fortran_order = false;
        else
            return npy_malformed(c, "True or False");
        return DG_OK;
    default:
        return npy_shape(c, f);
    }
}

/* The dict: {'key': value, ...}, each key once, a trailing comma allowed. */
static int npy_dict(npy_cursor *c, npy_fields *f)
{
    bool seen[NPY_KEYS] = {false};
    if (!npy_accept(c, '{'))
        return npy_malformed(c, "'{'");
    while (!npy_accept(c, '}')) {
        const char *key;
        size_t n;
        int status = npy_string(c, "a quoted key or '}'", &key, &n);
        if (status != DG_OK)
            return status;
        int k = 0;
        while (k < NPY_KEYS && (strlen(npy_keys[k]) != n || memcmp(npy_keys[k], key, n) != 0))
            k++;
        if (k == NPY_KEYS || seen[k])
            return dg_error_set(c->err, DG_EFORMAT,
                                "%s: %s key '%.*s' in the .npy header "
                                "(expected descr, fortran_order, shape)",
                                c->what, k == NPY_KEYS ? "unexpected" : "repeated",
                                (int)(n < NPY_QUOTE_MAX ? n : NPY_QUOTE_MAX), key);
        seen[k] = true;
        if (!npy_accept(c, ':'))
            return npy_malformed(c, "':'");
        status = npy_value(c, k, f);
        if (status != DG_OK)
            return status;
        if (npy_accept(c, ','))
            continue;
        if (!npy_accept(c, '}'))
            return npy_malformed(c, "',' or '}'");
        break;
    }
    npy_skip_blanks(c);
    if (c->pos != c->len)
        return npy_malformed(c, "only blanks after '}'");
    for (int k = 0; k < NPY_KEYS; k++)
        if (!seen[k])
            return dg_error_set(c->err, DG_EFORMAT, "%s: the .npy header lacks '%s'", c->what,
                                npy_keys[k]);
    return DG_OK;
}

#define NPY_NDESCRS (sizeof npy_descrs / sizeof npy_descrs[0])

/* The element type of the header's descr, in C order and of rank ≥ 2. */
static int npy_check_type(const npy_fields *f, const char *what, dg_elem_type *type, dg_error *err)
{
    const int quoted = (int)(f->descr_len < NPY_QUOTE_MAX ? f->descr_len : NPY_QUOTE_MAX);
    size_t k = 0;
    while (k < NPY_NDESCRS && (strlen(npy_descrs[k].descr) != f->descr_len ||
                               memcmp(npy_descrs[k].descr, f->descr, f->descr_len) != 0))
        k++;
    if (f->descr_len >= 2 && f->descr[1] == 'O')
        return dg_error_set(err, DG_EFORMAT, "%s: object arrays ('%.*s') are not supported", what,
                            quoted, f->descr);
    if (k == NPY_NDESCRS)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: unsupported dtype '%.*s' (expected <f8, >f8, "
                            "<f4, >f4 or |u1)",
                            what, quoted, f->descr);
    if (f->fortran_order)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: Fortran order is not supported; save with "
                            "np.ascontiguousarray",
                            what);
    if (f->rank < 2)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: .npy array of rank %zu; expected rows (rank 2 "
                            "or more, rows first)",
                            what, f->rank);
    *type = npy_descrs[k].type;
    return DG_OK;
}

/* The bytes of a row of elem-byte values, every extent checked. */
static int npy_row_bytes(const npy_fields *f, size_t elem, const char *what, uint64_t *row_bytes,
                         dg_error *err)
{
    *row_bytes = elem;
    for (size_t a = 0; a < f->rank; a++) {
        if (f->shape[a] == 0)
            return dg_error_set(err, DG_EFORMAT, "%s: .npy array with an empty axis %zu", what, a);
        if (f->shape[a] > SIZE_MAX / *row_bytes)
            return dg_error_set(err, DG_EFORMAT, "%s: .npy array too large (axis %zu)", what, a);
        if (a > 0)
            *row_bytes *= f->shape[a];
    }
    return DG_OK;
}

/* Checks the values: type, order, rank, extents, and room in the file. */
static int npy_check(const npy_fields *f, size_t header_end, uint64_t file_size, const char *what,
                     dg_npy_header *h, dg_error *err)
{
    uint64_t row_bytes;
    int status = npy_check_type(f, what, &h->type, err);
    if (status == DG_OK)
        status = npy_row_bytes(f, elem_size(h->type), what, &row_bytes, err);
    if (status != DG_OK)
        return status;
    /* A header claiming more rows than the file holds fails here, before any
     * allocation: 10^12 rows in a file of a few bytes are not an ENOMEM. */
    const uint64_t rows_held = (file_size - header_end) / row_bytes;
    if (f->shape[0] > rows_held)
        return dg_error_set(err, DG_EFORMAT,
                            "%s: truncated .npy file (the header claims %llu "
                            "rows of %llu bytes, the file holds %llu)",
                            what, (unsigned long long)f->shape[0], (unsigned long long)row_bytes,
                            (unsigned long long)rows_held);
    h->rank = f->rank;
    for (size_t a = 0; a < f->rank; a++)
        h->shape[a] = (size_t)f->shape[a];
    h->dim = (size_t)(row_bytes / elem_size(h->type));
    h->data_offset = header_end;
    return DG_OK;
}

int dg_npy_parse_header(const unsigned char *buf, size_t len, uint64_t file_size, const char *what,
                        dg_npy_header *h, dg_error *err)
{
    size_t end;
    int status = dg_npy_parse_preamble(buf, len, file_size, what, &end, err);
    if (status != DG_OK)
        return status;
    if (len < end)
        return dg_error_set(err, DG_EFORMAT, "%s: truncated .npy header", what);
    const size_t start = npy_preamble_length(buf[6]);
    npy_cursor c = {buf + start, end - start, 0, start, what, err};
    npy_fields f = {0};
    status = npy_dict(&c, &f);
    if (status != DG_OK)
        return status;
    return npy_check(&f, end, file_size, what, h, err);
}

/* Reads and parses the preamble and header of the open file f (size bytes). */
static int npy_read_header(FILE *f, uint64_t size, const char *path, dg_npy_header *h,
                           dg_error *err)
{
    unsigned char preamble[DG_NPY_PREAMBLE_MAX];
    unsigned char *head = NULL;
    size_t end;
    const size_t got = fread(preamble, 1, sizeof preamble, f);
    int status = dg_npy_parse_preamble(preamble, got, size, path, &end, err);
    if (status != DG_OK)
        return status;
    /* end ≤ DG_NPY_PREAMBLE_MAX + DG_NPY_HEADER_MAX and within the file. */
    head = malloc(end);
    if (!head) {
        status = dg_error_set(err, DG_ENOMEM, "%s: out of memory", path);
        goto free_head;
    }
    rewind(f);
    if (fread(head, 1, end, f) != end) {
        status = dg_error_set(err, DG_EIO, "%s: cannot read the .npy header", path);
        goto free_head;
    }
    status = dg_npy_parse_header(head, end, size, path, h, err);
free_head:
    free(head);
    return status;
}

int dg_load_npy(const char *path, const dg_data_options *opt, dg_dataset **out, dg_error *err)
{
    FILE *f;
    uint64_t size = 0;
    dg_dataset *data = NULL;
    dg_npy_header h;
    int status = open_sized(path, &f, &size, err);
    if (status != DG_OK)
        return status;
    status = npy_read_header(f, size, path, &h, err);
    if (status != DG_OK)
        goto close_file;
    status = dg_dataset_alloc_wanted(opt, h.shape[0], h.dim, path, &data, err);
    if (status != DG_OK)
        goto close_file;
    /* npy_check saw the whole array within the file: the offset fits. */
    const uint64_t offset = h.data_offset + (uint64_t)data->first * h.dim * elem_size(h.type);
    if (fseeko(f, (off_t)offset, SEEK_SET) != 0 ||
        read_elems(f, h.type, data->n * h.dim, data->x) != 0) {
        status = dg_error_set(err, DG_EIO, "%s: cannot read the array data: %s", path,
                              ferror(f) ? strerror(errno) : "unexpected end of file");
        goto close_file;
    }
    dg_dataset_set_image_shape(data, h.rank, h.shape);
    status = dg_check_finite_rows(data->x, data->n, h.dim, data->first, path, err);

close_file:
    fclose(f);
    if (status != DG_OK)
        dg_dataset_free(data);
    else
        *out = data;
    return status;
}

/* ------------------------------------------------------------------------ */
/* CIFAR-10 (binary version)                                                */
/* ------------------------------------------------------------------------ */

#define CIFAR_CHANNELS 3
#define CIFAR_SIDE 32
#define CIFAR_PIXELS (CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_RECORD (1 + CIFAR_PIXELS) /* the label byte, then the pixels */
#define CIFAR_TRAIN_BATCHES 5

/* The path of train batch k (from 0), or of the test batch. */
static int cifar_path(const char *dir, bool train, size_t k, char *path, size_t size, dg_error *err)
{
    const int len = train ? snprintf(path, size, "%s/data_batch_%zu.bin", dir, k + 1)
                          : snprintf(path, size, "%s/test_batch.bin", dir);
    if (len < 0 || (size_t)len >= size)
        return dg_error_set(err, DG_EINVAL, "CIFAR-10 directory name too long: %s", dir);
    return DG_OK;
}

/* The batch files of a split, open, and their records. */
typedef struct cifar_split {
    const char *dir;
    bool train;
    size_t nfiles;
    FILE *files[CIFAR_TRAIN_BATCHES];
    uint64_t records[CIFAR_TRAIN_BATCHES];
    uint64_t total; /* records of all the files */
} cifar_split;

/*
 * Opens and sizes every file of the split first: a missing or cut batch is
 * found before anything is allocated or read.  The caller closes the files
 * opened (cifar_close), whatever the status.
 */
static int cifar_open(cifar_split *c, dg_error *err)
{
    char path[PATH_MAX];
    for (size_t k = 0; k < c->nfiles; k++) {
        uint64_t size = 0;
        int status = cifar_path(c->dir, c->train, k, path, sizeof path, err);
        if (status == DG_OK)
            status = open_sized(path, &c->files[k], &size, err);
        if (status != DG_OK)
            return status;
        if (size == 0)
            return dg_error_set(err, DG_EFORMAT, "%s: empty CIFAR-10 file", path);
        if (size % CIFAR_RECORD != 0)
            return dg_error_set(err, DG_EFORMAT,
                                "%s: truncated CIFAR-10 file (%llu bytes, "
                                "not a whole number of %d-byte records)",
                                path, (unsigned long long)size, CIFAR_RECORD);
        c->records[k] = size / CIFAR_RECORD;
        c->total += c->records[k];
    }
    return DG_OK;
}

static void cifar_close(cifar_split *c)
{
    for (size_t k = 0; k < c->nfiles; k++)
        if (c->files[k])
            fclose(c->files[k]);
}

/* Reads records data->first … into data; those before are skipped by their byte offset. */
static int cifar_read(cifar_split *c, dg_dataset *data, dg_error *err)
{
    char path[PATH_MAX];
    size_t row = 0;
    uint64_t skip = data->first;
    for (size_t k = 0; k < c->nfiles && row < data->n; k++) {
        const uint64_t r0 = skip < c->records[k] ? skip : c->records[k];
        skip -= r0;
        if (r0 > 0 && fseeko(c->files[k], (off_t)(r0 * CIFAR_RECORD), SEEK_SET) != 0) {
            cifar_path(c->dir, c->train, k, path, sizeof path, NULL);
            return dg_error_set(err, DG_EIO, "%s: cannot seek to record %llu", path,
                                (unsigned long long)r0);
        }
        for (uint64_t r = r0; r < c->records[k] && row < data->n; r++, row++) {
            unsigned char rec[CIFAR_RECORD];
            if (fread(rec, 1, sizeof rec, c->files[k]) != sizeof rec) {
                cifar_path(c->dir, c->train, k, path, sizeof path, NULL);
                return dg_error_set(err, DG_EIO, "%s: cannot read record %llu", path,
                                    (unsigned long long)r);
            }
            decode_elems(DG_ELEM_U8, rec + 1, CIFAR_PIXELS, data->x + row * CIFAR_PIXELS);
        }
    }
    return DG_OK;
}

int dg_load_cifar10(const char *dir, const char *split, const dg_data_options *opt,
                    dg_dataset **out, dg_error *err)
{
    const bool train = strcmp(split, "train") == 0;
    if (!train && strcmp(split, "test") != 0)
        return dg_error_set(err, DG_EUNKNOWN, "unknown CIFAR-10 split '%s' (train or test)", split);
    cifar_split c = {.dir = dir, .train = train, .nfiles = train ? CIFAR_TRAIN_BATCHES : 1};
    dg_dataset *data = NULL;
    int status = dg_data_check_dim(opt, CIFAR_PIXELS, dir, err);
    if (status == DG_OK)
        status = cifar_open(&c, err);
    if (status != DG_OK)
        goto close_files;
    size_t rows, first, keep;
    dg_data_wanted(opt, c.total <= SIZE_MAX ? (size_t)c.total : 0, &rows, &first, &keep);
    data = rows ? dg_dataset_alloc(keep, CIFAR_PIXELS) : NULL;
    if (!data) {
        status = dg_error_set(err, DG_ENOMEM, "%s: cannot allocate %llu × %d doubles", dir,
                              (unsigned long long)(keep ? keep : c.total), CIFAR_PIXELS);
        goto close_files;
    }
    data->total = rows;
    data->first = first;
    status = cifar_read(&c, data, err);
    const size_t shape[4] = {keep, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE};
    dg_dataset_set_image_shape(data, 4, shape);

close_files:
    cifar_close(&c);
    if (status != DG_OK)
        dg_dataset_free(data);
    else
        *out = data;
    return status;
}
