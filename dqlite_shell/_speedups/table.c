/* ROWS bodies to the `table` grid (shell/output/table.py, drawn by grid.py's
 * draw_psql): the compiled half of _speedups/table_printer.py.
 *
 * Compiled in one unit after format.c (build.py), whose value formatting it
 * shares. A struct dq_table holds the rows not yet printed, each cell's text
 * back to back in one arena, as TableRenderer would show it; the caller
 * prints them in blocks of its choosing (1000 rows, wherever the bodies
 * split). dq_table_feed() adds every row of a body, or none: it returns
 * DQ_FALLBACK for a body that is anything but plain (as dq_format does), and
 * the caller decodes it in Python. A cell this code cannot show exactly
 * (lines of text that is not ASCII; a BLOB whose text needs Unicode's
 * tables; a REAL without x87 long doubles) is marked, and
 * dq_table_measure() says DQ_FALLBACK for a block holding one: the caller
 * decodes that block and Python's renderer draws it. So every byte written
 * here is one the Python renderer writes.
 *
 * A cell's text is terminal_text's (values.py): C0 controls and DEL as \xHH,
 * CR as \r, C1 controls and U+2028/U+2029 as \uHHHH, tabs as spaces to the
 * next multiple of 8 characters from the cell's start. Its display width is
 * its length when ASCII; otherwise wcwidth's, which the caller computes:
 * dq_table_measure() says DQ_WIDTHS while a block has such a cell not yet
 * measured, dq_table_wide_text() gives their texts, dq_table_set_widths()
 * takes their widths.
 *
 * A line feed in a cell makes its block multi-line, as grid.py's
 * _draw_multiline draws it: a row takes as many lines as its tallest cell
 * (str.splitlines(): a last line feed adds no line, an empty cell has none,
 * a row of empty cells no line at all), each cell's lines padded alone.
 */

#define DQ_WIDTHS (-3)

/* What a cell holds: NULL, a number, other text (K_WIDE: not ASCII, its
 * width in shown[]; K_UNMEASURED: not ASCII, width not known yet; K_LINES:
 * ASCII lines, the widest one's width in shown[]), or something only Python
 * shows exactly. */
enum { K_NULL = 0, K_NUMBER = 1, K_OTHER = 2, K_PYTHON = 3, K_WIDE = 4, K_UNMEASURED = 5,
       K_LINES = 6 };
#define TEXT_KINDS (1 << K_OTHER | 1 << K_WIDE | 1 << K_LINES)

/* What put_terminal() found in a text. */
enum { F_WIDE = 1, F_LINES = 2 };

struct dq_table {
    size_t ncols;
    int blob;
    char *null; size_t null_len;        /* terminal_text(nullvalue), one line */
    size_t null_width;                  /* its display width */
    char *names; size_t *name_ends;     /* the header's cells, back to back */
    size_t *name_widths;                /* their display widths */
    char *arena; size_t arena_len, arena_cap;
    size_t *ends;                       /* where each cell's text ends in arena */
    unsigned char *kinds;               /* each cell's K_* */
    size_t *shown;                      /* a K_WIDE cell's display width */
    size_t rows, rows_cap;
    size_t *widths;                     /* of the block last measured */
    unsigned char *right;
    int multiline;                      /* the block last measured has lines */
    size_t *cursor, *lines;             /* a multi-line row's cells being drawn */
};

void dq_table_free(struct dq_table *t) {
    if (t == NULL) return;
    free(t->null); free(t->names); free(t->name_ends); free(t->name_widths); free(t->arena);
    free(t->ends); free(t->kinds); free(t->shown); free(t->widths); free(t->right);
    free(t->cursor); free(t->lines);
    free(t);
}

/* A table of ncols columns. names: the header's cells back to back, each
 * ending at name_ends[i], each name_widths[i] wide; null (null_len bytes,
 * null_width wide): NULL's text. The caller has shown them as a table shows
 * them (one line each). */
struct dq_table *dq_table_new(size_t ncols, int blob, const char *null, size_t null_len,
                              size_t null_width, const char *names, const size_t *name_ends,
                              const size_t *name_widths) {
    struct dq_table *t = calloc(1, sizeof *t);
    size_t names_len = ncols ? name_ends[ncols - 1] : 0;
    if (t == NULL) return NULL;
    t->ncols = ncols;
    t->blob = blob;
    t->null = malloc(null_len + 1);
    t->names = malloc(names_len + 1);
    t->name_ends = malloc((ncols + 1) * sizeof *t->name_ends);
    t->name_widths = malloc((ncols + 1) * sizeof *t->name_widths);
    t->widths = malloc((ncols + 1) * sizeof *t->widths);
    t->right = malloc(ncols + 1);
    t->cursor = malloc((ncols + 1) * sizeof *t->cursor);
    t->lines = malloc((ncols + 1) * sizeof *t->lines);
    if (!t->null || !t->names || !t->name_ends || !t->name_widths || !t->widths || !t->right
        || !t->cursor || !t->lines) {
        dq_table_free(t);
        return NULL;
    }
    memcpy(t->null, null, null_len);
    t->null_len = null_len;
    t->null_width = null_width;
    memcpy(t->names, names, names_len);
    memcpy(t->name_ends, name_ends, ncols * sizeof *name_ends);
    memcpy(t->name_widths, name_widths, ncols * sizeof *name_widths);
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
    size_t cap, *ends, *shown;
    unsigned char *kinds;
    if (t->rows < t->rows_cap) return 1;
    cap = t->rows_cap ? t->rows_cap * 2 : 1024;
    ends = realloc(t->ends, cap * t->ncols * sizeof *ends);
    if (ends == NULL) return 0;
    t->ends = ends;
    shown = realloc(t->shown, cap * t->ncols * sizeof *shown);
    if (shown == NULL) return 0;
    t->shown = shown;
    kinds = realloc(t->kinds, cap * t->ncols);
    if (kinds == NULL) return 0;
    t->kinds = kinds;
    t->rows_cap = cap;
    return 1;
}

/* s[0:n] (valid UTF-8) as terminal_text shows it, written at o in a cell
 * holding `col` characters before it (tab stops count from the line's
 * start). *flags: F_WIDE set for a character that is not ASCII, F_LINES
 * for a line feed. Writes at most 8 bytes per byte of s. */
static char *put_terminal(char *o, size_t col, const unsigned char *s, size_t n, int *flags) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7F) { *o++ = (char)c; col++; continue; }
        if (c == '\t') {
            size_t spaces = 8 - col % 8;
            memset(o, ' ', spaces);
            o += spaces;
            col += spaces;
        } else if (c == '\n') {
            *o++ = '\n';
            col = 0;
            *flags |= F_LINES;
        } else if (c == '\r') {
            *o++ = '\\'; *o++ = 'r';
            col += 2;
        } else if (c < 0x80) {
            *o++ = '\\'; *o++ = 'x'; *o++ = HEX[c >> 4]; *o++ = HEX[c & 15];
            col += 4;
        } else if ((c == 0xC2 && s[i + 1] < 0xA0)
                   || (c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] | 1) == 0xA9)) {
            /* C1 controls, U+2028, U+2029 */
            unsigned code = c == 0xC2 ? s[i + 1] : 0x2028u + (s[i + 2] & 1);
            *o++ = '\\'; *o++ = 'u';
            *o++ = HEX[code >> 12]; *o++ = HEX[(code >> 8) & 15];
            *o++ = HEX[(code >> 4) & 15]; *o++ = HEX[code & 15];
            i += c == 0xC2 ? 1 : 2;
            col += 6;
        } else {                        /* a character of 2 to 4 bytes, kept */
            size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            memcpy(o, s + i, len);
            o += len;
            i += len - 1;
            col++;
            *flags |= F_WIDE;
        }
    }
    return o;
}

/* The kind of a text cell put_terminal() wrote with these flags. */
static int text_kind(int flags) {
    if (flags == (F_WIDE | F_LINES)) return K_PYTHON;   /* the lines' widths: wcwidth's */
    return flags & F_LINES ? K_LINES : flags & F_WIDE ? K_UNMEASURED : K_OTHER;
}

/* One value at body[pos] of type `type` as its cell's text at the arena's
 * end: its kind, or -1 for a malformed value. *pos moves past it. */
static int table_value(struct dq_table *t, int type, const unsigned char *body, size_t len,
                       size_t *pos) {
    const unsigned char *v = body + *pos;
    char *o, *cell;
    int flags = 0;
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
        memcpy(&x, &bits, 8);
        *pos += 8;
        o = put_real_text(o, x);
        if (o == NULL) return K_PYTHON;
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
        o = put_terminal(cell, 0, v, n, &flags);
        t->arena_len += (size_t)(o - cell);
        return text_kind(flags);
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
            } else if (t->blob == BLOB_TEXT) {
                if (!ok) return K_PYTHON;   /* invalid bytes as U+FFFD: Python's */
                o = put_terminal(o, 0, data, n, &flags);
            } else if (!ascii) {
                return K_PYTHON;    /* str.isprintable() needs Unicode's tables */
            } else {                /* auto: b'..' when printable, tabs and line ends aside */
                size_t j;
                for (j = 0; j < n; j++)
                    if ((data[j] < 0x20 || data[j] > 0x7E) && data[j] != '\t'
                        && data[j] != '\n' && data[j] != '\r') break;
                if (j < n) {
                    o = put_hex_literal(o, data, n);
                } else {
                    *o++ = 'b'; *o++ = '\'';
                    o = put_terminal(o, 2, data, n, &flags);
                    *o++ = '\'';
                }
            }
        }
        t->arena_len += (size_t)(o - cell);
        return text_kind(flags);
    }
    default:
        return -1;
    }
}

/* The length of the longest line in [s, end). */
static size_t widest_line(const char *s, const char *end) {
    size_t widest = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        if ((size_t)(stop - s) > widest) widest = (size_t)(stop - s);
        s = nl ? nl + 1 : end;
    }
    return widest;
}

/* How many lines cell i shows in a multi-line block (str.splitlines()). */
static size_t cell_lines(const struct dq_table *t, size_t i) {
    size_t start = i ? t->ends[i - 1] : 0, len = t->ends[i] - start, count = 1;
    const char *s = t->arena + start;
    if (len == 0) return 0;
    if (t->kinds[i] == K_LINES) {
        const char *p = s, *end = s + len;
        while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) { count++; p++; }
        if (s[len - 1] == '\n') count--;
    }
    return count;
}

/* Add every row of one ROWS body: the number of rows, or DQ_FALLBACK (a
 * body that is not plain, or no memory) with nothing added. *done: the
 * body's end marker says the result is complete. */
long long dq_table_feed(struct dq_table *t, const unsigned char *body, size_t len, int *done) {
    size_t n = t->ncols, rows0 = t->rows, arena0 = t->arena_len, hsize, pos, i, c, start;
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
        start = t->arena_len;
        for (c = 0; c < n; c++) {
            int kind = table_value(t, c & 1 ? h[c >> 1] >> 4 : h[c >> 1] & 15, body, len, &pos);
            if (kind < 0) goto fail;
            kinds[c] = (unsigned char)kind;
            if (kind == K_LINES)
                t->shown[t->rows * n + c] = widest_line(t->arena + (c ? ends[c - 1] : start),
                                                        t->arena + t->arena_len);
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
 * numbers and there is one); DQ_FALLBACK when a cell is Python's, DQ_WIDTHS
 * when a cell's display width is not known yet. */
long long dq_table_measure(struct dq_table *t, size_t nrows) {
    size_t n = t->ncols, r, c, line = 1, extra = 0, lines = nrows;
    int unmeasured = 0, multiline = 0;
    if (nrows == 0 || nrows > t->rows) return DQ_FALLBACK;
    for (c = 0; c < n; c++) {
        t->widths[c] = t->name_widths[c];
        t->right[c] = 0;
    }
    for (r = 0; r < nrows; r++) {
        const size_t *ends = t->ends + r * n, *shown = t->shown + r * n;
        const unsigned char *kinds = t->kinds + r * n;
        size_t start = r ? ends[-1] : 0;
        for (c = 0; c < n; c++) {
            size_t w = ends[c] - start;
            switch (kinds[c]) {
            case K_PYTHON: return DQ_FALLBACK;
            case K_UNMEASURED: unmeasured = 1; break;
            case K_WIDE: extra += w; w = shown[c]; break;
            case K_NULL: extra += w; w = t->null_width; break;
            case K_LINES: multiline = 1; w = shown[c]; break;
            }
            if (w > t->widths[c]) t->widths[c] = w;
            t->right[c] |= (unsigned char)(1 << kinds[c]);   /* the kinds seen */
            start = ends[c];
        }
    }
    if (unmeasured) return DQ_WIDTHS;
    for (c = 0; c < n; c++) {
        t->right[c] = t->right[c] & (1 << K_NUMBER) && !(t->right[c] & TEXT_KINDS);
        line += t->widths[c] + 3;
        extra += t->name_ends[c] - (c ? t->name_ends[c - 1] : 0);
        /* a column 0 wide: tabulate's lines of empty text vanish (Python's) */
        if (multiline && t->widths[c] == 0) return DQ_FALLBACK;
    }
    t->multiline = multiline;
    if (multiline) {
        lines = 0;
        for (r = 0; r < nrows; r++) {
            size_t height = 0;
            for (c = 0; c < n; c++) {
                size_t h = cell_lines(t, r * n + c);
                if (h > height) height = h;
            }
            lines += height;
        }
    }
    /* a line as wide as its cells, plus the bytes of characters of several
     * bytes (at most all those of the wide cells, the NULLs and the names) */
    return (long long)((lines + 4) * (line + 1) + extra);
}

/* The texts of the first `nrows` rows' cells whose display width is not
 * known, each followed by a NUL, written at out when they fit in cap: the
 * bytes they take. */
size_t dq_table_wide_text(const struct dq_table *t, size_t nrows, char *out, size_t cap) {
    size_t i, size = 0;
    for (i = 0; i < nrows * t->ncols; i++) {
        size_t start = i ? t->ends[i - 1] : 0, len = t->ends[i] - start;
        if (t->kinds[i] != K_UNMEASURED) continue;
        if (size + len + 1 <= cap) {
            memcpy(out + size, t->arena + start, len);
            out[size + len] = 0;
        }
        size += len + 1;
    }
    return size;
}

/* The display widths of the cells dq_table_wide_text() gave, in its order
 * (count of them); a negative one leaves the block to Python. */
void dq_table_set_widths(struct dq_table *t, size_t nrows, const long long *widths,
                         size_t count) {
    size_t i, j = 0;
    for (i = 0; i < nrows * t->ncols && j < count; i++) {
        if (t->kinds[i] != K_UNMEASURED) continue;
        if (widths[j] < 0) {
            t->kinds[i] = K_PYTHON;
        } else {
            t->kinds[i] = K_WIDE;
            t->shown[i] = (size_t)widths[j];
        }
        j++;
    }
}

/* One line of cells, each padded to its column's width: the cells ending
 * at ends[] in text, of kinds[] (NULL: the header, shown[] wide). */
static char *put_line(const struct dq_table *t, char *o, const char *text, const size_t *ends,
                      size_t start, const unsigned char *kinds, const size_t *shown) {
    size_t c;
    *o++ = '|';
    for (c = 0; c < t->ncols; c++) {
        size_t len = ends[c] - start, w = len, pad;
        if (kinds == NULL || kinds[c] == K_WIDE) w = shown[c];
        else if (kinds[c] == K_NULL) w = t->null_width;
        pad = t->widths[c] - w;
        *o++ = ' ';
        if (t->right[c]) { memset(o, ' ', pad); o += pad; }
        memcpy(o, text + start, len); o += len;
        if (!t->right[c]) { memset(o, ' ', pad); o += pad; }
        *o++ = ' ';
        *o++ = '|';
        start = ends[c];
    }
    *o++ = '\n';
    return o;
}

/* Row r of a multi-line block: a line per line of its tallest cell, each
 * cell's line padded alone (blank past its last line); none when every cell
 * is empty. */
static char *put_lines(const struct dq_table *t, char *o, size_t r) {
    size_t n = t->ncols, c, i, height = 0;
    const size_t *ends = t->ends + r * n, *shown = t->shown + r * n;
    const unsigned char *kinds = t->kinds + r * n;
    for (c = 0; c < n; c++) {
        t->lines[c] = cell_lines(t, r * n + c);
        t->cursor[c] = c ? ends[c - 1] : r ? ends[-1] : 0;
        if (t->lines[c] > height) height = t->lines[c];
    }
    for (i = 0; i < height; i++) {
        *o++ = '|';
        for (c = 0; c < n; c++) {
            const char *s = t->arena + t->cursor[c], *nl;
            size_t len, w, pad = t->widths[c];
            *o++ = ' ';
            if (i < t->lines[c]) {
                nl = memchr(s, '\n', ends[c] - t->cursor[c]);
                len = nl ? (size_t)(nl - s) : ends[c] - t->cursor[c];
                w = kinds[c] == K_WIDE ? shown[c] : kinds[c] == K_NULL ? t->null_width : len;
                pad -= w;
                if (t->right[c]) { memset(o, ' ', pad); o += pad; }
                memcpy(o, s, len); o += len;
                if (!t->right[c]) { memset(o, ' ', pad); o += pad; }
                t->cursor[c] += len + (nl != NULL);
            } else {
                memset(o, ' ', pad); o += pad;
            }
            *o++ = ' ';
            *o++ = '|';
        }
        *o++ = '\n';
    }
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
    o = put_line(t, o, t->names, t->name_ends, 0, NULL, t->name_widths);
    memcpy(o, rule, rule_len);
    o[0] = o[rule_len - 2] = '|';
    o += rule_len;
    for (r = 0; r < nrows; r++) {
        if (t->multiline)
            o = put_lines(t, o, r);
        else
            o = put_line(t, o, t->arena, t->ends + r * n, r ? t->ends[r * n - 1] : 0,
                         t->kinds + r * n, t->shown + r * n);
    }
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
    memmove(t->shown, t->shown + nrows * n, left * sizeof *t->shown);
    for (i = 0; i < left; i++) t->ends[i] -= cut;
    t->rows -= nrows;
}
