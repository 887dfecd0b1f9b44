"""Streaming query results: rows arrive batch by batch from the socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from dqlite_shell.client.connection import Connection
    from dqlite_shell.wire.responses import Rows


class BatchSource(Protocol):
    """What a :class:`RowStream` reads from: a :class:`Connection`, or a
    source with no wire behind it (``dqlite --offline``)."""

    def next_batch(self, stream: RowStream, /) -> Rows: ...
    def stream_finished(self, stream: RowStream, /) -> None: ...
    def interrupt_stream(self, stream: RowStream, grace: float | None, /) -> None: ...


class RowStream:
    """The rows of one query, read from the server as they are iterated.

    Only one batch (a few KB) is held at a time, so a result of any size is
    read in constant memory. ``columns`` is known from the first batch.
    Iterate it for rows, or :meth:`batches` for lists of rows; :meth:`close`
    (also on leaving a ``with`` block) stops early and leaves the connection
    usable.
    """

    __slots__ = ("_conn", "columns", "_pending", "done", "rows_read")

    def __init__(self, conn: BatchSource | None, first: Rows):
        self._conn = conn
        self.columns: list[str] = list(first.columns)
        self._pending: list | None = first.rows
        self.done: bool = first.done
        self.rows_read = 0

    def _live(self) -> BatchSource:
        """The connection of a stream still being read (only a stream made by
        :meth:`materialized` has none, and it is done from the start)."""
        if self._conn is None:
            raise RuntimeError("this result stream has no connection to read from")
        return self._conn

    def batches(self) -> Iterator[list[tuple]]:
        """Yield each batch of rows as the server sends it."""
        return self._walk(None)  # type: ignore[return-value]  # decoded: lists only

    def raw_batches(self) -> Iterator[list[tuple] | bytes]:
        """As :meth:`batches`, but each batch not yet read from the server
        comes as its ROWS body, undecoded (``bytes``), for a caller that
        formats bodies itself (the compiled accelerator); batches already
        decoded (the first) come as lists of rows. Bodies are checked only
        for their end marker, and not counted in :attr:`rows_read`: give one
        the caller does not take to :meth:`decode_body`. A source that has no
        wire bodies gives every batch decoded."""
        return self._walk(getattr(self._conn, "next_rows_body", None))

    def _walk(self, raw) -> Iterator[list[tuple] | bytes]:
        """The batches; ``raw``: the source's reader of undecoded bodies, or None."""
        while True:
            batch = self._pending
            if batch is not None:
                self._pending = None
                self.rows_read += len(batch)
                yield batch
            if self.done:
                if self._conn is not None:
                    self._conn.stream_finished(self)
                return
            if raw is None:
                rows = self._live().next_batch(self)
                self._pending, self.done = rows.rows, rows.done
                continue
            body, self.done = raw(self)
            yield body

    def decode_body(self, body: bytes) -> Rows:
        """Decode a body from :meth:`raw_batches` (a malformed one raises
        ProtocolError and closes the connection, as a batch read decoded)."""
        conn = cast("Connection", self._live())  # only a Connection gives raw bodies
        rows = conn.decode_rows(body)
        self.rows_read += len(rows.rows)
        return rows

    @classmethod
    def materialized(cls, columns: list[str], rows: list[tuple]) -> RowStream:
        """A stream over rows already read (no connection behind it)."""
        from dqlite_shell.wire.messages import Rows
        return cls(None, Rows(columns, rows, True))

    def __iter__(self) -> Iterator[tuple]:
        for batch in self.batches():
            yield from batch

    def fetchall(self) -> list[tuple]:
        """Every remaining row in one list (holds them all in memory)."""
        out: list[tuple] = []
        for batch in self.batches():
            out.extend(batch)
        return out

    def close(self, grace: float | None = None) -> None:
        """Stop reading; interrupt the query so the connection stays usable.

        Waits at most ``grace`` seconds (default: the connection's timeout) for
        the server to acknowledge; past that the socket is abandoned and the
        next request reconnects.
        """
        if not self.done:
            self._pending = None
            self._live().interrupt_stream(self, grace)
            self.done = True

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
