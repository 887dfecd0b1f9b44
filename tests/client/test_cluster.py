"""Leader discovery and cluster administration against real 3-node clusters."""

import sqlite3
import time

import pytest

from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ClientError, NoLeaderError, ServerError
from dqlite_shell.client.leader import NodeStore, connect_leader
from dqlite_shell.client.session import Session
from dqlite_shell.native import Node, generate_node_id, release_port, reserve_address
from dqlite_shell.wire.constants import Role
from tests.support.server_expectations import MISSING_DATABASE_MESSAGE, RETURNING_REFUSAL


def _leader_index(cluster) -> int:
    with connect_leader(NodeStore(cluster.addresses), 10) as conn:
        return cluster.addresses.index(conn.address)


def test_discovery_from_a_follower_listed_first(shared_cluster):
    leader = _leader_index(shared_cluster)
    followers = [a for i, a in enumerate(shared_cluster.addresses) if i != leader]
    with connect_leader(NodeStore([followers[0]]), 10) as conn:
        assert conn.address == shared_cluster.addresses[leader]
        assert conn.leader().address == conn.address


def test_discovery_past_a_dead_address(shared_cluster, free_address):
    with connect_leader(NodeStore([free_address] + shared_cluster.addresses[::-1]), 10) as conn:
        assert conn.leader().address == conn.address


def test_no_leader_lists_what_each_node_answered(free_address):
    other = reserve_address()
    try:
        started = time.monotonic()
        with pytest.raises(NoLeaderError) as info:
            connect_leader(NodeStore([free_address, other]), timeout=1.0)
        assert time.monotonic() - started < 3
        assert set(info.value.answers) == {free_address, other}
        assert "connection refused" in str(info.value)
        assert free_address in str(info.value)
    finally:
        release_port(int(other.rsplit(":", 1)[1]))


def test_session_learns_members_it_was_not_given(shared_cluster):
    leader = _leader_index(shared_cluster)
    follower = shared_cluster.addresses[(leader + 1) % 3]
    session = Session([follower], "db")
    try:
        session.execute("SELECT 1").fetchall()
        # A one-shot connect is LEADER + CLIENT + OPEN, as go-dqlite's: no CLUSTER.
        assert session.store.addresses() == [follower]
        session.execute("SELECT 2").fetchall()
        assert sorted(session.store.addresses()) == sorted(shared_cluster.addresses)
    finally:
        session.close()


def test_cluster_lists_every_member_with_its_role(shared_cluster):
    session = Session(shared_cluster.addresses, "db")
    try:
        nodes = session.cluster()
        assert sorted(n.address for n in nodes) == sorted(shared_cluster.addresses)
        assert {n.role for n in nodes} == {Role.VOTER}
        assert len({n.id for n in nodes}) == 3
    finally:
        session.close()


def test_add_assign_remove_are_observed(cluster_factory, tmp_path):
    cluster = cluster_factory(3)
    address = reserve_address()
    node_id = generate_node_id(address)
    node = Node(address, tmp_path, node_id=node_id)
    node.start()
    session = Session(cluster.addresses, "db")
    try:
        session.add(node_id, address)
        roles = {n.id: (n.address, n.role) for n in session.cluster()}
        assert roles[node_id] == (address, Role.SPARE)
        session.assign(node_id, "standby")
        assert {n.id: n.role for n in session.cluster()}[node_id] == Role.STANDBY
        session.assign(node_id, Role.VOTER)
        assert {n.id: n.role for n in session.cluster()}[node_id] == Role.VOTER
        session.execute("CREATE TABLE rep (a)")
        session.execute("INSERT INTO rep VALUES (1)")
        session.remove(node_id)
        assert node_id not in {n.id for n in session.cluster()}
        with pytest.raises(ServerError):
            session.remove(node_id)
    finally:
        session.close()
        node.close()
        release_port(int(address.rsplit(":", 1)[1]))


def test_transfer_moves_leadership(cluster_factory):
    cluster = cluster_factory(3)
    session = Session(cluster.addresses, "db")
    try:
        old = session.leader()
        target = next(n for n in session.cluster() if n.id != old.id)
        session.transfer(target.id)
        deadline = time.monotonic() + 10
        while True:
            with Connection.connect(target.address) as conn:
                leader = conn.leader()
            if leader is not None and leader.id == target.id:
                break
            assert time.monotonic() < deadline, "leadership did not move"
            time.sleep(0.05)
        session.close()
        session = Session(cluster.addresses, "db")
        session.connect()
        assert session.leader_address == target.address
    finally:
        session.close()


def test_describe_and_weight_through_the_leader(shared_cluster):
    session = Session(shared_cluster.addresses, "db")
    try:
        meta = session.describe()
        assert meta.failure_domain == 0
        session.weight(3)
        assert session.describe().weight == 3
        session.weight(0)
    finally:
        session.close()


def test_dump_opens_in_sqlite3(shared_cluster, tmp_path):
    session = Session(shared_cluster.addresses, "dumpdb")
    try:
        session.execute("CREATE TABLE IF NOT EXISTS d (n INTEGER, s TEXT)")
        session.execute("DELETE FROM d")
        for i in range(100):
            session.execute("INSERT INTO d VALUES (?, ?)", (i, f"s{i}"))
        files = dict(session.dump("dumpdb"))
    finally:
        session.close()
    assert set(files) == {"dumpdb", "dumpdb-wal"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    db = sqlite3.connect(tmp_path / "dumpdb")
    try:
        assert db.execute("SELECT count(*), sum(n) FROM d").fetchone() == (100, 4950)
        assert db.execute("SELECT s FROM d WHERE n = 42").fetchone() == ("s42",)
    finally:
        db.close()


def test_writes_reach_every_node(shared_cluster, tmp_path):
    session = Session(shared_cluster.addresses, "everydb")
    try:
        session.execute("CREATE TABLE IF NOT EXISTS everywhere (n)")
        session.execute("INSERT INTO everywhere VALUES (7)")
        if RETURNING_REFUSAL is None:
            # RETURNING goes through BEGIN/QUERY/COMMIT (1.11) or one QUERY_SQL
            # (1.18.3+): it must be replicated too.
            assert session.execute(
                "INSERT INTO everywhere VALUES (8) RETURNING n").fetchall() == [(8,)]
        else:
            # 1.15.1-1.18.2: refused before it is sent; the plain write is.
            with pytest.raises(ClientError) as refused:
                session.execute("INSERT INTO everywhere VALUES (8) RETURNING n")
            assert str(refused.value) == RETURNING_REFUSAL
            session.execute("INSERT INTO everywhere VALUES (8)")
    finally:
        session.close()
    # Followers refuse queries; their dumps show what they hold.
    for index, address in enumerate(shared_cluster.addresses):
        deadline = time.monotonic() + 10
        while True:
            with Connection.connect(address) as conn:
                try:
                    files = dict(conn.dump("everydb"))
                except ServerError as e:
                    # 1.18.3+: a node that has not got the database yet says so.
                    if e.message != MISSING_DATABASE_MESSAGE:
                        raise
                    files = {}
            folder = tmp_path / str(index)
            folder.mkdir(exist_ok=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            db = sqlite3.connect(folder / "everydb")
            try:
                rows = db.execute("SELECT n FROM everywhere ORDER BY n").fetchall()
            except sqlite3.OperationalError:
                rows = []
            finally:
                db.close()
            if rows == [(7,), (8,)] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert rows == [(7,), (8,)], address


def test_star_queries_check_the_schema_only_on_a_used_connection(shared_cluster, monkeypatch):
    """A new connection loads the schema when first used: its first SELECT *
    needs no schema check (it used to send one every time)."""
    from dqlite_shell.client.connection import Connection
    checks = []
    original = Connection.exec_sql

    def counting(self, sql, params=()):
        checks.append(sql)
        return original(self, sql, params)

    session = Session(shared_cluster.addresses, "db")
    try:
        session.execute("CREATE TABLE IF NOT EXISTS star_check (n)")
        session.close()
        monkeypatch.setattr(Connection, "exec_sql", counting)
        session.execute("SELECT * FROM star_check").fetchall()  # a fresh connection
        assert checks == []
        session.execute("SELECT * FROM star_check").fetchall()
        assert checks == ["SELECT 1 FROM sqlite_master WHERE 0"]
    finally:
        session.close()
