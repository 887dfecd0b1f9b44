"""The wire client against the Go shell, on each server: a 1,000,000-row
SELECT and 10,000 single-row INSERTs (each its own Raft commit); connecting
to a 3-node cluster (1.11)."""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks.run import Row
from benchmarks.servers import (
    GO_SHELL,
    NodeServer,
    go_available,
    label,
    on_each_server,
    run_measured,
)

ROWS = 1_000_000
INSERTS = 10_000
SELECT = "SELECT a, b, c, d FROM big"

FETCH = """
import sys
from dqlite_shell.client.session import Session
session = Session([sys.argv[1]], "db")
n = 0
for batch in session.execute(sys.argv[2]).batches():
    n += len(batch)
print(n)
"""

INSERT_DRIVER = """
import sys
from dqlite_shell import dbapi
conn = dbapi.connect(sys.argv[1], "db", autocommit=True)
cur = conn.cursor()
for i in range(int(sys.argv[2])):
    cur.execute("INSERT INTO ins VALUES (?, ?)", (i, "value %d" % i))
"""

# The floor: the same requests, pre-encoded, one at a time on a raw socket.
INSERT_RAW = """
import socket, struct, sys
from dqlite_shell.wire import requests
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(struct.pack("<Q", 1) + requests.open("db"))
def answer():
    head = s.recv(8, socket.MSG_WAITALL)
    words = struct.unpack_from("<I", head)[0]
    if words:
        s.recv(words * 8, socket.MSG_WAITALL)
answer()
s.sendall(requests.prepare(0, "INSERT INTO raw VALUES (?, ?)")); answer()
frames = [requests.exec(0, 0, (i, "value %d" % i)) for i in range(int(sys.argv[2]))]
for f in frames:
    s.sendall(f); answer()
"""


def _best(samples):
    return min(samples, key=lambda s: s[0])


def run() -> list[Row]:
    return on_each_server(_on_one_server) + _connect()


def _on_one_server(name: str) -> list[Row]:
    rows: list[Row] = []
    with NodeServer() as server:
        from dqlite_shell.client.session import Session
        setup = Session([server.address], "db")
        setup.execute_script(
            "CREATE TABLE big (a INTEGER, b TEXT, c REAL, d INTEGER);"
            f"INSERT INTO big WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
            f"LIMIT {ROWS}) SELECT n, 'text value ' || n, n * 0.25, n % 1000 FROM s;"
            "CREATE TABLE ins (a INTEGER, b TEXT); CREATE TABLE raw (a INTEGER, b TEXT);"
            "CREATE TABLE goins (a INTEGER, b TEXT);")
        setup.close()

        ours = _best([run_measured([sys.executable, "-c", FETCH, server.address, SELECT])
                      for _ in range(3)])
        assert int(ours[2]) == ROWS, ours[2]
        go = None
        if go_available():
            go = _best([run_measured([GO_SHELL, "-s", server.address, "db", SELECT])
                        for _ in range(3)])
            assert go[2].count(b"\n") == ROWS
        rows.append(Row(label(f"SELECT {ROWS:,} rows: time", name), ours[0], go and go[0], "s",
                        f"{ROWS / ours[0]:,.0f} rows/s ours"))
        rows.append(Row(label(f"SELECT {ROWS:,} rows: peak RSS", name), ours[1], go and go[1], "MB",
                        "aim < 50 MB"))

        floor = run_measured([sys.executable, "-c", INSERT_RAW, server.address, str(INSERTS)])
        driver = run_measured([sys.executable, "-c", INSERT_DRIVER, server.address, str(INSERTS)])
        go_ins = None
        if go_available():
            script = "".join(f"INSERT INTO goins VALUES ({i}, 'value {i}')\n"
                             for i in range(INSERTS)).encode()
            go_ins = run_measured([GO_SHELL, "-s", server.address, "db"], stdin=script)
        rows.append(Row(label(f"{INSERTS:,} INSERTs via driver", name), driver[0],
                        go_ins and go_ins[0], "s",
                        f"raw-socket floor {floor[0]:.2f} s ({driver[0] / floor[0]:.2f}x)"))
    return rows


def _connect() -> list[Row]:
    rows: list[Row] = []
    from dqlite_shell.app.local import LocalCluster
    from dqlite_shell.client.leader import NodeStore, connect_leader
    with LocalCluster(3, processes=True) as cluster:
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            connect_leader(NodeStore(cluster.addresses[::-1]), 10).close()
            times.append(time.perf_counter() - t0)
        rows.append(Row("connect+handshake+leader, 3 nodes", statistics.median(times) * 1000,
                        None, "ms", "median of 20, leader listed last"))
    return rows
