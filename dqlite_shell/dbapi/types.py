"""PEP 249 type objects and constructors, and conversion of parameters and values.

Parameters: int (64-bit), float, str, bytes-like, None and bool go to the
server as they are; ``datetime.datetime`` and ``datetime.date`` are sent as
ISO-8601 text (what SQLite's date functions read): the wire's converters
table (:mod:`dqlite_shell.wire.converters`) says. Anything else, and text
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
from dqlite_shell.wire.converters import adapt
from dqlite_shell.wire.errors import ParameterError
from dqlite_shell.wire.values import Iso8601, UnixTime

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes



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


def bind(parameters, names: Sequence[str | None]) -> tuple:
    """Check ``parameters`` against the statement's ``names``; return the
    values in order, each checked and adapted as the wire's converters table
    says (:mod:`dqlite_shell.wire.converters`)."""
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
    try:
        return adapt(values, names)
    except ParameterError as e:
        raise ProgrammingError(str(e)) from None


def parse_datetime(value):
    """``UnixTime``/``Iso8601`` -> ``datetime.datetime`` (UTC when no zone is given).

    A value no ``datetime`` can hold (year 10000 and later) is returned unchanged.
    """
    if type(value) is UnixTime:
        try:
            return datetime.datetime.fromtimestamp(int(value), datetime.UTC)
        except (OverflowError, OSError, ValueError):
            return value
    if type(value) is Iso8601:
        if not value:
            return None
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            return str(value)  # not a date SQLite would write: keep the text
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return value
