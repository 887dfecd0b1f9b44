"""``dqlite-demo`` against Debian's Go one: a 3-node loopback cluster of each
(processes, as a user starts them), then sequential PUT + GET round trips
through one keep-alive HTTP connection to node 1's API."""

from __future__ import annotations

import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.run import Row
from dqlite_shell.native.ports import release_port, reserve_address, wait_for_listener

GO_DEMO = os.environ.get("DQLITE_SHELL_GO_DEMO", "/usr/bin/dqlite-demo")
OUR_DEMO = os.path.join(os.path.dirname(sys.executable), "dqlite-demo")
ROUND_TRIPS = 300
#: The whole benchmark of one demo may not take longer than this.
BUDGET = 60.0


class DemoCluster:
    """Three demo processes (ours or Go's) on loopback, node 1 bootstrapping."""

    def __init__(self, binary: str, size: int = 3):
        self.dir = tempfile.mkdtemp(prefix="dqlite-bench-demo-")
        self.procs: list[subprocess.Popen] = []
        self.addresses: list[str] = []
        self.apis: list[str] = []
        try:
            for i in range(size):
                api, db = reserve_address(), reserve_address()
                self.addresses += [api, db]
                args = [binary, "--api", api, "--db", db, "--dir", self.dir]
                if i:
                    args += ["--join", self.addresses[1]]
                self.procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL))
                wait_for_listener(api, 30.0)
                self.apis.append(api)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for address in self.addresses:
            release_port(int(address.rsplit(":", 1)[1]))
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _round_trips(api: str, n: int = ROUND_TRIPS) -> list[float]:
    """Seconds per PUT + GET, ``n`` times in a row on one keep-alive connection."""
    host, port = api.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    times = []
    deadline = time.monotonic() + BUDGET
    try:
        for i in range(n + 20):  # the first 20 warm up (connections, pages)
            value = f"value {i}".encode()
            started = time.perf_counter()
            conn.request("PUT", f"/key{i % 50}", body=value)
            put = conn.getresponse().read()
            conn.request("GET", f"/key{i % 50}")
            got = conn.getresponse().read()
            elapsed = time.perf_counter() - started
            if put != b"done\n" or got != value + b"\n":
                raise RuntimeError(f"{api}: PUT answered {put!r}, GET {got!r}")
            if i >= 20:
                times.append(elapsed)
            if time.monotonic() > deadline:
                break
    finally:
        conn.close()
    return times


def _measure(binary: str) -> tuple[float, float]:
    """(median, mean) milliseconds per PUT + GET."""
    with DemoCluster(binary) as cluster:
        times = _round_trips(cluster.apis[0])
    return statistics.median(times) * 1000, statistics.fmean(times) * 1000


def run() -> list[Row]:
    go = os.access(GO_DEMO, os.X_OK)
    ours_median, ours_mean = _measure(OUR_DEMO)
    go_median, go_mean = _measure(GO_DEMO) if go else (None, None)
    note = f"{ROUND_TRIPS} in a row, one keep-alive connection, 3 nodes; aim ratio <= 1.5"
    return [Row("demo: PUT+GET round trip (median)", ours_median, go_median, "ms", note),
            Row("demo: PUT+GET round trip (mean)", ours_mean, go_mean, "ms", note)]


if __name__ == "__main__":
    for row in run():
        print(row, row.ratio)
