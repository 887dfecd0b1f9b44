"""``.dump`` as SQL text: what the sqlite3 shell (3.40) writes, read from dqlite.

The text is byte for byte what ``sqlite3 FILE .dump`` prints for the same
schema and rows (``PRAGMA foreign_keys=OFF;``, ``BEGIN TRANSACTION;``, each
table's ``CREATE`` and ``INSERT``s, ``sqlite_sequence``, then the indexes,
triggers and views in the order they were made, ``COMMIT;``), and both
sqlite3 and this shell load it back to the same content: values are written
by :func:`~dqlite_shell.shell.output.values.sql_literal` (REALs as
``%!.20g``, which reads back as the same double; BLOBs as ``X'..'``; NULL
apart from ``''``).

Rows are read with one streaming query per table and written as they come,
so a database of any size is dumped in constant memory. The whole dump reads
one snapshot: it runs in a read transaction (the user's own, when one is
open). Each column is selected as ``+name``: an expression has no declared
type, so the server sends every value as SQLite stores it (a ``BOOLEAN``
column is not flattened to 0/1, a NULL in a ``DATETIME`` column is not sent
as ``''``, and a REAL there does not abort the node: docs/server-bugs.md).

Deviations from sqlite3, where it loses data: a TEXT value holding a NUL is
written whole (``CAST(X'..' AS TEXT)``), where sqlite3 cuts it at the NUL.
``--preserve-rowids`` is not offered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dqlite_shell.client.result import RowStream
from dqlite_shell.shell.output.values import real_literal, sql_literal, text_literal
from dqlite_shell.sqltext import quote_name

if TYPE_CHECKING:
    from dqlite_shell.client.session import Session

class DumpUsage(ValueError):
    """An option .dump does not know (the message says which)."""


@dataclass
class DumpOptions:
    """What ``.dump`` was asked for: the options and the LIKE patterns of
    the objects (tables, and their indexes, triggers and views) to dump."""
    data_only: bool = False
    nosys: bool = False
    newlines: bool = False
    patterns: list[str] = field(default_factory=list)


def parse_options(args: list[str]) -> DumpOptions:
    """``.dump``'s words as sqlite3 reads them (options with one dash or
    two, anywhere); raises DumpUsage."""
    options = DumpOptions()
    for word in args:
        if not word.startswith("-"):
            options.patterns.append(word)
            continue
        name = word[1:] if word.startswith("--") else word
        if name == "-data-only":
            options.data_only = True
        elif name == "-nosys":
            options.nosys = True
        elif name == "-newlines":
            options.newlines = True
        elif name == "-preserve-rowids":
            raise DumpUsage("--preserve-rowids is not supported")
        else:
            raise DumpUsage(f'unknown option "{word}"')
    return options


def _selection(patterns: list[str]) -> tuple[str, list[str]]:
    """The WHERE condition on ``sqlite_master AS o`` that sqlite3 builds for
    the patterns (a virtual table's shadow tables go with it), and its
    parameters."""
    if not patterns:
        return "1", []
    condition = (r"name LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM sqlite_master "
                 r"WHERE name LIKE ? ESCAPE '\' AND sql LIKE 'CREATE VIRTUAL TABLE%' AND "
                 r"substr(o.name, 1, length(name)+1) == (name||'_'))")
    return " OR ".join([condition] * len(patterns)), [p for p in patterns for _ in (0, 1)]


def schema_statement(sql: str) -> str:
    """A table's CREATE statement as sqlite3's printSchemaLine writes it: a
    trailing comment closed so that ``;`` ends the statement, and ``IF NOT
    EXISTS`` added when the name is quoted (then it may be sqlite_... -like)."""
    if "/*" in sql or "--" in sql:
        for end in ("", "*/", "\n"):
            if sqlite3.complete_statement(sql + end + ";"):
                sql += end
                break
    if sql.startswith(("CREATE TABLE '", 'CREATE TABLE "')):
        return "CREATE TABLE IF NOT EXISTS " + sql[13:] + ";\n"
    return sql + ";\n"


def _other_statement(sql: str) -> str:
    """An index, trigger or view as sqlite3 writes it (a ``--`` anywhere puts
    the ``;`` on a line of its own)."""
    return sql + ("\n;\n" if "--" in sql else ";\n")


def _literal_row(newlines: bool) -> Callable[[tuple], str]:
    """``row -> "v1,v2,..."``, each value :func:`sql_literal`, with a lookup
    by exact type for the usual ones (this is the inner loop of a dump)."""
    by_type: dict[type, Callable] = {
        int: int.__repr__, float: real_literal, type(None): lambda _: "NULL",
        str: (lambda v: text_literal(v, True)) if newlines else text_literal,
    }
    get = by_type.get

    def literal(value) -> str:
        convert = get(type(value))
        return convert(value) if convert is not None else sql_literal(value, newlines)

    def row_text(row: tuple) -> str:
        return ",".join(map(literal, row))
    return row_text


class SqlDump:
    """One ``.dump``: call :meth:`run`. ``write`` gets the text piece by
    piece; ``rows`` counts the INSERTs written."""

    def __init__(self, session: Session, write: Callable[[str], object],
                 options: DumpOptions):
        self.session, self.write, self.options = session, write, options
        self.rows = 0
        self._writable_schema = False
        self._row_text = _literal_row(options.newlines)

    def run(self) -> None:
        """Write the dump; errors propagate after ``ROLLBACK; -- due to
        errors`` is written (so that loading a cut dump applies nothing)."""
        session = self.session
        opened = not session.transaction.active
        if opened:
            session.execute("BEGIN")  # one snapshot for every table
        try:
            self._write_all()
        except BaseException:
            if not self.options.data_only:
                try:
                    self.write("ROLLBACK; -- due to errors\n")
                except OSError:
                    pass  # the output is what failed (a closed pipe, a full disk)
            if opened:
                self._end()
            raise
        if opened:
            self._end()

    def _end(self) -> None:
        if self.session.transaction.active:
            try:
                self.session.execute("ROLLBACK")  # it read only
            except Exception:  # noqa: BLE001 - the connection went: so did the transaction
                pass

    def _query(self, sql: str, params=()) -> list[tuple]:
        result = self.session.execute(sql, params)
        return result.fetchall() if isinstance(result, RowStream) else []

    def _write_all(self) -> None:
        options, write = self.options, self.write
        if not options.data_only:
            write("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
        where, params = _selection(options.patterns)
        tables = self._query(
            f"SELECT name, type, sql FROM sqlite_master AS o WHERE ({where}) "
            "AND type=='table' AND sql NOT NULL ORDER BY tbl_name='sqlite_sequence', rowid",
            params)
        for name, kind, sql in tables:
            self._table(name, kind, sql)
        if not options.data_only:
            for (sql,) in self._query(
                    f"SELECT sql FROM sqlite_master AS o WHERE ({where}) AND sql NOT NULL "
                    "AND type IN ('index','trigger','view') ORDER BY rowid", params):
                write(_other_statement(sql))
        if self._writable_schema:
            write("PRAGMA writable_schema=OFF;\n")
        if not options.data_only:
            write("COMMIT;\n")

    def _table(self, name: str, kind: str, sql: str) -> None:
        """One table's schema and rows, as sqlite3's dump_callback."""
        options, write = self.options, self.write
        if name is None or kind is None:
            return
        if name == "sqlite_sequence" and not options.nosys:
            if not options.data_only:
                write("DELETE FROM sqlite_sequence;\n")
        elif name.startswith("sqlite_stat") and len(name) == 12 and not options.nosys:
            if not options.data_only:
                write("ANALYZE sqlite_schema;\n")
        elif name.startswith("sqlite_"):
            return
        elif options.data_only:
            pass
        elif sql.startswith("CREATE VIRTUAL TABLE"):
            if not self._writable_schema:
                write("PRAGMA writable_schema=ON;\n")
                self._writable_schema = True
            text, schema = name.replace("'", "''"), sql.replace("'", "''")
            write("INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)"
                  f"VALUES('table','{text}','{text}',0,'{schema}');\n")
            return
        else:
            write(schema_statement(sql))
        if kind == "table":
            self._rows(name)

    def _rows(self, table: str) -> None:
        columns = [c for (c,) in self._query("SELECT name FROM pragma_table_info(?)", (table,))]
        if not columns:
            return
        quoted = quote_name(table)
        select = f"SELECT {','.join('+' + quote_name(c) for c in columns)} FROM {quoted}"
        prefix = f"INSERT INTO {quoted} VALUES("
        row_text, write = self._row_text, self.write
        stream = self.session.execute(select)
        if not isinstance(stream, RowStream):
            return  # no columns, no rows (a SELECT of one or more columns has them)
        try:
            for batch in stream.batches():
                write("".join([prefix + row_text(row) + ");\n" for row in batch]))
                self.rows += len(batch)
        except BaseException:
            stream.close(grace=0.5)
            raise
