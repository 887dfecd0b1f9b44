/* ROWS bodies straight to output bytes: the compiled half of the accelerator.
 *
 * dq_format() reads one ROWS body (layout: dqlite_shell/wire/rows_reference.py)
 * and writes every row of it as the pure-Python renderers would
 * (shell/output/text.py list and csv, structured.py json and jsonl), with no
 * Python object per value. It returns the number of rows, or DQ_FALLBACK when
 * the body is anything but plain (a malformed body, a header nibble out of
 * place, invalid UTF-8, a value this code does not format exactly): the caller
 * then decodes the body in Python, which formats it or raises the detailed
 * ProtocolError. So every byte this file writes is a byte the Python path
 * writes too; what it cannot match exactly it leaves to Python.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DQ_FALLBACK (-1)
#define DQ_NO_ROOM (-2)

enum { FMT_LIST = 0, FMT_CSV = 1, FMT_JSON = 2, FMT_JSONL = 3 };
enum { BLOB_HEX = 0, BLOB_AUTO = 1, BLOB_TEXT = 2, BLOB_BASE64 = 3 };
enum { T_INTEGER = 1, T_FLOAT = 2, T_TEXT = 3, T_BLOB = 4, T_NULL = 5,
       T_UNIXTIME = 9, T_ISO8601 = 10, T_BOOLEAN = 11 };

struct dq_options {
    int format;
    int blob;                       /* list only: csv is hex, json base64 */
    const char *sep; size_t sep_len;
    const char *row_sep; size_t row_sep_len;
    const char *null; size_t null_len;
    const char *keys;               /* json: each column's "name": back to back */
    const size_t *key_ends;         /* json: where each key ends in keys */
};

/* Whether this build formats REALs exactly as SQLite 3.40 does: only where
 * long double is the x87 80-bit type that SQLite computes the digits in. */
#if LDBL_MANT_DIG == 64
#define DQ_EXACT_REAL 1
#else
#define DQ_EXACT_REAL 0
#endif

int dq_exact_real(void) { return DQ_EXACT_REAL; }

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Python's strict UTF-8 decoder accepts exactly the well-formed sequences
 * (no overlongs, no surrogates, nothing above U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n, int *ascii) {
    size_t i = 0;
    int only_ascii = 1;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) { i++; continue; }
        only_ascii = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            if (i + 2 >= n || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80)
                return 0;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            if (i + 3 >= n || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xC0) != 0x80
                || (s[i + 3] & 0xC0) != 0x80)
                return 0;
            i += 4;
        } else {
            return 0;
        }
    }
    if (ascii) *ascii = only_ascii;
    return 1;
}

static char *put_i64(char *o, int64_t v) {
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) *o++ = '-';
    while (n) *o++ = tmp[--n];
    return o;
}


static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The common REAL of a database (0.25, 19.99, 1234.0) is the double nearest
 * m / 10**k for an m of at most 15 digits. Then m's digits are both what
 * SQLite's %!.15g prints (the 15-digit rounding of x is m / 10**k, half a
 * unit of the 15th digit away from any tie, where the x87 error is below
 * 0.003 unit) and the shortest digits that read back (Python's repr): no
 * need for either algorithm. Finds the smallest such k (m has no trailing
 * zero then); 0 when there is none. */
static int short_decimal(double x, int64_t *m_out, int *k_out) {
    int k;
    double ax = fabs(x);
    if (!(ax >= 1e-22 && ax < 1e15)) return 0;
    for (k = 0; k <= 22; k++) {
        double t = x * POW10[k], m;
        if (fabs(t) >= 1e15) return 0;
        m = nearbyint(t);
        /* x * 10**k is within about 2 ulps of m when x is nearest m / 10**k */
        if (fabs(t - m) <= fabs(t) * 5e-16 && m != 0 && m / POW10[k] == x) {
            *m_out = (int64_t)m;
            *k_out = k;
            return 1;
        }
    }
    return 0;
}

/* m / 10**k written as SQLite's %!.15g (sqlite = 1) or Python's repr. */
static char *put_short_decimal(char *o, int64_t m, int k, int sqlite) {
    char d[20] = {0};
    int nd = 0, exp, i;
    uint64_t u = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
    char tmp[20];
    if (m < 0) *o++ = '-';
    while (u) { tmp[nd++] = (char)('0' + u % 10); u /= 10; }
    for (i = 0; i < nd; i++) d[i] = tmp[nd - 1 - i];
    exp = nd - 1 - k;                   /* of the first digit */
    if (exp < -4) {                     /* both switch to an exponent there */
        *o++ = d[0];
        if (nd > 1) { *o++ = '.'; memcpy(o, d + 1, nd - 1); o += nd - 1; }
        else if (sqlite) { *o++ = '.'; *o++ = '0'; }
        *o++ = 'e'; *o++ = '-';
        exp = -exp;
        if (exp >= 100) { *o++ = (char)('0' + exp / 100); exp %= 100; }
        *o++ = (char)('0' + exp / 10);
        *o++ = (char)('0' + exp % 10);
    } else if (exp < 0) {
        *o++ = '0'; *o++ = '.';
        for (i = 0; i < -exp - 1; i++) *o++ = '0';
        memcpy(o, d, nd); o += nd;
    } else if (k == 0) {
        memcpy(o, d, nd); o += nd;
        *o++ = '.'; *o++ = '0';
    } else {
        memcpy(o, d, exp + 1); o += exp + 1;
        *o++ = '.';
        memcpy(o, d + exp + 1, nd - exp - 1); o += nd - exp - 1;
    }
    return o;
}

#if DQ_EXACT_REAL
/* sqlite3_str_appendf("%!.15g", x) of SQLite 3.38-3.42 (src/printf.c,
 * etGENERIC with the '!' flag), the text CAST(x AS TEXT) gives: the same
 * steps in the same long double arithmetic, so the same digits, ties and
 * all (values.real_text replays this in integers). */
static char *real_g15(char *o, double x) {
    long double v, scale = 1.0L;
    double rounder = 5.0e-05;
    int exp = 0, precision = 14, e2, fixed;
    char *start;
    if (x != x) { memcpy(o, "NaN", 3); return o + 3; }
    if (x == 0.0) { memcpy(o, "0.0", 3); return o + 3; }   /* -0.0 too */
    if (x < 0) { *o++ = '-'; v = -(long double)x; } else { v = x; }
    rounder *= 1.0e-10;                 /* arRound[4] * 1.0e-10, in double */
    while (v >= 1e100 * scale && exp <= 350) { scale *= 1e100; exp += 100; }
    while (v >= 1e10 * scale && exp <= 350) { scale *= 1e10; exp += 10; }
    while (v >= 10.0 * scale && exp <= 350) { scale *= 10.0; exp++; }
    v /= scale;
    while (v < 1e-8) { v *= 1e8; exp -= 8; }
    while (v < 1.0) { v *= 10.0; exp--; }
    if (exp > 350) { memcpy(o, "Inf", 3); return o + 3; }
    v += rounder;
    if (v >= 10.0) { v *= 0.1; exp++; }
    fixed = !(exp < -4 || exp > precision);
    if (fixed) { precision -= exp; e2 = exp; } else { e2 = 0; }
    start = o;
    if (e2 < 0) {
        *o++ = '0';
    } else {
        for (; e2 >= 0; e2--) {
            int d = (int)v;
            *o++ = (char)('0' + d);
            v = (v - d) * 10.0;
        }
    }
    *o++ = '.';
    for (e2++; e2 < 0; precision--, e2++) *o++ = '0';
    while (precision-- > 0) {
        int d = (int)v;
        *o++ = (char)('0' + d);
        v = (v - d) * 10.0;
    }
    while (o[-1] == '0') o--;
    if (o[-1] == '.') *o++ = '0';
    (void)start;
    if (!fixed) {
        *o++ = 'e';
        if (exp < 0) { *o++ = '-'; exp = -exp; } else { *o++ = '+'; }
        if (exp >= 100) { *o++ = (char)('0' + exp / 100); exp %= 100; }
        *o++ = (char)('0' + exp / 10);
        *o++ = (char)('0' + exp % 10);
    }
    return o;
}
#endif

/* Python's repr(float): the shortest digits that read back as x (the
 * correctly rounded 15, 16 or 17 significant digits: the first that
 * round-trips is the shortest, as a double's half ulp is below half a unit
 * of its 15th digit), laid out as repr lays them out. JSON has no
 * NaN or infinity: null, as structured.json_value writes them. */
static char *real_repr(char *o, double x) {
    char buf[40], digits[20];
    int p, nd = 0, exp10, decpt, i, two;
    char *e;
    if (x != x || x == HUGE_VAL || x == -HUGE_VAL) { memcpy(o, "null", 4); return o + 4; }
    if (x == 0.0) {
        if (signbit(x)) *o++ = '-';
        memcpy(o, "0.0", 3);
        return o + 3;
    }
    /* A subnormal has fewer digits of precision: its shortest can be any length. */
    for (p = fabs(x) < DBL_MIN ? 1 : 15; p <= 17; p++) {
        double back;
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        if (p == 17 || (back = strtod(buf, NULL)) == x) break;
        /* A power of two reads back from a wider interval above it than
         * below: the p digits on the other side of x may read back when the
         * nearest do not (2**-24: 5.960464477539063e-08). Any other double's
         * interval is symmetric: the nearest read back if any do. glibc's
         * printf rounds in the current direction. */
        if (frexp(x, &two) == (x < 0 ? -0.5 : 0.5)) {
            int mode = fegetround();
            fesetround(back < x ? FE_UPWARD : FE_DOWNWARD);   /* toward x's other side */
            snprintf(buf, sizeof buf, "%.*e", p - 1, x);
            fesetround(mode);
            if (strtod(buf, NULL) == x) break;
        }
    }
    i = buf[0] == '-' ? 1 : 0;
    if (i) *o++ = '-';
    for (; buf[i] != 'e'; i++)
        if (buf[i] != '.') digits[nd++] = buf[i];
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    exp10 = (int)strtol(buf + i + 1, &e, 10);
    decpt = exp10 + 1;
    if (decpt <= -4 || decpt > 16) {
        *o++ = digits[0];
        if (nd > 1) { *o++ = '.'; memcpy(o, digits + 1, nd - 1); o += nd - 1; }
        *o++ = 'e';
        if (exp10 < 0) { *o++ = '-'; exp10 = -exp10; } else { *o++ = '+'; }
        if (exp10 >= 100) { *o++ = (char)('0' + exp10 / 100); exp10 %= 100; }
        *o++ = (char)('0' + exp10 / 10);
        *o++ = (char)('0' + exp10 % 10);
    } else if (decpt <= 0) {
        *o++ = '0'; *o++ = '.';
        for (i = 0; i < -decpt; i++) *o++ = '0';
        memcpy(o, digits, nd); o += nd;
    } else if (decpt >= nd) {
        memcpy(o, digits, nd); o += nd;
        for (i = nd; i < decpt; i++) *o++ = '0';
        *o++ = '.'; *o++ = '0';
    } else {
        memcpy(o, digits, decpt); o += decpt;
        *o++ = '.';
        memcpy(o, digits + decpt, nd - decpt); o += nd - decpt;
    }
    return o;
}

static const char HEX[] = "0123456789ABCDEF";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A REAL as list, csv and table show it: SQLite's "%!.15g" (values.real_text);
 * NULL where this build cannot (no x87 long double): Python's real_text then. */
static char *put_real_text(char *o, double x) {
    int64_t m;
    int k;
    if (short_decimal(x, &m, &k)) return put_short_decimal(o, m, k, 1);
#if DQ_EXACT_REAL
    return real_g15(o, x);
#else
    return NULL;
#endif
}

static char *put_hex_literal(char *o, const unsigned char *s, size_t n) {
    size_t i;
    *o++ = 'X'; *o++ = '\'';
    for (i = 0; i < n; i++) { *o++ = HEX[s[i] >> 4]; *o++ = HEX[s[i] & 15]; }
    *o++ = '\'';
    return o;
}

static char *put_base64(char *o, const unsigned char *s, size_t n) {
    size_t i;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *o++ = B64[v >> 18]; *o++ = B64[(v >> 12) & 63]; *o++ = B64[(v >> 6) & 63]; *o++ = B64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        *o++ = B64[v >> 18]; *o++ = B64[(v >> 12) & 63]; *o++ = '='; *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        *o++ = B64[v >> 18]; *o++ = B64[(v >> 12) & 63]; *o++ = B64[(v >> 6) & 63]; *o++ = '=';
    }
    return o;
}

/* json.encoder.encode_basestring: ", \ and the C0 controls escaped. */
static char *put_json_string(char *o, const unsigned char *s, size_t n) {
    size_t i;
    *o++ = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') { *o++ = (char)c; continue; }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = "0123456789abcdef"[c >> 4]; *o++ = "0123456789abcdef"[c & 15];
        }
    }
    *o++ = '"';
    return o;
}

/* sqlite3's CSV quoting as text.csv_needs_quotes has it: anything but
 * printable ASCII, the two quotes, the separator's character (a one-character
 * separator) or the separator itself (a longer one; an empty one is found
 * everywhere); an empty field is quoted too. */
static int csv_needs_quotes(const struct dq_options *opt, const unsigned char *plain,
                            const unsigned char *s, size_t n) {
    size_t i;
    if (n == 0) return 1;
    for (i = 0; i < n; i++)
        if (!plain[s[i]]) return 1;
    if (plain[256]) {                   /* a separator of several characters */
        if (opt->sep_len == 0) return 1;
        if (opt->sep_len <= n && memmem(s, n, opt->sep, opt->sep_len) != NULL) return 1;
    }
    return 0;
}

static char *put_csv_text(char *o, const unsigned char *s, size_t n) {
    size_t i;
    *o++ = '"';
    for (i = 0; i < n; i++) {
        if (s[i] == '"') *o++ = '"';
        *o++ = (char)s[i];
    }
    *o++ = '"';
    return o;
}

/* A number in CSV, quoted when the separator makes it need quotes (no
 * number needs them with ","; an empty separator is found in every one). */
static char *csv_number(const struct dq_options *opt, const unsigned char *plain, char *start,
                        char *o) {
    size_t n = (size_t)(o - start);
    if (opt->sep_len == 1 && opt->sep[0] == ',') return o;
    if (!csv_needs_quotes(opt, plain, (const unsigned char *)start, n)) return o;
    memmove(start + 1, start, n);
    *start = '"';
    o++;
    *o++ = '"';
    return o;
}

/* Where a ROWS body's first row starts (after the column count and names,
 * which must be ncols valid UTF-8 names), or 0 when the body is not that. */
static size_t rows_start(const unsigned char *body, size_t len, size_t ncols) {
    size_t pos = 8, c;
    if (len < 16 || len % 8) return 0;
    if (get_u64(body) != ncols || ncols > len / 8) return 0;
    for (c = 0; c < ncols; c++) {
        const unsigned char *nul = memchr(body + pos, 0, len - pos);
        if (nul == NULL) return 0;
        if (!valid_utf8(body + pos, (size_t)(nul - (body + pos)), NULL)) return 0;
        pos = pad8((size_t)(nul - body) + 1);
        if (pos > len) return 0;
    }
    return pos;
}

/* The worst case of one value's output, to check room once per value. */
#define ROOM(need) do { if ((size_t)(out_end - o) < (size_t)(need)) return DQ_NO_ROOM; } while (0)

long long dq_format(const struct dq_options *opt, const unsigned char *body, size_t len,
                    size_t ncols, char *out, size_t cap, size_t *out_len, int *done) {
    unsigned char plain[257];
    size_t pos, hsize, n, i, c;
    long long rows = 0;
    char *o = out, *out_end = out + cap;
    uint64_t marker;
    int fmt = opt->format;

    pos = rows_start(body, len, ncols);
    if (pos == 0) return DQ_FALLBACK;
    n = ncols;
    if (fmt == FMT_CSV) {
        size_t chars = 0;
        for (i = 0; i < 256; i++) plain[i] = i >= 0x21 && i < 0x7F && i != '"' && i != '\'';
        for (i = 0; i < opt->sep_len; i++) chars += ((unsigned char)opt->sep[i] & 0xC0) != 0x80;
        plain[256] = chars != 1;        /* then the separator is searched for */
        if (opt->sep_len == 1) plain[(unsigned char)opt->sep[0]] = 0;
    }
    hsize = pad8((n + 1) / 2);
    while (len - pos != 8) {
        const unsigned char *h;
        if (len - pos < 8 || n == 0 || hsize > len - pos) return DQ_FALLBACK;
        h = body + pos;
        for (i = n; i < 2 * hsize; i++)            /* padding nibbles are zero */
            if ((i & 1 ? h[i >> 1] >> 4 : h[i >> 1] & 15) != 0) return DQ_FALLBACK;
        pos += hsize;
        if (fmt == FMT_JSON && rows > 0) { ROOM(2); *o++ = ','; *o++ = '\n'; }
        if (fmt >= FMT_JSON) { ROOM(1); *o++ = '{'; }
        for (c = 0; c < n; c++) {
            int t = c & 1 ? h[c >> 1] >> 4 : h[c >> 1] & 15;
            const unsigned char *v = body + pos;
            char *vstart;
            if (c > 0) {
                if (fmt >= FMT_JSON) { ROOM(1); *o++ = ','; }
                else { ROOM(opt->sep_len); memcpy(o, opt->sep, opt->sep_len); o += opt->sep_len; }
            }
            if (fmt >= FMT_JSON) {
                size_t k0 = c ? opt->key_ends[c - 1] : 0, k1 = opt->key_ends[c];
                ROOM(k1 - k0);
                memcpy(o, opt->keys + k0, k1 - k0); o += k1 - k0;
            }
            vstart = o;
            switch (t) {
            case T_INTEGER: case T_UNIXTIME:
                if (len - pos < 8) return DQ_FALLBACK;
                ROOM(26);
                o = put_i64(o, (int64_t)get_u64(v));
                if (fmt == FMT_CSV) o = csv_number(opt, plain, vstart, o);
                pos += 8;
                break;
            case T_BOOLEAN:
                if (len - pos < 8) return DQ_FALLBACK;
                ROOM(3);
                *o++ = get_u64(v) ? '1' : '0';
                if (fmt == FMT_CSV) o = csv_number(opt, plain, vstart, o);
                pos += 8;
                break;
            case T_FLOAT: {
                uint64_t bits;
                double x;
                if (len - pos < 8) return DQ_FALLBACK;
                bits = get_u64(v);
                memcpy(&x, &bits, 8);
                ROOM(40);
                if (fmt >= FMT_JSON) {
                    int64_t m;
                    int k;
                    o = short_decimal(x, &m, &k) ? put_short_decimal(o, m, k, 0)
                                                 : real_repr(o, x);
                } else {
                    o = put_real_text(o, x);
                    if (o == NULL) return DQ_FALLBACK;
                    if (fmt == FMT_CSV) o = csv_number(opt, plain, vstart, o);
                }
                pos += 8;
                break;
            }
            case T_NULL:
                if (len - pos < 8) return DQ_FALLBACK;
                if (fmt >= FMT_JSON) { ROOM(4); memcpy(o, "null", 4); o += 4; }
                else { ROOM(opt->null_len); memcpy(o, opt->null, opt->null_len); o += opt->null_len; }
                pos += 8;
                break;
            case T_TEXT: case T_ISO8601: {
                const unsigned char *nul = memchr(v, 0, len - pos);
                size_t tn, stop;
                if (nul == NULL) return DQ_FALLBACK;
                tn = (size_t)(nul - v);
                stop = pos + pad8(tn + 1);
                if (stop > len || !valid_utf8(v, tn, NULL)) return DQ_FALLBACK;
                if (fmt == FMT_LIST) {
                    ROOM(tn); memcpy(o, v, tn); o += tn;
                } else if (fmt == FMT_CSV) {
                    ROOM(2 * tn + 2);
                    if (csv_needs_quotes(opt, plain, v, tn)) o = put_csv_text(o, v, tn);
                    else { memcpy(o, v, tn); o += tn; }
                } else {
                    ROOM(6 * tn + 2);
                    o = put_json_string(o, v, tn);
                }
                pos = stop;
                break;
            }
            case T_BLOB: {
                uint64_t bn;
                const unsigned char *data = v + 8;
                if (len - pos < 8) return DQ_FALLBACK;
                bn = get_u64(v);
                if (bn > len - pos - 8 || pad8((size_t)bn) > len - pos - 8) return DQ_FALLBACK;
                ROOM(2 * bn + 8);
                if (fmt >= FMT_JSON) {
                    *o++ = '"'; o = put_base64(o, data, bn); *o++ = '"';
                } else if (fmt == FMT_CSV) {
                    *o++ = '"'; o = put_hex_literal(o, data, bn); *o++ = '"';
                } else if (opt->blob == BLOB_HEX) {
                    o = put_hex_literal(o, data, bn);
                } else if (opt->blob == BLOB_BASE64) {
                    o = put_base64(o, data, bn);
                } else {
                    int ascii = 0, ok = valid_utf8(data, bn, &ascii);
                    if (opt->blob == BLOB_TEXT) {
                        /* invalid bytes become U+FFFD as Python's decoder places them */
                        if (!ok) return DQ_FALLBACK;
                        memcpy(o, data, bn); o += bn;
                    } else if (!ok) {       /* auto */
                        o = put_hex_literal(o, data, bn);
                    } else if (!ascii) {
                        return DQ_FALLBACK; /* str.isprintable() needs Unicode's tables */
                    } else {
                        size_t j;
                        int printable = 1;
                        for (j = 0; j < bn; j++)
                            if ((data[j] < 0x20 || data[j] > 0x7E) && data[j] != '\t'
                                && data[j] != '\n' && data[j] != '\r') { printable = 0; break; }
                        if (printable) {
                            *o++ = 'b'; *o++ = '\'';
                            memcpy(o, data, bn); o += bn;
                            *o++ = '\'';
                        } else {
                            o = put_hex_literal(o, data, bn);
                        }
                    }
                }
                pos += 8 + pad8((size_t)bn);
                break;
            }
            default:
                return DQ_FALLBACK;
            }
        }
        if (fmt >= FMT_JSON) { ROOM(2); *o++ = '}'; if (fmt == FMT_JSONL) *o++ = '\n'; }
        else { ROOM(opt->row_sep_len); memcpy(o, opt->row_sep, opt->row_sep_len); o += opt->row_sep_len; }
        rows++;
    }
    marker = get_u64(body + pos);
    if (marker == 0xFFFFFFFFFFFFFFFFull) *done = 1;
    else if (marker == 0xEEEEEEEEEEEEEEEEull) *done = 0;
    else return DQ_FALLBACK;
    *out_len = (size_t)(o - out);
    return rows;
}
