"""Results that fit the screen, in process: the settings, ``\\G``, the
first/last rows buffer, cut cells, the expanded layout, the automatic pager
and the last result's spool (the pty tests: test_repl_screen.py)."""

from __future__ import annotations

import io
import os
import re
import stat
import sys

import pytest

from dqlite_shell.shell import config, engine, last_result, pager, screen
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.errors import CommandError
from dqlite_shell.shell.output import TABULATE_FORMATS
from dqlite_shell.shell.output.expanded import ExpandedRenderer, display_width
from dqlite_shell.shell.startup import settings as startup_settings
from dqlite_shell.shell.state import Settings, ShellState

ROWS = [(i, f"name{i}") for i in range(1, 101)]


def make_state(*, interactive=False, size=None, mode="table", monkeypatch=None):
    settings = startup_settings(mode, None, True, True)
    state = ShellState([], settings=settings, out=io.StringIO(), err=io.StringIO(),
                       interactive=interactive)
    if size is not None:
        monkeypatch.setattr(screen, "terminal_size", lambda s: size)
    return state


def shown(state, columns, rows, **options) -> str:
    state.out.seek(0)
    state.out.truncate()
    engine.show(state, columns, [rows[i:i + 7] for i in range(0, len(rows), 7)], **options)
    return state.out.getvalue()


# -- settings -----------------------------------------------------------------------

@pytest.mark.parametrize("word, value", [("auto", "auto"), ("ON", "on"), (" off", "off")])
def test_expanded_values(word, value):
    assert screen.parse_expanded(word) == value


@pytest.mark.parametrize("word, value", [("auto", "auto"), ("0", 0), ("off", 0), ("25", 25),
                                         (40, 40)])
def test_maxrows_values(word, value):
    assert screen.parse_maxrows(word) == value


@pytest.mark.parametrize("word", ["-1", "x", "1e3", "100001", True, ""])
def test_maxrows_refuses_what_is_not_a_count(word):
    with pytest.raises(ValueError):
        screen.parse_maxrows(word)


def test_pager_values():
    assert [screen.parse_pager(w) for w in ("on", "off", "auto", True, False)] == [
        True, False, "auto", True, False]
    with pytest.raises(ValueError):
        screen.parse_pager("sometimes")


def test_config_keys_are_checked_with_file_and_line(tmp_path):
    file = tmp_path / "config.toml"
    file.write_text('format = "table"\nexpanded = "sideways"\n')
    with pytest.raises(config.ConfigError, match=r"config.toml:2: expanded: 'sideways' is not "
                                                  r"auto, on or off"):
        config.load(str(file))
    file.write_text('maxrows = -3\n')
    with pytest.raises(config.ConfigError, match=r":1: maxrows: -3 is not a number of rows"):
        config.load(str(file))
    file.write_text('pager = "auto"\nmaxrows = "auto"\nexpanded = "off"\nmax_cell_width = 20\n')
    settings = Settings()
    screen.configure(settings, config.load(str(file)))
    assert (settings.pager, settings.maxrows, settings.expanded, settings.max_cell_width) == (
        "auto", "auto", "off", 20)


# -- \G -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, body", [
    ("SELECT 1\\G", "SELECT 1"),
    ("SELECT * FROM t \\G ", "SELECT * FROM t "),
    ("SELECT 1\\G;", "SELECT 1"),
    ("SELECT 'a;b'\n  FROM t\\G", "SELECT 'a;b'\n  FROM t"),
    ("SELECT '\\G", None),              # inside a string
    ("SELECT 1 -- \\G", None),          # inside a comment
    ("SELECT \"x\\G", None),            # inside a quoted name
    ("\\G", None),                      # no statement
    ("SELECT 1;", None),
    ("SELECT 1\\g", None),              # MySQL's \g is not \G
])
def test_vertical_statement(text, body):
    assert screen.vertical_statement(text) == body


def test_enter_runs_a_statement_that_ends_with_backslash_g():
    from dqlite_shell.shell.repl_keys import is_complete
    assert is_complete("SELECT 1\\G")
    assert is_complete("SELECT 1\n  FROM t\\G")
    assert not is_complete("SELECT 'x\\G")
    assert not is_complete("SELECT 1")


# -- first and last rows ----------------------------------------------------------------

def test_head_tail_keeps_the_first_and_last_rows_and_counts_the_middle():
    kept = screen.HeadTail(5)
    for start in range(0, 1000, 64):
        kept.add(list(range(start, min(start + 64, 1000))))
        assert len(kept.head) + len(kept.tail) <= 5  # bounded whatever the size
    assert kept.count == 1000
    assert kept.shown() == ([0, 1, 2], [998, 999], 995)
    assert kept.shown(2) == ([0], [999], 998)
    assert kept.shown(1) == ([0], [], 999)


def test_head_tail_shows_everything_that_fits():
    kept = screen.HeadTail(5)
    kept.add([1, 2])
    kept.add([3, 4, 5])
    assert kept.shown() == ([1, 2, 3, 4, 5], [], 0)
    assert kept.shown(3) == ([1, 2], [5], 2)


# -- long cells ------------------------------------------------------------------------

def test_cut_line_counts_wide_characters_twice():
    assert screen.cut_line("a" * 10, 10) == "a" * 10
    assert screen.cut_line("a" * 11, 10) == "a" * 9 + "…"
    assert screen.cut_line("日本語のテキスト", 10) == "日本語の…"
    assert display_width(screen.cut_line("日本語のテキスト", 10)) == 9
    assert screen.cut_line("e\u0301" * 10, 10) == "e\u0301" * 10  # combining: width 0


def test_cut_rows_cuts_each_line_of_text_only_and_leaves_width_columns():
    rows = [(1, "x" * 30 + "\nshort", b"y" * 100, "z" * 30)]
    assert screen.cut_rows(rows, 10, [0, 0, 0, 12]) == [
        (1, "x" * 9 + "…\nshort", b"y" * 100, "z" * 30)]


# -- the layout in scripts and in the REPL --------------------------------------------------

def test_scripts_with_the_defaults_do_not_go_through_screen(monkeypatch):
    """A pipe's rows pay nothing: show() never calls screen.show."""
    state = make_state(mode="table")

    def fail(*args, **kwargs):
        raise AssertionError("screen.show called")

    monkeypatch.setattr(screen, "show", fail)
    text = shown(state, ["n", "name"], ROWS)
    assert text.count("\n") == 104  # every row, one table
    assert state.last_result is None


def test_maxrows_in_a_script_cuts_where_it_was_asked(monkeypatch):
    state = make_state(mode="table")
    registry.run(state, ".maxrows 4")
    text = shown(state, ["n", "name"], ROWS)
    assert text == ("+-----+---------+\n"
                    "|   n | name    |\n"
                    "|-----+---------|\n"
                    "|   1 | name1   |\n"
                    "|   2 | name2   |\n"
                    "(100 rows, 4 shown)\n"
                    "|  99 | name99  |\n"
                    "| 100 | name100 |\n"
                    "+-----+---------+\n")


def test_maxrows_does_not_cut_csv(monkeypatch):
    state = make_state(mode="csv")
    registry.run(state, ".maxrows 4")
    assert shown(state, ["n", "name"], ROWS).count("\n") == 100


def test_the_repl_cuts_to_the_terminal_height(monkeypatch):
    state = make_state(interactive=True, size=(80, 16), monkeypatch=monkeypatch)
    lines = shown(state, ["n", "name"], ROWS).splitlines()
    assert "(100 rows, 10 shown)" in lines
    assert len(lines) == 16 - 1  # the next prompt's line is left
    assert lines[3] == "|   1 | name1   |" and lines[-2] == "| 100 | name100 |"


def test_the_repl_shows_a_wide_result_expanded(monkeypatch):
    state = make_state(interactive=True, size=(30, 40), monkeypatch=monkeypatch)
    text = shown(state, ["id", "description"], [(1, "a" * 40), (2, None)])
    # The rule stops short of the terminal's last column (no wrap there).
    assert text == ("-[ RECORD 1 ]----------------\n"
                    "id          | 1\n"
                    "description | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
                    "-[ RECORD 2 ]--\n"
                    "id          | 2\n"
                    "description | \n")
    narrow = shown(state, ["id", "d"], [(1, "a" * 10)])
    assert narrow.startswith("+----+------------+\n")


def test_the_repl_cuts_long_cells_so_that_the_table_fits(monkeypatch):
    state = make_state(interactive=True, size=(80, 40), monkeypatch=monkeypatch)
    text = shown(state, ["id", "t"], [(1, "b" * 100)])
    assert text.splitlines()[3] == "|  1 | " + "b" * 59 + "… |"
    registry.run(state, ".width 0 100")  # .width overrides
    assert "b" * 100 in shown(state, ["id", "t"], [(1, "b" * 100)])


def test_expanded_on_with_maxrows_numbers_the_last_records(monkeypatch):
    state = make_state(interactive=True, size=(80, 40), monkeypatch=monkeypatch)
    registry.run(state, ".expanded on")
    registry.run(state, ".maxrows 2")
    assert shown(state, ["n", "name"], ROWS) == ("-[ RECORD 1 ]-\n"
                                                 "n    | 1\n"
                                                 "name | name1\n"
                                                 "(100 rows, 2 shown)\n"
                                                 "-[ RECORD 100 ]-\n"
                                                 "n    | 100\n"
                                                 "name | name100\n")


def test_backslash_g_is_expanded_in_any_format(monkeypatch):
    state = make_state(mode="csv")
    assert shown(state, ["a"], [(1,)], vertical=True) == "-[ RECORD 1 ]-\na | 1\n"


def test_a_long_result_streams_in_blocks_when_not_cut(monkeypatch):
    """Without .maxrows the first block decides, and the rows stream on."""
    state = make_state(interactive=True, size=(80, 40), monkeypatch=monkeypatch)
    registry.run(state, ".maxrows 0")
    rows = [(i,) for i in range(2500)]
    text = shown(state, ["n"], rows)
    assert len(re.findall(r"^\| +n \|$", text, re.M)) == 3  # blocks of 1000 rows, as in scripts
    assert text.count("\n") == 2500 + 3 * 4


def test_expanded_layout_aligns_wide_names_and_continues_lines():
    out = io.StringIO()
    renderer = ExpandedRenderer(out, ["名前", "id"], headers=True, nullvalue="NULL",
                                terminal=True, first=7)
    renderer.rows([("x\ny", None)])
    assert out.getvalue() == ("-[ RECORD 7 ]-\n"
                              "名前 | x\n"
                              "     | y\n"
                              "id   | NULL\n")


# -- .pager auto ------------------------------------------------------------------------------

def test_auto_pager_prints_what_fits_and_pages_what_does_not(tmp_path, monkeypatch):
    paged = tmp_path / "paged"
    monkeypatch.setenv("PAGER", f"cat > {paged}")
    out = io.StringIO()
    small = pager.AutoPager(out, (20, 5))
    small.write("a\nb\n")
    small.finish()
    assert out.getvalue() == "a\nb\n" and not paged.exists()
    big = pager.AutoPager(out, (20, 5))
    for i in range(10):
        big.write(f"line {i}\n")
    big.finish()
    assert paged.read_text() == "".join(f"line {i}\n" for i in range(10))
    assert out.getvalue() == "a\nb\n"  # nothing of it on the terminal itself
    wide = pager.AutoPager(out, (20, 5))
    wide.write("x" * 21 + "\n")
    wide.finish()
    assert paged.read_text() == "x" * 21 + "\n"


# -- the last result ------------------------------------------------------------------------

def test_the_repl_keeps_the_last_result_in_a_private_unlinked_file(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    state = make_state(interactive=True, size=(80, 16), monkeypatch=monkeypatch)
    shown(state, ["n", "name"], ROWS)
    spool = state.last_result
    info = os.fstat(spool._file.fileno())
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_nlink == 0
    assert os.listdir(tmp_path) == []
    assert spool.complete and spool.rows == 100
    assert [row for batch in spool.batches() for row in batch] == ROWS
    shown(state, ["x"], [(1,)])  # the next result replaces it
    assert spool._file.closed and state.last_result.rows == 1


def test_last_shows_the_whole_result_again(monkeypatch):
    state = make_state(interactive=True, size=(80, 16), monkeypatch=monkeypatch)
    state.out.write("")
    assert "(101 rows, 10 shown)" in shown(state, ["n", "name"], ROWS + [(101, "z" * 90)])
    state.out.seek(0)
    state.out.truncate()
    registry.run(state, ".last")
    lines = state.out.getvalue().splitlines()
    assert len(lines) == 101 + 4 and "|  50 | name50" in lines[52]
    assert "z" * 90 in lines[-2]  # whole cells


def test_last_says_when_there_is_none_or_it_was_too_large(monkeypatch):
    state = make_state(interactive=True, size=(80, 16), monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="no result to show again"):
        registry.run(state, ".last")
    monkeypatch.setattr(last_result, "LIMIT", 200)
    shown(state, ["n", "name"], ROWS)
    assert state.last_result.dropped
    with pytest.raises(CommandError, match=r"the last result was not kept: it was larger than"):
        registry.run(state, ".last")


def test_settings_commands_print_and_refuse(monkeypatch):
    state = make_state(interactive=True)
    out = state.out
    registry.run(state, ".expanded")
    registry.run(state, ".maxrows")
    assert out.getvalue() == "auto (the default)\nauto (the default)\n"
    with pytest.raises(CommandError, match=r"usage: \.expanded \[auto\|on\|off\]"):
        registry.run(state, ".expanded wide")
    with pytest.raises(CommandError, match=r"usage: \.maxrows .*'lots' is not a number"):
        registry.run(state, ".maxrows lots")
    with pytest.raises(CommandError, match=r"usage: \.pager on\|off\|auto"):
        registry.run(state, ".pager maybe")
    registry.run(state, ".pager auto")
    assert state.settings.pager == "auto" and not state.paging()


if sys.platform != "linux":  # pragma: no cover
    pytestmark = pytest.mark.skip("Linux: st_nlink of an unlinked file")


def test_a_cut_table_too_wide_is_expanded_with_as_many_records_as_fit(monkeypatch):
    state = make_state(interactive=True, size=(30, 20), monkeypatch=monkeypatch)
    rows = [(i, "w" * 40) for i in range(1, 101)]
    text = shown(state, ["n", "wide"], rows)
    # 20 lines, less 2: 18 lines of 3 (a record of two columns) is 6 records.
    assert re.findall(r"-\[ RECORD (\d+) \]", text) == ["1", "2", "3", "98", "99", "100"]
    assert "\n(100 rows, 6 shown)\n-[ RECORD 98 ]" in text


@pytest.mark.parametrize("mode", sorted(TABULATE_FORMATS))
def test_the_repl_fits_tabulates_formats_to_the_terminal_too(monkeypatch, mode):
    """Each of tabulate's formats is cut to the terminal's height (a grid's
    rows take two lines), has its long cells cut, and is expanded when wide."""
    state = make_state(interactive=True, size=(80, 16), mode=mode, monkeypatch=monkeypatch)
    lines = shown(state, ["n", "name"], ROWS).splitlines()
    gap = [line for line in lines if re.fullmatch(r"\(100 rows, \d+ shown\)", line)]
    assert len(gap) == 1 and len(lines) in (16 - 2, 16 - 1), lines
    shown_rows = int(gap[0].split(", ")[1].split()[0])
    assert shown_rows >= 4, lines  # mediawiki: a 5-line frame, 2 lines a row
    assert sum("name1" in line for line in lines) >= 1 and any("name100" in x for x in lines)
    wide = make_state(interactive=True, size=(120, 40), mode=mode, monkeypatch=monkeypatch)
    assert "b" * 59 + "…" in shown(wide, ["id", "t"], [(1, "b" * 100)])
    narrow = make_state(interactive=True, size=(30, 40), mode=mode, monkeypatch=monkeypatch)
    assert shown(narrow, ["id", "t"], [(1, "b" * 40)]).startswith("-[ RECORD 1 ]")
