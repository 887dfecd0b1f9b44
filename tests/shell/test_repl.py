"""The interactive REPL in a real pseudo-terminal (pexpect), against real nodes."""

import re
import stat
import time

import pexpect
import pytest

from tests.support.processes import wait_for_drains
from tests.support.repl import leave, prompt
from tests.support.waiting import wait_for

COLOR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|38|48)[0-9;]*m")


def test_multi_line_statement_table_output_and_schema_completion(repl, node):
    child = repl("-s", node.address)
    child.expect("connected to " + re.escape(node.address))
    child.expect(prompt(node.address))
    child.send("CREATE TABLE zebra_stripes (\r")
    child.expect(r"\.\.\.>")
    child.send("  n INTEGER,\r")
    child.expect(r"\.\.\.>")
    child.send("  label TEXT);\r")
    child.expect(prompt(node.address))
    child.send("INSERT INTO zebra_stripes VALUES (42, 'answer');\r")
    child.expect(prompt(node.address))
    _offered(child, "SELECT n, label FROM zebra_s", "zebra_stripes")  # fetched after DDL
    child.send("SELECT n, label FROM zebra_s")
    child.expect("zebra_stripes")  # offered while typing
    child.send("\t")
    child.send(";\r")
    child.expect(r"\| *n *\| *label *\|")
    child.expect(r"\| *42 *\| *answer *\|")
    leave(child)
    child.close()
    assert child.exitstatus == 0


def _offered(child, typed: str, name: str) -> None:
    """Type ``typed`` until completion offers ``name`` (the schema is fetched
    in the background), then clear the line."""
    for _ in range(20):
        child.send(typed)
        child.expect_exact(typed)  # past the echo of earlier lines, which may hold name
        found = child.expect([re.escape(name), pexpect.TIMEOUT], timeout=0.5) == 0
        child.sendcontrol("u")
        if found:
            return
    raise AssertionError(f"{name} was never offered")


@pytest.mark.parametrize("command", [".import --csv {path} giraffe_spots",
                                     ".restore --append {db}",
                                     ".import --csv {bad} giraffe_spots"])
def test_tables_made_by_dot_commands_are_completed(repl, node, tmp_path, command):
    """.import and .restore make tables: completion fetches the schema again,
    also after an import that failed after making its table."""
    import sqlite3

    from dqlite_shell.client.session import Session
    path = tmp_path / "spots.csv"
    path.write_text("n,label\n1,one\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("n,label\n1,one\n2\n")
    db = tmp_path / "spots.db"
    with sqlite3.connect(db) as source:
        source.execute("CREATE TABLE giraffe_spots (n, label)")
    session = Session([node.address], "db")
    session.execute("CREATE TABLE early_bird (n)")
    session.close()
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    _offered(child, "SELECT n FROM early_b", "early_bird")  # the first fetch is done
    child.send(command.format(path=path, db=db, bad=bad) + "\r")
    child.expect(prompt(node.address))
    _offered(child, "SELECT n FROM giraffe_s", "giraffe_spots")
    leave(child)


def test_dot_command_argument_completion_offers_node_addresses(repl, shared_cluster):
    child = repl("-s", shared_cluster.addresses[0])
    child.expect(r"db@127\.0\.0\.1:\d+>")
    # The addresses are fetched in the background: type until the menu has them all.
    for _ in range(20):
        child.send(".remove ")
        missing = set(shared_cluster.addresses)
        while missing:
            patterns = sorted(missing)
            found = child.expect([*map(re.escape, patterns), pexpect.TIMEOUT], timeout=0.5)
            if found == len(patterns):
                break
            missing.discard(patterns[found])
        child.sendcontrol("c")  # clears the input
        if not missing:
            break
    assert not missing, f"never offered: {missing}"
    child.expect(r"db@127\.0\.0\.1:\d+>")
    child.send(".leader\r")
    child.expect(r"127\.0\.0\.1:\d+\r\n")
    child.expect(r"db@127\.0\.0\.1:\d+>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_errors_are_one_line_and_the_repl_goes_on(repl, node):
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    child.send("SELECT * FROM nowhere;\r")
    child.expect("error: no such table: nowhere")
    child.expect(prompt(node.address))
    child.send(".mode list\r")
    child.send("SELECT 6 * 7;\r")
    child.expect("42")
    leave(child)


LONG = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) "
        "SELECT count(*) FROM c;")


def test_ctrl_c_during_a_long_statement(repl, node):
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    cpu = time.process_time()
    child.send(LONG + "\r")
    # The node runs in this process: its CPU time says the statement is running.
    assert wait_for(lambda: time.process_time() - cpu > 0.3), "the statement never ran"
    started = time.monotonic()
    child.sendcontrol("c")
    child.expect("Interrupted", timeout=5)
    child.expect(prompt(node.address), timeout=5)
    assert time.monotonic() - started < 1.5
    child.send(".mode list\r")
    child.send("SELECT 'after';\r")
    child.expect("after\r\n", timeout=120)  # as soon as the server is free again
    leave(child)
    wait_for_drains(node.address)  # before the fixture stops the node


def test_ctrl_c_during_a_streaming_result(repl, node):
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    child.send(".mode list\r")
    child.send("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
               "WHERE x < 5000000) SELECT x FROM c;\r")
    child.expect("\r\n1000\r\n")  # rows are streaming
    started = time.monotonic()
    child.sendcontrol("c")
    # The rows printed before Ctrl-C are drained first: search only the tail.
    child.expect("Interrupted", timeout=5, searchwindowsize=200_000)
    child.expect(prompt(node.address), timeout=5)
    assert time.monotonic() - started < 1.5
    started = time.monotonic()
    child.send("SELECT 'next';\r")
    child.expect("next\r\n", timeout=10)
    assert time.monotonic() - started < 3
    leave(child)
    wait_for_drains(node.address)  # before the fixture stops the node


def test_history_is_private_and_recalled(repl, node, tmp_path):
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    child.send(".mode list\r")
    child.send("SELECT 'remember me';\r")
    child.expect("remember me\r\n")
    child.expect(prompt(node.address))  # after the output: the fresh prompt
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    path = tmp_path / "state" / "dqlite" / "history"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "SELECT 'remember me';" in path.read_text()
    child = repl("-s", node.address, "-f", "list")
    child.expect(prompt(node.address))
    child.send("\x1b[A")  # Up: the last statement comes back
    child.expect("SELECT 'remember me';")
    child.send("\r")
    child.expect("remember me\r\n")
    leave(child)


def test_no_history_writes_nothing(repl, node, tmp_path):
    child = repl("-s", node.address, "--no-history")
    child.expect(prompt(node.address))
    child.send("SELECT 1;\r")
    leave(child)
    assert not (tmp_path / "state" / "dqlite" / "history").exists()


def test_no_color_has_no_colour_codes_and_colour_has_them(repl, node):
    import io
    for no_color, coloured in (("1", False), ("", True)):
        child = repl("-s", node.address, env={"NO_COLOR": no_color})
        child.logfile_read = io.StringIO()
        child.expect(prompt(node.address))
        child.send("SELECT 'text', 42 FROM sqlite_master WHERE 1 = 0;\r")
        leave(child)
        assert bool(COLOR.search(child.logfile_read.getvalue())) is coloured


def test_timer_prints_the_time(repl, node):
    child = repl("-s", node.address)
    child.expect(prompt(node.address))
    child.send(".timer on\r")
    child.send("SELECT 1;\r")
    child.expect(r"Run Time: real \d+\.\d{3}")
    leave(child)


def test_pager_on_sends_results_through_the_pager(repl, node):
    child = repl("-s", node.address, env={"PAGER": "sed 's/^/PAGED:/'"})
    child.expect(prompt(node.address))
    child.send(".mode list\r")
    child.send(".pager on\r")
    child.send("SELECT 'through' UNION ALL SELECT 'pager';\r")
    child.expect("PAGED:through\r\n")
    child.expect("PAGED:pager\r\n")
    child.send(".pager off\r")
    child.send("SELECT 'direct';\r")
    child.expect("(?<!PAGED:)direct\r\n")
    leave(child)


def test_a_read_stopped_by_bail_says_its_error_once(repl, node, tmp_path):
    script = tmp_path / "bad.sql"
    script.write_text("SELECT 'one';\nSELECT nosuch;\nSELECT 'three';\n")
    child = repl("-s", node.address, "-f", "list")
    child.expect(prompt(node.address))
    child.send(".bail on\r")
    child.expect(prompt(node.address))
    child.send(f".read {script}\r")
    child.expect(f"{re.escape(str(script))}:2: error: no such column: nosuch\r\n")
    child.expect(prompt(node.address))
    shown = child.before  # between the error line and the next prompt
    child.send(".print done-mark\r")
    child.expect("(?<!print )done-mark\r\n")  # the output, not the echo of the line typed
    shown += child.before
    assert "error: 1" not in shown and "three" not in shown, shown
    leave(child)
