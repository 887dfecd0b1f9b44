"""Exceptions of the client layer.

Malformed bytes from a server raise :class:`dqlite_shell.wire.ProtocolError`
(re-exported here); everything else the client raises is a :class:`ClientError`.
"""

from __future__ import annotations

from dqlite_shell.wire.errors import ProtocolError

__all__ = [
    "ClientError", "ConnectError", "ConnectionLost", "NoLeaderError", "ProtocolError",
    "RequestTimeout", "TLSError", "TLSRequired", "ServerError", "SQLITE_IOERR_LEADERSHIP_LOST", "SQLITE_IOERR_NOT_LEADER",
]

#: Extended SQLite codes libdqlite answers with (src/leader.h).
SQLITE_IOERR_NOT_LEADER = 10 | (40 << 8)
SQLITE_IOERR_LEADERSHIP_LOST = 10 | (41 << 8)
SQLITE_NOTFOUND = 12
NO_DATABASE_MESSAGE = "no database opened"


class ClientError(Exception):
    """Base class of the client's errors."""


class ConnectError(ClientError):
    """A node could not be dialed, or did not speak the dqlite protocol."""


class TLSError(ConnectError):
    """TLS could not be agreed with a node: one side speaks TLS and the other
    does not, or a certificate was refused. Retrying will not help."""


class NoLeaderError(ConnectError):
    """No node named a reachable leader before the deadline.

    ``answers`` maps each address tried to what it last answered.
    """

    def __init__(self, answers: dict[str, str], timeout: float):
        self.answers = dict(answers)
        detail = "; ".join(f"{addr}: {what}" for addr, what in answers.items()) or "no servers"
        super().__init__(f"no leader found within {timeout:g} s ({detail})")


class ConnectionLost(ClientError):
    """The server closed the connection or the socket failed mid-request.

    Whether the request was applied is unknown.
    """


class TLSRequired(TLSError, ConnectionLost):
    """A plaintext client's first request was met with a hang-up, as TLS nodes
    answer one (also a :class:`ConnectionLost`, which it is on the wire)."""


class RequestTimeout(ClientError):
    """The server did not answer within the request timeout.

    The connection is closed (its state is unknown); whether the request was
    applied is unknown.
    """


class ServerError(ClientError):
    """A FAILURE response: ``code`` (an extended SQLite result code) and ``message``."""

    def __init__(self, code: int, message: str):
        self.code = code
        self.message = message
        super().__init__(message)

    @property
    def primary_code(self) -> int:
        return self.code & 0xFF

    @property
    def not_leader(self) -> bool:
        """The node refused before running anything: it is not the leader.

        Also true for "no database opened": libdqlite closes the database of
        every connection when its node loses leadership, so requests on such
        a connection fail that way, before anything runs.
        """
        return self.code == SQLITE_IOERR_NOT_LEADER or (
            self.code == SQLITE_NOTFOUND and self.message == NO_DATABASE_MESSAGE)

    @property
    def leadership_lost(self) -> bool:
        """Leadership was lost while the statement committed: its fate is unknown."""
        return self.code == SQLITE_IOERR_LEADERSHIP_LOST
