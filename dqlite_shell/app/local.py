"""``LocalCluster(n)``: the scratch cluster (:mod:`dqlite_shell.scratch`)
with what the tests and benchmarks add: mutual TLS, and nodes run as
``dqlite-node`` child processes that a test can SIGKILL."""

from __future__ import annotations

import subprocess
import sys

from dqlite_shell.app.serving import start_node, stop_node
from dqlite_shell.native.node import Node
from dqlite_shell.scratch import ScratchCluster


class LocalCluster(ScratchCluster):
    """:class:`~dqlite_shell.scratch.ScratchCluster` plus two options.

    ``processes=True`` runs each node as a ``dqlite-node`` child (slower to
    start; :meth:`kill` sends it SIGKILL, :meth:`pid` names it).

    ``tls`` (a :class:`~dqlite_shell.app.tls.TLSConfig` or a ``(cert, key[,
    ca])`` tuple) makes every node speak mutual TLS only: in-process nodes
    get a :class:`~dqlite_shell.app.tlsproxy.TLSFront` each, process nodes
    ``--cert/--key/--ca``; clients then need :meth:`client_context` (or the
    same files).
    """

    def __init__(self, size: int = 3, data_dir: str | None = None, *, processes: bool = False,
                 host: str = "127.0.0.1", timeout: float = 30.0,
                 network_latency_ms: int | None = None, tls=None):
        from dqlite_shell.app.tls import TLSConfig
        self.tls = TLSConfig.coerce(tls)
        self.processes = processes
        self._fronts: dict = {}  # index -> TLSFront of an in-process TLS node
        super().__init__(size, data_dir, host=host, timeout=timeout,
                         network_latency_ms=network_latency_ms)

    def _launch(self, index: int, address: str, data_dir: str, join_through: list[str]):
        if self.processes:
            return self._launch_process(address, data_dir, join_through)
        return super()._launch(index, address, data_dir, join_through)

    def _start_node(self, index: int, address: str, data_dir: str) -> Node:
        if self.tls is None:
            return super()._start_node(index, address, data_dir)
        node, self._fronts[index] = start_node(address, data_dir, self.tls,
                                               node_id=self._node_id(index, address),
                                               network_latency_ms=self.network_latency_ms)
        return node

    def _launch_process(self, address: str, data_dir: str, join_through: list[str]):
        args = [sys.executable, "-m", "dqlite_shell.app.node_cli", "--address", address,
                "--dir", data_dir, "--timeout", str(self.timeout)]
        if join_through:
            args += ["--join", ",".join(join_through)]
        if self.network_latency_ms:
            args += ["--network-latency-ms", str(self.network_latency_ms)]
        if self.tls is not None:
            args += ["--cert", self.tls.cert, "--key", self.tls.key, "--ca", self.tls.ca]
        # stderr to a file: a pipe nobody reads would block a node that
        # writes much (1.18.6 prints ~8,000 lines when it aborts).
        log_path = data_dir.rstrip("/") + ".log"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
        assert proc.stdout is not None  # stdout=PIPE
        line = proc.stdout.readline()  # the ready line, printed once joined
        if not line:
            proc.wait()
            with open(log_path, encoding="utf-8", errors="replace") as f:
                err = f.read().strip()
            raise RuntimeError(f"node {address} did not start: {err}")
        return proc

    def client_context(self):
        """An ``ssl`` context for clients of a TLS cluster (None without TLS)."""
        return None if self.tls is None else self.tls.client_context()

    def _halt_node(self, index: int, node, sig) -> None:
        if isinstance(node, Node):
            stop_node(node, self._fronts.pop(index, None))
            return
        if node.poll() is None:
            node.send_signal(sig)
        try:
            node.wait(10)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait()
        node.stdout.close()

    def pid(self, index: int) -> int | None:
        """The process id of process node ``index`` (None in-process or stopped)."""
        node = self._nodes[index]
        return None if node is None or isinstance(node, Node) else node.pid

    def running(self, index: int) -> bool:
        node = self._nodes[index]
        if node is None or isinstance(node, Node):
            return super().running(index)
        return node.poll() is None
