"""Printing a big result to a pipe (issue 18): 200,000 and 1,000,000 rows
(int, text, real, int) in list, csv, json and table, with the compiled
output accelerator (dqlite_shell/_speedups) and without it, against Debian's
Go shell (list, its only format) and the wire floor (:data:`FLOOR`: a bare
reader of the same result that prints nothing). Table is also a ratio to
list, with or without the accelerator as its row. Wall seconds, best of 5,
and peak RSS; one 3-node loopback cluster of the system's server (the
client's work does not depend on the server) and one load of the largest
count: the smaller counts read it with LIMIT.

Goals (issue 18): list, csv and json <= 1.0x the Go shell (moonshot 0.8x)
and within 1.5x of the floor, under 50 MB at any count; table <= 2.0x list.
``BENCH_OUTPUT_ROWS`` (comma-separated) changes the row counts.
"""

from __future__ import annotations

import os
import struct
import sys

from benchmarks.run import Row
from benchmarks.servers import GO_SHELL, go_available, label, on_server, run_measured

OURS = [sys.executable, "-m", "dqlite_shell"]
PYTHON_ONLY = ["env", "DQLITE_SHELL_NO_SPEEDUPS=1", *OURS]
COUNTS = sorted(int(n) for n in os.environ.get("BENCH_OUTPUT_ROWS", "200000,1000000").split(","))
SERVER = "1.11"
RUNS = 5
MEMORY_GOAL_MB = 50
GOALS = "aim <= 1.0x go (0.8x), <= 1.5x floor"

# The floor: the least a client could take. A bare reader (socket and
# struct only, so it starts as fast as an interpreter can) sends the frames
# given in hex (handshake, OPEN, QUERY_SQL: encoded by the wire module in
# this process) to the leader and reads the answers up to the ROWS body
# that ends with DONE, printing nothing.
FLOOR = """
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
sock = socket.create_connection((host, int(port)))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sock.sendall(bytes.fromhex(sys.argv[2]))
read = sock.makefile("rb", 1 << 16).read
header = struct.Struct("<IBBH").unpack
words, kind = header(read(8))[:2]
if kind != 4 or read(8 * words)[:4] != bytes(4):  # DB, id 0: what the query names
    sys.exit(f"OPEN answered {kind}")
sock.sendall(bytes.fromhex(sys.argv[3]))
done = bytes.fromhex("ff" * 8)
while True:
    words, kind = header(read(8))[:2]
    body = read(8 * words)
    if kind != 7:
        sys.exit(f"not ROWS: {kind} {body!r}")
    if body[-8:] == done:
        break
"""


def _floor_args(servers: str, select: str) -> list[str]:
    """The command line of :data:`FLOOR` for ``select`` on the cluster's leader."""
    from dqlite_shell.client.session import Session
    from dqlite_shell.wire import requests
    from dqlite_shell.wire.constants import PROTOCOL_VERSION
    session = Session(servers.split(","), "db")
    session.execute("SELECT 1").fetchall()
    leader = session.leader_address
    session.close()
    assert leader is not None
    opening = struct.pack("<Q", PROTOCOL_VERSION) + requests.open("db")
    return [sys.executable, "-c", FLOOR, leader, opening.hex(), requests.query_sql(0, select).hex()]


def run() -> list[Row]:
    with on_server(SERVER):
        return _measure()


def _best(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of the fastest of :data:`RUNS` runs."""
    return min(run_measured(args)[:2] for _ in range(RUNS))


def _memory(rss: float) -> str:
    return f"{rss:.0f} MB" + ("" if rss < MEMORY_GOAL_MB else f" (aim < {MEMORY_GOAL_MB} MB)")


def _measure() -> list[Row]:
    from dqlite_shell.app.local import LocalCluster
    from dqlite_shell.client.session import Session
    rows: list[Row] = []
    with LocalCluster(3, processes=True) as cluster:
        servers = ",".join(cluster.addresses)
        session = Session(cluster.addresses, "db")
        session.execute_script(
            "CREATE TABLE big (a INTEGER, b TEXT, c REAL, d INTEGER);"
            f"INSERT INTO big WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
            f"LIMIT {COUNTS[-1]}) SELECT n, 'text ' || n, n * 0.25, n % 7 FROM s;")
        session.close()
        for count in COUNTS:
            rows += _one_count(servers, count)
    return rows


def _one_count(servers: str, count: int) -> list[Row]:
    select = "SELECT a, b, c, d FROM big" + (f" LIMIT {count}" if count < COUNTS[-1] else "")
    rows: list[Row] = []
    floor = _best(_floor_args(servers, select))[0]
    go, go_rss = _best([GO_SHELL, "-s", servers, "db", select]) if go_available() else (None, 0)
    go_note = f"; go {go_rss:.0f} MB" if go else ""
    walls: dict[tuple[str, bool], float] = {}
    for fmt in ("list", "csv", "json", "table"):
        for accelerated in (True, False):
            command = OURS if accelerated else PYTHON_ONLY
            wall, rss = _best(command + ["-s", servers, "-f", fmt, "-c", select])
            walls[fmt, accelerated] = wall
            if fmt == "table":  # the grid beside list, path for path (issue 18)
                goal = f"{wall / walls['list', accelerated]:.2f}x list; aim <= 2.0x list"
            elif accelerated:
                goal = f"{GOALS}{go_note}"
            else:  # the pure-Python fallback: what runs where the accelerator is not built
                goal = f"{wall / walls[fmt, True]:.2f}x the accelerated row"
            name = (f"SELECT {count:,} rows to a pipe ({fmt})" if accelerated
                    else f"  {fmt} without the accelerator")
            rows.append(Row(label(name, SERVER), wall, go, "s", f"{_memory(rss)}; {goal}",
                            floor=floor))
    return rows
