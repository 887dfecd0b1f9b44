"""PEP 249 type objects and constructors, and conversion of parameters and values.

Parameters: int (64-bit), float, str, bytes-like, None and bool go to the
server as they are; ``datetime.datetime`` and ``datetime.date`` are sent as
ISO-8601 text (what SQLite's date functions read). Anything else, and text
the protocol cannot carry (a NUL character, lone surrogates), is a
ProgrammingError naming the parameter, raised before anything is sent.

Values: the server tags values of DATETIME/DATE/TIMESTAMP columns; they come
back as ``UnixTime`` (an int) and ``Iso8601`` (a str) as sent, or as
``datetime.datetime`` when the connection was opened with
``parse_datetimes=True``. BOOLEAN columns come back as bool.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping, Sequence

from dqlite_shell.dbapi.exceptions import ProgrammingError
from dqlite_shell.wire.values import Iso8601, UnixTime

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802 - PEP 249 name
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802
    return Timestamp(*time.localtime(ticks)[:6])


class _TypeObject(frozenset):
    """Compares equal to each SQLite declared type name it stands for."""

    def __eq__(self, other):
        if isinstance(other, str):
            return other.upper() in self
        return frozenset.__eq__(self, other)

    __hash__ = frozenset.__hash__


STRING = _TypeObject({"TEXT", "VARCHAR", "CHAR", "CLOB"})
BINARY = _TypeObject({"BLOB"})
NUMBER = _TypeObject({"INTEGER", "INT", "REAL", "FLOAT", "DOUBLE", "NUMERIC", "BOOLEAN"})
DATETIME = _TypeObject({"DATETIME", "DATE", "TIMESTAMP"})
ROWID = _TypeObject({"ROWID"})

_PLAIN = (str, float, bytes, type(None), bool)


def bind(parameters, names: list[str | None]) -> tuple:
    """Check ``parameters`` against the statement's ``names``; return the values in order."""
    if parameters is None:
        parameters = ()
    if isinstance(parameters, Mapping):
        values = []
        for index, name in enumerate(names, 1):
            if name is None or name[0] == "?":
                raise ProgrammingError(f"binding {index} has no name, but you supplied a "
                                       "dictionary (which has only names)")
            try:
                values.append(parameters[name[1:]])
            except KeyError:
                raise ProgrammingError(f"you did not supply a value for binding parameter "
                                       f"{name}") from None
    elif isinstance(parameters, Sequence) and not isinstance(parameters, (str, bytes, bytearray)):
        values = list(parameters)
        if len(values) != len(names):
            raise ProgrammingError(f"incorrect number of bindings supplied: the statement uses "
                                   f"{len(names)}, and there are {len(values)} supplied")
    else:
        raise ProgrammingError(f"parameters are of unsupported type {type(parameters).__name__}; "
                               "use a sequence or a mapping")
    # More than MAX_PARAMS (255) need a 1.12+ server: the connection checks.
    for index, value in enumerate(values):
        kind = type(value)
        if kind is int:
            if not INT64_MIN <= value <= INT64_MAX:
                raise ProgrammingError(f"parameter {_label(index, names)}: {value} does not fit "
                                       "in a 64-bit integer")
        elif kind is str:
            _check_text(value, index, names)
        elif kind in _PLAIN:
            pass
        elif isinstance(value, (bytearray, memoryview)):
            values[index] = bytes(value)
        elif isinstance(value, datetime.datetime):
            values[index] = value.isoformat(" ")
        elif isinstance(value, datetime.date):
            values[index] = value.isoformat()
        elif isinstance(value, int):  # int subclasses (IntEnum, UnixTime)
            values[index] = int(value)
            if not INT64_MIN <= values[index] <= INT64_MAX:
                raise ProgrammingError(f"parameter {_label(index, names)}: {value} does not fit "
                                       "in a 64-bit integer")
        elif isinstance(value, (str, float)):
            values[index] = (str if isinstance(value, str) else float)(value)
            if isinstance(value, str):
                _check_text(values[index], index, names)
        else:
            raise ProgrammingError(f"parameter {_label(index, names)}: type "
                                   f"{kind.__name__} is not supported")
    return tuple(values)


def _check_text(value: str, index: int, names: list[str | None]) -> None:
    """Text the protocol cannot carry: NUL (its strings end with one) and lone
    surrogates (not UTF-8)."""
    if "\0" in value:
        raise ProgrammingError(f"parameter {_label(index, names)}: text containing a NUL "
                               "character cannot be sent to dqlite (use a blob)")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ProgrammingError(f"parameter {_label(index, names)}: text is not valid "
                                   f"unicode ({e.reason} at position {e.start})") from None


def _label(index: int, names: list[str | None]) -> str:
    name = names[index] if index < len(names) else None
    return f"{index + 1} ({name})" if name else str(index + 1)


def parse_datetime(value):
    """``UnixTime``/``Iso8601`` -> ``datetime.datetime`` (UTC when no zone is given).

    A value no ``datetime`` can hold (year 10000 and later) is returned unchanged.
    """
    if type(value) is UnixTime:
        try:
            return datetime.datetime.fromtimestamp(int(value), datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return value
    if type(value) is Iso8601:
        if not value:
            return None
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # not a date SQLite would write: keep the text
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
    return value
