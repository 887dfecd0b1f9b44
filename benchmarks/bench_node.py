"""Native node start and stop through our cffi binding (no Go counterpart)."""

import tempfile
import time

from benchmarks.run import Row
from dqlite_shell.native import Node, release_port, reserve_address


def run(rounds: int = 20) -> list[Row]:
    address = reserve_address()
    starts, stops = [], []
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            node = Node(address, data_dir)
            for _ in range(rounds):
                t0 = time.perf_counter()
                node.start()
                t1 = time.perf_counter()
                node.stop()
                stops.append(time.perf_counter() - t1)
                starts.append(t1 - t0)
    finally:
        release_port(int(address.rsplit(":", 1)[1]))
    return [Row("node start (median)", sorted(starts)[rounds // 2] * 1000, None, "ms"),
            Row("node stop (median)", sorted(stops)[rounds // 2] * 1000, None, "ms")]
