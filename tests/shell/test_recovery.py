"""The recovery assistant: ``dqlite --offline DIR1 DIR2 ...`` with .freshest
and .recover, on the dirs of a real 3-node cluster of dqlite-node processes
(this run's server) that lost its nodes, one of them with older data."""

from __future__ import annotations

import os
import stat
import subprocess
import tarfile

import pytest

from dqlite_shell.client.session import Session
from dqlite_shell.offline.datadir import DataDir
from dqlite_shell.offline.recovery import last_entry, latest_configuration
from tests.native.servers import CURRENT
from tests.shell.conftest import run_dqlite

#: The `dqlite` child loads this run's libdqlite (Node.recover runs in it).
ENV = {} if CURRENT.prefix is None else {"DQLITE_SHELL_LIBDQLITE": CURRENT.library}


def offline(dirs, *args, stdin=None):
    return run_dqlite("--offline", *dirs, *args, env=ENV, stdin=stdin)


def _write(addresses, first: int, count: int) -> None:
    session = Session(addresses, "db", timeout=15)
    try:
        session.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, v TEXT)")
        for n in range(first, first + count):
            session.execute("INSERT INTO t VALUES (?, ?)", (n, f"row {n}"))  # acknowledged
    finally:
        session.close()


def _snapshot(path: str) -> dict[str, bytes]:
    out = {}
    for name in sorted(os.listdir(path)):
        with open(os.path.join(path, name), "rb") as f:
            out[name] = f.read()
    return out


@pytest.fixture
def lost(cluster_factory):
    """A cluster whose three nodes are down: node 3 stopped first (its dir
    misses the last 20 acknowledged rows), then nodes 1 and 2 SIGKILLed.
    Returns (cluster, [dir1, dir2, dir3])."""
    cluster = cluster_factory(3, processes=True)
    _write(cluster.addresses, 0, 10)
    cluster.stop(2)
    _write(cluster.addresses[:2], 10, 20)
    cluster.kill(0)
    cluster.kill(1)
    return cluster, [cluster.dir_of(i) for i in range(3)]


def test_recover_a_lost_cluster(lost):
    cluster, dirs = lost
    old = DataDir(dirs[2])
    fresh = [DataDir(d) for d in dirs[:2]]
    # .freshest: the old dir given first is not picked.
    order = [dirs[2], dirs[0], dirs[1]]
    run = offline(order, "-c", ".freshest")
    assert run.status == 0, run
    rows = [line.split("|") for line in run.out.splitlines()[:-1]]
    assert [r[0] for r in rows] == order
    for row, d in zip(rows, [old, *fresh], strict=True):
        index, term = last_entry(d)
        assert row[1:] == [str(d.info.id), d.info.address, str(index), str(term),
                           str(d.snapshot.index) if d.snapshot else ""]
    best = max(fresh, key=lambda d: last_entry(d)[::-1])
    index, term = last_entry(best)
    assert (last_entry(best)[::-1]) > last_entry(old)[::-1]
    assert run.out.splitlines()[-1].startswith(
        f"{best.path} is the freshest: highest term {term}, then highest index {index}")

    # A script without --yes: the plan, one line, nothing changed.
    before = {d: _snapshot(d) for d in dirs}
    voters = [best.info.address, old.info.address]
    run = offline(order, "-c", f".recover --voters {','.join(voters)}")
    assert run.status == 1, run
    assert "plan:" in run.out
    assert run.err.strip() == ("<command>:1: error: recover: nothing done: a script must add "
                               "--yes to apply this plan")
    assert {d: _snapshot(d) for d in dirs} == before
    assert not [n for n in os.listdir(cluster.data_dir) if n.endswith(".tar.gz")]

    run = offline(order, "-c", f".recover --voters {','.join(voters)} --yes")
    assert run.status == 0, run
    out = run.out.splitlines()
    # Backups beside each dir, 0600, holding the dir as it was.
    tarballs = sorted(n for n in os.listdir(cluster.data_dir) if n.endswith(".tar.gz"))
    assert [t.split("-")[0] for t in tarballs] == ["node1", "node2", "node3"]
    for name, d in zip(tarballs, dirs, strict=True):
        path = os.path.join(cluster.data_dir, name)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert f"backed up {d} to {path} (" in run.out
        with tarfile.open(path) as tar:
            held = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
        base = os.path.basename(d)
        assert held == {f"{base}/{n}": data for n, data in before[d].items()}
    # The left-out dir is untouched; the copy lines run as printed.
    left_out = next(d for d in fresh if d is not best).path
    assert _snapshot(left_out) == before[left_out]
    start = out.index("now run, with every node still stopped:")
    lines = [line for line in out[start + 1:] if not line.startswith("then start")]
    assert lines[0] == f"# node {old.info.id} at {old.info.address}: {old.path}"
    subprocess.run(["sh", "-e"], input="\n".join(lines) + "\n", text=True, check=True)
    assert DataDir(old.path).last_index == DataDir(best.path).last_index

    # The voters start as a cluster of two and hold every acknowledged row.
    for d in (best.path, old.path):
        cluster.start(dirs.index(d))
    session = Session(voters, "db", timeout=15)
    try:
        rows = session.execute("SELECT n, v FROM t ORDER BY n").fetchall()
    finally:
        session.close()
    assert [tuple(r) for r in rows] == [(n, f"row {n}") for n in range(30)]


def test_refusals(lost, tmp_path):
    cluster, dirs = lost
    d1 = DataDir(dirs[0])
    voters = f"--voters {d1.info.address}"
    # A running node: its dir is refused.
    cluster.start(2)
    run = offline(dirs, "-c", f".recover {voters} --yes")
    assert run.status == 1
    if CURRENT.name == "1.11":  # no dqlite-lock before 1.17: its listener answers
        why = (f"seems to belong to a running node (something accepts connections at "
               f"{cluster.addresses[2]}, its info.yaml address)")
    else:
        why = f"belongs to a running node (process {cluster.pid(2)} holds its dqlite-lock)"
    assert run.err.splitlines()[-1] == f"<command>:1: error: recover: {dirs[2]} {why}: " \
                                       "stop it first", run
    cluster.stop(2)
    # Two dirs that say they are the same node.
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in os.listdir(dirs[1]):
        if os.path.isfile(os.path.join(dirs[1], name)):
            data = open(os.path.join(dirs[1], name), "rb").read()
            (copy / name).write_bytes(data)
    (copy / "info.yaml").write_bytes(open(os.path.join(dirs[0], "info.yaml"), "rb").read())
    run = offline([dirs[0], str(copy)], "-c", f".recover {voters} --yes")
    assert run.status == 1
    assert run.err.strip() == (f"<command>:1: error: recover: {dirs[0]} and {copy} both say "
                               f"they are node {d1.info.id} (info.yaml)")
    # A dir whose info.yaml gives its address another id than the Raft log does.
    from dqlite_shell.native import nodeinfo
    d2 = DataDir(dirs[1])
    nodeinfo.write(str(copy), nodeinfo.NodeInfo(42, d2.info.address))
    run = offline([dirs[0], str(copy)], "-c", f".recover {voters} --yes")
    assert run.status == 1
    where, _ = latest_configuration(DataDir(dirs[0]))
    assert run.err.strip() == (f"<command>:1: error: recover: the dirs disagree: {dirs[0]} "
                               f"(Raft configuration, {where}) says "
                               f"{d2.info.address} is node {d2.info.id}, {copy}/info.yaml says "
                               "node 42"), run
    # Backups never go inside a data dir.
    run = offline(dirs, "-c", f".recover {voters} --backup-dir {dirs[1]} --yes")
    assert run.status == 1
    assert run.err.strip() == (f"<command>:1: error: recover: --backup-dir {dirs[1]} is inside "
                               f"the data dir {dirs[1]}: backups go outside every dir")
    # A voter that is no dir's address; the old dir cannot be the one kept.
    run = offline(dirs, "-c", ".recover --voters 127.0.0.1:1 --yes")
    assert run.status == 1 and "127.0.0.1:1 is not the address of any dir given" in run.err
    old = DataDir(dirs[2]).info.address
    run = offline(dirs, "-c", f".recover --voters {old} --yes")
    assert run.status == 1 and "must be one of the --voters" in run.err, run
    run = offline(dirs, "-c", ".recover --yes")
    assert run.status == 1
    assert run.err.strip().endswith("(--voters ADDR,... is required)")
    # Online there is no data dir to read.
    run = run_dqlite("-s", "127.0.0.1:1", "-c", ".freshest")
    assert run.status == 1
    assert "start the shell with dqlite --offline DIR1 DIR2" in run.err
    for folder in (cluster.data_dir, tmp_path):
        assert not [n for n in os.listdir(folder) if n.endswith(".tar.gz")]


def test_the_repl_asks_first(lost, tmp_path):
    import re
    import sys

    import pexpect
    cluster, dirs = lost
    before = {d: _snapshot(d) for d in dirs}
    best = max((DataDir(d) for d in dirs[:2]), key=lambda d: last_entry(d)[::-1])
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1",
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               **ENV)
    child = pexpect.spawn(sys.executable, ["-m", "dqlite_shell", "--offline", *dirs], env=env,
                          encoding="utf-8", timeout=30, dimensions=(40, 200))
    try:
        line = f".recover --voters {best.info.address}\r"
        child.send(line)
        child.expect(re.escape("Do you want to proceed? [y/N]"))
        child.send("n\r")
        child.expect("recover: nothing done")
        assert {d: _snapshot(d) for d in dirs} == before
        child.send(line)
        child.expect(re.escape("Do you want to proceed? [y/N]"))
        child.send("y\r")
        child.expect(re.escape(f"recovered {best.path}: its Raft configuration is now "
                               f"{best.info.id}@{best.info.address}"))
        child.expect(re.escape(f"then start the voters: {best.info.address}"))
        child.expect(r"db@\S*>")  # a Ctrl-D typed while the command runs is eaten
        child.send(".quit\r")
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)
    assert _snapshot(best.path) != before[best.path]
    assert len([n for n in os.listdir(cluster.data_dir) if n.endswith(".tar.gz")]) == 3
    # The one voter starts alone and holds every acknowledged row.
    cluster.start(dirs.index(best.path))
    session = Session([best.info.address], "db", timeout=15)
    try:
        assert session.execute("SELECT count(*) FROM t").fetchall() == [(30,)]
    finally:
        session.close()


def test_offline_dirs_on_the_command_line(lost):
    from dqlite_shell.shell.startup import offline_dirs_argv
    _, dirs = lost
    assert offline_dirs_argv(["--offline", dirs[0], dirs[1], dirs[2], "app", "SELECT 1"]) == [
        "--offline", dirs[0], "--offline", dirs[1], "--offline", dirs[2], "app", "SELECT 1"]
    assert offline_dirs_argv([f"--offline={dirs[0]}", dirs[1], "-c", dirs[2]]) == [
        f"--offline={dirs[0]}", "--offline", dirs[1], "-c", dirs[2]]
    assert offline_dirs_argv(["-s", "x", "--", "--offline", dirs[0], dirs[1]]) == [
        "-s", "x", "--", "--offline", dirs[0], dirs[1]]
    run = offline([dirs[0], "--offline", dirs[1]], "app", ".freshest")
    assert run.status == 0 and run.out.splitlines()[1].startswith(f"{dirs[1]}|"), run


@pytest.mark.on_servers("1.17", "1.18")
def test_freshest_agrees_with_libdqlite(lost, tmp_path):
    """.freshest's last index and term are libdqlite's own
    (dqlite_node_describe_last_entry, on copies: it may touch the dir)."""
    import shutil
    import sys
    _, dirs = lost
    run = offline(dirs, "-c", ".freshest")
    assert run.status == 0, run
    rows = [line.split("|") for line in run.out.splitlines()[:-1]]
    for row, d in zip(rows, dirs, strict=True):
        copy = str(tmp_path / os.path.basename(d))
        shutil.copytree(d, copy)
        result = subprocess.run([sys.executable, "-m", "dqlite_shell.app.node_cli",
                                 "--describe-last-entry", "--no-auto-recovery", "--dir", copy],
                                capture_output=True, text=True, timeout=60,
                                env=dict(os.environ, **ENV))
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{copy}: last entry index {row[3]}, term {row[4]}\n"


def test_of_equally_fresh_dirs_a_voter_is_kept():
    from types import SimpleNamespace

    from dqlite_shell.offline.recovery import Candidate, RecoveryError, explain, freshest, plan

    def candidate(name, node_id, index, term):
        return Candidate(SimpleNamespace(path=name), node_id, f"127.0.0.1:{node_id}", index, term,
                         None)
    found = [candidate("a", 1, 10, 2), candidate("b", 2, 10, 2), candidate("c", 3, 12, 1)]
    assert freshest(found).path == "a"  # term first, then index; the first of equals
    assert explain(found[0], found) == ("a is the freshest: highest term 2, then highest index "
                                        "10 (as fresh as b: either will do)")
    best, nodes = plan(found, ["127.0.0.1:2", "127.0.0.1:3"])
    assert best.path == "b" and nodes == [(2, "127.0.0.1:2", 0), (3, "127.0.0.1:3", 0)]
    with pytest.raises(RecoveryError, match="the freshest dir a .* must be one of the --voters"):
        plan(found, ["127.0.0.1:3"])
    with pytest.raises(RecoveryError, match="127.0.0.1:3 is given twice"):
        plan(found, ["127.0.0.1:1", "127.0.0.1:3", "127.0.0.1:3"])
