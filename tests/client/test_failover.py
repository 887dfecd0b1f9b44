"""Following the leader when it dies: SIGKILLed dqlite-node processes."""

import time

import pytest

from dqlite_shell.client.errors import ConnectionLost
from dqlite_shell.client.session import LeadershipLost, Session, TransactionLost
from dqlite_shell.client.transport import peer_closed


@pytest.fixture
def cluster(cluster_factory):
    return cluster_factory(3, processes=True)


def _kill_leader(cluster, session) -> str:
    leader = session.leader_address
    cluster.kill(cluster.addresses.index(leader))
    return leader


def _kill_leader_before_next_answer(cluster, session) -> str:
    """SIGKILL the leader after the next request is sent, before its answer is read."""
    conn = session.connect()
    leader = session.leader_address
    original = conn._transport.read_frame

    def kill_then_read():
        cluster.kill(cluster.addresses.index(leader))
        return original()

    conn._transport.read_frame = kill_then_read
    return leader


def test_next_statement_runs_on_the_new_leader(cluster):
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        session.execute("CREATE TABLE f (n INTEGER PRIMARY KEY)")
        for i in range(10):
            session.execute("INSERT INTO f VALUES (?)", (i,))
        old = _kill_leader(cluster, session)
        started = time.monotonic()
        session.execute("INSERT INTO f VALUES (10)")  # idle socket seen closed: safe to go on
        assert session.leader_address != old
        assert time.monotonic() - started < 10
        assert session.execute("SELECT count(*), max(n) FROM f").fetchall() == [(11, 10)]
    finally:
        session.close()


def test_open_transaction_is_reported_lost(cluster):
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        session.execute("CREATE TABLE t (n)")
        session.execute("BEGIN")
        session.execute("INSERT INTO t VALUES (1)")
        _kill_leader(cluster, session)
        with pytest.raises((TransactionLost, LeadershipLost)):
            session.execute("INSERT INTO t VALUES (2)")
        assert not session.transaction.active
        assert session.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    finally:
        session.close()


def test_not_leader_refusal_is_retried_on_the_new_leader(cluster):
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        session.execute("CREATE TABLE r (n)")
        leader = session.leader()
        target = next(n for n in session.cluster() if n.id != leader.id)
        session.transfer(target.id)
        # The old leader now refuses statements as not-leader before running them.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            session.execute("INSERT INTO r VALUES (1)")
            if session.leader_address == target.address:
                break
        assert session.leader_address == target.address
        count = session.execute("SELECT count(*) FROM r").fetchall()[0][0]
        assert count >= 1
    finally:
        session.close()


def test_query_cut_by_the_leader_dying_is_an_error_then_the_session_recovers(cluster):
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        stream = session.execute("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                                 "FROM c LIMIT 5000000) SELECT n FROM c")
        next(iter(stream))
        old = _kill_leader(cluster, session)
        with pytest.raises(ConnectionLost):
            stream.fetchall()
        assert session.execute("SELECT 5").fetchall() == [(5,)]
        assert session.leader_address != old
    finally:
        session.close()


def test_write_in_flight_has_an_unknown_fate(cluster):
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        session.execute("CREATE TABLE w (n)")
        session.execute("INSERT INTO w VALUES (?)", (0,))  # prepared: the next send is EXEC
        _kill_leader_before_next_answer(cluster, session)  # before the EXEC's answer
        with pytest.raises(LeadershipLost, match="may or may not have been applied"):
            session.execute("INSERT INTO w VALUES (?)", (1,))
        count = session.execute("SELECT count(*) FROM w").fetchall()[0][0]
        assert count in (1, 2)
    finally:
        session.close()


def test_a_leader_gone_after_preparing_is_left_before_the_statement_runs(cluster):
    """The node answered PREPARE and then died: the EXEC that would run the
    statement is never sent into the closed socket, and the statement goes
    to the new leader (it cannot have run)."""
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        session.execute("CREATE TABLE p (n)")
        session.execute("SELECT 1").fetchall()  # the members are learnt
        conn = session.connect()
        leader = session.leader_address
        prepare = conn.prepare

        def prepare_then_die(sql):
            stmt = prepare(sql)
            cluster.kill(cluster.addresses.index(leader))
            deadline = time.monotonic() + 10
            while not peer_closed(conn._transport):
                assert time.monotonic() < deadline
                time.sleep(0.01)
            return stmt

        conn.prepare = prepare_then_die
        session.execute("INSERT INTO p VALUES (?)", (1,))  # prepared, then run
        assert session.leader_address != leader
        assert session.execute("SELECT count(*) FROM p").fetchall() == [(1,)]
    finally:
        session.close()
