"""The ``column`` and ``box`` formats, as ``sqlite3`` 3.40 draws them.

::

    a     b                   ┌─────┬───────┐
    ----  -----               │  a  │   b   │
    1     alice               ├─────┼───────┤
    2     bob                 │ 1   │ alice │
                              └─────┴───────┘

``column`` prints the header and its dashes with ``.headers on`` (``.mode
column`` turns it on unless ``.headers`` was given, as in ``sqlite3``);
``box`` always does.  A column is as wide as its widest value or name, left
aligned, and text is laid out as ``sqlite3`` lays it out
(its ``translateForDisplayAndDup``): a value longer than the wrap width
(``--wrap N``, 60 by default; 0: no limit) continues on the next line of
its cell, at a word boundary with ``--wordwrap on``; a line feed, a carriage
return or another control character other than a tab breaks the line (the
character is not shown), and a tab becomes spaces to the next multiple of 8.
When any row takes several lines, rows are divided by a blank line
(``column``) or a rule (``box``).  ``--quote`` shows values as SQL literals.

``.width N1 N2 ...`` (``widths``) sets each column's width: values wrap at
it and a name is cut to it; a negative width right-aligns the column (and
its name); 0 keeps the automatic width.

Widths are measured in characters, as ``sqlite3`` counts them (a wide CJK
character counts one).  On a terminal, DEL, the C1 controls and U+2028/9,
which ``sqlite3`` would print, are escaped (``\\x7F``); to files and pipes
the output is ``sqlite3``'s byte for byte.

Streaming: ``sqlite3`` sizes the columns over the whole result.  This holds
up to :data:`~.table.BLOCK_ROWS` rows (1000) and sizes the columns over
them, so a result of up to that many rows is ``sqlite3``'s byte for byte.
A longer result is printed as the ``table`` format prints it: consecutive
tables of 1000 rows (the last one shorter), each sized on its own rows and
with its own header (``column``: with ``.headers on``), so that memory stays
bounded and the first rows show at once.  Block boundaries depend only on
the row count, not on how rows were batched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from .base import Renderer
from .table import BLOCK_ROWS
from .values import sql_literal, terminal_text, text_rows, to_text

#: The wrap width when neither ``--wrap`` nor ``.width`` says (sqlite3's).
DEFAULT_WRAP = 60
_NO_LIMIT = 1_000_000                       # sqlite3's "0 means no limit"
_SPACE = frozenset(b" \t\n\v\f\r")          # C isspace() in the C locale
# What sqlite3 would print raw but a terminal may act on (C0 controls break
# lines instead, and so never reach it).
_RAW_FOR_TERMINALS = re.compile(r"[\x7f-\x9f\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x1f]").search


def _isalnum(byte: int) -> bool:
    return 0x30 <= byte <= 0x39 or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _display_line(z: bytes, width: int, wordwrap: bool) -> tuple[bytes, int | None]:
    """sqlite3's translateForDisplayAndDup() on UTF-8 bytes: the first line
    of ``z`` for a column ``width`` characters wide (0: no limit), and where
    the rest starts (None: no rest)."""
    n = len(z)

    def at(i: int) -> int:
        return z[i] if i < n else 0

    mx = width or _NO_LIMIT
    i = col = 0
    while col < mx:
        c = at(i)
        if c >= 0x20:
            col += 1
            i += 1
            while i < n and z[i] & 0xC0 == 0x80:
                i += 1
        elif c == 0x09:
            col += 1
            while col & 7 and col < mx:
                col += 1
            i += 1
        else:
            break
    k = i
    if col >= mx and wordwrap:                  # back up to a better break
        while k > i // 2 and at(k - 1) not in _SPACE:
            k -= 1
        if k <= i // 2:
            k = i
            while k > i // 2 and not (_isalnum(at(k - 1)) != _isalnum(at(k))
                                      and at(k) & 0xC0 != 0x80):
                k -= 1
        if k <= i // 2:
            k = i
        else:
            i = k
            while at(i) == 0x20:
                i += 1
    tail: int | None
    if col >= mx and at(i) >= 0x20:
        tail = i
    elif at(i) == 0x0D and at(i + 1) == 0x0A:
        tail = i + 2 if i + 2 < n else None
    elif i + 1 >= n:
        tail = None
    else:
        tail = i + 1
    out = bytearray()
    j = col = 0
    while j < k:
        c = z[j]
        if c >= 0x20:
            col += 1
            start = j
            j += 1
            while j < n and z[j] & 0xC0 == 0x80:
                j += 1
            out += z[start:j]
        elif c == 0x09:
            col += 1
            out += b" "
            while col & 7 and col < mx:
                col += 1
                out += b" "
            j += 1
        else:
            break
    return bytes(out), tail


def cell_lines(text: str, width: int, wordwrap: bool = False) -> list[str]:
    """``text`` laid out in a cell ``width`` characters wide (0: no limit),
    line by line, as sqlite3 lays it out (see the module docstring)."""
    z = text.encode("utf-8", "surrogatepass")
    lines = []
    while True:
        line, tail = _display_line(z, width, wordwrap)
        lines.append(line.decode("utf-8", "surrogatepass"))
        if tail is None:
            return lines
        z = z[tail:]


def _fit(text: str, width: int) -> str:
    """sqlite3's utf8_width_print(): ``text`` padded (or cut) to ``|width|``
    characters, right-aligned when ``width`` is negative; as is for 0."""
    size = abs(width)
    if not size:
        return text
    if len(text) >= size:
        return text[:size]
    pad = " " * (size - len(text))
    return pad + text if width < 0 else text + pad


def quoted_text(value) -> str:
    """A value as ``--quote`` shows it (sqlite3's quoted_column()): NULL,
    numbers as text, text as a string literal, a BLOB as ``x'0aff'``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "x'" + bytes(value).hex() + "'"
    if isinstance(value, (int, float)):
        return to_text(value)
    return sql_literal(value, newlines=True)


class ColumnRenderer(Renderer):
    """``.mode column``: aligned columns, two spaces apart."""

    def __init__(self, out: TextIO, columns: Sequence[str], *, widths: Sequence[int] = (),
                 wrap: int = DEFAULT_WRAP, wordwrap: bool = False, quote: bool = False,
                 **options):
        super().__init__(out, columns, **options)
        count = len(self.columns)
        self.widths = [int(w) for w in list(widths)[:count]] + [0] * (count - len(widths))
        self._wrap_at = [abs(w) if w else wrap for w in self.widths]
        self._wordwrap, self._quote = wordwrap, quote
        self._held: list[Sequence] = []
        self._actual: list[int] = []            # the widths of the block being drawn

    # -- text --------------------------------------------------------------------

    def _show(self, text: str) -> str:
        if self.terminal and _RAW_FOR_TERMINALS.search(text):
            text = _RAW_FOR_TERMINALS.sub(lambda m: terminal_text(m.group()), text)
        return text

    def _cells(self, batch: Sequence[Sequence], wrap_at: list[int]) -> list[list[list[str]]]:
        """Each row as its cells, each cell as its lines."""
        texts = [tuple(map(quoted_text, row)) for row in batch] if self._quote else \
            text_rows(batch, self.nullvalue, self.blob)
        if self.terminal:
            texts = [tuple(map(self._show, row)) for row in texts]
        ww, control = self._wordwrap, _CONTROL
        # Most cells are one line: shorter than the wrap width, no control
        # character (at the width exactly, --wordwrap may still break).
        limits = [(w or _NO_LIMIT) - ww for w in wrap_at]
        return [[[t] if len(t) <= limit and control(t) is None else cell_lines(t, w, ww)
                 for t, w, limit in zip(row, wrap_at, limits, strict=True)] for row in texts]

    # -- drawing -----------------------------------------------------------------

    def _header(self, names: list[str], widths: list[int]) -> str:
        if not self.headers:
            return ""
        signed = [-w if s < 0 else w for w, s in zip(widths, self.widths, strict=True)]
        return ("  ".join(map(_fit, names, signed)) + "\n"
                + "  ".join("-" * w for w in widths) + "\n")

    def _line(self, cells: list[str]) -> str:
        return "  ".join(cells) + "\n"

    def _divider(self) -> str:
        return "\n"

    def _footer(self) -> str:
        return ""

    def _draw(self, rows: list[list[list[str]]]) -> str:
        """A block's rows (cells of lines) as text; when any row takes
        several lines, a divider between rows."""
        signed = [-w if s < 0 else w for w, s in zip(self._actual, self.widths, strict=True)]
        divider = self._divider() if any(len(c) > 1 for row in rows for c in row) else ""
        parts: list[str] = []
        line = self._line
        for row in rows:
            if divider and parts:
                parts.append(divider)
            height = max(map(len, row))
            if height == 1:
                parts.append(line([_fit(cell[0], w) for cell, w in zip(row, signed, strict=True)]))
                continue
            for k in range(height):
                parts.append(line([_fit(cell[k] if k < len(cell) else "", w)
                                   for cell, w in zip(row, signed, strict=True)]))
        return "".join(parts)

    def _block(self, block: list[Sequence]) -> None:
        """Size the columns over ``block`` and print it as a whole table."""
        names = [cell_lines(self._show(name), w, self._wordwrap)[0]
                 for name, w in zip(self.columns, self._wrap_at, strict=True)]
        rows = self._cells(block, self._wrap_at)
        widths = [max(abs(s), len(name)) for s, name in zip(self.widths, names, strict=True)]
        for row in rows:
            for j, cell in enumerate(row):
                widths[j] = max(widths[j], *map(len, cell))
        self._actual = widths
        self.out.write(self._header(names, widths) + self._draw(rows) + self._footer())
        self.count += len(block)

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Hold the batch; print every full block."""
        if not batch or not self.columns:
            return
        self._held.extend(batch)
        while len(self._held) >= BLOCK_ROWS:
            block, self._held = self._held[:BLOCK_ROWS], self._held[BLOCK_ROWS:]
            self._block(block)

    def close(self) -> None:
        """Print the last, partial block."""
        if self.closed:
            return
        self.closed = True
        block, self._held = self._held, []
        if block:
            self._block(block)


# Box-drawing characters (sqlite3's BOX_* names: the digits say which arms).
_H, _V = "\u2500", "\u2502"
_TOP = ("\u250c", "\u252c", "\u2510")        # ┌ ┬ ┐
_MID = ("\u251c", "\u253c", "\u2524")        # ├ ┼ ┤
_BOTTOM = ("\u2514", "\u2534", "\u2518")     # └ ┴ ┘


class BoxRenderer(ColumnRenderer):
    """``.mode box``: the same columns in a box, header always, centred."""

    def _rule(self, ends: tuple[str, str, str]) -> str:
        left, middle, right = ends
        return left + middle.join(_H * (w + 2) for w in self._actual) + right + "\n"

    def _header(self, names: list[str], widths: list[int]) -> str:
        cells = [" " * ((w - len(n)) // 2) + n + " " * ((w - len(n) + 1) // 2)
                 for n, w in zip(names, widths, strict=True)]
        return self._rule(_TOP) + self._line(cells) + self._rule(_MID)

    def _line(self, cells: list[str]) -> str:
        return _V + " " + f" {_V} ".join(cells) + f" {_V}\n"

    def _divider(self) -> str:
        return self._rule(_MID)

    def _footer(self) -> str:
        return self._rule(_BOTTOM)
