"""The ``table`` grid without tabulate (output/grid.py) prints what tabulate's
psql format printed, byte for byte; tabulate's other formats through .mode,
--format, .help and completion (issue 18)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.shell import output
from dqlite_shell.shell.output import make_renderer
from dqlite_shell.shell.output.grid import draw_psql
from dqlite_shell.shell.output.table import (
    GAP,
    TableRenderer,
    draw_table,
    table_cells,
    tabulate_table,
)
from dqlite_shell.shell.output.values import is_number, terminal_text, text_rows
from tests.support.processes import run_python

from .conftest import run_command

SETTINGS = settings(max_examples=300, deadline=None)

#: Characters whose width is not one cell, or that tabulate treats apart.
ODD = ["漢", "字", "\u0301", "e\u0301", "\u200d", "\u200b", "👍", "\ufe0f", "👨\u200d👩",
       "\u00ad", "\u1160", "\ue000", "\n", "\t", "\r", "\x1b", "%", "%s", " ", "|", "+", "-",
       "\u0085", "\u2028", "\x00", "\x7f", "é", "ÿ", "\U0001f600"]
chars = st.one_of(st.sampled_from(ODD), st.characters(blacklist_categories=("Cs",)),
                  st.sampled_from("ab 0.-"))
texts = st.lists(chars, max_size=8).map("".join)
ascii_texts = st.text(alphabet=st.sampled_from("ab 0.-%|"), max_size=10)
values = st.one_of(st.none(), st.integers(-10 ** 12, 10 ** 12), st.floats(), texts,
                   ascii_texts, st.just(""), st.binary(max_size=3), st.booleans(),
                   st.just(GAP))


def _today(columns, rows, nullvalue, widths=()):
    """What the table format printed before grid.py: cells converted row by
    row, escaped, aligned and cut as table.py always did, drawn by tabulate."""
    texts = [tuple(map(terminal_text, row)) for row in text_rows(rows, nullvalue)]
    names = list(map(terminal_text, columns))
    align = []
    for i in range(len(columns)):
        kept = [row[i] for row in rows if row[i] is not None and row[i] is not GAP]
        align.append("right" if kept and all(map(is_number, kept)) else "left")
    cells = ([list(column) for column in zip(*texts, strict=True)] if texts
             else [[] for _ in columns])
    for i, width in enumerate(list(widths)[:len(columns)]):
        if width:
            size = abs(width)
            cells[i] = ["\n".join(p.rjust(size) if width < 0 else p.ljust(size) for p in
                                  [line[j:j + size] for line in text.split("\n")
                                   for j in range(0, max(len(line), 1), size)])
                        for text in cells[i]]
            name = names[i].split("\n")[0][:size]
            names[i] = name.rjust(size) if width < 0 else name.ljust(size)
            align[i] = "right" if width < 0 else "left"
    return tabulate_table(names, cells, align, "psql")


@SETTINGS
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.lists(texts, min_size=n, max_size=n),
    st.lists(st.lists(values, min_size=n, max_size=n).map(tuple), max_size=8),
    st.lists(st.integers(-6, 6), max_size=n + 1),
    st.sampled_from(["", "NULL", "∅", "\x07"]))))
def test_the_grid_is_what_tabulate_drew(case):
    names, rows, widths, nullvalue = case
    drawn = draw_table(names, rows, nullvalue, widths=widths)
    assert drawn == _today(names, rows, nullvalue, widths)


@SETTINGS
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.lists(st.one_of(texts, ascii_texts), min_size=n, max_size=n),
    st.lists(st.lists(st.one_of(texts, ascii_texts), min_size=n, max_size=n), max_size=6),
    st.lists(st.sampled_from(["left", "right"]), min_size=n, max_size=n))))
def test_draw_psql_is_tabulate_psql_on_any_cells(case):
    # Escaped or not, wide, combining or zero-width characters, line feeds,
    # empty cells, header only: the same bytes.
    names, rows, align = case
    names = [terminal_text(n) for n in names]
    columns = [[terminal_text(row[i]) for row in rows] for i in range(len(names))]
    assert draw_psql(names, columns, align) == tabulate_table(names, columns, align, "psql")


@pytest.mark.parametrize("rows", [
    [("a\n", "")], [("", ""), ("x\ny", "z")], [("\n\n", "")], [("", "\n")],
    [("漢\n字字", "e\u0301")], [("%d", "%%")], []])
def test_multiline_quirks_are_tabulates(rows):
    for names in (["a", "b"], ["", ""], ["n\n", "m\nm"]):
        columns = [[row[i] for row in rows] for i in range(2)]
        for align in (["left", "right"], ["right", "left"]):
            assert draw_psql(names, columns, align) == tabulate_table(names, columns, align,
                                                                      "psql")


def test_the_grid_as_it_looks():
    out = io.StringIO()
    renderer = make_renderer("table", out, ["id", "name", "漢字"], headers=False, nullvalue="")
    renderer.rows([(1, "alice", None), (22, "two\nlines", "é")])
    renderer.close()
    assert out.getvalue() == (
        "+----+-------+------+\n"
        "| id | name  | 漢字 |\n"
        "|----+-------+------|\n"
        "|  1 | alice |      |\n"
        "| 22 | two   | é    |\n"
        "|    | lines |      |\n"
        "+----+-------+------+\n")


def test_blocks_of_the_grid_are_tabulates():
    # 2,500 rows in odd batches: three blocks, each the table tabulate drew.
    rows = [(i, "x" * (1 + i // 1000), i * 0.5 if i % 3 else None) for i in range(2500)]
    out = io.StringIO()
    renderer = make_renderer("table", out, ["n", "s", "r"], headers=False, nullvalue="-")
    for start in range(0, 2500, 333):
        renderer.rows(rows[start:start + 333])
    renderer.close()
    expected = "".join(_today(["n", "s", "r"], rows[i:i + 1000], "-") + "\n"
                       for i in range(0, 2500, 1000))
    assert out.getvalue() == expected
    assert renderer.count == 2500


# -- tabulate's formats -----------------------------------------------------------

def test_the_one_table_of_formats():
    assert output.FORMATS == tuple(output.FORMAT_NOTES)
    assert output.FORMATS[:13] == ("table", "list", "csv", "json", "jsonl", "markdown",
                                   "line", "column", "box", "insert", "quote", "html",
                                   "ascii")
    import tabulate
    assert output.TABULATE_FORMATS <= set(tabulate.tabulate_formats)
    assert {"grid", "fancy_grid", "rounded_grid", "pipe", "orgtbl", "rst", "mediawiki",
            "latex", "textile", "simple", "plain", "github"} <= output.TABULATE_FORMATS
    assert not output.TABULATE_FORMATS & {"table", "html", "ascii", "list"}
    assert output.ALIASES["psql"] == "table"


@pytest.mark.parametrize("name", sorted(output.TABULATE_FORMATS))
def test_each_tabulate_format_is_tabulates_drawing(name):
    rows = [(1, "a\nb", None), (2.5, "漢", b"\x01"), (None, "x\x1by", "")]
    out = io.StringIO()
    renderer = make_renderer(name, out, ["n", "s", "b"], headers=False, nullvalue="NULL")
    assert isinstance(renderer, TableRenderer)
    renderer.rows(rows)
    renderer.close()
    cells = table_cells(["n", "s", "b"], rows, "NULL")
    assert out.getvalue() == tabulate_table(*cells, name) + "\n"
    assert cells[2] == ["right", "left", "left"]
    assert "\x1b" not in out.getvalue()
    assert "x1B" in out.getvalue()                  # \x1B (latex: \textbackslash{}x1B)
    assert output.resolve_format(name.upper()) == name
    assert output.describe_format(name) == f"current output mode: {name}"


def test_grid_exactly_and_its_width():
    out = io.StringIO()
    renderer = make_renderer("grid", out, ["n", "name"], headers=False, nullvalue="",
                             widths=[0, -6])
    renderer.rows([(1, "ab"), (10, None)])
    renderer.close()
    assert out.getvalue() == ("+----+--------+\n"
                              "|  n |   name |\n"
                              "+====+========+\n"
                              "|  1 |     ab |\n"
                              "+----+--------+\n"
                              "| 10 |        |\n"
                              "+----+--------+\n")


def test_tabulate_formats_print_nothing_for_no_rows():
    for name in output.TABULATE_FORMATS:
        out = io.StringIO()
        make_renderer(name, out, ["a"], headers=True, nullvalue="").close()
        assert out.getvalue() == ""


def test_table_never_imports_tabulate_nor_wcwidth_for_ascii():
    code = ("import io, sys\n"
            "from dqlite_shell.shell.output import make_renderer\n"
            "r = make_renderer('table', io.StringIO(), ['a'], headers=True, nullvalue='')\n"
            "r.rows([(1,), ('x',)]); r.close()\n"
            "assert not {'tabulate', 'wcwidth'} & set(sys.modules), sys.modules\n"
            "r = make_renderer('table', io.StringIO(), ['a'], headers=True, nullvalue='')\n"
            "r.rows([('漢',)]); r.close()\n"
            "assert 'wcwidth' in sys.modules and 'tabulate' not in sys.modules\n"
            "r = make_renderer('grid', io.StringIO(), ['a'], headers=True, nullvalue='')\n"
            "r.rows([(1,)]); r.close()\n"
            "assert 'tabulate' in sys.modules\n")
    done = run_python(code, check=False)
    assert done.returncode == 0, done.stderr


# -- .mode, .help, completion, --format -------------------------------------------

def test_mode_takes_tabulate_formats_and_help_lists_them(shell):
    state = shell(["127.0.0.1:1"])
    run_command(state, ".mode fancy_grid")
    assert state.settings.mode == "fancy_grid"
    assert run_command(state, ".mode") == "current output mode: fancy_grid\n"
    run_command(state, ".mode PSQL")
    assert state.settings.mode == "table"
    text = run_command(state, ".help .mode")
    for name, note in output.FORMAT_NOTES.items():
        assert f"\n{name} " in text and note in text
    assert "\npsql " in text and "{formats}" not in text


def test_repl_completion_offers_tabulate_formats(shell):
    from prompt_toolkit.document import Document

    from dqlite_shell.shell.completion import ShellCompleter
    completer = ShellCompleter(None, list(output.FORMATS) + sorted(output.ALIASES))
    words = {c.text for c in completer.get_completions(Document(".mode fan"), None)}
    assert words == {"fancy_grid"}
    words = {c.text for c in completer.get_completions(Document(".mode ro"), None)}
    assert words == {"rounded_grid"}


def test_format_option_draws_tabulate_formats(dqlite, node):
    result = dqlite("-s", node.address, "-f", "rounded_grid", "-c",
                    "SELECT 1 AS n, 'é' AS s UNION ALL SELECT 20, NULL")
    assert result.status == 0, result
    assert result.out == ("╭────┬───╮\n"
                          "│  n │ s │\n"
                          "├────┼───┤\n"
                          "│  1 │ é │\n"
                          "├────┼───┤\n"
                          "│ 20 │   │\n"
                          "╰────┴───╯\n")
    result = dqlite("-s", node.address, "-f", "grids", "-c", "SELECT 1")
    assert result.status != 0 and "grids" in result.err and "rounded_grid" in result.err
    assert "Traceback" not in result.err


def test_table_through_the_command_is_tabulates(dqlite, node):
    select = ("SELECT 1 AS id, 'two\nlines' AS s, 2.5 AS r, NULL AS z "
              "UNION ALL SELECT 300, '漢字', -1e300, x'00ff'")
    result = dqlite("-s", node.address, "-f", "table", "-c", select)
    assert result.status == 0, result
    rows = [(1, "two\nlines", 2.5, None), (300, "漢字", -1e300, b"\x00\xff")]
    assert result.out == _today(["id", "s", "r", "z"], rows, "") + "\n"


def test_the_man_page_names_every_format():
    import os
    import re
    page = os.path.join(os.path.dirname(__file__), "..", "..", "man", "dqlite.1")
    with open(page, encoding="utf-8") as f:
        text = f.read()
    named = set(re.findall(r"^\.BR? (\w+)", text, re.MULTILINE))
    assert set(output.FORMATS) | set(output.ALIASES) <= named
