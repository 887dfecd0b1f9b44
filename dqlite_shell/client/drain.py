"""Give up on a connection without leaving its statement behind on the server.

A client that closes its socket in the middle of a result leaks the
statement on dqlite 1.18.6, and the node aborts at its next stop
(docs/server-bugs.md, bug A). So on servers with the capability
``drain_on_cancel`` a cancelled request is not cut off: a background thread
reads what the server still sends (the request's answer, then the rest of the
rows after an INTERRUPT, up to its EMPTY), throws it away, and only then
closes the socket. The caller gets control back at once and goes on with a new
connection. libdqlite 1.11 is freed at once by a close, and its one thread
blocks every client until then, so there the socket is closed instead.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from dqlite_shell._log import debug
from dqlite_shell.wire import requests
from dqlite_shell.wire.constants import ResponseType

if TYPE_CHECKING:
    from dqlite_shell.client.transport import Transport

_ROWS = int(ResponseType.ROWS)
_EMPTY = int(ResponseType.EMPTY)
#: The end marker of the last ROWS message of a result.
_DONE = b"\xff" * 8

#: The longest a drain reads (a result of hundreds of millions of rows);
#: past it, or after the connection's timeout of silence, the socket is closed.
DRAIN_LIMIT = 900.0


class Drains:
    """The drains a session started; :meth:`wait` lets them finish before the
    process exits (a daemon thread killed at exit would close mid-stream)."""

    def __init__(self):
        self._threads: list[threading.Thread] = []

    def start(self, transport: "Transport", db_id: int | None, *, waiting: bool,
              streaming: bool, interrupted: bool, silence: float) -> None:
        """Read and discard what ``transport`` still receives, then close it.

        ``waiting``: a request's first answer is still to come; ``streaming``:
        a result's rows are still coming; ``interrupted``: INTERRUPT was sent.
        """
        self._threads = [t for t in self._threads if t.is_alive()]
        thread = threading.Thread(
            target=_drain, args=(transport, db_id, waiting, streaming, interrupted, silence),
            name=f"dqlite-drain-{transport.address}", daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def active(self) -> int:
        """How many drains are still reading."""
        return sum(t.is_alive() for t in self._threads)

    def wait(self, timeout: float = DRAIN_LIMIT) -> bool:
        """Wait until every drain is done (at most ``timeout`` s); True if all are."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        return not self._threads


def _drain(transport: "Transport", db_id: int | None, waiting: bool, streaming: bool,
           interrupted: bool, silence: float) -> None:
    deadline = time.monotonic() + DRAIN_LIMIT
    try:
        transport.watch(None)  # no liveness probes: silence just ends the drain
        transport.set_timeout(silence)
        if waiting:
            msg_type, _schema, body = transport.read_frame()
            streaming = msg_type == _ROWS and body[-8:] != _DONE
        if not streaming:
            return
        if not interrupted and db_id is not None:
            transport.send(requests.interrupt(db_id))
        while time.monotonic() < deadline:
            msg_type, _schema, _body = transport.read_frame()
            if msg_type == _EMPTY:
                return  # the INTERRUPT's answer: nothing more comes
    except Exception as e:  # noqa: BLE001 - a drain only ends; the socket is closed below
        debug(__name__, "drain of %s ended: %s", transport.address, e)
    finally:
        transport.close()


__all__ = ["DRAIN_LIMIT", "Drains"]
