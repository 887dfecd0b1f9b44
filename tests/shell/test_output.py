"""The output formats (dqlite_shell.shell.output): exact output of every
format, streaming, the table's blocks, and round trips through csv/json."""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.shell.output import (
    ALIASES,
    FORMATS,
    TABULATE_FORMATS,
    Renderer,
    make_renderer,
    resolve_format,
)
from dqlite_shell.shell.output.table import BLOCK_ROWS, TableRenderer
from dqlite_shell.wire.values import Iso8601, UnixTime
from tests.support.processes import run_python

SETTINGS = settings(max_examples=100, deadline=None)

COLUMNS = ["id", "name", "score"]
ROWS = [(1, "alice", 3.5), (2, None, -0.25), (10, "bob", None)]


def render(fmt, columns, *batches, headers=False, nullvalue=""):
    """The whole output of one result, fed as ``batches``."""
    out = io.StringIO()
    renderer = make_renderer(fmt, out, columns, headers=headers, nullvalue=nullvalue)
    for batch in batches:
        renderer.rows(batch)
    renderer.close()
    return out.getvalue()


# -- names --------------------------------------------------------------------

def test_formats_and_aliases():
    assert FORMATS[:13] == ("table", "list", "csv", "json", "jsonl", "markdown", "line",
                            "column", "box", "insert", "quote", "html", "ascii")
    assert set(FORMATS[13:]) == TABULATE_FORMATS  # tabulate's: test_output_grid.py
    assert ALIASES == {"tabular": "list", "tabs": "list", "psql": "table"}


@pytest.mark.parametrize("name", FORMATS)
def test_resolve_canonical(name):
    assert resolve_format(name) == name
    assert resolve_format(name.upper()) == name


def test_tabular_is_list_like_the_go_shell():
    assert resolve_format("tabular") == "list"
    assert render("tabular", ["a", "b"], [(1, "x")]) == "1|x\n"


@pytest.mark.parametrize("name", ["columnar", "", "htm", "jsonx"])
def test_unknown_format(name):
    with pytest.raises(ValueError) as info:
        resolve_format(name)
    message = str(info.value)
    assert "\n" not in message
    assert repr(name) in message
    for fmt in FORMATS:
        assert fmt in message
    with pytest.raises(ValueError):
        make_renderer(name, io.StringIO(), ["a"], headers=False, nullvalue="")


@pytest.mark.parametrize("name", FORMATS)
def test_every_renderer_is_a_renderer(name):
    assert isinstance(make_renderer(name, io.StringIO(), ["a"], headers=True, nullvalue=""),
                      Renderer)


# -- list -----------------------------------------------------------------------

def test_list():
    assert render("list", COLUMNS, ROWS) == "1|alice|3.5\n2||-0.25\n10|bob|\n"


def test_list_headers_and_nullvalue():
    assert render("list", COLUMNS, ROWS, headers=True, nullvalue="NULL") == (
        "id|name|score\n1|alice|3.5\n2|NULL|-0.25\n10|bob|NULL\n")


def test_list_values_like_sqlite():
    row = (True, False, UnixTime(1700000000), Iso8601("2024-01-02"), b"\n\x1b\xff",
           bytearray(b"\x00"), memoryview(b"ab"), 1.0, 1e100, float("inf"), float("-inf"),
           -0.0, "ünïcødé ✓", "", None, -(2 ** 63))
    assert render("list", [f"c{i}" for i in range(len(row))], [row], nullvalue="∅") == (
        "1|0|1700000000|2024-01-02|X'0A1BFF'|X'00'|X'6162'|1.0|1.0e+100|Inf|-Inf|0.0"
        "|ünïcødé ✓||∅|-9223372036854775808\n")


def test_list_multiline_and_pipes_are_not_escaped():
    # Like sqlite3: list mode prints values as they are.
    assert render("list", ["a", "b"], [("x|y", "1\n2")]) == "x|y|1\n2\n"


# -- csv ------------------------------------------------------------------------

def test_csv():
    # LF line ends, as `sqlite3 -csv` (tests/shell/test_output_sqlite3.py
    # compares with sqlite3 itself).
    assert render("csv", COLUMNS, ROWS) == "1,alice,3.5\n2,,-0.25\n10,bob,\n"


def test_csv_headers_quoting_nullvalue():
    rows = [(1, 'say "hi"', "a,b"), (2, "two\nlines", None), (3, " pad ", b"\x01"),
            (4, "", "it's")]
    assert render("csv", ["id", "text, too", "x"], rows, headers=True, nullvalue="NULL") == (
        'id,"text, too",x\n'
        '1,"say ""hi""","a,b"\n'
        '2,"two\nlines",NULL\n'
        '3," pad ","X\'01\'"\n'
        '4,"","it\'s"\n')


def test_csv_null_and_empty_string_differ():
    assert render("csv", ["a", "b"], [(None, ""), ("", None)]) == ',""\n"",\n'
    # NULL is nullvalue as it is, even where a text would be quoted.
    assert render("csv", ["a"], [(None,), ("a,b",)], nullvalue="a,b") == 'a,b\n"a,b"\n'


def test_csv_crlf_option():
    assert resolve_format("CSV  --CRLF") == "csv --crlf"
    assert render("csv --crlf", ["a", "b"], [(1, None), ("x\ny", "")], headers=True) == (
        'a,b\r\n1,\r\n"x\ny",""\r\n')


@pytest.mark.parametrize("name", ["csv --lf", "list --crlf", "json --crlf"])
def test_unknown_format_option(name):
    with pytest.raises(ValueError) as error:
        resolve_format(name)
    message = str(error.value)
    assert "\n" not in message and name.split()[1] in message


def test_csv_floats_and_bools():
    assert render("csv", ["a", "b", "c"], [(0.1, True, 1e-7)]) == "0.1,1,1.0e-07\n"


text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
csv_values = st.one_of(st.none(), st.integers(-10 ** 20, 10 ** 20), text_values,
                       st.sampled_from(['"', ",", "\r\n", "\n", "\r", "a\"b,c\nd", " "]))


@SETTINGS
@given(st.lists(st.tuples(csv_values, csv_values, csv_values), max_size=20),
       st.booleans(), st.sampled_from(["", "NULL"]))
def test_csv_reads_back(rows, headers, nullvalue):
    text = render("csv", ["a", "b,c", 'd"e'], rows, headers=headers, nullvalue=nullvalue)
    read = list(csv.reader(io.StringIO(text, newline="")))
    expected = [["a", "b,c", 'd"e']] if headers and rows else []
    expected += [[nullvalue if v is None else str(v) for v in row] for row in rows]
    assert read == expected


# -- json, jsonl ----------------------------------------------------------------

def test_json():
    assert render("json", COLUMNS, ROWS) == (
        '[{"id":1,"name":"alice","score":3.5},\n'
        '{"id":2,"name":null,"score":-0.25},\n'
        '{"id":10,"name":"bob","score":null}]\n')


def test_json_ignores_headers_and_nullvalue():
    assert render("json", COLUMNS, ROWS, headers=True, nullvalue="NULL") == render(
        "json", COLUMNS, ROWS)


def test_json_values():
    row = (b"\x00\xffhi", True, False, UnixTime(5), Iso8601("2024"), "é\"\\\n\t",
           float("nan"), float("inf"), float("-inf"), 1e100, 0.1, 2 ** 70)
    columns = [f"c{i}" for i in range(len(row))]
    assert render("jsonl", columns, [row]) == (
        '{"c0":"AP9oaQ==","c1":1,"c2":0,"c3":5,"c4":"2024","c5":"é\\"\\\\\\n\\t",'
        '"c6":null,"c7":null,"c8":null,"c9":1e+100,"c10":0.1,'
        '"c11":1180591620717411303424}\n')


def test_json_repeated_column_names_are_kept():
    assert render("jsonl", ["a", "a"], [(1, 2)]) == '{"a":1,"a":2}\n'


def test_jsonl():
    assert render("jsonl", COLUMNS, ROWS, headers=True) == (
        '{"id":1,"name":"alice","score":3.5}\n'
        '{"id":2,"name":null,"score":-0.25}\n'
        '{"id":10,"name":"bob","score":null}\n')


json_values = st.one_of(st.none(), st.integers(-2 ** 63, 2 ** 63 - 1), text_values,
                        st.floats(allow_nan=False, allow_infinity=False), st.binary(max_size=8))


def _as_json(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


@SETTINGS
@given(st.lists(st.tuples(json_values, json_values), max_size=15))
def test_json_and_jsonl_round_trip(rows):
    columns = ["k", "ü \"v\""]
    expected = [dict(zip(columns, map(_as_json, row), strict=True)) for row in rows]
    assert json.loads(render("json", columns, rows)) == expected
    lines = render("jsonl", columns, rows).split("\n")[:-1]   # not splitlines(): U+0085
    assert [json.loads(line) for line in lines] == expected


def test_json_close_after_an_error_still_parses():
    out = io.StringIO()
    renderer = make_renderer("json", out, ["a"], headers=False, nullvalue="")
    try:
        renderer.rows([(1,), (2,)])
        raise RuntimeError("connection lost")
    except RuntimeError:
        pass
    finally:
        renderer.close()
    renderer.close()  # idempotent
    assert json.loads(out.getvalue()) == [{"a": 1}, {"a": 2}]


# -- markdown -------------------------------------------------------------------

def test_markdown():
    expected = ("| id | name | score |\n"
                "|---|---|---|\n"
                "| 1 | alice | 3.5 |\n"
                "| 2 |  | -0.25 |\n"
                "| 10 | bob |  |\n")
    assert render("markdown", COLUMNS, ROWS) == expected
    assert render("markdown", COLUMNS, ROWS, headers=True) == expected


def test_markdown_escapes():
    assert render("markdown", ["a|b", "c"], [("x|y", "one\ntwo\r\nthree"), (None, b"\x01")],
                  nullvalue="NULL") == (
        "| a\\|b | c |\n"
        "|---|---|\n"
        "| x\\|y | one<br>two<br>three |\n"
        "| NULL | X'01' |\n")


# -- line -----------------------------------------------------------------------

def test_line():
    assert render("line", COLUMNS, ROWS, headers=True, nullvalue="NULL") == (
        "   id = 1\n"
        " name = alice\n"
        "score = 3.5\n"
        "\n"
        "   id = 2\n"
        " name = NULL\n"
        "score = -0.25\n"
        "\n"
        "   id = 10\n"
        " name = bob\n"
        "score = NULL\n")


def test_line_one_row_unicode():
    assert render("line", ["é", "long name"], [("ü", 1.5)]) == (
        "        é = ü\n"
        "long name = 1.5\n")


# -- table ----------------------------------------------------------------------

def test_table():
    expected = ("+----+-------+-------+\n"
                "| id | name  | score |\n"
                "|----+-------+-------|\n"
                "|  1 | alice |   3.5 |\n"
                "|  2 |       | -0.25 |\n"
                "| 10 | bob   |       |\n"
                "+----+-------+-------+\n")
    assert render("table", COLUMNS, ROWS) == expected
    assert render("table", COLUMNS, ROWS, headers=True) == expected


def test_table_text_stays_text():
    # tabulate's number parsing is off; whitespace is kept; NULL is nullvalue.
    rows = [("007", "1e5", " x ", None), ("12", "ü", "", 2)]
    assert render("table", ["a", "b", "c", "d"], rows, nullvalue="NULL") == (
        "+-----+-----+-----+------+\n"
        "| a   | b   | c   |    d |\n"
        "|-----+-----+-----+------|\n"
        "| 007 | 1e5 |  x  | NULL |\n"
        "| 12  | ü   |     |    2 |\n"
        "+-----+-----+-----+------+\n")


def test_table_blocks_past_the_limit():
    # Each block is a complete table sized on its own rows.
    renderer_out = io.StringIO()
    renderer = TableRenderer(renderer_out, ["n"], headers=False, nullvalue="")
    renderer.block_rows = 2
    renderer.rows([(1,), (22,), (333,)])
    assert renderer_out.getvalue() == (
        "+----+\n|  n |\n|----|\n|  1 |\n| 22 |\n+----+\n")
    renderer.rows([(4,)])
    renderer.rows([(5,)])
    first_two = ("+----+\n|  n |\n|----|\n|  1 |\n| 22 |\n+----+\n"
                 "+-----+\n|   n |\n|-----|\n| 333 |\n|   4 |\n+-----+\n")
    assert renderer_out.getvalue() == first_two
    renderer.close()                                  # the last, partial block
    assert renderer_out.getvalue() == first_two + "+---+\n| n |\n|---|\n| 5 |\n+---+\n"


def test_table_default_block_holds_bounded_rows():
    assert BLOCK_ROWS == 1000
    out = io.StringIO()
    renderer = TableRenderer(out, ["n", "s"], headers=False, nullvalue="")
    most_held = 0
    rows = [(i, "x" * (i // 1000 + 1)) for i in range(2500)]
    for start in range(0, len(rows), 75):
        renderer.rows(rows[start:start + 75])
        most_held = max(most_held, len(renderer._held))
    assert most_held < BLOCK_ROWS
    headers = re.compile(r"^\| +n \| s +\|$", re.MULTILINE)
    assert len(headers.findall(out.getvalue())) == 2      # two full blocks printed
    renderer.close()
    text = out.getvalue()
    # Three blocks, each sized on its own rows.
    assert headers.findall(text) == ["|   n | s |", "|    n | s  |", "|    n | s   |"]
    assert "|   0 | x |" in text and "| 1000 | xx |" in text and "| 2499 | xxx |" in text
    assert len(text.splitlines()) == 2500 + 3 * 4


# -- all formats ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_no_rows(fmt):
    # Like sqlite3, nothing at all (not even the header) -- except json,
    # which must stay a JSON document.
    expected = "[]\n" if fmt == "json" else ""
    assert render(fmt, COLUMNS, headers=True) == expected
    assert render(fmt, COLUMNS, [], [], headers=True) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_close_is_idempotent(fmt):
    out = io.StringIO()
    renderer = make_renderer(fmt, out, COLUMNS, headers=True, nullvalue="")
    renderer.rows(ROWS)
    renderer.close()
    once = out.getvalue()
    renderer.close()
    assert out.getvalue() == once


any_values = st.one_of(st.none(), st.integers(-2 ** 63, 2 ** 63 - 1), text_values,
                       st.floats(), st.binary(max_size=4), st.booleans())


@SETTINGS
@given(st.sampled_from(FORMATS), st.booleans(),
       st.lists(st.tuples(any_values, any_values), max_size=12),
       st.lists(st.integers(0, 12), max_size=6))
def test_batches_do_not_change_the_output(fmt, headers, rows, cuts):
    # Streaming: any split into batches prints the same as one batch.  The
    # table's block is made small so that blocks end inside batches too.
    def run(batches):
        out = io.StringIO()
        renderer = make_renderer(fmt, out, ["a", "b"], headers=headers, nullvalue="-")
        if isinstance(renderer, TableRenderer):
            renderer.block_rows = 5
        for batch in batches:
            renderer.rows(batch)
        renderer.close()
        return out.getvalue()

    edges = sorted({0, len(rows), *(min(c, len(rows)) for c in cuts)})
    batches = [rows[a:b] for a, b in itertools.pairwise(edges)]
    assert run(batches) == run([rows])


class CountingStream(io.TextIOBase):
    """A text stream that keeps only how much each write() wrote."""

    def __init__(self):
        self.writes = []

    def writable(self):
        return True

    def write(self, text):
        self.writes.append(len(text))
        return len(text)


def test_list_writes_once_per_batch_and_holds_nothing():
    # 200,000 rows in batches of 75: one write per batch, each small, none of
    # them the whole result.  (Timing-free; see benchmarks for speed.)
    out = CountingStream()
    renderer = make_renderer("list", out, ["a", "b", "c", "d"], headers=True, nullvalue="")
    batches = 0
    for start in range(0, 200_000, 75):
        renderer.rows([(i, "text", None, -i) for i in range(start, min(start + 75, 200_000))])
        batches += 1
    renderer.close()
    assert len(out.writes) == batches
    assert max(out.writes) < 75 * 40
    assert sum(out.writes) > 200_000 * 10
    assert not hasattr(renderer, "_held")


def test_one_shot_path_does_not_import_the_heavy_modules():
    code = (
        "import io, sys\n"
        "from dqlite_shell.shell.output import make_renderer, FORMATS\n"
        "from dqlite_shell.shell.output import TABULATE_FORMATS\n"
        "for f in FORMATS:\n"
        "    if f not in TABULATE_FORMATS:\n"
        "        r = make_renderer(f, io.StringIO(), ['a'], headers=True, nullvalue='')\n"
        "        r.rows([(1,)]); r.close()\n"
        "bad = {'tabulate', 'prompt_toolkit', 'pygments'} & set(sys.modules)\n"
        "assert not bad, bad\n"
        "make_renderer('grid', io.StringIO(), ['a'], headers=True, nullvalue='').close()\n"
        "assert 'tabulate' not in sys.modules\n"
        "r = make_renderer('grid', io.StringIO(), ['a'], headers=True, nullvalue='')\n"
        "r.rows([(1,)]); r.close()\n"
        "assert 'tabulate' in sys.modules\n"
        "assert not {'prompt_toolkit', 'pygments'} & set(sys.modules)\n")
    done = run_python(code)
    assert done.returncode == 0, done.stderr


# -- control characters: escaped for terminals, kept for machines --------------

HOSTILE = ["tab\there", "bell\x07", "\x1b[31mred\x1b[0m", "cr\rover", "nul\x00", "del\x7f",
           "c1\x85\x9b", "ls\u2028ps\u2029", "two\nlines", "日本\tx", "e\u0301\t|"]


def _cells_line_up(table: str) -> None:
    """Every line of a drawn table has its bars at the same display columns."""
    from wcwidth import wcswidth
    lines = table.splitlines()
    for line in lines:
        assert line.isprintable(), repr(line)
    widths = {wcswidth(line) for line in lines}
    assert len(widths) == 1, lines


def test_table_escapes_control_characters_as_psql():
    text = render("table", ["v"], [(v,) for v in HOSTILE])
    assert "\x1b" not in text and "\x07" not in text and "\t" not in text
    assert "| \\x1B[31mred\\x1B[0m |" in text.replace("  ", "")
    assert "| cr\\rover" in text and "| nul\\x00" in text and "| del\\x7F" in text
    assert "| c1\\u0085\\u009B" in text and "| ls\\u2028ps\\u2029" in text
    assert "| tab     here" in text and "| bell\\x07" in text       # tab stops of 8
    assert "| two " in text and "| lines " in text                # a line feed: two lines
    _cells_line_up(text)


def test_table_escapes_column_names_and_nullvalue():
    text = render("table", ["a\tb", "c\x1b"], [(None, 1)], nullvalue="\x07")
    assert "| a       b | c\\x1B |" in text and "| \\x07" in text
    _cells_line_up(text)


@SETTINGS
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), min_size=1,
                max_size=6))
def test_table_lines_up_whatever_the_text(rows):
    # Any text, control characters included: no raw control character is
    # left and every line has the same display width (when wcwidth knows
    # every character's width).
    from wcwidth import wcswidth
    text = render("table", ["a", "b"], rows)
    lines = text.splitlines()
    assert all(ch == "\n" or not ("\x00" <= ch < "\x20" or "\x7f" <= ch <= "\x9f")
               for ch in text)
    if all(wcswidth(line) >= 0 for line in lines):
        assert len({wcswidth(line) for line in lines}) == 1, lines


def render_to(fmt, out, columns, rows, **options):
    renderer = make_renderer(fmt, out, columns, headers=True, nullvalue="", **options)
    renderer.rows(rows)
    renderer.close()


def pty_output(fmt, columns, rows) -> str:
    """What a renderer writes to a real terminal (a pty), as text."""
    import os
    import pty

    from tests.support.terminal import read_terminal
    leader, follower = pty.openpty()
    try:
        with open(follower, "w", encoding="utf-8") as out:   # closes the follower
            assert out.isatty()
            render_to(fmt, out, columns, rows)
        shown = read_terminal(leader)
    finally:
        os.close(leader)
    # The terminal's line discipline turns LF into CRLF.
    return shown.decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("fmt", ["list", "line", "markdown"])
def test_text_formats_escape_on_a_terminal_only(fmt):
    rows = [("\x1b]0;title\x07", "a\tb"), ("cr\r", None)]
    on_tty = pty_output(fmt, ["x", "y\x1b"], rows)
    assert "\x1b" not in on_tty and "\x07" not in on_tty and "\t" not in on_tty
    # A tab becomes the spaces up to the stop the terminal would have used.
    assert "\\x1B]0;title\\x07" in on_tty and re.search("a +b", on_tty)
    to_pipe = io.StringIO()
    render_to(fmt, to_pipe, ["x", "y\x1b"], rows)
    assert "\x1b]0;title\x07" in to_pipe.getvalue() and "a\tb" in to_pipe.getvalue()
    # terminal= overrides what the stream says (the shell's pager is a pipe).
    forced = io.StringIO()
    render_to(fmt, forced, ["x", "y\x1b"], rows, terminal=True)
    assert forced.getvalue() == on_tty


def test_list_on_a_terminal_keeps_line_feeds():
    assert pty_output("list", ["a"], [("one\ntwo\x1b",)]) == "a\none\ntwo\\x1B\n"


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_machine_formats_keep_control_characters_on_a_terminal(fmt):
    rows = [("\x1b[1m\tb\x07",)]
    out = io.StringIO()
    render_to(fmt, out, ["a"], rows, terminal=True)
    plain = io.StringIO()
    render_to(fmt, plain, ["a"], rows, terminal=False)
    assert out.getvalue() == plain.getvalue()
    if fmt == "csv":
        assert out.getvalue() == 'a\n"\x1b[1m\tb\x07"\n'
    else:  # JSON escapes them itself
        assert "\\u001b[1m\\tb\\u0007" in out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_on_a_terminal_escapes_c1_controls_and_del(fmt):
    # U+009B is a CSI to some terminals; JSON leaves it raw. Escaped, it is
    # the same JSON value.
    rows = [("\x9b31mred\x7f", "é\u2028")]
    out = io.StringIO()
    render_to(fmt, out, ["k\x85", "u"], rows, terminal=True)
    text = out.getvalue()
    assert not re.search("[\x7f-\x9f]", text)
    assert "\\u009b31mred\\u007f" in text and '"k\\u0085"' in text and "é\u2028" in text
    plain = io.StringIO()
    render_to(fmt, plain, ["k\x85", "u"], rows, terminal=False)
    assert "\x9b31mred\x7f" in plain.getvalue()
    parse = json.loads if fmt == "json" else lambda t: [json.loads(t)]
    assert parse(text) == parse(plain.getvalue()) == [{"k\x85": "\x9b31mred\x7f",
                                                       "u": "é\u2028"}]
