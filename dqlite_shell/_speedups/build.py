"""The cffi builder of the accelerator (API mode): ``_format``, compiled
from ``format.c`` and ``table.c`` (one unit: the table code uses format.c's
value formatting).

setup.py names it in ``cffi_modules``, so ``pip install`` (and ``make
install``) compile it when a C compiler and Python's headers are there;
the extension is optional, so without them the install goes on and the
shell prints through its pure-Python renderers. ``python build.py`` builds
it in place (after editing format.c).
"""

import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))

CDEF = """
struct dq_options {
    int format;
    int blob;
    const char *sep; size_t sep_len;
    const char *row_sep; size_t row_sep_len;
    const char *null; size_t null_len;
    const char *keys;
    const size_t *key_ends;
};
long long dq_format(const struct dq_options *opt, const unsigned char *body, size_t len,
                    size_t ncols, char *out, size_t cap, size_t *out_len, int *done);
int dq_exact_real(void);

struct dq_table;
struct dq_table *dq_table_new(size_t ncols, int blob, const char *null, size_t null_len,
                              size_t null_width, const char *names, const size_t *name_ends,
                              const size_t *name_widths);
void dq_table_free(struct dq_table *t);
long long dq_table_feed(struct dq_table *t, const unsigned char *body, size_t len, int *done);
long long dq_table_measure(struct dq_table *t, size_t nrows);
size_t dq_table_wide_text(const struct dq_table *t, size_t nrows, char *out, size_t cap);
void dq_table_set_widths(struct dq_table *t, size_t nrows, const long long *widths,
                         size_t count);
size_t dq_table_render(const struct dq_table *t, size_t nrows, char *out);
void dq_table_drop(struct dq_table *t, size_t nrows);
"""

#: The C sources, compiled as one unit in this order.
SOURCES = ("format.c", "table.c")

ffibuilder = FFI()
ffibuilder.cdef(CDEF)

def _source() -> str:
    parts = []
    for name in SOURCES:
        with open(os.path.join(HERE, name), encoding="utf-8") as source:
            parts.append(f'#line 1 "{name}"\n' + source.read())
    return "\n".join(parts)


# optional: a failed compilation skips the extension, not the install.
ffibuilder.set_source("dqlite_shell._speedups._format", _source(), optional=True,
                      libraries=["m"], py_limited_api=True)  # one name: _format.abi3.so

if __name__ == "__main__":
    import glob
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:  # not the project's dir: setuptools reads its config
        built = ffibuilder.compile(tmpdir=tmp)
        # One build in place: an older one under another suffix (pip's
        # abi3) could be the one imported.
        for old in glob.glob(os.path.join(HERE, "_format.*.so")):
            os.remove(old)
        shutil.copy(built, HERE)
