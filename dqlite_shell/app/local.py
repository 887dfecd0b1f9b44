"""``LocalCluster(n)``: n real nodes on loopback forming one voting cluster.

Used by the tests and by the shell's scratch cluster. Nodes run in this
process (fast) or, with ``processes=True``, as ``dqlite-node`` children that a
test can SIGKILL.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile

from dqlite_shell.app.join import join
from dqlite_shell.app.serving import start_node, stop_node
from dqlite_shell.native.library import generate_node_id
from dqlite_shell.native.node import BOOTSTRAP_ID, Node
from dqlite_shell.native.ports import release_port, reserve_address


class LocalCluster:
    """Start ``size`` nodes; the first bootstraps, the others join as voters.

    Each node's data lives in ``data_dir/nodeN`` (a new temporary dir by
    default). ``network_latency_ms`` tunes Raft timeouts (election timeout
    is 15 times it); the tests use a small one for quick failovers.

    ``tls`` (a :class:`~dqlite_shell.app.tls.TLSConfig` or a ``(cert, key[,
    ca])`` tuple) makes every node speak mutual TLS only: in-process nodes
    get a :class:`~dqlite_shell.app.tlsproxy.TLSFront` each, process nodes
    ``--cert/--key/--ca``; clients then need :meth:`client_context` (or the
    same files).

    ``addresses`` lists the nodes (in start order); :meth:`kill`,
    :meth:`stop` and :meth:`start` act on one node by index; :meth:`close`
    (also on leaving a ``with`` block) stops everything and, when the
    cluster made its own data dir, removes it.
    """

    def __init__(self, size: int = 3, data_dir: str | None = None, *, processes: bool = False,
                 host: str = "127.0.0.1", timeout: float = 30.0,
                 network_latency_ms: int | None = None, tls=None):
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        from dqlite_shell.app.tls import TLSConfig
        self.tls = TLSConfig.coerce(tls)
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="dqlite-cluster-")
        self.processes = processes
        self.timeout = timeout
        self.network_latency_ms = network_latency_ms  # lower: faster elections
        # A data dir used before keeps its nodes' addresses (Raft knows them).
        stored = [self._stored_address(i) for i in range(size)]
        self._reserved = [reserve_address(host) for a in stored if a is None]
        fresh = iter(self._reserved)
        self.addresses = [a or next(fresh) for a in stored]
        self._nodes: list = [None] * size
        self._fronts: list = [None] * size  # TLSFront of in-process TLS nodes
        try:
            for index in range(size):
                self.start(index)
        except BaseException:
            self.close()
            raise

    def dir_of(self, index: int) -> str:
        return os.path.join(self.data_dir, f"node{index + 1}")

    def _stored_address(self, index: int) -> str | None:
        from dqlite_shell.native import nodeinfo
        try:
            info = nodeinfo.read(self.dir_of(index))
        except ValueError:
            return None
        return None if info is None else info.address

    def start(self, index: int) -> None:
        """Start node ``index`` (joining the others the first time)."""
        address, data_dir = self.addresses[index], self.dir_of(index)
        first_time = not os.path.isdir(data_dir)
        os.makedirs(data_dir, exist_ok=True)
        others = [a for i, a in enumerate(self.addresses) if i != index and self._nodes[i]]
        if self.processes:
            args = [sys.executable, "-m", "dqlite_shell.app.node_cli", "--address", address,
                    "--dir", data_dir, "--timeout", str(self.timeout)]
            if index and first_time:
                args += ["--join", ",".join(others)]
            if self.network_latency_ms:
                args += ["--network-latency-ms", str(self.network_latency_ms)]
            if self.tls is not None:
                args += ["--cert", self.tls.cert, "--key", self.tls.key, "--ca", self.tls.ca]
            # stderr to a file: a pipe nobody reads would block a node that
            # writes much (1.18.6 prints ~8,000 lines when it aborts).
            log_path = data_dir.rstrip("/") + ".log"
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
            line = proc.stdout.readline()  # the ready line, printed once joined
            if not line:
                proc.wait()
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    err = f.read().strip()
                raise RuntimeError(f"node {address} did not start: {err}")
            self._nodes[index] = proc
            return
        node_id = self._node_id(index, address)
        node, front = start_node(address, data_dir, self.tls, node_id=node_id,
                                 network_latency_ms=self.network_latency_ms)
        self._nodes[index] = node
        self._fronts[index] = front
        if index and first_time:
            join(node.id, address, others, timeout=self.timeout,
                 ssl_context=self.client_context())

    def client_context(self):
        """An ``ssl`` context for clients of a TLS cluster (None without TLS)."""
        return None if self.tls is None else self.tls.client_context()

    def _node_id(self, index: int, address: str) -> int:
        from dqlite_shell.native import nodeinfo
        info = nodeinfo.read(self.dir_of(index))
        if info is None:
            node_id = BOOTSTRAP_ID if index == 0 else generate_node_id(address)
            info = nodeinfo.NodeInfo(node_id, address)
            nodeinfo.write(self.dir_of(index), info)
        return info.id

    def kill(self, index: int) -> None:
        """SIGKILL a process node (in-process nodes are stopped instead)."""
        self._halt(index, signal.SIGKILL)

    def stop(self, index: int) -> None:
        """Stop node ``index`` cleanly."""
        self._halt(index, signal.SIGTERM)

    def _halt(self, index: int, sig) -> None:
        node, self._nodes[index] = self._nodes[index], None
        if node is None:
            return
        if isinstance(node, Node):
            front, self._fronts[index] = self._fronts[index], None
            stop_node(node, front)
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
        if node is None:
            return False
        return node.running if isinstance(node, Node) else node.poll() is None

    def close(self) -> None:
        for index in range(len(self._nodes)):
            self._halt(index, signal.SIGTERM)
        for address in self._reserved:
            release_port(int(address.rsplit(":", 1)[1]))
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> "LocalCluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
