"""Waiting out SQLITE_BUSY, as SQLite's own busy timeout does.

libdqlite 1.11 answers a write that arrives while another connection holds
the write lock, or while a write is being replicated, with SQLITE_BUSY at
once ("database is locked"): nothing was applied, so the statement may be
sent again. dqlite 1.18.2+ nodes started with a busy timeout queue such writes
themselves (measured on 1.18.6); the client-side wait works on every server.
"""

from __future__ import annotations

import random
import time

#: First and largest pause between tries (jittered, so that writers that
#: collided once do not collide again).
FIRST_PAUSE = 0.001
LONGEST_PAUSE = 0.02


class BusyWait:
    """The tries of one statement refused as busy, for up to ``timeout`` s."""

    __slots__ = ("deadline", "pause")

    def __init__(self, timeout: float):
        self.deadline = time.monotonic() + timeout
        self.pause = FIRST_PAUSE

    def again(self) -> bool:
        """Pause and return True while there is time left; else False."""
        if time.monotonic() >= self.deadline:
            return False
        time.sleep(min(self.pause * (0.5 + random.random()),
                       max(0.0, self.deadline - time.monotonic())))
        self.pause = min(self.pause * 2, LONGEST_PAUSE)
        return True
