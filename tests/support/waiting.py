"""Waiting on a condition in tests, bounded in time (never a fixed sleep)."""

from __future__ import annotations

import time


def wait_for(predicate, timeout: float = 10.0):
    """The first true value of ``predicate()`` within ``timeout`` s (else its last)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
