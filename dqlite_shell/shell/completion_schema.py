"""The schema the REPL completes from, fetched in the background.

:class:`SchemaCache` asks the cluster on a connection of its own, in a
thread, so that completing never waits on the network. Each fetch builds a
new :class:`Schema` and publishes it with one assignment: readers take
``cache.schema`` once and use it without a lock.

One fetch is five small requests whatever the number of tables: the names,
every column (``pragma_table_info`` joined to ``sqlite_master``), every
foreign key (``pragma_foreign_key_list``), the database list and the
cluster's nodes. Each is capped in rows and bounded by the request timeout,
so a schema of thousands of tables does not stall it (3,000 tables of 10
columns: about 0.1 s a query on 1.11 and 1.18).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dqlite_shell.shell.completion_scope import ForeignKey

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

log = logging.getLogger(__name__)

#: At most this many tables and views, columns and foreign-key columns are kept.
MAX_TABLES = 10_000
MAX_COLUMNS = 200_000
MAX_KEYS = 50_000
#: At most this many views are asked one by one when one of them is broken.
MAX_VIEWS_ALONE = 500

_NAMES = ("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
          f"AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name LIMIT {MAX_TABLES}")
_COLUMNS = ("SELECT m.name, p.name, p.pk FROM sqlite_master m, pragma_table_info(m.name) p "
            "WHERE m.type IN ({types}) AND substr(m.name, 1, 7) <> 'sqlite_' "
            f"ORDER BY m.name, p.cid LIMIT {MAX_COLUMNS}")
_VIEWS = ("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name "
          f"LIMIT {MAX_VIEWS_ALONE}")
_KEYS = ('SELECT m.name, f.id, f."table", f."from", f."to" '
         "FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
         f"ORDER BY m.name, f.id, f.seq LIMIT {MAX_KEYS}")


@dataclass(frozen=True)
class Schema:
    """One complete answer: names of tables and views, their columns
    (key: the name lower-cased, as SQLite compares names), primary keys,
    foreign keys, node addresses and the database names the server told."""
    tables: tuple[str, ...] = ()
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    primary_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    foreign_keys: tuple[ForeignKey, ...] = ()
    addresses: tuple[str, ...] = ()
    databases: tuple[str, ...] = ()
    #: Every column name once, sorted (made once, read at each key press).
    all_columns: tuple[str, ...] = ()

    def columns_of(self, table: str) -> tuple[str, ...]:
        return self.columns.get(table.lower(), ())


class SchemaCache:
    """The open database's schema and the cluster's addresses, for completion.

    :meth:`refresh` starts a background fetch (bounded by a short timeout);
    ``schema`` is always the last complete answer, replaced whole.
    """

    def __init__(self, state: ShellState, timeout: float = 2.0):
        self._state = state
        self._timeout = timeout
        self._lock = threading.Lock()  # guards the running/again flags only
        self.schema = Schema()
        #: Databases this session used, the latest first.
        self.opened: tuple[str, ...] = (state.database,)
        self._running = False
        self._again = False

    # The flat views earlier callers used.
    @property
    def tables(self) -> tuple[str, ...]:
        return self.schema.tables

    @property
    def columns(self) -> tuple[str, ...]:
        return self.schema.all_columns

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.schema.addresses

    def databases(self) -> list[str]:
        """Database names the shell knows exist: those opened in this
        session (the latest first), those the server's database list names,
        and the current one last (opening it again changes nothing)."""
        current = self._state.database
        names = [n for n in (*self.opened, *self.schema.databases) if n and n != current]
        return [*dict.fromkeys(names), current]

    def refresh(self) -> None:
        """Fetch again in the background (once more after a running fetch)."""
        database = self._state.database
        self.opened = tuple(dict.fromkeys((database, *self.opened)))
        if self._state.offline is not None:
            return  # dqlite --offline: no cluster to ask
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._fetch, daemon=True, name="dqlite-schema").start()

    def _fetch(self) -> None:
        from dqlite_shell.client.session import Session
        while True:
            state = self._state
            session = Session(state.session.store.addresses() or state.servers, state.database,
                              timeout=self._timeout, ssl_context=state.ssl_context)
            try:
                self.schema = fetch(session, self._timeout * 5)
            except Exception as e:  # noqa: BLE001 - completion must never break the prompt
                log.debug("schema refresh failed: %s", e)
            finally:
                session.close()
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False


def fetch(session, budget: float) -> Schema:
    """Ask ``session`` for the whole :class:`Schema`, in at most about
    ``budget`` seconds (each request is bounded by the session's timeout)."""
    deadline = time.monotonic() + budget
    names = tuple(r[0] for r in session.execute(_NAMES).fetchall())
    columns: dict[str, list[str]] = {}
    keys: dict[str, list[tuple[int, str]]] = {}
    for table, column, pk in _column_rows(session, deadline):
        columns.setdefault(table.lower(), []).append(column)
        if pk:
            keys.setdefault(table.lower(), []).append((pk, column))
    primary = {t: tuple(c for _, c in sorted(cols)) for t, cols in keys.items()}
    foreign = _foreign_keys(session.execute(_KEYS).fetchall(), primary)
    databases = tuple(r[2] for r in session.execute("PRAGMA database_list").fetchall() if r[2])
    addresses = tuple(n.address for n in session.cluster())
    flat = tuple(sorted({c for cols in columns.values() for c in cols}))
    return Schema(names, {t: tuple(c) for t, c in columns.items()}, primary, foreign,
                  addresses, databases, flat)


def _column_rows(session, deadline: float) -> list[tuple]:
    """``(table, column, pk)`` rows of every table and view: one query, or,
    when a broken view (one whose table was dropped) fails it, one for the
    tables and one per view, skipping the broken ones."""
    from dqlite_shell.client.errors import ServerError
    try:
        return session.execute(_COLUMNS.format(types="'table', 'view'")).fetchall()
    except ServerError:
        pass
    rows = session.execute(_COLUMNS.format(types="'table'")).fetchall()
    for (view,) in session.execute(_VIEWS).fetchall():
        if time.monotonic() > deadline:
            break
        try:
            rows.extend((view, r[1], 0) for r in session.execute(
                "SELECT * FROM pragma_table_info(?)", (view,)).fetchall())
        except ServerError:
            continue
    return rows


def _foreign_keys(rows, primary: dict[str, tuple[str, ...]]) -> tuple[ForeignKey, ...]:
    """ForeignKeys from ``(child, id, parent, from, to)`` rows; a key that
    names no parent columns references the parent's primary key."""
    grouped: dict[tuple[str, int], list[tuple]] = {}
    for row in rows:
        grouped.setdefault((row[0], row[1]), []).append(row)
    found = []
    for (child, _), parts in grouped.items():
        parent = parts[0][2]
        froms = tuple(p[3] for p in parts)
        tos = tuple(p[4] for p in parts)
        if any(t is None for t in tos):
            tos = primary.get(parent.lower(), ())
        if len(tos) == len(froms):
            found.append(ForeignKey(child, froms, parent, tos))
    return tuple(found)
