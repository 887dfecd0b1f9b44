"""The dqlite command against peers that are not dqlite nodes, or that break
off in the middle of a message: one line, exit 2, quickly."""

import socket
import threading
import time

from tests.shell.conftest import run_dqlite
from tests.support.raw import HEADER


def test_an_http_port_is_named_as_not_dqlite():
    """As a web server answers bytes it cannot parse (Go's net/http, nginx)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    address = f"127.0.0.1:{listener.getsockname()[1]}"

    def serve():
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            with sock:
                sock.recv(64)
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                             b"Connection: close\r\n\r\n400 Bad Request")

    threading.Thread(target=serve, daemon=True).start()
    try:
        started = time.monotonic()
        run = run_dqlite("-s", address, "-c", "SELECT 1", timeout=30)
        took = time.monotonic() - started
    finally:
        listener.close()
    assert run.status == 2, run
    assert run.err == (f"<command>:1: error: {address} does not speak the dqlite protocol "
                       "(it answered 'HTTP/1.1 400 Bad Request')\n")
    assert took < 5


def test_a_peer_that_stalls_inside_a_message_ends_the_shell_after_the_timeout():
    from dqlite_shell.wire.messages import Db, Server, Welcome
    from dqlite_shell.wire.rows import encode_rows
    from dqlite_shell.wire.serverside import encode_response
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    address = f"127.0.0.1:{listener.getsockname()[1]}"
    release = threading.Event()

    def request(sock):
        words, _, _, _ = HEADER.unpack(sock.recv(8, socket.MSG_WAITALL))
        if words:
            sock.recv(words * 8, socket.MSG_WAITALL)

    def serve():
        sock, _ = listener.accept()
        sock.recv(8, socket.MSG_WAITALL)  # handshake
        for answer in (Server(1, address), Welcome(15000), Db(0)):
            request(sock)
            sock.sendall(encode_response(answer))
        request(sock)  # the statement
        body = encode_rows(["n"], [(1,)], done=True)
        sock.sendall(HEADER.pack(len(body) // 8, 7, 0, 0) + body[:3])
        release.wait(60)
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        started = time.monotonic()
        run = run_dqlite("-s", address, "--timeout", "1", "-c", "SELECT 1", timeout=30)
        took = time.monotonic() - started
    finally:
        release.set()
        listener.close()
    assert run.status == 2, run
    assert run.err == (f"<command>:1: error: {address} stopped sending in the middle of a "
                       "message (11 bytes read, then nothing for 1 s): a broken peer\n")
    assert took < 5
