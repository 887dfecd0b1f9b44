"""The converters table: what a Python value goes to the server as, and the
one message for a value it refuses, whether the driver or the wire finds it."""

import datetime as dt
import decimal
import enum

import pytest

from dqlite_shell.dbapi import ProgrammingError
from dqlite_shell.dbapi.types import bind
from dqlite_shell.wire.codec import encode_params
from dqlite_shell.wire.constants import ValueType
from dqlite_shell.wire.converters import CONVERTERS, Unfit, adapt, convert
from dqlite_shell.wire.errors import ParameterError
from dqlite_shell.wire.values import Iso8601, UnixTime


class Colour(enum.IntEnum):
    RED = 3


class Name(str):
    pass


@pytest.mark.parametrize("value, code, adapted", [
    (True, ValueType.BOOLEAN, True),
    (7, ValueType.INTEGER, 7),
    (Colour.RED, ValueType.INTEGER, 3),
    (UnixTime(5), ValueType.INTEGER, 5),
    (1.5, ValueType.FLOAT, 1.5),
    ("é", ValueType.TEXT, "é"),
    (Name("n"), ValueType.TEXT, "n"),
    (Iso8601("2024-01-02"), ValueType.ISO8601, "2024-01-02"),
    (b"x", ValueType.BLOB, b"x"),
    (bytearray(b"x"), ValueType.BLOB, b"x"),
    (memoryview(b"xy"), ValueType.BLOB, b"xy"),
    (None, ValueType.NULL, None),
    (dt.datetime(2024, 1, 2, 3, 4, 5), ValueType.ISO8601, "2024-01-02 03:04:05"),
    (dt.date(2024, 1, 2), ValueType.ISO8601, "2024-01-02"),
])
def test_each_type_goes_as_the_table_says(value, code, adapted):
    got_code, got = convert(value)
    assert (got_code, got) == (code, adapted)
    assert type(got) in (bool, int, float, str, bytes, type(None), Iso8601)
    # what the driver hands down encodes to the same bytes as the value itself
    assert encode_params(adapt([value])) == encode_params([value])


def test_the_table_names_every_plain_type():
    assert {bool, int, float, str, bytes, type(None)} <= set(CONVERTERS)


@pytest.mark.parametrize("value, problem", [
    (1 << 63, "9223372036854775808 does not fit in a 64-bit integer"),
    (object(), "type object is not supported"),
    (decimal.Decimal("1.5"), "type Decimal is not supported (use int, float, str"),
    (dt.time(1, 2), "type time is not supported"),
    ("a\0b", "text containing a NUL character cannot be sent to dqlite (use a blob)"),
    ("\ud800", "text is not valid unicode (surrogates not allowed at position 0)"),
    (Name("\0"), "NUL character"),
])
def test_one_message_whoever_finds_the_problem(value, problem):
    with pytest.raises(Unfit, match=problem.replace("(", r"\(").replace(")", r"\)")):
        convert(value)
    with pytest.raises(ParameterError) as wire:
        encode_params([1, value])
    with pytest.raises(ProgrammingError) as driver:
        bind((1, value), [None, None])
    assert str(wire.value) == str(driver.value) == f"parameter 2: {convert_message(value)}"
    assert wire.value.index == 1
    with pytest.raises(ProgrammingError) as named:
        bind({"a": 1, "b": value}, [":a", ":b"])
    assert str(named.value) == f"parameter 2 (:b): {convert_message(value)}"


def convert_message(value) -> str:
    try:
        convert(value)
    except Unfit as e:
        return str(e)
    raise AssertionError(f"{value!r} was accepted")
