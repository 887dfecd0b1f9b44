"""The ``dqlite`` command end to end: one-shot commands, scripts, exit codes."""

import os
import sqlite3

import pytest

from dqlite_shell.client.session import Session
from dqlite_shell.native import release_port, reserve_address
from tests.support.server_expectations import ANSWERS_WHILE_BUSY


def _rows(address, sql, database="db"):
    session = Session([address], database)
    try:
        return session.execute(sql).fetchall()
    finally:
        session.close()


def test_one_shot_with_c_and_positional(dqlite, node):
    run = dqlite("-s", node.address, "-c", "SELECT 1, 'a', NULL, 2.5")
    assert (run.status, run.out, run.err) == (0, "1|a||2.5\n", "")
    run = dqlite("-s", node.address, "db", "SELECT 'positional'")
    assert (run.status, run.out) == (0, "positional\n")


def test_one_shot_runs_several_statements_and_dot_commands(dqlite, node):
    run = dqlite("-s", node.address, "-c",
                 "CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x;y');\n.tables\nSELECT a FROM t")
    assert run.status == 0, run
    assert run.out == "t\nx;y\n"


def test_headers_and_formats(dqlite, node):
    run = dqlite("-s", node.address, "--headers", "-c", "SELECT 1 AS a, 2 AS b")
    assert run.out == "a|b\n1|2\n"
    run = dqlite("-s", node.address, "-f", "csv", "--headers", "-c", "SELECT 'x,y' AS a")
    assert run.out.splitlines() == ["a", '"x,y"']
    run = dqlite("-s", node.address, "-f", "json", "-c", "SELECT 1 AS a")
    import json
    assert json.loads(run.out) == [{"a": 1}]
    run = dqlite("-s", node.address, "-f", "tabular", "-c", "SELECT 1, 2")  # go's name
    assert run.status == 0 and run.out == "1|2\n"


def test_script_on_stdin_with_user_transactions(dqlite, node):
    script = """
    -- a comment; with a semicolon
    CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER);
    BEGIN;
    INSERT INTO acct VALUES (1, 100); INSERT INTO acct VALUES (2, 0);
    UPDATE acct SET balance = balance - 30 WHERE id = 1;
    UPDATE acct SET balance = balance + 30 WHERE id = 2;
    COMMIT;
    BEGIN;
    DELETE FROM acct;
    ROLLBACK;
    CREATE TRIGGER audit AFTER UPDATE ON acct BEGIN
        INSERT INTO acct VALUES (NULL, -1);
        SELECT 1;
    END;
    SELECT id, balance FROM acct ORDER BY id;
    """
    run = dqlite("-s", node.address, stdin=script)
    assert run.status == 0, run
    assert run.out == "1|70\n2|30\n"


def test_first_error_names_the_line_and_stops(dqlite, node):
    script = ("CREATE TABLE e (n);\nINSERT INTO e VALUES (1);\n\nSELECT * FROM missing;\n"
              "INSERT INTO e VALUES (2);\n")
    run = dqlite("-s", node.address, stdin=script)
    assert run.status == 1
    assert run.err == "<stdin>:4: error: no such table: missing\n"
    assert _rows(node.address, "SELECT n FROM e") == [(1,)]


def test_keep_going_runs_the_rest_and_still_exits_1(dqlite, node):
    script = "CREATE TABLE k (n);\nINSERT INTO k VALUES (1);\nBAD SQL;\nINSERT INTO k VALUES (2);\n"
    run = dqlite("-s", node.address, "--keep-going", stdin=script)
    assert run.status == 1
    assert run.err.startswith("<stdin>:3: error: ") and run.err.count("\n") == 1
    assert _rows(node.address, "SELECT n FROM k ORDER BY n") == [(1,), (2,)]


def test_single_transaction_applies_all_or_nothing(dqlite, node):
    dqlite("-s", node.address, "-c", "CREATE TABLE s (n INTEGER UNIQUE)")
    bad = "INSERT INTO s VALUES (1);\nINSERT INTO s VALUES (2);\nINSERT INTO s VALUES (1);\n"
    run = dqlite("-s", node.address, "-1", stdin=bad)
    assert run.status == 1
    assert "<stdin>:3: error: UNIQUE constraint failed: s.n" in run.err
    assert _rows(node.address, "SELECT count(*) FROM s") == [(0,)]
    run = dqlite("-s", node.address, "-1",
                 stdin="INSERT INTO s VALUES (1);\nINSERT INTO s VALUES (2);\n")
    assert run.status == 0, run
    assert _rows(node.address, "SELECT n FROM s ORDER BY n") == [(1,), (2,)]


def test_unreachable_server_exits_2_within_the_timeout(dqlite):
    address = reserve_address()
    try:
        run = dqlite("-s", address, "--timeout", "1", "-c", "SELECT 1", timeout=30)
    finally:
        release_port(int(address.rsplit(":", 1)[1]))
    assert run.status == 2
    assert len(run.err.strip().splitlines()) == 1
    assert address in run.err and "no leader" in run.err


@pytest.mark.parametrize("args,word", [
    (["--bogus"], "--bogus"),
    (["-f", "nope", "-c", "SELECT 1"], "nope"),
    (["-s", "127.0.0.1:notaport", "-c", "SELECT 1"], "port"),
    (["--timeout", "x"], "timeout"),
    (["--timeout", "5 s"], "'5 s' is not a duration"),
    (["--timeout", "50ms"], "at least 100ms"),
    (["--cert", "/etc/hostname", "-s", "127.0.0.1:1", "-c", "SELECT 1"],
     "--cert needs -k/--key"),
    (["--key", "/etc/hostname", "-s", "127.0.0.1:1", "db", "SELECT 1"],
     "-k/--key needs -c/--cert"),
    (["-s", "127.0.0.1", "-c", "SELECT 1"], "'127.0.0.1' has no port: write HOST:PORT"),
    (["-s", "127.0.0.1:1", "--scratch", "3", "-c", "SELECT 1"], "--scratch is for a local"),
    (["-s", "127.0.0.1:1", "--data-dir", "/tmp", "-c", "SELECT 1"], "--data-dir is for a local"),
])
def test_usage_errors_exit_2_in_one_line(dqlite, args, word):
    run = dqlite(*args)
    assert run.status == 2, run
    assert len(run.err.strip().splitlines()) == 1 and word in run.err


def test_dot_command_usage_error_in_a_script(dqlite, node):
    run = dqlite("-s", node.address, stdin="SELECT 1;\n.headers maybe\nSELECT 2;\n")
    assert run.status == 1
    assert run.out == "1\n"
    assert run.err == "<stdin>:2: error: usage: .headers on|off\n"


def test_node_store_files(dqlite, node, tmp_path):
    yaml = tmp_path / "cluster.yaml"
    yaml.write_text(f"- Address: {node.address}\n  ID: {node.id}\n  Role: 0\n")
    run = dqlite("-s", f"file://{yaml}", "-c", "SELECT 'yaml'")
    assert (run.status, run.out) == (0, "yaml\n")
    store = tmp_path / "servers.db"
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE servers (address TEXT, UNIQUE(address))")
    db.execute("INSERT INTO servers VALUES (?)", (node.address,))
    db.commit()
    db.close()
    run = dqlite("-s", f"file://{store}", "-c", "SELECT 'sqlite'")
    assert (run.status, run.out) == (0, "sqlite\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- Address: x\n  ID: notanumber\n")
    run = dqlite("-s", f"file://{broken}", "-c", "SELECT 1")
    assert run.status == 2 and f"{broken}:2: ID must be a number" in run.err


def test_scratch_node_is_announced_and_removed(dqlite):
    run = dqlite("-c", "CREATE TABLE t (n); INSERT INTO t VALUES (5); SELECT n FROM t")
    assert run.status == 0, run
    assert run.out == "5\n"
    (line,) = run.err.splitlines()
    assert line.startswith("dqlite: scratch node at 127.0.0.1:") and "deleted on exit" in line
    folder = line.split(" in ")[1].split(" (")[0]
    assert not os.path.exists(folder)


def test_data_dir_keeps_and_reuses_the_scratch_data(dqlite, tmp_path):
    data = tmp_path / "keep"
    run = dqlite("--data-dir", data, "-c", "CREATE TABLE t (n); INSERT INTO t VALUES (7)")
    assert run.status == 0, run
    run = dqlite("--data-dir", data, "-c", "SELECT n FROM t")
    assert (run.status, run.out) == (0, "7\n")


def test_scratch_cluster_of_three(dqlite):
    run = dqlite("--scratch", "3", "-c", ".cluster")
    assert run.status == 0, run
    lines = run.out.splitlines()
    assert len(lines) == 3 and all(line.endswith("|voter") for line in lines)


def test_without_libdqlite_a_scratch_node_fails_in_one_line(dqlite):
    run = dqlite("-c", "SELECT 1", env={"DQLITE_SHELL_LIBDQLITE": "/nonexistent.so"})
    assert run.status == 2
    assert run.err.startswith("dqlite: error: libdqlite not found") and run.err.count("\n") == 1


def test_version(dqlite):
    run = dqlite("--version")
    assert run.status == 0 and run.out.startswith("dqlite 0."), run
    # The package's version, not only the library's own number (1.11.1 says 1.10.0).
    import shutil
    import subprocess
    if shutil.which("dpkg-query"):
        packaged = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libdqlite0"],
                                  capture_output=True, text=True)
        if packaged.returncode == 0:
            assert f"(libdqlite0 {packaged.stdout} at /" in run.out, run
            assert ", which reports 1." in run.out
            return
    assert "libdqlite 1." in run.out and "by its own number" in run.out


def test_version_without_libdqlite(dqlite):
    run = dqlite("--version", env={"DQLITE_SHELL_LIBDQLITE": "/nonexistent.so"})
    assert run.status == 0 and "(libdqlite not found; Python 3." in run.out


def test_one_shot_and_scripts_never_load_the_repl_libraries(dqlite, node):
    for args, stdin in ((["-c", "SELECT 1"], None), ([], "SELECT 1;\n.tables\n")):
        run = dqlite("-s", node.address, *args, stdin=stdin, env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert run.status == 0, run
        imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                    for line in run.err.splitlines() if line.startswith("import time:")}
        assert "dqlite_shell" in imported
        assert not imported & {"prompt_toolkit", "pygments", "tabulate", "cffi", "yaml"}, imported


def test_a_statement_longer_than_the_timeout(dqlite, node):
    # About 2.5 s of work, well past the 0.5 s bound and the 1 s probe.
    run = dqlite("-s", node.address, "--timeout", "0.5", "-c",
                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                 "WHERE x < 10000000) SELECT count(*) FROM c")
    if ANSWERS_WHILE_BUSY:  # the probe says the node is alive: wait for it
        assert (run.status, run.out) == (0, "10000000\n"), run
    else:  # a node busy with it answers nothing, as a frozen one: one line
        assert (run.status, run.out) == (1, ""), run
        assert run.err == (f"<command>:1: error: {node.address} answered nothing for 0.5 s, "
                           "neither this statement nor a probe on a second connection, and no "
                           "other node leads (the node may be frozen, cut off, or busy with one "
                           "long step)\n"), run


@pytest.mark.parametrize("line,message", [
    ('format = "xml"', ":2: unknown output format 'xml'"),
    ("timeout = 0", ":2: timeout: 0 is too short: the timeout must be at least 100ms"),
    ('timeout = "2 s"', ":2: timeout: '2 s' is not a duration"),
    ("timeout = true", ":2: timeout must be a duration"),
])
def test_config_values_that_cannot_be_used_name_the_file_and_line(dqlite, tmp_path, line, message):
    config = tmp_path / "dqlite" / "config.toml"
    config.parent.mkdir()
    config.write_text(f"# mine\n{line}\n")
    run = dqlite("-s", "127.0.0.1:1", "-c", "SELECT 1", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert run.status == 2 and run.err.count("\n") == 1
    assert run.err.startswith(f"dqlite: error: {config}{message}"), run


def _launcher(tmp_path):
    """bin/dqlite as pip installs it: beside the `dqlite-python` entry point."""
    import shutil
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    folder = tmp_path / "bin"
    folder.mkdir()
    shutil.copy(os.path.join(root, "bin", "dqlite"), folder / "dqlite")
    entry = folder / "dqlite-python"
    entry.write_text(f"#!/bin/sh\nexec {sys.executable} -m dqlite_shell \"$@\"\n")
    entry.chmod(0o755)
    return folder / "dqlite"


def test_a_directory_as_stdin_is_one_line_from_the_launcher(node, tmp_path):
    import subprocess
    launcher = _launcher(tmp_path)
    directory = os.open("/", os.O_RDONLY)  # CPython itself cannot start with it
    try:
        run = subprocess.run([str(launcher), "-s", node.address], stdin=directory,
                             capture_output=True, text=True, timeout=60, cwd=os.getcwd())
    finally:
        os.close(directory)
    assert (run.returncode, run.stdout, run.stderr) == (
        2, "", "dqlite: error: standard input is a directory\n")
    link = tmp_path / "elsewhere"
    link.mkdir()
    (link / "dqlite").symlink_to(launcher)
    run = subprocess.run([str(link / "dqlite"), "-s", node.address], input="SELECT 'via';\n",
                         capture_output=True, text=True, timeout=60, cwd=os.getcwd())
    assert (run.returncode, run.stdout, run.stderr) == (0, "via\n", "")


@pytest.mark.parametrize("value,seconds", [
    ("2s", 2.0), ("500ms", 0.5), ("1m", 60.0), ("1.5s", 1.5), ("1m30s", 90.0),
    ("5", 5.0), ("0.5", 0.5), ("99", 99.0),        # bare, below 100: seconds (as before)
    ("100", 0.1), ("2000", 2.0), (2000, 2.0),      # bare, from 100 up: go's milliseconds
])
def test_timeout_durations(value, seconds):
    from dqlite_shell.shell.config import parse_timeout
    assert parse_timeout(value) == pytest.approx(seconds)


@pytest.mark.parametrize("option,config", [(["--timeout", "700ms"], None),
                                           ([], 'timeout = "700ms"'),
                                           ([], "timeout = 700")])
def test_timeout_with_units_bounds_the_leader_search(dqlite, tmp_path, option, config):
    import time
    env = {}
    if config:
        (tmp_path / "dqlite").mkdir()
        (tmp_path / "dqlite" / "config.toml").write_text(config + "\n")
        env["XDG_CONFIG_HOME"] = str(tmp_path)
    address = reserve_address()  # nothing listens there
    try:
        started = time.monotonic()
        run = dqlite("-s", address, *option, "db", ".leader", env=env, timeout=60)
        took = time.monotonic() - started
    finally:
        release_port(int(address.rsplit(":", 1)[1]))
    assert run.status == 2 and "no leader" in run.err, run
    assert took < 8, took


def test_help_explains_both_forms_of_c(dqlite):
    run = dqlite("--help")
    text = " ".join(run.out.split())
    assert run.status == 0
    assert "Run SQL (and dot-commands) and exit; repeatable" in text
    assert "With -k KEY (and no --cert) it is go-dqlite's -c CERT" in text
    assert '"-c CERT -k KEY" (-c is the certificate when -k is given without --cert' in text
    assert "-k, --key FILE" in text and "--profile NAME" in text
