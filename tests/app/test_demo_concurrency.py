"""Requests in flight do not wait for each other: each has its own thread and
its own driver connection (a slow client or a Raft round holds up no one)."""

import socket
import threading
import time

from dqlite_shell.app.demo_http import ConnectionPool, DemoServer, Store
from tests.app.demo_support import get, put, request

PARALLEL = 16


def test_slow_client_blocks_no_one(demos):
    demo = demos.start()
    host, port = demo.api.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as slow:
        # Headers and half the body; the rest comes after another request.
        slow.sendall(b"PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
        started = time.monotonic()
        assert put(demo.api, "fast", "v") == b"done\n"
        assert get(demo.api, "fast") == b"v\n"
        assert time.monotonic() - started < 5
        slow.sendall(b"cd")
        answer = b""
        while not answer.endswith(b"done\n"):
            chunk = slow.recv(4096)
            assert chunk, answer
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"\r\n\r\ndone\n")
    assert get(demo.api, "slow") == b"abcd\n"


class _SlowConnection:
    """A driver connection whose every statement takes one slow "Raft round"."""

    ROUND = 0.2

    def __init__(self, opened):
        opened.append(self)

    def execute(self, sql, params=()):
        time.sleep(self.ROUND)
        return self

    def fetchall(self):
        return [("value",)]

    def close(self):
        pass


def test_requests_in_flight_overlap(free_address):
    opened = []
    pool = ConnectionPool(lambda: _SlowConnection(opened), max_idle=PARALLEL)
    server = DemoServer(free_address, Store(pool))
    server.activate()
    server.serve_in_thread()
    def worker(i, barrier, answers):
        barrier.wait()
        method = "GET" if i % 2 else "PUT"
        answers.append(request(free_address, method, f"/k{i}", b"v")[2])

    try:
        for _ in range(2):
            answers: list[bytes] = []
            barrier = threading.Barrier(PARALLEL)
            threads = [threading.Thread(target=worker, args=(i, barrier, answers))
                       for i in range(PARALLEL)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            wall = time.perf_counter() - started
            assert sorted(answers) == sorted([b"done\n", b"value\n"] * (PARALLEL // 2))
            # Serialized: PARALLEL x 0.2 s = 3.2 s.
            assert wall < 4 * _SlowConnection.ROUND, wall
            # One connection per request in flight, kept for the next ones.
            assert len(opened) <= PARALLEL
        assert len(opened) <= PARALLEL
    finally:
        server.shutdown()
        server.server_close()
        pool.close()


def test_parallel_puts_all_succeed(demos):
    # libdqlite 1.11 refuses a write while another is replicated ("database
    # is locked", which Go's demo answers with); ours retries, so all succeed.
    first = demos.start()
    demos.start(join=[first.db])
    demos.start(join=[first.db])
    answers = []
    barrier = threading.Barrier(PARALLEL)

    def worker(i):
        barrier.wait()
        answers.append(put(first.api, f"par{i}", str(i)))
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(PARALLEL)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [b"done\n"] * PARALLEL
    assert time.perf_counter() - started < 5
    assert [get(first.api, f"par{i}") for i in range(PARALLEL)] == \
        [f"{i}\n".encode() for i in range(PARALLEL)]


def test_keep_alive_round_trips_are_fast(demos):
    # Headers and body in two writes would wait for the client's delayed ACK
    # (~40 ms each); one connection carries every request.
    import http.client
    import statistics
    demo = demos.start()
    host, port = demo.api.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    times = []
    for i in range(30):
        started = time.perf_counter()
        assert request(demo.api, "PUT", f"/k{i}", b"v", conn=conn)[2] == b"done\n"
        assert request(demo.api, "GET", f"/k{i}", conn=conn)[2] == b"v\n"
        times.append(time.perf_counter() - started)
    conn.close()
    assert statistics.median(times) < 0.02, times
