"""``App``: what an application embeds to be one node of a dqlite cluster.

The Python counterpart of go-dqlite's ``app`` package: it runs a native node
in this process, bootstraps a new cluster or joins an existing one, keeps
node roles balanced (:mod:`dqlite_shell.app.roles`), opens databases through
our PEP 249 driver, optionally serves clients and peers over TLS, and hands
its duties over before it goes away.

The data dir holds the node's identity in go-dqlite's file names, so a dir
reads the same to either implementation: ``info.yaml`` (id and address),
``cluster.yaml`` (the members last seen, where to look for a leader) and
``join`` (present until a new node has been added to the cluster).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from dqlite_shell.app import files
from dqlite_shell.app.roles import LEAVING, Member, RolesConfig, RolesPlan
from dqlite_shell.app.serving import start_node, stop_node
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ClientError
from dqlite_shell.client.leader import NodeStore, connect_leader
from dqlite_shell.native import nodeinfo
from dqlite_shell.native.errors import NodeError
from dqlite_shell.native.library import generate_node_id
from dqlite_shell.native.node import BOOTSTRAP_ID
from dqlite_shell.wire.constants import Role

log = logging.getLogger(__name__)

#: go-dqlite's default port when no address is given.
DEFAULT_PORT = 9000
#: How long probing one member (connect + DESCRIBE) may take.
PROBE_TIMEOUT = 2.0
#: How long :meth:`App.close` may spend handing over (a cluster without a
#: quorum has no leader to hand over to; closing must still end).
HANDOVER_ON_CLOSE = 10.0


class App:
    """One node of a dqlite cluster, embedded in this process.

    ``data_dir`` is created when missing. A new dir with no ``cluster``
    bootstraps a new cluster; with ``cluster`` (addresses of existing
    members) the node joins it as a spare and is promoted when the cluster
    needs it. A dir used before restarts the same node (same id, address and
    membership) and never joins twice.

    Keyword options mean what go-dqlite's ``app.With...`` options mean:

    * ``address``: where this node serves clients and peers (``host:port``);
      by default the host's first non-loopback IPv4 address, port 9000. A dir
      used before keeps its address; a different one is an error.
    * ``cluster``: members to join through, for a new dir.
    * ``voters`` / ``standbys``: target numbers of online voters (odd, >= 3)
      and stand-bys; ``roles_adjustment_frequency`` (seconds): how often the
      leader checks them.
    * ``failure_domain``, ``network_latency_ms``, ``snapshot_params``
      (``(threshold, trailing)``): passed to the native node.
    * ``busy_timeout_ms``, ``snapshot_compression``, ``auto_recovery``,
      ``block_size``: options of later libdqlite releases, passed to the
      native node (see :class:`~dqlite_shell.native.node.Node`); one the
      loaded library lacks is a :class:`NodeError` naming the release that
      has it.
    * ``tls``: a :class:`~dqlite_shell.app.tls.TLSConfig` or a
      ``(cert, key[, ca])`` tuple: clients and peers are served over mutual
      TLS by a proxy in front of the node, and peers are dialed over TLS.

    The node starts in the constructor; background work (joining, taking a
    role, adjusting roles when leader) runs in a thread. :meth:`ready` waits
    for the first part of it. :meth:`close` hands over and stops; it is
    idempotent and also runs when a ``with`` block ends.
    """

    def __init__(self, data_dir: str | os.PathLike, *, address: str | None = None,
                 cluster: Iterable[str] = (), voters: int = 3, standbys: int = 3,
                 roles_adjustment_frequency: float = 30.0, failure_domain: int | None = None,
                 network_latency_ms: int | None = None,
                 snapshot_params: tuple[int, int] | None = None, tls=None,
                 busy_timeout_ms: int | None = None, snapshot_compression: bool | None = None,
                 auto_recovery: bool | None = None, block_size: int | None = None):
        self.roles = RolesConfig(voters, standbys)
        self.data_dir = os.fspath(data_dir)
        self.frequency = roles_adjustment_frequency
        cluster = [a.strip() for a in cluster if a and a.strip()]
        try:
            os.makedirs(self.data_dir, exist_ok=True)
        except OSError as e:
            raise NodeError(f"cannot use data dir {self.data_dir}: {e.strerror}", code=2) from None
        self._ready = threading.Event()
        self._joined_ok = False  # ready because it joined, not because it closed
        self._stopping = threading.Event()
        self._closed = False
        self._close_lock = threading.Lock()
        # This node's own role changes (taking a role, adjusting as leader)
        # and a handover never interleave: an adjustment would act on the
        # handover's half-done state (demote the node it transfers to).
        self._roles_lock = threading.Lock()
        new = not os.path.exists(nodeinfo.path_in(self.data_dir))
        info, joining = self._identity(address, cluster)
        self.id, self.address = info.id, info.address
        try:
            self._start(cluster, tls, dict(
                node_id=self.id, failure_domain=failure_domain,
                network_latency_ms=network_latency_ms, snapshot_params=snapshot_params,
                busy_timeout_ms=busy_timeout_ms, snapshot_compression=snapshot_compression,
                auto_recovery=auto_recovery, block_size=block_size))
        except BaseException:
            if new:  # leave the dir as it was: the next try may use another address
                files.forget(self.data_dir)
            raise
        self._thread = threading.Thread(target=self._run, args=(joining,), daemon=True,
                                        name=f"dqlite-app {self.address}")
        self._thread.start()
        log.info("node %#x serving %s (data in %s)", self.id, self.address, self.data_dir)

    def _start(self, cluster: list[str], tls, node_options: dict) -> None:
        """Write the store, set up TLS, start the proxy and the node."""
        self._store = NodeStore(files.read_store(self.data_dir) or [self.address, *cluster])
        files.write_store(self.data_dir, self._members_of(self._store.addresses()))
        self.tls = None
        if tls is not None:
            from dqlite_shell.app.tls import TLSConfig
            self.tls = TLSConfig.coerce(tls)
        self._ssl = self.tls.client_context() if self.tls else None
        self.node, self._front = start_node(self.address, self.data_dir, self.tls,
                                            **node_options)

    def __repr__(self) -> str:
        return f"<App {self.id:#x} {self.address} {self.data_dir}>"

    # -- identity ---------------------------------------------------------

    def _identity(self, address: str | None, cluster: list[str]) -> tuple[nodeinfo.NodeInfo, bool]:
        """This node's id and address (created once, then kept in the dir),
        and whether it still has to join the cluster."""
        try:
            info = nodeinfo.read(self.data_dir)
        except ValueError as e:
            raise NodeError(str(e), code=2) from None
        if info is None:
            address = address or default_address()
            if cluster:
                info = nodeinfo.NodeInfo(generate_node_id(address), address)
                files.mark_joining(self.data_dir)
            else:
                info = nodeinfo.NodeInfo(BOOTSTRAP_ID, address)
            nodeinfo.write(self.data_dir, info)
        elif address and address != info.address:
            raise NodeError(f"data dir {self.data_dir} belongs to the node at {info.address}, "
                            f"not {address}", code=2)
        joining = files.joining(self.data_dir)
        if joining and info.id == BOOTSTRAP_ID:
            raise NodeError(f"data dir {self.data_dir}: the bootstrap node cannot join a cluster",
                            code=2)
        if joining and not cluster and not files.read_store(self.data_dir):
            raise NodeError(f"data dir {self.data_dir}: joining, but no cluster address given",
                            code=2)
        return info, joining

    def _members_of(self, addresses: list[str]) -> list[tuple[int, str, int]]:
        return [(self.id if a == self.address else 0, a, 0) for a in addresses]

    # -- the public API ---------------------------------------------------

    def ready(self, timeout: float | None = None) -> None:
        """Wait until the node has joined (when new) and taken the role the
        cluster needs; raises TimeoutError after ``timeout`` seconds."""
        if not self._ready.wait(timeout):
            raise TimeoutError(f"node {self.address} not ready after {timeout} s")
        if self._closed and not self._joined_ok:
            raise NodeError(f"node {self.address} closed before it was ready", code=1)

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set()

    def open(self, database: str, *, timeout: float = 30.0, **kwargs):
        """A PEP 249 connection to ``database`` through the cluster's leader.

        ``timeout`` bounds finding a leader (a cluster just started or
        failing over may have none for a while); other keyword arguments go
        to :func:`dqlite_shell.dbapi.connect`.
        """
        from dqlite_shell import dbapi
        kwargs.setdefault("ssl_context", self._ssl)
        return dbapi.connect(self.servers(), database, timeout=timeout, **kwargs)

    def servers(self) -> list[str]:
        """Addresses of the members this node knows, itself first."""
        return [self.address] + [a for a in self._store.addresses() if a != self.address]

    def leader(self, timeout: float = 10.0) -> Connection:
        """A client connection to the cluster's leader (for admin requests)."""
        return connect_leader(NodeStore(self.servers()), timeout, ssl_context=self._ssl)

    def client(self, timeout: float = 10.0) -> Connection:
        """A client connection to this node."""
        return Connection.connect(self.address, timeout, ssl_context=self._ssl)

    def handover(self, timeout: float = 60.0) -> None:
        """Pass this node's duties on before it goes away: transfer
        leadership if it leads, promote another node to its role (voter or
        stand-by), then demote itself to spare, so the rest keeps a quorum.

        The node first marks itself as leaving (weight
        :data:`~dqlite_shell.app.roles.LEAVING`), so that leaders neither
        promote it again while it is still online nor keep it over another
        node when the promotion makes one voter too many for a moment.

        Raises :class:`ClientError` when no leader can be found or no node
        could take the role within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        with self._roles_lock:
            self._mark_leaving()
            conn = self.leader(timeout)
            try:
                conn = self._lead_elsewhere(conn, deadline)
                role, candidates = self._plan(conn.cluster()).handover(self.id)
                if role is not None:
                    self._assign_first(conn, candidates, role)
                    # A 2-node cluster had no other voter before the promotion.
                    conn = self._lead_elsewhere(conn, deadline)
                    self._demote_self(conn)
            finally:
                conn.close()

    def _mark_leaving(self) -> None:
        try:
            with self.client(PROBE_TIMEOUT) as mine:
                mine.weight(LEAVING)
        except (ClientError, OSError) as e:  # leaders may then promote it again: not fatal
            log.warning("mark %s as leaving: %s", self.address, e)

    def _lead_elsewhere(self, conn: Connection, deadline: float) -> Connection:
        """Transfer leadership to another online voter if this node leads
        (and one exists); a connection to the leader afterwards."""
        leader = conn.leader()
        if leader is None or leader.id != self.id:
            return conn
        voters = [m for m in self._plan(conn.cluster()).holders(Role.VOTER) if m.id != self.id]
        if not voters:
            return conn
        for i, voter in enumerate(voters):
            try:
                conn.transfer(voter.id)
            except ClientError as e:
                log.warning("transfer leadership to %s: %s", voter.address, e)
                if i == len(voters) - 1:
                    raise
                continue
            log.debug("leadership transferred to %s", voter.address)
            break
        conn.close()
        return self.leader(max(0.5, deadline - time.monotonic()))

    def _demote_self(self, conn: Connection) -> None:
        try:
            conn.assign(self.id, Role.SPARE)
        except ClientError:
            # The leader may have demoted this leaving node first.
            if any(m.id == self.id and m.role == Role.SPARE for m in conn.cluster()):
                return
            raise
        log.debug("demoted ourselves to spare")

    def close(self, handover: bool = True) -> None:
        """Stop the background work, hand over (unless ``handover`` is false;
        failures are logged), stop the TLS proxy and the node. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._stopping.set()
            self._thread.join(PROBE_TIMEOUT * 3 + 30)
            if handover and self.node.running:
                try:
                    self.handover(timeout=HANDOVER_ON_CLOSE)
                except (ClientError, OSError) as e:
                    log.warning("handover: %s", e)
            self._closed = True
            self._ready.set()  # unblock waiters
            stop_node(self.node, self._front)

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- background work --------------------------------------------------

    def _run(self, joining: bool) -> None:
        """Join if new, take a role, then (as leader) keep roles balanced."""
        delay = 0.0
        while not self._stopping.wait(delay):
            delay = 1.0
            try:
                conn = connect_leader(NodeStore(self.servers()), 5.0, ssl_context=self._ssl)
            except ClientError as e:
                log.debug("no leader yet: %s", e)
                continue
            try:
                if joining:
                    self._join(conn)
                    joining = False
                members = conn.cluster()
                self._remember(members)
                with self._roles_lock:
                    if self._stopping.is_set():
                        break
                    if not self._ready.is_set():
                        self._assume_role(conn, members)
                        self._joined_ok = True
                        self._ready.set()
                        log.info("node %#x ready", self.id)
                    else:
                        self._adjust_roles(conn)
                delay = self.frequency
            except (ClientError, OSError) as e:
                log.warning("%s", e)
            finally:
                conn.close()

    def _join(self, conn: Connection) -> None:
        if all(m.id != self.id for m in conn.cluster()):
            log.debug("adding %#x at %s as a spare", self.id, self.address)
            conn.add(self.id, self.address)
        files.joined(self.data_dir)

    def _remember(self, members) -> None:
        self._store = NodeStore([self.address, *(m.address for m in members)])
        files.write_store(self.data_dir, [(m.id, m.address, int(m.role)) for m in members])

    def _assume_role(self, conn: Connection, members) -> None:
        plan = self._plan(members)
        role = plan.assume(self.id)
        if role is None:
            return
        conn.assign(self.id, role)
        log.info("took the %s role", role.name.lower())
        if role == Role.VOTER and len(plan.holders(Role.VOTER)) == 1:
            # The cluster just reached 3 nodes: a second promotion makes 3
            # voters at once. A failure is left to the leader's adjustments.
            for other in plan.members:
                if other.id != self.id and other.role != Role.VOTER:
                    try:
                        conn.assign(other.id, Role.VOTER)
                        break
                    except ClientError as e:
                        log.warning("promote %s to voter: %s", other.address, e)

    def _adjust_roles(self, conn: Connection) -> None:
        """As leader, make changes until the plan has none left."""
        for _ in range(16):  # bounded: each round changes one role
            leader = conn.leader()
            if leader is None or leader.id != self.id:
                return
            role, candidates = self._plan(conn.cluster()).adjust(self.id)
            if role is None:
                return
            self._assign_first(conn, candidates, role)

    def _assign_first(self, conn: Connection, candidates: list[Member], role: Role) -> None:
        for i, member in enumerate(candidates):
            try:
                conn.assign(member.id, role)
            except ClientError as e:
                log.warning("change %s from %s to %s: %s", member.address,
                            member.role.name.lower(), role.name.lower(), e)
                if i == len(candidates) - 1:
                    raise ClientError(f"no node could take the {role.name.lower()} role") from None
                continue
            log.info("%s is now %s", member.address, role.name.lower())
            return

    def _plan(self, members) -> RolesPlan:
        """Probe every member (DESCRIBE, in parallel) and plan on the result."""
        members = list(members)
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(members)))) as pool:
            metadata = list(pool.map(self._describe, [m.address for m in members]))
        return RolesPlan([Member(m.id, m.address, Role(m.role), meta is not None,
                                 meta.failure_domain if meta else 0, meta.weight if meta else 0)
                          for m, meta in zip(members, metadata, strict=True)], self.roles)

    def _describe(self, address: str):
        try:
            with Connection.connect(address, PROBE_TIMEOUT, ssl_context=self._ssl) as conn:
                return conn.describe()
        except (ClientError, OSError):
            return None


def default_address() -> str:
    """The host's first non-loopback IPv4 address with port 9000, as
    go-dqlite's app picks one (127.0.0.1 when there is none)."""
    try:
        candidates = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        candidates = []
    for *_, sockaddr in candidates:
        host = sockaddr[0]  # AF_INET: (host, port)
        if isinstance(host, str) and not host.startswith("127."):
            return f"{host}:{DEFAULT_PORT}"
    return f"127.0.0.1:{DEFAULT_PORT}"
