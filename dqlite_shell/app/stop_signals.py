"""The stop signals of the foreground programs (``dqlite-node``,
``dqlite-demo``), taken by the main thread whichever thread the kernel picks.

The kernel gives a signal sent to the process to any thread that does not
block it, and libdqlite's and libuv's threads block none. When one of them
takes SIGTERM, Python's handler runs only once the main thread executes
bytecode again: a main thread asleep in a lock wait sleeps on (``dqlite-node``
missed 1 SIGTERM in about 300 that way). So :class:`StopSignals` blocks the
signals before any thread starts (threads inherit the mask) and the main
thread takes them with ``sigwait``.
"""

from __future__ import annotations

import signal
from collections.abc import Iterable


class StopSignals:
    """Blocks ``signals`` in this thread and every thread started after, so
    that they wait for :meth:`wait`. Create it in the main thread before any
    thread starts. Quacks like the ``threading.Event`` it replaces."""

    def __init__(self, signals: Iterable[signal.Signals]):
        self.signals = frozenset(signals)
        self.received: int | None = None
        signal.pthread_sigmask(signal.SIG_BLOCK, self.signals)

    def wait(self, timeout: float | None = None) -> bool:
        """Whether one of the signals has come, waiting up to ``timeout``
        seconds for it (None: as long as it takes)."""
        if self.received is None:
            if timeout is None:
                self.received = signal.sigwait(self.signals)
            else:
                info = signal.sigtimedwait(self.signals, max(timeout, 0))
                if info is not None:
                    self.received = info.si_signo
        return self.received is not None

    def is_set(self) -> bool:
        """Whether one of the signals has come (no wait)."""
        return self.wait(0)
