"""Marker types for the two date/time value types of the protocol.

The server tags values of columns declared ``DATETIME``, ``DATE`` or
``TIMESTAMP`` specially: integers become UNIXTIME, text (and NULL!) becomes
ISO8601. Decoders keep the tag by returning these subclasses, so higher layers
can convert them (or not) without losing information. Note that the server
sends a NULL in such a column as an ISO8601 empty string, ``Iso8601("")``.
"""

from __future__ import annotations


class UnixTime(int):
    """An INTEGER tagged UNIXTIME by the server (seconds since the epoch)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"UnixTime({int(self)})"


class Iso8601(str):
    """A TEXT value tagged ISO8601 by the server."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Iso8601({str(self)!r})"
