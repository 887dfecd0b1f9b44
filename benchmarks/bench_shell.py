"""The ``dqlite`` command against Debian's Go shell on a 3-node loopback
cluster of each server: 2,000 INSERTs piped on stdin; on 1.11 also the
Chinook-shaped script (ours only: the Go shell cannot load it).

The INSERTs are bound by Raft commits, so the cluster's own background work
(a checkpoint, a snapshot) weighs on whichever shell runs during it: the
shells take turns (ours, Go, ours, Go, ...) on a cluster with no other load
before them, and each row is the best of :data:`RUNS`.
Big results to a pipe are bench_output.py; start-up is bench_startup.py.
"""

from __future__ import annotations

import statistics
import sys

from benchmarks.run import Row
from benchmarks.servers import GO_SHELL, go_available, label, on_each_server, run_measured

OURS = [sys.executable, "-m", "dqlite_shell"]
INSERTS = 2_000
RUNS = 3


def run() -> list[Row]:
    return on_each_server(_on_one_server)


def _script(table: str) -> bytes:
    return "".join(f"INSERT INTO {table} VALUES ({i}, 'row {i}');\n"
                   for i in range(INSERTS)).encode()


def _on_one_server(name: str) -> list[Row]:
    from dqlite_shell.app.local import LocalCluster
    from dqlite_shell.client.session import Session
    from tests.support.chinook import make_script
    rows: list[Row] = []
    shells = {"ours": OURS + ["-s"], "go": [GO_SHELL, "-s"]} if go_available() else {
        "ours": OURS + ["-s"]}
    with LocalCluster(3, processes=True) as cluster:
        servers = ",".join(cluster.addresses)
        session = Session(cluster.addresses, "db")
        session.execute_script("".join(f"CREATE TABLE {who}{i} (n INTEGER, s TEXT);"
                                       for i in range(RUNS) for who in shells))
        session.close()
        walls: dict[str, list[float]] = {who: [] for who in shells}
        for i in range(RUNS):
            for who, command in shells.items():  # in turns: see the module docstring
                args = command + [servers] + (["db"] if who == "go" else [])
                walls[who].append(run_measured(args, _script(f"{who}{i}"))[0])
        spread = ", ".join(f"{who} median {statistics.median(w):.2f} s"
                           for who, w in walls.items())
        rows.append(Row(label(f"{INSERTS:,} INSERTs piped on stdin", name), min(walls["ours"]),
                        min(walls["go"]) if "go" in walls else None, "s",
                        f"aim ratio <= 1.0; best of {RUNS} in turns ({spread})"))
        if name != "1.11":
            return rows  # the rest does not depend on the server

        chinook = make_script(15_000).encode()
        for flag, database in (([], "chinook1"), (["-1"], "chinook2")):
            wall = run_measured(OURS + ["-s", servers, database] + flag, chinook)[0]
            rows.append(Row(f"Chinook-shaped script {' '.join(flag) or '(no -1)'}", wall, None,
                            "s", "15,000 INSERTs; the Go shell cannot load it"))
    return rows
