"""Row decoders specialised per row-header pattern, for :mod:`.rows`.

A ROWS batch is usually a long run of rows with the very same header (the
same type in each column). For such a pattern this module generates, once,
the source of a Python function that decodes a whole run of those rows in a
tight loop with local variables only:

* consecutive fixed-width columns are read with one precompiled
  ``struct.Struct.unpack_from``; the fixed-width tail of a row, the next
  row's header and the next row's fixed-width head are read by *one* call;
* an ASCII TEXT value costs one ``str.index`` (zero terminator) and one
  slice of the body pre-decoded as latin-1 (UTF-8 decoding only for
  non-ASCII text); a BLOB one length read and one slice.

Why generated code, when the reference decoder is so much simpler (issue 18
asked to keep the simpler at equal speed; it is not equal). Measured on a
2-core x86-64 machine, CPython 3.11, 200,000 rows, best of 5
(decode) or 3 (end to end), with benchmarks/wire_decode.py and
benchmarks/decoder_e2e.py; "generic" is :func:`generic_run` alone (no
``exec``, one row per call):

====================================  ========  =======  =========
ns per row, decode only               compiled  generic  reference
====================================  ========  =======  =========
4 columns (int, text, real, int)           580     1175       4282
1 int column                               178      494       2618
20 columns (int, text, real)              2950     4359      13921
4 columns, ~20% NULLs                      806     1162       4130
12 columns, half NULL (sparse)            2884     2551       7628
====================================  ========  =======  =========

End to end on one node (seconds; 4 columns, then with NULLs):
``cursor.fetchall()`` 0.20 / 0.33 / 0.94 and 0.24 / 0.31 / 0.88;
``DQLITE_SHELL_NO_SPEEDUPS=1 dqlite -c`` list 0.32 / 0.46 / 1.07 and 0.38 /
0.43 / 1.05; table 0.38 / 0.51 / 1.17. The reference decoder is 2.5-15x
slower, the generic loop alone up to 2.8x (it wins only where nearly every
row has its own header). Every path that decodes in Python (the DB-API, the
shell without the accelerator, table output) runs this code, so it stays.

The generated source is built only from the fixed snippets below and
integers (column numbers, sizes): no input bytes end up in it, so ``exec``
is safe here.

Contract of a *run* function ``run(buf, latin, pos, append, index, blen) ->
pos``: ``latin`` is ``buf.decode("latin-1")``, ``index`` is ``latin.index``,
``blen`` is ``len(buf)`` and ``buf[pos:pos+hsize]`` is a header of the
pattern (the caller checked);
it decodes that row and every following row with the same header, appends
one tuple per row, and returns the offset after the last one. On malformed
input it raises ``struct.error`` or ``ValueError`` (including
``UnicodeDecodeError``) and the caller falls back to the reference decoder;
it never reads outside ``buf``. Padding bytes are not checked, exactly like
the reference decoder.
"""

from __future__ import annotations

import struct
from typing import Any

from .constants import ValueType
from .rows_reference import VALID_TYPES
from .values import Iso8601, UnixTime

# Type codes as plain ints (the generated source and the loops compare them).
_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL, _UNIXTIME, _ISO, _BOOLEAN = (int(t) for t in (
    ValueType.INTEGER, ValueType.FLOAT, ValueType.TEXT, ValueType.BLOB, ValueType.NULL,
    ValueType.UNIXTIME, ValueType.ISO8601, ValueType.BOOLEAN))
#: Struct format of the fixed-width types.
_FIXED = {_INTEGER: "q", _FLOAT: "d", _NULL: "8x", _UNIXTIME: "q", _BOOLEAN: "Q"}
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")


def header_types(header: bytes, n: int, hsize: int) -> list[int] | None:
    """Column types of a valid row header of ``n`` columns, else None."""
    if len(header) != hsize:
        return None
    types = []
    for i in range(2 * hsize):
        byte = header[i >> 1]
        code = byte >> 4 if i & 1 else byte & 0x0F
        if i < n:
            if code not in VALID_TYPES:
                return None
            types.append(code)
        elif code:
            return None
    return types


def _names(types: list[int], cols: list[int], prefix: str = "v") -> list[str]:
    """Variable names receiving the unpacked values of ``cols`` (NULLs give none)."""
    return [f"{prefix}{i}" for i in cols if types[i] != _NULL]


def _unpack(targets: list[str], func: str) -> str:
    if not targets:
        return f"{func}(buf, p)"
    return f"{', '.join(targets)}, = {func}(buf, p)"


def compile_run(types: list[int], header: bytes):
    """Generate and compile the run function for one header pattern."""
    n, hsize = len(types), len(header)
    variable = [i for i, t in enumerate(types) if t not in _FIXED]
    if variable:
        head, tail = list(range(variable[0])), list(range(variable[-1] + 1, n))
        middle = range(variable[0], variable[-1] + 1)
    else:
        head, tail, middle = list(range(n)), [], range(0)
    hsize_fmt = "Q" if hsize == 8 else f"{hsize}s"
    consts = {
        "error": struct.error,
        "U64": _U64.unpack_from,
        "UnixTime": UnixTime,
        "Iso8601": Iso8601,
        "HDR": _U64.unpack(header)[0] if hsize == 8 else header,
    }

    def fmt(cols) -> str:
        return "<" + "".join(_FIXED[types[i]] for i in cols)

    def struct_const(name: str, layout: str) -> str:
        consts[name] = struct.Struct(layout).unpack_from
        return name

    head_size, tail_size = 8 * len(head), 8 * len(tail)
    lines = ["def run(buf, latin, pos, append, index, blen):", f"    p = pos + {hsize}"]
    if head:
        lines.append("    " + _unpack(_names(types, head), struct_const("S_head", fmt(head))))
        lines.append(f"    p += {head_size}")
    lines.append("    while True:")
    body = []
    i = middle.start
    while i < middle.stop:
        t = types[i]
        if t in (_TEXT, _ISO):
            # ``latin`` is the body decoded as latin-1: for ASCII text a slice
            # of it is the value (``isascii`` is O(1) on str); other text is
            # decoded as UTF-8 from the bytes.
            body.append('e = index("\\0", p)')
            body.append(f"v{i} = latin[p:e]")
            body.append(f"if not v{i}.isascii():")
            body.append(f"    v{i} = buf[p:e].decode()")
            if t == _ISO:
                body.append(f"v{i} = Iso8601(v{i})")
            body.append("p = (e + 8) & -8")
            i += 1
        elif t == _BLOB:
            body.append("e = p + 8 + U64(buf, p)[0]")
            body.append("q = (e + 7) & -8")
            body.append("if q > blen:")
            body.append("    raise error('blob runs past the end of the body')")
            body.append(f"v{i} = buf[p + 8:e]")
            body.append("p = q")
            i += 1
        else:
            j = i
            while j < middle.stop and types[j] in _FIXED:
                j += 1
            group = list(range(i, j))
            body.append(_unpack(_names(types, group), struct_const(f"S_mid{i}", fmt(group))))
            body.append(f"p += {8 * len(group)}")
            i = j
    conv = {_NULL: "None", _UNIXTIME: "UnixTime(v{})", _BOOLEAN: "v{} != 0"}
    row = "(" + "".join(conv.get(types[c], "v{}").format(c) + ", " for c in range(n)) + ")"
    wrap = struct_const("S_wrap", fmt(tail) + hsize_fmt + fmt(head)[1:])
    struct_const("S_tail", fmt(tail))
    body += [
        "try:",
        "    " + _unpack(_names(types, tail) + ["h"] + _names(types, head, "n"), wrap),
        "except error:",
        "    " + _unpack(_names(types, tail), "S_tail"),
        f"    append({row})",
        f"    return p + {tail_size}",
        f"append({row})",
        "if h != HDR:",
        f"    return p + {tail_size}",
    ]
    body += [f"v{c} = n{c}" for c in head if types[c] != _NULL]
    body.append(f"p += {tail_size + hsize + head_size}")
    lines += ["        " + line for line in body]
    source = "\n".join(lines) + "\n"
    namespace: dict[str, Any] = dict(consts)
    exec(compile(source, f"<dqlite rows decoder {header.hex()}/{n}>", "exec"), namespace)  # noqa: S102
    run = namespace["run"]
    run.source = source
    return run


def generic_run(types: list[int], hsize: int, on_milestone=None, milestones=()):
    """A run function that decodes exactly one row, without code generation.

    It calls ``on_milestone(uses)`` when the number of rows it has decoded
    reaches one of ``milestones`` (the caller uses that to compile frequent
    patterns).
    """
    uses = 0

    def run(buf, latin, pos, append, index, blen):
        nonlocal uses
        uses += 1
        if uses in milestones:
            on_milestone(uses)
        p = pos + hsize
        values = []
        for t in types:
            if t == _INTEGER:
                values.append(_I64.unpack_from(buf, p)[0])
                p += 8
            elif t == _TEXT or t == _ISO:
                e = index("\0", p)
                text = latin[p:e]
                if not text.isascii():
                    text = buf[p:e].decode()
                values.append(text if t == _TEXT else Iso8601(text))
                p = (e + 8) & -8
            elif t == _NULL:
                values.append(None)
                p += 8
            elif t == _FLOAT:
                values.append(_F64.unpack_from(buf, p)[0])
                p += 8
            elif t == _BLOB:
                e = p + 8 + _U64.unpack_from(buf, p)[0]
                q = (e + 7) & -8
                if q > blen:
                    raise struct.error("blob runs past the end of the body")
                values.append(buf[p + 8 : e])
                p = q
            else:  # UNIXTIME, BOOLEAN
                raw = _I64.unpack_from(buf, p)[0]
                values.append(UnixTime(raw) if t == _UNIXTIME else raw != 0)
                p += 8
        if p > blen:
            raise struct.error("row runs past the end of the body")
        append(tuple(values))
        return p

    return run
