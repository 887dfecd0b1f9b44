"""The wire layer against a real libdqlite 1.11.1 node (raw sockets, no client layer).

These pin the facts the codec relies on: batch boundaries, the NULL quirks of
DATETIME/BOOLEAN columns, and the FAILURE the server appends to half-built ROWS.
"""

import datetime as dt
import socket

import pytest

from dqlite_shell import wire
from dqlite_shell.wire import requests as rq
from tests.support.raw import recv_exactly
from tests.support.server_expectations import dump_of_missing


class Conn:
    def __init__(self, address: str):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.sendall(wire.encode_handshake())

    def recv_raw(self):
        header = wire.parse_header(recv_exactly(self.sock, 8))
        return header, recv_exactly(self.sock, header.body_size)

    def call(self, frame: bytes, **kwargs):
        self.sock.sendall(frame)
        header, body = self.recv_raw()
        return wire.decode_response(header.type, header.schema, body, **kwargs)

    def query(self, frame: bytes):
        """All rows of a query, and the final response (the last Rows or a Failure)."""
        self.sock.sendall(frame)
        rows = []
        while True:
            header, body = self.recv_raw()
            response = wire.decode_response(header.type, header.schema, body)
            if not isinstance(response, wire.Rows):
                return rows, response
            rows += response.rows
            if response.done:
                return rows, response


@pytest.fixture
def conn(node):
    c = Conn(node.address)
    assert c.call(rq.open("test.db")) == wire.Db(0)
    yield c
    c.sock.close()


def test_batches_are_byte_identical_to_iter_row_batches(conn):
    conn.call(rq.exec_sql(0, "CREATE TABLE big (i INTEGER, t TEXT, r REAL, j INTEGER)"))
    conn.call(rq.exec_sql(0, "WITH RECURSIVE c(x) AS "
                             "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) "
                             "INSERT INTO big SELECT x, 'name-' || x, x * 0.5, -x FROM c"))
    expected = list(wire.iter_row_batches(
        ["i", "t", "r", "j"], [(x, f"name-{x}", x * 0.5, -x) for x in range(1, 3001)]))
    conn.sock.sendall(rq.query_sql(0, "SELECT * FROM big"))
    received = []
    while True:
        header, body = conn.recv_raw()
        assert (header.type, header.schema) == (wire.ResponseType.ROWS, 0)
        received.append(body)
        if wire.decode_rows(body).done:
            break
    assert len(received) == len(expected) == 36
    assert received == expected


def test_values_params_and_null_quirks(conn):
    conn.call(rq.exec_sql(0, "CREATE TABLE t (a INTEGER, b TEXT, c REAL, e BLOB, f DATETIME, "
                             "g BOOLEAN, h DATE)"))
    stmt = conn.call(rq.prepare(0, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)"))
    assert stmt == wire.Stmt(0, stmt.id, 7, None)
    values = [-(2**63), "hé", float("inf"), b"\0\1", dt.datetime(2024, 1, 2, 3, 4, 5), True,
              wire.UnixTime(1700000000)]
    assert conn.call(rq.exec(0, stmt.id, values)) == wire.Result(1, 1)
    assert conn.call(rq.exec(0, stmt.id, [None] * 7)) == wire.Result(2, 1)
    rows, last = conn.query(rq.query_sql(0, "SELECT * FROM t ORDER BY rowid"))
    assert last.done and last.columns == ["a", "b", "c", "e", "f", "g", "h"]
    assert rows == [
        (-(2**63), "hé", float("inf"), b"\0\1", "2024-01-02 03:04:05", True, 1700000000),
        # NULL in a DATETIME/DATE column comes as ISO8601 "", in a BOOLEAN column as False.
        (None, None, None, None, "", False, ""),
    ]
    assert [type(v) for v in rows[0][4:]] == [wire.Iso8601, bool, wire.UnixTime]
    assert [type(v) for v in rows[1][4:]] == [wire.Iso8601, bool, wire.Iso8601]
    rows, _ = conn.query(rq.query_sql(0, "SELECT typeof(?), typeof(?), typeof(?), typeof(?), ?",
                                      [True, dt.date(2020, 1, 2), 2.0, None, wire.Iso8601("x")]))
    assert rows == [("integer", "text", "real", "null", "x")]


def test_failures_after_partial_rows_are_recovered(conn):
    conn.call(rq.exec_sql(0, "CREATE TABLE n (i INTEGER)"))
    conn.call(rq.exec_sql(0, "WITH RECURSIVE c(x) AS "
                             "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000) "
                             "INSERT INTO n SELECT x FROM c"))
    overflow = "abs(-9223372036854775808)"
    rows, last = conn.query(rq.query_sql(0, f"SELECT 1, {overflow}"))
    assert (rows, last) == ([], wire.Failure(1, "integer overflow"))
    rows, last = conn.query(
        rq.query_sql(0, f"SELECT CASE WHEN i = 1500 THEN {overflow} ELSE i END FROM n"))
    assert last == wire.Failure(1, "integer overflow")
    assert rows == [(i,) for i in range(1, len(rows) + 1)] and 0 < len(rows) < 1500
    assert conn.call(rq.leader()).address  # the connection is still in sync


def test_invalid_utf8_is_a_protocol_error_but_the_stream_stays_in_sync(conn):
    with pytest.raises(wire.ProtocolError, match="invalid UTF-8 in text in ROWS body at offset 40"):
        conn.query(rq.query_sql(0, "SELECT CAST(x'ff' AS TEXT)"))
    assert conn.query(rq.query_sql(0, "SELECT 1"))[0] == [(1,)]


def test_admin_responses(node, conn):
    assert conn.call(rq.leader()) == wire.Server(node.id, node.address)
    assert conn.call(rq.client(7)) == wire.Welcome(15000)
    assert conn.call(rq.cluster()) == wire.Servers(
        [wire.NodeInfo(node.id, node.address, wire.Role.VOTER)])
    assert conn.call(rq.cluster(0), cluster_format=0) == wire.Servers(
        [wire.NodeInfo(node.id, node.address, None)])
    assert conn.call(rq.weight(3)) == wire.Empty()
    assert conn.call(rq.describe()) == wire.Metadata(0, 3)
    # Two empty files up to 1.18.2, a failure from 1.18.3.
    assert conn.call(rq.dump("nosuch.db")) == dump_of_missing("nosuch.db")
    assert conn.call(rq.query_sql(0, "")) == wire.Failure(0, "empty statement")
