"""A load's progress line on stderr (``.import``, ``.restore``): rows, bytes,
rate and time left, on a terminal only, after the first second."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Progress on stderr (``err``) when it is a terminal and the load has run
    longer than ``after`` seconds: rows, bytes, rate and, when ``total``
    bytes are known, the ETA. ``position()`` says how many bytes were read."""

    def __init__(self, err: TextIO, position: Callable[[], int] | None = None,
                 total: int | None = None, after: float = 1.0, every: float = 0.5):
        self.err, self.position, self.total = err, position, total
        self.after, self.every = after, every
        self.started = time.monotonic()
        self._next = self.started + after
        self._shown = False
        try:
            self.enabled = err.isatty()
        except (AttributeError, ValueError):
            self.enabled = False

    def update(self, rows: int) -> None:
        """Called after each batch: redraws the line at most every ``every`` s."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.every
        elapsed = now - self.started
        done = self.position() if self.position else 0
        text = f"{rows:,} rows"
        if done:
            text += f", {_size(done)}"
            if self.total:
                text += f" of {_size(self.total)}"
        text += f", {rows / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        if self.total and done and done < self.total:
            text += f", {(self.total - done) * elapsed / done:.0f} s left"
        self.err.write("\r\x1b[K" + text)
        self.err.flush()
        self._shown = True

    def close(self) -> None:
        """Erase the progress line (the final word is the caller's)."""
        if self._shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._shown = False


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return ""


def stderr_progress(position: Callable[[], int] | None = None,
                    total: int | None = None) -> Progress:
    """A :class:`Progress` on this process's stderr."""
    return Progress(sys.stderr, position, total)
