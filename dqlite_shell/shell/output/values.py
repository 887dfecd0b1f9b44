"""One value from the server -> the text SQLite would print for it.

The text output formats (``list``, ``csv``, ``line``, ``markdown``,
``table``) print values the way the ``sqlite3`` CLI does, with one
exception for BLOBs:

* ``None`` (NULL) -> the ``nullvalue`` setting (``""`` by default);
* integers -> decimal; ``bool`` (from BOOLEAN columns) -> ``1``/``0``, the
  integers SQLite stores; :class:`~dqlite_shell.wire.values.UnixTime` -> its
  plain decimal value (not its ``repr``);
* text (including :class:`~dqlite_shell.wire.values.Iso8601`) -> as is;
* REAL -> :func:`real_text`, exactly what ``CAST(x AS TEXT)`` gives;
* BLOB -> ``X'0A1B'``, the SQL literal (uppercase hex), by default.  ``sqlite3``
  writes the raw bytes, which a text stream cannot carry.  The functions
  below take ``blob``, the function that shows a BLOB (``.blob``, see
  :mod:`.blobs`).

:func:`terminal_text` then makes text safe for a terminal (formats meant for
people, see :mod:`dqlite_shell.shell.output`).

This module imports nothing from the rest of the package but :mod:`.blobs`:
the tagged subclasses are handled through ``isinstance``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import TYPE_CHECKING

from .blobs import hex_text

if TYPE_CHECKING:
    import sqlite3

    from .blobs import Formatter

_INF = float("inf")
_TWO64 = 1 << 64
_TWO63 = float(1 << 63)

#: Types whose ``str()`` is already SQLite's text (exact types, no subclasses).
PLAIN_TYPES = frozenset((str, int))
#: The same plus NULL.
PLAIN_OR_NULL_TYPES = frozenset((str, int, type(None)))
_STR_ONLY = {str}


#: A BLOB as an SQL literal: ``b"\\n\\x1b"`` -> ``"X'0A1B'"`` (the default display).
blob_text = hex_text


def real_text(x: float) -> str:
    """A double as SQLite turns it into text (``CAST(x AS TEXT)``).

    That is SQLite's ``printf("%!.15g")``: 15 significant digits, trailing
    zeros dropped but always a digit after the point (``1.0``, ``1.0e+100``),
    an exponent of at least two digits (``1.0e-07``), ``Inf``/``-Inf`` for
    infinities, ``0.0`` for negative zero and ``NaN`` for NaN (SQLite itself
    never stores a NaN; it turns it into NULL).

    SQLite (3.38 to 3.42, e.g. Debian bookworm's 3.40) computes the digits in
    x87 ``long double`` arithmetic, which rounds a few values differently
    from a correctly rounded ``"%.15g"`` (``690013192974405.5`` ->
    ``690013192974405.0``).  Python's ``"%.15g"`` is used when the value is
    clearly away from such a rounding tie; otherwise (and for ``|x| >= 1e99``,
    where SQLite's inexact ``1e100`` scale factor matters) the exact SQLite
    algorithm is replayed in integer arithmetic (:func:`_sqlite_g15`).
    """
    if x != x:
        return "NaN"
    ax = -x if x < 0 else x
    if ax == _INF:
        return "-Inf" if x < 0 else "Inf"
    if ax == 0.0:
        return "0.0"
    if ax >= 1e99:
        return _sqlite_g15(x)
    # Digits 16..18 of the correctly rounded value tell how far it is from a
    # tie at the 15th digit; SQLite's error is below 0.003 of that digit.
    tail = f"{ax:.17e}"[16:19]
    if "490" <= tail <= "510":
        return _sqlite_g15(x)
    text = f"{x:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            return mantissa + ".0e" + exponent
        return text
    if "." not in text:
        return text + ".0"
    return text


def real_literal(x: float) -> str:
    """A double as the sqlite3 shell writes it in SQL (``.dump``, ``.mode
    insert``/``quote``): an integral value in the int64 range as ``18.0``,
    infinities as ``1e999``/``-1e999``, others as SQLite's
    ``printf("%!.20g")``, asked of the local SQLite library (2 us; replaying
    its 3.40 x87 arithmetic in Python took 9 us).

    SQLite (3.40) reads that text back as the same double, except for some
    below about 1e-280 (its parser's scaling rounds twice there: 0.3% of
    random bit patterns, all that tiny); for those, when the local SQLite
    misreads the text, an expression that computes the double exactly is
    written instead (see :func:`_exact_real`)."""
    if x != x:
        return "NULL"  # SQLite stores no NaN (it becomes NULL)
    if x == 0.0:
        return "0.0"
    if x == _INF or x == -_INF:
        return "1e999" if x > 0 else "-1e999"
    if x.is_integer() and -_TWO63 <= x < _TWO63:
        return f"{int(x)}.0"  # as the shell's own "%lld.0" for integral values
    text = real_g20(x)
    if -1e-270 < x < 1e-270 and _local().execute("SELECT " + text).fetchone()[0] != x:
        return _exact_real(x)
    return text


def real_g20(x: float) -> str:
    """SQLite's ``printf("%!.20g", x)``, asked of the local SQLite library:
    what ``.mode quote`` writes for every REAL (``Inf`` for an infinity), and
    :func:`real_literal` for most."""
    return _local().execute("SELECT printf('%!.20g', ?)", (x,)).fetchone()[0]


def _local():
    """A connection to an in-memory database of the local SQLite library."""
    global _local_sqlite
    if _local_sqlite is None:
        import sqlite3
        _local_sqlite = sqlite3.connect(":memory:", check_same_thread=False)
    return _local_sqlite


_local_sqlite: sqlite3.Connection | None = None


def _exact_real(x: float) -> str:
    """``x`` as an SQL expression every SQLite computes exactly: its integer
    significand divided by powers of two (each step exact: the result is
    representable)."""
    significand, denominator = x.as_integer_ratio()  # denominator: a power of two
    parts = [f"CAST({significand} AS REAL)"]
    shift = denominator.bit_length() - 1
    while shift > 0:
        step = min(shift, 62)
        parts.append(str(1 << step))
        shift -= step
    return "(" + "/".join(parts) + ")"


def _unused(text: str, first: str, second: str) -> str:
    """The sqlite3 shell's unused_string(): a marker that ``text`` does not hold."""
    if first not in text:
        return first
    if second not in text:
        return second
    i = 0
    while f"({first}{i})" in text:
        i += 1
    return f"({first}{i})"


def text_literal(text: str, newlines: bool = False) -> str:
    """A TEXT value as an SQL string literal, as the sqlite3 shell (3.40)
    writes it: quotes doubled, and unless ``newlines`` line feeds and
    carriage returns spelled ``replace('a\\nb','\\n',char(10))`` so that
    no line-end translation can change them. A NUL, which sqlite3 cuts the
    text at, is kept: such a text is ``CAST(X'..' AS TEXT)``."""
    if "\0" in text:
        return "CAST(X'" + text.encode("utf-8", "surrogatepass").hex() + "' AS TEXT)"
    quoted = "'" + text.replace("'", "''") + "'"
    if newlines or ("\n" not in text and "\r" not in text):
        return quoted
    head = tail = ""
    if "\n" in text:
        nl = _unused(text, "\\n", "\\012")
        quoted = quoted.replace("\n", nl)
        head, tail = "replace(", f",'{nl}',char(10))"
    if "\r" in text:
        cr = _unused(text, "\\r", "\\015")
        quoted = quoted.replace("\r", cr)
        head, tail = head + "replace(", f",'{cr}',char(13))" + tail
    return head + quoted + tail


def sql_literal(value, newlines: bool = False) -> str:
    """Any value the client returns as an SQL literal that reads back as the
    same value, byte for byte as the sqlite3 shell (3.40) writes it in
    ``.dump`` and ``.mode insert``: NULL, integers, REALs
    (:func:`real_literal`), text (:func:`text_literal`), BLOBs as ``X'0aff'``
    (lower-case hex)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return text_literal(value, newlines)
    if isinstance(value, int):          # bool -> 1/0, UnixTime -> decimal
        return int.__repr__(value)
    if isinstance(value, float):
        return real_literal(float(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'" + bytes(value).hex() + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


_FLOAT_TYPES = frozenset((float,))
_FLOAT_OR_NULL_TYPES = frozenset((float, type(None)))
_float_repr = float.__repr__


def _real_column(column: Sequence, nullvalue: str) -> list[str]:
    """A column of REALs (and NULLs) as text, without a function call per value
    in the usual case.

    ``repr`` gives the shortest decimal that reads back as the same double.
    When that has at most 15 significant digits (at most 16 characters, no
    exponent), it is exactly what ``%!.15g`` prints: the nearest 15-digit
    decimal to the double (decimals 1e-15 apart cannot both be within half
    an ulp of it). The rest, and NaN, infinities and -0.0, go through
    :func:`real_text`.
    """
    out = [nullvalue if v is None else _float_repr(v) for v in column] \
        if None in column else list(map(_float_repr, column))
    for i, text in enumerate(out):
        if len(text) > 16 or "e" in text or text[-1:] in ("f", "n") or text == "-0.0":
            value = column[i]
            if value is not None:  # a NULL printed as nullvalue stays
                out[i] = real_text(value)
    return out


def to_text(value, nullvalue: str = "", blob: Formatter = hex_text) -> str:
    """Any value the client returns -> its text (see the module docstring);
    a BLOB through ``blob``."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return nullvalue
    if kind is float:
        return real_text(value)
    if isinstance(value, str):          # Iso8601 and other tagged text
        return str.__str__(value)
    if isinstance(value, int):          # bool -> 1/0, UnixTime -> decimal
        return int.__repr__(value)
    if isinstance(value, float):
        return real_text(float(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return blob(value)
    return str(value)


def text_column(column: Sequence, nullvalue: str,
                blob: Formatter = hex_text) -> Iterable[str]:
    """Every value of one column as text (NULL as ``nullvalue``, a BLOB
    through ``blob``), in order; iterate once.

    A column holding only text, integers and NULLs (the usual case) is
    converted by C-level ``map`` calls, with no Python function call per
    value; other columns go through :func:`to_text`.
    """
    kinds = set(map(type, column))
    if kinds == _STR_ONLY:
        return column
    if kinds <= PLAIN_TYPES:
        return map(str, column)
    if kinds <= PLAIN_OR_NULL_TYPES:
        return map(str, map({None: nullvalue}.get, column, column))
    if kinds <= _FLOAT_OR_NULL_TYPES:
        return _real_column(column, nullvalue)
    return map(to_text, column, repeat(nullvalue), repeat(blob))


def text_rows(batch: Sequence[Sequence], nullvalue: str,
              blob: Formatter = hex_text) -> list[tuple[str, ...]]:
    """Every value of ``batch`` as text (NULL as ``nullvalue``, a BLOB
    through ``blob``), row by row, converted column by column
    (:func:`text_column`)."""
    if not batch:
        return []
    if not batch[0]:
        return [() for _ in batch]
    return list(zip(*[text_column(column, nullvalue, blob)
                      for column in zip(*batch, strict=True)], strict=True))


# -- text for a terminal ----------------------------------------------------------
#
# What psql does in its aligned format (fe_utils/mbprint.c): a line feed
# stays a line break, CR is shown as \r, a tab becomes spaces up to the next
# multiple of 8, other C0 controls and DEL as \xHH, other control characters
# (C1) as \uHHHH.  U+2028/U+2029 are escaped too: Python (and so tabulate)
# splits lines at them and a terminal does not, which misaligns a table.
_NOT_FOR_TERMINALS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\\r"
    if code < 0x80:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}"


def terminal_text(text: str) -> str:
    """``text`` as a terminal should show it: control characters escaped as
    psql does (``\\x1B``, ``\\r``, ``\\u0085``), tabs expanded to spaces
    (stops every 8 columns from each line start), line feeds kept.

    Nothing from the data can then move the cursor, change colours or ring
    the bell, and every character left has a display width, so columns
    computed on the result line up.  Text with none of these characters is
    returned as it is (one regex search).
    """
    if _NOT_FOR_TERMINALS.search(text) is None:
        return text
    text = _ESCAPED.sub(_escape, text)
    if "\t" in text:  # stops counted in characters (psql counts display width)
        text = text.expandtabs(8)
    return text


def is_number(value) -> bool:
    """True for INTEGER and REAL values (bool included), False otherwise."""
    return isinstance(value, (int, float))


# -- SQLite's printf("%!.15g"), replayed exactly -------------------------------
#
# An x87 extended value is kept as (n, e) meaning n * 2**e, n > 0, with n
# rounded to at most 64 significant bits after each operation (round half to
# even), like the FPU does.  Inputs are doubles, so nothing ever overflows or
# becomes subnormal in the extended range.

def _rnd(n: int, e: int) -> tuple[int, int]:
    shift = n.bit_length() - 64
    if shift <= 0:
        return n, e
    q = n >> shift
    rest = n - (q << shift)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and q & 1):
        q += 1
        if q == _TWO64:
            return q >> 1, e + shift + 1
    return q, e + shift


def _from_double(x: float) -> tuple[int, int]:
    num, den = x.as_integer_ratio()      # den is a power of two
    return num, 1 - den.bit_length()


def _mul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return _rnd(a[0] * b[0], a[1] + b[1])


def _div(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    shift = max(0, 66 + b[0].bit_length() - a[0].bit_length())
    q, r = divmod(a[0] << shift, b[0])
    if r:                                 # sticky bit: rounds correctly
        q = (q << 1) | 1
        shift += 1
    return _rnd(q, a[1] - b[1] - shift)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (na, ea), (nb, eb) = a, b
    if ea >= eb:
        return _rnd((na << (ea - eb)) + nb, eb)
    return _rnd(na + (nb << (eb - ea)), ea)


def _ge(a: tuple[int, int], b: tuple[int, int]) -> bool:
    (na, ea), (nb, eb) = a, b
    if ea >= eb:
        return (na << (ea - eb)) >= nb
    return na >= (nb << (eb - ea))


_ONE = (1, 0)
_TEN = (10, 0)
_E8 = (100_000_000, 0)
_E10 = _from_double(1e10)
_E100 = _from_double(1e100)              # the double nearest 1e100, as in C
_E_8 = _from_double(1e-8)
_TENTH = _from_double(0.1)
_ROUNDER = _from_double(5.0e-05 * 1.0e-10)  # arRound[4] * 1.0e-10, in double


def _sqlite_g15(x: float) -> str:
    """sqlite3_str_appendf("%!.15g", x) of SQLite 3.38-3.42, for finite x != 0."""
    prefix = "-" if x < 0 else ""
    v = _from_double(-x if x < 0 else x)
    exp = 0
    scale = _ONE
    while _ge(v, _mul(_E100, scale)) and exp <= 350:
        scale = _mul(scale, _E100)
        exp += 100
    while _ge(v, _mul(_E10, scale)) and exp <= 350:
        scale = _mul(scale, _E10)
        exp += 10
    while _ge(v, _mul(_TEN, scale)) and exp <= 350:
        scale = _mul(scale, _TEN)
        exp += 1
    v = _div(v, scale)
    while not _ge(v, _E_8):
        v = _mul(v, _E8)
        exp -= 8
    while not _ge(v, _ONE):
        v = _mul(v, _TEN)
        exp -= 1
    if exp > 350:
        return prefix + "Inf"
    v = _add(v, _ROUNDER)
    if _ge(v, _TEN):
        v = _mul(v, _TENTH)
        exp += 1
    fixed = -4 <= exp <= 14
    leading = exp + 1 if fixed else 1     # digits before the point
    ndigits = 15
    digits = []
    n, e = v
    for _ in range(ndigits):             # et_getdigit(): truncate, then *10
        if e >= 0:
            d, n = n << e, 0
        else:
            d = n >> -e
            n -= d << -e
        digits.append(d)
        if n == 0:
            digits.extend([0] * (ndigits - len(digits)))
            break
        n, e = _rnd(n * 10, e)
    text = "".join(map(str, digits))
    if fixed:
        if leading > 0:
            whole, frac = text[:leading], text[leading:]
        else:
            whole, frac = "0", "0" * -leading + text
    else:
        whole, frac = text[0], text[1:]
    frac = frac.rstrip("0") or "0"
    body = whole + "." + frac
    if fixed:
        return prefix + body
    sign = "-" if exp < 0 else "+"
    return f"{prefix}{body}e{sign}{abs(exp):02d}"
