"""Results that fit the screen: the REPL's expanded view, ``.maxrows``,
long cells cut, and ``\\G``.

:func:`dqlite_shell.shell.engine.show` hands a result here only in the REPL,
for ``\\G``, or when ``.expanded``, ``.maxrows`` or ``max_cell_width`` was
set; scripts, ``-c`` and pipes with the defaults never come here, so their
rows pay nothing and print as before, byte for byte.

What changes, and only for the grids (``table``, ``box``, ``column`` and
tabulate's formats, ``grid`` to ``latex``): ``list``, ``csv``, ``json``,
``markdown`` (text meant for pasting, streamed unpadded) and the others
never change, except with ``\\G``.

* **Expanded** (``.expanded auto|on|off``, the ``expanded`` key; default
  ``auto`` in the REPL, ``off`` elsewhere): ``on`` shows every result one
  column per line (:mod:`.output.expanded`); ``auto`` does when the table
  would be wider than the terminal.  Rows stream, so ``auto`` decides on
  the first block of rows (:data:`~.output.table.BLOCK_ROWS`, the rows the
  grids buffer anyway), drawn with long cells already cut; with
  ``.maxrows``, on the rows shown.  Later blocks follow the first one's
  choice.  ``auto`` without a terminal (``.output FILE``) is ``off``.
* **\\G** at the end of a statement (REPL only: scripts send the text as it
  is, and the server refuses the backslash) shows that result expanded,
  whatever the format; the server never sees the ``\\G``.
* **.maxrows N** (0 or ``off``: all; ``auto``, the REPL's default: the
  terminal's height less the table's frame and the prompt, as DuckDB's
  shell; a tabulate grid's rule under every row halves it): a longer
  result shows its first ``ceil(N/2)`` and last ``floor(N/2)`` rows, with a
  ``(TOTAL rows, N shown)`` line between them.
  The first rows are kept, the last ones in a ring buffer, the middle only
  counted: memory is N rows, and nothing shows until the result has ended.
  Expanded with ``auto``: as many records as fit, at least 2.
* **Long cells**: a line of a TEXT value wider than ``max_cell_width``
  terminal cells (default 60 in the REPL on its terminal, 0 elsewhere: never)
  is cut with ``…``; wide characters count 2.  A column with a ``.width``
  is left to it.  ``.last`` shows the values whole.

Where the result goes (``.pager on|off|auto``) is :mod:`.pager`'s; the
copy kept for ``.last`` is :mod:`.last_result`'s.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dqlite_shell.shell.output import TABULATE_FORMATS
from dqlite_shell.sqltext import complete_statement

if TYPE_CHECKING:
    from dqlite_shell.shell.state import Settings, ShellState

#: The formats whose tables are cut, expanded and have their cells cut:
#: ours and tabulate's.
GRIDS = frozenset({"table", "box", "column"}) | TABULATE_FORMATS
EXPANDED_MODES = ("auto", "on", "off")
#: The REPL's default cut of long cells, in terminal cells.
CELL_WIDTH = 60
#: The largest .maxrows (its rows are held until the result ends).
MAX_ROWS = 100_000
#: Lines a cut table takes besides its rows: top, names, rule, bottom, the
#: ``(N rows, M shown)`` line and the next prompt.
FRAME_LINES = 6
#: The fewest rows (records) ``auto`` shows.
MIN_AUTO_ROWS = 2
CELL_END = "…"


# -- settings ---------------------------------------------------------------------

def parse_expanded(word) -> str:
    """``auto``, ``on`` or ``off`` (any case); ValueError otherwise."""
    text = str(word).strip().lower()
    if isinstance(word, str) and text in EXPANDED_MODES:
        return text
    raise ValueError(f"{word!r} is not auto, on or off")


def parse_maxrows(word) -> int | str:
    """A number of rows (0 or ``off``: all) or ``auto``; ValueError otherwise."""
    if isinstance(word, bool):
        raise ValueError(f"{word!r} is not a number of rows")
    text = str(word).strip().lower()
    if text == "auto":
        return "auto"
    if text == "off":
        return 0
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ROWS:
        raise ValueError(f"{word!r} is not a number of rows from 0 (all) to {MAX_ROWS}, "
                         "off or auto")
    return int(text)


def parse_cell_width(word) -> int:
    """A number of terminal cells (0: no limit); ValueError otherwise."""
    text = str(word).strip()
    if isinstance(word, bool) or not (text.isascii() and text.isdigit()) or int(text) > 10_000:
        raise ValueError(f"{word!r} is not a number of characters from 0 (no limit) to 10000")
    return int(text)


def parse_pager(word) -> bool | str:
    """``on``/``true``, ``off``/``false`` or ``auto``; ValueError otherwise."""
    if isinstance(word, bool):
        return word
    text = str(word).strip().lower()
    if text == "auto":
        return "auto"
    if text in ("on", "yes", "true", "1"):
        return True
    if text in ("off", "no", "false", "0"):
        return False
    raise ValueError(f"{word!r} is not on, off or auto")


_PARSERS = {"expanded": parse_expanded, "maxrows": parse_maxrows,
            "max_cell_width": parse_cell_width, "pager": parse_pager}


def config_problem(key: str, value) -> str | None:
    """What is wrong with the value of config key ``key`` (one line), or None."""
    try:
        _PARSERS[key](value)
    except ValueError as e:
        return f"{key}: {e}"
    return None


def configure(settings: Settings, cfg: dict) -> None:
    """Apply the REPL's config keys (``expanded``, ``maxrows``,
    ``max_cell_width``, ``pager``) to ``settings``; scripts ignore them, so
    that a config file never cuts what a script writes to a file."""
    for key, parse in _PARSERS.items():
        if key in cfg:
            setattr(settings, key, parse(cfg[key]))


# -- \G ---------------------------------------------------------------------------

_VERTICAL = re.compile(r"\\G\s*;?\s*\Z")


def vertical_statement(text: str) -> str | None:
    """The statement without its ``\\G`` when ``text`` ends with one (and
    an optional ``;``) outside strings and comments, else None."""
    match = _VERTICAL.search(text)
    if match is None:
        return None
    body = text[:match.start()]
    # SQLite's own tokenizer: a ";" put in place of the \G ends the statement
    # only when the \G was not inside a string, a quoted name or a comment.
    if not body.strip() or not complete_statement(body + ";"):
        return None
    return body


# -- the layout of one result ----------------------------------------------------

def terminal_size(state: ShellState) -> tuple[int, int] | None:
    """``(columns, lines)`` of the terminal results go to, or None when they
    go elsewhere (``.output``, a pipe, a file)."""
    if state.out is not state.stdout:
        return None
    try:
        fd = state.stdout.fileno()
        if not os.isatty(fd):
            return None
        size = os.get_terminal_size(fd)
    except (AttributeError, ValueError, OSError):
        return None
    return (size.columns, size.lines) if size.columns > 0 and size.lines > 0 else None


@dataclass
class Layout:
    """How one result is shown (settings resolved against the terminal)."""
    grid: bool              # the format is one of GRIDS
    expanded: str           # "on", "auto" or "off"
    maxrows: int            # 0: all
    auto_rows: bool         # maxrows came from the terminal's height
    cell_width: int         # 0: cells are not cut
    size: tuple[int, int] | None  # the terminal's (columns, lines)

    @property
    def plain(self) -> bool:
        """Nothing to do: the rows stream as the format prints them."""
        return self.expanded == "off" and not self.maxrows and not self.cell_width

    @property
    def screen(self) -> tuple[int, int]:
        """The terminal's size, for what only a terminal has: expanded
        "auto" and rows from its height (:func:`resolve` gives neither
        without one)."""
        assert self.size is not None
        return self.size


def resolve(state: ShellState, columns: Sequence[str], *, vertical: bool = False,
            query_plan: bool = False, whole: bool = False) -> Layout:
    """The layout of a result with ``columns`` (``vertical``: ``\\G``;
    ``whole``: ``.last``, every row and whole cells)."""
    s = state.settings
    size = terminal_size(state)
    on_screen = state.interactive and size is not None
    grid = s.mode.split()[0] in GRIDS
    if grid and query_plan:
        from dqlite_shell.shell.output import plan
        grid = not plan.is_plan(columns)  # drawn as a tree
    if vertical:
        expanded = "on"
    elif not grid:
        expanded = "off"
    else:
        expanded = s.expanded or ("auto" if on_screen else "off")
        if expanded == "auto" and (size is None or whole):
            expanded = "off"
    rows_setting = s.maxrows if s.maxrows is not None else ("auto" if on_screen else 0)
    auto_rows = rows_setting == "auto"
    if isinstance(rows_setting, int):
        maxrows = rows_setting
    else:  # "auto": what the terminal's height holds
        maxrows = max(MIN_AUTO_ROWS, rows_that_fit(s.mode.split()[0], size[1])) if size else 0
    if whole or expanded == "off" and not grid:
        maxrows = 0
    cell_width = s.max_cell_width if s.max_cell_width is not None else (
        CELL_WIDTH if on_screen else 0)
    if not grid or whole:
        cell_width = 0
    return Layout(grid, expanded, maxrows, auto_rows and bool(maxrows), cell_width, size)


def rows_that_fit(mode: str, lines: int) -> int:
    """How many rows of a table in ``mode`` fit ``lines`` terminal lines
    with the gap line and the next prompt: ours take FRAME_LINES and one a
    row; tabulate's formats are measured (a grid rules every row)."""
    if mode not in TABULATE_FORMATS:
        return lines - FRAME_LINES
    frame, per_row = _frame_of(mode)
    return (lines - frame - 1) // per_row - 1  # the prompt's line; the gap's row


@functools.cache
def _frame_of(mode: str) -> tuple[int, int]:
    """(lines besides the rows, lines per row) of a table in tabulate's ``mode``."""
    from dqlite_shell.shell.output.table import draw_table
    one, two = (draw_table(["a"], rows, "", tablefmt=mode).count("\n") + 1
                for rows in ([(1,)], [(1,), (2,)]))
    return one - (two - one), two - one


# -- long cells -------------------------------------------------------------------

def cut_line(line: str, width: int) -> str:
    """``line`` cut to ``width`` terminal cells, ending in ``…`` when cut."""
    if len(line) <= width and line.isascii():
        return line
    from dqlite_shell.shell.output.expanded import display_width
    if display_width(line) <= width:
        return line
    try:
        from wcwidth import wcwidth
    except ImportError:  # pragma: no cover - prompt_toolkit depends on it
        return line[:max(width - 1, 0)] + CELL_END
    used = 0
    for i, char in enumerate(line):
        used += max(wcwidth(char), 0)
        if used > width - 1:
            return line[:i] + CELL_END
    return line


def cut_rows(batch: Sequence[Sequence], width: int, widths: Sequence[int] = ()) -> list:
    """``batch`` with every line of a TEXT value cut to ``width`` cells;
    columns with a ``.width`` (``widths``) are left as they are."""
    fixed = {i for i, w in enumerate(widths) if w}
    rows = []
    for row in batch:
        if any(isinstance(v, str) and len(v) * 2 > width for v in row):
            row = tuple(
                "\n".join(cut_line(line, width) for line in v.split("\n"))
                if isinstance(v, str) and i not in fixed and len(v) * 2 > width else v
                for i, v in enumerate(row))
        rows.append(row)
    return rows


# -- first and last rows -----------------------------------------------------------

class HeadTail:
    """The first ``ceil(limit/2)`` and last ``floor(limit/2)`` rows of a
    stream, and how many there were (the middle is counted, not kept)."""

    def __init__(self, limit: int):
        self.head_size = (limit + 1) // 2
        self.head: list = []
        self.tail: deque = deque(maxlen=limit // 2)
        self.count = 0

    def add(self, batch: Sequence) -> None:
        """Take a batch of rows."""
        self.count += len(batch)
        room = self.head_size - len(self.head)
        if room > 0:
            self.head.extend(batch[:room])
            batch = batch[room:]
        if batch and self.tail.maxlen:
            self.tail.extend(batch)

    def shown(self, limit: int | None = None) -> tuple[list, list, int]:
        """``(first rows, last rows, rows left out between them)``, at most
        ``limit`` rows in all (None: as many as were kept)."""
        rows = self.head + list(self.tail)
        limit = len(rows) if limit is None else min(limit, len(rows))
        if self.count <= limit:
            return rows, [], 0
        first = rows[:(limit + 1) // 2]
        last = rows[len(rows) - limit // 2:] if limit // 2 else []
        return first, last, self.count - len(first) - len(last)


# -- showing a result --------------------------------------------------------------

def gap_line(total: int, shown: int) -> str:
    """The line between the first and the last rows of a cut result."""
    return f"({total} rows, {shown} shown)"


def fits(text: str, columns: int) -> bool:
    """Whether every line of ``text`` fits ``columns`` terminal cells."""
    from dqlite_shell.shell.output.expanded import display_width
    return all(display_width(line) <= columns for line in text.split("\n"))


def show(state: ShellState, columns: list[str], batches: Iterable[list[tuple]], *,
         query_plan: bool = False, vertical: bool = False, whole: bool = False,
         record: bool = True) -> int:
    """Print a result as the module docstring says; returns the number of
    rows read.  In the REPL the rows are also kept for ``.last``
    (``record``); ``whole``: ``.last`` itself (every row, whole cells,
    always through the pager on a terminal)."""
    from dqlite_shell.shell import pager
    layout = resolve(state, columns, vertical=vertical, query_plan=query_plan, whole=whole)
    if state.interactive and record:
        from dqlite_shell.shell import last_result
        batches = last_result.record(state, columns, batches, query_plan)
    counted = _Counted(batches)
    with pager.destination(state, layout.size, force=whole) as (out, terminal):
        printer = _Printer(state, layout, out, terminal, columns, query_plan)
        if layout.plain:
            printer.stream(counted)
        elif layout.maxrows:
            printer.cut(counted)
        else:
            printer.blocks(counted)
    return counted.count


class _Counted:
    """The batches of a result, counting the rows read."""

    def __init__(self, batches: Iterable[list[tuple]]):
        self._batches = iter(batches)
        self.count = 0

    def __iter__(self):
        for batch in self._batches:
            self.count += len(batch)
            yield batch


class _Printer:
    """Draws one result on ``out`` for a :class:`Layout`."""

    def __init__(self, state, layout: Layout, out, terminal, columns, query_plan):
        from dqlite_shell.shell.output.base import is_terminal
        self.state, self.layout, self.out = state, layout, out
        # Decided on the real output: tables are drawn into a StringIO first.
        self.terminal = is_terminal(out) if terminal is None else terminal
        self.columns, self.query_plan = columns, query_plan

    def _grid(self, out):
        from dqlite_shell.shell.engine import renderer
        return renderer(self.state, out, self.columns, terminal=self.terminal,
                        query_plan=self.query_plan)

    def _expanded(self, out, first: int = 1):
        from dqlite_shell.shell.output.expanded import ExpandedRenderer
        s = self.state.settings
        width = self.layout.size[0] if self.layout.size else None
        return ExpandedRenderer(out, self.columns, headers=True, nullvalue=s.nullvalue,
                                terminal=True, blob=s.blob, first=first, width=width)

    def _cut(self, batch):
        width = self.layout.cell_width
        return cut_rows(batch, width, self.state.settings.widths) if width else batch

    def stream(self, batches) -> None:
        """Every row, as the format prints it (long cells cut)."""
        renderer = self._grid(self.out)
        try:
            for batch in batches:
                renderer.rows(self._cut(batch))
        finally:
            renderer.close()
            self.out.flush()

    def blocks(self, batches) -> None:
        """Every row; expanded or not as the first block says."""
        from dqlite_shell.shell.output.table import BLOCK_ROWS
        iterator = iter(batches)
        first: list = []
        ended = True
        for batch in iterator:
            first.extend(batch)
            if len(first) >= BLOCK_ROWS:
                ended = False
                break
        if self.layout.expanded == "auto":
            held = io.StringIO()
            grid = self._grid(held)
            grid.rows(self._cut(first))
            if ended:
                grid.close()
            if fits(held.getvalue(), self.layout.screen[0]):
                self.out.write(held.getvalue())
                grid.out = self.out  # it goes on with the rows it holds and the rest
                try:
                    for batch in iterator:
                        grid.rows(self._cut(batch))
                finally:
                    grid.close()
                    self.out.flush()
                return
        elif self.layout.expanded == "off":
            self.stream(_chain(first, iterator))
            return
        renderer = self._expanded(self.out)
        try:
            for batch in _chain(first, iterator):
                renderer.rows(batch)
        finally:
            renderer.close()
            self.out.flush()

    def cut(self, batches) -> None:
        """The first and last rows of a result longer than ``.maxrows``."""
        kept = HeadTail(self.layout.maxrows)
        for batch in batches:
            kept.add(batch)
        if not kept.count:
            return
        if self.layout.expanded != "on":
            first, last, omitted = kept.shown()
            from dqlite_shell.shell.output.table import GAP
            gap = [(GAP,) * len(self.columns)] if omitted else []
            held = io.StringIO()
            grid = self._grid(held)
            grid.rows(self._cut(first) + gap + self._cut(last))
            grid.close()
            text = held.getvalue()
            if omitted:
                text = _mark(text, gap_line(kept.count, len(first) + len(last)))
            if self.layout.expanded == "off" or fits(text, self.layout.screen[0]):
                self.out.write(text)
                self.out.flush()
                return
        limit = None
        if self.layout.auto_rows:
            lines = self.layout.screen[1] - 2
            limit = max(MIN_AUTO_ROWS, lines // (len(self.columns) + 1))
        first, last, omitted = kept.shown(limit)
        self._expanded(self.out).rows(first)
        if omitted:
            self.out.write(gap_line(kept.count, len(first) + len(last)) + "\n")
        self._expanded(self.out, len(first) + omitted + 1).rows(last)
        self.out.flush()


def _chain(first: list, rest):
    if first:
        yield first
    yield from rest


def _mark(text: str, line: str) -> str:
    """``text`` with the line that holds the gap mark replaced by ``line``."""
    from dqlite_shell.shell.output.table import GAP
    lines = text.split("\n")
    for i, candidate in enumerate(lines):
        if GAP in candidate:
            lines[i] = line
            break
    return "\n".join(lines)
