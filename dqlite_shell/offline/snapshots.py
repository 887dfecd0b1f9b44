"""Raft snapshots and dqlite's content of them.

Files (src/raft/uv_snapshot.c; canonical/raft src/uv_snapshot.c): a pair
``snapshot-TERM-INDEX-TIMESTAMP`` (the data) and the same name plus
``.meta``. The meta file is the disk format (u64, 1), a CRC-32 (u64, of
the next two fields and the configuration), the configuration's index
(u64) and length (u64), then the encoded configuration
(:mod:`.configuration`). A meta file without its data file (or with an
empty one) is a snapshot raft did not finish, and raft ignores it.

The data is an LZ4 frame when it starts with the frame's magic number
(raft's IsCompressed; 1.16+ compress by default, and so does 1.11's
libraft 0.15), else the plain bytes. dqlite's content (src/fsm.c,
fsm__snapshot / fsm__restore): a header, format (u64, 1) and the number of
databases (u64); then per database its file name (NUL-terminated, padded
to 8), main file size (u64), WAL size (u64), the main file's bytes, the
WAL's bytes (1.17+ checkpoint first and write no WAL; older ones write
the WAL, a 32-byte header and frames).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from dqlite_shell.offline import configuration
from dqlite_shell.offline.binary import DISK_FORMAT, Finding, cstring, pad8, raft_crc32, u64

NAME = re.compile(r"snapshot-(\d+)-(\d+)-(\d+)\.meta\Z")
DATA_NAME = re.compile(r"snapshot-(\d+)-(\d+)-(\d+)\Z")
LZ4_MAGIC = b"\x04\x22\x4d\x18"  # 0x184D2204, little-endian
SNAPSHOT_FORMAT = 1
MAX_CONFIGURATION = 1024 * 1024  # raft's UV__META_MAX_CONFIGURATION_SIZE


@dataclass
class Snapshot:
    """One snapshot (its meta file name, and what the meta file says)."""
    meta_file: str
    term: int
    index: int
    timestamp: int
    data_file: str
    size: int | None = None  # of the data file; None: missing
    configuration_index: int | None = None
    servers: list[configuration.Server] = field(default_factory=list)
    valid: bool = False  # meta decoded, CRC good, data file present and not empty
    compressed: bool | None = None


@dataclass(frozen=True)
class Database:
    """One database of a snapshot's content."""
    name: str
    main: bytes
    wal: bytes


def match(name: str) -> Snapshot | None:
    m = NAME.match(name)
    if not m:
        return None
    return Snapshot(name, int(m.group(1)), int(m.group(2)), int(m.group(3)), name[:-5])


def sort_key(snapshot: Snapshot):
    """raft's order (uvSnapshotCompare): term, index, timestamp."""
    return (snapshot.term, snapshot.index, snapshot.timestamp)


def read_meta(data_dir: str, snapshot: Snapshot, findings: list[Finding]) -> None:
    """Fill ``snapshot`` from its meta file and its data file's size."""
    name = snapshot.meta_file
    try:
        with open(os.path.join(data_dir, name), "rb") as f:
            data = f.read(32 + MAX_CONFIGURATION + 1)
    except OSError as e:
        findings.append(Finding(name, None, f"cannot read: {e.strerror}"))
        return
    try:
        with open(os.path.join(data_dir, snapshot.data_file), "rb") as f:
            snapshot.compressed = f.read(4) == LZ4_MAGIC
            snapshot.size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        findings.append(Finding(name, None, f"its data file {snapshot.data_file} is missing "
                                "(an unfinished snapshot: raft ignores it)"))
    if len(data) < 32:
        findings.append(Finding(name, None, f"only {len(data)} bytes, 32 needed for its header"))
        return
    if u64(data, 0) != DISK_FORMAT:
        findings.append(Finding(name, 0, f"format {u64(data, 0)}, expected {DISK_FORMAT}"))
        return
    stored, length = u64(data, 8) & 0xFFFFFFFF, u64(data, 24)
    snapshot.configuration_index = u64(data, 16)
    if length == 0 or length > MAX_CONFIGURATION:
        findings.append(Finding(name, 24, f"configuration length {length} (raft takes 1 to "
                                f"{MAX_CONFIGURATION})"))
        return
    if 32 + length > len(data):
        findings.append(Finding(name, 32, f"configuration of {length} bytes cut short at "
                                f"{len(data) - 32}"))
        return
    computed = raft_crc32(data[32:32 + length], raft_crc32(data[16:32]))
    if computed != stored:
        findings.append(Finding(name, 8, f"checksum mismatch (stored {stored:#010x}, "
                                f"computed {computed:#010x})"))
        return
    try:
        snapshot.servers = configuration.decode(data[32:32 + length])
    except ValueError as e:
        findings.append(Finding(name, 32, str(e)))
        return
    if snapshot.size == 0:
        findings.append(Finding(snapshot.data_file, None, "empty (raft ignores this snapshot)"))
    snapshot.valid = bool(snapshot.size)


def newest_is_compressed(data_dir: str) -> bool | None:
    """Whether the newest snapshot in ``data_dir`` is an LZ4 frame (None:
    no snapshot). 1.18's raft reads snapshots by its compression setting, not
    by the file: a reader of the dir must set it to what was written."""
    try:
        names = os.listdir(data_dir)
    except OSError:
        return None
    found = [s for s in map(match, names) if s is not None and s.data_file in names]
    if not found:
        return None
    newest = max(found, key=sort_key)
    try:
        with open(os.path.join(data_dir, newest.data_file), "rb") as f:
            return f.read(4) == LZ4_MAGIC
    except OSError:
        return None


def read_data(data_dir: str, snapshot: Snapshot) -> bytes:
    """The snapshot's data, decompressed when it is an LZ4 frame. ValueError
    for a frame that does not decompress; OSError for the file."""
    with open(os.path.join(data_dir, snapshot.data_file), "rb") as f:
        raw = f.read()
    snapshot.compressed = raw.startswith(LZ4_MAGIC)
    if not snapshot.compressed:
        return raw
    import lz4.frame
    try:
        return lz4.frame.decompress(raw)
    except RuntimeError as e:  # lz4's error for a bad frame (also content checksums)
        raise ValueError(f"LZ4 frame does not decompress: {e}") from None


def databases(data: bytes, name: str = "snapshot") -> list[Database]:
    """The databases of dqlite's snapshot content ``data`` (decompressed).
    ValueError names the offset and what is wrong."""
    if len(data) < 16:
        raise ValueError(f"{name}: offset 0: {len(data)} bytes, 16 needed for the header")
    if u64(data, 0) != SNAPSHOT_FORMAT:
        raise ValueError(f"{name}: offset 0: dqlite snapshot format {u64(data, 0)}, "
                         f"expected {SNAPSHOT_FORMAT}")
    count, offset, found = u64(data, 8), 16, []
    for i in range(count):
        start = offset
        try:
            filename, end = cstring(data, offset)
        except ValueError:
            raise ValueError(f"{name}: offset {start}: database {i + 1}: name without "
                             "its NUL") from None
        offset += pad8(end - offset)
        if offset + 16 > len(data):
            raise ValueError(f"{name}: offset {start}: database {i + 1} header cut short")
        main_size, wal_size = u64(data, offset), u64(data, offset + 8)
        offset += 16
        if offset + main_size + wal_size > len(data):
            raise ValueError(f"{name}: offset {start}: database {filename!r}: "
                             f"{main_size} + {wal_size} bytes announced, "
                             f"{len(data) - offset} there")
        main = data[offset:offset + main_size]
        wal = data[offset + main_size:offset + main_size + wal_size]
        offset += main_size + wal_size
        found.append(Database(filename, main, wal))
    if offset != len(data):
        raise ValueError(f"{name}: offset {offset}: {len(data) - offset} bytes after the "
                         f"{count} databases")
    return found
