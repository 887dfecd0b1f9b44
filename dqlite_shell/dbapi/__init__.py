"""Layer 3: a PEP 249 (DB-API 2.0) driver for dqlite.

    from dqlite_shell import dbapi
    conn = dbapi.connect("127.0.0.1:9001", database="app")
    conn.execute("CREATE TABLE t (n INTEGER)")

Statements of every kind go through ``execute`` (SELECT, WITH, PRAGMA, VALUES,
EXPLAIN, DDL, DML with or without RETURNING, transaction control). See
:mod:`dqlite_shell.dbapi.types` for value conversion and
:mod:`dqlite_shell.dbapi.connection` for ``autocommit``.
"""

from __future__ import annotations

import ssl as _ssl
from collections.abc import Iterable

from dqlite_shell import refusals
from dqlite_shell.client.session import Session
from dqlite_shell.dbapi.connection import LEGACY_TRANSACTION_CONTROL, Connection
from dqlite_shell.dbapi.cursor import Cursor
from dqlite_shell.dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from dqlite_shell.dbapi.types import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

apilevel = "2.0"
threadsafety = 1  # threads may share the module, not connections (check_same_thread)
paramstyle = "qmark"  # named (:name, @name, $name) and numeric (?NNN) work too

DEFAULT_DATABASE = "db"


def connect(servers: str | Iterable[str], database: str = DEFAULT_DATABASE, *,
            timeout: float = 10.0, request_timeout: float | None = None,
            autocommit=LEGACY_TRANSACTION_CONTROL, isolation_level: str | None = "",
            parse_datetimes: bool = False, cert: str | None = None, key: str | None = None,
            ca: str | None = None, ssl_context: _ssl.SSLContext | None = None,
            check_same_thread: bool = True, busy_timeout: float = 5.0) -> Connection:
    """Connect to the leader of the cluster that ``servers`` belong to.

    ``servers`` is an address or a list (or a comma-separated string) of
    ``host:port``, ``[v6]:port`` or ``@name``. ``timeout`` bounds finding the
    leader; ``request_timeout`` (default ``timeout``) each request. With
    ``cert``/``key`` (and optionally ``ca``), or an ``ssl_context``, the
    connection uses TLS. ``check_same_thread`` means what it means in
    sqlite3: False lets other threads use the connection, one at a time.
    ``busy_timeout`` is sqlite3's ``timeout``: how long a statement refused
    as busy ("database is locked", another connection writes) is tried
    again before OperationalError (0: at once).
    """
    if isinstance(servers, str):
        servers = [s for s in servers.split(",") if s.strip()]
    servers = [s.strip() for s in servers]
    if not servers:
        raise InterfaceError("no servers given")
    refused = refusals.refused_database(database)
    if refused:  # before anything is sent: the name would crash the node
        raise ProgrammingError(refused)
    if ssl_context is None and (cert or key or ca):
        ssl_context = _client_tls(cert, key, ca)
    session = Session(servers, database, timeout=timeout, request_timeout=request_timeout,
                      ssl_context=ssl_context, busy_timeout=busy_timeout)
    return Connection(session, autocommit=autocommit, isolation_level=isolation_level,
                      parse_datetimes=parse_datetimes, check_same_thread=check_same_thread)


def _client_tls(cert, key, ca) -> _ssl.SSLContext:
    from dqlite_shell.client.tls import TLSConfigError, client_context
    try:
        return client_context(cert, key, ca)
    except TLSConfigError as e:
        raise InterfaceError(str(e)) from None


__all__ = [
    "BINARY", "Binary", "Connection", "Cursor", "DATETIME", "DEFAULT_DATABASE", "DataError",
    "DatabaseError", "Date", "DateFromTicks", "Error", "IntegrityError", "InterfaceError",
    "InternalError", "LEGACY_TRANSACTION_CONTROL", "NUMBER", "NotSupportedError",
    "OperationalError", "ProgrammingError", "ROWID", "STRING", "Time", "TimeFromTicks",
    "Timestamp", "TimestampFromTicks", "Warning", "apilevel", "connect", "paramstyle",
    "threadsafety",
]
