"""Handshake and message framing.

After connecting, the client sends the protocol version as one little-endian
uint64. Then every request and response is a frame: an 8-byte header followed
by a body of ``words * 8`` bytes. Header layout (``src/message.h``)::

    uint32 words    body size in 8-byte words
    uint8  type     request or response type code
    uint8  schema   layout revision of the body (called "flags" in 1.11.1,
                    which ignores it on requests and always answers 0)
    uint16 extra    unused, zero
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

import struct
from typing import NamedTuple

from .constants import HEADER_SIZE, MAX_BODY_SIZE, PROTOCOL_VERSION
from .errors import ProtocolError

#: The frame header: words, type, schema, extra. The one declaration of it
#: (requests.py and client/transport.py pack and unpack with this Struct).
HEADER = struct.Struct("<IBBH")
_U64 = struct.Struct("<Q")

_HANDSHAKE = _U64.pack(PROTOCOL_VERSION)


class Header(NamedTuple):
    """A decoded frame header."""

    words: int
    type: int
    schema: int = 0
    extra: int = 0

    @property
    def body_size(self) -> int:
        """Body size in bytes (``words * 8``)."""
        return self.words * 8


def encode_handshake() -> bytes:
    """The 8 bytes a client sends first: protocol version 1 as uint64."""
    return _HANDSHAKE


def encode_header(msg_type: int, body_size: int, schema: int = 0) -> bytes:
    """An 8-byte header for a body of ``body_size`` bytes (a multiple of 8)."""
    if body_size % 8:
        raise ValueError(f"message body must be a multiple of 8 bytes, got {body_size}")
    try:
        return HEADER.pack(body_size >> 3, msg_type, schema, 0)
    except struct.error:
        raise ValueError(
            f"cannot encode header: type={msg_type!r} schema={schema!r} body_size={body_size}"
        ) from None


def encode_frame(msg_type: int, body: bytes | bytearray, schema: int = 0) -> bytes:
    """Header + ``body``: a complete message ready to send."""
    return encode_header(msg_type, len(body), schema) + body


def parse_header(
    data: bytes | bytearray | memoryview, max_body_size: int = MAX_BODY_SIZE
) -> Header:
    """Decode an 8-byte frame header.

    Raises :class:`ProtocolError` if ``data`` is not exactly 8 bytes or the
    announced body exceeds ``max_body_size`` bytes.
    """
    if len(data) != HEADER_SIZE:
        raise ProtocolError(f"frame header must be {HEADER_SIZE} bytes, got {len(data)}")
    words, msg_type, schema, extra = HEADER.unpack_from(data)
    if words * 8 > max_body_size:
        raise ProtocolError(
            f"frame header announces a {words * 8}-byte body (type {msg_type}),"
            f" more than the limit of {max_body_size} bytes"
        )
    return Header(words, msg_type, schema, extra)


def decode_frame(
    data: bytes | bytearray | memoryview, max_body_size: int = MAX_BODY_SIZE
) -> tuple[Header, bytes]:
    """Split one complete frame (header + body, nothing more) into its parts.

    Raises :class:`ProtocolError` if ``data`` is shorter or longer than the
    header announces.
    """
    data = bytes(data)
    if len(data) < HEADER_SIZE:
        raise ProtocolError(
            f"truncated frame: {len(data)} bytes, a header alone needs {HEADER_SIZE}")
    header = parse_header(data[:HEADER_SIZE], max_body_size)
    body = data[HEADER_SIZE:]
    if len(body) != header.body_size:
        kind = "truncated" if len(body) < header.body_size else "oversized"
        raise ProtocolError(f"{kind} frame: header announces {header.body_size} body bytes, "
                            f"got {len(body)}")
    return header, body
