"""The client's Connection against a real node: requests, values, streaming, cancel."""

import math
import time

import pytest

from dqlite_shell.client.capabilities import MIDDLE
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ServerError
from dqlite_shell.wire.values import Iso8601, UnixTime
from tests.native.servers import CURRENT

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


@pytest.fixture
def conn(node):
    c = Connection.connect(node.address, timeout=10)
    c.open("db")
    yield c
    c.close()


def test_handshake_leader_and_welcome(node):
    with Connection.connect(node.address) as c:
        leader = c.leader()
        assert (leader.id, leader.address) == (node.id, node.address)
        assert c.register().heartbeat_timeout > 0


VALUES = [
    None, 0, 1, -1, INT64_MIN, INT64_MAX, 0.0, -0.0, 1.5, -2.25e300, math.inf, -math.inf,
    "", "plain", "ünïcødé ✓ 漢字 🎉 e\u0301", "x" * 1_000_000,
    b"", b"\x00\x01\xff", bytes(range(256)) * 4096,
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:30])
def test_value_round_trip(conn, value):
    conn.exec_sql("CREATE TABLE IF NOT EXISTS v (x)")
    conn.exec_sql("DELETE FROM v")
    conn.exec_sql("INSERT INTO v VALUES (?)", (value,))
    (row,) = conn.query_sql("SELECT x FROM v").fetchall()
    got = row[0]
    assert type(got) is type(value)
    if isinstance(value, float):
        assert math.copysign(1, got) == math.copysign(1, value)
    assert got == value


def test_nan_round_trip(conn):
    # SQLite stores NaN as NULL; what matters is that nothing breaks on the way.
    (row,) = conn.query_sql("SELECT ?", (math.nan,)).fetchall()
    assert row[0] is None or math.isnan(row[0])


def test_tagged_types(conn):
    conn.exec_sql("CREATE TABLE tagged (d DATETIME, t TIMESTAMP, b BOOLEAN)")
    conn.exec_sql("INSERT INTO tagged VALUES (1700000000, '2024-02-29 12:00:00', 1)")
    conn.exec_sql("INSERT INTO tagged VALUES (NULL, NULL, 0)")
    rows = conn.query_sql("SELECT d, t, b FROM tagged ORDER BY rowid").fetchall()
    assert rows == [(1700000000, "2024-02-29 12:00:00", True), ("", "", False)]
    assert [type(v) for v in rows[0]] == [UnixTime, Iso8601, bool]
    assert type(rows[1][0]) is Iso8601  # the server sends NULL in DATETIME as ISO8601 ""


def test_prepare_exec_query_finalize(conn):
    conn.exec_sql("CREATE TABLE p (a INTEGER, b TEXT)")
    insert = conn.prepare("INSERT INTO p VALUES (?, ?)")
    assert insert.params == 2
    for i in range(5):
        result = conn.exec(insert.id, (i, f"v{i}"))
        assert (result.last_insert_id, result.rows_affected) == (i + 1, 1)
    conn.finalize(insert.id)
    select = conn.prepare("SELECT a, b FROM p WHERE a >= ? ORDER BY a")
    stream = conn.query(select.id, (3,))
    assert stream.columns == ["a", "b"]
    assert stream.fetchall() == [(3, "v3"), (4, "v4")]


def test_exec_sql_runs_every_statement_and_query_sql_only_the_first(conn):
    conn.exec_sql("CREATE TABLE m (a); INSERT INTO m VALUES (1); INSERT INTO m VALUES (2);")
    assert conn.query_sql("SELECT count(*) FROM m").fetchall() == [(2,)]


def test_failure_carries_code_and_message(conn):
    with pytest.raises(ServerError) as info:
        conn.query_sql("SELECT * FROM missing")
    assert info.value.code == 1 and info.value.message == "no such table: missing"
    conn.exec_sql("CREATE TABLE u (a UNIQUE)")
    conn.exec_sql("INSERT INTO u VALUES (1)")
    with pytest.raises(ServerError) as info:
        conn.exec_sql("INSERT INTO u VALUES (1)")
    assert info.value.code == 2067  # SQLITE_CONSTRAINT_UNIQUE
    assert conn.query_sql("SELECT count(*) FROM u").fetchall() == [(1,)]


BIG = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT {}) "
       "SELECT n, 'row ' || n, n * 0.5 FROM c")


def test_rows_stream_in_batches(conn):
    stream = conn.query_sql(BIG.format(200_000))
    sizes, total, count = [], 0, 0
    for batch in stream.batches():
        sizes.append(len(batch))
        count += len(batch)
        total += sum(r[0] for r in batch)
    assert count == 200_000 and total == 200_000 * 200_001 // 2
    assert len(sizes) > 100 and max(sizes) < 10_000  # many small batches, never all at once


def test_closing_a_result_early_keeps_the_connection_usable(conn):
    stream = conn.query_sql(BIG.format(100_000))
    first = next(iter(stream))
    assert first == (1, "row 1", 0.5)
    stream.close()
    assert not conn.closed
    assert conn.query_sql("SELECT 42").fetchall() == [(42,)]


def test_new_request_closes_the_unfinished_result(conn):
    stream = conn.query_sql(BIG.format(50_000))
    next(iter(stream))
    assert conn.query_sql("SELECT 7").fetchall() == [(7,)]
    assert stream.done


def test_cancel_returns_within_a_second_and_the_next_request_works(node):
    from dqlite_shell.client.capabilities import probe
    from dqlite_shell.client.drain import Drains
    conn = Connection.connect(node.address, timeout=10)
    conn.open("db")
    conn.capabilities, conn.drains = probe(conn), Drains()
    stream = conn.query_sql(BIG.format(5_000_000))
    next(iter(stream))
    started = time.monotonic()
    acknowledged = conn.cancel(grace=0.5)
    assert time.monotonic() - started < 1.0
    # Unless the server stopped in time, the connection is given up: 1.11 is
    # freed by a close; newer servers leak a statement closed mid-stream
    # (1.18.6 aborts at stop), so the rest is read in the background.
    assert acknowledged != conn.closed
    if not acknowledged:
        assert conn.draining == (CURRENT.level >= MIDDLE)
    other = Connection.connect(node.address, timeout=10)
    other.open("db")
    started = time.monotonic()
    assert other.query_sql("SELECT 1").fetchall() == [(1,)]
    assert time.monotonic() - started < 1.0
    other.close()
    assert conn.drains.wait(120)  # read to its end: the node stops cleanly at teardown


def test_describe_and_weight_of_a_single_node(node):
    with Connection.connect(node.address) as c:
        c.weight(7)
        meta = c.describe()
        assert (meta.failure_domain, meta.weight) == (0, 7)


def test_failure_domain_is_described(node_factory):
    node = node_factory(failure_domain=5)
    with Connection.connect(node.address) as c:
        assert c.describe().failure_domain == 5


@pytest.mark.parametrize("kind", ["abstract", "ipv6"])
def test_other_address_families(node_factory, kind):
    from dqlite_shell.native import release_port, reserve_port
    port = None
    if kind == "abstract":
        node = node_factory("@")
    else:
        port = reserve_port("::1")
        node = node_factory(f"[::1]:{port}")
    try:
        with Connection.connect(node.address) as c:
            assert c.leader().address == node.address
            c.open("db")
            assert c.query_sql("SELECT 'hi'").fetchall() == [("hi",)]
    finally:
        if port:
            release_port(port)


#: What a session answers to PRAGMA wal_checkpoint, by server: refused by
#: the client where it crashes the node (1.11), the server's own refusal
#: elsewhere (1.17 at PREPARE, 1.18's authorizer).
CHECKPOINT_REFUSAL = {"1.11": "wal_checkpoint is refused", "1.17": "custom checkpoint not allowed",
                      "1.18": "not authorized"}


def test_wal_checkpoint_is_refused_before_it_reaches_the_node(node):
    from dqlite_shell.client.errors import ClientError
    from dqlite_shell.client.session import Session
    session = Session([node.address], "db")
    try:
        session.execute("CREATE TABLE w (a)")
        with pytest.raises(ClientError, match=CHECKPOINT_REFUSAL[CURRENT.name]):
            session.execute("PRAGMA wal_checkpoint")
        session.execute("INSERT INTO w VALUES (1)")  # the node is alive and well
        assert session.execute("SELECT count(*) FROM w").fetchall() == [(1,)]
    finally:
        session.close()
