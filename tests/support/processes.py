"""dqlite nodes as child processes (``dqlite-node``), so a test can SIGKILL one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

NODE_COMMAND = [sys.executable, "-m", "dqlite_shell.app.node_cli"]


class NodeProcess:
    """A ``dqlite-node`` child process on ``address`` with data in ``data_dir``."""

    def __init__(self, address: str, data_dir: str, extra_args=(), env: dict | None = None):
        self.address = address
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.env = env  # the whole environment of the child (None: this one's)
        self.proc: subprocess.Popen | None = None
        self.node_id: int | None = None
        # The node's stderr goes to a file: a pipe nobody reads would block a
        # node that writes much (1.18.6 prints ~8,000 lines when it aborts).
        fd, self.log = tempfile.mkstemp(prefix="dqlite-node-", suffix=".stderr")
        os.close(fd)

    @property
    def stderr(self) -> str:
        """What the node wrote on stderr so far (every start appends)."""
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, timeout: float = 10.0) -> NodeProcess:
        """Start and wait for the ready line."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                NODE_COMMAND + ["--address", self.address, "--dir", self.data_dir,
                                *self.extra_args],
                stdout=subprocess.PIPE, stderr=log, text=True, env=self.env)
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline()  # the node prints one line when it serves
        if not line:
            self.proc.wait(max(0.1, deadline - time.monotonic()))
            err = self.stderr
            raise RuntimeError(f"dqlite-node {self.address} exited {self.proc.returncode}: {err}")
        self.node_id = int(line.split("node ")[1].split()[0], 16)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> int:
        """SIGKILL the node and reap it; returns the exit status."""
        return self._signal(signal.SIGKILL)

    def terminate(self) -> int:
        """SIGTERM (a clean stop); returns the exit status."""
        return self._signal(signal.SIGTERM)

    def _signal(self, sig) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        return rc

    def close(self) -> None:
        if self.running:
            self.kill()
        try:
            os.unlink(self.log)
        except FileNotFoundError:
            pass


def blocked_signals(pid: int) -> dict[int, int]:
    """Each thread of process ``pid`` (by tid): its mask of blocked signals
    (bit N-1 for signal N), from /proc."""
    masks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except FileNotFoundError:
            continue  # a thread that ended meanwhile (a probe's, a pool's)
        masks[int(tid)] = int(fields["SigBlk"], 16)
    return masks


def run_python(code: str, *args: str, timeout: float = 60,
               **kwargs) -> subprocess.CompletedProcess:
    """``python -c CODE ARGS`` in a fresh interpreter (what a module loads at
    start, or a process of its own); its output as text. ``kwargs`` go to
    subprocess.run (env, cwd, check, stdin)."""
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def freeze(pid: int) -> None:
    """SIGSTOP ``pid`` and wait until it is stopped. The signal lands later
    on a busy machine: the thread the kernel gives it to must run to stop the
    others, and meanwhile libdqlite's loop thread still answers requests."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while True:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        assert time.monotonic() < deadline, f"process {pid} did not stop"
        time.sleep(0.005)


def drains_of(address: str) -> list[int]:
    """Processes still running our shell for ``address``: once the shell has
    exited, the child it handed its unfinished drains to (client/drain.py)."""
    found = subprocess.run(["pgrep", "-f", f"dqlite_shell -s {re.escape(address)}"],
                           capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def wait_for_drains(address: str, timeout: float = 120) -> None:
    """Wait until the drain child of a shell on ``address`` has read its
    result to the end: a node stopped under a stream still being read aborts
    on 1.18.6 (docs/server-bugs.md, bug A), and an in-process node takes the
    test run with it."""
    deadline = time.monotonic() + timeout
    while drains_of(address):
        assert time.monotonic() < deadline, f"the drain did not end in {timeout:.0f} s"
        time.sleep(0.1)
