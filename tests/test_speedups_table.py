"""The compiled ``table`` grid (_speedups/table.c, table_printer.py) gives
the bytes TableRenderer gives.

Both paths run on the same ROWS bodies (wire.rows.encode_rows), split into
random batches, and end to end through ``dqlite -f table`` with and without
``DQLITE_SHELL_NO_SPEEDUPS``. Blocks of 1000 rows fall where the Python
renderer puts them, whatever the batching; a block holding a cell C leaves
to Python is drawn by Python in its place. In CI (CI=true) a missing
accelerator fails these tests instead of skipping them (tests/test_speedups.py).
"""

import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dqlite_shell._speedups.printer import printer
from dqlite_shell._speedups.table_printer import TablePrinter
from dqlite_shell.shell.output import make_renderer
from dqlite_shell.wire.errors import ProtocolError
from dqlite_shell.wire.rows import decode_rows, encode_rows
from dqlite_shell.wire.values import Iso8601, UnixTime
from tests.test_speedups import (
    BLOBS,
    E2E_SQL,
    INT64,
    REALS,
    TEXT,
    Stream,
    _dqlite,
    _text_stream,
    speedups,
)

__all__ = ["speedups"]   # the autouse fixture: the accelerator on, or fail in CI


def _options(**settings):
    return dict(headers=settings.get("headers", True), nullvalue=settings.get("nullvalue", ""),
                terminal=False, blob=settings.get("blob", "hex"),
                widths=settings.get("widths", ()))


def python_table(columns, first, bodies, **settings) -> bytes:
    """What TableRenderer prints for these batches."""
    out = _text_stream()
    reference = make_renderer("table", out, columns, **_options(**settings))
    reference.rows(list(first))
    for body in bodies:
        reference.rows(decode_rows(body).rows)
    reference.close()
    out.flush()
    return out.buffer.getvalue()


def fast_table(columns, first, bodies, **settings) -> tuple[bytes, int, int]:
    """What the accelerator prints: (bytes, rows counted, bodies decoded in Python)."""
    out = _text_stream()
    renderer = make_renderer("table", out, columns, **_options(**settings))
    fast = printer(renderer, out)
    assert isinstance(fast, TablePrinter), "the accelerator should apply"
    stream = Stream(list(first), bodies)
    count = fast.show(stream)
    return out.buffer.getvalue(), count, stream.fallbacks


def split(columns, rows, sizes) -> list[bytes]:
    """``rows`` as consecutive bodies of ``sizes`` rows (cycled), the last DONE."""
    bodies, start, i = [], 0, 0
    while True:
        stop = min(start + sizes[i % len(sizes)], len(rows))
        bodies.append(encode_rows(columns, rows[start:stop], done=stop == len(rows)))
        if stop == len(rows):
            return bodies
        start, i = stop, i + 1


# -- random results ---------------------------------------------------------------

PLAIN_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=10)
ODD_TEXT = TEXT | st.sampled_from(["007", "1e5", "-3", " 1", "a\tb", "\tx", "12345678\t",
                                   "x\ry", "\x1b[0m", "\x02", "\x7f", "e\u0301", "日本", "\u2028",
                                   "x\u200d", "\u200dx", "\u0301a", "\U0001F1FA", "a\n",
                                   "\n", "\n\n", "a\nb\n", "\tx\n\ty", "é\nx", "\x85\n"])
PLAIN = st.one_of(st.none(), INT64, REALS, PLAIN_TEXT, st.booleans(), INT64.map(UnixTime),
                  PLAIN_TEXT.map(Iso8601), st.sampled_from([b"", b"ab", b"\x00\xff", b"a\tb"]))
ANY = st.one_of(PLAIN, ODD_TEXT, BLOBS, ODD_TEXT.map(Iso8601))
NAMES = st.lists(PLAIN_TEXT | st.sampled_from(["id", "a b", "x\ty", "\x01", "", "007", "é",
                                              "名前", "e\u0301", "\x85"]),
                 min_size=1, max_size=4)
COUNTS = st.sampled_from([1, 2, 7, 999, 1000, 1001, 1999, 2000, 2500]) | st.integers(0, 40)
NULLS = st.sampled_from(["", "NULL", "-", "a\tb", "\x1b", "∅", "日\t"])


@st.composite
def results(draw):
    """(columns, first decoded batch, bodies): a few distinct rows repeated
    to a row count around the block size, a few odd rows put in at random
    places (so that some blocks are C's and some Python's), split into
    random batches."""
    columns = draw(NAMES)
    n = len(columns)
    pool = draw(st.lists(st.tuples(*[PLAIN] * n), min_size=1, max_size=6))
    count = draw(COUNTS)
    rows = [pool[i % len(pool)] for i in range(count)]
    if count:
        for _ in range(draw(st.integers(0, 3))):
            rows[draw(st.integers(0, count - 1))] = draw(st.tuples(*[ANY] * n))
        column = draw(st.integers(0, n - 1))   # a column of one kind, or all NULL
        if draw(st.booleans()):
            value = draw(st.sampled_from([None, 1, 2.5, "t", b"b", Iso8601("d")]))
            rows = [row[:column] + (value,) + row[column + 1:] for row in rows]
    first = draw(st.integers(0, min(count, 1200)))
    sizes = draw(st.lists(st.integers(1, 1200), min_size=1, max_size=4))
    return columns, rows[:first], split(columns, rows[first:], sizes)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(result=results(), headers=st.booleans(), nullvalue=NULLS,
       blob=st.sampled_from(["hex", "auto", "text", "base64"]))
def test_same_bytes_as_the_python_table(result, headers, nullvalue, blob):
    columns, first, bodies = result
    settings = dict(headers=headers, nullvalue=nullvalue, blob=blob)
    expected = python_table(columns, first, bodies, **settings)
    got, count, _ = fast_table(columns, first, bodies, **settings)
    assert got == expected
    assert count == len(first) + sum(len(decode_rows(b).rows) for b in bodies)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.one_of(ANY, BLOBS), min_size=1, max_size=30),
       blob=st.sampled_from(["hex", "auto", "text", "base64"]))
def test_one_column_of_any_values(values, blob):
    """A column's alignment (right when its non-NULL values are all numbers)
    and width, value by value, over two bodies."""
    rows = [(v,) for v in values]
    bodies = split(["v"], rows, [len(rows) // 2 + 1])
    assert fast_table(["v"], [], bodies, blob=blob)[0] == python_table(["v"], [], bodies,
                                                                       blob=blob)


# -- blocks -------------------------------------------------------------------------

PLAIN_ROWS = [(i, f"text {i}", i * 0.25, None if i % 3 else i % 7, UnixTime(i), i % 2 == 0,
               Iso8601(f"2024-01-{i % 28 + 1:02d}"), bytes([i % 256])) for i in range(2500)]
PLAIN_COLUMNS = ["a", "b", "c", "d", "t", "f", "iso", "blob"]


@pytest.mark.parametrize("sizes", [[1], [7], [333], [999], [1000], [1001], [2500], [1, 1998, 3]])
def test_blocks_fall_where_python_puts_them(sizes):
    """Plain values: every block drawn in C (no body decoded), each block a
    grid of 1000 rows (the last 500) sized on its own rows."""
    first = PLAIN_ROWS[:5]
    bodies = split(PLAIN_COLUMNS, PLAIN_ROWS[5:], sizes)
    expected = python_table(PLAIN_COLUMNS, first, bodies)
    got, count, fallbacks = fast_table(PLAIN_COLUMNS, first, bodies)
    assert (got, count, fallbacks) == (expected, 2500, 0)
    lines = got.decode().split("\n")
    assert sum(line.startswith("+-") for line in lines) == 6    # three grids
    assert lines[1] == "|   a | b        |      c | d |   t | f | iso        | blob  |"
    # The first grid ends after its 1000 rows; the next is sized on its own rows.
    assert lines[1003] == lines[0] and lines[1004].startswith("+------+-----------+")


def test_a_block_python_draws_sits_in_its_place():
    """Lines of text that is not ASCII in rows 1500 and 2400: those two
    blocks are decoded (only the bodies they span) and drawn by Python, the
    first by C; the grids of the three blocks have their own widths."""
    rows = [(i, "x" * (i // 1000 + 1)) for i in range(2500)]
    rows[1500] = (1500, "é\n")
    rows[2400] = (2400, "two\nlinés")
    bodies = split(["n", "s"], rows, [300])
    expected = python_table(["n", "s"], [], bodies)
    got, count, fallbacks = fast_table(["n", "s"], [], bodies)
    assert got == expected and count == 2500
    assert fallbacks == 6          # rows 900-2099 (1000-1999), 1800-2499 (2000-2499)
    text = got.decode()
    assert "| 1500 | é  |\n| 1501 |" in text and "| 2400 | two   |\n|      | linés |" in text


def test_escapes_and_tabs_are_drawn_in_c():
    """Control characters and tabs in ASCII text, names and NULL's text are
    escaped as terminal_text escapes them, in C."""
    columns = ["t\tab", "esc\x1b"]
    rows = [("a\tb", "\x1b[31m"), ("1234567\tx\t", "\r\x7f"), (None, "\x02")] * 400
    shown = {"hex": b"| X'74616209686572650D' | X'01'",
             "auto": b"| b'tab   here\\r'  | X'01' ",
             "text": b"| tab     here\\r   | \\x01 "}
    for blob, last in shown.items():
        bodies = split(columns, rows + [(b"tab\there\r", b"\x01")], [100])
        settings = dict(nullvalue="\x07\t", blob=blob)
        expected = python_table(columns, [], bodies, **settings)
        got, count, fallbacks = fast_table(columns, [], bodies, **settings)
        assert (got, count, fallbacks) == (expected, 1201, 0)
        assert last in got
    assert b"| 1234567 x        | \\r\\x7F   |" in got
    assert b"| \\x07             | \\x02     |" in got


def test_text_that_is_not_ascii_is_drawn_in_c():
    """Wide and combining characters, emoji, C1 controls and U+2028 (escaped),
    tabs after characters of several bytes, in values, names and NULL's
    text: C draws them, padded to wcwidth's widths (no body decoded)."""
    columns = ["名前", "e\u0301", "t"]
    values = ["日本語", "e\u0301\u0301", "\U0001F600!", "\u2764\ufe0f", "\x85\u2028", "é\tx",
              "日\tx", "\U0001F468\u200d\U0001F469", "\u200b", "plain"]
    rows = [(values[i % len(values)], values[i % 3], i if i % 5 else None) for i in range(2100)]
    for blob in ("hex", "text"):
        rows[7] = (b"caf\xc3\xa9\t|", b"\xe2\x80\xa8", None)
        bodies = split(columns, rows, [250])
        settings = dict(nullvalue="∅", blob=blob)
        expected = python_table(columns, [], bodies, **settings)
        got, count, fallbacks = fast_table(columns, [], bodies, **settings)
        assert (got, count, fallbacks) == (expected, 2100, 0)
    lines = got.decode().split("\n")
    assert lines[1] == "| 名前         | e\u0301      |   t |"
    assert lines[7:11] == ["| \\u0085\\u2028 | e\u0301\u0301      |   4 |",
                           "| é       x    | \U0001F600!    |   ∅ |",
                           "| 日       x   | 日本語 |   6 |",
                           "| café    |    | \\u2028 |   ∅ |"]


MULTILINE = ["two\nlines", "end\n", "\n", "\n\n", "a\n\nb", "", "tab\tx\n\ty", "\r\n", "日本"]


@pytest.mark.parametrize("blob", ["hex", "auto", "text"])
def test_lines_are_drawn_in_c(blob):
    """Line feeds make a block multi-line, drawn in C as grid.py draws it:
    a last line feed adds no line, an empty cell has none, a row of empty
    cells no line at all; tabs count from each line's start."""
    rows = [(MULTILINE[i % len(MULTILINE)], i if i % 4 else None, "x" if i % 3 else "",
             b"b\nl\tob" if i % 5 == 0 else None) for i in range(1200)]
    rows[10] = ("", None, "", None)
    bodies = split(["text", "n", "x", "blob"], rows, [70])
    settings = dict(blob=blob)
    expected = python_table(["text", "n", "x", "blob"], [], bodies, **settings)
    got, count, fallbacks = fast_table(["text", "n", "x", "blob"], [], bodies, **settings)
    assert (got, count, fallbacks) == (expected, 1200, 0)
    lines = got.decode().split("\n")

    def following(start: str) -> list[str]:
        """The line that starts so and the two after it, cut to 24 characters."""
        i = next(i for i, line in enumerate(lines) if line.startswith(start))
        return [line[:24] for line in lines[i:i + 3]]

    assert lines[3].startswith("| two       |     |   | ")
    assert following("| tab     x |   6 |")[:2] == ["| tab     x |   6 |   | ",
                                                    "|         y |     |   | "]
    # row 10 is all empty: no line between rows 9 and 11
    assert following("| two       |   9 |") == ["| two       |   9 |   | ",
                                               "| lines     |     |   | ",
                                               "|           |  11 | x | "]
    if blob == "auto":
        assert lines[3:5] == ["| two       |     |   | b'b         |",
                              "| lines     |     |   | l       ob' |"]


def test_a_body_c_does_not_take_leaves_the_rest_to_python():
    """From a body format.c's parser refuses on, the renderer prints every
    row (the rows C held first), blocks where they were."""
    rows = [(i, f"r{i}") for i in range(2500)]
    bodies = split(["n", "s"], rows, [400])
    expected = python_table(["n", "s"], [], bodies)

    class Refused(Stream):
        """Body 3 reaches C with a broken end marker; Python decodes it as it was."""

        def __init__(self):
            super().__init__([], bodies[:3] + [bodies[3][:-8] + b"\x01" * 8] + bodies[4:])

        def decode_body(self, body):
            self.fallbacks += 1
            return decode_rows(bodies[self.bodies.index(body)])

    out = _text_stream()
    fast = printer(make_renderer("table", out, ["n", "s"], **_options()), out)
    stream = Refused()
    assert fast.show(stream) == 2500
    assert out.buffer.getvalue() == expected
    assert stream.fallbacks == 1 + 4     # the body C held (rows 1000-1199), and the rest


def test_a_malformed_body_raises_after_the_rows_held_are_printed():
    """As with the Python renderer: the rows before the broken body are
    printed (a last, partial block), then ProtocolError."""
    rows = [(i,) for i in range(1500)]
    bodies = split(["n"], rows, [600])
    broken = bytearray(bodies[2])
    broken[16] = 0x0E                  # an unknown type code in row 1200's header
    out = _text_stream()
    fast = printer(make_renderer("table", out, ["n"], **_options()), out)
    with pytest.raises(ProtocolError):
        fast.show(Stream([], bodies[:2] + [bytes(broken)]))
    assert out.buffer.getvalue() == python_table(["n"], [], bodies[:2])


def test_not_for_widths_terminals_or_odd_names():
    out = _text_stream()

    def fast(columns=("a",), **settings):
        options = {**_options(), **settings}
        return printer(make_renderer("table", out, list(columns), **options), out)

    assert isinstance(fast(), TablePrinter)
    assert isinstance(fast(widths=[0, 0]), TablePrinter)    # .width 0 is no width
    assert isinstance(fast(columns=["a\tb", "\x1b"], nullvalue="\r"), TablePrinter)
    assert fast(widths=[5]) is None
    assert fast(terminal=True) is None
    assert isinstance(fast(columns=["é", "日本"], nullvalue="∅"), TablePrinter)
    assert fast(columns=["two\nlines"]) is None
    assert fast(columns=["x\u200d"]) is None  # padding changes its width: Python's
    assert fast(nullvalue="\n") is None
    assert fast(columns=[]) is None
    for mode in ("grid", "pipe", "box", "column"):
        assert printer(make_renderer(mode, out, ["a"], **_options()), out) is None
    assert printer(make_renderer("table", io.StringIO(), ["a"], **_options()),
                   io.StringIO()) is None


def test_reals_in_c_as_python_shows_them(speedups):
    reals = [struct.unpack("<d", struct.pack("<Q", (i * 0x9E3779B97F4A7C15) % 2**64))[0]
             for i in range(3000)] + [1e15, 1e16, -0.0, 690013192974405.5, 5e-324, 0.1]
    rows = [(r, r * 1e-3) for r in reals]
    bodies = split(["r", "s"], rows, [500])
    got, _, fallbacks = fast_table(["r", "s"], [], bodies)
    assert got == python_table(["r", "s"], [], bodies)
    # Without x87 long doubles a REAL that is not a short decimal is Python's.
    assert fallbacks == 0 or not speedups.lib.dq_exact_real()


# -- end to end ----------------------------------------------------------------------

def test_end_to_end_both_paths_same_bytes(node, tmp_path):
    """Every value type through a real node: the mixed table (text that is
    not ASCII and line feeds: Python draws those blocks) and a plain one."""
    script = tmp_path / "setup.sql"
    script.write_text(E2E_SQL + """
CREATE TABLE p(i INTEGER, r REAL, s TEXT, d DATETIME, f BOOLEAN, b BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2500)
INSERT INTO p SELECT x, x * 0.25, 'text ' || x, CASE x % 2 WHEN 0 THEN 1700000000 + x END,
  x % 2, CASE x % 3 WHEN 0 THEN x'00ff' END FROM c;
""")
    done = _dqlite(["-s", node.address, "-c", f".read {script}"], disable=True)
    assert done.returncode == 0, done.stderr
    for table, grids in (("t", 4), ("p", 3)):
        args = ["-s", node.address, "-f", "table", "-c", ".nullvalue N",
                "-c", f"SELECT * FROM {table} ORDER BY rowid"]
        python, fast = _dqlite(args, disable=True), _dqlite(args, disable=False)
        assert python.returncode == fast.returncode == 0, (python.stderr, fast.stderr)
        assert fast.stdout == python.stdout
        assert fast.stderr == python.stderr == b""
        # each grid's top and bottom rules (the first top starts the output)
        assert fast.stdout.count(b"\n+-") == 2 * grids - 1 and len(fast.stdout) > 100_000


def test_end_to_end_error_half_way(node):
    """A statement failing after some batches: the same grids (the rows held
    printed as a last block) and the same error, either way."""
    failing = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
               "SELECT x, 'v' || x, CASE WHEN x > 15500 THEN abs(-9223372036854775808) "
               "ELSE x * 0.5 END FROM c")
    args = ["-s", node.address, "-f", "table", "-c", failing]
    python, fast = _dqlite(args, disable=True), _dqlite(args, disable=False)
    assert python.returncode == fast.returncode == 1
    assert b"integer overflow" in fast.stderr and fast.stderr == python.stderr
    assert fast.stdout == python.stdout and fast.stdout.count(b"\n+-") > 10
