"""The SQL formats: ``insert`` and ``quote``, byte for byte as ``sqlite3`` 3.40.

``insert [TABLE]`` prints each row as ``INSERT INTO TABLE VALUES(...);``,
with the column names after the table when ``.headers`` is on, the table
and column names quoted as the sqlite3 shell quotes them
(:func:`~dqlite_shell.sqltext.quote_name`: ``"table"``, ``"b c"``).
``quote`` prints the same literals separated by ``.separator``'s column
separator (``,``), each row ended by its row separator (a line feed), after
a line of the column names as string literals with ``.headers on``.

The literals are :func:`~.values.sql_literal`'s, the one place that knows
them (``.dump`` writes the same): NULL, integers, text in single quotes
(quotes doubled), BLOBs as ``X'0aff'`` (whatever ``.blob`` says: this is
SQL), REALs with 20 significant digits (``0.10000000000000000555``).  As in
``sqlite3``, ``insert`` spells line feeds and carriage returns in text as
``replace('a\\nb','\\n',char(10))`` so that no line-end translation changes
them, writes an integral REAL in the 64-bit range as ``%lld.0`` and
infinities as ``1e999``, while ``quote`` keeps line breaks as they are and
writes ``printf("%!.20g")`` of every REAL (``Inf``).  Where
``sqlite3`` cuts a text at a NUL character, these write the whole text
(``CAST(X'..' AS TEXT)``).

On a terminal, control characters are escaped as in the other formats meant
for people (:func:`~.values.terminal_text`); to files and pipes every
character is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from .base import Renderer
from .values import real_g20, sql_literal, terminal_text


def quote_literal(value) -> str:
    """A value as ``.mode quote`` writes it: :func:`~.values.sql_literal`
    with line breaks kept, and REALs always ``printf("%!.20g")``
    (:func:`~.values.real_g20`: ``Inf`` for an infinity, and no ``%lld.0``
    for an integral value: ``-9223372036854775807.8``, as sqlite3 3.40's
    quote mode)."""
    if isinstance(value, float):
        x = float(value)
        if x != x:
            return "NULL"                   # SQLite stores no NaN
        return "0.0" if x == 0.0 else real_g20(x)
    return sql_literal(value, newlines=True)


class _SqlRenderer(Renderer):
    """Writes each batch at once; escapes control characters on a terminal."""

    def _write(self, text: str) -> None:
        self.out.write(terminal_text(text) if self.terminal else text)


class InsertRenderer(_SqlRenderer):
    """``.mode insert [TABLE]``: one INSERT statement per row."""

    def __init__(self, out: TextIO, columns: Sequence[str], *, table: str = '"table"',
                 **options):
        super().__init__(out, columns, **options)
        from dqlite_shell.sqltext import quote_name
        names = "(" + ",".join(map(quote_name, self.columns)) + ")" if self.headers else ""
        self._head = "INSERT INTO " + table + names + " VALUES("

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch, a statement a line."""
        if not batch:
            return
        head = self._head
        self._write("".join([head + ",".join(map(sql_literal, row)) + ");\n"
                             for row in batch]))
        self.count += len(batch)


class QuoteRenderer(_SqlRenderer):
    """``.mode quote``: SQL literals, ``separator`` between them,
    ``row_separator`` after each row."""

    def __init__(self, out: TextIO, columns: Sequence[str], *, separator: str = ",",
                 row_separator: str = "\n", **options):
        super().__init__(out, columns, **options)
        self.separator, self.row_separator = separator, row_separator

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch (after the names, with ``.headers on``)."""
        if not batch:
            return
        sep, end = self.separator, self.row_separator
        lines = [sep.join(map(quote_literal, row)) for row in batch]
        if self.count == 0 and self.headers:
            lines.insert(0, sep.join([quote_literal(name) for name in self.columns]))
        self._write(end.join(lines) + end)
        self.count += len(batch)
