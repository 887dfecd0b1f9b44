"""dqlite's Raft FSM commands, the data of RAFT_COMMAND log entries
(src/command.h, src/command.c, src/lib/serialize.h; the same in 1.11.1
and 1.18.6).

A header of 8 bytes: format (u8, 1), type (u8: 1 open, 2 frames, 3 undo,
4 checkpoint), 6 unused bytes. Then, little-endian, text fields
NUL-terminated and padded to 8:

- open: filename; checkpoint: filename; undo: tx_id (u64);
- frames: filename, tx_id (u64), truncate (u32), is_commit (u8), 3 unused
  bytes, then the frames: n_pages (u32), page_size (u16), unused (u16),
  n_pages page numbers (u64 each), then n_pages pages of page_size bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from dqlite_shell.offline.binary import cstring, pad8, u64

FORMAT = 1
KINDS = {1: "open", 2: "frames", 3: "undo", 4: "checkpoint"}


@dataclass(frozen=True)
class Command:
    kind: str
    filename: str | None = None
    tx_id: int | None = None
    truncate: int | None = None
    is_commit: bool | None = None
    # The pages of a frames command (none for the other kinds): their size,
    # numbers, and where they start in the entry's data.
    page_size: int = 0
    page_numbers: tuple[int, ...] = ()
    pages_offset: int = 0

    def page(self, data: bytes, i: int) -> bytes:
        """The ``i``-th page of a frames command whose entry data is ``data``."""
        start = self.pages_offset + i * self.page_size
        return data[start:start + self.page_size]

    def summary(self) -> str:
        """One line: what the command does."""
        if self.kind == "frames":
            count = len(self.page_numbers)
            text = f"{self.filename}: {'page' if count == 1 else 'pages'} " \
                   f"{_ranges(self.page_numbers)}"
            if count > 1:
                text += f" ({count})"
            if self.tx_id:  # dqlite writes 0 here
                text += f", tx {self.tx_id}"
            return text + (", commit" if self.is_commit else ", not the commit")
        if self.kind == "undo":
            return f"tx {self.tx_id}"
        return self.filename or ""


def decode(data: bytes | memoryview) -> Command:
    """The command encoded in ``data``; ValueError names the offset and the problem."""
    if len(data) < 8:
        raise ValueError(f"offset 0: {len(data)} bytes, 8 needed for the command header")
    if data[0] != FORMAT:
        raise ValueError(f"offset 0: command format {data[0]}, expected {FORMAT}")
    kind = KINDS.get(data[1])
    if kind is None:
        raise ValueError(f"offset 1: command type {data[1]}, not one of dqlite's")
    if kind == "undo":
        _need(data, 8, 8)
        return Command(kind, tx_id=u64(data, 8))
    filename, end = _text(data, 8)
    if kind != "frames":
        return Command(kind, filename=filename)
    offset = 8 + pad8(end - 8)
    _need(data, offset, 24)
    tx_id = u64(data, offset)
    truncate, is_commit = struct.unpack_from("<IB", data, offset + 8)
    n_pages, page_size = struct.unpack_from("<IH", data, offset + 16)
    offset += 24
    _need(data, offset, 8 * n_pages)
    numbers = struct.unpack_from(f"<{n_pages}Q", data, offset)
    offset += 8 * n_pages
    _need(data, offset, n_pages * page_size)
    return Command(kind, filename, tx_id, truncate, bool(is_commit), page_size, numbers, offset)


def _text(data, offset: int) -> tuple[str, int]:
    try:
        return cstring(data, offset)
    except ValueError:
        raise ValueError(f"offset {offset}: file name without its NUL") from None


def _need(data, offset: int, size: int) -> None:
    if offset + size > len(data):
        raise ValueError(f"offset {offset}: {size} bytes needed, {len(data) - offset} there")


def _ranges(numbers) -> str:
    """``1-3,7`` for pages 1, 2, 3 and 7 (in the order given)."""
    parts: list[list[int]] = []
    for n in numbers:
        if parts and n == parts[-1][1] + 1:
            parts[-1][1] = n
        else:
            parts.append([n, n])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)
