"""``ScratchCluster(n)``: n real nodes in this process, on loopback, forming
one voting cluster.

The shell's scratch node (``dqlite`` without servers, ``--scratch N``) and
the tests use it. It sits beside the layers, on ``native`` (the nodes) and
``client`` (joining them), so the shell needs nothing of the application
layer; :class:`dqlite_shell.app.local.LocalCluster` adds TLS and nodes run
as ``dqlite-node`` processes for the tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from typing import TYPE_CHECKING

from dqlite_shell.client.membership import join
from dqlite_shell.native.library import generate_node_id
from dqlite_shell.native.node import BOOTSTRAP_ID, Node
from dqlite_shell.native.ports import release_port, reserve_address

if TYPE_CHECKING:
    import ssl


class ScratchCluster:
    """Start ``size`` nodes; the first bootstraps, the others join as voters.

    Each node's data lives in ``data_dir/nodeN`` (a new temporary dir by
    default, removed by :meth:`close`); a dir used before keeps its nodes'
    addresses and ids, so the same cluster comes back. ``network_latency_ms``
    tunes Raft timeouts (the election timeout is 15 times it); the tests use
    a small one for quick failovers.

    ``addresses`` lists the nodes (in start order); :meth:`kill`,
    :meth:`stop` and :meth:`start` act on one node by index; :meth:`close`
    (also on leaving a ``with`` block) stops everything.
    """

    def __init__(self, size: int = 3, data_dir: str | None = None, *,
                 host: str = "127.0.0.1", timeout: float = 30.0,
                 network_latency_ms: int | None = None):
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="dqlite-cluster-")
        self.timeout = timeout
        self.network_latency_ms = network_latency_ms  # lower: faster elections
        # A data dir used before keeps its nodes' addresses (Raft knows them).
        stored = [self._stored_address(i) for i in range(size)]
        self._reserved = [reserve_address(host) for a in stored if a is None]
        fresh = iter(self._reserved)
        self.addresses = [a or next(fresh) for a in stored]
        self._nodes: list = [None] * size
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
        through = others if index and first_time else []
        self._nodes[index] = self._launch(index, address, data_dir, through)

    def _launch(self, index: int, address: str, data_dir: str, join_through: list[str]):
        """Start one node and, given ``join_through``, make it a voter; returns
        what :meth:`_halt_node` stops."""
        node = self._start_node(index, address, data_dir)
        self._nodes[index] = node  # close() stops it if the join fails
        if join_through:
            join(node.id, address, join_through, timeout=self.timeout,
                 ssl_context=self.client_context())
        return node

    def _start_node(self, index: int, address: str, data_dir: str) -> Node:
        node = Node(address, data_dir, node_id=self._node_id(index, address),
                    network_latency_ms=self.network_latency_ms)
        node.start()
        return node

    def client_context(self) -> ssl.SSLContext | None:
        """An ``ssl`` context for the cluster's clients (None: plain TCP)."""
        return None

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
        if node is not None:
            self._halt_node(index, node, sig)

    def _halt_node(self, index: int, node, sig) -> None:
        node.stop()

    def running(self, index: int) -> bool:
        node = self._nodes[index]
        return node is not None and node.running

    def close(self) -> None:
        for index in range(len(self._nodes)):
            self._halt(index, signal.SIGTERM)
        for address in self._reserved:
            release_port(int(address.rsplit(":", 1)[1]))
        self._reserved = []
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
