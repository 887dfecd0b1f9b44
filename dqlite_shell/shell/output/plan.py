"""EXPLAIN QUERY PLAN results drawn as ``sqlite3`` 3.40 draws them::

    QUERY PLAN
    |--SCAN t
    `--SEARCH u USING INDEX i (a=?)

The rows (``id``, ``parent``, ``notused``, ``detail``) form a tree through
``parent``; each row is a line of its ``detail``, under its parent, children
in the order of the rows.  ``sqlite3`` draws it so in every ``.mode``; the
shell does in every format but ``json`` and ``jsonl``, which stay JSON (see
:func:`~dqlite_shell.shell.output.make_renderer`).  The tree needs the rows
first: a plan is held whole (it has a row per loop or subquery, not per row
of data).  Deeper than sqlite3's limit (its 100-byte prefix buffer), levels
are not drawn, as in ``sqlite3``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Renderer
from .values import terminal_text, to_text

#: The columns of an EXPLAIN QUERY PLAN result.
PLAN_COLUMNS = ("id", "parent", "notused", "detail")
_PREFIX_LIMIT = 100 - 7                      # sqlite3: n < sizeof(zPrefix)-7


def is_plan(columns: Sequence[str]) -> bool:
    """True when ``columns`` are those of an EXPLAIN QUERY PLAN result."""
    return tuple(columns) == PLAN_COLUMNS


def draw_plan(rows: Sequence[Sequence]) -> str:
    """The tree of an EXPLAIN QUERY PLAN's rows (``""`` for none)."""
    if not rows:
        return ""
    children: dict = {}
    for row in rows:
        children.setdefault(row[1], []).append(row)
    lines = ["QUERY PLAN"]
    # Depth first, with an explicit stack: (rows of a level, next index, prefix).
    stack = [(children.get(0, []), 0, "")]
    while stack:
        level, index, prefix = stack.pop()
        if index >= len(level):
            continue
        row = level[index]
        last = index + 1 == len(level)
        lines.append(prefix + ("`--" if last else "|--") + to_text(row[3]))
        stack.append((level, index + 1, prefix))
        if len(prefix) < _PREFIX_LIMIT and row[0] != 0:
            stack.append((children.get(row[0], []), 0, prefix + ("   " if last else "|  ")))
    return "\n".join(lines) + "\n"


class QueryPlanRenderer(Renderer):
    """Holds the plan's rows; draws the tree on :meth:`close`."""

    def __init__(self, out, columns: Sequence[str], **options):
        super().__init__(out, columns, **options)
        self._rows: list[Sequence] = []

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Hold the rows (a plan is small)."""
        self._rows.extend(batch)

    def close(self) -> None:
        """Draw the tree."""
        if self.closed:
            return
        self.closed = True
        text = draw_plan(self._rows)
        self.count = len(self._rows)
        self._rows = []
        self.out.write(terminal_text(text) if self.terminal else text)
