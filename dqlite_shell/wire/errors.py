"""Exceptions of the wire layer."""

from __future__ import annotations


class ProtocolError(Exception):
    """Malformed or unexpected bytes from the peer.

    This is the only exception any decoder in :mod:`dqlite_shell.wire` raises
    for bad input (truncation, unknown type codes, invalid UTF-8, oversized
    headers, trailing garbage ...). The message says what was wrong and where.
    After a ProtocolError the byte stream can no longer be trusted; the caller
    should close the connection.
    """


class InvalidUTF8(ProtocolError):
    """Text from the peer that is not valid UTF-8 (a TEXT value SQLite holds
    as bytes that do not decode, say): a caller may ask for it as a BLOB."""


class ParameterError(ValueError):
    """A statement parameter that cannot be encoded.

    ``index`` is the 0-based position of the parameter in the sequence given to
    the encoder (``None`` when the whole sequence is at fault, e.g. too many
    parameters) and ``value`` the offending object.
    """

    def __init__(self, message: str, index: int | None = None, value: object = None) -> None:
        super().__init__(message)
        self.index = index
        self.value = value
