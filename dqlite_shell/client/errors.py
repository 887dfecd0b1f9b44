"""Exceptions of the client layer.

Malformed bytes from a server raise :class:`dqlite_shell.wire.ProtocolError`
(re-exported here); everything else the client raises is a :class:`ClientError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dqlite_shell.wire.errors import ProtocolError

__all__ = [
    "BrokenPeer", "ClientError", "ConnectError", "ConnectionLost", "LeadershipLost",
    "MemberConflict", "NoLeaderError", "NotDqlite", "NotDqliteNodes", "NotTLS",
    "ParameterCountError", "ProtocolError", "RequestNotSent", "RequestTimeout", "ServerError",
    "StatementLost", "TLSError", "TLSHungUp", "TLSMismatch", "TLSRequired", "TransactionLost",
    "SQLITE_IOERR_LEADERSHIP_LOST", "SQLITE_IOERR_NOT_LEADER", "lost_message", "seconds",
]


def seconds(value: float) -> str:
    """A duration for people: ``3`` rather than ``2.99999``, ``0.5`` stays."""
    return f"{round(value, 1):g}"

#: Extended SQLite codes libdqlite answers with (src/leader.h).
SQLITE_IOERR_NOT_LEADER = 10 | (40 << 8)
SQLITE_IOERR_LEADERSHIP_LOST = 10 | (41 << 8)
SQLITE_NOTFOUND = 12
SQLITE_BUSY = 5
NO_DATABASE_MESSAGE = "no database opened"


class ClientError(Exception):
    """Base class of the client's errors."""


class ConnectError(ClientError):
    """A node could not be dialed, or did not speak the dqlite protocol."""


class TLSError(ConnectError):
    """TLS could not be agreed with a node: one side speaks TLS and the other
    does not, or a certificate was refused. Retrying will not help."""


class TLSHungUp(TLSError):
    """The node hung up in our TLS handshake without saying why (the alert,
    if any, was lost): it may not accept our certificate."""


class NotTLS(TLSError):
    """We spoke TLS and the node answered in plain text: it does not speak TLS."""


class NotDqlite(ConnectError, ProtocolError):
    """The peer's first answer is not the dqlite protocol (an HTTP server,
    say). Retrying will not help."""


def _told(what: str | BaseException, say: Callable[[BaseException], str]) -> str:
    return say(what) if isinstance(what, BaseException) else what


class NoLeaderError(ConnectError):
    """No node named a reachable leader before the deadline.

    ``answers`` maps each address tried to what it last answered (text);
    ``causes`` holds the errors among those answers, by address.
    """

    def __init__(self, answers: Mapping[str, str | BaseException], timeout: float):
        self._answers = dict(answers)
        self.answers = {addr: str(what) for addr, what in answers.items()}
        self.causes = {a: w for a, w in answers.items() if isinstance(w, BaseException)}
        self.timeout = timeout
        super().__init__(self.render())

    def render(self, say: Callable[[BaseException], str] = str) -> str:
        """The message, each node's error told by ``say`` (the shell's own
        words for errors: it adds what to do about them)."""
        detail = "; ".join(f"{addr}: {_told(what, say)}"
                           for addr, what in self._answers.items()) or "no servers"
        return f"no leader found within {seconds(self.timeout)} s ({detail})"


class TLSMismatch(NoLeaderError, TLSError):
    """No node could be reached because TLS could not be agreed with any.

    The message is what the nodes' handshakes said (they usually agree; each
    names its node), once each.
    """

    def __init__(self, answers: Mapping[str, str | BaseException]):
        _every_node(self, answers)

    def render(self, say: Callable[[BaseException], str] = str) -> str:
        return _each_once(self._answers, say)


class NotDqliteNodes(NoLeaderError, NotDqlite):
    """Every node that answered spoke something other than dqlite (what each
    said, once each)."""

    def __init__(self, answers: Mapping[str, str | BaseException]):
        _every_node(self, answers)

    def render(self, say: Callable[[BaseException], str] = str) -> str:
        return _each_once(self._answers, say)


def _every_node(error: NoLeaderError, answers: Mapping[str, str | BaseException]) -> None:
    """Set up an error made of every node's own (the deadline is not the point)."""
    error._answers = dict(answers)
    error.answers = {addr: str(what) for addr, what in answers.items()}
    error.causes = {a: w for a, w in answers.items() if isinstance(w, BaseException)}
    ConnectError.__init__(error, error.render())


def _each_once(answers: Mapping[str, str | BaseException], say) -> str:
    return "; ".join(dict.fromkeys(_told(what, say) for what in answers.values()))


class ConnectionLost(ClientError):
    """The server closed the connection or the socket failed mid-request.

    Whether the request was applied is unknown.
    """


class RequestNotSent(ConnectionLost):
    """The connection failed before the whole request was handed over: the
    node never had it, so it cannot have run (safe to send elsewhere)."""


class BrokenPeer(ConnectionLost):
    """The peer stopped in the middle of a message: once a message has begun,
    its bytes arrive together, so a long stall there is a broken peer, not a
    long statement."""


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
    def busy(self) -> bool:
        """SQLITE_BUSY ("database is locked"): refused before it was applied."""
        return self.code & 0xFF == SQLITE_BUSY

    @property
    def leadership_lost(self) -> bool:
        """Leadership was lost while the statement committed: its fate is unknown."""
        return self.code == SQLITE_IOERR_LEADERSHIP_LOST


class ParameterCountError(ClientError, ValueError):
    """The statement takes a different number of parameters than were given.

    Raised before the statement runs.
    """

    def __init__(self, expected: int, given: int):
        self.expected, self.given = expected, given
        super().__init__(f"the statement takes {expected} parameter"
                         f"{'' if expected == 1 else 's'}, {given} given")


class JoinFailed(ClientError):
    """A node could not be made a member (``address``); ``cause`` is the last
    error met on the way (a TLS mismatch, no leader, a member elsewhere)."""

    def __init__(self, address: str, cause: ClientError):
        self.address, self.cause = address, cause
        super().__init__(self.render())

    def render(self, say: Callable[[BaseException], str] = str) -> str:
        """The message, the cause told by ``say`` (see NoLeaderError.render)."""
        return f"cannot join {self.address} to the cluster: {say(self.cause)}"


class MemberConflict(ClientError):
    """A node id is already a member of the cluster at another address
    (``node_id``, ``member_address``; ``address`` is the one asked for).
    Retrying will not help."""

    def __init__(self, node_id: int, member_address: str, address: str):
        self.node_id, self.member_address, self.address = node_id, member_address, address
        super().__init__(f"node id {node_id:#x} is a member at {member_address}, not {address}")


class LeadershipLost(ClientError):
    """The statement may or may not have been applied: the leader went away
    (or lost leadership) after it was sent. It is never re-sent."""


class StatementLost(LeadershipLost, ConnectionLost):
    """The statement was sent and its answer never came whole: the node
    crashed, hung up or stopped answering while it ran it. A read that kills
    a node would kill the next leader too, so not even reads are re-sent."""


class TransactionLost(ClientError):
    """The leader changed while a transaction was open; it was rolled back."""


def lost_message(address: str, error: Exception, may_write: bool, preparing: bool = False) -> str:
    """One line for a statement sent to ``address`` whose answer never came
    (``preparing``: only EXPLAIN or PREPARE of it had gone out)."""
    doing = "prepared" if preparing else "ran"
    if isinstance(error, RequestTimeout):
        what = str(error) if type(error) is not RequestTimeout else \
            f"{address} did not answer in time while it {doing} this statement"
    else:
        what = (f"the connection to {address} was lost while it {doing} this statement "
                "(the node may have crashed)")
    if preparing:
        what += "; nothing was applied"
    elif may_write:
        what += "; it may or may not have been applied"
    return what
