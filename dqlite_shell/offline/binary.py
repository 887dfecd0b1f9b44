"""Byte-level helpers shared by the readers: raft's CRC-32, little-endian
fields, and :class:`Finding` (one damaged or unexpected spot in a file).

raft's checksum (src/raft/byte.c, byteCrc32; canonical/raft src/byte.c) is
the MSB-first CRC-32 of polynomial 0x04C11DB7 with the initial value the
caller passes (0 everywhere on disk) and no final XOR. It is computed here
through zlib's reflected CRC-32 of the bit-reversed bytes, which gives the
bit-reversed result: the same function at C speed.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

#: The disk format version raft writes first in metadata, segments and
#: snapshot meta files (src/raft/uv_encoding.h, UV__DISK_FORMAT).
DISK_FORMAT = 1

_REVERSED_BYTES = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _reverse32(value: int) -> int:
    return int(f"{value:032b}"[::-1], 2)


def raft_crc32(data: bytes | memoryview, init: int = 0) -> int:
    """raft's ``byteCrc32(data, len(data), init)``."""
    flipped = bytes(data).translate(_REVERSED_BYTES)
    # zlib's crc32(data, start) runs the register from ~start and returns
    # the register's complement: start = ~init (reflected) gives init.
    register = zlib.crc32(flipped, _reverse32(init) ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
    return _reverse32(register)


def u64(data: bytes | memoryview, offset: int) -> int:
    """The little-endian unsigned 64-bit integer at ``offset``."""
    return struct.unpack_from("<Q", data, offset)[0]


def u32(data: bytes | memoryview, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def pad8(size: int) -> int:
    """``size`` rounded up to a multiple of 8 (raft's bytePad64)."""
    return (size + 7) & ~7


def cstring(data: bytes | memoryview, offset: int) -> tuple[str, int]:
    """The NUL-terminated string at ``offset`` and the offset after its NUL.

    ValueError when there is no NUL before the end."""
    end = bytes(data[offset:]).find(b"\0")
    if end < 0:
        raise ValueError("string without its terminating NUL")
    raw = bytes(data[offset:offset + end])
    return raw.decode("utf-8", "replace"), offset + end + 1


@dataclass(frozen=True)
class Finding:
    """Something wrong in a file of the data dir: ``FILE: offset N: what``."""
    file: str
    offset: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: offset {self.offset}" if self.offset is not None else self.file
        return f"{where}: {self.message}"
