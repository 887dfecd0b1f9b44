"""Raft's metadata files, ``metadata1`` and ``metadata2`` (src/raft/uv_metadata.c;
canonical/raft src/uv_metadata.c): 32 bytes each, four little-endian u64s:
disk format (1), version, term, voted-for. raft writes them in turn and
loads the one with the higher version; a file shorter than 32 bytes is one
whose write was cut (raft deletes it), a longer one is corrupt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dqlite_shell.offline.binary import DISK_FORMAT, Finding, u64

NAMES = ("metadata1", "metadata2")
SIZE = 32


@dataclass(frozen=True)
class Metadata:
    file: str
    version: int
    term: int
    voted_for: int


def read(data_dir: str, findings: list[Finding]) -> list[Metadata]:
    """The metadata files of ``data_dir`` that decode, in file order; what
    is wrong goes to ``findings``."""
    found = []
    for name in NAMES:
        path = os.path.join(data_dir, name)
        try:
            with open(path, "rb") as f:
                data = f.read(SIZE + 1)
        except FileNotFoundError:
            continue
        except OSError as e:
            findings.append(Finding(name, None, f"cannot read: {e.strerror}"))
            continue
        if len(data) != SIZE:
            what = ("cut short (raft ignores it)" if len(data) < SIZE
                    else "longer than 32 bytes (raft refuses to start)")
            findings.append(Finding(name, None, f"{what}: {len(data)} bytes"
                                    if len(data) < SIZE else what))
            continue
        if u64(data, 0) != DISK_FORMAT:
            findings.append(Finding(name, 0, f"format {u64(data, 0)}, expected {DISK_FORMAT}"))
            continue
        meta = Metadata(name, u64(data, 8), u64(data, 16), u64(data, 24))
        if meta.version == 0:
            findings.append(Finding(name, 8, "version is zero"))
            continue
        found.append(meta)
    return found


def current(found: list[Metadata]) -> Metadata | None:
    """The one raft loads: the highest version."""
    return max(found, key=lambda m: m.version, default=None)
