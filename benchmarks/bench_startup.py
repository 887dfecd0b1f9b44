"""Start-up of the ``dqlite`` command on a 3-node loopback cluster of each
server: a one-shot ``-c 'SELECT 1'`` against Debian's Go shell, beside the
interpreter's own start (``python -c pass``) measured in the same run; on
1.11 also the REPL's start to a usable prompt (the Go shell has none).

``benchmarks/run.py startup`` runs these rows alone (seconds, not minutes).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from benchmarks.run import Row
from benchmarks.servers import GO_SHELL, go_available, label, on_each_server, run_measured

#: The command users run: bin/dqlite, installed beside the interpreter (the
#: sh launcher, then the console script); ``python -m`` when it is not there.
_LAUNCHER = os.path.join(os.path.dirname(sys.executable), "dqlite")
if os.access(_LAUNCHER, os.X_OK):
    DQLITE, DQLITE_NAME = [_LAUNCHER], "bin/dqlite"
else:
    DQLITE, DQLITE_NAME = [sys.executable, "-m", "dqlite_shell"], "python -m dqlite_shell"
#: Each row is the median of this many runs (the issue's goals: of 10).
RUNS = 11


def _median_wall(args, runs=RUNS):
    return statistics.median(run_measured(args)[0] for _ in range(runs))


def run() -> list[Row]:
    return on_each_server(_on_one_server)


def _on_one_server(name: str) -> list[Row]:
    from dqlite_shell.app.local import LocalCluster
    rows: list[Row] = []
    with LocalCluster(3, processes=True) as cluster:
        servers = ",".join(cluster.addresses)
        interpreter = _median_wall([sys.executable, "-c", "pass"])
        ours = _median_wall(DQLITE + ["-s", servers, "-c", "SELECT 1"])
        theirs = (_median_wall([GO_SHELL, "-s", servers, "db", "SELECT 1"])
                  if go_available() else None)
        rows.append(Row(label("-c 'SELECT 1' wall time", name), ours * 1000,
                        theirs and theirs * 1000, "ms",
                        f"aim <= 50 ms; median of {RUNS}, warm cache; {DQLITE_NAME}"))
        rows.append(Row(label("  of which python -c pass", name), interpreter * 1000, None,
                        "ms", f"the interpreter's own start, {interpreter / ours:.0%} of the row "
                        "above"))
        if name == "1.11":  # the REPL's start does not depend on the server
            rows.append(Row("REPL: start to a usable prompt", _prompt_time(servers) * 1000,
                            None, "ms", f"aim <= 200 ms; median of {RUNS}"))
    return rows


def _prompt_time(servers: str, runs: int = RUNS) -> float:
    """Seconds from starting ``dqlite -s ...`` in a terminal to its prompt."""
    import pexpect
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        child = pexpect.spawn(DQLITE[0], DQLITE[1:] + ["-s", servers, "--no-history"], env=env,
                              encoding="utf-8", timeout=30, dimensions=(40, 150))
        child.expect(r"db@[^>]+>")
        times.append(time.perf_counter() - started)
        child.terminate(force=True)
    return statistics.median(times)
