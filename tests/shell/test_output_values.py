"""Value -> text (dqlite_shell.shell.output.values), against SQLite itself.

The oracle is ``SELECT CAST(? AS TEXT)`` in the sqlite3 module, i.e. the
text SQLite makes of a double (what ``sqlite3`` prints in list mode).
"""

from __future__ import annotations

import math
import random
import sqlite3
import struct

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dqlite_shell.shell.output.blobs import BLOB_MODES, blob_formatter
from dqlite_shell.shell.output.values import (
    _sqlite_g15,
    blob_text,
    is_number,
    real_text,
    text_rows,
    to_text,
)
from dqlite_shell.wire.values import Iso8601, UnixTime

SETTINGS = settings(max_examples=200, deadline=None)

#: real_text replays SQLite's long-double printf, which SQLite 3.43 replaced.
EMULATED = sqlite3.sqlite_version_info < (3, 43)
needs_emulated_sqlite = pytest.mark.skipif(
    not EMULATED, reason=f"SQLite {sqlite3.sqlite_version} formats doubles with its newer "
                         "algorithm; real_text follows 3.38-3.42")

_db = sqlite3.connect(":memory:")


def sqlite_text(x: float) -> str:
    return _db.execute("SELECT CAST(? AS TEXT)", (x,)).fetchone()[0]


@pytest.mark.parametrize("x, text", [
    (1.0, "1.0"), (-1.0, "-1.0"), (0.0, "0.0"), (-0.0, "0.0"), (3.5, "3.5"),
    (0.1, "0.1"), (0.1 + 0.2, "0.3"), (100.0, "100.0"), (1e14, "100000000000000.0"),
    (1e15, "1.0e+15"), (1e100, "1.0e+100"), (-1e100, "-1.0e+100"), (1e-5, "1.0e-05"),
    (0.0001, "0.0001"), (1.5e-7, "1.5e-07"), (123456789012345678.0, "1.23456789012346e+17"),
    (5e-324, "4.94065645841247e-324"), (1.7976931348623157e308, "1.79769313486232e+308"),
    (math.inf, "Inf"), (-math.inf, "-Inf"), (math.nan, "NaN"),
    (690013192974405.5, "690013192974405.0"),   # long double rounding, not "...406.0"
])
def test_real_text_examples(x, text):
    assert real_text(x) == text
    if not math.isnan(x) and (EMULATED or x != 690013192974405.5):
        assert sqlite_text(x) == text


@needs_emulated_sqlite
@SETTINGS
@given(st.floats(allow_nan=False))
@example(1e300)
@example(-1.226857469049525e+203)
@example(2.723473779999615e+250)
@example(4.333779118548005e+192)
@example(7.0e-310)
def test_real_text_is_sqlites(x):
    assert real_text(x) == sqlite_text(x)


@needs_emulated_sqlite
@SETTINGS
@given(st.integers(-10 ** 16, 10 ** 16), st.sampled_from([0.5, 0.25, 0.05, 0.005]),
       st.integers(-30, 30))
def test_real_text_near_rounding_ties(n, frac, shift):
    # Values whose 16th digit is a 5: where long double and correct rounding
    # part ways, and the exact replay is used.
    x = (n + frac) * 10.0 ** shift
    assert real_text(x) == sqlite_text(x)


@needs_emulated_sqlite
def test_exact_replay_on_random_doubles():
    rng = random.Random(1)
    for _ in range(1500):
        x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if math.isnan(x) or math.isinf(x) or x == 0:
            continue
        assert _sqlite_g15(x) == sqlite_text(x), x


@SETTINGS
@given(st.decimals(min_value=-10 ** 9, max_value=10 ** 9, places=4, allow_nan=False,
                   allow_infinity=False))
def test_real_text_of_short_decimals_on_any_sqlite(d):
    # Far from rounding ties every SQLite version agrees.
    x = float(d)
    assert real_text(x) == sqlite_text(x)


def test_to_text():
    assert to_text(None) == ""
    assert to_text(None, "NULL") == "NULL"
    assert to_text(42) == "42"
    assert to_text(-(2 ** 63)) == "-9223372036854775808"
    assert to_text(True) == "1" and to_text(False) == "0"
    assert to_text(UnixTime(1700000000)) == "1700000000"
    text = to_text(Iso8601("2024-01-02T03:04:05Z"))
    assert text == "2024-01-02T03:04:05Z" and type(text) is str
    assert to_text("ünïcødé") == "ünïcødé"
    assert to_text(2.5) == "2.5"
    assert to_text(b"\n\x1b") == "X'0A1B'"
    assert to_text(bytearray(b"\xab")) == "X'AB'"
    assert to_text(memoryview(b"")) == "X''"


def test_blob_text_is_uppercase_sql_literal():
    assert blob_text(bytes(range(256))) == "X'" + bytes(range(256)).hex().upper() + "'"


def test_is_number():
    assert is_number(1) and is_number(1.5) and is_number(True) and is_number(UnixTime(1))
    assert not is_number("1") and not is_number(None) and not is_number(b"1")


values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.floats(),
                   st.binary(max_size=3), st.booleans(),
                   st.builds(UnixTime, st.integers(0, 2 ** 40)),
                   st.builds(Iso8601, st.text(max_size=5)))


@SETTINGS
@given(st.lists(st.tuples(values, values, values), max_size=10), st.text(max_size=3))
def test_text_rows_equals_to_text(rows, nullvalue):
    # The column-wise fast paths give exactly what to_text gives.
    assert text_rows(rows, nullvalue) == [tuple(to_text(v, nullvalue) for v in row)
                                          for row in rows]
    assert all(type(t) is str for row in text_rows(rows, nullvalue) for t in row)


@SETTINGS
@given(st.lists(st.tuples(values, values), max_size=10), st.sampled_from(BLOB_MODES))
def test_text_rows_show_blobs_as_the_setting_says(rows, mode):
    show = blob_formatter(mode)
    expected = [tuple(show(v) if isinstance(v, bytes) else to_text(v, "-") for v in row)
                for row in rows]
    assert text_rows(rows, "-", show) == expected
    assert [tuple(to_text(v, "-", show) for v in row) for row in rows] == expected
