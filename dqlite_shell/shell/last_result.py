"""The REPL's last result, kept on disk for ``.last``.

Every result the REPL prints is also written, batch by batch as it
streams, to a temporary file: pickled batches, in ``$XDG_RUNTIME_DIR``
(else the system's temporary directory), mode 0600 and unlinked as soon as
it is made (``tempfile.TemporaryFile``), so that nothing is left behind
whatever way the shell ends.  The next result replaces it (the old file is
closed, and so gone).  Memory: one batch; disk: at most :data:`LIMIT`
bytes, after which the file is dropped and ``.last`` says so.  Statements
that return no rows leave the last result as it was.  Scripts keep nothing.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

#: The most bytes kept on disk for one result.
LIMIT = 1 << 30


def spool_dir() -> str:
    """Where the file is made: ``$XDG_RUNTIME_DIR`` (private to the user) or the temp dir."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime if runtime and os.path.isdir(runtime) else tempfile.gettempdir()


class LastResult:
    """One result's columns and rows on disk."""

    def __init__(self, columns: list[str], query_plan: bool):
        self.columns = list(columns)
        self.query_plan = query_plan
        self.rows = 0
        self.size = 0
        self.complete = False   # every row was read from the server
        self.dropped: str | None = None  # why the rows are not kept (too large, a write error)
        self._file = tempfile.TemporaryFile(dir=spool_dir())

    def add(self, batch: list) -> None:
        """Write a batch (unless the file was dropped)."""
        if self.dropped:
            return
        data = pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
        if self.size + len(data) > LIMIT:
            self._drop(f"it was larger than {LIMIT // (1 << 20)} MB")
            return
        try:
            self._file.write(data)
        except OSError as e:
            self._drop(f"it could not be written to {spool_dir()}: {e.strerror or e}")
            return
        self.size += len(data)
        self.rows += len(batch)

    def _drop(self, why: str) -> None:
        self.dropped = why
        self.close()

    def batches(self) -> Iterator[list]:
        """The batches as they were written."""
        self._file.flush()
        self._file.seek(0)
        while self._file.tell() < self.size:
            yield pickle.load(self._file)

    def close(self) -> None:
        """Delete the file (it has no name: closing it is enough)."""
        self._file.close()


def record(state: ShellState, columns: list[str], batches: Iterable[list],
           query_plan: bool) -> Iterator[list]:
    """``batches``, passed on as they come, kept as ``state.last_result``
    (replacing the one before).  A file that cannot be made keeps nothing."""
    forget(state)
    try:
        spool = LastResult(columns, query_plan)
    except OSError:
        yield from batches
        return
    state.last_result = spool
    for batch in batches:
        spool.add(batch)
        yield batch
    spool.complete = True


def forget(state: ShellState) -> None:
    """Delete the last result's file."""
    spool, state.last_result = state.last_result, None
    if spool is not None:
        spool.close()
