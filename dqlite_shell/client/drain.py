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

import os
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
    """The drains a session started. :meth:`wait` lets them finish;
    :meth:`hand_off` gives the unfinished ones to a child process at exit (a
    daemon thread killed at exit would close its socket mid-stream)."""

    def __init__(self):
        self._drains: list[tuple[threading.Thread, _Drain]] = []
        self._handoff = threading.Event()

    def start(self, transport: Transport, db_id: int | None, *, waiting: bool,
              streaming: bool, interrupted: bool, silence: float) -> None:
        """Read and discard what ``transport`` still receives, then close it.

        ``waiting``: a request's first answer is still to come; ``streaming``:
        a result's rows are still coming; ``interrupted``: INTERRUPT was sent.
        """
        self._drains = [(t, d) for t, d in self._drains if t.is_alive()]
        drain = _Drain(transport, db_id, waiting, streaming, interrupted, silence)
        thread = threading.Thread(target=drain.run, args=(self._handoff,),
                                  name=f"dqlite-drain-{transport.address}", daemon=True)
        thread.start()
        self._drains.append((thread, drain))

    @property
    def active(self) -> int:
        """How many drains are still reading."""
        return sum(t.is_alive() for t, _ in self._drains)

    def wait(self, timeout: float = DRAIN_LIMIT) -> bool:
        """Wait until every drain is done (at most ``timeout`` s); True if all are."""
        deadline = time.monotonic() + timeout
        for thread, _ in self._drains:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._drains = [(t, d) for t, d in self._drains if t.is_alive()]
        return not self._drains

    def hand_off(self) -> int:
        """Before the process exits: stop the drain threads at a frame
        boundary and let a child process finish them, detached from the
        terminal and the output, so that the exit is immediate and closes no
        socket mid-stream. Returns how many drains the child took."""
        if not self.wait(0.0) and self._drains:
            self._handoff.set()
            # Each stops at its next frame boundary, within POLL when the
            # machine is idle. On a busy one it may take longer: wait for it
            # anyway (up to HAND_OFF_WAIT), since exiting would close its
            # socket mid-stream, which a 1.18.6 node pays for at its next stop.
            deadline = time.monotonic() + HAND_OFF_WAIT
            for thread, _ in self._drains:
                thread.join(max(0.0, deadline - time.monotonic()))
            self._handoff = threading.Event()  # drains started later run here
        handed = [d for t, d in self._drains if not t.is_alive() and d.handed_off]
        self._drains = []
        if not handed:
            return 0
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:  # the child: finish the drains, then leave at once
            try:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                for drain in handed:
                    drain.run(None)
            finally:
                os._exit(0)
        for drain in handed:  # the parent's copies; the child's keep the connections
            drain.transport.close()
        return len(handed) if pid > 0 else 0


#: How often a drain looks up from its socket (to be handed off).
POLL = 0.2
#: The longest an exit waits for its drains to reach a frame boundary.
HAND_OFF_WAIT = 30.0


class _Drain:
    """One abandoned request, read to its end. The flags say how far it got,
    so that another process can take it over between two frames."""

    def __init__(self, transport: Transport, db_id: int | None, waiting: bool,
                 streaming: bool, interrupted: bool, silence: float):
        self.transport, self.db_id, self.silence = transport, db_id, silence
        self.waiting, self.streaming, self.interrupted = waiting, streaming, interrupted
        self.handed_off = False

    def run(self, handoff: threading.Event | None) -> None:
        """Read to the end and close, unless ``handoff`` is set first: then
        stop between two frames, leaving the socket open (:attr:`handed_off`)."""
        from dqlite_shell.client.transport import StillQuiet
        transport = self.transport
        deadline = time.monotonic() + DRAIN_LIMIT
        heard = time.monotonic()
        try:
            transport.watch(None)  # no liveness probes: silence just ends the drain
            transport.keep_open = True
            transport.set_timeout(POLL)
            while time.monotonic() < deadline:
                if handoff is not None and handoff.is_set():
                    self.handed_off = True
                    return
                if self.streaming and not self.interrupted and self.db_id is not None:
                    transport.send(requests.interrupt(self.db_id))
                    self.interrupted = True
                if not self.waiting and not self.streaming:
                    return
                try:
                    msg_type, _schema, body = transport.read_frame()
                except StillQuiet:
                    if time.monotonic() - heard > self.silence:
                        return  # the node went silent: give up
                    continue
                heard = time.monotonic()
                if self.waiting:
                    self.waiting = False
                    self.streaming = msg_type == _ROWS and body[-8:] != _DONE
                elif msg_type == _EMPTY:
                    return  # the INTERRUPT's answer: nothing more comes
        except Exception as e:  # noqa: BLE001 - a drain only ends; the socket is closed below
            debug(__name__, "drain of %s ended: %s", transport.address, e)
        finally:
            if not self.handed_off:
                transport.close()


__all__ = ["DRAIN_LIMIT", "Drains"]
