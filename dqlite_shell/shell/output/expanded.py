"""The expanded (vertical) view: one record per block, one column per line,
as psql's ``\\x`` and pgcli's ``\\x auto`` draw it::

    -[ RECORD 1 ]----------
    id    | 1
    name  | alice
    notes | first line
          | second line

The REPL shows a result this way when its table is wider than the
terminal (``.expanded auto``), always with ``.expanded on``, and once for a
statement that ends with ``\\G`` (:mod:`dqlite_shell.shell.screen`).  It is
not an output format of its own: ``.mode line`` is sqlite3's and stays as it
is for scripts.  This layout is chosen over ``line`` because every record
is numbered (with ``.maxrows`` the last records say where they are:
``RECORD 998``) and a value's continuation lines stay under the value.

Values are shown as the table format shows them (:mod:`.values`, control
characters always escaped: it is meant for a terminal); names are aligned
on their display width (wide characters count 2).  Memory: one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from .base import Renderer
from .values import terminal_text, text_rows


def display_width(text: str) -> int:
    """How many terminal cells ``text`` (one line) takes: wide characters
    count 2, combining ones 0 (wcwidth; its length when wcwidth cannot say)."""
    if text.isascii():
        return len(text)
    try:
        from wcwidth import wcswidth
    except ImportError:  # pragma: no cover - prompt_toolkit depends on it
        return len(text)
    width = wcswidth(text)
    return len(text) if width < 0 else width


class ExpandedRenderer(Renderer):
    """Prints each row as a ``-[ RECORD N ]-`` block; ``first`` is the
    number of the first record (the last rows of a cut result go on from
    where they were); ``width``, when known, is the terminal's: the record
    lines are not drawn wider than it."""

    def __init__(self, out: TextIO, columns: Sequence[str], *, first: int = 1,
                 width: int | None = None, **options):
        super().__init__(out, columns, **options)
        self.number = first
        self.width = width
        names = [terminal_text(c).replace("\n", " ") for c in self.columns]
        size = max([display_width(n) for n in names] or [0])
        self._names = [n + " " * (size - display_width(n)) for n in names]
        self._blank = " " * size

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch, each row as one record."""
        if not batch:
            return
        parts = []
        for texts in text_rows(batch, self.nullvalue, self.blob):
            lines = []
            for name, text in zip(self._names, texts, strict=True):
                first, *more = terminal_text(text).split("\n")
                lines.append(f"{name} | {first}")
                lines.extend(f"{self._blank} | {line}" for line in more)
            widest = max([display_width(line) for line in lines] or [0])
            title = f"-[ RECORD {self.number} ]"
            rule = max(widest, len(title) + 1)
            if self.width:
                rule = min(rule, max(self.width - 1, len(title)))
            parts.append(title + "-" * (rule - len(title)))
            parts.extend(lines)
            self.number += 1
        self.out.write("\n".join(parts) + "\n")
        self.count += len(batch)
