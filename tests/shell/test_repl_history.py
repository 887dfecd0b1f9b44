"""The REPL's history (failed statements kept and marked, a multi-line
statement one entry, Up/Down a statement at a time, .history) and its
editing keys (.keys, the keys key): pty tests with pexpect against a real
node, and unit tests of the history file."""

import os
import re

from prompt_toolkit.history import FileHistory

from dqlite_shell.shell.history import StatementHistory, read_entries, trim
from tests.support.repl import leave, prompt

UP, DOWN, ESCAPE = "\x1b[A", "\x1b[B", "\x1b"


def _history_file(tmp_path):
    return tmp_path / "state" / "dqlite" / "history"


def _write_history(tmp_path, *entries: str) -> None:
    """A history file as prompt_toolkit's FileHistory writes it."""
    path = _history_file(tmp_path)
    path.parent.mkdir(parents=True)
    history = FileHistory(str(path))
    for entry in entries:
        history.store_string(entry)


def _line(text: str) -> str:
    """A regex for output line ``text`` (after the prompt's own escape codes)."""
    return r"(?:\n|\x1b\[\?2004l)" + re.escape(text) + r"\r\n"


def test_failed_statements_are_kept_marked_and_a_multi_line_one_is_one_entry(
        repl, node, tmp_path):
    child = repl("-s", node.address, "-f", "list")
    child.expect(prompt(node.address))
    child.send("SELECT 'a',\r")
    child.expect(r"\.\.\.>")
    child.send("'b';\r")
    child.expect(r"a\|b\r\n")
    child.send("SELECT nope;\r")
    child.expect("error: no such column: nope")
    child.expect(prompt(node.address))
    child.send(".history\r")
    child.expect(re.escape("  1   SELECT 'a',\r\n      'b';\r\n  2 ! SELECT nope;\r\n"
                           "  3   .history\r\n"))
    child.expect(prompt(node.address))
    child.send(".history 1\r")
    child.expect(_line("  4   .history 1"))
    child.send(".history x\r")
    child.expect(re.escape("error: usage: .history [N|all] ('x' is not a number of entries)"))
    leave(child)
    text = _history_file(tmp_path).read_text()
    assert re.search(r"\n# [0-9-]+ [0-9:.]+\n\+SELECT 'a',\n\+'b';\n", text), text
    assert re.search(r"\n# [0-9-]+ [0-9:.]+ failed\n\+SELECT nope;\n", text), text
    assert re.search(r"\n# [0-9-]+ [0-9:.]+ failed\n\+\.history x\n", text), text
    # prompt_toolkit still reads the file: the marks are in its comment lines.
    assert list(FileHistory(str(_history_file(tmp_path))).load_history_strings())[-2:] == [
        "SELECT nope;", "SELECT 'a',\n'b';"]


def test_without_a_history_file_history_lists_this_sessions_entries(repl, node, tmp_path):
    _write_history(tmp_path, "SELECT 'from the file';")
    child = repl("-s", node.address, "-f", "list", "--no-history")
    child.expect(prompt(node.address))
    child.send("SELECT nope;\r")
    child.expect("error: no such column: nope")
    child.send(".history all\r")
    child.expect(_line("  1 ! SELECT nope;") + re.escape("  2   .history all\r\n"))
    leave(child)
    assert "nope" not in _history_file(tmp_path).read_text()


def test_up_and_down_walk_recalled_statements_not_their_lines(repl, node, tmp_path):
    _write_history(tmp_path, "SELECT 'one';", "SELECT 'two',\n'2';", "SELECT 'three',\n'3';")
    child = repl("-s", node.address, "-f", "list")
    child.expect(prompt(node.address))
    # The screen is redrawn by differences: the keys are sent, the result awaited.
    child.send(UP)
    child.send(UP)  # the statement before, not the first line of this one
    child.send("\r")
    child.expect(r"two\|2\r\n")
    child.expect(prompt(node.address))
    # The history is now one, two, three, two: Up x3 is the first two, Down three.
    child.send(UP + UP + UP + DOWN)
    child.send("\r")
    child.expect(r"three\|3\r\n")
    child.expect(prompt(node.address))
    # Down past the newest entry: the empty input again.
    child.send(UP + DOWN)
    child.send("SELECT 'fresh';\r")
    child.expect(_line("fresh"))
    leave(child)


def test_arrows_move_between_the_lines_of_a_statement_being_typed(repl, node, tmp_path):
    _write_history(tmp_path, "SELECT 'from history';")
    child = repl("-s", node.address, "-f", "list")
    child.expect(prompt(node.address))
    child.send("SELECT 'a'\r")  # not complete: a second line
    child.expect(r"\.\.\.>")
    child.send(", 'b'")
    child.send(UP)  # to the first line, not to the history
    child.sendcontrol("e")
    child.send(", 'c'")
    child.send(DOWN)  # back to the second line
    child.sendcontrol("e")
    child.send(";\r")
    child.expect(r"a\|c\|b\r\n")
    leave(child)


def test_keys_vi_from_the_config_file_and_dot_keys_switches_at_once(repl, node, tmp_path):
    config = tmp_path / "config" / "dqlite"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('keys = "vi"\n')
    child = repl("-s", node.address, "-f", "list")
    child.expect(prompt(node.address))
    child.send(".keys\r")
    child.expect(_line("vi"))
    child.expect(prompt(node.address))
    # vi: Escape to normal mode, two left, replace the character.
    child.send("SELECT 'vi' || 'Q';")
    child.expect_exact("'Q';")
    child.send(ESCAPE)
    child.send("hh")
    child.send("rZ")
    child.send("\r")
    child.expect(_line("viZ"))
    child.expect(prompt(node.address))
    child.send(".keys emacs\r")
    child.expect(prompt(node.address))
    # Emacs: Ctrl-A goes to the start of the line.
    child.send("'Q';")
    child.expect_exact("'Q';")
    child.sendcontrol("a")
    child.send("SELECT 'e' || \r")
    child.expect(_line("eQ"))
    child.send(".keys ed\r")
    child.expect(re.escape("error: usage: .keys [emacs|vi] ('ed': the keys are emacs or vi)"))
    leave(child)


def test_history_and_a_bad_keys_key_outside_the_repl(dqlite, tmp_path):
    run = dqlite("-s", "127.0.0.1:1", "-c", ".history")
    assert run.status == 1 and run.out == ""
    assert run.err == ("<command>:1: error: no history here: .history lists what was typed "
                       "at the interactive prompt (scripts and -c have none)\n")
    config = tmp_path / "dqlite"
    config.mkdir()
    (config / "config.toml").write_text('keys = "ed"\n')
    run = dqlite("-c", "SELECT 1", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert (run.status, run.err) == (
        2, f"dqlite: error: {config / 'config.toml'}:1: keys: 'ed' is not one of emacs, vi\n")


# -- the history file ------------------------------------------------------------------


def test_an_entry_is_written_once_settled_with_its_outcome(tmp_path):
    path = str(tmp_path / "history")
    open(path, "w").close()
    history = StatementHistory(path)
    assert history.entries() == []
    history.append_string("SELECT 1;")
    assert open(path).read() == ""  # not run yet
    assert history.settle(False) is None
    history.append_string("SELECT\nnope;")
    history.settle(True)
    assert history.settle(True) is None  # nothing pending: nothing written
    assert [(e.text, e.failed) for e in read_entries(path)] == [
        ("SELECT 1;", False), ("SELECT\nnope;", True)]
    again = StatementHistory(path)
    again.append_string("SELECT 2;")
    assert [(e.text, e.failed) for e in again.entries()] == [
        ("SELECT 1;", False), ("SELECT\nnope;", True), ("SELECT 2;", False)]
    # A file that cannot be written: one line, and the history stays in memory.
    os.remove(path)
    os.mkdir(path)  # not writable as a file, even by root
    problem = again.settle(True)
    assert problem.startswith(f"cannot write the history file {path}: ")
    again.append_string("SELECT 3;")
    assert again.settle(False) is None
    assert [e.text for e in again.entries()][-2:] == ["SELECT 2;", "SELECT 3;"]


def test_the_file_keeps_the_last_entries_once_it_has_a_tenth_more(tmp_path):
    path = str(tmp_path / "history")
    open(path, "w").close()
    history = StatementHistory(path)
    for i in range(22):
        history.append_string(f"SELECT {i}\n  AS n;")
        history.settle(i % 5 == 0)
    trim(path, 20)  # 22 is not a tenth more than 20
    assert len(read_entries(path)) == 22
    history.append_string("SELECT 22;")
    history.settle(False)
    trim(path, 20)
    kept = read_entries(path)
    assert [(e.text, e.failed) for e in kept] == [
        (f"SELECT {i}\n  AS n;" if i < 22 else "SELECT 22;", i % 5 == 0 and i < 22)
        for i in range(3, 23)]
    assert os.stat(path).st_mode & 0o777 == 0o600
    # prompt_toolkit's own files (older shells) are trimmed the same way.
    _write_history(tmp_path, *(f"SELECT {i};" for i in range(40)))
    trim(str(_history_file(tmp_path)), 20)
    assert [e.text for e in read_entries(str(_history_file(tmp_path)))] == [
        f"SELECT {i};" for i in range(20, 40)]
