"""A database as of a log index, rebuilt from a stopped node's data dir.

What dqlite's FSM does on restore and apply (src/fsm.c: fsm__restore,
apply_frames; src/vfs.c, vfsWalAppend), done to a private file: start from
the latest snapshot at or before the index (its main file, then the frames
of its WAL for snapshots written before 1.17), then write the pages of each
committed ``frames`` command of the log up to the index. The size in pages
changes when page 1 is written: its in-header size (the command's
``truncate`` field is always 0). Frames not followed by their commit within
the range are left out, as SQLite leaves out an uncommitted WAL tail.

The log may end with entries the cluster never committed: the node cannot
tell (raft does not store its commit index), so "latest" is the latest this
node holds.
"""

from __future__ import annotations

import os
import struct

from dqlite_shell.offline import commands, snapshots
from dqlite_shell.offline.datadir import DataDir

WAL_HEADER, FRAME_HEADER = 32, 24


class RebuildError(ValueError):
    """The database cannot be rebuilt as asked (the message says why)."""


def plan(data_dir: DataDir, index: int | None) -> tuple[snapshots.Snapshot | None, int]:
    """The snapshot to start from (None: an empty start) and the target index
    (``index``, or the last one held). RebuildError when the log does not
    reach it from any snapshot."""
    last = data_dir.last_index
    if last is None:
        raise RebuildError(f"{data_dir.path}: no snapshot and no log entry to rebuild from")
    target = last if index is None else index
    if target > last:
        raise RebuildError(f"index {target} is past the last entry this node holds ({last})")
    held = {i for i, _ in data_dir.entries()}  # noqa: C416 - indices only
    candidates = [s for s in data_dir.snapshots if s.valid and s.index <= target]
    starts: list[tuple[snapshots.Snapshot | None, int]] = [
        (s, s.index) for s in reversed(candidates)]
    if not data_dir.snapshots or data_dir.first_index == 1:
        starts.append((None, 0))
    for snapshot, start in starts:
        if all(i in held for i in range(start + 1, target + 1)):
            return snapshot, target
    have = ", ".join(str(s.index) for s in data_dir.snapshots if s.valid) or "none"
    first = data_dir.first_index
    raise RebuildError(f"index {target} cannot be rebuilt: the log holds entries "
                       f"{first if first is not None else '-'} to {last} and the snapshots "
                       f"are at {have}")


def databases(data_dir: DataDir, index: int | None = None) -> list[str]:
    """The names of the databases that exist as of ``index`` (default: the last)."""
    snapshot, target = plan(data_dir, index)
    names = []
    if snapshot is not None:
        names = [db.name for db in _snapshot_databases(data_dir, snapshot)]
    start = snapshot.index if snapshot else 0
    for i, entry in data_dir.entries(start + 1):
        if i > target:
            break
        if entry.type == 1:
            command = _command(data_dir, i, entry)
            if command.filename and command.filename not in names:
                names.append(command.filename)
    return names


def rebuild(data_dir: DataDir, name: str, index: int | None, path: str) -> tuple[int, int]:
    """Write database ``name`` as of ``index`` (default: the last entry) to
    the new file ``path``; returns ``(index, pages)``. RebuildError when it
    cannot be built (no such database, a log that does not reach)."""
    snapshot, target = plan(data_dir, index)
    found = False
    page_size = None
    size = 0  # in pages
    with open(path, "xb") as out:
        if snapshot is not None:
            for db in _snapshot_databases(data_dir, snapshot):
                if db.name == name:
                    found = True
                    out.write(db.main)
                    page_size = _page_size(db.main)
                    size = len(db.main) // page_size if page_size else 0
                    page_size, size = _apply_wal(out, db.wal, page_size, size)
        pending: list[tuple[commands.Command, bytes]] = []
        for i, entry in data_dir.entries((snapshot.index if snapshot else 0) + 1):
            if i > target:
                break
            if entry.type != 1:
                continue
            command = _command(data_dir, i, entry)
            if command.kind != "frames" or command.filename != name:
                continue
            found = True
            pending.append((command, data_dir.entry_data(entry)))
            if not command.is_commit:
                continue
            for frames, data in pending:
                page_size = page_size or frames.page_size
                if frames.page_size != page_size:
                    raise RebuildError(f"entry {i}: page size {frames.page_size}, the database "
                                       f"has {page_size}")
                for k, number in enumerate(frames.page_numbers):
                    page = frames.page(data, k)
                    out.seek((number - 1) * page_size)
                    out.write(page)
                    if number == 1:
                        # The size in pages is page 1's in-header size
                        # (src/vfs.c, vfsWalAppend; 0 for a deleted database: 1).
                        size = max(1, struct.unpack_from(">I", page, 28)[0])
            pending = []
        if not found:
            raise RebuildError(f"no database {name!r} as of index {target}")
        out.truncate(size * (page_size or 0))
    return target, size


def _command(data_dir: DataDir, index: int, entry) -> commands.Command:
    try:
        return commands.decode(data_dir.entry_data(entry))
    except ValueError as e:
        raise RebuildError(f"entry {index} ({entry.file}): {e}") from None


def _snapshot_databases(data_dir: DataDir, snapshot) -> list[snapshots.Database]:
    try:
        return snapshots.databases(snapshots.read_data(data_dir.path, snapshot),
                                   snapshot.data_file)
    except ValueError as e:
        raise RebuildError(str(e)) from None


def _page_size(main: bytes) -> int | None:
    """The page size in an SQLite file header (1 stands for 65536)."""
    if len(main) < 100:
        return None
    size = struct.unpack_from(">H", main, 16)[0]
    return 65536 if size == 1 else size


def _apply_wal(out, wal: bytes, page_size: int | None, size: int) -> tuple[int | None, int]:
    """Write the committed frames of an SQLite WAL (a pre-1.17 snapshot's)
    into ``out``: those whose salts match the header's, up to the last commit."""
    if len(wal) < WAL_HEADER:
        return page_size, size
    wal_page_size = struct.unpack_from(">I", wal, 8)[0]
    page_size = page_size or wal_page_size
    salts = wal[16:24]
    frame = FRAME_HEADER + page_size
    pending = []
    for start in range(WAL_HEADER, len(wal) - frame + 1, frame):
        number, commit = struct.unpack_from(">II", wal, start)
        if wal[start + 8:start + 16] != salts:
            break
        pending.append((number, start + FRAME_HEADER))
        if commit:
            for n, at in pending:
                out.seek((n - 1) * page_size)
                out.write(wal[at:at + page_size])
            size, pending = commit, []
    return page_size, size


def remove(path: str) -> None:
    """Delete a rebuilt file (and what SQLite left beside it)."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass
