"""Printing a big result to a pipe (issue 18): 1,000,000 rows (int, text,
real, int) in list, csv and json, with the compiled output accelerator
(dqlite_shell/_speedups) and without it, against Debian's Go shell (list,
its only format) and the floor: our client reading the same result's ROWS
bodies and printing nothing. Wall seconds (best of 3) and peak RSS, on a
3-node loopback cluster of the system's server (the client's work does not
depend on the server). ``BENCH_OUTPUT_ROWS`` changes the row count."""

from __future__ import annotations

import os
import sys

from benchmarks.run import Row
from benchmarks.servers import GO_SHELL, go_available, label, on_server, run_measured

OURS = [sys.executable, "-m", "dqlite_shell"]
PYTHON_ONLY = ["env", "DQLITE_SHELL_NO_SPEEDUPS=1", *OURS]
ROWS = int(os.environ.get("BENCH_OUTPUT_ROWS", 1_000_000))
SERVER = "1.11"

# The floor: connect, query, read every body, print nothing.
FLOOR = """
import sys
from dqlite_shell.client.session import Session
stream = Session(sys.argv[1].split(","), "db").execute(sys.argv[2])
for _ in stream.raw_batches():
    pass
"""


def run() -> list[Row]:
    with on_server(SERVER):
        return _measure()


def _best(args: list[str]) -> tuple[float, float]:
    return min(run_measured(args)[:2] for _ in range(3))


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
            f"LIMIT {ROWS}) SELECT n, 'text ' || n, n * 0.25, n % 7 FROM s;")
        session.close()
        select = "SELECT a, b, c, d FROM big"
        floor = _best([sys.executable, "-c", FLOOR, servers, select])[0]
        go = _best([GO_SHELL, "-s", servers, "db", select]) if go_available() else None
        for fmt in ("list", "csv", "json"):
            wall, rss = _best(OURS + ["-s", servers, "-f", fmt, "-c", select])
            python, _ = _best(PYTHON_ONLY + ["-s", servers, "-f", fmt, "-c", select])
            note = (f"{wall / floor:.2f}x floor ({floor:.2f} s), {rss:.0f} MB; without the "
                    f"accelerator {python:.2f} s" + (f" ({python / go[0]:.2f}x go)" if go else "")
                    + (f"; go {go[1]:.0f} MB" if go else "") + "; aim ratio <= 1.0 (0.8)")
            rows.append(Row(label(f"SELECT {ROWS:,} rows to a pipe ({fmt})", SERVER), wall,
                            go[0] if go else None, "s", note))
            if fmt == "list":
                walls = {"list": wall, "python": python}
        # The table grid (pure Python: output/grid.py) beside list (issue 18).
        wall, rss = _best(OURS + ["-s", servers, "-f", "table", "-c", select])
        note = (f"{wall / walls['list']:.2f}x list, {wall / walls['python']:.2f}x list without "
                f"the accelerator, {rss:.0f} MB; aim <= 2.0x list")
        rows.append(Row(label(f"SELECT {ROWS:,} rows to a pipe (table)", SERVER), wall,
                        go[0] if go else None, "s", note))
    return rows
