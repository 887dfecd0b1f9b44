"""sqlite3's output modes (column, box, insert, quote, html, ascii, tabs),
``.mode`` with no argument, ``.separator``, ``.width`` and EXPLAIN QUERY
PLAN, checked byte for byte against Debian's ``sqlite3`` CLI (3.40), the
oracle: the renderers on values read from an SQLite file, then the ``dqlite``
command on a real node running the same script as ``sqlite3``."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dqlite_shell.shell import engine, output
from dqlite_shell.shell.commands.formats import unescape
from dqlite_shell.shell.commands.registry import UsageError
from dqlite_shell.shell.output import columns as columnar
from dqlite_shell.shell.output import make_renderer
from dqlite_shell.shell.state import Settings
from tests.support.sqlite3_cli import needs_sqlite3, sqlite3_cli

from .conftest import run_command

pytestmark = needs_sqlite3

SETTINGS = settings(max_examples=30, deadline=None)


def dqlite_bytes(*args: str, stdin: str = "") -> tuple[int, bytes, bytes]:
    """``dqlite ARGS`` -> (exit status, stdout, stderr) as bytes (CR and 0x1E
    row ends are checked as they are)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = os.path.join(os.path.dirname(__file__), "no-such-config")
    done = subprocess.run([sys.executable, "-m", "dqlite_shell", *args], input=stdin.encode(),
                          capture_output=True, timeout=60, env=env)
    return done.returncode, done.stdout, done.stderr


def dot_word(text: str) -> str:
    """``text`` as one dot-command argument both shells read back as it is
    (double quotes: sqlite3 resolves backslashes in them; ours keeps them,
    so the texts used have none)."""
    assert "\\" not in text and '"' not in text
    return '"' + text + '"'


def ours(mode: str, columns, rows, *, headers: bool, nullvalue: str = "",
         separator: str | None = None, row_separator: str | None = None,
         widths=(), batches: int = 1) -> bytes:
    """Our renderer's bytes for ``mode``, with the separators ``.mode`` sets
    (``apply_format``) unless given, rows in ``batches`` batches."""
    chosen = Settings()
    output.apply_format(chosen, mode)
    out = io.StringIO()
    renderer = make_renderer(chosen.mode, out, columns, headers=headers, nullvalue=nullvalue,
                             separator=chosen.separator if separator is None else separator,
                             row_separator=chosen.row_separator if row_separator is None
                             else row_separator, widths=widths)
    size = max(1, -(-len(rows) // batches))
    for start in range(0, len(rows), size):
        renderer.rows(rows[start:start + size])
    renderer.close()
    return out.getvalue().encode("utf-8", "surrogatepass")


def oracle(path: str, mode: str, *, headers: bool, nullvalue: str = "", lines=()) -> bytes:
    """sqlite3's bytes for the table t of ``path`` in ``mode``."""
    script = [f".mode {mode}", f".headers {'on' if headers else 'off'}",
              f".nullvalue {dot_word(nullvalue)}", *lines, "SELECT * FROM t ORDER BY rowid;"]
    return sqlite3_cli(path, stdin="\n".join(script) + "\n")


def make_table(path: str, columns, rows) -> list[tuple]:
    """Table t of ``columns`` holding ``rows`` in a new SQLite file; the rows read back."""
    with sqlite3.connect(path) as db:
        quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        db.execute(f"CREATE TABLE t ({quoted})")
        db.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(columns))})", rows)
        read = db.execute("SELECT * FROM t ORDER BY rowid").fetchall()
    db.close()
    return read


# Text without NUL (sqlite3 stops a value at NUL) or lone surrogates (not UTF-8).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=10)
tricky = st.sampled_from(["", " ", "a b", "it's", '"q"', "<&>", "\n", "\r", "\r\n", "a\nb",
                          "\t", "x\ty", "\x1b[31m", "é", "日本語", "\x7f", "|", ",", "-1",
                          "word " * 15, "x" * 75, "NULL", "a\r\nb\n"])
number = st.one_of(st.integers(-2 ** 63, 2 ** 63 - 1), st.floats(allow_nan=False),
                   st.sampled_from([0.1, -0.0, 2.0, 1e15, -9.2233720368547758e18, 1e100]))
value = st.one_of(st.none(), text, tricky, number)
name = st.one_of(text.filter(bool), tricky.filter(bool), st.sampled_from(["table", "a b"]))
two_names = st.tuples(name, name).filter(lambda n: n[0].lower() != n[1].lower())


@SETTINGS
@given(st.lists(st.tuples(value, value), min_size=1, max_size=6), two_names, st.booleans(),
       st.sampled_from(["", "NULL", "-"]),
       st.sampled_from(["column", "box", "column --wrap 5", "box --wrap 0", "box --wrap 7 -ww",
                        "column --wordwrap on --wrap 12", "box --quote", "quote", "insert",
                        "insert t2", "html", "ascii", "tabs", "list"]),
       st.integers(1, 3))
def test_modes_like_sqlite3(tmp_path_factory, rows, columns, headers, nullvalue, mode, batches):
    path = str(tmp_path_factory.mktemp("oracle") / "t.db")
    read = make_table(path, columns, rows)
    expected = oracle(path, mode, headers=headers, nullvalue=nullvalue)
    assert ours(mode, columns, read, headers=headers, nullvalue=nullvalue,
                batches=batches) == expected


widths = st.lists(st.integers(-12, 12), max_size=3)


@SETTINGS
@given(st.lists(st.tuples(value, value), min_size=1, max_size=5), two_names, widths,
       st.sampled_from(["column", "box", "box --wrap 4"]), st.booleans())
def test_width_like_sqlite3(tmp_path_factory, rows, columns, width, mode, headers):
    path = str(tmp_path_factory.mktemp("oracle") / "t.db")
    read = make_table(path, columns, rows)
    line = ".width " + " ".join(map(str, width))
    expected = oracle(path, mode, headers=headers, lines=[line])
    assert ours(mode, columns, read, headers=headers, widths=width) == expected


separators = st.sampled_from([";", "", " | ", "\t", "::", ",", "ab"])


@SETTINGS
@given(st.lists(st.tuples(value, value), min_size=1, max_size=5), two_names, separators,
       separators, st.sampled_from(["list", "csv", "quote", "ascii", "line", "tabs"]),
       st.booleans())
def test_separator_like_sqlite3(tmp_path_factory, rows, columns, col, row, mode, headers):
    # line mode pads names to sqlite3's width in characters, not bytes (documented).
    assume(mode != "line" or all(name.isascii() for name in columns))
    path = str(tmp_path_factory.mktemp("oracle") / "t.db")
    read = make_table(path, columns, rows)
    expected = oracle(path, mode, headers=headers,
                      lines=[f".separator {dot_word(col)} {dot_word(row)}"])
    assert ours(mode, columns, read, headers=headers, separator=col,
                row_separator=row) == expected


def test_sql_literals_like_sqlite3(tmp_path):
    path = str(tmp_path / "t.db")
    rows = [(b"\x00\xff", 0.1), (b"", -9.2233720368547758e18), (float("inf"), -float("inf")),
            ("it's\n", 2.0), (1e-300, 123456789.125)]
    read = make_table(path, ["a", "b c"], rows)
    for mode in ("insert", "insert my table", "quote", "box --quote", "column --quote"):
        for headers in (False, True):
            assert ours(mode, ["a", "b c"], read, headers=headers) == \
                oracle(path, mode.replace("my table", '"my table"'), headers=headers)
    assert b"VALUES(X'00ff',0.10000000000000000555);" in ours("insert", ["a"], read, headers=0)


@pytest.mark.parametrize("mode", ["box", "column"])
def test_column_and_box_print_blocks_of_1000_rows(tmp_path, mode):
    block = columnar.BLOCK_ROWS
    rows = [(i + 1, "x" * (i % 7)) for i in range(block)] + [(block + 1, "y\nyy")]
    out = io.StringIO()
    renderer = make_renderer(mode, out, ["n", "s"], headers=True, nullvalue="")
    renderer.rows(rows[:block - 1])
    assert out.getvalue() == "" and len(renderer._held) == block - 1
    renderer.rows(rows[block - 1:])                 # the first block is out
    assert len(renderer._held) == 1
    first = out.getvalue().encode()
    renderer.close()
    # The first 1000 rows are sqlite3's table of them; then a table of the rest.
    path = str(tmp_path / "t.db")
    make_table(path, ["n", "s"], rows[:block])
    assert first == oracle(path, mode, headers=True)
    make_table(str(tmp_path / "u.db"), ["n", "s"], rows[block:])
    rest = oracle(str(tmp_path / "u.db"), mode, headers=True)
    assert out.getvalue().encode() == first + rest
    assert rest.startswith(b"\xe2\x94\x8c" if mode == "box" else b"n     s ")
    # However the rows come in batches.
    assert ours(mode, ["n", "s"], rows, headers=True, batches=1) == \
        ours(mode, ["n", "s"], rows, headers=True, batches=3) == out.getvalue().encode()


def test_cell_lines_wraps_and_breaks_as_sqlite3():
    assert columnar.cell_lines("abcdef", 4) == ["abcd", "ef"]
    assert columnar.cell_lines("a\nb\r\nc\x1bd\n", 0) == ["a", "b", "c", "d"]
    assert columnar.cell_lines("a\tb", 0) == ["a       b"]
    # A break is looked for in the second half of the line only, as sqlite3 does.
    assert columnar.cell_lines("the quick brown fox", 8, wordwrap=True) == [
        "the quic", "k brown ", "fox"]
    assert columnar.cell_lines("ab cdefgh ij", 8, wordwrap=True) == ["ab cdefg", "h ij"]
    assert columnar.cell_lines("abcd efghij", 8, wordwrap=True) == ["abcd ", "efghij"]
    assert columnar.cell_lines("", 5) == [""]


# -- EXPLAIN QUERY PLAN ----------------------------------------------------------------

PLAN_SQL = ("CREATE TABLE t (a, b); CREATE INDEX i ON t(a); CREATE TABLE u (c);"
            "INSERT INTO t VALUES (1, 2);")
PLANS = ["EXPLAIN QUERY PLAN SELECT * FROM t WHERE a = 1 UNION SELECT c, c FROM u",
         "explain query plan select (select count(*) from u), * from t, u where b = c",
         "EXPLAIN QUERY PLAN SELECT 1"]


@pytest.mark.parametrize("mode", ["list", "table", "box", "column", "line", "csv", "html",
                                  "insert", "quote", "markdown"])
def test_query_plan_drawn_as_sqlite3_draws_it(node, mode):
    script = PLAN_SQL + "\n" + "\n".join(p + ";" for p in PLANS) + "\n"
    status, out, err = dqlite_bytes("-s", node.address, "-f", mode, stdin=script)
    assert (status, err) == (0, b""), (out, err)
    expected = sqlite3_cli(":memory:", stdin=".mode list\n" + script)
    assert expected.count(b"QUERY PLAN\n") == 3
    assert out == expected
    assert b"|--LEFT-MOST SUBQUERY\n   |  `--SEARCH t USING INDEX i (a=?)\n" in out


def test_query_plan_stays_json_and_look_alikes_stay_rows(node, dqlite):
    run = dqlite("-s", node.address, "-f", "jsonl", "-c",
                 "CREATE TABLE t (a); EXPLAIN QUERY PLAN SELECT * FROM t")
    assert run.status == 0 and run.out.startswith('{"id":') and '"detail":"SCAN t"' in run.out
    # The same columns from a SELECT are rows, not a plan.
    run = dqlite("-s", node.address, "-c",
                 "SELECT 2 AS id, 0 AS parent, 0 AS notused, 'SCAN t' AS detail")
    assert (run.status, run.out, run.err) == (0, "2|0|0|SCAN t\n", "")


def test_draw_plan_nests_and_bounds_depth():
    from dqlite_shell.shell.output.plan import draw_plan
    assert draw_plan([]) == ""
    rows = [(2, 0, 0, "A"), (3, 2, 0, "A1"), (4, 2, 0, "A2"), (5, 0, 0, "B"), (6, 5, 0, "B1")]
    assert draw_plan(rows) == ("QUERY PLAN\n|--A\n|  |--A1\n|  `--A2\n`--B\n   `--B1\n")
    # A cycle cannot come from SQLite; if it did, depth stops at sqlite3's limit.
    assert len(draw_plan([(1, 0, 0, "x"), (7, 7, 0, "loop"), (8, 1, 0, "y")]).splitlines()) == 3
    deep = draw_plan([(1, 0, 0, "r")] + [(i + 1, i, 0, "d") for i in range(1, 60)])
    assert len(deep.splitlines()) == 1 + 1 + 31


# -- the dqlite command against sqlite3 --------------------------------------------------

DATA = ("CREATE TABLE t (a, \"b c\", \"d\"\"e\");"
        "INSERT INTO t VALUES (NULL, '', 'x'), ('it''s', 1.5, 'a\"b'),"
        " (char(10) || 'two', 12345678901, 'é'), (1e100, -0.0, 0.1),"
        " ('<&>', 3, 'tab' || char(9) || 'x'), (2.0, -9223372036854775808, 'café日本'),"
        " ('" + "long " * 14 + "', 'x', char(13, 10));")
SELECT = "SELECT * FROM t ORDER BY rowid;"


def _script(*lines: str) -> str:
    return DATA + "\n" + "\n".join(lines) + "\n"


def test_dqlite_modes_are_sqlite3s(node):
    lines = []
    for mode in ("column", "box", "insert", "insert \"my t\"", "quote", "html", "ascii", "tabs",
                 "line", "list", "box --wrap 10 --wordwrap on", "column --quote"):
        for headers in ("off", "on"):
            lines += [f".mode {mode}", f".headers {headers}", SELECT]
    script = _script(*lines)
    status, out, err = dqlite_bytes("-s", node.address, stdin=script)
    assert (status, err) == (0, b""), (out, err)
    expected = sqlite3_cli(":memory:", stdin=script)
    assert out == expected
    assert "┌".encode() in out and b"INSERT INTO \"my t\"(a,\"b c\",\"d\"\"e\") VALUES(" in out
    assert b"replace('\\ntwo','\\n',char(10))" in out and b"\x1e" in out


def test_dqlite_width_and_separator_are_sqlite3s(node):
    script = _script(".mode column", ".width 4 -12 0", SELECT, ".mode box", SELECT,
                     ".width", SELECT, ".mode list", ".separator \\t \\r\\n", SELECT,
                     ".separator ' | ' \\n---\\n", ".headers on", SELECT,
                     ".mode csv", ".separator ; \\r\\n", SELECT, ".mode quote", ".separator \\073",
                     SELECT, ".mode line", ".separator x \\n\\n", SELECT, ".mode list", SELECT)
    status, out, err = dqlite_bytes("-s", node.address, stdin=script)
    assert (status, err) == (0, b""), (out, err)
    assert out == sqlite3_cli(":memory:", stdin=script)
    assert b"\t12345678901\t\xc3\xa9\r\n" in out and b" | " in out and b";" in out


def test_csv_quotes_the_separator_not_the_comma(node):
    """sqlite3 quotes a comma only when it is the separator (found by hypothesis)."""
    # (sqlite3's .mode csv ends lines with CRLF, ours with LF: set the row separator)
    script = _script(".mode csv", ".separator ; \\r\\n", "SELECT ',' AS \",\", ';', 'a b';",
                     ".separator , \\r\\n", "SELECT ',', ';';")
    status, out, err = dqlite_bytes("-s", node.address, "--headers", stdin=script)
    assert (status, err) == (0, b""), (out, err)
    assert out == sqlite3_cli(":memory:", "-header", stdin=script)
    assert out.startswith(b',;"\x27;\x27";"\x27a b\x27"\r\n,;";";"a b"\r\n'), out


def test_dqlite_format_option_sets_the_separators(node):
    for fmt, first in (("tabs", b"\t\tx\n"), ("ascii", b"\x1f\x1fx\x1e"),
                       ("quote", b"NULL,'','x'\n"), ("box", "┌".encode())):
        status, out, err = dqlite_bytes("-s", node.address, "-f", fmt, fmt, DATA + SELECT)
        assert (status, err) == (0, b""), (fmt, out, err)
        assert out.startswith(first), (fmt, out[:40])
        # As sqlite3's .mode (its -box option wraps nothing: --wrap 0).
        assert out == sqlite3_cli(":memory:", f".mode {fmt}", DATA + SELECT), fmt


# -- the commands -----------------------------------------------------------------------

def test_mode_without_argument_prints_the_current_one(shell):
    state = shell(["127.0.0.1:1"])
    assert run_command(state, ".mode") == "current output mode: list\n"
    assert sqlite3_cli(":memory:", stdin=".mode\n") == b"current output mode: list\n"
    for line in ("tabs", "box", "column --wrap 9 -ww --quote", "box --wordwrap on --wrap 0",
                 "insert", "insert t2", "quote", "html", "ascii", "line", "list", "json",
                 "csv"):
        run_command(state, ".mode " + line)
        shown = run_command(state, ".mode")
        assert shown.encode() == sqlite3_cli(":memory:", stdin=f".mode {line}\n.mode\n"), line
    assert shown == "current output mode: csv\n"
    # Our table and markdown are not sqlite3's (which would add --wrap 60 ...).
    for line in ("table", "markdown"):
        run_command(state, ".mode " + line)
        assert run_command(state, ".mode") == f"current output mode: {line}\n"
    run_command(state, ".mode csv --crlf")
    assert run_command(state, ".mode") == "current output mode: csv --crlf\n"
    run_command(state, ".mode insert t2")
    run_command(state, ".mode")
    assert state.settings.mode == "insert t2"     # sqlite3's would be back to "table"


def test_mode_sets_separators_and_column_headers_as_sqlite3(shell):
    state = shell(["127.0.0.1:1"])
    s = state.settings
    seen = {}
    for mode in ("csv", "tabs", "ascii", "quote", "list", "csv --crlf", "line", "html"):
        run_command(state, ".separator ; ~")
        run_command(state, ".mode " + mode)
        seen[mode] = (s.separator, s.row_separator)
    assert seen == {"csv": (",", "\n"), "tabs": ("\t", "~"), "ascii": ("\x1f", "\x1e"),
                    "quote": (",", "\n"), "list": ("|", "\n"), "csv --crlf": (",", "\r\n"),
                    "line": (";", "\n"), "html": (";", "~")}
    assert s.headers is False
    run_command(state, ".mode column")
    assert s.headers is True                     # sqlite3: .mode column shows names
    run_command(state, ".headers off")
    run_command(state, ".mode box")
    run_command(state, ".mode column")
    assert s.headers is False                    # unless .headers said otherwise


def test_separator_escapes_and_errors(shell):
    state = shell(["127.0.0.1:1"])
    assert unescape(r"\t\n\r\\\"\'\a\b\v\f\101\7x\q") == "\t\n\r\\\"'\a\b\v\f" + "A\x07xq"
    assert unescape("a\\") == "a\\"
    run_command(state, r".separator \t")
    assert (state.settings.separator, state.settings.row_separator) == ("\t", "\n")
    run_command(state, r".separator , \r\n")
    assert (state.settings.separator, state.settings.row_separator) == (",", "\r\n")
    for line in (".separator", ".separator a b c"):
        with pytest.raises(UsageError, match=r"^usage: \.separator COL \[ROW\]$"):
            run_command(state, line)
    assert state._session is None


def test_width_parses_resets_and_refuses(shell):
    state = shell(["127.0.0.1:1"])
    run_command(state, ".width 5 -3 0 +2")
    assert state.settings.widths == [5, -3, 0, 2]
    run_command(state, ".width")
    assert state.settings.widths == []
    for bad in ("x", "1.5", "-", "10001", "- 1"):
        with pytest.raises(UsageError) as info:
            run_command(state, f".width 1 '{bad}'")
        assert str(info.value).startswith("usage: .width [N ...] (")
        assert repr(bad) in str(info.value) and "\n" not in str(info.value)
    assert state.settings.widths == []


@pytest.mark.parametrize("line,message", [
    (".mode box --wrap", "--wrap takes a number"), (".mode box --wrap -1", "--wrap takes"),
    (".mode column --wordwrap maybe", "--wordwrap takes on or off"),
    (".mode insert a b", "one TABLE; 'b' is one too many"),
    (".mode html --crlf", "unknown option '--crlf' for output format html: it takes none"),
    (".mode boxes", "unknown output format 'boxes'")])
def test_mode_errors_are_one_line_and_change_nothing(shell, line, message):
    state = shell(["127.0.0.1:1"])
    before = vars(state.settings).copy()
    with pytest.raises(UsageError) as info:
        run_command(state, line)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert vars(state.settings) == before


def test_mode_errors_in_a_script_name_the_line(node, dqlite):
    run = dqlite("-s", node.address, stdin="SELECT 1;\n.mode box --wrap x\nSELECT 2;\n")
    assert run.status == 1 and run.out == "1\n"
    assert run.err.startswith("<stdin>:2: error: usage: .mode") and "--wrap" in run.err
    assert "Traceback" not in run.err and len(run.err.splitlines()) == 1


def test_show_uses_separators_and_widths(shell, node):
    state = shell([node.address])
    run_command(state, ".mode box")
    run_command(state, ".width -3")
    state.out.seek(0)
    state.out.truncate()
    engine.run_sql(state, "SELECT 1 AS n, 'x' AS s")
    assert state.out.getvalue() == ("┌─────┬───┐\n"
                                    "│  n  │ s │\n"
                                    "├─────┼───┤\n"
                                    "│   1 │ x │\n"
                                    "└─────┴───┘\n")


# -- terminals --------------------------------------------------------------------------

DANGER = "\x1b[31mred\x9b2J\x7f\u2028"


@pytest.mark.parametrize("mode", ["column", "box", "insert", "quote", "html", "ascii", "tabs",
                                  "column --quote"])
def test_terminals_get_no_raw_control_characters(mode):
    rows = [(DANGER, b"\x1b", 1.5)]
    on_terminal = io.StringIO()
    chosen = Settings()
    output.apply_format(chosen, mode)
    renderer = make_renderer(chosen.mode, on_terminal, [DANGER, "b", "c"], headers=True,
                             nullvalue="", terminal=True, blob="text",
                             separator=chosen.separator, row_separator=chosen.row_separator)
    renderer.rows(rows)
    renderer.close()
    shown = on_terminal.getvalue()
    assert not any(c in shown for c in "\x1b\x9b\x7f\u2028"), shown
    assert "red" in shown and ("\\x7F" in shown or "\\u2028" in shown)
    # To a file, sqlite3's bytes (for the formats that keep them).
    kept = ours(mode, [DANGER, "b", "c"], [(DANGER, "x", 1.5)], headers=True)
    assert DANGER.encode() in kept or mode.startswith(("column", "box"))


def test_table_takes_widths_and_is_unchanged_without():
    def table(widths):
        return ours("table", ["alpha", "b"], [(1, "hello world"), (22, None)], headers=True,
                    widths=widths).decode()
    plain = ("+-------+-------------+\n"
             "| alpha | b           |\n"
             "|-------+-------------|\n"
             "|     1 | hello world |\n"
             "|    22 |             |\n"
             "+-------+-------------+\n")
    assert table(()) == table((0, 0)) == plain
    assert table((3, -6)) == ("+-----+--------+\n"
                              "| alp |      b |\n"
                              "|-----+--------|\n"
                              "| 1   | hello  |\n"
                              "|     |  world |\n"
                              "| 22  |        |\n"
                              "+-----+--------+\n")


def test_make_renderer_alone_uses_each_formats_separators():
    def render(mode):
        out = io.StringIO()
        renderer = make_renderer(mode, out, ["a", "b"], headers=True, nullvalue="")
        renderer.rows([(1, "x")])
        renderer.close()
        return out.getvalue()
    assert render("tabs") == "a\tb\n1\tx\n"
    assert render("ascii") == "a\x1fb\x1e1\x1fx\x1e"
    assert render("quote") == "'a','b'\n1,'x'\n"
    assert render("list") == "a|b\n1|x\n"
    assert render("csv --crlf") == "a,b\r\n1,x\r\n"
