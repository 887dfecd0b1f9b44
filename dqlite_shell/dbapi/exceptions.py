"""The PEP 249 exception hierarchy, and the mapping from SQLite result codes.

The mapping follows CPython's sqlite3 module, so code written against it
catches the same classes here. Errors from the server carry
``sqlite_errorcode`` (the extended code) and ``sqlite_errorname``.
"""

from __future__ import annotations

from dqlite_shell.client.errors import (
    ClientError,
    ConnectError,
    ConnectionLost,
    ParameterCountError,
    RequestTimeout,
    ServerError,
)
from dqlite_shell.wire.errors import ParameterError, ProtocolError


class Warning(Exception):  # noqa: A001 - PEP 249 name
    """PEP 249 Warning."""


class Error(Exception):
    """Base class of every error the driver raises."""

    sqlite_errorcode: int | None = None
    sqlite_errorname: str | None = None


class InterfaceError(Error):
    """Misuse of the driver, or a server that does not speak the protocol."""


class DatabaseError(Error):
    """An error reported by (or about) the database."""


class DataError(DatabaseError):
    """A value the database cannot hold (too big, out of range)."""


class OperationalError(DatabaseError):
    """The database's operation failed: SQL errors, no leader, lost connection."""


class IntegrityError(DatabaseError):
    """A constraint failed."""


class InternalError(DatabaseError):
    """The database reported an internal error."""


class ProgrammingError(DatabaseError):
    """Wrong use of the API: bad parameters, closed objects, several statements."""


class NotSupportedError(DatabaseError):
    """A feature the database or the protocol does not offer."""


_NAMES = {
    1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT",
    5: "SQLITE_BUSY", 6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY",
    9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND",
    13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL", 16: "SQLITE_EMPTY",
    17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG", 19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH",
    21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS", 23: "SQLITE_AUTH", 24: "SQLITE_FORMAT",
    25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
}
_EXTENDED_NAMES = {
    10 | (40 << 8): "SQLITE_IOERR_NOT_LEADER",
    10 | (41 << 8): "SQLITE_IOERR_LEADERSHIP_LOST",
    19 | (1 << 8): "SQLITE_CONSTRAINT_CHECK", 19 | (2 << 8): "SQLITE_CONSTRAINT_COMMITHOOK",
    19 | (3 << 8): "SQLITE_CONSTRAINT_FOREIGNKEY", 19 | (4 << 8): "SQLITE_CONSTRAINT_FUNCTION",
    19 | (5 << 8): "SQLITE_CONSTRAINT_NOTNULL", 19 | (6 << 8): "SQLITE_CONSTRAINT_PRIMARYKEY",
    19 | (7 << 8): "SQLITE_CONSTRAINT_TRIGGER", 19 | (8 << 8): "SQLITE_CONSTRAINT_UNIQUE",
    19 | (9 << 8): "SQLITE_CONSTRAINT_VTAB", 19 | (10 << 8): "SQLITE_CONSTRAINT_ROWID",
    19 | (11 << 8): "SQLITE_CONSTRAINT_PINNED", 19 | (12 << 8): "SQLITE_CONSTRAINT_DATATYPE",
}
_CLASSES = {
    2: InternalError, 12: InternalError,
    11: DatabaseError, 26: DatabaseError,
    18: DataError,
    19: IntegrityError, 20: IntegrityError,
    21: InterfaceError, 25: InterfaceError,
}


def from_server(error: ServerError) -> Error:
    """The PEP 249 exception for a FAILURE answer."""
    primary = error.code & 0xFF
    cls = _CLASSES.get(primary, OperationalError if primary in _NAMES else DatabaseError)
    exc = cls(error.message)
    exc.sqlite_errorcode = error.code
    exc.sqlite_errorname = (_EXTENDED_NAMES.get(error.code)
                            or _NAMES.get(primary, f"code {error.code}"))
    return exc


def translate(error: Exception) -> Exception:
    """Map a lower layer's exception to the driver's; others pass unchanged."""
    if isinstance(error, ServerError):
        return from_server(error)
    if isinstance(error, (ParameterError, ParameterCountError)):
        return ProgrammingError(str(error))
    if isinstance(error, ProtocolError):
        return InterfaceError(f"protocol error: {error}")
    if isinstance(error, (ConnectError, ConnectionLost, RequestTimeout, ClientError)):
        return OperationalError(str(error))
    return error
