"""Results that fit the screen, in a real pseudo-terminal against a real node:
auto-expanded output, \\G, .maxrows, .last, long cells cut, .pager auto and
the config keys (which scripts ignore)."""

import functools
import re

import pexpect
import pytest

from tests.support.repl import prompt

HUNDRED = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 100) "
           "SELECT x AS n FROM c;")
PAGER = "sed 's/^/PAGED:/'"


@pytest.fixture
def repl(repl):
    """The shell in a terminal of 24x80 unless a test says otherwise."""
    return functools.partial(repl, dimensions=(24, 80))


_marks = iter(range(1, 1000))


def run(child, address, line):
    """Type ``line``, then a ``.print`` of a mark; what was shown before the
    mark (the prompt is redrawn while typing: it cannot tell the end)."""
    mark = f"done {next(_marks)}"
    child.send(line + "\r")
    child.send(f".print {mark}\r")
    child.expect(f"(?<!print ){mark}\r\n")  # not the echo of what was typed
    shown = child.before.replace("\r\n", "\n")
    child.expect(prompt(address))
    return shown


def leave(child) -> None:
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_a_wide_result_is_expanded_and_a_narrow_one_is_a_table(repl, node):
    child = repl("-s", node.address, dimensions=(24, 60))
    child.expect(prompt(node.address))
    child.send("SELECT 1 AS id, printf('%.50c', 'w') AS wide, 'x' AS other;\r")
    child.expect(r"-\[ RECORD 1 \]-+\r\nid    \| 1\r\nwide  \| w{50}\r\nother \| x\r\n")
    child.expect(prompt(node.address))
    child.send("SELECT 2 AS id, 'narrow' AS t;\r")
    child.expect(r"\| +id \| t +\|\r\n")
    child.expect(prompt(node.address))
    child.send(".expanded off\r")
    child.expect(prompt(node.address))
    child.send("SELECT 3 AS id, printf('%.50c', 'v') AS wide, 'x' AS other;\r")
    child.expect(r"\| +3 \| v{50} \| x +\|")  # wider than the screen: off means off
    child.expect(prompt(node.address))
    leave(child)


def test_backslash_g_shows_one_result_expanded(repl, node):
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    child.send("SELECT 'a;b' AS one,\r")  # Enter on an incomplete line: a new line
    child.expect(r"\.\.\.>")
    child.send("  2 AS two\\G\r")  # Enter runs it: \G ends the statement
    child.expect(r"-\[ RECORD 1 \]-+\r\none \| a;b\r\ntwo \| 2\r\n")
    child.expect(prompt(node.address))
    child.send("SELECT 3 AS three;\r")  # once only
    child.expect(r"\| +three \|\r\n")
    child.expect(prompt(node.address))
    leave(child)


def test_maxrows_auto_shows_first_and_last_rows_and_last_shows_them_all(repl, node):
    child = repl("-s", node.address, env={"PAGER": PAGER}, dimensions=(24, 80))
    child.expect(prompt(node.address))
    shown = run(child, node.address, HUNDRED)
    assert "(100 rows, 18 shown)" in shown
    assert re.search(r"^\|\s+9 \|$", shown, re.M) and re.search(r"^\|\s+100 \|$", shown, re.M)
    assert not re.search(r"^\|\s+(10|50|91) \|$", shown, re.M)
    again = run(child, node.address, ".last")
    paged = re.findall(r"^PAGED:\|\s+(\d+) \|$", again, re.M)
    assert paged == [str(i) for i in range(1, 101)]  # every row, through the pager
    run(child, node.address, ".maxrows 4")
    shown = run(child, node.address, HUNDRED)
    assert "(100 rows, 4 shown)" in shown
    assert re.findall(r"^\|\s+(\d+) \|$", shown, re.M) == ["1", "2", "99", "100"]
    leave(child)


def test_long_cells_are_cut_and_width_overrides(repl, node):
    child = repl("-s", node.address, dimensions=(24, 100))
    child.expect(prompt(node.address))
    shown = run(child, node.address, "SELECT printf('%.80c', 'q') AS q, '日本語' AS j;")
    assert "| " + "q" * 59 + "… | 日本語 |" in shown
    run(child, node.address, ".width 80")
    shown = run(child, node.address, "SELECT printf('%.80c', 'q') AS q, '日本語' AS j;")
    assert "| " + "q" * 80 + " | 日本語 |" in shown
    leave(child)


def test_pager_auto_pages_only_what_does_not_fit(repl, node):
    child = repl("-s", node.address, env={"PAGER": PAGER}, dimensions=(24, 80))
    child.expect(prompt(node.address))
    run(child, node.address, ".pager auto")
    run(child, node.address, ".maxrows 0")
    shown = run(child, node.address, "SELECT 'fits' AS small;")
    assert "| fits  |" in shown and "PAGED" not in shown
    shown = run(child, node.address, HUNDRED)
    assert re.findall(r"^PAGED:\|\s+(\d+) \|$", shown, re.M) == [str(i) for i in range(1, 101)]
    leave(child)


def test_config_keys_set_the_repl_and_scripts_ignore_them(repl, node, tmp_path, dqlite):
    (tmp_path / "config" / "dqlite").mkdir(parents=True)
    (tmp_path / "config" / "dqlite" / "config.toml").write_text(
        'maxrows = 2\nexpanded = "on"\nformat = "table"\n')
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    shown = run(child, node.address, HUNDRED)
    assert "(100 rows, 2 shown)" in shown
    assert re.findall(r"-\[ RECORD (\d+) \]", shown) == ["1", "100"]
    leave(child)
    with_config = dqlite("-s", node.address, "-c", HUNDRED,
                         env={"XDG_CONFIG_HOME": str(tmp_path / "config")})
    without = dqlite("-s", node.address, "-f", "table", "-c", HUNDRED)
    assert with_config.status == without.status == 0
    assert with_config.out == without.out and with_config.out.count("\n") == 104


def test_a_script_sends_backslash_g_as_written(node, dqlite):
    result = dqlite("-s", node.address, stdin="SELECT 1\\G;\n")
    assert result.status == 1
    assert result.err.startswith("<stdin>:1: error: ") and "\\" in result.err


def test_box_escapes_control_characters_when_drawn_for_the_terminal(repl, node):
    """The grids are drawn into a buffer first (to measure them): still for a terminal."""
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    run(child, node.address, ".mode box")
    shown = run(child, node.address, "SELECT 'a' || char(155) || 'b' AS c1;")
    assert "│ a\\u009Bb │" in shown and "\x9b" not in shown  # C1 CSI, escaped
    leave(child)
