"""Python values as statement parameters: the one table of what is accepted.

:data:`CONVERTERS` maps a Python type to the protocol's value type and to the
function that checks a value of it and makes it what the encoder of that value
type takes (:mod:`.codec` holds those encoders), as PyMySQL's ``converters``
and pg8000's ``converters.py`` do. A subclass takes its nearest registered
base's entry (IntEnum as int, a str subclass as str). The driver adapts its
parameters through it before anything is sent (:func:`adapt`), the encoder
encodes through it; a value it refuses gets one message, from here:
``parameter N (NAME): problem``.

``UnixTime`` goes as INTEGER: the 1.11.1 server rejects UNIXTIME parameters.
``datetime.datetime`` and ``datetime.date`` go as ISO-8601 text (what
SQLite's date functions read).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .constants import ValueType
from .errors import ParameterError
from .values import Iso8601, UnixTime

if TYPE_CHECKING:
    import datetime

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

#: What :data:`CONVERTERS` takes, for the message about anything else.
_ACCEPTED = "int, float, str, bytes, bool, None, datetime.date or datetime.datetime"


class Unfit(ValueError):
    """A value its converter refuses; the message says why (without which
    parameter: :func:`adapt` and the encoder add that)."""


def _integer(value) -> int:
    value = int(value)  # int subclasses (IntEnum, UnixTime) as plain int
    if not INT64_MIN <= value <= INT64_MAX:
        raise Unfit(f"{value} does not fit in a 64-bit integer")
    return value


def _text(value) -> str:
    """Text the protocol can carry: no NUL (its strings end with one), no
    lone surrogates (not UTF-8)."""
    if type(value) is not str and type(value) is not Iso8601:
        value = str(value)
    if "\0" in value:
        raise Unfit("text containing a NUL character cannot be sent to dqlite (use a blob)")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise Unfit(f"text is not valid unicode ({e.reason} at position {e.start})") from None
    return value


def _blob(value) -> bytes:
    return value if type(value) is bytes else bytes(value)


def _datetime(value: datetime.datetime) -> Iso8601:
    return Iso8601(value.isoformat(" "))


def _date(value: datetime.date) -> Iso8601:
    return Iso8601(value.isoformat())


Converter = tuple[ValueType, Callable[[Any], object]]

#: Python type -> (value type on the wire, check and adapt a value of it).
CONVERTERS: dict[type, Converter] = {
    bool: (ValueType.BOOLEAN, bool),
    int: (ValueType.INTEGER, _integer),
    UnixTime: (ValueType.INTEGER, _integer),
    float: (ValueType.FLOAT, float),
    str: (ValueType.TEXT, _text),
    Iso8601: (ValueType.ISO8601, _text),
    bytes: (ValueType.BLOB, _blob),
    bytearray: (ValueType.BLOB, _blob),
    memoryview: (ValueType.BLOB, _blob),
    type(None): (ValueType.NULL, lambda value: None),
    # datetime.datetime and datetime.date: see _register_datetime.
}
#: Types registered by their nearest base (filled as they are met).
_INHERITED: dict[type, Converter] = {}


def _register_datetime() -> None:
    """Add ``datetime.datetime`` and ``datetime.date`` to :data:`CONVERTERS`
    once the program has loaded datetime: no value of theirs exists before,
    and importing it here would cost every start of the shell ~2 ms."""
    module = sys.modules.get("datetime")
    if module is not None and module.datetime not in CONVERTERS:
        CONVERTERS[module.datetime] = (ValueType.ISO8601, _datetime)
        CONVERTERS[module.date] = (ValueType.ISO8601, _date)


def converter(kind: type) -> Converter:
    """The entry of ``kind``, or of its nearest registered base; raises
    :class:`Unfit` for a type none covers (``datetime.time``, Decimal, ...)."""
    found = CONVERTERS.get(kind) or _INHERITED.get(kind)
    if found is None:
        _register_datetime()
        found = CONVERTERS.get(kind)
    if found is None:
        for base in kind.__mro__[1:]:
            found = CONVERTERS.get(base)
            if found is not None:
                _INHERITED[kind] = found
                break
        else:
            raise Unfit(f"type {kind.__name__} is not supported (use {_ACCEPTED})")
    return found


def convert(value) -> tuple[ValueType, object]:
    """The value type and the adapted value of one parameter (raises :class:`Unfit`)."""
    code, adapt = converter(type(value))
    return code, adapt(value)


def problem(index: int, value, unfit: Unfit, names: Sequence[str | None] = ()) -> ParameterError:
    """The error for parameter ``index`` (0-based), named as the statement
    names it when ``names`` says."""
    name = names[index] if index < len(names) else None
    label = f"{index + 1} ({name})" if name else str(index + 1)
    return ParameterError(f"parameter {label}: {unfit}", index, value)


def adapt(values: Sequence, names: Sequence[str | None] = ()) -> tuple:
    """``values`` as the encoder takes them, each checked (raises
    :class:`ParameterError` naming the first that is unfit)."""
    out = list(values)
    for index, value in enumerate(out):
        kind = type(value)
        # The common exact types that need no change: only their checks.
        if kind is int:
            if INT64_MIN <= value <= INT64_MAX:
                continue
        elif kind is str:
            if value.isascii() and "\0" not in value:
                continue
        elif kind is float or value is None or kind is bytes or kind is bool:
            continue
        try:
            out[index] = converter(kind)[1](value)
        except Unfit as e:
            raise problem(index, value, e, names) from None
    return tuple(out)
