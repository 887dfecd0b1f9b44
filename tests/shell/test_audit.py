"""The audit log (--audit-log FILE, the audit_log key) through the ``dqlite``
command on a real node: one JSON line per statement and dot-command, with
time, user, servers, database and outcome; mode 0600; never readable by others."""

from __future__ import annotations

import datetime
import getpass
import json
import os
import stat

import pytest

from dqlite_shell.shell import audit
from tests.shell.conftest import run_dqlite


def _events(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    return [json.loads(line) for line in lines]


def test_each_statement_and_command_is_one_json_line(node, tmp_path):
    log = tmp_path / "audit.jsonl"
    script = ("CREATE TABLE audited (a, b);\n"
              "INSERT INTO audited\n  VALUES (1, 'two\nlines');\n"
              ".tables\n"
              "SELECT * FROM nowhere;\n"
              "SELECT count(*) FROM audited;\n")
    before = datetime.datetime.now(datetime.UTC)
    run = run_dqlite("-s", node.address, "--audit-log", log, "--keep-going", stdin=script)
    assert run.status == 1, run
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    events = _events(log)
    assert [(e["kind"], e["text"], e["outcome"], e.get("error")) for e in events] == [
        ("sql", "CREATE TABLE audited (a, b);", "ok", None),
        ("sql", "INSERT INTO audited\n  VALUES (1, 'two\nlines');", "ok", None),
        ("command", ".tables", "ok", None),
        ("sql", "SELECT * FROM nowhere;", "error", "no such table: nowhere"),
        ("sql", "SELECT count(*) FROM audited;", "ok", None),
    ]
    with open(log, encoding="utf-8") as f:
        assert len(f.read().splitlines()) == 5  # the multi-line statement stays one line
    for event in events:
        assert event["user"] == getpass.getuser()
        assert event["servers"] == [node.address]
        assert event["database"] == "db"
        assert event["time"].endswith("Z")
        when = datetime.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        assert before - datetime.timedelta(seconds=1) <= when
        assert when <= datetime.datetime.now(datetime.UTC)
    # A second run appends.
    run = run_dqlite("-s", node.address, "--audit-log", log, "other", "-c", "SELECT 1")
    assert run.status == 0, run
    events = _events(log)
    assert len(events) == 6
    assert (events[-1]["database"], events[-1]["text"]) == ("other", "SELECT 1")


def test_refusals_are_logged_as_refused(listener, tmp_path):
    address = "{}:{}".format(*listener.getsockname())
    log = tmp_path / "audit.jsonl"
    run = run_dqlite("-s", address, "--read-only", "--audit-log", log, "--keep-going",
                     stdin="DELETE FROM t;\n.remove 10.0.0.3:19001\n")
    assert run.status == 1, run
    events = _events(log)
    assert [(e["text"], e["outcome"]) for e in events] == [
        ("DELETE FROM t;", "refused"), (".remove 10.0.0.3:19001", "refused")]
    assert events[0]["error"].startswith("refused: DELETE writes")
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_a_log_others_may_read_is_refused_before_anything_runs(listener, tmp_path):
    address = "{}:{}".format(*listener.getsockname())
    log = tmp_path / "audit.jsonl"
    log.write_text("")
    os.chmod(log, 0o644)
    run = run_dqlite("-s", address, "--audit-log", log, "-c", "SELECT 1")
    assert run.status == 2, run
    assert run.err == (f"dqlite: error: --audit-log {log}: group or others may read or write "
                       f"it (mode 0644); chmod 600 {log}\n"), run
    assert log.read_text() == ""
    with pytest.raises(BlockingIOError):
        listener.accept()
    # A FIFO (no reader: opening it would block) and a directory (from the key).
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    run = run_dqlite("-s", address, "--audit-log", fifo, "-c", "SELECT 1")
    assert (run.status, run.err.count("\n")) == (2, 1), run
    assert run.err.startswith(f"dqlite: error: --audit-log {fifo}: ")
    (tmp_path / "xdg" / "dqlite").mkdir(parents=True)
    (tmp_path / "xdg" / "dqlite" / "config.toml").write_text(f'audit_log = "{tmp_path}"\n')
    run = run_dqlite("-s", address, "-c", "SELECT 1",
                     env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert run.status == 2 and run.err == f"dqlite: error: --audit-log {tmp_path}: " \
        "Is a directory\n", run
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_audit_log_key(node, tmp_path):
    folder = tmp_path / "xdg" / "dqlite"
    folder.mkdir(parents=True)
    log = tmp_path / "from-config.jsonl"
    (folder / "config.toml").write_text(f'audit_log = "{log}"\n')
    run = run_dqlite("-s", node.address, "-c", "SELECT 42",
                     env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert (run.status, run.out) == (0, "42\n"), run
    assert [(e["text"], e["outcome"]) for e in _events(log)] == [("SELECT 42", "ok")]


def test_bound_values_are_logged_by_name_only(shell, tmp_path):
    # The shell binds no parameters today; a future .param hands them over
    # apart from the text, and only their names reach the log.
    state = shell(["127.0.0.1:9001"], "app")
    log = audit.AuditLog(str(tmp_path / "audit.jsonl"))
    try:
        log.record(state, "sql", "INSERT INTO users VALUES (:name, :password)", audit.OK,
                   params={"name": "alice", "password": "s3cret"})
    finally:
        log.close()
    text = (tmp_path / "audit.jsonl").read_text()
    assert "s3cret" not in text and "alice" not in text
    assert json.loads(text)["params"] == {"name": "<redacted>", "password": "<redacted>"}


def test_sudo_user_is_recorded(node, tmp_path):
    log = tmp_path / "audit.jsonl"
    run = run_dqlite("-s", node.address, "--audit-log", log, "-c", "SELECT 1",
                     env={"SUDO_USER": "operator"})
    assert run.status == 0, run
    assert _events(log)[0]["sudo_user"] == "operator"
