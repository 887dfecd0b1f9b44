"""Raft log segments (src/raft/uv_segment.c, uv_encoding.c; canonical/raft
src/uv_segment.c, uv_encoding.c).

Closed segments are named ``%016u-%016u`` (first and last index); open
ones ``open-N`` (a counter; their entries follow the last closed segment,
or the snapshot). A segment is the disk format (u64, 1) then batches:

- two CRC-32s (u32 each): of the batch header, of the batch data;
- the header: the number of entries (u64), then 16 bytes per entry: term
  (u64), type (u8: 1 command, 2 barrier, 3 change), 3 unused bytes, data
  size (u32);
- the data: each entry's bytes (raft writes sizes that are multiples of 8).

An open segment is preallocated and zero-filled: its batches end at the
first one that does not decode, and raft keeps what precedes (anything but
zeros after it is damage). A format of 0 with only zeros is a segment never
written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dqlite_shell.offline.binary import DISK_FORMAT, Finding, pad8, raft_crc32, u32, u64

CLOSED = re.compile(r"(\d{16})-(\d{16})\Z")
OPEN = re.compile(r"open-(\d+)\Z")
#: raft's entry types (src/raft.h).
ENTRY_TYPES = {1: "command", 2: "barrier", 3: "change"}
#: Bound on the entries of one batch, as raft's (UV__MAX_SEGMENT_SIZE / 32).
MAX_BATCH = 8 * 1024 * 1024 // 32


@dataclass(frozen=True)
class Entry:
    """One log entry as stored: its data is read when asked (``load``)."""
    term: int
    type: int
    size: int
    file: str
    offset: int  # of its data in the file

    @property
    def type_name(self) -> str:
        return ENTRY_TYPES.get(self.type, f"type {self.type}")


@dataclass
class Segment:
    name: str
    is_open: bool
    first: int | None  # from the name (closed), else from what precedes
    end: int | None
    counter: int | None  # open segments' number
    size: int = 0
    entries: list[Entry] = field(default_factory=list)
    unwritten: bool = False  # an open segment never written (zeros)

    @property
    def named_range(self) -> tuple[int, int] | None:
        """A closed segment's first and last index as its name gives them;
        None for an open segment."""
        if self.is_open or self.first is None or self.end is None:
            return None
        return self.first, self.end

    @property
    def last(self) -> int | None:
        """The index of its last entry (what it holds, not what its name says)."""
        if self.first is None or not self.entries:
            return None
        return self.first + len(self.entries) - 1


def match(name: str) -> Segment | None:
    """A Segment (not yet read) when ``name`` is a segment's file name."""
    m = CLOSED.match(name)
    if m:
        return Segment(name, False, int(m.group(1)), int(m.group(2)), None)
    m = OPEN.match(name)
    if m:
        return Segment(name, True, None, None, int(m.group(1)))
    return None


def sort_key(segment: Segment):
    """raft's order (uvSegmentInfoCompare): closed by first index, then open by counter."""
    return (1, segment.counter, 0) if segment.is_open else (0, segment.first, segment.end)


def _zeros(data: bytes, start: int) -> bool:
    """Whether ``data`` holds only zero bytes from ``start`` on (counted in C:
    an open segment is preallocated, 8 MB of zeros behind a few batches)."""
    return data.count(0, start) == len(data) - start


def parse(segment: Segment, data: bytes, findings: list[Finding]) -> None:
    """Fill ``segment.entries`` from the file's bytes ``data``; damage goes
    to ``findings`` (a closed segment's whole rest is lost after it)."""
    name = segment.name
    segment.size = len(data)
    if len(data) < 8:
        if segment.is_open and _zeros(data, 0):
            segment.unwritten = True
        else:
            findings.append(Finding(name, None, f"only {len(data)} bytes, not even its format"))
        return
    fmt = u64(data, 0)
    if fmt != DISK_FORMAT:
        if segment.is_open and fmt == 0 and _zeros(data, 0):
            segment.unwritten = True
            return
        findings.append(Finding(name, 0, f"format {fmt}, expected {DISK_FORMAT}"))
        return
    offset, batch = 8, 0
    view = memoryview(data)
    while offset < len(data):
        batch += 1
        if segment.is_open and not any(view[offset:offset + 16]):
            # Where the written batches end in a preallocated segment.
            if not _zeros(data, offset):
                findings.append(Finding(name, offset, "bytes other than zeros after the "
                                        "last batch (raft would drop them)"))
            return
        problem = _batch(view, offset, segment)
        if isinstance(problem, str):
            suffix = " (raft drops this batch and what follows)" if segment.is_open else ""
            findings.append(Finding(name, offset, f"batch {batch}: {problem}{suffix}"))
            return
        offset = problem


def _batch(data: memoryview, start: int, segment: Segment) -> int | str:
    """Append the entries of the batch at ``start``; the offset after it, or
    what is wrong (nothing appended then)."""
    if start + 16 > len(data):
        return f"cut short: {len(data) - start} bytes left, 16 needed for its preamble"
    header_crc, data_crc = u32(data, start), u32(data, start + 4)
    count = u64(data, start + 8)
    if count == 0:
        return "entry count is zero"
    if count > MAX_BATCH:
        return f"entry count {count} is too high"
    header_end = start + 16 + 16 * count
    if header_end > len(data):
        return f"header of {count} entries cut short"
    header = data[start + 8:header_end]
    if raft_crc32(header) != header_crc:
        return (f"header checksum mismatch (stored {header_crc:#010x}, "
                f"computed {raft_crc32(header):#010x})")
    entries, offset = [], header_end
    for i in range(count):
        at = start + 16 + 16 * i
        term, kind, size = u64(data, at), data[at + 8], u32(data, at + 12)
        if kind not in ENTRY_TYPES:
            return f"entry {i + 1} has type {kind}, not a raft entry type"
        entries.append(Entry(term, kind, size, segment.name, offset))
        offset += pad8(size)
    if offset > len(data):
        return f"data of {offset - header_end} bytes cut short"
    computed = raft_crc32(data[header_end:offset])
    if computed != data_crc:
        return f"data checksum mismatch (stored {data_crc:#010x}, computed {computed:#010x})"
    segment.entries.extend(entries)
    return offset
