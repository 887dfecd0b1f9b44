"""The ``table`` format: a psql-like grid drawn by tabulate (as litecli does).

::

    +----+-------+
    | id | name  |
    |----+-------|
    |  1 | alice |
    +----+-------+

The header is always printed.  Values are printed as SQLite prints them
(:mod:`.values`), NULL as ``nullvalue``; tabulate's own number parsing is
off, so text such as ``007`` or ``1e5`` stays as it is.  A table is meant
for people, so control characters in values and names are always escaped as
psql does (:func:`~.values.terminal_text`: ``\\x1B``, ``\\r``, tabs as
spaces) and widths are measured on the escaped text; a line feed starts a
new line inside the cell.  A column whose non-NULL values are all numbers
is right-aligned, others are left-aligned.

Column widths need the rows first, so this format (and only this one)
buffers: up to :data:`BLOCK_ROWS` rows.  A result with more rows is printed
as consecutive tables of :data:`BLOCK_ROWS` rows each (the last one
shorter), every block a complete table with its own header and its own
widths, sized on its rows alone: memory stays bounded, the first rows show
up without waiting for the last, and one long value widens only its block.
Block boundaries depend only on the row count, not on how rows were
batched.  No rows prints nothing, as in ``sqlite3``.

``.width`` (``widths``) fixes a column's width, as in ``sqlite3``'s formats:
each line of a value longer than ``|N|`` characters continues on the next
line of its cell, a longer name is cut, and a negative N right-aligns the
column; 0 (or no number) leaves the column as above.  With no widths the
table is drawn exactly as without ``.width``.

tabulate is imported when the first block is drawn, never before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence, TextIO

from .base import Renderer
from .blobs import hex_text

if TYPE_CHECKING:
    from .blobs import Formatter
from .values import is_number, terminal_text, text_rows

#: Rows per table block (the most rows this renderer holds at once).
BLOCK_ROWS = 1000

#: A value that marks where rows were left out (screen.py's ``.maxrows``):
#: it does not count when a column's alignment is chosen. A private-use
#: character, so that the line that holds it can be found and replaced.
GAP = "\ue000"


def _fixed(text: str, width: int) -> str:
    """``text`` in a cell ``|width|`` characters wide: each line cut into
    pieces that long, each piece padded (on the left for a negative width)."""
    size = abs(width)
    pieces = [line[i:i + size] for line in text.split("\n")
              for i in range(0, max(len(line), 1), size)]
    return "\n".join(p.rjust(size) if width < 0 else p.ljust(size) for p in pieces)


def draw_table(columns: Sequence[str], rows: Sequence[Sequence], nullvalue: str,
               blob: Formatter = hex_text, widths: Sequence[int] = ()) -> str:
    """One block of rows as a psql-style table (no final newline); BLOBs
    shown through ``blob`` (:mod:`.blobs`); ``widths`` as ``.width`` says
    (see the module docstring)."""
    import tabulate as _tabulate

    texts = [tuple(map(terminal_text, row)) for row in text_rows(rows, nullvalue, blob)]
    names = list(map(terminal_text, columns))
    align = []
    for i in range(len(columns)):
        values = [row[i] for row in rows if row[i] is not None and row[i] is not GAP]
        numeric = bool(values) and all(map(is_number, values))
        align.append("right" if numeric else "left")
    for i, width in enumerate(list(widths)[:len(columns)]):
        if width:
            texts = [row[:i] + (_fixed(row[i], width),) + row[i + 1:] for row in texts]
            names[i] = _fixed(names[i].split("\n")[0][:abs(width)], width)
            align[i] = "right" if width < 0 else "left"
    options = dict(headers=names, tablefmt="psql", disable_numparse=True,
                   colalign=align)
    # tabulate widens every column by 2 when there are headers (MIN_PADDING);
    # like sqlite3's and litecli's tables, ours are not: switch it off for
    # this call only, as other code in the process may use tabulate.
    saved = _tabulate.MIN_PADDING, getattr(_tabulate, "PRESERVE_WHITESPACE", False)
    _tabulate.MIN_PADDING = 0
    try:
        try:
            return _tabulate.tabulate(texts, preserve_whitespace=True, **options)
        except TypeError:                  # tabulate < 0.10: a module switch
            _tabulate.PRESERVE_WHITESPACE = True
            return _tabulate.tabulate(texts, **options)
    finally:
        _tabulate.MIN_PADDING, _tabulate.PRESERVE_WHITESPACE = saved


class TableRenderer(Renderer):
    """Buffers up to :data:`BLOCK_ROWS` rows and prints them as one table."""

    block_rows = BLOCK_ROWS

    def __init__(self, out: TextIO, columns: Sequence[str], *, widths: Sequence[int] = (),
                 **options):
        super().__init__(out, columns, **options)
        self.widths = list(widths)
        self._held: list[Sequence] = []

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Hold the batch; print every full block."""
        self._held.extend(batch)
        size = self.block_rows
        while len(self._held) >= size:
            block, self._held = self._held[:size], self._held[size:]
            self._print(block)

    def _print(self, block: list[Sequence]) -> None:
        if block and self.columns:
            self.out.write(draw_table(self.columns, block, self.nullvalue, self.blob,
                                      self.widths) + "\n")
            self.count += len(block)

    def close(self) -> None:
        """Print the last, partial block."""
        if not self.closed:
            block, self._held = self._held, []
            self.closed = True
            self._print(block)
