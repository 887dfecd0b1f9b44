"""Hypothesis strategies and comparison helpers shared by the wire tests."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from dqlite_shell.wire import Iso8601, UnixTime

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
UINT64 = st.integers(min_value=0, max_value=2**64 - 1)
UINT32 = st.integers(min_value=0, max_value=2**32 - 1)
# Text as the server can send it: valid UTF-8 without NUL.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40)
BLOB = st.binary(max_size=40)

ROW_VALUE = st.one_of(
    INT64,
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    BLOB,
    st.none(),
    st.booleans(),
    INT64.map(UnixTime),
    TEXT.map(Iso8601),
)

PARAM_VALUE = st.one_of(
    INT64, st.floats(allow_nan=True, allow_infinity=True), TEXT, BLOB, st.none(), st.booleans(),
    TEXT.map(Iso8601)
)


@st.composite
def result_sets(draw, max_columns: int = 20, max_rows: int = 12):
    """(columns, rows) with a value type chosen per cell (mixed types per column)."""
    n = draw(st.integers(min_value=1, max_value=max_columns))
    columns = draw(st.lists(TEXT, min_size=n, max_size=n))
    rows = draw(st.lists(st.lists(ROW_VALUE, min_size=n, max_size=n).map(tuple), max_size=max_rows))
    return columns, rows


@st.composite
def uniform_result_sets(draw, max_columns: int = 20, max_rows: int = 30):
    """(columns, rows) whose rows mostly share one type pattern (the common case)."""
    n = draw(st.integers(min_value=1, max_value=max_columns))
    kinds = draw(st.lists(
        st.sampled_from(["int", "float", "text", "blob", "null", "bool", "unix", "iso"]),
        min_size=n, max_size=n))
    by_kind = {
        "int": INT64, "float": st.floats(), "text": TEXT, "blob": BLOB, "null": st.none(),
        "bool": st.booleans(), "unix": INT64.map(UnixTime), "iso": TEXT.map(Iso8601),
    }
    row = st.tuples(*[by_kind[k] for k in kinds])
    rows = draw(st.lists(row, max_size=max_rows))
    columns = [f"c{i}" for i in range(n)]
    return columns, rows


def canon(value):
    """A comparable form of a decoded value: keeps the exact type, NaN-safe."""
    if isinstance(value, float):
        return ("float", "nan") if math.isnan(value) else ("float", value)
    if isinstance(value, tuple):
        return tuple(canon(v) for v in value)
    if isinstance(value, list):
        return [canon(v) for v in value]
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    return (type(value).__name__, value)


def canon_rows(rows_msg):
    return (rows_msg.columns, canon(rows_msg.rows), rows_msg.done)
