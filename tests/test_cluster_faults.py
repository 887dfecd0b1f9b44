"""Faults on real 3-node clusters of dqlite-node processes: a statement that
crashes its node, frozen (SIGSTOPped) leaders and followers.

A statement whose answer never came is reported and never re-sent, so one
statement can take down at most one node; a node that shows no life at all
is given up after the shell's --timeout.
"""

import os
import re
import signal
import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.client.session import Session
from tests.shell.conftest import run_dqlite
from tests.support.processes import freeze
from tests.support.shell_process import ShellProcess, check_script_outcome

#: libdqlite 1.11 aborts the node that reads a REAL from a TIMESTAMP column
#: (src/query.c: value_type: Assertion).
CRASHER = "SELECT ts FROM d1"


@pytest.fixture
def cluster(process_cluster):
    return process_cluster


def _session(cluster, timeout=15) -> Session:
    return Session(cluster.addresses, "db", timeout=timeout)


def _leader_index(cluster) -> int:
    session = _session(cluster)
    try:
        session.connect()
        return cluster.addresses.index(session.leader_address)
    finally:
        session.close()


def _alive(cluster) -> list[int]:
    return [i for i in range(3) if cluster.running(i)]


def _wait_dead(cluster, index, timeout=10.0) -> None:
    deadline = time.monotonic() + timeout
    while cluster.running(index):
        assert time.monotonic() < deadline, f"node {index} is still running"
        time.sleep(0.02)


def _cluster_writes(cluster, value) -> None:
    session = _session(cluster)
    try:
        session.execute("INSERT INTO w VALUES (?)", (value,))
        assert (value,) in session.execute("SELECT n FROM w").fetchall()
    finally:
        session.close()


def _make_crasher_table(cluster) -> None:
    session = _session(cluster)
    try:
        session.execute("CREATE TABLE d1 (ts TIMESTAMP)")
        session.execute("INSERT INTO d1 VALUES (1.5)")
        session.execute("CREATE TABLE w (n INTEGER)")
    finally:
        session.close()


def _freeze(cluster, index) -> None:
    freeze(cluster.pid(index))


def _thaw(cluster, index) -> None:
    os.kill(cluster.pid(index), signal.SIGCONT)


def test_a_statement_that_crashes_its_node_takes_down_one_node_only(cluster):
    _make_crasher_table(cluster)
    leader = _leader_index(cluster)
    run = run_dqlite("-s", ",".join(cluster.addresses), "-c", CRASHER, timeout=60)
    assert run.status == 1, run
    assert run.err == (f"<command>:1: error: the connection to {cluster.addresses[leader]} was "
                       "lost while it ran this statement (the node may have crashed)\n")
    _wait_dead(cluster, leader)
    assert len(_alive(cluster)) == 2
    _cluster_writes(cluster, 1)

    # The driver, after the crashed node came back.
    cluster.start(leader)
    leader = _leader_index(cluster)
    conn = dbapi.connect(cluster.addresses, timeout=15)
    try:
        # A node that dumps core may hold its socket open past the timeout.
        with pytest.raises(dbapi.OperationalError,
                           match="(was lost|did not answer in time) while it ran this statement"):
            conn.cursor().execute(CRASHER).fetchall()
    finally:
        conn.close()
    _wait_dead(cluster, leader)
    assert len(_alive(cluster)) == 2
    _cluster_writes(cluster, 2)


def test_a_frozen_leader_and_follower_end_the_statement_after_the_timeout(cluster):
    _make_crasher_table(cluster)
    leader = _leader_index(cluster)
    follower = (leader + 1) % 3
    with ShellProcess("-s", ",".join(cluster.addresses), "--timeout", "3") as shell:
        # Connected to the leader, members learnt (before the second
        # statement), the INSERT prepared: the frozen request is its EXEC.
        shell.send("SELECT 'first';\nINSERT INTO w VALUES (1);\nSELECT 'second';\n")
        assert (shell.read_line(), shell.read_line()) == ("first\n", "second\n")
        _freeze(cluster, leader)
        _freeze(cluster, follower)
        started = time.monotonic()
        shell.send("INSERT INTO w VALUES (1);\nSELECT 'never';\n")
        status, err = shell.finish(30)
        took = time.monotonic() - started
    assert status == 1, err
    (line,) = err.splitlines()
    assert line.startswith(f"<stdin>:4: error: {cluster.addresses[leader]} answered nothing for ")
    assert "no other node leads" in line and line.endswith("may or may not have been applied")
    assert 3 <= took < 8, took


def test_a_frozen_single_node_ends_a_select_after_the_timeout(process_factory):
    node = process_factory()
    with ShellProcess("-s", node.address, "--timeout", "2") as shell:
        shell.send("SELECT 'first';\nSELECT 'second';\n")
        assert (shell.read_line(), shell.read_line()) == ("first\n", "second\n")
        freeze(node.proc.pid)
        try:
            started = time.monotonic()
            shell.send("SELECT 'third';\n")
            status, err = shell.finish(30)
            took = time.monotonic() - started
        finally:
            os.kill(node.proc.pid, signal.SIGCONT)
    assert status == 1, err
    assert re.fullmatch(
        f"<stdin>:3: error: {re.escape(node.address)} answered nothing for [0-9.]+ s, "
        "neither this statement nor a probe on a second connection, and no other "
        "node leads \\(the node may be frozen, cut off, or busy with one long "
        "step\\)\n", err)
    assert 2 <= took < 6, took


def test_a_frozen_follower_does_not_delay_the_exit(cluster):
    leader = _leader_index(cluster)
    follower = (leader + 1) % 3
    _freeze(cluster, follower)
    # The frozen follower is listed first: its probe thread must not be waited for.
    servers = [cluster.addresses[follower]] + [a for a in cluster.addresses
                                               if a != cluster.addresses[follower]]
    started = time.monotonic()
    run = run_dqlite("-s", ",".join(servers), "--timeout", "5", "-c", "SELECT 1", timeout=30)
    took = time.monotonic() - started
    assert (run.status, run.out, run.err) == (0, "1\n", "")
    assert took < 2.5, took


def test_a_leader_frozen_mid_script_never_applies_twice_or_skips(cluster):
    """A bounded chaos run: the leader freezes for a while in the middle of a
    piped script. Either every row lands once, or the script stops at the
    one statement whose fate is unknown, with everything before it applied
    and nothing after it."""
    session = _session(cluster)
    session.execute("CREATE TABLE k (n INTEGER)")  # no UNIQUE: duplicates would show
    leader = cluster.addresses.index(session.leader_address)
    session.close()
    lines = 1500
    script = "".join(f"INSERT INTO k VALUES ({i});\n" for i in range(1, lines + 1))
    with ShellProcess("-s", ",".join(cluster.addresses), "--timeout", "10") as shell:
        shell.send(script[:len(script) // 3])
        watcher = _session(cluster)
        deadline = time.monotonic() + 60
        while watcher.execute("SELECT count(*) FROM k").fetchall()[0][0] < 100:
            assert time.monotonic() < deadline and shell.proc.poll() is None
            time.sleep(0.01)
        watcher.close()
        _freeze(cluster, leader)
        shell.send(script[len(script) // 3:])
        # Thaw once the others have a new leader (well inside the shell's 10 s).
        other = Session([a for i, a in enumerate(cluster.addresses) if i != leader], "db",
                        timeout=15)
        other.connect()
        other.close()
        _thaw(cluster, leader)
        status, err = shell.finish(120)
    session = _session(cluster)
    try:
        values = [n for (n,) in session.execute("SELECT n FROM k ORDER BY n").fetchall()]
    finally:
        session.close()
    check_script_outcome(values, lines, status, err)


def test_the_probe_tells_a_live_node_a_frozen_one_and_none(process_factory, free_address):
    """The liveness probe itself: True for a node that answers LEADER on a
    second connection, False for one that is silent, None for no node."""
    node = process_factory()
    session = Session([node.address], "db")
    try:
        assert session.node_answers(node.address, 1.0) is True
        freeze(node.proc.pid)
        try:
            assert session.node_answers(node.address, 0.5) is False
        finally:
            os.kill(node.proc.pid, signal.SIGCONT)
        assert session.node_answers(node.address, 1.0) is True
        assert session.node_answers(free_address, 1.0) is None
    finally:
        session.close()


def test_driver_threads_lose_no_acknowledged_row_when_the_leader_dies(cluster):
    """A bounded chaos run: 4 driver threads write while the leader is
    SIGKILLed. Every acknowledged row is there once; a row whose fate was
    reported unknown may be there (once); no other row is."""
    import threading
    session = _session(cluster)
    session.execute("CREATE TABLE c (thread INTEGER, n INTEGER)")  # no UNIQUE on purpose
    leader = cluster.addresses.index(session.leader_address)
    session.close()
    per_thread = 150
    acked, unknown, refused = set(), set(), set()
    lock = threading.Lock()
    progress = threading.Semaphore(0)

    def write(thread):
        conn = dbapi.connect(cluster.addresses, timeout=15, autocommit=True)
        try:
            for n in range(per_thread):
                outcome = _insert(conn, thread, n, acked, unknown, refused)
                with lock:
                    outcome.add((thread, n))
                progress.release()
        finally:
            conn.close()

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for _ in range(100):  # a quarter of the writes are in
        assert progress.acquire(timeout=60)
    cluster.kill(leader)
    for t in threads:
        t.join(120)
        assert not t.is_alive()
    session = _session(cluster)
    try:
        rows = session.execute("SELECT thread, n FROM c").fetchall()
    finally:
        session.close()
    assert len(rows) == len(set(rows)), "a row was written twice"
    present = set(rows)
    assert acked <= present, f"acknowledged rows missing: {sorted(acked - present)[:5]}"
    assert present <= acked | unknown, "a refused write was applied"
    assert len(acked | unknown | refused) == 4 * per_thread
    assert len(acked) >= 4 * per_thread - 20  # the cluster went on


def _insert(conn, thread, n, acked, unknown, refused):
    """One write; which set it belongs to (the driver waits out SQLITE_BUSY,
    which libdqlite 1.11 answers while another write is replicated)."""
    try:
        conn.execute("INSERT INTO c VALUES (?, ?)", (thread, n))
        return acked
    except dbapi.OperationalError as e:
        return unknown if "may or may not have been applied" in str(e) else refused


def test_single_transaction_script_is_all_or_nothing_when_the_leader_dies(cluster):
    session = _session(cluster)
    session.execute("CREATE TABLE s (n INTEGER)")
    leader = cluster.addresses.index(session.leader_address)
    session.close()
    first = "".join(f"INSERT INTO s VALUES ({i});\n" for i in range(1, 301))
    rest = "".join(f"INSERT INTO s VALUES ({i});\n" for i in range(301, 601))
    with ShellProcess("-s", ",".join(cluster.addresses), "--timeout", "10", "-1") as shell:
        shell.send(first + "SELECT 'half';\n")
        assert shell.read_line() == "half\n"  # 300 rows in, not committed
        cluster.kill(leader)
        shell.send(rest)
        status, err = shell.finish(60)
    session = _session(cluster)
    try:
        count = session.execute("SELECT count(*) FROM s").fetchall()[0][0]
    finally:
        session.close()
    assert status == 1, err
    assert count == 0
    (line,) = err.splitlines()
    assert line.startswith("<stdin>:302: error: ") and line.endswith(
        "the open transaction was rolled back"), line
