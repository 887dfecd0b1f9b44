"""``dqlite --offline DIR``: the shell on a stopped node's data dir, written
by a node of this run's server (SIGKILLed: an open segment stays). It reads
and never changes a byte of DIR."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess

import pytest

from dqlite_shell.offline import rebuild
from dqlite_shell.offline.datadir import DataDir
from dqlite_shell.shell.commands import registry
from tests.native.servers import CURRENT
from tests.offline import datadirs
from tests.shell.conftest import run_dqlite


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("node"))
    datadirs.make(CURRENT, path, kill=True)
    return path


def offline(data_dir: str, *args, **kwargs):
    return run_dqlite("--offline", data_dir, *args, **kwargs)


def test_status(data_dir):
    d = DataDir(data_dir)
    run = offline(data_dir, "-c", ".status")
    assert run.status == 0 and run.err == "", run
    rows = [line.split("|", 1) for line in run.out.splitlines()]
    assert rows[0] == ["data dir", os.path.abspath(data_dir)]
    assert ["node", f"{d.info.id} ({d.info.id:#x}) at {d.info.address} (info.yaml)"] in rows
    assert ["log", f"entries {d.first_index} to {d.last_index} in {len(d.segments)} segments"] \
        in rows
    segments = [v for k, v in rows if k == "segment"]
    assert any(": open, entries " in v for v in segments)
    assert any(": closed, entries " in v for v in segments)
    assert [v.split(":")[0] for k, v in rows if k == "snapshot"] == [
        s.data_file for s in d.snapshots]
    assert rows[-1] == ["findings", "none: every checksum matches"]
    # Every format: json has the same rows as objects.
    run = offline(data_dir, "-f", "json", "-c", ".status")
    assert run.status == 0
    assert [[r["item"], r["value"]] for r in json.loads(run.out)] == rows


def test_log(data_dir):
    d = DataDir(data_dir)
    start = d.last_index - 3
    run = offline(data_dir, "-f", "csv", "--headers", "-c", f".log --from {start} --limit 3")
    assert run.status == 0, run
    lines = run.out.splitlines()
    assert lines[0] == "index,term,type,size,command,database,detail"
    assert [line.split(",")[0] for line in lines[1:]] == [str(start + i) for i in range(3)]
    last = offline(data_dir, "-c", f".log --from {d.last_index}").out.splitlines()
    # The last entry: "other"'s row, page 2 written and committed.
    assert last == [f"{d.last_index}|{d.current_metadata.term}|command|4144|frames|other|"
                    "page 2, commit"]
    run = offline(data_dir, "-c", ".log --limit many")
    assert run.status == 1
    assert run.err.strip() == ("<command>:1: error: usage: .log [--from INDEX] [--limit N] "
                               "(--limit takes a number, not 'many')")


def test_sql_reads_the_rebuilt_database(data_dir):
    run = offline(data_dir, "-c", "SELECT count(*), max(n) FROM t", "-c", ".tables",
                  "-c", ".schema u%")
    assert run.status == 0, run
    assert run.out == f"{datadirs.ROWS}|{datadirs.ROWS - 1}\nt\n"
    run = offline(data_dir, "other", "SELECT * FROM u")
    assert (run.status, run.out) == (0, "x\n"), run
    run = offline(data_dir, "-c", ".open other", "-c", "SELECT a FROM u", "-c", ".tables")
    assert (run.status, run.out) == (0, "x\nu\n"), run
    # Results stream in batches (of 512 rows); an error while streaming is one line.
    many = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1500) "
    run = offline(data_dir, "-c", many + "SELECT x FROM c",
                  "-c", "SELECT abs(-9223372036854775808)")
    assert run.out.splitlines() == [str(i) for i in range(1, 1501)]
    assert (run.status, run.err) == (1, "<command 2>:1: error: offline: integer overflow\n")


def test_open_an_earlier_index(data_dir, tmp_path):
    d = DataDir(data_dir)
    index = d.snapshot.index - 1
    expected = str(tmp_path / "expected")
    rebuild.rebuild(d, "db", index, expected)
    count = subprocess.run(["sqlite3", expected, "SELECT count(*) FROM t"], capture_output=True,
                           text=True, check=True).stdout
    run = offline(data_dir, "-c", f".open db {index}", "-c", "SELECT count(*) FROM t",
                  "-c", ".status")
    assert run.status == 0, run
    assert run.out.startswith(count) and int(count) < datadirs.ROWS
    assert f"open|db as of index {index} (" in run.out
    run = offline(data_dir, "-c", ".open db 2")
    assert run.status == 1
    assert run.err.startswith("<command>:1: error: offline: index 2 cannot be rebuilt: the log "
                              "holds entries ")


def test_missing_database(data_dir):
    run = offline(data_dir, "nope", "SELECT 1")
    assert run.status == 1
    assert run.err.strip() == (f"<command>:1: error: offline: no database 'nope' in {data_dir} "
                               "(databases: db, other); SQL needs a running cluster, or .open "
                               "DATABASE for one of those")


def test_writes_and_cluster_commands_are_refused(data_dir):
    run = offline(data_dir, "--keep-going", "-c", "DELETE FROM t", "-c", ".cluster",
                  "-c", ".leader", "-c", "SELECT count(*) FROM t")
    assert run.status == 1
    assert run.err.splitlines() == [
        "<command 1>:1: error: offline: attempt to write a readonly database",
        f"<command 2>:1: error: offline: .cluster needs a running cluster (this shell reads "
        f"the data dir {data_dir})",
        f"<command 3>:1: error: offline: .leader needs a running cluster (this shell reads "
        f"the data dir {data_dir})"]
    assert run.out == f"{datadirs.ROWS}\n"  # nothing was deleted


def test_help_says_what_commands_mean_offline(data_dir):
    run = offline(data_dir, "-c", ".help .open", "-c", ".help .leader", "-c", ".help .tables")
    assert run.status == 0, run
    lines = run.out.splitlines()
    assert lines[:2] == ["usage: .open [DATABASE] [latest|INDEX]",
                         "Rebuild DATABASE from the data dir as of INDEX (default: latest) "
                         "and read it"]
    assert (f"offline: .leader needs a running cluster (this shell reads the data dir "
            f"{data_dir}) (online: .leader)") in lines
    assert "usage: .tables [PATTERN]" in lines


def test_backup(data_dir, tmp_path):
    target = tmp_path / "copy.db"
    run = offline(data_dir, "-c", f".backup {target}")
    assert (run.status, run.err) == (0, ""), run
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    out = subprocess.run(["sqlite3", str(target), "SELECT count(*), max(n) FROM t"],
                         capture_output=True, text=True, check=True).stdout
    assert out == f"{datadirs.ROWS}|{datadirs.ROWS - 1}\n"
    run = offline(data_dir, "-c", f".backup {data_dir}/x.db")
    assert run.status == 1 and "will not write inside the data dir" in run.err
    assert not os.path.exists(os.path.join(data_dir, "x.db"))


def test_the_data_dir_is_left_as_it_was(data_dir, tmp_path):
    before = datadirs.hashes(data_dir)
    script = (".status\n.log\nSELECT count(*) FROM t;\n.open other\nSELECT * FROM u;\n"
              f".backup {tmp_path / 'b.db'}\nDELETE FROM u;\n.open db 3\n.cluster\n")
    run = offline(data_dir, "--keep-going", stdin=script)
    assert run.status == 1 and "Traceback" not in run.err
    assert datadirs.hashes(data_dir) == before


def test_damage_is_reported_not_fatal(data_dir, tmp_path):
    copy = str(tmp_path / "copy")
    shutil.copytree(data_dir, copy)
    segment = next(s for s in DataDir(copy).segments if not s.is_open)
    with open(os.path.join(copy, segment.name), "r+b") as f:
        f.seek(segment.entries[0].offset + 10)
        f.write(b"\xff\xfe")
    run = offline(copy, "-c", ".status", "-c", ".log --limit 1")
    assert run.status == 0, run
    findings = [line for line in run.out.splitlines() if line.startswith("finding|")]
    assert findings[0].startswith(f"finding|{segment.name}: offset 8: batch 1: data checksum "
                                  "mismatch (stored 0x")


def test_not_a_data_dir(tmp_path):
    run = offline(str(tmp_path), "-c", ".status")
    assert (run.status, run.out) == (2, "")
    assert run.err == (f"dqlite: error: {tmp_path}: not a dqlite node's data dir (no metadata1, "
                       "metadata2, log segment or snapshot in it)\n")
    run = offline(str(tmp_path / "missing"), "-c", ".status")
    assert run.status == 2 and run.err.endswith("missing: no such directory\n")


def test_a_dir_holding_node_dirs_names_them(data_dir, tmp_path):
    """--data-dir DIR keeps each node in DIR/nodeN: the line names them."""
    import shutil
    shutil.copytree(data_dir, tmp_path / "node1")
    run = offline(str(tmp_path), "-c", ".status")
    assert (run.status, run.out) == (2, "")
    assert run.err.endswith(f"snapshot in it); node dirs in it: {tmp_path / 'node1'}\n"), run


def test_offline_goes_alone(data_dir):
    run = offline(data_dir, "-s", "127.0.0.1:1", "-c", ".status")
    assert run.status == 2
    assert run.err == ("dqlite: error: --offline reads a stopped node's data dir: it cannot be "
                       "used with -s/--servers\n")


def test_log_needs_offline_mode(shell):
    state = shell([])
    with pytest.raises(registry.CommandError, match="start the shell with dqlite --offline DIR"):
        registry.run(state, ".log")


def test_repl(data_dir, tmp_path):
    """In a terminal: the banner says offline, SQL answers from the rebuilt
    database, a cluster command is one line, and the dir is left as it was."""
    import sys

    import pexpect
    before = datadirs.hashes(data_dir)
    environment = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
                       XDG_CONFIG_HOME=str(tmp_path / "config"),
                       XDG_STATE_HOME=str(tmp_path / "state"))
    child = pexpect.spawn(sys.executable, ["-m", "dqlite_shell", "--offline", data_dir],
                          env=environment, encoding="utf-8", timeout=30, dimensions=(40, 200))
    try:
        child.expect(f"not connected \\(offline: reading the data dir {data_dir}\\)")
        child.expect(re.escape(f"ro db@offline:{os.path.basename(data_dir)}>"))
        child.sendline("SELECT count(*) FROM t;")
        child.expect(f"\\b{datadirs.ROWS}\\b")
        child.sendline(".leader")
        child.expect("error: offline: .leader needs a running cluster")
        child.sendline(".quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert datadirs.hashes(data_dir) == before


def test_a_running_node_is_named(tmp_path):
    """1.17+ hold dqlite-lock while they run: .status and a warning say so
    (read from /proc/locks, never by taking the lock); 1.11 has no lock."""
    from dqlite_shell.native import reserve_address
    from tests.native.servers import environment
    from tests.support.processes import NodeProcess
    path = str(tmp_path / "running")
    node = NodeProcess(reserve_address(), path, [], env=environment(CURRENT)).start()
    try:
        run = offline(path, "-c", ".status")
        assert run.status == 0, run
        if os.path.exists(os.path.join(path, "dqlite-lock")):
            assert run.out.splitlines()[1] == (
                f"running|yes: process {node.proc.pid} holds dqlite-lock; the files may change "
                "while they are read")
            assert run.err == (f"dqlite: warning: the node of {path} is running (process "
                               f"{node.proc.pid} holds dqlite-lock): what is read may change "
                               "meanwhile\n")
        else:
            assert "running|" not in run.out and run.err == ""
    finally:
        node.terminate()
        node.close()
    run = offline(path, "-c", ".status")
    assert "running|" not in run.out and run.err == ""
