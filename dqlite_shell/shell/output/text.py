"""The plain-text formats: ``list``, ``csv``, ``line`` and ``markdown``.

Values are printed as SQLite prints them (:mod:`.values`), NULL as the
``nullvalue`` setting.  Each renderer writes once per batch and keeps no
rows.  Like the ``sqlite3`` CLI, a result with no rows prints nothing at all,
not even the header line (the header is written with the first row).
"""

from __future__ import annotations

import csv
import io
from itertools import chain
from operator import add
from typing import Sequence, TextIO

from .base import Renderer
from .values import PLAIN_OR_NULL_TYPES, PLAIN_TYPES, text_rows

_flatten = chain.from_iterable


class ListRenderer(Renderer):
    """``.mode list``: values separated by ``|``, one row per line.

    This is the format for piping big results: :func:`text_rows` converts
    text, integer and NULL columns without a Python call per value, and each
    batch is joined and written at once.
    """

    separator = "|"

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch as ``a|b|c`` lines (after the header, if on)."""
        if not batch:
            return
        join = self.separator.join
        lines = list(map(join, text_rows(batch, self.nullvalue)))
        if self.count == 0 and self.headers:
            lines.insert(0, join(self.columns))
        self.count += len(batch)
        lines.append("")
        self.out.write("\n".join(lines))


class CsvRenderer(Renderer):
    """``.mode csv``: RFC 4180 through the :mod:`csv` module.

    Fields are quoted only when they need it (a comma, a quote or a line
    break); lines end with CRLF, as in RFC 4180 and the ``sqlite3`` CLI.
    """

    def __init__(self, out: TextIO, columns: Sequence[str], *, headers: bool,
                 nullvalue: str):
        super().__init__(out, columns, headers=headers, nullvalue=nullvalue)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch as CSV records (after the header record, if on)."""
        if not batch:
            return
        if self.count == 0 and self.headers:
            self._writer.writerow(self.columns)
        kinds = set(map(type, _flatten(batch)))
        # The csv module writes str() of an int and "" for None itself.
        if kinds <= PLAIN_TYPES or (kinds <= PLAIN_OR_NULL_TYPES and self.nullvalue == ""):
            self._writer.writerows(batch)
        else:
            self._writer.writerows(text_rows(batch, self.nullvalue))
        self.count += len(batch)
        self.out.write(self._buffer.getvalue())
        self._buffer.seek(0)
        self._buffer.truncate()


class LineRenderer(Renderer):
    """``.mode line``: one ``column = value`` line per value, a blank line
    between rows, column names right-aligned to the longest one.

    ``sqlite3`` measures names in bytes; this counts characters, so non-ASCII
    names line up.  ``headers`` does not apply.
    """

    def __init__(self, out: TextIO, columns: Sequence[str], *, headers: bool,
                 nullvalue: str):
        super().__init__(out, columns, headers=headers, nullvalue=nullvalue)
        width = max(map(len, self.columns), default=0)
        self._prefixes = [name.rjust(width) + " = " for name in self.columns]

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch, each row as a block of ``name = value`` lines."""
        if not batch:
            return
        prefixes = self._prefixes
        blocks = ["\n".join(map(add, prefixes, texts))
                  for texts in text_rows(batch, self.nullvalue)]
        text = "\n\n".join(blocks) + "\n"
        self.out.write("\n" + text if self.count else text)
        self.count += len(batch)


def markdown_cell(text: str) -> str:
    """Text made safe for a GitHub table cell: ``|`` -> ``\\|``, line breaks
    -> ``<br>`` (a cell cannot span lines)."""
    if "|" in text:
        text = text.replace("|", "\\|")
    if "\n" in text or "\r" in text:
        text = text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")
    return text


class MarkdownRenderer(Renderer):
    """``.mode markdown``: a GitHub-flavoured Markdown table.

    The header is always printed (a Markdown table needs one), with the first
    row.  Columns are not padded to a common width, unlike ``sqlite3``, which
    reads the whole result first; renderers stream.
    """

    def _line(self, cells: Sequence[str]) -> str:
        return "| " + " | ".join([markdown_cell(c) for c in cells]) + " |\n"

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch as table rows (after the header, for the first)."""
        if not batch:
            return
        parts = []
        if self.count == 0:
            parts.append(self._line(self.columns))
            parts.append("|" + "|".join(["---"] * len(self.columns)) + "|\n")
        parts.extend(self._line(row) for row in text_rows(batch, self.nullvalue))
        self.count += len(batch)
        self.out.write("".join(parts))
