"""Run one ``App`` in a child process (so a test can SIGKILL it).

``python -m tests.support.app_process --dir D --address A [--join A2,...]``
prints ``ready <id in hex>`` once the node is ready, then serves until
SIGTERM (hand over, close, exit 0).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time

from tests.conftest import TEST_LATENCY_MS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--join", default="")
    parser.add_argument("--frequency", type=float, default=1.0)
    args = parser.parse_args()
    from dqlite_shell.app.app import App
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    app = App(args.dir, address=args.address, cluster=[a for a in args.join.split(",") if a],
              network_latency_ms=TEST_LATENCY_MS, roles_adjustment_frequency=args.frequency)
    app.ready(60)
    print(f"ready {app.id:x}", flush=True)
    stop.wait()
    app.close()


class AppProcess:
    """An App child process on ``address`` with data in ``data_dir``."""

    def __init__(self, address: str, data_dir: str, join=()):
        self.address, self.data_dir, self.join = address, data_dir, list(join)
        self.proc = None
        self.id = None

    def start(self) -> AppProcess:
        """Start and wait until ready (see :meth:`spawn` for several at once)."""
        return self.spawn().wait_ready()

    def spawn(self) -> AppProcess:
        """Start without waiting: a restarted cluster needs a quorum of its
        nodes up before any of them can be ready."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.app_process", "--dir", self.data_dir,
             "--address", self.address, "--join", ",".join(self.join)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return self

    def wait_ready(self) -> AppProcess:
        line = self.proc.stdout.readline()
        if not line.startswith("ready "):
            self.proc.kill()
            raise RuntimeError(f"app {self.address} did not start: {self.proc.stderr.read()}")
        self.id = int(line.split()[1], 16)
        return self

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def terminate(self) -> int:
        return self._end(signal.SIGTERM)

    def _end(self, sig) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        deadline = time.monotonic() + 30
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.proc.poll() is None:
            self.proc.kill()
        rc = self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.proc = None
        return rc


if __name__ == "__main__":
    main()
