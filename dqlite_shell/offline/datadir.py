"""A stopped node's data dir, read whole: :class:`DataDir`.

It gathers what the other modules read (metadata, segments, snapshots) and
numbers the log entries as raft does when it loads (src/raft/uv.c,
uvLoadSnapshotAndEntries; uv_segment.c, uvSegmentLoadAll): from the first
closed segment's first index, or the latest snapshot's index + 1 when there
is no closed segment; open segments continue where the closed ones end.
Besides raft's files it reads the app's ``info.yaml`` (the node's id and
address) and ``cluster.yaml`` (the members last seen), as go-dqlite's app
and dqlite-node write them.

Nothing here writes, creates or locks anything in the dir.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from dqlite_shell.offline import metadata as metadata_files
from dqlite_shell.offline import segments as segment_files
from dqlite_shell.offline import snapshots as snapshot_files
from dqlite_shell.offline.binary import Finding
from dqlite_shell.offline.segments import Entry, Segment
from dqlite_shell.offline.snapshots import Snapshot


class NotADataDir(ValueError):
    """The path is not a dqlite node's data dir (the message says why)."""


@dataclass(frozen=True)
class Gap:
    """Log entries ``first`` to ``last`` missing: before segment ``file`` (in
    no segment), or in it (``damaged``: lost to the damage a finding names)."""
    first: int
    last: int
    file: str
    damaged: bool = False

    def __str__(self) -> str:
        where = f"lost in {self.file}" if self.damaged else f"in no segment before {self.file}"
        return f"entries {self.first} to {self.last} {where}"


class DataDir:
    """What a stopped node's data dir holds; ``findings`` lists what is wrong."""

    def __init__(self, path: str):
        self.path = path
        try:
            names = sorted(os.listdir(path))
        except FileNotFoundError:
            raise NotADataDir(f"{path}: no such directory") from None
        except NotADirectoryError:
            raise NotADataDir(f"{path}: not a directory") from None
        except OSError as e:
            raise NotADataDir(f"{path}: {e.strerror}") from None
        self.findings: list[Finding] = []
        self.segments: list[Segment] = []
        self.snapshots: list[Snapshot] = []
        for name in names:
            segment = segment_files.match(name)
            if segment is not None:
                self.segments.append(segment)
                continue
            snapshot = snapshot_files.match(name)
            if snapshot is not None:
                self.snapshots.append(snapshot)
            elif snapshot_files.DATA_NAME.match(name) and name + ".meta" not in names:
                self.findings.append(Finding(name, None, "snapshot data without its .meta file "
                                             "(an unfinished snapshot: raft deletes it)"))
        has_metadata = any(n in names for n in metadata_files.NAMES)
        if not (has_metadata or self.segments or self.snapshots):
            raise NotADataDir(f"{path}: not a dqlite node's data dir (no metadata1, "
                              f"metadata2, log segment or snapshot in it){_below(path)}")
        self.segments.sort(key=segment_files.sort_key)
        self.snapshots.sort(key=snapshot_files.sort_key)
        self.info, self.cluster = self._app_files()
        self.metadata = metadata_files.read(path, self.findings)
        for snapshot in self.snapshots:
            snapshot_files.read_meta(path, snapshot, self.findings)
        for segment in self.segments:
            self._read_segment(segment)
        self.gaps: list[Gap] = []
        self._number()
        self._cache: tuple[str, bytes] | None = None

    # -- what it holds -------------------------------------------------------

    @property
    def current_metadata(self):
        """The metadata file raft loads (highest version), or None."""
        return metadata_files.current(self.metadata)

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot raft loads: the latest valid one."""
        valid = [s for s in self.snapshots if s.valid]
        return valid[-1] if valid else None

    @property
    def first_index(self) -> int | None:
        for segment in self.segments:
            if segment.entries and segment.first is not None:
                return segment.first
        return None

    @property
    def last_index(self) -> int | None:
        """The last entry's index (the snapshot's when the log is empty)."""
        for segment in reversed(self.segments):
            if segment.last is not None:
                return segment.last
        return self.snapshot.index if self.snapshot else None

    def lock_holder(self) -> int | None:
        """The process id holding the ``dqlite-lock`` flock (libdqlite 1.17+
        takes it while the node runs), or None. Read from Linux's /proc/locks:
        taking the lock to test it could make a node starting then fail."""
        try:
            st = os.stat(os.path.join(self.path, "dqlite-lock"))
            with open("/proc/locks", encoding="ascii", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return None
        wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        for line in lines:
            fields = line.split()
            # "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF" ("->" marks waiters)
            if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
                return int(fields[4]) if fields[4].isdigit() else -1
        return None

    def entries(self, start: int = 1) -> Iterator[tuple[int, Entry]]:
        """``(index, entry)`` of the log entries from index ``start`` on."""
        for segment in self.segments:
            first, last = segment.first, segment.last
            if first is None or last is None or last < start:
                continue
            skip = max(0, start - first)
            yield from enumerate(segment.entries[skip:], first + skip)

    def entry_data(self, entry: Entry) -> bytes:
        """The bytes of ``entry`` (its segment file is kept in memory while
        entries of it are asked in turn)."""
        if self._cache is None or self._cache[0] != entry.file:
            with open(os.path.join(self.path, entry.file), "rb") as f:
                self._cache = (entry.file, f.read())
        return self._cache[1][entry.offset:entry.offset + entry.size]

    # -- reading -------------------------------------------------------------

    def _app_files(self):
        from dqlite_shell.client.nodestore import NodeStoreError, read_yaml
        from dqlite_shell.native import nodeinfo
        try:
            info = nodeinfo.read(self.path)
        except (ValueError, OSError) as e:
            self.findings.append(Finding(nodeinfo.FILE_NAME, None, str(e)))
            info = None
        cluster = None
        store = os.path.join(self.path, "cluster.yaml")
        if os.path.exists(store):
            try:
                cluster = read_yaml(store)
            except (NodeStoreError, OSError) as e:
                self.findings.append(Finding("cluster.yaml", None, str(e)))
        return info, cluster

    def _read_segment(self, segment: Segment) -> None:
        try:
            with open(os.path.join(self.path, segment.name), "rb") as f:
                data = f.read()
        except OSError as e:
            self.findings.append(Finding(segment.name, None, f"cannot read: {e.strerror}"))
            return
        segment_files.parse(segment, data, self.findings)
        named = segment.named_range
        if named is not None:
            first, end = named
            expected = end - first + 1
            if end < first:
                self.findings.append(Finding(segment.name, None, "its name ends before it "
                                             "starts"))
            elif len(segment.entries) != expected and not self._damaged(segment.name):
                self.findings.append(Finding(segment.name, None, f"holds {len(segment.entries)} "
                                             f"entries, its name says {expected}"))

    def _damaged(self, name: str) -> bool:
        return any(f.file == name for f in self.findings)

    def _number(self) -> None:
        """Give open segments their first index; record gaps and overlaps."""
        snapshot = self.snapshot
        closed = [named for s in self.segments if (named := s.named_range) is not None]
        if closed:
            next_index = closed[0][0]
        else:
            next_index = snapshot.index + 1 if snapshot else 1
        if snapshot and next_index > snapshot.index + 1:
            self.gaps.append(Gap(snapshot.index + 1, next_index - 1, self.segments[0].name))
        for segment in self.segments:
            named = segment.named_range
            if named is None:  # open: it continues what precedes
                if segment.entries:
                    segment.first = next_index
                    next_index += len(segment.entries)
                continue
            first, end = named
            if first > next_index:
                self.gaps.append(Gap(next_index, first - 1, segment.name))
            elif first < next_index:
                self.findings.append(Finding(segment.name, None, f"starts at {first}, "
                                             f"overlapping entries up to {next_index - 1}"))
            held = first + len(segment.entries)
            if held <= end:  # its name numbers what follows
                self.gaps.append(Gap(held, end, segment.name, damaged=True))
            next_index = max(held, end + 1)
        for gap in self.gaps:
            self.findings.append(Finding(gap.file, None, f"gap: {gap}"))


def _below(path: str) -> str:
    """A hint naming the node dirs just below ``path`` (``--data-dir`` and
    LocalCluster keep each node in a ``nodeN`` dir), or ''."""
    try:
        below = sorted(entry.path for entry in os.scandir(path) if entry.is_dir()
                       and any(os.path.exists(os.path.join(entry.path, name))
                               for name in metadata_files.NAMES))
    except OSError:
        return ""
    return f"; node dirs in it: {', '.join(below)}" if below else ""
