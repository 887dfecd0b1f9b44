"""PEP 249 Connection, with the transaction control of Python 3.12's sqlite3.

``autocommit``:

* ``LEGACY_TRANSACTION_CONTROL`` (the default, as in sqlite3): a transaction
  is opened with ``BEGIN <isolation_level>`` before INSERT, UPDATE, DELETE and
  REPLACE when none is open (unless ``isolation_level`` is None); ``commit()``
  and ``rollback()`` end it.
* ``True``: no implicit transactions; ``commit()``/``rollback()`` do nothing;
  the user's own ``BEGIN ... COMMIT`` work as written.
* ``False``: a transaction is always open: one begins on connect and after
  each ``commit()``/``rollback()`` (and before the next statement when one was
  lost, e.g. to a leader change); ``close()`` rolls back.

``isolation_level`` (legacy mode only) is None, ``""``, ``"DEFERRED"``,
``"IMMEDIATE"`` or ``"EXCLUSIVE"``; setting it to None commits, as in sqlite3.

``check_same_thread`` (True by default, as in sqlite3): a connection and its
cursors are used only by the thread that created the connection; any other
thread gets ``ProgrammingError`` from the methods that check in sqlite3
(``cursor``, ``execute*``, ``commit``, ``rollback``, ``close``, the cursor's
``execute*``, ``fetch*``, iteration and ``close``). With False, any thread may
use it, one call at a time (a lock serialises them); a cursor whose rows are
still being read loses them when another statement runs, as in one thread.
"""

from __future__ import annotations

import threading

from dqlite_shell import sqltext
from dqlite_shell.client.session import Session
from dqlite_shell.dbapi.cursor import Cursor
from dqlite_shell.dbapi.exceptions import Error, ProgrammingError, translate

LEGACY_TRANSACTION_CONTROL = -1
_ISOLATION_LEVELS = (None, "", "DEFERRED", "IMMEDIATE", "EXCLUSIVE")
#: What SQLite answers COMMIT/ROLLBACK with when it has already ended the
#: transaction itself (ON CONFLICT ROLLBACK, RAISE(ROLLBACK), I/O errors).
_NO_TRANSACTION = "no transaction is active"


def _check_autocommit(value) -> None:
    # By identity: 1 and 0 compare equal to True and False but are not accepted.
    if not (value is True or value is False or
            type(value) is int and value == LEGACY_TRANSACTION_CONTROL):
        raise ProgrammingError("autocommit must be True, False or LEGACY_TRANSACTION_CONTROL")


def _check_isolation_level(value) -> None:
    if not (value is None or isinstance(value, str) and value.upper() in _ISOLATION_LEVELS):
        raise ProgrammingError("isolation_level must be None, '', 'DEFERRED', 'IMMEDIATE' "
                               "or 'EXCLUSIVE'")


class Connection:
    """A connection to a dqlite cluster's leader, with one database open."""

    from dqlite_shell.dbapi import exceptions as _exc
    Warning = _exc.Warning
    Error = _exc.Error
    InterfaceError = _exc.InterfaceError
    DatabaseError = _exc.DatabaseError
    DataError = _exc.DataError
    OperationalError = _exc.OperationalError
    IntegrityError = _exc.IntegrityError
    InternalError = _exc.InternalError
    ProgrammingError = _exc.ProgrammingError
    NotSupportedError = _exc.NotSupportedError
    del _exc

    def __init__(self, session: Session, *, autocommit=LEGACY_TRANSACTION_CONTROL,
                 isolation_level: str | None = "", parse_datetimes: bool = False,
                 check_same_thread: bool = True):
        _check_autocommit(autocommit)
        _check_isolation_level(isolation_level)
        self._session = session
        self._owner = threading.get_ident()
        self._check_same_thread = bool(check_same_thread)
        # One call at a time: a Session is a socket and a protocol state.
        self._lock = threading.RLock()
        self._isolation_level = isolation_level
        self.parse_datetimes = parse_datetimes
        self._autocommit = autocommit
        self._reading: Cursor | None = None  # the cursor whose rows are being streamed
        self.closed = False
        try:
            session.connect()  # now: errors belong to dbapi.connect()
            if autocommit is False:
                self._run("BEGIN")
        except Error:
            session.close()
            raise
        except Exception as e:
            session.close()
            raise translate(e) from e

    @property
    def autocommit(self):
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value) -> None:
        _check_autocommit(value)
        with self.guard():
            self.check_open()
            if value is True and self.in_transaction:
                self._run("COMMIT")  # as sqlite3: switching to autocommit commits
            self._autocommit = value
            if value is False and not self.in_transaction:
                self._run("BEGIN")

    @property
    def isolation_level(self) -> str | None:
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        _check_isolation_level(value)
        if value is None and not self.closed:
            with self.guard():  # as sqlite3: None commits, so it checks the thread
                if self._autocommit == LEGACY_TRANSACTION_CONTROL and self.in_transaction:
                    self._run("COMMIT")  # as sqlite3: back to autocommit
                self._isolation_level = value
            return
        self._isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self._session.transaction.active

    @property
    def leader(self) -> str | None:
        """The address of the node this connection talks to."""
        return self._session.leader_address

    @property
    def session(self) -> Session:
        """The client session underneath (cluster admin, raw streaming)."""
        return self._session

    @property
    def check_same_thread(self) -> bool:
        """Whether only the creating thread may use this connection."""
        return self._check_same_thread

    # -- what cursors use --------------------------------------------------

    def guard(self) -> threading.RLock:
        """The lock to hold while using the session (cursors hold it for each
        call), after checking that this thread may use the connection at all."""
        if self._check_same_thread and threading.get_ident() != self._owner:
            raise ProgrammingError(
                "dqlite connections created in a thread can only be used in that same thread "
                "(connect with check_same_thread=False to share one). The object was created "
                f"in thread id {self._owner} and this is thread id {threading.get_ident()}.")
        return self._lock

    def check_open(self) -> None:
        """Raise :class:`ProgrammingError` when the connection is closed."""
        if self.closed:
            raise ProgrammingError("cannot operate on a closed connection")

    def _run(self, sql: str) -> None:
        self._discard_reader()
        try:
            self._session.execute(sql)
        except Error:
            raise
        except Exception as e:
            raise translate(e) from e

    def _discard_reader(self) -> None:
        """A statement is about to run: a cursor still streaming rows loses them."""
        if self._reading is not None:
            self._reading.stop_streaming()
            self._reading = None

    def before_statement(self, keyword: str) -> None:
        """Before a cursor runs a statement (``keyword``: its first word): stop
        the rows another cursor is still streaming, and open the implicit
        transaction of legacy mode, or the one that ``autocommit=False``
        keeps open when it was lost."""
        self._discard_reader()
        if self.in_transaction or keyword in sqltext.TRANSACTION_CONTROL:
            return
        if self._autocommit is False:
            self._run("BEGIN")
        elif (self._autocommit == LEGACY_TRANSACTION_CONTROL
                and self._isolation_level is not None and keyword in sqltext.DML):
            self._run(f"BEGIN {self._isolation_level}".strip())

    def streaming(self, cursor: Cursor) -> None:
        """``cursor``'s rows are being streamed: the next statement run on
        this connection stops them (see :meth:`Cursor.stop_streaming`)."""
        self._reading = cursor

    def stream_ended(self, cursor: Cursor) -> None:
        """``cursor`` is no longer streaming rows."""
        if self._reading is cursor:
            self._reading = None

    def _end(self, sql: str) -> None:
        """COMMIT or ROLLBACK the open transaction.

        When SQLite already ended it (ON CONFLICT ROLLBACK and the like), the
        tracked state is reset: a ROLLBACK has then nothing left to do; a
        COMMIT still fails, since what the transaction wrote is gone.
        """
        try:
            self._run(sql)
        except Error as e:
            if e.sqlite_errorcode == 1 and _NO_TRANSACTION in str(e):
                self._session.transaction.reset()
                if sql == "ROLLBACK":
                    return
            raise

    def cursor(self) -> Cursor:
        with self.guard():
            self.check_open()
            return Cursor(self)

    def execute(self, sql: str, parameters=()) -> Cursor:
        """Shortcut: a new cursor's ``execute``."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters) -> Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def commit(self) -> None:
        self._finish("COMMIT")

    def rollback(self) -> None:
        self._finish("ROLLBACK")

    def _finish(self, word: str) -> None:
        """COMMIT or ROLLBACK the open transaction (as autocommit says), and
        with ``autocommit=False`` open the next one."""
        with self.guard():
            self.check_open()
            if self._autocommit is True:
                return
            if self.in_transaction:
                self._end(word)
            if self._autocommit is False:
                self._run("BEGIN")

    def close(self) -> None:
        """Close; an open transaction is rolled back (never committed)."""
        with self.guard():
            if self.closed:
                return
            self.closed = True
            self._reading = None
            self._session.close()  # the server rolls back what the socket held

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # As sqlite3: commit on success, roll back on error; do not close.
        if self.closed:
            return
        if exc_type is None:
            self.commit()
        else:
            self.rollback()
