"""The shell's offline mode: :class:`Offline` is ``state.offline`` when
``dqlite --offline DIR`` reads a stopped node's data dir.

It holds the :class:`~.datadir.DataDir` and, once SQL or ``.open`` asks for
one, a database rebuilt from it (:mod:`.rebuild`) in a private temporary
dir, opened read-only with Python's sqlite3. :meth:`Offline.session` stands
in for the client session there (``execute`` answers as the client's does:
a RowStream, a Result, or a ServerError), so the shell's SQL path and the
commands built on queries (.tables, .schema ...) run unchanged.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile

from dqlite_shell.offline import rebuild
from dqlite_shell.offline.datadir import DataDir
from dqlite_shell.shell.errors import CommandError


class Offline:
    """A data dir the shell reads, and the database rebuilt from it, if any."""

    def __init__(self, data_dir: DataDir, database: str):
        self.dir = data_dir
        # Every dir given (dqlite --offline DIR1 DIR2 ...: .freshest, .recover);
        # the rest of the shell reads the first, ``dir``.
        self.dirs: list[DataDir] = [data_dir]
        self.wanted = database  # rebuilt at its latest state on first use
        self.database: str | None = None  # the one rebuilt
        self.index: int | None = None  # as of which log index
        self.pages = 0
        self._tmp: str | None = None
        self._conn: sqlite3.Connection | None = None

    @property
    def path(self) -> str | None:
        """The rebuilt database file, or None."""
        return None if self._tmp is None else os.path.join(self._tmp, "database")

    def open(self, name: str, index: int | None) -> sqlite3.Connection:
        """Rebuild ``name`` as of ``index`` (None: the last entry held) and
        return its connection; CommandError says why it cannot be. The
        previous one is dropped only once the new one is built."""
        tmp = tempfile.mkdtemp(prefix="dqlite-offline-")
        path = os.path.join(tmp, "database")
        try:
            index, pages = rebuild.rebuild(self.dir, name, index, path)
            # immutable: SQLite takes no locks and creates no -shm beside it.
            conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True,
                                   check_same_thread=False)
        except (rebuild.RebuildError, OSError, sqlite3.Error) as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise CommandError(f"offline: {e}") from None
        self.close()
        self._tmp, self._conn = tmp, conn
        self.database, self.index, self.pages = name, index, pages
        self.wanted = name
        return conn

    def session(self) -> _Session:
        """The stand-in for the client session: it rebuilds the wanted
        database (at its latest state) when a statement first needs it."""
        return _Session(self)

    def connection(self) -> sqlite3.Connection:
        """The rebuilt database's connection, rebuilt now when there is none."""
        if self._conn is not None:
            return self._conn
        try:
            names = rebuild.databases(self.dir)
        except rebuild.RebuildError as e:
            raise CommandError(f"offline: {e}") from None
        if self.wanted not in names:
            have = ", ".join(names) if names else "none"
            raise CommandError(f"offline: no database {self.wanted!r} in {self.dir.path} "
                               f"(databases: {have}); SQL needs a running cluster, or "
                               ".open DATABASE for one of those")
        return self.open(self.wanted, None)

    def backup(self, path: str) -> None:
        """Write the rebuilt database to ``path`` (replaced; mode 0600) with
        SQLite's backup API; CommandError says what failed."""
        source = self.connection()  # rebuilt first when there is none yet
        try:
            if os.path.lexists(path):
                os.unlink(path)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            dest = sqlite3.connect(path)
            try:
                source.backup(dest)
            finally:
                dest.close()
        except OSError as e:
            raise CommandError(f"cannot write {path}: {e.strerror or e}") from None
        except sqlite3.Error as e:
            raise CommandError(f"cannot write {path}: {e}") from None

    def close(self) -> None:
        """Close and delete the rebuilt database."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.database = self.index = None


#: Rows per batch handed to the shell: results stream in constant memory.
BATCH = 512


def _server_error(e: sqlite3.Error):
    from dqlite_shell.client.errors import ServerError
    return ServerError(getattr(e, "sqlite_errorcode", 1), f"offline: {e}")


class _Rows:
    """A sqlite3 cursor as the connection behind a RowStream (its batches)."""

    def __init__(self, cursor: sqlite3.Cursor, columns: list[str]):
        self._cursor, self._columns = cursor, columns

    def batch(self):
        from dqlite_shell.wire.messages import Rows
        try:
            rows = self._cursor.fetchmany(BATCH)
        except sqlite3.Error as e:
            raise _server_error(e) from None
        return Rows(self._columns, rows, len(rows) < BATCH)

    def next_batch(self, _stream):
        return self.batch()

    def stream_finished(self, _stream) -> None:
        self._cursor.close()

    def interrupt_stream(self, _stream, _grace) -> None:
        self._cursor.close()


class _Transaction:
    active = False  # a read-only file: no transaction survives a statement


class _Session:
    """What the shell asks of a client session, answered from the rebuilt
    file: statements, and no leader, transaction or busy node."""

    leader_address = None
    busy_address = None  # no node finishing an interrupted statement
    transaction = _Transaction()

    def __init__(self, offline: Offline):
        self._offline = offline

    def connect(self):
        """There is no cluster to connect to: CommandError says what is read instead."""
        raise CommandError(f"offline: reading the data dir {self._offline.dir.path}")

    def execute(self, sql: str, params=()):
        from dqlite_shell.client.result import RowStream
        from dqlite_shell.wire.messages import Result
        conn = self._offline.connection()
        try:
            cursor = conn.execute(sql, tuple(params))
            if cursor.description is None:
                return Result(cursor.lastrowid or 0, max(cursor.rowcount, 0))
            columns = [d[0] for d in cursor.description]
            source = _Rows(cursor, columns)
            return RowStream(source, source.batch())
        except sqlite3.Error as e:
            raise _server_error(e) from None

    def cancel(self, grace: float = 0.5) -> str:
        return "stopped"  # SQLite ran it here, and the interrupt ended it

    def close(self, **_) -> None:
        pass
