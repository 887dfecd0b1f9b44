"""Finding the leader among the known nodes, as go-dqlite's connector does.

Each round asks the first known node who leads, then (when it fails, names
no leader or is silent for a moment) every other in parallel (a bounded
pool); a node that names itself is confirmed with a CLIENT request on the
same socket, a node that names another sends us there (and that one must
name itself too). Rounds repeat with capped exponential backoff until the deadline; then
one :class:`NoLeaderError` says what each node last answered.

TLS mismatches (a plaintext client and TLS nodes, or the reverse, or a refused
certificate) and peers that do not speak dqlite (an HTTP port) do not heal by
waiting: when two rounds in a row got nothing but such failures (and refused
connections), the search stops at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dqlite_shell._log import debug
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import (
    ClientError,
    ConnectError,
    NoLeaderError,
    NotDqlite,
    NotDqliteNodes,
    TLSError,
    TLSMismatch,
)
from dqlite_shell.wire.errors import ProtocolError

if TYPE_CHECKING:
    import ssl as _ssl

MAX_PARALLEL = 8
#: How long the first known node is asked alone before the others are asked
#: too (see :func:`_round`).
FIRST_ALONE = 0.1
BACKOFF_START = 0.05
BACKOFF_CAP = 1.0
#: Rounds of nothing but TLS failures after which the search gives up early.
TLS_ROUNDS = 2

_LEADER, _ANSWER, _DOWN, _TLS, _WRONG = "leader", "answer", "down", "tls", "not dqlite"


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


def _probe(address: str, timeout: float, ssl_context,
           server_hostname) -> tuple[Connection | None, str | Exception, str]:
    """Ask one node; return (confirmed leader connection or None, what it
    said, and which kind of outcome: leader, answer, down or tls)."""
    conn = None
    try:
        conn = Connection.connect(address, timeout, ssl_context, server_hostname)
        leader = conn.leader()
        if leader is None:
            conn.close()
            return None, "no known leader", _ANSWER
        if leader.address != address:
            conn.close()
            conn = Connection.connect(leader.address, timeout, ssl_context, server_hostname)
            again = conn.leader()
            if again is None or again.address != leader.address:
                conn.close()
                return None, f"named {leader.address} as leader, which does not agree", _ANSWER
        conn.register()
        return conn, "leader", _LEADER
    except (ClientError, ProtocolError, OSError) as e:
        if conn is not None:
            conn.close()
        kind = (_TLS if isinstance(e, TLSError) else _WRONG if isinstance(e, NotDqlite)
                else _DOWN if isinstance(e, ConnectError) else _ANSWER)
        return None, e, kind  # the error itself: the shell tells it in its own words


def connect_leader(store: NodeStore, timeout: float = 10.0, request_timeout: float | None = None,
                   ssl_context: _ssl.SSLContext | None = None,
                   server_hostname: str | None = None) -> Connection:
    """Return a connection to the cluster's leader, trying until ``timeout`` s pass.

    The connection's own per-request timeout is ``request_timeout`` (default:
    ``timeout``).
    """
    deadline = time.monotonic() + timeout
    answers: dict[str, str | Exception] = {}
    delay = BACKOFF_START
    tls_rounds = 0
    while True:
        addresses = store.addresses()
        if not addresses:
            raise NoLeaderError({}, timeout)
        remaining = max(0.05, deadline - time.monotonic())
        kinds: dict[str, str] = {}
        conn = _round(addresses, min(remaining, 5.0), answers, kinds, ssl_context, server_hostname,
                      first_alone=FIRST_ALONE)
        if conn is not None:
            conn.timeout = request_timeout or timeout
            debug(__name__, "leader is %s", conn.address)
            return conn
        outcomes = set(kinds.values())
        hopeless = outcomes & {_TLS, _WRONG} and outcomes <= {_TLS, _WRONG, _DOWN}
        tls_rounds = tls_rounds + 1 if hopeless else 0
        if tls_rounds >= TLS_ROUNDS:
            if _TLS in outcomes:
                raise TLSMismatch({a: answers[a] for a, k in kinds.items() if k == _TLS})
            raise NotDqliteNodes({a: answers[a] for a, k in kinds.items() if k == _WRONG})
        if time.monotonic() + delay >= deadline:
            raise NoLeaderError(answers, timeout)
        time.sleep(delay)
        delay = min(delay * 2, BACKOFF_CAP)


def leader_among(addresses: list[str], timeout: float,
                 ssl_context: _ssl.SSLContext | None = None,
                 server_hostname: str | None = None) -> str | None:
    """The address of the confirmed leader among ``addresses``, asked once
    in parallel (``timeout`` per node), or None."""
    conn = _round(addresses, timeout, {}, {}, ssl_context, server_hostname) if addresses else None
    if conn is None:
        return None
    conn.close()
    return conn.address


def _round(addresses, timeout, answers, kinds, ssl_context, server_hostname,
           first_alone: float = 0.0) -> Connection | None:
    """One round: ask ``addresses`` who leads; the confirmed leader's
    connection, or None (``answers`` and ``kinds`` say what each said).

    ``first_alone`` > 0: the first node is asked alone first. Any live
    member names the leader, so a healthy cluster is found with one or two
    connections and no fan-out (a one-shot's start: ~4 ms less on three
    nodes, and no sockets the nodes must serve for nothing). The others are
    asked at once when it fails or names no leader, or when it is silent for
    ``first_alone`` s.
    """
    if len(addresses) == 1:  # no threads for the common single-node case
        conn, what, kind = _probe(addresses[0], timeout, ssl_context, server_hostname)
        answers[addresses[0]] = what
        kinds[addresses[0]] = kind
        return conn
    import queue  # here: a single node needs none (queue and heapq, ~0.7 ms of a start)

    # Daemon threads, never joined: a frozen node must not hold up the
    # answer, nor the process's exit (a pool's workers are joined at exit).
    results: queue.Queue = queue.Queue()
    addresses = list(addresses)
    late = _Late()
    pending = list(addresses)

    def report(address):
        outcome = _probe(address, timeout, ssl_context, server_hostname)
        with late.lock:
            if late.done and outcome[0] is not None:
                outcome[0].close()  # a late leader connection nobody will use
                return
            results.put((address, outcome))

    def ask():
        while True:
            with late.lock:
                if not pending:
                    return
                address = pending.pop(0)
            report(address)

    def fan_out():
        for _ in range(min(MAX_PARALLEL, len(pending))):
            threading.Thread(target=ask, daemon=True, name="dqlite-leader").start()

    alone = first_alone > 0
    if alone:
        threading.Thread(target=report, args=(pending.pop(0),), daemon=True,
                         name="dqlite-leader").start()
    else:
        fan_out()
    winner: Connection | None = None
    try:
        received = 0
        while received < len(addresses):
            try:
                address, (conn, what, kind) = results.get(timeout=first_alone if alone else None)
            except queue.Empty:  # the first node is silent: ask the others too
                alone = False
                fan_out()
                continue
            received += 1
            answers[address], kinds[address] = what, kind
            if conn is not None:
                winner = conn
                break
            if alone:  # it failed or named no leader: ask the others
                alone = False
                fan_out()
    finally:
        with late.lock:
            late.done = True
            pending.clear()
        while True:  # answers that came in meanwhile
            try:
                _, (conn, _, _) = results.get_nowait()
            except queue.Empty:
                break
            if conn is not None and conn is not winner:
                conn.close()
    return winner


class _Late:
    """Whether a round has its answer (later leader connections are closed)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
