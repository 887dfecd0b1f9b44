"""The interface every output renderer implements."""

from __future__ import annotations

from typing import Sequence, TextIO


class Renderer:
    """Prints one result set in one format, batch by batch.

    The shell calls :meth:`rows` once per batch as rows stream from the
    server, then :meth:`close` exactly once at the end, also when the query
    failed half-way.  A renderer keeps at most one batch in memory (``table``
    keeps a bounded block) and writes to ``out`` once per batch.
    """

    def __init__(self, out: TextIO, columns: Sequence[str], *, headers: bool,
                 nullvalue: str):
        self.out = out
        self.columns = [str(c) for c in columns]
        self.headers = headers
        self.nullvalue = nullvalue
        self.count = 0          # rows printed so far
        self.closed = False

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch of rows (tuples, one value per column)."""
        raise NotImplementedError

    def close(self) -> None:
        """Print what is still held and any closing text; idempotent."""
        self.closed = True
