"""``.restore FILE [--append]``: a standalone SQLite database file into the
current dqlite database.

The file is read with Python's sqlite3 (read-only) and loaded in this order:

1. the tables (their CREATE statements as the file has them);
2. their rows, table by table, parents before the tables whose foreign keys
   refer to them, through the batch loader (:mod:`.loader`: batched
   transactions, progress on a terminal, a refused row named by its number);
3. ``sqlite_sequence`` (each AUTOINCREMENT counter as the file has it, or
   kept when the database's is higher);
4. the indexes (after the rows: faster), then the views and triggers, in the
   order the file made them (triggers after the rows: they do not fire on
   the restored rows).

dqlite enforces foreign keys on its connections (SQLite's default is off).
The load turns them off for its own connection while it runs (inside an
open transaction, where SQLite ignores that, it defers them to COMMIT
instead), then turns them back on and counts the rows that break one, as the
file's own rows may (``PRAGMA foreign_key_check``).

Rowids are kept (but for WITHOUT ROWID tables, which have none, and where the
local SQLite is older than 3.37, which cannot tell those apart). ``sqlite_stat*``
tables are not copied (ANALYZE makes them). Virtual tables are refused: the
server may lack their module. At the end the rows of each table are counted
in the file and in dqlite, and the counts printed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dqlite_shell.client.result import RowStream
from dqlite_shell.shell.errors import CommandError
from dqlite_shell.sqltext import quote_name

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


@dataclass
class Source:
    """What a file holds, in load order."""
    tables: list[tuple[str, str]] = field(default_factory=list)  # (name, CREATE)
    #: (type, name, CREATE): the indexes, then the views and triggers
    others: list[tuple[str, str, str]] = field(default_factory=list)
    sequence: list[tuple[str, int]] = field(default_factory=list)


def open_source(path: str) -> sqlite3.Connection:
    """``path`` opened read-only; CommandError when it is not an SQLite file."""
    if not os.path.exists(path):
        raise CommandError(f"cannot open {path}: No such file or directory")
    if os.path.isdir(path):
        raise CommandError(f"cannot open {path}: Is a directory")
    from urllib.parse import quote
    try:
        db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise CommandError(f"{path}: {e}") from None
    return db


def read_source(db: sqlite3.Connection, path: str) -> Source:
    """The file's schema, tables ordered parents first (by their foreign
    keys; a cycle keeps the file's order)."""
    source = Source()
    virtual = []
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql NOT NULL "
                      "ORDER BY rowid").fetchall()
    for kind, name, sql in rows:
        if kind == "table":
            if sql.upper().startswith("CREATE VIRTUAL TABLE"):
                virtual.append(name)
            elif not name.startswith("sqlite_"):
                source.tables.append((name, sql))
        else:
            source.others.append((kind, name, sql))
    if virtual:
        raise CommandError(f"{path} has virtual tables, which .restore does not copy (the "
                           f"server may lack their module): {', '.join(virtual)}")
    if any(name == "sqlite_sequence" for _, name, _ in rows):
        source.sequence = db.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
    source.tables = _parents_first(db, source.tables)
    source.others.sort(key=lambda other: other[0] != "index")  # stable: the file's order
    return source


def _parents_first(db: sqlite3.Connection, tables: list[tuple[str, str]]):
    names = {name.lower(): (name, sql) for name, sql in tables}
    parents = {}
    for name, _ in tables:
        refs = db.execute("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)",
                          (name,)).fetchall()
        parents[name.lower()] = [r.lower() for (r,) in refs
                                 if r.lower() in names and r.lower() != name.lower()]
    ordered, placed, visiting = [], set(), set()

    def place(key: str) -> None:
        if key in placed or key in visiting:  # done, or a cycle: the file's order
            return
        visiting.add(key)
        for parent in parents[key]:
            place(parent)
        visiting.discard(key)
        placed.add(key)
        ordered.append(names[key])

    for name, _ in tables:
        place(name.lower())
    return ordered


def insertable_columns(db: sqlite3.Connection, table: str) -> list[str]:
    """The columns a row is inserted into: the rowid first (under a name no
    column has) unless the table is WITHOUT ROWID, then the columns that are
    neither generated nor hidden. An INTEGER PRIMARY KEY is the rowid: both
    get the same value."""
    every = db.execute("SELECT name, hidden FROM pragma_table_xinfo(?)", (table,)).fetchall()
    columns = [name for name, hidden in every if hidden == 0]
    try:  # pragma_table_list: SQLite 3.37+; without it rowids are not kept
        found = db.execute("SELECT wr FROM pragma_table_list WHERE schema = 'main' AND "
                           "name = ?", (table,)).fetchone()
    except sqlite3.Error:
        return columns
    if not columns or found is None or found[0]:
        return columns
    taken = {name.lower() for name, _ in every}
    alias = next((name for name in ("rowid", "_rowid_", "oid") if name not in taken), None)
    return [alias] + columns if alias else columns


class Restore:
    """One ``.restore`` into ``state``'s database; :meth:`run` it."""

    def __init__(self, state: ShellState, path: str, append: bool):
        self.state, self.path, self.append = state, path, append
        self.session = state.session
        self.counts: list[tuple[str, int, int]] = []  # (table, in the file, added)
        self.rows = 0

    def run(self) -> None:
        started = time.monotonic()
        db = open_source(self.path)
        try:
            source = read_source(db, self.path)
            existing = self._existing()
            tables = sorted(name for kind, name in existing.values() if kind in ("table", "view"))
            if tables and not self.append:
                raise CommandError(f"database {self.state.database} already has tables: "
                                   f"{', '.join(tables)} (.restore --append adds to them)")
            with _ForeignKeysOff(self):
                for name, sql in source.tables:
                    if name.lower() not in existing:
                        self._execute(sql, what=f"creating table {name}")
                for name, _ in source.tables:
                    self._table(db, name, name.lower() in existing)
                self._sequence(source.sequence)
                made = {"index": 0, "view": 0, "trigger": 0}
                for kind, name, sql in source.others:
                    if name.lower() not in existing:
                        self._execute(sql, what=f"creating {kind} {name}")
                        made[kind] += 1
            self._report(made, time.monotonic() - started)
        finally:
            db.close()

    # -- steps ---------------------------------------------------------------

    def _query(self, sql: str, params=()) -> list[tuple]:
        result = self.session.execute(sql, params)
        return result.fetchall() if isinstance(result, RowStream) else []

    def _execute(self, sql: str, params=(), what: str | None = None) -> None:
        from dqlite_shell.shell.commands import failures
        with failures(what):
            self.session.execute(sql, params)

    def _existing(self) -> dict[str, tuple[str, str]]:
        """The database's tables, views, indexes and triggers but SQLite's
        own: lower-cased name -> (type, name)."""
        return {name.lower(): (kind, name) for kind, name in self._query(
            r"SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\'")}

    def _table(self, db: sqlite3.Connection, name: str, existed: bool) -> None:
        from dqlite_shell.shell.loader import Loader, LoadError
        from dqlite_shell.shell.progress import Progress
        quoted = quote_name(name)
        columns = insertable_columns(db, name)
        (expected,) = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()
        before = self._count(quoted) if existed else 0
        if columns and expected:
            loader = Loader(self.state, name, columns, source=f"{self.path}:{name}",
                            progress=Progress(self.state.err))
            try:
                for number, row in enumerate(_rows(db, name, columns, self.path), 1):
                    loader.add(row, number)
                loader.finish()
            except LoadError as e:
                raise CommandError(f"{e} (row {e.line} of table {name}; "
                                   f"{self._done()})") from None
            except BaseException:
                loader.abort()
                self.state.warn(f"{self.path}: stopped in table {name} after "
                                f"{_many(loader.committed, 'row')} of it; {self._done()}")
                raise
        self.rows += expected
        self.counts.append((name, expected, self._count(quoted) - before))

    def _count(self, quoted: str) -> int:
        return self._query(f"SELECT count(*) FROM {quoted}")[0][0]

    def _done(self) -> str:
        if not self.counts:
            return "no table was restored before it"
        return "restored before it: " + ", ".join(name for name, _, _ in self.counts)

    def _sequence(self, rows: list[tuple[str, int]]) -> None:
        """Each AUTOINCREMENT counter as the file has it, unless higher here."""
        for name, seq in rows:
            found = self._query("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,))
            if not found:
                self._execute("INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)",
                              (name, seq))
            elif found[0][0] is None or found[0][0] < seq:
                self._execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (seq, name))

    def _report(self, made: dict[str, int], seconds: float) -> None:
        state = self.state
        width = max([len(name) for name, _, _ in self.counts] + [5])
        state.print(f"{'table':<{width}}  {'file':>10}  {'dqlite':>10}")
        wrong = []
        for name, expected, added in self.counts:
            mark = "" if added == expected else "  differs"
            state.print(f"{name:<{width}}  {expected:>10,}  {added:>10,}{mark}")
            if mark:
                wrong.append(name)
        rate = f", {self.rows / seconds:,.0f} rows/s" if seconds > 0 and self.rows else ""
        state.print(f"restored {_many(len(self.counts), 'table')} "
                    f"({_many(self.rows, 'row')}), {_many(made['index'], 'index')}, "
                    f"{_many(made['view'], 'view')}, {_many(made['trigger'], 'trigger')} "
                    f"from {self.path} in {seconds:.2f} s{rate}")
        broken = self._query("SELECT count(*) FROM pragma_foreign_key_check")[0][0]
        if broken:
            state.warn(f"warning: {broken} rows break a foreign key (PRAGMA "
                       "foreign_key_check lists them)")
        if wrong:
            raise CommandError(f"the row counts differ from {self.path}'s: {', '.join(wrong)}")


def _many(n: int, what: str) -> str:
    plural = "es" if what.endswith("x") else "s"
    return f"{n:,} {what}{'' if n == 1 else plural}"


def _rows(db: sqlite3.Connection, table: str, columns: list[str], path: str) -> Iterator:
    """The table's rows from the file, read as they are sent."""
    select = f"SELECT {','.join(quote_name(c) for c in columns)} FROM {quote_name(table)}"
    try:
        yield from db.execute(select)
    except sqlite3.Error as e:
        raise CommandError(f"{path}: table {table}: {e}") from None


class _ForeignKeysOff:
    """Foreign keys off on the session's connection while the load runs (or,
    in an open transaction, deferred to its COMMIT); back on after."""

    def __init__(self, restore: Restore):
        self.restore = restore
        self.was_on = False

    def __enter__(self):
        session = self.restore.session
        if session.transaction.active:
            self.restore._execute("PRAGMA defer_foreign_keys=ON")
            return self
        self.was_on = bool(self.restore._query("SELECT * FROM pragma_foreign_keys")[0][0])
        if self.was_on:
            self.restore._execute("PRAGMA foreign_keys=OFF")
        return self

    def __exit__(self, *exc) -> None:
        if self.was_on:
            try:
                self.restore.session.execute("PRAGMA foreign_keys=ON")
            except Exception:  # noqa: BLE001 - a new connection has them on anyway
                pass
