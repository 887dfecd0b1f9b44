"""The interface every output renderer implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from .blobs import DEFAULT, blob_formatter


def is_terminal(out: TextIO) -> bool:
    """True when ``out`` is a terminal (False for files, pipes, StringIO and
    closed or odd streams)."""
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Renderer:
    """Prints one result set in one format, batch by batch.

    The shell calls :meth:`rows` once per batch as rows stream from the
    server, then :meth:`close` exactly once at the end, also when the query
    failed half-way.  A renderer keeps at most one batch in memory (``table``
    keeps a bounded block) and writes to ``out`` once per batch.

    ``terminal`` says whether a person reads ``out`` on a terminal (``None``:
    ask ``out.isatty()``); the formats meant for people then escape control
    characters (:func:`~.values.terminal_text`).

    ``blob`` is the ``.blob`` setting (:mod:`.blobs`); :attr:`blob` is the
    function the formats meant for people show a BLOB with.  The machine
    formats (csv, json, jsonl) keep their one exact encoding instead.
    """

    def __init__(self, out: TextIO, columns: Sequence[str], *, headers: bool,
                 nullvalue: str, terminal: bool | None = None, blob: str = DEFAULT):
        self.out = out
        self.blob = blob_formatter(blob)
        self.columns = [str(c) for c in columns]
        self.headers = headers
        self.nullvalue = nullvalue
        self.terminal = is_terminal(out) if terminal is None else terminal
        self.count = 0          # rows printed so far
        self.closed = False

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch of rows (tuples, one value per column)."""
        raise NotImplementedError

    def close(self) -> None:
        """Print what is still held and any closing text; idempotent."""
        self.closed = True
