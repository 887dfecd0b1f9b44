"""PEP 249 Cursor: one statement at a time, rows streamed as they are fetched.

``fetchone``/``fetchmany``/``fetchall`` (and iteration) raise
``ProgrammingError`` when no statement was executed yet, or when the last one
produced no result set (DDL, DML without RETURNING, ``executemany``), as PEP
249 requires. This differs from sqlite3, which returns None or ``[]`` then. A
query that matched no rows has a result set: fetching gives None or ``[]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dqlite_shell import sqltext
from dqlite_shell.client.result import RowStream
from dqlite_shell.dbapi.exceptions import Error, ProgrammingError, translate
from dqlite_shell.dbapi.types import bind, parse_datetime
from dqlite_shell.wire.constants import MAX_PARAMS
from dqlite_shell.wire.values import Iso8601, UnixTime

if TYPE_CHECKING:
    from dqlite_shell.dbapi.connection import Connection

_TAGGED = (UnixTime, Iso8601)


def _null_if_empty(value):
    """The server sends NULL in a DATETIME/DATE/TIMESTAMP column as ``Iso8601("")``
    (go-dqlite reads it as nil too)."""
    return None if type(value) is Iso8601 and not value else value


def _discarded():
    raise ProgrammingError("the rest of this cursor's result was discarded: another statement "
                           "ran on the same connection before all its rows were fetched")
    yield  # pragma: no cover - makes this a generator


def _analyse(sql: str) -> sqltext.Statement:
    """The one statement of ``sql`` (what follows it must be blank), read once
    and handed to the session as it is."""
    statement = sqltext.analyse(sql)
    if not statement.single:
        raise ProgrammingError("you can only execute one statement at a time")
    if statement.head is not statement.text:  # a blank tail is not sent
        statement = statement._replace(text=statement.head)
    return statement


class Cursor:
    """Runs statements on its connection and fetches their rows.

    Rows are read from the server batch by batch as they are fetched, so
    iterating a cursor over a huge result holds only one batch in memory.
    """

    arraysize = 1

    def __init__(self, connection: Connection):
        self._connection = connection
        self._stream: RowStream | None = None
        self._rows: Iterator[tuple] | None = None
        self.description: tuple | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.closed = False
        self._executed = False  # tells "nothing executed yet" from "no result set"

    @property
    def connection(self) -> Connection:
        return self._connection

    def _check(self) -> None:
        if self.closed:
            raise ProgrammingError("cannot operate on a closed cursor")
        self._connection.check_open()

    def _result(self) -> Iterator[tuple]:
        """The rows to fetch from; PEP 249 wants an error when there are none."""
        self._check()
        if self._rows is None:
            if not self._executed:
                raise ProgrammingError("no result set to fetch from: nothing was executed yet")
            raise ProgrammingError("no result set to fetch from: the last statement "
                                   "returned no rows (only queries and RETURNING do)")
        return self._rows

    def _finish(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                stream.close()
            except Exception:  # noqa: BLE001 - the connection will tell on next use
                pass
        self._rows = None
        self._connection.stream_ended(self)

    def stop_streaming(self) -> None:
        """Another statement is about to run on the connection while this cursor's
        result is still being streamed: stop it, and say so on the next fetch
        (rather than ending the result early as if it were complete)."""
        if self._stream is not None and not self._stream.done:
            self._finish()
            self._rows = _discarded()
        else:
            self._connection.stream_ended(self)

    def _check_parameter_count(self, count: int) -> None:
        """Over 255 parameters need a 1.12+ server: refused before anything
        (the implicit BEGIN included) is sent to an older one."""
        try:
            refused = self._connection.session.server().too_many_parameters(count)
        except Error:
            raise
        except Exception as e:
            raise translate(e) from e
        if refused:
            raise ProgrammingError(refused)

    def execute(self, operation: str, parameters=()) -> Cursor:
        """Run one statement with ``?`` (or named) parameters."""
        with self._connection.guard():
            return self._execute(operation, parameters)

    def _execute(self, operation: str, parameters) -> Cursor:
        self._check()
        self._finish()
        self._executed = True
        self.description = None
        self.rowcount = -1
        statement = _analyse(operation)
        values = bind(parameters, statement.parameters)
        if statement.blank:
            return self
        conn = self._connection
        if len(values) > MAX_PARAMS:
            self._check_parameter_count(len(values))
        conn.before_statement(statement.keyword)
        try:
            result = conn.session.execute(statement, values)
        except Error:
            raise
        except Exception as e:
            raise translate(e) from e
        is_dml = statement.dml
        if isinstance(result, RowStream):
            self._stream = result
            self.description = tuple((name, None, None, None, None, None, None)
                                     for name in result.columns)
            self._rows = self._iterate(result, is_dml)
            if not result.done:
                conn.streaming(self)
        else:
            self.rowcount = result.rows_affected if is_dml else -1
            self.lastrowid = result.last_insert_id
        return self

    def _iterate(self, stream: RowStream, is_dml: bool) -> Iterator[tuple]:
        convert = parse_datetime if self._connection.parse_datetimes else _null_if_empty
        count = 0
        try:
            for batch in stream.batches():
                if batch:
                    # Only DATETIME/DATE/TIMESTAMP columns hold tagged values.
                    tagged = [j for j, v in enumerate(batch[0]) if type(v) in _TAGGED]
                    if tagged:
                        batch = [_convert(row, tagged, convert) for row in batch]
                count += len(batch)
                yield from batch
            if is_dml:
                self.rowcount = count  # as sqlite3: known once RETURNING rows are read
        except Error:
            raise
        except Exception as e:
            raise translate(e) from e
        finally:
            if self._stream is stream:
                self._stream = None
                self._connection.stream_ended(self)

    def executemany(self, operation: str, seq_of_parameters) -> Cursor:
        """Run a DML statement once per parameter set; rowcount is the total.

        Anything but INSERT/UPDATE/DELETE/REPLACE is refused before it runs;
        rows of a RETURNING clause are read and dropped.
        """
        with self._connection.guard():
            self._check()
            if not _analyse(operation).dml:
                raise ProgrammingError("executemany() can only execute DML statements")
            total = 0
            for parameters in seq_of_parameters:
                self._execute(operation, parameters)
                if self._rows is not None:
                    list(self._rows)  # RETURNING rows are dropped
                    self._finish()
                if self.rowcount > 0:
                    total += self.rowcount
            self._executed = True
            self.rowcount = total
            self.description = None
            return self

    def fetchone(self) -> tuple | None:
        with self._connection.guard():
            return next(self._result(), None)

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        with self._connection.guard():
            rows = self._result()
            size = self.arraysize if size is None else size
            out = []
            for row in rows:
                out.append(row)
                if len(out) >= size:
                    break
            return out

    def fetchall(self) -> list[tuple]:
        with self._connection.guard():
            return list(self._result())

    def __iter__(self) -> Cursor:
        return self

    def __next__(self) -> tuple:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def close(self) -> None:
        """Stop any result being read; the cursor cannot be used again."""
        with self._connection.guard():
            if not self.closed:
                self._finish()
                self.closed = True

    def setinputsizes(self, sizes) -> None:
        """Does nothing (PEP 249 allows it)."""

    def setoutputsize(self, size, column=None) -> None:
        """Does nothing (PEP 249 allows it)."""

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _convert(row: tuple, columns: list[int], convert) -> tuple:
    out = list(row)
    for j in columns:
        out[j] = convert(out[j])
    return tuple(out)
