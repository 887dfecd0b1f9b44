"""Finding the leader among the known nodes, as go-dqlite's connector does.

Each round asks every known node who leads, in parallel (a bounded pool); a
node that names itself is confirmed with a CLIENT request on the same socket,
a node that names another sends us there (and that one must name itself
too). Rounds repeat with capped exponential backoff until the deadline; then
one :class:`NoLeaderError` says what each node last answered.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Iterable

from dqlite_shell._log import debug
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ClientError, NoLeaderError
from dqlite_shell.wire.errors import ProtocolError

if TYPE_CHECKING:
    import ssl as _ssl

MAX_PARALLEL = 8
BACKOFF_START = 0.05
BACKOFF_CAP = 1.0


class NodeStore:
    """The addresses we know, in the order the user gave them, plus learned ones.

    Thread-safe; :meth:`learn` adds the members a leader reported so that a
    later reconnect can try nodes the user did not list.
    """

    def __init__(self, addresses: Iterable[str] = ()):
        self._lock = threading.Lock()
        self._addresses: list[str] = []
        self.learn(addresses)

    def addresses(self) -> list[str]:
        with self._lock:
            return list(self._addresses)

    def learn(self, addresses: Iterable[str]) -> None:
        with self._lock:
            for address in addresses:
                if address and address not in self._addresses:
                    self._addresses.append(address)

    def __len__(self) -> int:
        return len(self._addresses)


def _probe(address: str, timeout: float, ssl_context, server_hostname) -> tuple[Connection | None, str]:
    """Ask one node; return (confirmed leader connection or None, what it said)."""
    conn = None
    try:
        conn = Connection.connect(address, timeout, ssl_context, server_hostname)
        leader = conn.leader()
        if leader is None:
            conn.close()
            return None, "no known leader"
        if leader.address != address:
            conn.close()
            conn = Connection.connect(leader.address, timeout, ssl_context, server_hostname)
            again = conn.leader()
            if again is None or again.address != leader.address:
                conn.close()
                return None, f"named {leader.address} as leader, which does not agree"
        conn.register()
        return conn, "leader"
    except (ClientError, ProtocolError, OSError) as e:
        if conn is not None:
            conn.close()
        return None, str(e)


def connect_leader(store: NodeStore, timeout: float = 10.0, request_timeout: float | None = None,
                   ssl_context: _ssl.SSLContext | None = None,
                   server_hostname: str | None = None) -> Connection:
    """Return a connection to the cluster's leader, trying until ``timeout`` s pass.

    The connection's own per-request timeout is ``request_timeout`` (default:
    ``timeout``).
    """
    deadline = time.monotonic() + timeout
    answers: dict[str, str] = {}
    delay = BACKOFF_START
    while True:
        addresses = store.addresses()
        if not addresses:
            raise NoLeaderError({}, timeout)
        remaining = max(0.05, deadline - time.monotonic())
        conn = _round(addresses, min(remaining, 5.0), answers, ssl_context, server_hostname)
        if conn is not None:
            conn.timeout = request_timeout or timeout
            debug(__name__, "leader is %s", conn.address)
            return conn
        if time.monotonic() + delay >= deadline:
            raise NoLeaderError(answers, timeout)
        time.sleep(delay)
        delay = min(delay * 2, BACKOFF_CAP)


def _round(addresses, timeout, answers, ssl_context, server_hostname) -> Connection | None:
    if len(addresses) == 1:  # no threads for the common single-node case
        conn, what = _probe(addresses[0], timeout, ssl_context, server_hostname)
        answers[addresses[0]] = what
        return conn
    import concurrent.futures  # only clusters need threads
    winner: Connection | None = None
    pool = concurrent.futures.ThreadPoolExecutor(min(MAX_PARALLEL, len(addresses)),
                                                 thread_name_prefix="dqlite-leader")
    futures = {pool.submit(_probe, a, timeout, ssl_context, server_hostname): a for a in addresses}
    try:
        for future in concurrent.futures.as_completed(futures):
            conn, what = future.result()
            answers[futures[future]] = what
            if conn is not None:
                winner = conn
                break
    finally:
        # Late probes must not leak sockets: close what they return.
        for future in futures:
            future.add_done_callback(_close_loser(winner))
        pool.shutdown(wait=False)
    return winner


def _close_loser(winner):
    def done(future):
        conn, _ = future.result()
        if conn is not None and conn is not winner:
            conn.close()
    return done
