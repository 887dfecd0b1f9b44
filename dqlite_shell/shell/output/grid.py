"""The ``table`` grid drawn without tabulate: the same bytes, a tenth of the time.

::

    +----+-------+
    | id | name  |
    |----+-------|
    |  1 | alice |
    +----+-------+

:func:`draw_psql` draws one block exactly as ``tabulate(rows,
headers=names, tablefmt="psql", disable_numparse=True, colalign=align,
preserve_whitespace=True)`` does with ``MIN_PADDING = 0`` (the call
:mod:`.table` made before), byte for byte, tabulate's quirks included:

* widths are display widths as tabulate measures them: ``wcwidth.wcswidth``
  of each line (wide characters 2, combining ones 0; -1 for a line wcwidth
  cannot measure, which then pads as tabulate pads it), ``len`` without
  wcwidth;
* the headers are aligned as their columns, except in a table with no rows
  (all left);
* a line feed in any cell or name turns the whole block multi-line: a cell
  shows ``str.splitlines()`` of its text (a final line feed adds no line; a
  row whose cells are all empty adds no line at all, as in tabulate), a
  name ``str.split("\\n")`` (a final line feed adds a blank line).

Cells and names come already escaped (:func:`~.values.terminal_text`: no
control characters but the line feed), so no ANSI code can reach tabulate's
invisible-code rules, and no other character splits a line.

A block whose cells are all single-line ASCII text (most results) is drawn
with one ``%``-format per row; other columns are measured and padded cell by
cell, as tabulate does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

_wcswidth: Callable[[str], int] | None = None


def _line_width(line: str) -> int:
    """tabulate's width of one line: its length if ASCII, else wcswidth's
    (wcwidth is imported by the first text that is not ASCII)."""
    global _wcswidth
    if line.isascii():
        return len(line)
    if _wcswidth is None:
        try:
            from wcwidth import wcswidth as measure
        except ImportError:  # pragma: no cover - prompt_toolkit depends on it
            measure = len  # type: ignore[assignment]
        _wcswidth = measure
    return _wcswidth(line)


#: The width of one line of a cell as this module measures it (the compiled
#: table, dqlite_shell._speedups.table_printer, measures with it too).
line_width = _line_width


def _ljust(width: int, text: str) -> str:
    return text.ljust(width)


def _rjust(width: int, text: str) -> str:
    return text.rjust(width)


def _pad(align: str) -> Callable[[int, str], str]:
    return _rjust if align == "right" else _ljust


def draw_psql(names: Sequence[str], columns: Sequence[Sequence[str]],
              align: Sequence[str]) -> str:
    """One block as a psql grid, no final newline.  ``names``: the header
    cells; ``columns``: the cells column by column (all of one length, the
    number of rows); ``align``: ``"left"`` or ``"right"`` per column."""
    if not names:
        return ""
    nrows = len(columns[0]) if columns else 0
    if not nrows:
        columns = [()] * len(names)
        align = ["left"] * len(names)   # tabulate: no rows, no column alignment
    joined = ["".join(column) for column in columns]
    if any("\n" in text for text in joined) or any("\n" in name for name in names):
        return _draw_multiline(names, columns, align, nrows)
    widths: list[int] = []
    heads: list[str] = []
    cells: list[Sequence[str]] = []
    specs: list[str] = []       # each column's %-format: padded here or by _measure
    for name, column, text, how in zip(names, columns, joined, align, strict=True):
        if text.isascii() and name.isascii():
            width = max(len(name), max(map(len, column), default=0))
            specs.append(("%" if how == "right" else "%-") + str(width) + "s")
        else:
            width, column = _measure(name, column, how)
            specs.append("%s")
        cells.append(column)
        widths.append(width)
        heads.append(_pad(how)(width + len(name) - _line_width(name), name))
    rule = "+".join("-" * (w + 2) for w in widths)
    lines = ["+" + rule + "+", "| " + " | ".join(heads) + " |", "|" + rule + "|"]
    if nrows:
        # One %-format per row; the cells go in as arguments (a % in one is text).
        row_format = "| " + " | ".join(specs) + " |"
        lines.append("\n".join([row_format % row for row in zip(*cells, strict=True)]))
    lines.append("+" + rule + "+")
    return "\n".join(lines)


def _measure(name: str, column: Sequence[str], how: str) -> tuple[int, list[str]]:
    """A single-line column with wide or odd characters: its width and its
    padded cells, computed as tabulate's ``_align_column`` does."""
    head = _line_width(name)
    pad = _pad(how)
    measured = [_line_width(cell) for cell in column]
    widest = max(max(measured, default=head), head)
    padded = [pad(widest - (w - len(cell)), cell) for cell, w in zip(column, measured, strict=True)]
    width = max(head, max(map(_line_width, padded), default=0)) if padded else max(head, 0)
    return width, padded


def _draw_multiline(names: Sequence[str], columns: Sequence[Sequence[str]],
                    align: Sequence[str], nrows: int) -> str:
    """A block with a line feed somewhere: tabulate's multi-line layout."""
    def width_of(text: str) -> int:
        return max(map(_line_width, text.split("\n")))

    widths: list[int] = []
    padded_columns: list[list[str]] = []
    heads: list[str] = []
    for name, column, how in zip(names, columns, align, strict=True):
        pad = _pad(how)
        head = width_of(name)
        line_widths = [[_line_width(line) for line in cell.split("\n")] for cell in column]
        widest = max([head] + [w for ws in line_widths for w in ws])
        # Not strict: ws counts split("\n")'s lines; splitlines() drops a last
        # empty one and splits at more characters, so the counts may differ.
        padded = ["\n".join([pad(widest - (w - len(line)), line)
                             for line, w in zip(cell.splitlines() or cell, ws, strict=False)])
                  for cell, ws in zip(column, line_widths, strict=True)]
        width = max([head] + [width_of(cell) for cell in padded]) if nrows else max(head, 0)
        widths.append(width)
        padded_columns.append(padded)
        heads.append("\n".join(pad(width + len(line) - _line_width(line), line)
                               for line in name.split("\n")))
    rule = "+".join("-" * (w + 2) for w in widths)
    lines = ["+" + rule + "+"]
    _add_row(lines, heads, widths)
    lines.append("|" + rule + "|")
    for row in zip(*padded_columns, strict=True):
        _add_row(lines, row, widths)
    lines.append("+" + rule + "+")
    return "\n".join(lines)


def _add_row(lines: list[str], cells: Sequence[str], widths: Sequence[int]) -> None:
    """One multi-line row, its cells' lines side by side (missing ones blank)."""
    cell_lines = [cell.splitlines() for cell in cells]
    height = max(map(len, cell_lines))
    for i in range(height):
        cells_at = [cl[i] if i < len(cl) else " " * w
                    for cl, w in zip(cell_lines, widths, strict=True)]
        lines.append("| " + " | ".join(cells_at) + " |")
