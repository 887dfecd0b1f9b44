"""Ctrl-X Ctrl-E, .edit, .fav and .watch in a real pseudo-terminal (pexpect),
against a real node (the commands without a terminal: test_reuse.py)."""


import pytest

from dqlite_shell.shell.commands.reuse import CLEAR_SCREEN
from tests.support.repl import leave, prompt


@pytest.fixture
def editor(tmp_path):
    """``editor(sed_expression)``: an $EDITOR that keeps a copy of the file it
    was given (``seen``) and edits it with ``sed -i``; None: it exits 1."""
    seen = tmp_path / "seen.sql"

    def make(expression):
        path = tmp_path / "editor.sh"
        action = f"sed -i '{expression}' \"$1\"" if expression else "exit 1"
        path.write_text(f"#!/bin/sh\ncp \"$1\" '{seen}'\n{action}\n")
        path.chmod(0o700)
        return {"EDITOR": str(path), "VISUAL": ""}
    make.seen = seen
    return make


def test_ctrl_x_ctrl_e_runs_what_the_editor_leaves(repl, node, editor, tmp_path):
    child = repl("-s", node.address, env=editor("s/40 + 1/40 + 2/"))
    child.expect(prompt(node.address))
    child.send("SELECT 40 + 1 AS answer;")
    child.expect_exact("AS answer;")
    child.sendcontrol("x")
    child.sendcontrol("e")
    child.expect(r"\| *42 *\|")  # the edited statement ran, without Enter
    child.expect(prompt(node.address))
    assert editor.seen.read_text() == "SELECT 40 + 1 AS answer;\n"
    leave(child)
    history = (tmp_path / "state" / "dqlite" / "history").read_text()
    assert "+SELECT 40 + 2 AS answer;" in history  # what ran, not what was typed


def test_a_failed_edit_keeps_the_input_and_says_so(repl, node, editor):
    child = repl("-s", node.address, env=editor(None))
    child.expect(prompt(node.address))
    child.send("SELECT 6 * 7 AS product")
    child.expect_exact("AS product")
    child.sendcontrol("x")
    child.sendcontrol("e")
    child.expect_exact("the editor editor.sh exited with status 1: the input is unchanged")
    child.send(";\r")  # the input is still there: finish it and run it
    child.expect(r"\| *42 *\|")
    leave(child)


def test_edit_runs_the_last_statement_as_edited(repl, node, editor):
    child = repl("-s", node.address, env=editor("s/40 + 1/40 + 2/"))
    child.expect(prompt(node.address))
    child.send("SELECT 40 + 1 AS answer;\r")
    child.expect(r"\| *41 *\|")
    child.expect(prompt(node.address))
    child.send(".edit\r")
    child.expect(r"\| *42 *\|")
    child.expect(prompt(node.address))
    assert editor.seen.read_text() == "SELECT 40 + 1 AS answer;\n"
    leave(child)


def test_watch_clears_the_screen_and_ctrl_c_ends_it(repl, node):
    child = repl("-s", node.address, "-f", "list")
    child.expect(prompt(node.address))
    child.send(".watch 0.3 SELECT 6 * 7;\r")
    for _ in range(2):
        child.expect_exact(CLEAR_SCREEN)
        child.expect(r"Every 0\.3s: SELECT 6 \* 7;  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\r\n\r\n")
        child.expect_exact("42\r\n\r\n")  # the run is over: the watch sleeps
    child.sendcontrol("c")
    child.expect(prompt(node.address))
    assert "Interrupted" not in child.before and "error" not in child.before
    leave(child)


def test_a_destructive_favourite_asks_first(repl, node, tmp_path):
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    child.send("CREATE TABLE t (a); INSERT INTO t VALUES (1), (2);\r")
    child.expect(prompt(node.address))
    child.send(".fav save wipe DELETE FROM t;\r")
    child.expect(prompt(node.address))
    child.send(".fav wipe\r")
    child.expect_exact("DELETE without WHERE")
    child.expect_exact("Do you want to proceed? [y/N]:")
    child.send("n\r")
    child.expect_exact("Not run.")
    child.expect(prompt(node.address))
    child.send("SELECT count(*) AS n FROM t;\r")
    child.expect(r"\| *2 *\|")
    assert "wipe" in (tmp_path / "config" / "dqlite" / "favorites.toml").read_text()
    leave(child)
