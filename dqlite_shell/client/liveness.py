"""Telling a node that is working from one that is gone while we wait for it.

A statement may run long before its answer begins, so silence alone proves
nothing. While a session waits, every ``PROBE_EVERY`` seconds of silence we
ask the node itself on a second connection (LEADER). A node that answers is
alive and we go on waiting. A node that does not answer is frozen, cut off,
or (libdqlite 1.11 only, whose one thread runs every statement) busy with one
long step of a statement. Then we ask the other known nodes who leads:

* another node is the confirmed leader: ours was deposed while it held our
  statement; waiting longer cannot give a trustworthy answer, so we give up
  (detection takes an election: about 1-3 s with default Raft settings);
* no other leader, and the node has been silent for ``bound`` seconds (the
  session's timeout): we give up too, for the cluster cannot answer now.

Giving up raises :class:`NodeSilent`; the session reports the statement's
fate as unknown and never re-sends it. TCP keepalive (set on every socket in
``transport``) covers a dead host when no probe runs.
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, Callable

from dqlite_shell._log import debug
from dqlite_shell.client.errors import ClientError, RequestTimeout, seconds
from dqlite_shell.wire.errors import ProtocolError

if TYPE_CHECKING:
    from dqlite_shell.client.leader import NodeStore

#: Seconds of silence between probes (also each probe's own time limit).
PROBE_EVERY = 1.0


class NodeSilent(RequestTimeout):
    """The node answered nothing, neither on the statement's connection nor a
    probe, and the cluster moved on or the session's bound passed."""


def watcher(address: str, store: "NodeStore", bound: float, dial: Callable,
            probe: float = PROBE_EVERY) -> Callable[[float], None]:
    """An ``on_silence(seconds)`` callback for the connection to ``address``.

    ``dial(address, timeout)`` returns a new :class:`Connection` (so TLS
    settings follow); ``bound`` is how long a node that answers nothing, with
    no other leader in sight, is waited for.
    """

    def on_silence(quiet: float) -> None:
        if _answers(address, dial, probe):
            return
        other = _other_leader(address, store, dial, probe)
        if other is not None:
            raise NodeSilent(f"{address} stopped answering while it ran this statement and "
                             f"{other} leads now (the node may be frozen or cut off)")
        if quiet >= bound:
            raise NodeSilent(f"{address} answered nothing for {seconds(quiet)} s, neither this "
                             "statement nor a probe on a second connection, and no other node "
                             "leads (frozen, cut off, or busy with one long step)")
        debug(__name__, "%s silent for %.1f s; still waiting", address, quiet)

    return on_silence


def _answers(address: str, dial: Callable, timeout: float) -> bool:
    """True when ``address`` answers LEADER on a new connection in time."""
    try:
        with dial(address, timeout) as conn:
            conn.leader()
        return True
    except (ClientError, ProtocolError, OSError):
        return False


def _other_leader(address: str, store: "NodeStore", dial: Callable,
                  timeout: float) -> str | None:
    """Another node that names itself leader, asked in parallel (daemon
    threads: a frozen node must not hold up the process's exit)."""
    others = [a for a in store.addresses() if a != address]
    if not others:
        return None
    answers: queue.Queue = queue.Queue()
    for other in others:
        threading.Thread(target=_ask, args=(other, dial, timeout, answers), daemon=True,
                         name="dqlite-probe").start()
    for _ in others:
        try:
            leader = answers.get(timeout=timeout + 0.5)
        except queue.Empty:
            return None
        if leader is not None and leader != address:
            return leader
    return None


def _ask(address: str, dial: Callable, timeout: float, answers: queue.Queue) -> None:
    """Put ``address`` on ``answers`` when it names itself leader, else None."""
    leader = None
    try:
        with dial(address, timeout) as conn:
            info = conn.leader()
            if info is not None and info.address == address:
                leader = address
    except (ClientError, ProtocolError, OSError):
        pass
    answers.put(leader)
