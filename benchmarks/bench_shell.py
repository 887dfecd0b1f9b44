"""The ``dqlite`` command against Debian's Go shell on a 3-node loopback
cluster of each server: piped INSERTs, a 200,000-row SELECT to a pipe (list;
table beside it, as a ratio to list); on 1.11 also the Chinook-shaped script
(ours only: the Go shell cannot load it).
Start-up (one-shot and REPL) is bench_startup.py."""

from __future__ import annotations

import sys

from benchmarks.run import Row
from benchmarks.servers import GO_SHELL, go_available, label, on_each_server, run_measured

OURS = [sys.executable, "-m", "dqlite_shell"]
INSERTS = 2_000
ROWS = 200_000


def run() -> list[Row]:
    return on_each_server(_on_one_server)


def _on_one_server(name: str) -> list[Row]:
    from dqlite_shell.app.local import LocalCluster
    from dqlite_shell.client.session import Session
    from tests.support.chinook import make_script
    rows: list[Row] = []
    go = go_available()
    with LocalCluster(3, processes=True) as cluster:
        servers = ",".join(cluster.addresses)
        session = Session(cluster.addresses, "db")
        session.execute_script(
            "CREATE TABLE ours (n INTEGER, s TEXT); CREATE TABLE theirs (n INTEGER, s TEXT);"
            "CREATE TABLE big (a INTEGER, b TEXT, c REAL, d INTEGER);"
            f"INSERT INTO big WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
            f"LIMIT {ROWS}) SELECT n, 'text ' || n, n * 0.25, n % 7 FROM s;")
        session.close()

        def script(table):
            return "".join(f"INSERT INTO {table} VALUES ({i}, 'row {i}');\n"
                           for i in range(INSERTS)).encode()
        ours = run_measured(OURS + ["-s", servers], script("ours"))[0]
        theirs = run_measured([GO_SHELL, "-s", servers, "db"], script("theirs"))[0] if go else None
        rows.append(Row(label(f"{INSERTS:,} INSERTs piped on stdin", name), ours, theirs, "s",
                        "aim ratio <= 1.0"))

        select = "SELECT a, b, c, d FROM big"
        ours = min(run_measured(OURS + ["-s", servers, "-f", "list", "-c", select])[0]
                   for _ in range(3))
        theirs = min(run_measured([GO_SHELL, "-s", servers, "db", select])[0]
                     for _ in range(3)) if go else None
        rows.append(Row(label(f"SELECT {ROWS:,} rows to a pipe (list)", name), ours, theirs, "s",
                        "aim ratio <= 1.5"))
        # The psql-like grid (output/grid.py, pure Python), against list in the
        # same run (issue 18): list as it runs, and list without the accelerator.
        table = min(run_measured(OURS + ["-s", servers, "-f", "table", "-c", select])[0]
                    for _ in range(3))
        python_list = min(run_measured(["env", "DQLITE_SHELL_NO_SPEEDUPS=1", *OURS, "-s",
                                        servers, "-f", "list", "-c", select])[0]
                          for _ in range(3))
        rows.append(Row(label(f"SELECT {ROWS:,} rows to a pipe (table)", name), table, theirs,
                        "s", f"{table / ours:.2f}x list, {table / python_list:.2f}x list "
                        "without the accelerator; aim <= 2.0x list"))
        if name != "1.11":
            return rows  # the rest does not depend on the server

        chinook = make_script(15_000).encode()
        for flag, database in (([], "chinook1"), (["-1"], "chinook2")):
            wall = run_measured(OURS + ["-s", servers, database] + flag, chinook)[0]
            rows.append(Row(f"Chinook-shaped script {' '.join(flag) or '(no -1)'}", wall, None,
                            "s", "15,000 INSERTs; the Go shell cannot load it"))
    return rows

