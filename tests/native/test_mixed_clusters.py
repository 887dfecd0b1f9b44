"""Clusters of nodes on different servers (1.11 + 1.18, 1.17 + 1.18), as a
rolling upgrade makes them: joins, replication, failover, snapshot install in
both directions, and a client that routes each statement by what the node
leading at that moment can do."""

from __future__ import annotations

import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.client.capabilities import OLD
from tests.native.servers import SERVERS, require
from tests.native.test_servers import addresses, assert_runs, leader_conn, start_cluster

#: A snapshot every 32 entries, 32 kept: a node that misses more than 64
#: entries can only catch up by a snapshot install.
SNAPSHOTS = ["--snapshot-threshold", "32", "--snapshot-trailing", "32"]
#: Writes made while a node is down: far more than the log keeps.
MISSED = 200

#: These tests pick their servers themselves: they run once, in the 1.11 run.
pytestmark = pytest.mark.on_servers("1.11")


def wait_leader(nodes, timeout: float = 30.0) -> str:
    """The address of the leader, once one is elected."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with leader_conn([n for n in nodes if n.running]) as conn:
                return conn.address
        except Exception:  # noqa: BLE001 - no leader yet
            assert time.monotonic() < deadline, "no leader elected"
            time.sleep(0.1)


#: How long a node that missed more than the log keeps may take to lead: Raft
#: sends it a snapshot, and when the first send is lost (sent before the
#: node was back) the leader retries only after its install-snapshot timeout,
#: 30 s (measured: caught up after 0.4 s, or after 30 s).
CATCH_UP = 90


def transfer_to(nodes, target, timeout: float = 30) -> None:
    """Hand leadership to ``target`` and wait until it leads (Raft first
    brings it up to date, by a snapshot when its log is too far behind)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            with leader_conn([n for n in nodes if n.running]) as admin:
                if admin.address != target.address:
                    admin.transfer(target.node_id)
                if getattr(admin.leader(), "address", None) == target.address:
                    return
                last = f"leader {admin.address}"
        except Exception as e:  # noqa: BLE001 - an election in between: ask again
            last = f"{type(e).__name__}: {e}"
        assert time.monotonic() < deadline, (f"{target.address} did not lead in {timeout} s "
                                             f"(running: {target.running}; last: {last})")
        time.sleep(0.1)


def rows_on(node, database: str = "mixed") -> int:
    """Rows of t as ``node`` (the leader) has them."""
    conn = dbapi.connect([node.address], database, autocommit=True)
    try:
        return conn.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        conn.close()


def returning(conn, value: int):
    """INSERT ... RETURNING through the driver: the row, or the error text."""
    try:
        return conn.execute("INSERT INTO t VALUES (?) RETURNING n", (value,)).fetchall()
    except dbapi.Error as e:
        return str(e)


@pytest.mark.parametrize("old_name", ["1.11", "1.17"])
def test_a_mixed_cluster_replicates_fails_over_and_installs_snapshots(server_nodes, old_name):
    old, new = require(SERVERS[old_name]), require(SERVERS["1.18"])
    nodes = start_cluster(server_nodes, [old, new, new], SNAPSHOTS)
    for node, server in zip(nodes, [old, new, new], strict=True):
        assert_runs(node, server)
    old_node, new_node, other_new = nodes
    conn = dbapi.connect(addresses(nodes), "mixed", autocommit=True, timeout=30)
    try:
        conn.execute("CREATE TABLE t (n INTEGER)")
        # One session, two leaders: each statement goes the way its leader allows.
        transfer_to(nodes, old_node)
        on_old = returning(conn, 1)
        if old.level == OLD:
            assert on_old == [(1,)]  # in a transaction whose COMMIT goes through Raft
        else:  # refused before sending: 1.17 would abort at the next write (bug E)
            assert "this server (dqlite 1.15.1 to 1.18.2) cannot return rows" in on_old
        transfer_to(nodes, new_node)
        assert returning(conn, 2) == [(2,)]  # one QUERY_SQL on 1.18
        expected = rows_on(new_node)

        # A lagging old node catches up from a 1.18 leader by a snapshot, and
        # the reverse: a lagging 1.18 node from the old leader.
        for lagging in (old_node, other_new):
            lagging.kill()
            for i in range(MISSED):
                conn.execute("INSERT INTO t VALUES (?)", (i,))
            expected += MISSED
            lagging.start()
            transfer_to(nodes, lagging, CATCH_UP)
            assert rows_on(lagging) == expected

        # Failover: the leader dies; the session goes on with the others.
        leader = next(n for n in nodes if n.address == wait_leader(nodes))
        leader.kill()
        conn.execute("INSERT INTO t VALUES (-1)")
        expected += 1
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (expected,)
        with leader_conn([n for n in nodes if n.running]) as admin:
            assert {n.address for n in admin.cluster()} == set(addresses(nodes))
    finally:
        conn.close()
    for node in nodes:
        if node.running:
            assert node.terminate() == 0  # a clean stop: nothing left behind on any server
