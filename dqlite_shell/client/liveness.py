"""Telling a node that is working from one that is gone while we wait for it.

A statement may run long before its answer begins, so silence alone proves
nothing. While a session waits, every ``PROBE_EVERY`` seconds of silence we
ask the node itself on a second connection (LEADER). A node that answers is
alive, and we go on waiting as long as the statement takes. A node that
answers nothing at all, neither the statement nor a probe, for ``bound``
seconds (the session's timeout) is given up: frozen, cut off, or (libdqlite
1.11 only, whose one thread runs every statement) busy with one long step.
The other nodes are then asked who leads, for the message.

We wait the whole bound even when another node already leads: a deposed
leader that wakes up in time answers "not leader", which proves the statement
did not run, and the session then goes on through the new leader. Giving up
raises :class:`NodeSilent`; the session reports the statement's fate as
unknown and never re-sends it. TCP keepalive (set on every socket in
``transport``) covers a dead host when no probe runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from dqlite_shell._log import debug
from dqlite_shell.client.errors import ClientError, ConnectError, RequestTimeout, seconds
from dqlite_shell.wire.errors import ProtocolError

if TYPE_CHECKING:
    from dqlite_shell.client.leader import NodeStore

#: Seconds of silence between probes (also each probe's own time limit).
PROBE_EVERY = 1.0


class NodeSilent(RequestTimeout):
    """The node answered nothing, neither on the statement's connection nor a
    probe, and the cluster moved on or the session's bound passed."""


def watcher(address: str, store: NodeStore, bound: float, dial: Callable,
            leader_among: Callable, probe: float = PROBE_EVERY) -> Callable[[float], None]:
    """An ``on_silence(quiet)`` callback for the connection to ``address``
    (``quiet``: seconds since its last byte).

    ``dial(address, timeout)`` returns a new :class:`Connection` and
    ``leader_among(addresses, timeout)`` the confirmed leader's address or
    None (so TLS settings follow); ``bound`` is how long a node that shows no
    life at all is waited for.
    """
    alive_at: list[float] = []  # when a probe last got an answer

    def on_silence(quiet: float) -> None:
        if answers(address, dial, probe):
            alive_at[:] = [time.monotonic()]
            return
        silent = quiet if not alive_at else min(quiet, time.monotonic() - alive_at[0])
        if silent < bound:
            debug(__name__, "%s silent for %.1f s; still waiting", address, silent)
            return
        other = leader_among([a for a in store.addresses() if a != address], probe)
        now = (f"{other} leads now" if other else "no other node leads")
        raise NodeSilent(f"{address} answered nothing for {seconds(silent)} s, neither this "
                         f"statement nor a probe on a second connection, and {now} (the node "
                         "may be frozen, cut off, or busy with one long step)")

    return on_silence


def answers(address: str, dial: Callable, timeout: float) -> bool | None:
    """True when ``address`` answers LEADER on a new connection in time;
    False when it is silent; None when it cannot be reached at all."""
    try:
        conn = dial(address, timeout)
    except ConnectError:
        return None
    except (ClientError, ProtocolError, OSError):
        return False
    try:
        with conn:
            conn.leader()
        return True
    except (ClientError, ProtocolError, OSError):
        return False
