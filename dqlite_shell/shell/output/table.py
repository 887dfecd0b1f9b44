"""The ``table`` format, a psql-like grid, and tabulate's other formats
(``grid``, ``pipe``, ``rst``, ... as litecli has them: the package's
:data:`~dqlite_shell.shell.output.TABULATE_FORMATS`).

::

    +----+-------+
    | id | name  |
    |----+-------|
    |  1 | alice |
    +----+-------+

The header is always printed.  Values are printed as SQLite prints them
(:mod:`.values`), NULL as ``nullvalue``; no number parsing, so text such as
``007`` or ``1e5`` stays as it is.  A table is meant for people, so control
characters in values and names are always escaped as psql does
(:func:`~.values.terminal_text`: ``\\x1B``, ``\\r``, tabs as spaces) and
widths are measured on the escaped text; a line feed starts a new line
inside the cell (in the formats tabulate draws on several lines).  A column
whose non-NULL values are all numbers is right-aligned, others are
left-aligned.  No padding is added to widen a column beyond its widest
value (tabulate's ``MIN_PADDING`` is 0, as litecli sets it).

``table`` is drawn by :mod:`.grid`, which prints what tabulate's ``psql``
format printed (byte for byte) at a tenth of its cost; the other formats are
drawn by tabulate, which is imported when their first block is drawn.

Column widths need the rows first, so these formats buffer: up to
:data:`BLOCK_ROWS` rows.  A result with more rows is printed as
consecutive tables of :data:`BLOCK_ROWS` rows each (the last one shorter),
every block a complete table with its own header and its own widths, sized
on its rows alone: memory stays bounded, the first rows show up without
waiting for the last, and one long value widens only its block.  Block
boundaries depend only on the row count, not on how rows were batched.  No
rows prints nothing, as in ``sqlite3``.

``.width`` (``widths``) fixes a column's width, as in ``sqlite3``'s formats:
each line of a value longer than ``|N|`` characters continues on the next
line of its cell, a longer name is cut, and a negative N right-aligns the
column; 0 (or no number) leaves the column as above.  With no widths the
table is drawn exactly as without ``.width``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .base import Renderer
from .blobs import hex_text
from .grid import draw_psql
from .values import is_number, terminal_text, text_column

if TYPE_CHECKING:
    from .blobs import Formatter

#: Rows per table block (the most rows this renderer holds at once).
BLOCK_ROWS = 1000

#: A value that marks where rows were left out (screen.py's ``.maxrows``):
#: it does not count when a column's alignment is chosen. A private-use
#: character, so that the line that holds it can be found and replaced.
GAP = "\ue000"

_NUMBER_TYPES = frozenset((int, float, bool))
_NULL = type(None)


def _fixed(text: str, width: int) -> str:
    """``text`` in a cell ``|width|`` characters wide: each line cut into
    pieces that long, each piece padded (on the left for a negative width)."""
    size = abs(width)
    pieces = [line[i:i + size] for line in text.split("\n")
              for i in range(0, max(len(line), 1), size)]
    return "\n".join(p.rjust(size) if width < 0 else p.ljust(size) for p in pieces)


def _numeric(column: Sequence, kinds: set) -> bool:
    """Whether the column's values (of types ``kinds``, NULL excluded), NULLs
    and gap marks aside, are all numbers (and there is one)."""
    if kinds and kinds <= _NUMBER_TYPES:
        return True
    if str in kinds and GAP not in column:
        return False
    values = [v for v in column if v is not None and v is not GAP]
    return bool(values) and all(map(is_number, values))


def _column_cells(column: Sequence, kinds: set, nullvalue: str, null_safe: bool,
                  blob: Formatter) -> list[str]:
    """A column's values as text escaped for a terminal; numbers (and a
    NULL text with nothing to escape) are not searched, other text once."""
    texts = text_column(column, nullvalue, blob)
    texts = texts if isinstance(texts, list) else list(texts)
    if kinds <= _NUMBER_TYPES and (null_safe or _NULL not in kinds):
        return texts
    joined = "".join(texts)
    if terminal_text(joined) is joined:
        return texts
    return list(map(terminal_text, texts))


def table_cells(columns: Sequence[str], rows: Sequence[Sequence], nullvalue: str,
                blob: Formatter = hex_text, widths: Sequence[int] = ()
                ) -> tuple[list[str], list[list[str]], list[str]]:
    """What a block of rows shows: ``(names, cells column by column,
    alignments)``, values as text, escaped, ``.width`` applied (see the
    module docstring)."""
    raw = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    null_safe = terminal_text(nullvalue) is nullvalue
    cells = []
    align = []
    for column in raw:
        kinds = set(map(type, column))
        align.append("right" if _numeric(column, kinds - {_NULL}) else "left")
        cells.append(_column_cells(column, kinds, nullvalue, null_safe, blob))
    names = list(map(terminal_text, columns))
    for i, width in enumerate(list(widths)[:len(columns)]):
        if width:
            cells[i] = [_fixed(text, width) for text in cells[i]]
            names[i] = _fixed(names[i].split("\n")[0][:abs(width)], width)
            align[i] = "right" if width < 0 else "left"
    return names, cells, align


def tabulate_table(names: Sequence[str], cells: Sequence[Sequence[str]],
                   align: Sequence[str], tablefmt: str) -> str:
    """``cells`` (column by column) drawn by tabulate in ``tablefmt``, no
    number parsing, whitespace kept, no minimum padding (no final newline)."""
    import tabulate as _tabulate

    rows = list(zip(*cells, strict=True))
    options: dict[str, Any] = {"headers": list(names), "tablefmt": tablefmt,
                               "disable_numparse": True, "colalign": list(align)}
    # tabulate widens every column by 2 when there are headers (MIN_PADDING);
    # like sqlite3's and litecli's tables, ours are not: switch it off for
    # this call only, as other code in the process may use tabulate.
    saved = _tabulate.MIN_PADDING, getattr(_tabulate, "PRESERVE_WHITESPACE", False)
    _tabulate.MIN_PADDING = 0
    try:
        try:
            return _tabulate.tabulate(rows, preserve_whitespace=True, **options)
        except TypeError:                  # tabulate < 0.10: a module switch
            _tabulate.PRESERVE_WHITESPACE = True
            return _tabulate.tabulate(rows, **options)
    finally:
        _tabulate.MIN_PADDING, _tabulate.PRESERVE_WHITESPACE = saved


def draw_table(columns: Sequence[str], rows: Sequence[Sequence], nullvalue: str,
               blob: Formatter = hex_text, widths: Sequence[int] = (),
               tablefmt: str = "psql") -> str:
    """One block of rows as a table (no final newline): ``psql`` (the
    ``table`` format) by :mod:`.grid`, any other of tabulate's formats by
    tabulate; BLOBs shown through ``blob`` (:mod:`.blobs`); ``widths`` as
    ``.width`` says (see the module docstring)."""
    names, cells, align = table_cells(columns, rows, nullvalue, blob, widths)
    if tablefmt == "psql":
        return draw_psql(names, cells, align)
    return tabulate_table(names, cells, align, tablefmt)


class TableRenderer(Renderer):
    """Buffers up to :data:`BLOCK_ROWS` rows and prints them as one table
    in ``tablefmt`` (``psql``: the ``table`` format)."""

    block_rows = BLOCK_ROWS

    def __init__(self, out: TextIO, columns: Sequence[str], *, widths: Sequence[int] = (),
                 tablefmt: str = "psql", **options):
        super().__init__(out, columns, **options)
        self.widths = list(widths)
        self.tablefmt = tablefmt
        self._held: list[Sequence] = []

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Hold the batch; print every full block."""
        self._held.extend(batch)
        size = self.block_rows
        if len(self._held) < size:
            return
        held, start = self._held, 0
        while len(held) - start >= size:
            self._print(held[start:start + size])
            start += size
        self._held = held[start:]

    def _print(self, block: Sequence[Sequence]) -> None:
        if block and self.columns:
            self.out.write(draw_table(self.columns, block, self.nullvalue, self.blob,
                                      self.widths, self.tablefmt) + "\n")
            self.count += len(block)

    def close(self) -> None:
        """Print the last, partial block."""
        if not self.closed:
            block, self._held = self._held, []
            self.closed = True
            self._print(block)
