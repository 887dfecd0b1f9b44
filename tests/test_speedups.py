"""The compiled output accelerator gives the bytes the Python renderers give.

Both paths run here: the accelerator (dqlite_shell/_speedups, built at
install) and the pure-Python renderers, on the same ROWS bodies
(wire.rows.encode_rows) and, end to end, on a real node's results through
``dqlite -c`` with and without ``DQLITE_SHELL_NO_SPEEDUPS``. In CI
(CI=true) a missing accelerator fails these tests instead of skipping them.
"""

import io
import math
import os
import struct
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dqlite_shell import _speedups
from dqlite_shell.shell.output import make_renderer
from dqlite_shell.shell.output.values import real_text
from dqlite_shell.wire.rows import decode_rows, encode_rows, iter_row_batches
from dqlite_shell.wire.values import Iso8601, UnixTime
from tests.support.sqlite3_cli import needs_sqlite3, sqlite3_cli


def _module():
    module = _speedups.load()
    if module is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the output accelerator is not built (make install builds it: "
                        "gcc and Python's headers)")
        pytest.skip("the output accelerator is not built")
    return module


@pytest.fixture(autouse=True)
def speedups(monkeypatch):
    monkeypatch.delenv(_speedups.DISABLE_VARIABLE, raising=False)
    return _module()


class Stream:
    """The RowStream interface the printer uses: a first decoded batch,
    then raw bodies."""

    def __init__(self, first: list, bodies: list[bytes]):
        self.first, self.bodies = first, bodies
        self.fallbacks = 0

    def raw_batches(self):
        yield self.first
        yield from self.bodies

    def decode_body(self, body):
        self.fallbacks += 1
        return decode_rows(body)


def _text_stream():
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8")


def _options(mode, **settings):
    return dict(headers=settings.get("headers", False), nullvalue=settings.get("nullvalue", ""),
                terminal=False, blob=settings.get("blob", "hex"),
                separator=settings.get("separator"), row_separator=settings.get("row_separator"))


def both(mode, columns, bodies, first=(), **settings):
    """(Python's bytes, the accelerator's bytes, rows counted, bodies it left to Python)."""
    from dqlite_shell._speedups.printer import printer
    out = _text_stream()
    reference = make_renderer(mode, out, columns, **_options(mode, **settings))
    reference.rows(list(first))
    for body in bodies:
        reference.rows(decode_rows(body).rows)
    reference.close()
    out.flush()
    expected = out.buffer.getvalue()

    out = _text_stream()
    renderer = make_renderer(mode, out, columns, **_options(mode, **settings))
    fast = printer(renderer, out)
    assert fast is not None, "the accelerator should apply"
    stream = Stream(list(first), bodies)
    count = fast.show(stream)
    return expected, out.buffer.getvalue(), (count, reference.count), stream.fallbacks


# -- values -------------------------------------------------------------------

INT64 = st.integers(-2**63, 2**63 - 1)
REALS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    # the doubles nearest short decimals (19.99, 0.25, 1.5e-07): format.c's own fast case
    st.builds(lambda m, k: m / 10.0 ** k, st.integers(-10**16, 10**16), st.integers(0, 26)),
    st.integers(0, 2**64 - 1).map(lambda b: struct.unpack("<d", struct.pack("<Q", b))[0]),
    st.sampled_from([0.0, -0.0, 1e15, 1e16, 1e15 - 0.5, 999999999999999.9, 1e-5, 1e-4, 0.1,
                     1e99, 1e100, 9.999999999999999e98, 5e-324, 2.2250738585072014e-308,
                     1.7976931348623157e308, 690013192974405.5, 1.5, -2.5e-7, 123456.789]))
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
               max_size=12) \
    | st.sampled_from(["", ",", "|", '"', "'", "a,b", 'say "hi"', "x\ny", "\r\n", "\t", " ",
                       "é", "日本", "\x1b[31m", "\x7f\x85", "NULL", "ab", ";;"])
BLOBS = st.binary(max_size=12) | st.sampled_from([b"", b"hello", b"tab\there\n", b"\xff\xfe",
                                                   "é".encode(), b"\x00x", b"a'b"])
VALUES = st.one_of(st.none(), INT64, REALS, TEXT, BLOBS, st.booleans(),
                   INT64.map(UnixTime), TEXT.map(Iso8601))
NAMES = st.lists(TEXT, min_size=1, max_size=5)

SEPARATORS = st.sampled_from([None, ",", "|", "\t", ";", "ab", "", "é", " ", '"', "1", "."])
ROW_SEPARATORS = st.sampled_from([None, "\n", "\r\n", "\x1e", "", "||"])
NULLS = st.sampled_from(["", "NULL", "é,x", '"'])


@st.composite
def results(draw):
    columns = draw(NAMES)
    row = st.tuples(*[VALUES] * len(columns))
    batches = draw(st.lists(st.lists(row, max_size=8), min_size=1, max_size=4))
    bodies = [encode_rows(columns, rows, done=i == len(batches) - 1)
              for i, rows in enumerate(batches)]
    first = draw(st.lists(row, max_size=3))
    return columns, first, bodies


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(["list", "csv", "json", "jsonl", "ascii", "tabs"]), result=results(),
       headers=st.booleans(), nullvalue=NULLS,
       blob=st.sampled_from(["hex", "auto", "text", "base64"]),
       separator=SEPARATORS, row_separator=ROW_SEPARATORS)
def test_same_bytes_as_the_python_renderers(mode, result, headers, nullvalue, blob, separator,
                                            row_separator):
    columns, first, bodies = result
    expected, got, (count, reference_count), _ = both(
        mode, columns, bodies, first, headers=headers, nullvalue=nullvalue, blob=blob,
        separator=separator, row_separator=row_separator)
    assert got == expected
    assert count == reference_count


@settings(max_examples=200, deadline=None)
@given(st.lists(REALS, min_size=1, max_size=50))
@example([690013192974405.5, 1e15, 1e16, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1e100])
def test_reals_as_sqlite_prints_them(reals):
    """REALs take the accelerator's own path (no batch left to Python) and
    come out as values.real_text has them: SQLite's %!.15g."""
    body = encode_rows(["r"], [(r,) for r in reals])
    expected, got, _, fallbacks = both("list", ["r"], [body])
    # Without x87 long doubles a REAL that is not a short decimal is Python's.
    assert fallbacks == 0 or not _speedups.load().lib.dq_exact_real()
    assert got == expected
    assert got.decode().split("\n")[:-1] == [real_text(r) for r in reals]


@settings(max_examples=200, deadline=None)
@given(st.lists(REALS, min_size=1, max_size=50))
def test_reals_in_json_as_python_repr(reals):
    body = encode_rows(["r"], [(r,) for r in reals])
    expected, got, _, fallbacks = both("jsonl", ["r"], [body])
    assert fallbacks == 0
    assert got == expected


def test_plain_values_are_not_left_to_python():
    rows = [(1, "a,b", 2.5, None, b"\x00\xff", True, UnixTime(-5), Iso8601(""), "é")] * 50
    columns = [f"c{i}" for i in range(len(rows[0]))]
    for mode in ("list", "csv", "json", "jsonl"):
        bodies = list(iter_row_batches(columns, rows))
        assert len(bodies) > 1
        expected, got, (count, _), fallbacks = both(mode, columns, bodies, headers=True)
        assert (got, count, fallbacks) == (expected, 50, 0)


def test_what_it_does_not_format_goes_to_python():
    """A BLOB shown as text that is not UTF-8, or a non-ASCII one under
    .blob auto: that body is decoded and rendered by Python, in its place."""
    columns = ["b"]
    bodies = [encode_rows(columns, [(b"one",)], done=False),
              encode_rows(columns, [("é".encode(),)], done=False),
              encode_rows(columns, [(b"\xff",)], done=True)]
    expected, got, _, fallbacks = both("list", columns, bodies, blob="auto", headers=True)
    assert got == expected == b"b\nb'one'\nb'\xc3\xa9'\nX'FF'\n"
    assert fallbacks == 1
    expected, got, _, fallbacks = both("list", columns, bodies, blob="text")
    assert got == expected and fallbacks == 1


def test_malformed_bodies_raise_python_errors():
    from dqlite_shell.wire.errors import ProtocolError
    body = bytearray(encode_rows(["t"], [("ok",)]))
    body[16 + 8] = 0xff               # the text "ok" becomes invalid UTF-8
    out = _text_stream()
    from dqlite_shell._speedups.printer import printer
    fast = printer(make_renderer("list", out, ["t"], **_options("list")), out)
    with pytest.raises(ProtocolError):
        fast.show(Stream([], [bytes(body)]))


def test_not_for_terminals_or_other_streams():
    from dqlite_shell._speedups.printer import printer
    out = _text_stream()
    assert printer(make_renderer("list", out, ["a"], **{**_options("list"), "terminal": True}),
                   out) is None
    for mode in ("markdown", "line", "column", "insert", "quote", "html", "grid"):
        assert printer(make_renderer(mode, out, ["a"], **_options(mode)), out) is None
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    assert printer(make_renderer("list", latin, ["a"], **_options("list")), latin) is None
    text = io.StringIO()
    assert printer(make_renderer("list", text, ["a"], **_options("list")), text) is None


def test_disabled_by_the_environment(monkeypatch):
    monkeypatch.setenv(_speedups.DISABLE_VARIABLE, "1")
    assert _speedups.load() is None
    assert "off" in _speedups.status()
    monkeypatch.setenv(_speedups.DISABLE_VARIABLE, "0")
    assert _speedups.load() is not None
    assert _speedups.status().startswith("accelerator loaded")


# -- end to end -----------------------------------------------------------------

def _dqlite(args, disable: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = os.path.join(os.path.dirname(__file__), "no-such-config")
    if disable:
        env[_speedups.DISABLE_VARIABLE] = "1"
    return subprocess.run([sys.executable, "-m", "dqlite_shell", *args], capture_output=True,
                          stdin=subprocess.DEVNULL, env=env, timeout=120)


E2E_SQL = """
CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n, d DATETIME, f BOOLEAN);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
INSERT INTO t SELECT x * 7919 - 10000000, x / 7.0 * (CASE x % 3 WHEN 0 THEN 1e20 ELSE 1 END),
  CASE x % 4 WHEN 0 THEN 'a,b "q"' WHEN 1 THEN 'é|日本' WHEN 2 THEN '' ELSE 'line
break' END, CASE x % 5 WHEN 0 THEN NULL ELSE randomblob(x % 9) END, NULL,
  CASE x % 2 WHEN 0 THEN '2024-01-0' || (x % 9 + 1) ELSE NULL END, x % 2 FROM c;
INSERT INTO t VALUES (9223372036854775807, -0.0, 'max', x'', 1, 1700000000, 1),
  (-9223372036854775808, 690013192974405.5, 'min', x'00', 2.5, NULL, 0);
"""


@pytest.mark.parametrize("mode", ["list", "csv", "json", "jsonl", "csv --crlf", "ascii"])
def test_end_to_end_both_paths_same_bytes(node, mode, tmp_path):
    script = tmp_path / "setup.sql"
    script.write_text(E2E_SQL)
    done = _dqlite(["-s", node.address, "-c", f".read {script}"], disable=True)
    assert done.returncode == 0, done.stderr
    args = ["-s", node.address, "--headers", "-f", mode, "-c", ".nullvalue N",
            "-c", "SELECT * FROM t ORDER BY rowid"]
    python, fast = _dqlite(args, disable=True), _dqlite(args, disable=False)
    assert python.returncode == fast.returncode == 0, (python.stderr, fast.stderr)
    assert fast.stdout == python.stdout
    null = b"null" if mode.startswith("json") else b"N"
    assert len(fast.stdout) > 100_000 and fast.stdout.count(null) > 3000
    assert fast.stderr == python.stderr == b""


def test_version_names_the_accelerator():
    assert b"accelerator loaded" in _dqlite(["--version"], disable=False).stdout
    assert b"accelerator off" in _dqlite(["--version"], disable=True).stdout


def test_end_to_end_error_half_way_and_output_file(node, tmp_path):
    """A statement failing after some batches prints the same rows and the
    same error either way; .output FILE gets the same bytes."""
    failing = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
               "SELECT x, 'é' || x, CASE WHEN x > 15000 THEN abs(-9223372036854775808) "
               "ELSE x * 0.5 END FROM c")
    runs = [_dqlite(["-s", node.address, "-f", mode, "-c", failing], disable=disable)
            for mode in ("list", "json") for disable in (True, False)]
    for python, fast in (runs[:2], runs[2:]):
        assert python.returncode == fast.returncode == 1
        assert b"integer overflow" in fast.stderr and fast.stderr == python.stderr
        assert fast.stdout == python.stdout and fast.stdout.count(b"\n") > 5000
    files = []
    for disable in (True, False):
        target = tmp_path / f"out{disable}.csv"
        run = _dqlite(["-s", node.address, "-f", "csv", "--headers", "-c", f".output {target}",
                       "-c", failing.replace("abs(-9223372036854775808)", "NULL")], disable)
        assert run.returncode == 0, run.stderr
        files.append(target.read_bytes())
    assert files[0] == files[1] and files[0].count(b"\n") == 20001


def test_raw_bodies_stop_a_1_11_endless_empty_result(node_process):
    """The raw path knows the empty batches of libdqlite 1.11 (column names
    filling its 4 KB batch) as the decoded path does: one error, no hang."""
    from dqlite_shell.client.connection import Connection
    from dqlite_shell.client.errors import ClientError
    wide = ", ".join(f"column_{i:04d}" for i in range(400))
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open("t.db")
        conn.exec_sql(f"CREATE TABLE w({wide})")
        stream = conn.query_sql("SELECT * FROM w")
        try:
            batches = list(stream.raw_batches())
        except ClientError as e:
            assert "fill the server's 4 KB batch" in str(e) and conn.closed
        else:  # newer servers end the result
            assert all(type(b) is list or decode_rows(b).rows == [] for b in batches)
            assert stream.done


@needs_sqlite3
def test_reals_as_the_sqlite3_shell_prints_them(node):
    """The oracle: Debian's sqlite3 prints the same REALs, computed the same way."""
    select = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000) "
              "SELECT x / 7.0, x * 1e20 / 3.0, 1.0 / (x * 9.0), x * 0.01, -x * 1e-9 / 7.0, "
              "x * 123456789.123 FROM c")
    fast = _dqlite(["-s", node.address, "-f", "list", "-c", select], disable=False)
    assert fast.returncode == 0, fast.stderr
    oracle = sqlite3_cli("-list", ":memory:", select)
    assert fast.stdout == oracle and len(fast.stdout) > 100_000
