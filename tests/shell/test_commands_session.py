"""Schema and session dot-commands against a real node."""

import os

import pytest

from dqlite_shell.shell import output
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.registry import CommandError, UsageError
from tests.shell.conftest import run_command as run

SCHEMA = [
    "CREATE TABLE t1 (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT)",
    "CREATE TABLE t2 (a UNIQUE, b)",
    "CREATE TABLE other (c)",
    "CREATE INDEX t1_x ON t1 (x)",
    "CREATE INDEX other_c ON other (c)",
    "CREATE VIEW v AS SELECT x FROM t1",
]


@pytest.fixture
def db(shell, node):
    state = shell([node.address])
    for sql in SCHEMA:
        state.session.execute(sql)
    state.session.execute("INSERT INTO t1 (x) VALUES ('a')")
    return state


def test_tables(db):
    assert run(db, ".tables") == "other\nt1\nt2\nv\n"  # not sqlite_sequence
    assert run(db, ".tables t%") == "t1\nt2\n"
    assert run(db, ".tables V") == "v\n"  # LIKE ignores ASCII case
    assert run(db, ".tables nosuch") == ""


def test_schema(db):
    assert run(db, ".schema t1") == (
        "CREATE TABLE t1 (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);\n"
        "CREATE INDEX t1_x ON t1 (x);\n")
    everything = run(db, ".schema")
    for sql in SCHEMA:
        assert f"{sql};\n" in everything
    assert "CREATE TABLE sqlite_sequence(name,seq);\n" in everything
    assert "autoindex" not in everything  # no SQL: not printed
    assert run(db, ".schema nosuch") == ""


def test_indexes(db):
    assert run(db, ".indexes") == "other_c\nsqlite_autoindex_t2_1\nt1_x\n"
    assert run(db, ".indexes t1") == "t1_x\n"
    assert run(db, ".indexes t2") == "sqlite_autoindex_t2_1\n"
    assert run(db, ".indexes v") == ""


def test_open_switches_database(db):
    assert run(db, ".open second") == ""
    assert db.database == "second"
    assert run(db, ".tables") == ""
    db.session.execute("CREATE TABLE only_here (x)")
    assert run(db, ".tables") == "only_here\n"
    run(db, ".open db")
    assert run(db, ".tables") == "other\nt1\nt2\nv\n"


def test_mode_resolves_formats_and_aliases(shell):
    state = shell(["127.0.0.1:1"])
    for name in output.FORMATS:
        run(state, f".mode {name}")
        assert state.settings.mode == name
    for alias, name in output.ALIASES.items():
        run(state, f".mode {alias}")
        assert state.settings.mode == name
    run(state, ".mode CSV")
    assert state.settings.mode == output.resolve_format("CSV")
    with pytest.raises(UsageError) as info:
        run(state, ".mode nosuch")
    message = str(info.value)
    assert message.startswith("usage: .mode [FORMAT [OPTIONS]] (unknown output format "
                              "'nosuch': choose one of ")
    for name in (*output.FORMATS, *output.ALIASES):
        assert name in message
    assert state.settings.mode == output.resolve_format("CSV")  # unchanged
    with pytest.raises(UsageError, match="unknown option '--nosuch' for output format csv"):
        run(state, ".mode csv --nosuch")
    run(state, ".mode csv --crlf")
    assert state.settings.mode == "csv --crlf"
    assert state._session is None


def test_mode_csv_crlf_ends_lines_with_crlf(shell, node):
    state = shell([node.address])
    run(state, ".mode csv --crlf")
    run(state, ".headers on")
    from dqlite_shell.shell import engine
    state.out.seek(0)
    state.out.truncate()
    engine.run_sql(state, "SELECT 1 AS a, NULL AS b, '' AS c")
    assert state.out.getvalue() == 'a,b,c\r\n1,,""\r\n'


@pytest.mark.parametrize("name, field", [(".headers", "headers"), (".timer", "timer"),
                                         (".changes", "changes"), (".bail", "bail")])
def test_on_off_settings(shell, name, field):
    state = shell(["127.0.0.1:1"])
    for word in ("on", "ON", "yes", "true", "True", "1"):
        setattr(state.settings, field, False)
        assert run(state, f"{name} {word}") == ""
        assert getattr(state.settings, field) is True
    for word in ("off", "Off", "no", "false", "FALSE", "0"):
        setattr(state.settings, field, True)
        run(state, f"{name} {word}")
        assert getattr(state.settings, field) is False
    for word in ("2", "maybe", "", "onn"):
        with pytest.raises(UsageError) as info:
            run(state, f"{name} '{word}'")
        assert str(info.value) == f"usage: {name} on|off"
        assert getattr(state.settings, field) is False


def test_settings_change_how_results_print(db):
    from dqlite_shell.shell import engine
    db.session.execute("INSERT INTO t2 VALUES (NULL, 'b')")
    run(db, ".nullvalue NULL")
    assert db.settings.nullvalue == "NULL"
    run(db, ".headers on")
    db.out.seek(0)
    db.out.truncate()
    engine.run_sql(db, "SELECT a, b FROM t2")
    assert db.out.getvalue() == "a|b\nNULL|b\n"
    run(db, ".nullvalue ''")
    assert db.settings.nullvalue == ""


def test_output_to_a_file_and_back(db, tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old contents\n")
    registry.run(db, f".output {path}")
    registry.run(db, ".tables t1")
    registry.run(db, ".indexes t1")
    registry.run(db, ".output")
    assert db.stdout.getvalue() == ""
    assert path.read_text() == "t1\nt1_x\n"
    assert db.out is db.stdout
    assert run(db, ".tables t1") == "t1\n"

    registry.run(db, f".output {path}")
    with pytest.raises(CommandError) as info:
        registry.run(db, f".output {tmp_path / 'no' / 'such'}")
    assert str(info.value).startswith(f"cannot write {tmp_path / 'no' / 'such'}: ")
    assert db.out is db.stdout  # back on stdout, never a closed file
    assert run(db, ".tables t1") == "t1\n"


def test_read_runs_a_script(db, tmp_path):
    script = tmp_path / "script.sql"
    script.write_text(".headers off\nINSERT INTO other VALUES (41);\n"
                      "INSERT INTO other\n  VALUES (42);\n.tables o%\nSELECT c FROM other;\n")
    assert run(db, f".read {script}") == "other\n41\n42\n"
    with pytest.raises(CommandError) as info:
        run(db, f".read {tmp_path / 'nosuch.sql'}")
    assert "nosuch.sql" in str(info.value)


def test_read_reports_the_line_of_an_error(db, tmp_path):
    from dqlite_shell.shell.script import ScriptAborted
    script = tmp_path / "bad.sql"
    script.write_text("SELECT 1;\n\n.tables x y\nSELECT 2;\n")
    db.settings.bail = True
    with pytest.raises(ScriptAborted):
        run(db, f".read {script}")
    assert db.out.getvalue() == "1\n"
    assert db.err.getvalue() == f"{script}:3: error: usage: .tables [PATTERN]\n"


def test_help_lists_every_command_aligned(shell):
    state = shell(["127.0.0.1:1"])
    lines = iter(run(state, ".help").splitlines())
    listed = registry.commands()
    assert len(listed) >= 26
    width = 40  # a longer usage has a line of its own, the summary under it
    assert any(len(c.usage) > width for c in listed)
    for cmd in listed:
        line = next(lines)
        assert line.startswith(cmd.usage)
        if len(cmd.usage) > width:
            assert line == cmd.usage
            line = next(lines)
        assert line[width:width + 2] == "  " and line[width + 2:].startswith(cmd.summary)
        assert line[:width].strip() in ("", cmd.usage)
    assert next(lines, None) is None
    names = {c.name for c in listed}
    assert {".cluster", ".leader", ".add", ".assign", ".remove", ".transfer", ".describe",
            ".weight", ".dump", ".backup", ".reconfigure", ".tables", ".schema", ".indexes",
            ".open", ".mode", ".headers", ".nullvalue", ".timer", ".changes", ".bail",
            ".output", ".read", ".help", ".quit", ".exit"} <= names
    for cmd in listed:
        assert len(cmd.summary.splitlines()) == 1


def test_help_for_one_command(shell):
    state = shell(["127.0.0.1:1"])
    assert run(state, ".help .tables") == (
        "usage: .tables [PATTERN]\n"
        "List the tables and views (names matching the LIKE PATTERN)\n")
    assert run(state, ".help tables") == run(state, ".help .tables")
    long = run(state, ".help reconfigure")
    assert long.startswith("usage: .reconfigure DIR CLUSTER_YAML\n")
    assert "Back up EVERY node's data dir first" in long
    with pytest.raises(CommandError) as info:
        run(state, ".help nosuch")
    assert str(info.value) == "unknown command nosuch; .help lists the commands"


@pytest.mark.parametrize("name", [".quit", ".exit"])
def test_quit_and_exit(shell, name):
    state = shell(["127.0.0.1:1"])
    assert run(state, name) == ""
    assert state.quit_requested is True
    assert state._session is None


@pytest.mark.parametrize("line", [
    ".tables a b", ".schema a b", ".indexes a b", ".open", ".open a b", ".open ''",
    ".headers", ".headers on off", ".nullvalue", ".nullvalue a b",
    ".timer", ".changes", ".bail", ".bail x", ".output a b", ".output ''", ".read",
    ".read a b", ".help a b", ".quit now", ".exit 1",
])
def test_wrong_arguments_give_the_usage_line_and_send_nothing(shell, listener, tmp_path,
                                                             monkeypatch, line):
    monkeypatch.chdir(tmp_path)
    state = shell(["{}:{}".format(*listener.getsockname())])
    before = (state.database, vars(state.settings).copy())
    cmd = registry.lookup(line.split()[0])
    with pytest.raises(UsageError) as info:
        registry.run(state, line)
    assert str(info.value) == f"usage: {cmd.usage}"
    assert (state.database, vars(state.settings)) == before
    assert not state.quit_requested and state.out is state.stdout
    assert state.out.getvalue() == "" and state._session is None
    assert os.listdir(tmp_path) == []
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_open_and_cluster_changes_are_refused_inside_a_transaction(db):
    db.session.execute("BEGIN")
    db.session.execute("INSERT INTO other VALUES (7)")
    for line in (".open elsewhere", ".transfer 127.0.0.1:1", ".add 127.0.0.1:1", ".weight x 1"):
        with pytest.raises(CommandError) as info:
            run(db, line)
        assert "cannot run inside a transaction" in str(info.value)
    assert db.database == "db" and db.session.transaction.active  # nothing dropped
    db.session.execute("COMMIT")
    assert db.session.execute("SELECT c FROM other").fetchall() == [(7,)]
    run(db, ".open elsewhere")
    assert db.database == "elsewhere"


def test_timeout_sets_how_long_busy_statements_are_tried_again(shell, node):
    import threading
    import time

    from dqlite_shell.client.session import Session
    from dqlite_shell.shell import engine
    state = shell([node.address])
    assert state.busy_timeout == 5.0
    engine.run_sql(state, "CREATE TABLE busy_t (v)")
    holder = Session([node.address], "db")
    holder.execute("BEGIN")
    holder.execute("INSERT INTO busy_t VALUES (1)")  # holds the write lock
    try:
        run(state, ".timeout 0")
        started = time.monotonic()
        with pytest.raises(Exception, match="database is locked"):
            engine.run_sql(state, "INSERT INTO busy_t VALUES (2)")
        assert time.monotonic() - started < 1
        run(state, ".timeout 3000")
        releaser = threading.Timer(0.3, holder.execute, ("COMMIT",))
        releaser.start()
        engine.run_sql(state, "INSERT INTO busy_t VALUES (3)")  # waits for the COMMIT
        releaser.join()
    finally:
        holder.close()
    _, rows = engine.query(state, "SELECT v FROM busy_t ORDER BY v")
    assert rows == [(1,), (3,)]
    with pytest.raises(UsageError, match="MS is a number of milliseconds"):
        run(state, ".timeout soon")
