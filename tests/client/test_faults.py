"""Faults the real server will not produce, injected by fake servers:
garbage bytes, truncated frames, closed sockets, silence, oversized frames."""

import socket
import struct
import threading
import time

import pytest

from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import (
    BrokenPeer,
    ConnectError,
    ConnectionLost,
    NotDqlite,
    ProtocolError,
    RequestTimeout,
)
from dqlite_shell.wire.rows import encode_rows
from tests.support.raw import HEADER


class FakeServer:
    """Accepts one connection, reads the handshake, then runs ``script(sock)``."""

    def __init__(self, script):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.script = script
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        sock, _ = self.listener.accept()
        with sock:
            handshake = sock.recv(8)
            assert struct.unpack("<Q", handshake) == (1,)
            self.script(sock)

    def close(self):
        self.listener.close()
        self.thread.join(5)


def _read_request(sock):
    words, _type, _schema, _ = HEADER.unpack(sock.recv(8))
    if words:
        sock.recv(words * 8)


@pytest.fixture
def fake():
    servers = []

    def make(script):
        server = FakeServer(script)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def test_garbage_instead_of_a_response(fake):
    def script(sock):
        _read_request(sock)
        sock.sendall(HEADER.pack(1, 99, 0, 0) + b"\xff" * 8)  # unknown type 99
    conn = Connection.connect(fake(script).address, timeout=5)
    with pytest.raises(NotDqlite, match="does not speak the dqlite protocol .*message type 99"):
        conn.leader()
    assert conn.closed


def test_garbage_after_a_good_answer_is_a_protocol_error(fake):
    def script(sock):
        _read_request(sock)
        sock.sendall(HEADER.pack(2, 1, 0, 0) + bytes(16))  # SERVER: no leader
        _read_request(sock)
        sock.sendall(HEADER.pack(1, 99, 0, 0) + b"\xff" * 8)  # unknown type 99
    conn = Connection.connect(fake(script).address, timeout=5)
    assert conn.leader() is None
    with pytest.raises(ProtocolError, match="99") as info:
        conn.leader()
    assert not isinstance(info.value, NotDqlite)
    assert conn.closed


def test_server_that_is_not_dqlite(fake):
    def script(sock):
        sock.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    address = fake(script).address
    conn = Connection.connect(address, timeout=5)
    with pytest.raises(NotDqlite) as info:
        conn.leader()
    assert str(info.value) == (f"{address} does not speak the dqlite protocol "
                               "(it answered 'HTTP/1.1 400 Bad Request')")


def test_closed_mid_frame(fake):
    def script(sock):
        _read_request(sock)
        sock.sendall(HEADER.pack(4, 1, 0, 0) + b"\x01" * 10)  # 32 bytes announced, 10 sent
    conn = Connection.connect(fake(script).address, timeout=5)
    with pytest.raises(ConnectionLost, match="in the middle of a message"):
        conn.leader()


def test_closed_before_answering(fake):
    conn = Connection.connect(fake(_read_request).address, timeout=5)
    with pytest.raises(ConnectionLost, match="closed the connection"):
        conn.leader()


def test_silence_hits_the_request_timeout(fake):
    done = threading.Event()
    conn = Connection.connect(fake(lambda s: done.wait(10)).address, timeout=0.29999)
    started = time.monotonic()
    with pytest.raises(RequestTimeout, match=r"did not answer within 0\.3 s$"):
        conn.leader()
    assert time.monotonic() - started < 2
    done.set()


def test_oversized_frame_is_refused_without_reading_it(fake):
    def script(sock):
        _read_request(sock)
        sock.sendall(HEADER.pack(0xFFFFFFFF, 1, 0, 0))
        time.sleep(1)
    conn = Connection.connect(fake(script).address, timeout=5)
    with pytest.raises(ProtocolError, match="limit"):
        conn.leader()
    assert conn.closed


def test_truncated_rows_batch_is_an_error_not_a_short_result(fake):
    body = encode_rows(["n"], [(i,) for i in range(10)], done=True)

    def script(sock):
        _read_request(sock)  # OPEN
        sock.sendall(HEADER.pack(1, 4, 0, 0) + bytes(8))  # DB 0
        _read_request(sock)  # QUERY_SQL
        cut = body[:len(body) - 16]  # drop the last row and the DONE marker
        sock.sendall(HEADER.pack(len(cut) // 8, 7, 0, 0) + cut)
    conn = Connection.connect(fake(script).address, timeout=5)
    conn.open("db")
    with pytest.raises(ProtocolError):
        conn.query_sql("SELECT n FROM t").fetchall()


def test_stream_cut_between_batches(fake):
    def script(sock):
        _read_request(sock)
        sock.sendall(HEADER.pack(1, 4, 0, 0) + bytes(8))
        _read_request(sock)
        part = encode_rows(["n"], [(1,), (2,)], done=False)
        sock.sendall(HEADER.pack(len(part) // 8, 7, 0, 0) + part)
    conn = Connection.connect(fake(script).address, timeout=5)
    conn.open("db")
    stream = conn.query_sql("SELECT n FROM t")
    rows = []
    with pytest.raises(ConnectionLost):
        for row in stream:
            rows.append(row)
    assert rows == [(1,), (2,)]  # what arrived, never presented as the whole result


def test_nothing_listening_is_a_connect_error(free_address):
    with pytest.raises(ConnectError, match="connection refused"):
        Connection.connect(free_address, timeout=2)


def test_bad_address_is_a_connect_error():
    with pytest.raises(ConnectError, match="port must be"):
        Connection.connect("127.0.0.1:notaport")


# -- a fake leader: it answers the session's connect, then misbehaves ------------

def _fake_leader(script):
    """A FakeServer that plays a 1.11 leader for LEADER, CLIENT, OPEN and the
    capability probe (client/capabilities.py), then hands
    the socket to ``script(sock)`` for the statement."""
    from dqlite_shell.wire.messages import Db, Rows, Server, Welcome
    from dqlite_shell.wire.serverside import encode_response

    holder = {}

    def serve(sock):
        _read_request(sock)  # LEADER
        sock.sendall(encode_response(Server(1, holder["address"])))
        _read_request(sock)  # CLIENT
        sock.sendall(encode_response(Welcome(15000)))
        _read_request(sock)  # OPEN
        sock.sendall(encode_response(Db(0)))
        _read_request(sock)  # the capability probe: answered as 1.11 does
        sock.sendall(encode_response(Rows(["1"], [(1,)], True)))
        script(sock)

    server = FakeServer(serve)
    holder["address"] = server.address
    return server


def test_a_stall_inside_a_message_is_a_broken_peer_even_with_a_long_statement_timeout():
    from dqlite_shell.client.session import Session
    release = threading.Event()

    def script(sock):
        _read_request(sock)  # QUERY_SQL
        part = encode_rows(["n"], [(1,)], done=True)
        sock.sendall(HEADER.pack(len(part) // 8, 7, 0, 0) + part[:5])  # then nothing
        release.wait(30)

    server = _fake_leader(script)
    # Statements may take a day to begin answering; a message that has begun
    # may not stall for longer than the session's timeout.
    session = Session([server.address], "db", timeout=1, request_timeout=24 * 3600)
    started = time.monotonic()
    try:
        with pytest.raises(BrokenPeer, match="stopped sending in the middle of a message"):
            session.execute("SELECT 1")
        assert time.monotonic() - started < 5
    finally:
        release.set()
        session.close()
        server.close()


@pytest.mark.parametrize("sql, params, request_type, message", [
    # The answer never came: the read may have crashed the node, and would
    # crash the next leader too.
    ("SELECT ts FROM d1", (), 9,
     "was lost while it ran this statement (the node may have crashed)"),
    # Some statements crash libdqlite 1.11 as they are compiled.
    ("INSERT INTO t VALUES (?)", (1,), 4, "was lost while it prepared this statement (the node "
                                          "may have crashed); nothing was applied"),
    # A write without parameters runs at its first request (EXEC_SQL).
    ("INSERT INTO t VALUES (1)", (), 8, "was lost while it ran this statement (the node may "
                                        "have crashed); it may or may not have been applied"),
])
def test_a_statement_whose_connection_dies_is_reported_and_not_sent_again(sql, params,
                                                                          request_type, message):
    from dqlite_shell.client.errors import StatementLost
    from dqlite_shell.client.session import Session
    seen = []

    def script(sock):
        words, msg_type, _, _ = HEADER.unpack(sock.recv(8))
        sock.recv(words * 8)
        seen.append(msg_type)
        sock.shutdown(socket.SHUT_RDWR)  # as a crashed node: no answer

    server = _fake_leader(script)
    session = Session([server.address], "db", timeout=2)
    try:
        with pytest.raises(StatementLost) as info:
            session.execute(sql, params)
        # (A retry would have dialed again and met a NoLeaderError: the fake
        # accepts one connection.)
        assert str(info.value) == f"the connection to {server.address} {message}"
        assert seen == [request_type]
    finally:
        session.close()
        server.close()

class SlowDeposedLeader:
    """A fake node for any number of connections: it plays leader, answers
    probes at once (alive), but holds its first QUERY_SQL for ``hold`` s and
    then refuses it as not-leader ("no database opened"), as a deposed 1.11
    leader does; the next QUERY_SQL gets rows."""

    def __init__(self, hold: float):
        self.hold = hold
        self.queries = 0
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock):
        from dqlite_shell.wire.constants import RequestType
        from dqlite_shell.wire.messages import Db, Failure, Rows, Server, Welcome
        from dqlite_shell.wire.serverside import encode_response
        with sock:
            try:
                sock.recv(8)  # handshake
                while True:
                    head = sock.recv(8)
                    if len(head) < 8:
                        return
                    words, msg_type, _, _ = HEADER.unpack(head)
                    body = sock.recv(words * 8, socket.MSG_WAITALL) if words else b""
                    if msg_type == RequestType.LEADER:
                        answer = Server(1, self.address)
                    elif msg_type == RequestType.CLIENT:
                        answer = Welcome(15000)
                    elif msg_type == RequestType.OPEN:
                        answer = Db(0)
                    elif msg_type == RequestType.QUERY_SQL and b"SELECT 1; SELECT 2" in body:
                        answer = Rows(["1"], [(1,)], True)  # the capability probe, as 1.11
                    elif msg_type == RequestType.QUERY_SQL:
                        with self.lock:
                            self.queries += 1
                            first = self.queries == 1
                        if first:
                            time.sleep(self.hold)
                            answer = Failure(12, "no database opened")
                        else:
                            answer = Rows(["n"], [(7,)], True)
                    else:
                        answer = Failure(1, f"unexpected request {msg_type}")
                    sock.sendall(encode_response(answer))
            except OSError:
                return

    def close(self):
        self.listener.close()


def test_a_refusal_that_comes_after_the_timeout_still_goes_to_the_new_leader():
    """The wait on a slow node must not use up the retry of a statement it
    finally refused without running it (it used to re-raise "no database
    opened" once the statement's deadline had passed)."""
    from dqlite_shell.client.session import Session
    server = SlowDeposedLeader(hold=2.5)
    session = Session([server.address], "db", timeout=1, request_timeout=60)
    try:
        assert session.execute("SELECT n FROM t").fetchall() == [(7,)]
        assert server.queries == 2
    finally:
        session.close()
        server.close()

