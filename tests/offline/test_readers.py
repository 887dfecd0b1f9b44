"""The offline readers (dqlite_shell/offline/) on real data dirs written by
1.11.1 and 1.18.6 nodes: LZ4 and plain snapshots, closed and open segments,
several snapshots; and on copies damaged byte by byte (findings, never a
crash)."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from dqlite_shell.offline import commands, rebuild, snapshots
from dqlite_shell.offline.binary import raft_crc32
from dqlite_shell.offline.datadir import DataDir, NotADataDir
from tests.native.servers import SERVERS
from tests.offline import datadirs

#: These tests pick their servers themselves: they run once, in the 1.11 run.
pytestmark = pytest.mark.on_servers("1.11")

#: name: (server, SIGKILL (open segments stay), snapshot compression option)
SCENARIOS = {
    "1.11-killed": ("1.11", True, None),  # libraft 0.15 compresses by default
    "1.11-stopped": ("1.11", False, None),
    "1.18-lz4-killed": ("1.18", True, None),
    "1.18-plain-stopped": ("1.18", False, False),
}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def written(request, tmp_path_factory):
    """``(scenario, data dir)``, written once per module."""
    server, kill, compression = SCENARIOS[request.param]
    path = str(tmp_path_factory.mktemp(request.param))
    datadirs.make(SERVERS[server], path, kill=kill, compression=compression)
    return request.param, path


def _copy(path: str, tmp_path) -> str:
    target = str(tmp_path / "copy")
    shutil.copytree(path, target)
    return target


def _rows(path: str, table: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return conn.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        conn.close()


def _expected():
    return [(i, f"row {i}" * 10) for i in range(datadirs.ROWS)]


def test_crc_is_rafts_msb_first_crc32():
    # raft's byteCrc32 (src/raft/byte.c), one bit at a time, init 0, no final XOR.
    def reference(data: bytes, crc: int = 0) -> int:
        for byte in data:
            crc ^= byte << 24
            for _ in range(8):
                crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
        return crc
    for data in (b"", b"\0", b"123456789", bytes(range(256)) * 3):
        assert raft_crc32(data) == reference(data)
        assert raft_crc32(data, 0xDEADBEEF) == reference(data, 0xDEADBEEF)
    assert raft_crc32(b"123456789") == 0x89A1897F  # CRC-32/MPEG-2's check, with init 0


def test_layout(written):
    scenario, path = written
    _, kill, _ = SCENARIOS[scenario]
    d = DataDir(path)
    assert d.findings == [] and d.gaps == []
    assert d.info is not None and d.info.address.startswith("127.0.0.1:")
    meta = d.current_metadata
    assert meta.term >= 1 and meta.version >= 1
    closed = [s for s in d.segments if not s.is_open]
    opened = [s for s in d.segments if s.is_open and s.entries]
    assert closed, "the threshold of 8 closes segments"
    assert bool(opened) == kill  # a clean stop closes the open segment
    indices = [i for i, _ in d.entries()]
    assert indices == list(range(d.first_index, d.last_index + 1))
    for s in closed:
        assert (s.first, s.last) == (int(s.name[:16]), int(s.name[17:]))
    # Two snapshots kept (raft keeps the last two), a threshold or more apart
    # (at its multiples when each is written before the next apply).
    assert len(d.snapshots) == 2 and all(s.valid for s in d.snapshots)
    earlier, latest = d.snapshots
    assert latest.index - earlier.index >= datadirs.THRESHOLD
    assert d.snapshot is d.snapshots[-1]
    # The node's own configuration: itself, a voter.
    assert [(s.id, s.address, s.role_name) for s in d.snapshot.servers] == [
        (d.info.id, d.info.address, "voter")]


def test_snapshot_content(written):
    scenario, path = written
    server, _, compression = SCENARIOS[scenario]
    d = DataDir(path)
    # Told by the LZ4 frame's magic number, as canonical/raft's IsCompressed.
    assert [s.compressed for s in d.snapshots] == [compression is not False] * 2
    for snapshot in d.snapshots:
        dbs = snapshots.databases(snapshots.read_data(path, snapshot))
        assert snapshot.compressed is (compression is not False)
        # "other" is written last: in the latest snapshot only if that came late.
        assert [db.name for db in dbs] in (["db"], ["db", "other"])
        main, wal = dbs[0].main, dbs[0].wal
        assert main.startswith(b"SQLite format 3\0") and len(main) % 4096 == 0
        if server == "1.11":  # before 1.17 the WAL goes into the snapshot as it is
            assert len(wal) > 32 and (len(wal) - 32) % (24 + 4096) == 0
        else:
            assert wal == b""


@pytest.mark.parametrize("written", ["1.18-lz4-killed", "1.18-plain-stopped"], indirect=True)
def test_last_entry_as_libdqlite_finds_it(written, tmp_path):
    """libdqlite 1.17+ describes the last entry. 1.18's raft reads snapshots
    by its compression setting, not by the file: dqlite-node sets it to what
    the dir holds, so plain snapshots load too."""
    scenario, path = written
    d = DataDir(path)
    # libdqlite closes open segments when it loads: a copy.
    index, term = last_entry(_copy(path, tmp_path))
    last = list(d.entries())[-1]
    assert (d.last_index, last[1].term) == (index, term)


def last_entry(data_dir: str) -> tuple[int, int]:
    """``dqlite-node --describe-last-entry`` (1.18) of ``data_dir``: (index, term)."""
    import subprocess

    from tests.support.processes import NODE_COMMAND
    result = subprocess.run([*NODE_COMMAND, "--describe-last-entry", "--dir", data_dir],
                            capture_output=True, text=True, timeout=60,
                            env=SERVERS["1.18"].env())
    assert result.returncode == 0, result.stderr
    index, term = result.stdout.strip().rpartition(": last entry index ")[2].split(", term ")
    return int(index), int(term)


def test_commands_decode(written):
    _, path = written
    d = DataDir(path)
    decoded = [(i, commands.decode(d.entry_data(e))) for i, e in d.entries() if e.type == 1]
    assert decoded and all(c.kind == "frames" and c.is_commit for _, c in decoded)
    assert {c.filename for _, c in decoded} == {"db", "other"}
    for _, c in decoded:
        assert c.page_size == 4096 and all(n >= 1 for n in c.page_numbers)
    # The last two write database "other": its first creates pages 1 and 2.
    assert decoded[-2][1].filename == "other" and decoded[-2][1].page_numbers == (1, 2)


def test_rebuild_latest(written, tmp_path):
    _, path = written
    d = DataDir(path)
    assert rebuild.databases(d) == ["db", "other"]
    target = str(tmp_path / "db")
    index, pages = rebuild.rebuild(d, "db", None, target)
    assert index == d.last_index and os.path.getsize(target) == pages * 4096
    assert _rows(target, "t") == _expected()
    other = str(tmp_path / "other")
    rebuild.rebuild(d, "other", None, other)
    assert _rows(other, "u") == [("x",)]


def test_rebuild_each_index(written, tmp_path):
    """Every index from the oldest snapshot on: t holds a prefix of the rows,
    one more after each db frames entry, all of them at the end."""
    _, path = written
    d = DataDir(path)
    writes = {i for i, e in d.entries() if e.type == 1
              and commands.decode(d.entry_data(e)).filename == "db"}
    previous = None
    for index in range(d.snapshots[0].index, d.last_index + 1):
        target = str(tmp_path / f"db-{index}")
        rebuild.rebuild(d, "db", index, target)
        rows = _rows(target, "t")
        assert rows == _expected()[:len(rows)]
        if previous is not None:
            assert len(rows) == previous + (index in writes), index
        previous = len(rows)
    assert previous == datadirs.ROWS


def test_rebuild_refusals(written, tmp_path):
    _, path = written
    d = DataDir(path)
    with pytest.raises(rebuild.RebuildError, match="no database 'nope'"):
        rebuild.rebuild(d, "nope", None, str(tmp_path / "a"))
    with pytest.raises(rebuild.RebuildError, match=f"past the last entry .*{d.last_index}"):
        rebuild.rebuild(d, "db", d.last_index + 1, str(tmp_path / "b"))
    with pytest.raises(rebuild.RebuildError, match="cannot be rebuilt: the log holds entries"):
        rebuild.rebuild(d, "db", 3, str(tmp_path / "c"))
    before_other = min(i for i, e in d.entries() if e.type == 1
                       and commands.decode(d.entry_data(e)).filename == "other") - 1
    with pytest.raises(rebuild.RebuildError, match="no database 'other' as of index"):
        rebuild.rebuild(d, "other", before_other, str(tmp_path / "d"))


# -- damage ---------------------------------------------------------------------

def _flip(path: str, offset: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x40]))


def _first_closed(d: DataDir):
    return next(s for s in d.segments if not s.is_open)


def test_data_checksum_mismatch_is_a_finding(written, tmp_path):
    _, path = written
    copy = _copy(path, tmp_path)
    segment = _first_closed(DataDir(copy))
    entry = segment.entries[2]
    _flip(os.path.join(copy, segment.name), entry.offset + 100)
    d = DataDir(copy)
    # The batch of entry 3 and what follows in the segment are lost.
    damaged = _first_closed(d)
    assert len(damaged.entries) == 2
    batch_start = entry.offset - 8 - 8 - 16  # one entry per batch: checksums, count, header
    found = [str(f) for f in d.findings]
    assert found[0] == (f"{segment.name}: offset {batch_start}: batch 3: data checksum mismatch "
                        f"(stored {found[0].split('stored ')[1].split(',')[0]}, computed "
                        f"{found[0].split('computed ')[1]}")
    assert "data checksum mismatch" in found[0]
    lost = (f"{segment.name}: gap: entries {segment.first + 2} to {segment.end} "
            f"lost in {segment.name}")
    assert lost in found
    assert d.last_index == DataDir(path).last_index  # what follows keeps its numbers


def test_header_checksum_mismatch_is_a_finding(written, tmp_path):
    _, path = written
    copy = _copy(path, tmp_path)
    segment = _first_closed(DataDir(copy))
    _flip(os.path.join(copy, segment.name), 8 + 8 + 8 + 1)  # batch 1, entry 1's term
    d = DataDir(copy)
    assert str(d.findings[0]).startswith(f"{segment.name}: offset 8: batch 1: header checksum "
                                         "mismatch (stored 0x")
    assert _first_closed(d).entries == []


def test_snapshot_meta_checksum_mismatch(written, tmp_path):
    _, path = written
    copy = _copy(path, tmp_path)
    latest = DataDir(copy).snapshots[-1]
    _flip(os.path.join(copy, latest.meta_file), 40)  # inside the configuration
    d = DataDir(copy)
    assert [str(f) for f in d.findings] == [
        f"{latest.meta_file}: offset 8: checksum mismatch (stored "
        f"{str(d.findings[0]).split('stored ')[1]}"]
    assert not d.snapshots[-1].valid and d.snapshot is d.snapshots[0]


def test_bad_snapshot_data_is_one_line(written, tmp_path):
    _, path = written
    copy = _copy(path, tmp_path)
    latest = DataDir(copy).snapshots[-1]
    with open(os.path.join(copy, latest.data_file), "r+b") as f:
        f.truncate(os.path.getsize(os.path.join(copy, latest.data_file)) // 2)
    d = DataDir(copy)
    with pytest.raises(rebuild.RebuildError) as caught:
        rebuild.rebuild(d, "db", None, str(tmp_path / "db"))
    assert "\n" not in str(caught.value)


def test_metadata_damage(written, tmp_path):
    _, path = written
    copy = _copy(path, tmp_path)
    with open(os.path.join(copy, "metadata1"), "r+b") as f:
        f.truncate(20)
    d = DataDir(copy)
    assert [str(f) for f in d.findings] == ["metadata1: cut short (raft ignores it): 20 bytes"]
    assert d.current_metadata is None
    with open(os.path.join(copy, "metadata1"), "wb") as f:
        f.write(b"\2" + bytes(31))
    assert [str(f) for f in DataDir(copy).findings] == ["metadata1: offset 0: format 2, "
                                                        "expected 1"]


@pytest.mark.parametrize("written", [name for name, (_, kill, _) in SCENARIOS.items() if kill],
                         indirect=True)  # a clean stop leaves no open segment
def test_garbage_after_the_open_segments_batches(written, tmp_path):
    scenario, path = written
    copy = _copy(path, tmp_path)
    segment = next(s for s in DataDir(copy).segments if s.is_open and s.entries)
    end = segment.entries[-1].offset + segment.entries[-1].size + 4096
    with open(os.path.join(copy, segment.name), "r+b") as f:
        f.seek(end)
        f.write(b"junk")
    d = DataDir(copy)
    assert [str(f) for f in d.findings] == [
        f"{segment.name}: offset {str(d.findings[0]).split('offset ')[1].split(':')[0]}: "
        "bytes other than zeros after the last batch (raft would drop them)"]
    assert d.last_index == DataDir(path).last_index


def test_not_a_data_dir(tmp_path):
    with pytest.raises(NotADataDir, match="not a dqlite node's data dir"):
        DataDir(str(tmp_path))
    with pytest.raises(NotADataDir, match="no such directory"):
        DataDir(str(tmp_path / "missing"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADataDir, match="not a directory"):
        DataDir(str(tmp_path / "file"))


def test_unfinished_snapshots(written, tmp_path):
    _, path = written
    copy = _copy(path, tmp_path)
    first, latest = DataDir(copy).snapshots
    os.unlink(os.path.join(copy, first.meta_file))
    os.unlink(os.path.join(copy, latest.data_file))
    d = DataDir(copy)
    assert [str(f) for f in d.findings] == [
        f"{first.data_file}: snapshot data without its .meta file (an unfinished snapshot: "
        "raft deletes it)",
        f"{latest.meta_file}: its data file {latest.data_file} is missing (an unfinished "
        "snapshot: raft ignores it)"]
    assert d.snapshot is None and not d.snapshots[0].valid


def test_batches_of_several_entries(written, tmp_path):
    """raft batches the entries appended together (one header, one data CRC);
    the nodes above wrote one per batch: merge a closed segment's batches into
    one, with CRCs as raft computes them, and read the same entries back."""
    import struct
    _, path = written
    copy = _copy(path, tmp_path)
    original = DataDir(copy)
    segment = _first_closed(original)
    entries = segment.entries
    datas = [original.entry_data(e) for e in entries]
    header = struct.pack("<Q", len(entries)) + b"".join(
        struct.pack("<QB3xI", e.term, e.type, e.size) for e in entries)
    body = b"".join(data + bytes(-len(data) % 8) for data in datas)
    with open(os.path.join(copy, segment.name), "wb") as f:
        f.write(struct.pack("<Q", 1) + struct.pack("<II", raft_crc32(header), raft_crc32(body))
                + header + body)
    d = DataDir(copy)
    assert d.findings == []
    merged = _first_closed(d)
    assert [(e.term, e.type, e.size) for e in merged.entries] == [
        (e.term, e.type, e.size) for e in entries]
    assert [d.entry_data(e) for e in merged.entries] == datas
    target = str(tmp_path / "db")
    rebuild.rebuild(d, "db", None, target)
    assert _rows(target, "t") == _expected()
