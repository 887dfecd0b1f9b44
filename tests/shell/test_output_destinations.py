"""Where results go, through the real ``dqlite`` command on a real node:
``.once`` (a file, ``|COMMAND``), ``.output '|COMMAND'``, and ``.print``,
``.show`` and ``.databases``; Debian's ``sqlite3`` 3.40 is the oracle where
the two shells can do the same thing (bytes compared)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.shell.conftest import run_dqlite
from tests.support.sqlite3_cli import needs_sqlite3

#: A statement whose result is far larger than a pipe holds (~600 kB).
MANY_ROWS = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) "
             "SELECT x FROM c;")


def both(address: str, script: str, cwd) -> tuple[tuple[int, bytes, bytes], bytes]:
    """Run ``script`` with ``dqlite`` (on the node, in ``cwd``) and with
    ``sqlite3`` (in memory, in ``cwd/sqlite3``): ours (status, stdout,
    stderr) and sqlite3's stdout, as bytes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = os.path.join(os.path.dirname(__file__), "no-such-config")
    ours = subprocess.run([sys.executable, "-m", "dqlite_shell", "-s", address],
                          input=script.encode(), capture_output=True, timeout=60, env=env,
                          cwd=cwd)
    oracle_dir = cwd / "sqlite3"
    oracle_dir.mkdir(exist_ok=True)
    oracle = subprocess.run(["sqlite3", ":memory:"], input=script.encode(),
                            capture_output=True, timeout=60, cwd=oracle_dir)
    assert oracle.returncode == 0 and not oracle.stderr, oracle
    return (ours.returncode, ours.stdout, ours.stderr), oracle.stdout


def one_error_line(err: str, pattern: str) -> None:
    """``err`` is exactly one line, matching ``pattern``, and no traceback."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and re.fullmatch(pattern, lines[0]), err


# -- .once and .output to files and commands, as sqlite3 ---------------------------------

@needs_sqlite3
@pytest.mark.parametrize("script", [
    # .once takes the next statement only; then stdout again
    ".once once.txt\nSELECT 1;\nSELECT 2;\n",
    # ... or the next dot-command
    ".once once.txt\n.print hi\n.print ho\n",
    # a second .once replaces the first (which stays empty)
    ".once first.txt\n.once once.txt\nSELECT 1;\nSELECT 2;\n",
    # .output until the next .output; .once inside it, then stdout
    ".output out.txt\nSELECT 1;\n.once once.txt\nSELECT 2;\nSELECT 3;\n.output\nSELECT 4;\n",
    # a pipe: the command's output comes before what follows
    ".once '|sed s/^/piped:/'\nSELECT 1;\nSELECT 'after';\n",
    ".once |sed s/^/piped:/\nSELECT 1;\nSELECT 'after';\n",
    ".output '|sort -r'\nSELECT 1;\nSELECT 3;\nSELECT 2;\n.output\nSELECT 'after';\n",
    ".output |cat -n\nSELECT 1;\n.print two\n.output stdout\nSELECT 'after';\n",
])
def test_destinations_like_sqlite3(node, tmp_path, script):
    (status, out, err), expected = both(node.address, script, tmp_path)
    assert (status, err) == (0, b""), (out, err)
    assert out == expected
    for name in ("once.txt", "out.txt", "first.txt"):
        ours, theirs = tmp_path / name, tmp_path / "sqlite3" / name
        assert ours.exists() == theirs.exists(), name
        if ours.exists():
            assert ours.read_bytes() == theirs.read_bytes(), name
    assert (tmp_path / "once.txt").exists() or "|" in script


def test_once_covers_a_whole_read_script(node, tmp_path):
    (tmp_path / "part.sql").write_text("SELECT 'a';\n.print b\nSELECT 'c';\n")
    run = run_dqlite("-s", node.address, cwd=tmp_path,
                     stdin=".once all.txt\n.read part.sql\nSELECT 'after';\n")
    assert (run.status, run.err, run.out) == (0, "", "after\n"), run
    assert (tmp_path / "all.txt").read_text() == "a\nb\nc\n"


def test_once_at_the_end_of_a_read_script_ends_with_it(node, tmp_path):
    (tmp_path / "part.sql").write_text("SELECT 'a';\n.once never.txt\n")
    run = run_dqlite("-s", node.address, cwd=tmp_path,
                     stdin=".read part.sql\nSELECT 'after';\n")
    assert (run.status, run.err, run.out) == (0, "", "a\nafter\n"), run
    assert (tmp_path / "never.txt").read_text() == ""


def test_once_and_output_with_a_bom(node, tmp_path):
    run = run_dqlite("-s", node.address, cwd=tmp_path,
                     stdin=".once --bom b.txt\nSELECT 'x';\n.output o.txt --bom\n.print y\n")
    assert (run.status, run.err, run.out) == (0, "", ""), run
    assert (tmp_path / "b.txt").read_bytes() == b"\xef\xbb\xbfx\n"
    assert (tmp_path / "o.txt").read_bytes() == b"\xef\xbb\xbfy\n"


def test_once_pipe_with_several_commands_runs_each_to_its_end(node, tmp_path):
    # Each command has finished (its file written) when the next statement runs.
    script = "".join(f".once '|cat > {i}.txt'\nSELECT {i};\n.print {i}-done\n"
                     for i in range(3))
    run = run_dqlite("-s", node.address, cwd=tmp_path, stdin=script)
    assert (run.status, run.err) == (0, ""), run
    assert run.out == "0-done\n1-done\n2-done\n"
    assert [(tmp_path / f"{i}.txt").read_text() for i in range(3)] == ["0\n", "1\n", "2\n"]


# -- commands that fail or stop reading -----------------------------------------------

@pytest.mark.parametrize("command", [".once", ".output"])
def test_a_failing_command_is_one_error_line_with_its_status(node, command):
    run = run_dqlite("-s", node.address, "--keep-going",
                     stdin=f"{command} '|exit 3'\nSELECT 1;\n.output\nSELECT 'after';\n")
    assert run.status == 1, run
    one_error_line(run.err, r"<stdin>:(2|3): error: the output command 'exit 3' exited with "
                            r"status 3( before reading all the results)?(; results go to "
                            r"stdout again)?")
    assert run.out == "after\n"


def test_a_command_that_is_not_found_says_status_127(node):
    run = run_dqlite("-s", node.address, stdin=".once '|no-such-command-xyz'\nSELECT 1;\n")
    assert run.status == 1, run
    assert "Traceback" not in run.err
    assert re.search(r"^<stdin>:2: error: the output command 'no-such-command-xyz' exited "
                     r"with status 127", run.err, re.M), run
    assert run.out == ""


def test_a_command_that_stops_reading_stops_the_result_in_one_line(node):
    run = run_dqlite("-s", node.address, "--keep-going",
                     stdin=f".once '|head -2'\n{MANY_ROWS}\nSELECT 'after';\n")
    assert run.status == 1, run
    one_error_line(run.err, r"<stdin>:2: error: the output command 'head -2' stopped reading "
                            r"the results before their end")
    assert run.out == "1\n2\nafter\n"


def test_output_to_a_command_that_stops_reading_goes_back_to_stdout(node):
    run = run_dqlite("-s", node.address, "--keep-going",
                     stdin=f".output |head -1\n{MANY_ROWS}\nSELECT 'after';\n.show\n")
    assert run.status == 1, run
    one_error_line(run.err, r"<stdin>:2: error: the output command 'head -1' stopped reading "
                            r"the results before their end; results go to stdout again")
    assert run.out.startswith("1\nafter\n")
    assert "      output: stdout\n" in run.out


def test_bail_stops_the_script_at_a_failed_command(node):
    run = run_dqlite("-s", node.address, stdin=f".once '|head -1'\n{MANY_ROWS}\nSELECT 'no';\n")
    assert run.status == 1 and run.out == "1\n", run
    assert "no" not in run.out


def test_a_pipe_left_open_is_closed_at_the_end_and_its_failure_counts(node, tmp_path):
    run = run_dqlite("-s", node.address, stdin=".output '|cat > left.txt; exit 5'\nSELECT 7;\n",
                     cwd=tmp_path)
    assert run.status == 1, run
    one_error_line(run.err, r"<stdin>: error: the output command 'cat > left.txt; exit 5' "
                            r"exited with status 5")
    assert (tmp_path / "left.txt").read_text() == "7\n"
    run = run_dqlite("-s", node.address, "-c", ".output '|cat > ok.txt'", "-c", "SELECT 8",
                     cwd=tmp_path)
    assert (run.status, run.err, run.out) == (0, "", ""), run
    assert (tmp_path / "ok.txt").read_text() == "8\n"


@pytest.mark.parametrize("line, message", [
    (".once -x", r"\.once -x is not supported: the shell opens no a spreadsheet.*"),
    (".once -e", r"\.once -e is not supported: the shell opens no a text editor.*"),
    (".output -x", r"\.output -x is not supported.*"),
    (".once", r"usage: \.once \[--bom\] FILE\|'\|COMMAND'"),
    (".once a b", r"usage: \.once .*"),
    (".once --nope f", r"usage: \.once .* \(unknown option --nope\)"),
    (".once '|'", r"no command after '\|'"),
    (".once /no/such/dir/f", r"cannot write /no/such/dir/f: No such file or directory"),
])
def test_bad_arguments_are_one_line_and_change_nothing(node, line, message):
    run = run_dqlite("-s", node.address, stdin=f"{line}\n")
    assert (run.status, run.out) == (1, ""), run
    one_error_line(run.err, f"<stdin>:1: error: {message}")
    run = run_dqlite("-s", node.address, "--keep-going", stdin=f"{line}\nSELECT 'still';\n")
    assert run.out == "still\n", run


# -- .print, .show, .databases --------------------------------------------------------

@needs_sqlite3
def test_print_like_sqlite3(node, tmp_path):
    script = (".print one  two 'three  four' \"five\"\n.print\n.print é ' '\n"
              ".once p.txt\n.print to the file\n.print back\n")
    (status, out, err), expected = both(node.address, script, tmp_path)
    assert (status, err) == (0, b"") and out == expected == b"one two three  four five\n\n" \
        b"\xc3\xa9  \nback\n", (out, expected)
    assert (tmp_path / "p.txt").read_bytes() == (tmp_path / "sqlite3" / "p.txt").read_bytes()


SHARED = ("headers", "mode", "nullvalue", "output", "colseparator", "rowseparator", "width")


def shown(text: str) -> dict[str, str]:
    """``.show``'s lines: name -> the whole line."""
    return {line.split(":", 1)[0].strip(): line for line in text.splitlines()}


@needs_sqlite3
def test_show_lays_out_what_sqlite3_shows(node, tmp_path):
    null = 'é\t"x\\ \x01'  # escaped as sqlite3 escapes: octal for UTF-8 and control bytes
    script = (f".headers on\n.nullvalue '{null}'\n.show\n"
              ".output shown.txt\n.show\n.output\n")
    (status, out, err), expected = both(node.address, script, tmp_path)
    assert (status, err) == (0, b""), (out, err)
    ours, theirs = shown(out.decode()), shown(expected.decode())
    for name in SHARED:
        assert ours[name] == theirs[name], name
    assert ours["nullvalue"] == r'   nullvalue: "\303\251\t\"x\\ \001"'
    assert ours["width"] == "       width: "
    in_file = shown((tmp_path / "shown.txt").read_text())
    assert in_file["output"] == shown((tmp_path / "sqlite3" / "shown.txt").read_text())["output"]
    assert in_file["output"] == "      output: shown.txt"


def test_show_adds_the_shells_own_settings(node):
    run = run_dqlite("-s", node.address, "--keep-going", "-c", ".show", "-c", "SELECT 1",
                     "-c", ".timeout 250", "-c", ".timer on", "-c", ".blob auto", "-c", ".show")
    assert (run.status, run.err) == (0, ""), run
    before, after = run.out.split("\n1\n", 1)  # (a port may end in 1: split at a line)
    assert before.endswith(f"    database: db\n     servers: {node.address}")
    assert "leader" not in before  # not connected yet
    lines = after.splitlines()
    assert lines[lines.index("        blob: auto"):] == [
        "        blob: auto", "       timer: on", "     changes: off", "        bail: off",
        "       pager: off", "    expanded: off", "     maxrows: 0", "        keys: emacs",
        "     timeout: 250", "    database: db",
        f"      leader: {node.address}", f"     servers: {node.address}"]
    assert all(re.fullmatch(r" *[a-z]+: .*", line) and line.index(":") == 12 for line in lines)


def test_databases_names_the_current_one(node):
    # (dqlite 1.13 and later allow no ATTACH: temp is the one other database.)
    run = run_dqlite("-s", node.address, "-c", ".databases", "-c", "CREATE TEMP TABLE tt (x)",
                     "-c", ".databases", "-c", ".open other", "-c", ".databases")
    assert (run.status, run.err) == (0, ""), run
    assert run.out == ("main: db r/w (current)\n"
                       "main: db r/w (current)\ntemp: \"\" r/w\n"
                       "main: other r/w (current)\n")
    run = run_dqlite("-s", node.address, "--read-only", "-c", ".databases")
    assert (run.status, run.err, run.out) == (0, "", "main: db r/o (current)\n"), run


@needs_sqlite3
def test_databases_lines_are_sqlite3s(node, tmp_path):
    script = "CREATE TEMP TABLE tt (x);\n.databases\n"
    (status, out, err), expected = both(node.address, script, tmp_path)
    assert (status, err) == (0, b""), (out, err)
    assert out.splitlines()[1:] == expected.splitlines()[1:] == [b'temp: "" r/w']
    assert expected.splitlines()[0] == b'main: "" r/w'  # sqlite3's :memory: has no file


# -- the REPL: a pipe is not paged, and the prompt comes after the command ----------------

def test_repl_once_pipe_is_not_paged_and_waited_for(node, tmp_path):
    import pexpect  # a test dependency: never skipped
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               PAGER="sed s/^/PAGED:/")
    child = pexpect.spawn(sys.executable, ["-m", "dqlite_shell", "-s", node.address, "-f", "list"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 150))
    try:
        prompt = re.escape(f"db@{node.address}>")
        child.expect(prompt)
        child.send(".pager on\r")
        child.expect(prompt)
        # The command sleeps before it prints: the prompt must wait for it.
        child.send(".once '|sleep 0.3; sed s/^/PIPED:/'\r")
        child.expect(prompt)
        child.send("SELECT 'x';\r")
        child.expect(r"PIPED:x\r\n")
        child.expect(prompt)
        assert "PAGED" not in child.before
        child.send("SELECT 'y';\r")
        child.expect(r"PAGED:y\r\n")  # .once is over: paged again
        child.expect(prompt)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
