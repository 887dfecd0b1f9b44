"""Numeric constants of the dqlite wire protocol (version 1).

Values were checked against libdqlite 1.11.1 (``src/protocol.h``) and
go-dqlite 1.11.5 (``internal/protocol/constants.go``).
"""

from __future__ import annotations

import enum

#: Protocol version sent by the client as one little-endian uint64 right after
#: connecting (``DQLITE_PROTOCOL_VERSION``).
PROTOCOL_VERSION = 1

#: Pre-1.0 protocol version. Servers still accept it; this package never uses it.
PROTOCOL_VERSION_LEGACY = 0x86104DD760433FE5

#: Every message starts with an 8-byte header and its body is a whole number of
#: 8-byte words.
HEADER_SIZE = 8
WORD_SIZE = 8

#: Default cap on the announced body size of one message. A header announcing
#: more raises :class:`~dqlite_shell.wire.errors.ProtocolError`. The wire format
#: itself allows up to ``(2**32 - 1) * 8`` bytes; a DUMP of a large database can
#: legitimately exceed this default, so callers may pass a larger limit.
MAX_BODY_SIZE = 256 * 1024 * 1024

#: Word that ends a ROWS batch when more batches follow.
ROWS_PART = 0xEEEEEEEEEEEEEEEE
#: Word that ends the last ROWS batch of a result set.
ROWS_DONE = 0xFFFFFFFFFFFFFFFF

#: Formats of the CLUSTER request (``DQLITE_REQUEST_CLUSTER_FORMAT_V0/V1``).
CLUSTER_FORMAT_V0 = 0  # id and address
CLUSTER_FORMAT_V1 = 1  # id, address and role

#: Format of the DESCRIBE request (``DQLITE_REQUEST_DESCRIBE_FORMAT_V0``).
DESCRIBE_FORMAT_V0 = 0

#: Largest number of statement parameters: the tuple header count is one byte
#: on 1.11.x servers.
MAX_PARAMS = 255


class _NamedIntEnum(enum.IntEnum):
    """IntEnum with lower-case names and lookups that never raise KeyError."""

    @property
    def label(self) -> str:
        """Lower-case name, e.g. ``"query_sql"`` or ``"voter"``."""
        return self.name.lower()

    @classmethod
    def from_name(cls, name: str):
        """Member for ``name`` (case-insensitive, ``-`` accepted for ``_``).

        Raises ``ValueError`` naming the valid choices when unknown.
        """
        key = name.strip().upper().replace("-", "_")
        try:
            return cls[key]
        except KeyError:
            choices = ", ".join(m.label for m in cls)
            raise ValueError(
                f"unknown {cls.__name__} {name!r} (expected one of: {choices})") from None

    @classmethod
    def describe(cls, value: int) -> str:
        """Lower-case name of ``value``, or ``"unknown(<value>)"``."""
        try:
            return cls(value).label
        except ValueError:
            return f"unknown({value})"


class RequestType(_NamedIntEnum):
    """Type codes of client requests (``DQLITE_REQUEST_*``)."""

    LEADER = 0
    CLIENT = 1
    HEARTBEAT = 2
    OPEN = 3
    PREPARE = 4
    EXEC = 5
    QUERY = 6
    FINALIZE = 7
    EXEC_SQL = 8
    QUERY_SQL = 9
    INTERRUPT = 10
    CONNECT = 11
    ADD = 12
    ASSIGN = 13
    REMOVE = 14
    DUMP = 15
    CLUSTER = 16
    TRANSFER = 17
    DESCRIBE = 18
    WEIGHT = 19


class ResponseType(_NamedIntEnum):
    """Type codes of server responses (``DQLITE_RESPONSE_*``)."""

    FAILURE = 0
    SERVER = 1
    WELCOME = 2
    SERVERS = 3
    DB = 4
    STMT = 5
    RESULT = 6
    ROWS = 7
    EMPTY = 8
    FILES = 9
    METADATA = 10


class ValueType(_NamedIntEnum):
    """Type codes of values in row and parameter tuples."""

    INTEGER = 1
    FLOAT = 2
    TEXT = 3
    BLOB = 4
    NULL = 5
    UNIXTIME = 9
    ISO8601 = 10
    BOOLEAN = 11


class Role(_NamedIntEnum):
    """Raft roles of a cluster node (``DQLITE_VOTER`` ...).

    The one place role names live: :attr:`label` (``voter``, ``standby``,
    ``spare``: what our commands take), :attr:`go_name` (go-dqlite's
    ``NodeRole.String()``: ``stand-by``) and :meth:`parse` (any of them, or
    the number).
    """

    VOTER = 0
    STANDBY = 1
    SPARE = 2

    @property
    def go_name(self) -> str:
        """The name go-dqlite prints (``voter``, ``stand-by``, ``spare``)."""
        return "stand-by" if self is Role.STANDBY else self.label

    @classmethod
    def parse(cls, word: str | int) -> Role:
        """``voter``, ``standby`` or ``stand-by``, ``spare`` (any case), or 0-2.

        Raises ValueError naming the choices when ``word`` is none of them.
        """
        if isinstance(word, int) and not isinstance(word, bool):
            if word in cls._value2member_map_:
                return cls(word)
            raise ValueError(f"unknown Role {word!r} (expected 0, 1 or 2)")
        text = str(word).strip().lower()
        if text.isdigit() and int(text) in cls._value2member_map_:
            return cls(int(text))
        return cls.from_name("standby" if text == "stand-by" else text)


#: The role names commands take, in role order (``voter standby spare``).
ROLE_NAMES: tuple[str, ...] = tuple(role.label for role in Role)
