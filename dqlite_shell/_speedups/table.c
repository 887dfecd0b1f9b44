/* ROWS bodies to the `table` grid (shell/output/table.py, drawn by grid.py's
 * draw_psql): the compiled half of _speedups/table_printer.py.
 *
 * Compiled in one unit after format.c (build.py), whose value formatting it
 * shares. A struct dq_table holds the rows not yet printed, each cell's text
 * back to back in one arena, as TableRenderer would show it; the caller
 * prints them in blocks of its choosing (1000 rows, wherever the bodies
 * split). dq_table_feed() adds every row of a body, or none: it returns
 * DQ_FALLBACK for a body that is anything but plain (as dq_format does), and
 * the caller decodes it in Python. A cell this code cannot show exactly (any
 * character that is not ASCII, whose width is wcwidth's; a line feed, which
 * makes the block multi-line; a REAL without x87 long doubles) is marked,
 * and dq_table_measure() says DQ_FALLBACK for a block holding one: the
 * caller decodes that block and Python's renderer draws it. So every byte
 * written here is one the Python renderer writes.
 *
 * A cell's text is terminal_text's (values.py) for ASCII: C0 controls and
 * DEL as \xHH, CR as \r, tabs as spaces to the next multiple of 8 counted
 * from the cell's start.
 */

enum { K_NULL = 0, K_NUMBER = 1, K_OTHER = 2, K_PYTHON = 3 };

struct dq_table {
    size_t ncols;
    int blob;
    char *null; size_t null_len;        /* terminal_text(nullvalue): printable ASCII */
    char *names; size_t *name_ends;     /* the header's cells, back to back */
    char *arena; size_t arena_len, arena_cap;
    size_t *ends;                       /* where each cell's text ends in arena */
    unsigned char *kinds;               /* each cell's K_* */
    size_t rows, rows_cap;
    size_t *widths;                     /* of the block last measured */
    unsigned char *right;
};

void dq_table_free(struct dq_table *t) {
    if (t == NULL) return;
    free(t->null); free(t->names); free(t->name_ends); free(t->arena);
    free(t->ends); free(t->kinds); free(t->widths); free(t->right);
    free(t);
}

struct dq_table *dq_table_new(size_t ncols, int blob, const char *null, size_t null_len,
                              const char *names, const size_t *name_ends) {
    struct dq_table *t = calloc(1, sizeof *t);
    size_t names_len = ncols ? name_ends[ncols - 1] : 0;
    if (t == NULL) return NULL;
    t->ncols = ncols;
    t->blob = blob;
    t->null = malloc(null_len + 1);
    t->names = malloc(names_len + 1);
    t->name_ends = malloc((ncols + 1) * sizeof *t->name_ends);
    t->widths = malloc((ncols + 1) * sizeof *t->widths);
    t->right = malloc(ncols + 1);
    if (!t->null || !t->names || !t->name_ends || !t->widths || !t->right) {
        dq_table_free(t);
        return NULL;
    }
    memcpy(t->null, null, null_len);
    t->null_len = null_len;
    memcpy(t->names, names, names_len);
    memcpy(t->name_ends, name_ends, ncols * sizeof *name_ends);
    return t;
}

/* Room for `need` more bytes in the arena; 0 when memory runs out. */
static int arena_room(struct dq_table *t, size_t need) {
    char *grown;
    size_t cap;
    if (t->arena_cap - t->arena_len >= need) return 1;
    cap = t->arena_cap ? t->arena_cap : 1 << 16;
    while (cap - t->arena_len < need) cap *= 2;
    grown = realloc(t->arena, cap);
    if (grown == NULL) return 0;
    t->arena = grown;
    t->arena_cap = cap;
    return 1;
}

/* Room for one more row's cells; 0 when memory runs out. */
static int row_room(struct dq_table *t) {
    size_t cap, *ends;
    unsigned char *kinds;
    if (t->rows < t->rows_cap) return 1;
    cap = t->rows_cap ? t->rows_cap * 2 : 1024;
    ends = realloc(t->ends, cap * t->ncols * sizeof *ends);
    if (ends == NULL) return 0;
    t->ends = ends;
    kinds = realloc(t->kinds, cap * t->ncols);
    if (kinds == NULL) return 0;
    t->kinds = kinds;
    t->rows_cap = cap;
    return 1;
}

/* s[0:n] as terminal_text shows it, written at o in a cell that starts at
 * cell (tab stops count from there); NULL for a line feed or a byte that is
 * not ASCII (Python's). Writes at most 8 bytes per byte of s. */
static char *put_terminal(char *o, const char *cell, const unsigned char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7F) { *o++ = (char)c; continue; }
        if (c == '\n' || c >= 0x80) return NULL;
        if (c == '\t') {
            size_t spaces = 8 - (size_t)(o - cell) % 8;
            memset(o, ' ', spaces);
            o += spaces;
        } else if (c == '\r') {
            *o++ = '\\'; *o++ = 'r';
        } else {
            *o++ = '\\'; *o++ = 'x'; *o++ = HEX[c >> 4]; *o++ = HEX[c & 15];
        }
    }
    return o;
}

/* One value at body[pos] of type `type` as its cell's text at the arena's
 * end: its kind, or -1 for a malformed value. *pos moves past it. */
static int table_value(struct dq_table *t, int type, const unsigned char *body, size_t len,
                       size_t *pos) {
    const unsigned char *v = body + *pos;
    char *o, *cell;
    if (len - *pos < 8) return -1;
    if (!arena_room(t, 48)) return -1;
    cell = o = t->arena + t->arena_len;
    switch (type) {
    case T_INTEGER: case T_UNIXTIME:
        o = put_i64(o, (int64_t)get_u64(v));
        *pos += 8;
        t->arena_len += (size_t)(o - cell);
        return K_NUMBER;
    case T_BOOLEAN:
        *o++ = get_u64(v) ? '1' : '0';
        *pos += 8;
        t->arena_len += 1;
        return K_NUMBER;
    case T_FLOAT: {
        uint64_t bits = get_u64(v);
        double x;
        int64_t m;
        int k;
        memcpy(&x, &bits, 8);
        *pos += 8;
        if (short_decimal(x, &m, &k)) {
            o = put_short_decimal(o, m, k, 1);
        } else {
#if DQ_EXACT_REAL
            o = real_g15(o, x);
#else
            return K_PYTHON;        /* no x87 long double: Python's real_text */
#endif
        }
        t->arena_len += (size_t)(o - cell);
        return K_NUMBER;
    }
    case T_NULL:
        *pos += 8;
        if (!arena_room(t, t->null_len)) return -1;
        memcpy(t->arena + t->arena_len, t->null, t->null_len);
        t->arena_len += t->null_len;
        return K_NULL;
    case T_TEXT: case T_ISO8601: {
        const unsigned char *nul = memchr(v, 0, len - *pos);
        size_t n, stop;
        if (nul == NULL) return -1;
        n = (size_t)(nul - v);
        stop = *pos + pad8(n + 1);
        if (stop > len || !valid_utf8(v, n, NULL)) return -1;
        *pos = stop;
        if (!arena_room(t, 8 * n)) return -1;
        cell = t->arena + t->arena_len;
        o = put_terminal(cell, cell, v, n);
        if (o == NULL) return K_PYTHON;
        t->arena_len += (size_t)(o - cell);
        return K_OTHER;
    }
    case T_BLOB: {
        uint64_t n = get_u64(v);
        const unsigned char *data = v + 8;
        int ascii = 0, ok;
        if (n > len - *pos - 8 || pad8((size_t)n) > len - *pos - 8) return -1;
        *pos += 8 + pad8((size_t)n);
        if (!arena_room(t, 8 * n + 8)) return -1;
        cell = o = t->arena + t->arena_len;
        if (t->blob == BLOB_HEX) {
            o = put_hex_literal(o, data, n);
        } else if (t->blob == BLOB_BASE64) {
            o = put_base64(o, data, n);
        } else {
            ok = valid_utf8(data, n, &ascii);
            if (t->blob == BLOB_AUTO && !ok) {
                o = put_hex_literal(o, data, n);
            } else if (!ascii) {
                return K_PYTHON;    /* U+FFFD, or Unicode's printable and wide */
            } else if (t->blob == BLOB_TEXT) {
                o = put_terminal(o, cell, data, n);
            } else {                /* auto: b'..' when printable, tabs and line ends aside */
                size_t j;
                for (j = 0; j < n; j++)
                    if ((data[j] < 0x20 || data[j] > 0x7E) && data[j] != '\t'
                        && data[j] != '\n' && data[j] != '\r') break;
                if (j < n) {
                    o = put_hex_literal(o, data, n);
                } else {
                    *o++ = 'b'; *o++ = '\'';
                    o = put_terminal(o, cell, data, n);
                    if (o != NULL) *o++ = '\'';
                }
            }
            if (o == NULL) return K_PYTHON;
        }
        t->arena_len += (size_t)(o - cell);
        return K_OTHER;
    }
    default:
        return -1;
    }
}

/* Add every row of one ROWS body: the number of rows, or DQ_FALLBACK (a
 * body that is not plain, or no memory) with nothing added. *done: the
 * body's end marker says the result is complete. */
long long dq_table_feed(struct dq_table *t, const unsigned char *body, size_t len, int *done) {
    size_t n = t->ncols, rows0 = t->rows, arena0 = t->arena_len, hsize, pos, i, c;
    uint64_t marker;
    pos = rows_start(body, len, n);
    if (pos == 0 || n == 0) return DQ_FALLBACK;
    hsize = pad8((n + 1) / 2);
    while (len - pos != 8) {
        const unsigned char *h;
        size_t *ends;
        unsigned char *kinds;
        if (len - pos < 8 || hsize > len - pos || !row_room(t)) goto fail;
        h = body + pos;
        for (i = n; i < 2 * hsize; i++)            /* padding nibbles are zero */
            if ((i & 1 ? h[i >> 1] >> 4 : h[i >> 1] & 15) != 0) goto fail;
        pos += hsize;
        ends = t->ends + t->rows * n;
        kinds = t->kinds + t->rows * n;
        for (c = 0; c < n; c++) {
            int kind = table_value(t, c & 1 ? h[c >> 1] >> 4 : h[c >> 1] & 15, body, len, &pos);
            if (kind < 0) goto fail;
            kinds[c] = (unsigned char)kind;
            ends[c] = t->arena_len;
        }
        t->rows++;
    }
    marker = get_u64(body + pos);
    if (marker == 0xFFFFFFFFFFFFFFFFull) *done = 1;
    else if (marker == 0xEEEEEEEEEEEEEEEEull) *done = 0;
    else goto fail;
    return (long long)(t->rows - rows0);
fail:
    t->rows = rows0;
    t->arena_len = arena0;
    return DQ_FALLBACK;
}

/* The bytes the grid of the first `nrows` rows takes (each column as wide as
 * its widest cell or name, right-aligned when its non-NULL cells are all
 * numbers and there is one), or DQ_FALLBACK when a cell is Python's. */
long long dq_table_measure(struct dq_table *t, size_t nrows) {
    size_t n = t->ncols, r, c, line = 1;
    if (nrows == 0 || nrows > t->rows) return DQ_FALLBACK;
    for (c = 0; c < n; c++) {
        t->widths[c] = t->name_ends[c] - (c ? t->name_ends[c - 1] : 0);
        t->right[c] = 0;
    }
    for (r = 0; r < nrows; r++) {
        const size_t *ends = t->ends + r * n;
        const unsigned char *kinds = t->kinds + r * n;
        size_t start = r ? ends[-1] : 0;
        for (c = 0; c < n; c++) {
            size_t w = ends[c] - start;
            if (kinds[c] == K_PYTHON) return DQ_FALLBACK;
            if (w > t->widths[c]) t->widths[c] = w;
            t->right[c] |= (unsigned char)(1 << kinds[c]);   /* the kinds seen */
            start = ends[c];
        }
    }
    for (c = 0; c < n; c++) {
        t->right[c] = t->right[c] & (1 << K_NUMBER) && !(t->right[c] & (1 << K_OTHER));
        line += t->widths[c] + 3;
    }
    return (long long)((nrows + 4) * (line + 1));
}

/* One line of cells, each padded to its column's width. */
static char *put_line(const struct dq_table *t, char *o, const char *text, const size_t *ends,
                      size_t start) {
    size_t c;
    *o++ = '|';
    for (c = 0; c < t->ncols; c++) {
        size_t w = ends[c] - start, pad = t->widths[c] - w;
        *o++ = ' ';
        if (t->right[c]) { memset(o, ' ', pad); o += pad; }
        memcpy(o, text + start, w); o += w;
        if (!t->right[c]) { memset(o, ' ', pad); o += pad; }
        *o++ = ' ';
        *o++ = '|';
        start = ends[c];
    }
    *o++ = '\n';
    return o;
}

/* Write the grid of the first `nrows` rows, as dq_table_measure() measured
 * it (right after it), at out: the number of bytes written. */
size_t dq_table_render(const struct dq_table *t, size_t nrows, char *out) {
    size_t n = t->ncols, r, c, rule_len;
    char *o = out, *rule = out;
    *o++ = '+';
    for (c = 0; c < n; c++) {
        memset(o, '-', t->widths[c] + 2);
        o += t->widths[c] + 2;
        *o++ = '+';
    }
    *o++ = '\n';
    rule_len = (size_t)(o - rule);
    o = put_line(t, o, t->names, t->name_ends, 0);
    memcpy(o, rule, rule_len);
    o[0] = o[rule_len - 2] = '|';
    o += rule_len;
    for (r = 0; r < nrows; r++)
        o = put_line(t, o, t->arena, t->ends + r * n, r ? t->ends[r * n - 1] : 0);
    memcpy(o, rule, rule_len);
    return (size_t)(o + rule_len - out);
}

/* Forget the first `nrows` rows (printed, or handed to Python). */
void dq_table_drop(struct dq_table *t, size_t nrows) {
    size_t n = t->ncols, cut, i, left;
    if (nrows >= t->rows) { t->rows = 0; t->arena_len = 0; return; }
    cut = t->ends[nrows * n - 1];
    left = (t->rows - nrows) * n;
    memmove(t->arena, t->arena + cut, t->arena_len - cut);
    t->arena_len -= cut;
    memmove(t->ends, t->ends + nrows * n, left * sizeof *t->ends);
    memmove(t->kinds, t->kinds + nrows * n, left);
    for (i = 0; i < left; i++) t->ends[i] -= cut;
    t->rows -= nrows;
}
