"""The plain-text formats: ``list`` (also ``tabs`` and ``ascii``), ``csv``,
``line`` and ``markdown``.

Values are printed as SQLite prints them (:mod:`.values`), NULL as the
``nullvalue`` setting.  Each renderer writes once per batch and keeps no
rows.  Like the ``sqlite3`` CLI, a result with no rows prints nothing at all,
not even the header line (the header is written with the first row).

``list``, ``line`` and ``markdown`` written to a terminal show control
characters escaped (:func:`~.values.terminal_text`); written to a file or a
pipe they keep every character, as ``csv`` always does.

``list``, ``csv`` and ``line`` use ``.separator``'s column and row
separators as ``sqlite3`` does (``separator``, ``row_separator``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from operator import add
from typing import TextIO

from .base import Renderer
from .values import terminal_text, text_column, text_rows

_NONE = type(None)
#: Columns of these types never hold a value CSV must quote (digits, ``-``,
#: ``.``, ``e``, ``+``, ``Inf``, ``NaN``), and their NULLs are ``nullvalue``.
_NUMBERS_OR_NULL = frozenset((int, float, _NONE))


class ListRenderer(Renderer):
    """``.mode list``: values separated by ``separator`` (``|``), each row
    ended by ``row_separator`` (a line feed); ``tabs`` and ``ascii`` are
    this with their own separators.

    This is the format for piping big results: :func:`text_rows` converts
    text, integer and NULL columns without a Python call per value, and each
    batch is joined and written at once.
    """

    def __init__(self, out: TextIO, columns: Sequence[str], *, separator: str = "|",
                 row_separator: str = "\n", **options):
        super().__init__(out, columns, **options)
        self.separator, self.row_separator = separator, row_separator

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch as ``a|b|c`` lines (after the header, if on)."""
        if not batch:
            return
        join = self.separator.join
        lines = list(map(join, text_rows(batch, self.nullvalue, self.blob)))
        if self.count == 0 and self.headers:
            lines.insert(0, join(self.columns))
        self.count += len(batch)
        lines.append("")
        text = self.row_separator.join(lines)
        self.out.write(terminal_text(text) if self.terminal else text)


# sqlite3's shell quotes a CSV field holding a control character, a space,
# '"', "'" or any byte >= 0x7f (its needCsvQuote table), the column
# separator (',' unless .separator says otherwise), and an empty one. The
# classes are written as their complement, the printable ASCII that needs no
# quotes: a class reaching U+10FFFF takes re ~5 ms to compile, on every start.
_CSV_PLAIN = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in "\"'"]


def _csv_quoted_class(separator: str = "") -> str:
    """The character class of what needs quotes, ``separator``'s characters too."""
    return "[^" + "".join(re.escape(c) for c in _CSV_PLAIN if c not in separator) + "]"


_CSV_NEEDS_QUOTES = re.compile(_csv_quoted_class(",")).search


def csv_needs_quotes(separator: str = ","):
    """The search that finds what makes a field need quotes with this
    ``separator``: sqlite3's characters and the separator, in one pattern so
    that a field is scanned once (one character class when it can be)."""
    if separator == ",":
        return _CSV_NEEDS_QUOTES
    if len(separator) == 1:
        return re.compile(_csv_quoted_class(separator)).search
    return re.compile(f"{_csv_quoted_class()}|{re.escape(separator)}").search


def csv_field(text: str, separator: str = ",") -> str:
    """One field as ``sqlite3 -csv`` writes it: as is, or between double
    quotes with inner ones doubled when it is empty, holds a character
    ``sqlite3`` quotes (see ``_CSV_NEEDS_QUOTES``) or the ``separator``."""
    if text and csv_needs_quotes(separator)(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


class CsvRenderer(Renderer):
    """``.mode csv``: byte for byte what ``sqlite3 -csv`` prints.

    NULL is ``nullvalue`` as it is (nothing by default) and an empty string
    is ``""``, so the two differ.  A field is quoted when ``sqlite3`` quotes
    it (:func:`csv_field`), so the output reads back with any RFC 4180
    reader.  Lines end with LF, as ``sqlite3 -csv`` writes them; ``crlf``
    (``.mode csv --crlf``) ends them with CRLF, as RFC 4180 and ``sqlite3``'s
    ``.mode csv`` do.  ``.separator`` changes both (``separator``,
    ``row_separator``), and a field holding the separator is quoted, as in
    ``sqlite3``.  A BLOB is its ``X'..'`` literal, quoted (``sqlite3``
    writes its raw bytes, cut at the first NUL).
    """

    def __init__(self, out: TextIO, columns: Sequence[str], *, crlf: bool = False,
                 separator: str = ",", row_separator: str | None = None, **options):
        super().__init__(out, columns, **options)
        self.separator = separator
        self._needs_quotes = csv_needs_quotes(separator)
        self.line_end = row_separator if row_separator is not None else \
            "\r\n" if crlf else "\n"

    def _fields(self, column: Sequence) -> Iterable[str]:
        # BLOBs as X'..' whatever .blob says: CSV is for programs (exact, and
        # the literal says it is hex).
        texts = text_column(column, self.nullvalue)
        sep = self.separator
        if sep == "," and set(map(type, column)) <= _NUMBERS_OR_NULL:
            return texts                # no number holds a comma
        nullvalue, needs = self.nullvalue, self._needs_quotes
        return [nullvalue if value is None
                else text if text and needs(text) is None
                else '"' + text.replace('"', '""') + '"'
                for value, text in zip(column, texts, strict=True)]

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch as CSV records (after the header record, if on)."""
        if not batch:
            return
        end, sep = self.line_end, self.separator
        columns = zip(*batch, strict=True)
        lines = [sep.join(fields) for fields in zip(*map(self._fields, columns), strict=True)] \
            if batch[0] else [""] * len(batch)
        if self.count == 0 and self.headers:
            lines.insert(0, sep.join([csv_field(name, sep) for name in self.columns]))
        self.count += len(batch)
        self.out.write(end.join(lines) + end)


class LineRenderer(Renderer):
    """``.mode line``: one ``column = value`` line per value, a blank line
    between rows, column names right-aligned to the longest one (at least 5
    characters, as in ``sqlite3``).  Each line, and the blank one, ends with
    ``row_separator`` (``.separator``'s, a line feed).

    ``sqlite3`` measures names in bytes; this counts characters, so non-ASCII
    names line up.  ``headers`` does not apply.
    """

    def __init__(self, out: TextIO, columns: Sequence[str], *, row_separator: str = "\n",
                 **options):
        super().__init__(out, columns, **options)
        width = max([5, *map(len, self.columns)])
        self._prefixes = [name.rjust(width) + " = " for name in self.columns]
        self.row_separator = row_separator

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch, each row as a block of ``name = value`` lines."""
        if not batch:
            return
        prefixes, end = self._prefixes, self.row_separator
        blocks = [end.join(map(add, prefixes, texts))
                  for texts in text_rows(batch, self.nullvalue, self.blob)]
        text = (end + end).join(blocks) + end
        if self.terminal:
            text = terminal_text(text)
        self.out.write(end + text if self.count else text)
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
        parts.extend(self._line(row) for row in text_rows(batch, self.nullvalue, self.blob))
        self.count += len(batch)
        text = "".join(parts)
        self.out.write(terminal_text(text) if self.terminal else text)
