"""The ``table`` grid printed through the accelerator: :class:`TablePrinter`.

:class:`~dqlite_shell.shell.output.table.TableRenderer` prints a result as
consecutive grids of ``block_rows`` (1000) rows, each sized on its own rows.
Here ``table.c`` holds the rows not printed yet, each cell's text already
made (the first, decoded batch is encoded back into a ROWS body for it), and
draws each block when its last row has come, whatever the bodies' sizes: a
block can span bodies, a body blocks.

What C does not show exactly goes to the renderer, which then prints it
itself, in its place:

* a block holding a cell C leaves to Python (see table.c: lines of text
  that is not ASCII, ...): its rows are decoded from the bodies kept for it
  and given to the renderer, a full block at a time (the renderer prints it
  at once), or the last, partial block before the renderer is closed;
* a body C does not take (malformed, or a type it does not know): the rows
  held and every batch from there on go to the renderer, which then does the
  blocking itself (it holds fewer rows than a block at that point, as C did).

Text that is not ASCII stays C's, but its display width is wcwidth's, as
:mod:`~dqlite_shell.shell.output.grid` measures it: C gives a block's such
cells to :func:`cell_widths` before drawing it.

On an error half-way (a lost connection, a failing statement) the rows held
are printed as a last, partial block, as the renderer's ``close()`` prints
the rows it holds.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from dqlite_shell._speedups.printer import CHUNK, Buffered
from dqlite_shell.shell.output.grid import line_width
from dqlite_shell.shell.output.values import terminal_text

if TYPE_CHECKING:
    from dqlite_shell.client.result import RowStream
    from dqlite_shell.shell.output.table import TableRenderer


_DQ_WIDTHS = -3


def cell_widths(cells: list[str]) -> list[int]:
    """The widths grid.py gives cells of one line (escaped already, each with
    a character that is not ASCII), when the spaces that pad them add to
    them as table.c pads them; -1 otherwise (a character wcwidth cannot
    measure, or a last one that joins a space after it), which leaves the
    cell's block to Python. Such a cell is text: its column is left-aligned,
    padded on the right."""
    widths = list(map(line_width, cells))
    for i, cell in enumerate(cells):
        # a space after an ASCII character adds 1 to any width
        if not cell[-1].isascii() and line_width(cell + " ") != widths[i] + 1:
            widths[i] = -1
    return widths


def one_line(text: str) -> tuple[str, int] | None:
    """``text`` as a table shows it (escaped for a terminal) and its display
    width, when that is one line C can pad on either side (NULL's text may
    be in a right-aligned column); None otherwise."""
    shown = terminal_text(text)
    if "\n" in shown:
        return None
    width = line_width(shown)
    if width < 0 or not shown.isascii() and line_width(f" {shown} ") != width + 2:
        return None
    return shown, width


class TablePrinter(Buffered):
    """Prints one result as a ``table`` renderer would (see the module docstring).

    ``names`` and ``null``: the column names and the NULL text as shown,
    with their widths (:func:`one_line`); ``blob``: format.c's number for
    ``.blob``.
    """

    def __init__(self, module, blob: int, renderer: TableRenderer, out, binary,
                 names: list[tuple[str, int]], null: tuple[str, int]):
        super().__init__(module.ffi, renderer, out, binary)
        ffi, lib = self._ffi, self._lib = module.ffi, module.lib
        self._columns = renderer.columns
        self._block = renderer.block_rows
        encoded = [name.encode("utf-8") for name, _ in names]
        ends, end = [], 0
        for name in encoded:
            end += len(name)
            ends.append(end)
        null_bytes = null[0].encode("utf-8")
        table = lib.dq_table_new(len(names), blob, null_bytes, len(null_bytes), null[1],
                                 b"".join(encoded), ffi.new("size_t[]", ends),
                                 ffi.new("size_t[]", [width for _, width in names]))
        if table == ffi.NULL:
            raise MemoryError
        self._table = ffi.gc(table, lib.dq_table_free)
        self._done = ffi.new("int *")
        #: The bodies of the rows C holds, in order: [body, its rows when
        #: decoded (else None), the stream position of its first row].
        self._pieces: deque[list] = deque()
        self._first = 0          # the stream position of the first row C holds
        self._held = 0           # how many rows C holds
        self._python_only = False

    def show(self, stream: RowStream) -> int:
        """Print every remaining batch of ``stream``; close the renderer.
        Returns how many rows it has printed."""
        renderer = self.renderer
        try:
            for batch in stream.raw_batches():
                if self._python_only:
                    self._python(batch if not isinstance(batch, bytes)
                                 else stream.decode_body(batch).rows)
                elif isinstance(batch, bytes):
                    self._feed(stream, batch, None)
                elif batch:
                    from dqlite_shell.wire.rows import encode_rows
                    self._feed(stream, encode_rows(self._columns, batch, done=False), batch)
        finally:
            try:
                if self._held:
                    self._print(stream, self._held)
                self._write()
            finally:
                renderer.close()
                self._out.flush()
        return renderer.count

    def _feed(self, stream: RowStream, body: bytes, rows: list | None) -> None:
        """Give C one body (``rows``: its rows, when decoded); print each
        block it completes."""
        taken = self._lib.dq_table_feed(self._table, body, len(body), self._done)
        if taken < 0:
            self._give_up(stream, body, rows)
            return
        if taken:
            self._pieces.append([body, rows, self._first + self._held])
            self._held += taken
            while self._held >= self._block:
                self._print(stream, self._block)

    def _print(self, stream: RowStream, count: int) -> None:
        """Print the first ``count`` rows held as one block."""
        lib = self._lib
        need = lib.dq_table_measure(self._table, count)
        if need == _DQ_WIDTHS:
            self._measure(count)
            need = lib.dq_table_measure(self._table, count)
        if need < 0:                  # a cell for Python: the renderer draws the block
            self._python(self._take(stream, count))
            return
        self._room(need)
        self._used += lib.dq_table_render(self._table, count, self._view + self._used)
        self._drop(count)
        self.renderer.count += count
        if self._used >= CHUNK:
            self._write()

    def _measure(self, count: int) -> None:
        """Give C the display widths of the cells of the first ``count`` rows
        held that are not ASCII."""
        ffi, lib, table = self._ffi, self._lib, self._table
        size = lib.dq_table_wide_text(table, count, ffi.NULL, 0)
        text = ffi.new("char[]", size)
        lib.dq_table_wide_text(table, count, text, size)
        cells = ffi.buffer(text, size)[:-1].decode("utf-8").split("\0")
        widths = cell_widths(cells)
        lib.dq_table_set_widths(table, count, ffi.new("long long[]", widths), len(widths))

    def _give_up(self, stream: RowStream, body: bytes, rows: list | None) -> None:
        """A body C does not take: the renderer prints the rest of the result."""
        self._python_only = True
        held = self._take(stream, self._held)
        if held:
            self._python(held)
        self._python(stream.decode_body(body).rows if rows is None else rows)

    def _take(self, stream: RowStream, count: int) -> list:
        """The first ``count`` rows held, decoded, and no longer held."""
        start, stop = self._first, self._first + count
        wanted = [piece for piece in self._pieces if piece[2] < stop]
        self._drop(count)
        rows: list = []
        for piece in wanted:
            if piece[1] is None:      # decoded once, though it may span blocks
                piece[1] = stream.decode_body(piece[0]).rows
            first = piece[2]
            rows += piece[1][max(start - first, 0):stop - first]
        return rows

    def _drop(self, count: int) -> None:
        """Forget the first ``count`` rows held (and the bodies left empty)."""
        self._lib.dq_table_drop(self._table, count)
        self._first += count
        self._held -= count
        pieces = self._pieces
        # A piece ends where the next starts; the last one ends at the held rows' end.
        while pieces and (pieces[1][2] if len(pieces) > 1 else self._first + self._held) \
                <= self._first:
            pieces.popleft()
