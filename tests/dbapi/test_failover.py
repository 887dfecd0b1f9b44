"""Leader failover through the driver, on clusters of dqlite-node processes.

The leader is killed between statements, so what the driver must do is
deterministic: outside a transaction the next statement runs on the new
leader; inside one it fails, saying the transaction is gone. A leader that
stops answering while a statement is in flight gives an error saying the
statement may or may not have been applied. Every acknowledged row is read
back afterwards.
"""

from __future__ import annotations

import os
import signal

import pytest

from dqlite_shell import dbapi
from tests.dbapi.conftest import rows
from tests.support.processes import freeze
from tests.support.server_expectations import RETURNING_REFUSAL


def kill_leader(cluster, conn) -> str:
    old = conn.leader
    assert old in cluster.addresses
    cluster.kill(cluster.addresses.index(old))
    return old


def read_back(cluster, alive: list[str], sql: str) -> list[tuple]:
    conn = dbapi.connect(alive, timeout=10, autocommit=True)
    try:
        return rows(conn, sql)
    finally:
        conn.close()


def write_returning(conn, sql: str, parameters=()) -> list[tuple]:
    """Run ``sql`` (ending in RETURNING ...) and return its rows. Where the
    server cannot return rows from a write (1.15.1-1.18.2) it is refused
    before it is sent, the same write goes without RETURNING, and [] is
    returned (the rows are read back at the end of the test)."""
    if RETURNING_REFUSAL is None:
        return conn.execute(sql, parameters).fetchall()
    with pytest.raises(dbapi.OperationalError) as refused:
        conn.execute(sql, parameters)
    assert str(refused.value) == RETURNING_REFUSAL
    conn.execute(sql[:sql.index(" RETURNING ")], parameters)
    return []


def returned(expected: list[tuple]) -> list[tuple]:
    """What :func:`write_returning` gives: the rows, or [] where refused."""
    return expected if RETURNING_REFUSAL is None else []


@pytest.fixture
def cluster(cluster_factory):
    return cluster_factory(3, processes=True)


def test_failover_between_statements(cluster):
    conn = dbapi.connect(cluster.addresses, timeout=10, autocommit=True)
    try:
        conn.execute("CREATE TABLE f (n INTEGER PRIMARY KEY, tag TEXT)")
        # Every kind of write, acknowledged by the first leader...
        conn.execute("INSERT INTO f VALUES (0, 'plain')")
        assert write_returning(conn, "INSERT INTO f VALUES (1, 'returning') RETURNING n") \
            == returned([(1,)])
        conn.execute("WITH x(n) AS (VALUES (2)) INSERT INTO f SELECT n, 'with' FROM x")
        assert write_returning(conn, "WITH x(n) AS (VALUES (3)) INSERT INTO f SELECT n, "
                                     "'with-ret' FROM x RETURNING n") == returned([(3,)])
        conn.executemany("INSERT INTO f VALUES (?, 'many')", [(4,), (5,)])
        assert write_returning(conn, "UPDATE f SET tag = tag || '+' WHERE n >= 4 RETURNING n") \
            == returned([(4,), (5,)])
        conn.execute("PRAGMA user_version = 7")
        acknowledged = [(0, "plain"), (1, "returning"), (2, "with"), (3, "with-ret"),
                        (4, "many+"), (5, "many+")]
        old = kill_leader(cluster, conn)
        # ... is on the new one (it went through Raft), which takes new writes.
        for n in range(6, 10):
            assert write_returning(conn, "INSERT INTO f VALUES (?, 'after') RETURNING n",
                                   (n,)) == returned([(n,)])
            acknowledged.append((n, "after"))
        assert conn.leader != old and conn.leader in cluster.addresses
        assert rows(conn, "SELECT n, tag FROM f ORDER BY n") == acknowledged
        assert rows(conn, "PRAGMA user_version") == [(7,)]
    finally:
        conn.close()
    alive = [a for a in cluster.addresses if a != old]
    assert read_back(cluster, alive, "SELECT n, tag FROM f ORDER BY n") == acknowledged


@pytest.mark.parametrize("autocommit", [dbapi.LEGACY_TRANSACTION_CONTROL, False, True])
def test_failover_inside_transaction(cluster, autocommit):
    conn = dbapi.connect(cluster.addresses, timeout=10, autocommit=autocommit)
    try:
        conn.execute("CREATE TABLE f (n INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO f VALUES (1)")
        conn.commit()
        if autocommit is True:
            conn.execute("BEGIN")
        conn.execute("INSERT INTO f VALUES (2)")  # never committed
        assert conn.in_transaction
        old = kill_leader(cluster, conn)
        with pytest.raises(dbapi.OperationalError, match="transaction") as lost:
            conn.execute("INSERT INTO f VALUES (3)")
        assert "rolled back" in str(lost.value)
        assert conn.leader is None or conn.leader != old
        # autocommit=False keeps its promise: the next statement is in a new
        # transaction, not committed on its own.
        assert conn.in_transaction is False
        conn.execute("INSERT INTO f VALUES (4)")
        assert conn.in_transaction is (autocommit is not True)
        alive = [a for a in cluster.addresses if a != old]
        committed = [1] if autocommit is not True else [1, 4]
        assert [n for n, in read_back(cluster, alive, "SELECT n FROM f ORDER BY n")] == committed
        conn.commit()
        assert [n for n, in read_back(cluster, alive, "SELECT n FROM f ORDER BY n")] == [1, 4]
    finally:
        conn.close()


def test_leader_stops_answering_mid_statement(cluster):
    conn = dbapi.connect(cluster.addresses, timeout=10, request_timeout=1.0, autocommit=True)
    index = None
    try:
        conn.execute("CREATE TABLE f (n INTEGER PRIMARY KEY)")
        insert = "INSERT INTO f VALUES (?)"
        conn.execute(insert, (1,))  # prepared now: next time only EXEC is sent
        index = cluster.addresses.index(conn.leader)
        process = cluster._nodes[index]  # the dqlite-node child process
        freeze(process.pid)  # alive, silent: the request is in flight
        with pytest.raises(dbapi.OperationalError, match="may or may not have been applied"):
            conn.execute(insert, (2,))
        cluster.kill(index)
        conn.execute(insert, (3,))  # on the new leader
        got = [n for n, in rows(conn, "SELECT n FROM f ORDER BY n")]
        assert got in ([1, 3], [1, 2, 3])  # 2's fate was unknown; 1 and 3 were acknowledged
    finally:
        conn.close()
        if index is not None and cluster.running(index):
            os.kill(cluster._nodes[index].pid, signal.SIGCONT)
