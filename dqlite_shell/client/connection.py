"""One connection to one dqlite node: requests in, decoded responses out."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from dqlite_shell.client.capabilities import ASSUMED, Capabilities
from dqlite_shell.client.drain import Drains
from dqlite_shell.client.errors import (
    BrokenPeer,
    ClientError,
    ConnectError,
    ConnectionLost,
    RequestTimeout,
    ServerError,
    StatementLost,
    lost_message,
)
from dqlite_shell.client.result import RowStream
from dqlite_shell.client.transport import StillQuiet, Transport, peer_closed
from dqlite_shell.wire import requests
from dqlite_shell.wire.constants import MAX_PARAMS, ROWS_DONE, ROWS_PART, ResponseType
from dqlite_shell.wire.errors import ProtocolError
from dqlite_shell.wire.messages import (
    Db,
    Empty,
    Failure,
    Files,
    Metadata,
    NodeInfo,
    Result,
    Rows,
    Server,
    Servers,
    Stmt,
    Welcome,
)
from dqlite_shell.wire.responses import decode_response
from dqlite_shell.wire.rows import RowsDecoder

_ROWS = int(ResponseType.ROWS)
_FAILURE = int(ResponseType.FAILURE)
_EMPTY = int(ResponseType.EMPTY)
_DONE_MARKER = ROWS_DONE.to_bytes(8, "little")
_PART_MARKER = ROWS_PART.to_bytes(8, "little")

if TYPE_CHECKING:
    import ssl as _ssl

DEFAULT_TIMEOUT = 10.0

#: Batches in a row without rows, and not the last, after which a stream is
#: taken for libdqlite 1.11's endless loop (a real result never sends one).
MAX_EMPTY_BATCHES = 16

#: Steps a read of the schema table: reloads a schema changed elsewhere.
_SCHEMA_CHECK = "SELECT 1 FROM sqlite_master WHERE 0"


class Connection:
    """A connection to one node (leader or not).

    Every request waits at most ``timeout`` seconds for each answer frame; a
    FAILURE answer raises :class:`ServerError`. A :class:`RowStream` still
    being read when another request is made is closed first. After a
    :class:`ConnectionLost`, :class:`RequestTimeout` or ``ProtocolError`` the
    connection is closed (:attr:`closed`) and must be replaced.
    """

    def __init__(self, transport: Transport, timeout: float = DEFAULT_TIMEOUT):
        self._transport = transport
        self.timeout = timeout
        self.db_id: int | None = None
        self.database: str | None = None
        self._stream: RowStream | None = None
        self._waiting = False  # a request was sent and its answer not yet read
        self._empty_batches = 0  # batches in a row with no rows (see _empty_batch)
        #: What the server can do, once a Session probed it (see capabilities).
        self.capabilities: Capabilities = ASSUMED
        #: Where an abandoned request is read to its end (see drain.py); None:
        #: abandoning closes the socket.
        self.drains: Drains | None = None
        self._abandoned = False  # handed to a drain: not ours to use or close
        #: This connection's ROWS decoder: its caches (compiled row patterns,
        #: the last column section) are not shared with other connections.
        self._rows = RowsDecoder()
        #: The columns of the last raw stream and the size of their section.
        self._raw_section: tuple[list, int] = ([], 8)

    @classmethod
    def connect(cls, address: str, timeout: float = DEFAULT_TIMEOUT,
                ssl_context: _ssl.SSLContext | None = None,
                server_hostname: str | None = None) -> Connection:
        """Dial ``address`` and send the protocol handshake."""
        return cls(Transport.dial(address, min(timeout, 5.0) if timeout else 5.0,
                                  ssl_context, server_hostname), timeout)

    @property
    def address(self) -> str:
        return self._transport.address

    def peer_certificate(self) -> dict | None:
        """The certificate the node presented (``ssl.SSLSocket.getpeercert``'s
        dict), or None without TLS."""
        import ssl
        sock = self._transport.sock
        return (sock.getpeercert() or {}) if isinstance(sock, ssl.SSLSocket) else None

    def watch(self, on_silence, every: float = 1.0, stall: float | None = None) -> None:
        """Call ``on_silence(seconds)`` every ``every`` s while an answer has
        not begun (it may raise to give up); ``stall`` bounds silence inside
        a message (see :class:`Transport`)."""
        if stall is not None:
            self._transport.stall_timeout = stall
        self._transport.watch(on_silence, every)

    @property
    def closed(self) -> bool:
        return self._abandoned or self._transport.closed

    def peer_closed(self) -> bool:
        """True when the node has already closed this idle connection, seen
        locally without a round trip (see :func:`transport.peer_closed`)."""
        return peer_closed(self._transport)

    def close(self) -> None:
        """Close the socket (the server frees everything this connection held)."""
        self._stream = None
        self._waiting = False
        if not self._abandoned:
            self._transport.close()

    @property
    def waiting(self) -> bool:
        """A request was sent and its answer has not begun: the node may be
        running the statement."""
        return self._waiting

    @property
    def draining(self) -> bool:
        """Handed to a background drain (see :meth:`abandon`)."""
        return self._abandoned

    def abandon(self, interrupted: bool = False) -> bool:
        """Stop using this connection in the middle of a request or a result
        (``interrupted``: an INTERRUPT for the result was sent already).

        Where the server needs it (capability ``drain_on_cancel``) and a
        session keeps :attr:`drains`, what is still coming is read and thrown
        away in the background before the socket closes; True then. Else the
        socket is closed at once (False).
        """
        transport = self._transport
        waiting, streaming = self._waiting, self._stream is not None or interrupted
        self._stream = None
        self._waiting = False
        if transport.closed or self._abandoned:
            return self._abandoned
        if (self.drains is None or not (waiting or streaming)
                or not self.capabilities.has("drain_on_cancel")):
            transport.close()
            return False
        self._abandoned = True
        self.drains.start(transport, self.db_id, waiting=waiting, streaming=streaming,
                          interrupted=interrupted, silence=self.timeout)
        return True

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<dqlite Connection {self.address} {self.database or '-'} {state}>"

    # -- plumbing -------------------------------------------------------

    def _send(self, request: bytes) -> None:
        if self._transport.closed:
            raise ConnectionLost(f"connection to {self.address} is closed")
        if self._stream is not None:
            self._stream.close()
        self._transport.set_timeout(self.timeout)
        self._waiting = True  # from here an answer may come (a Ctrl-C drains it)
        self._transport.send(request)

    def _read(self, raw: bool = False):
        """The next response, decoded; with ``raw``, a ROWS body whose end
        marker is in place comes undecoded, as ``(body, done)``."""
        msg_type, schema, body = self._transport.read_frame()
        if raw and msg_type == _ROWS:
            marker = body[-8:]
            if marker == _DONE_MARKER or marker == _PART_MARKER:
                return body, marker == _DONE_MARKER
        try:
            if msg_type == _ROWS:
                return self._rows.decode(body)
            response = decode_response(msg_type, schema, body)
        except ProtocolError:
            self._transport.close()
            raise
        if type(response) is Failure:
            raise ServerError(response.code, response.message)
        return response

    def call(self, request: bytes, expect: type):
        """Send one request and return its one response, of type ``expect``."""
        self._send(request)
        response = self._read()
        self._waiting = False
        if type(response) is not expect:
            self._transport.close()
            raise ProtocolError(f"expected {expect.__name__} from {self.address}, "
                                f"got {type(response).__name__}")
        return response

    # -- session --------------------------------------------------------

    def leader(self) -> NodeInfo | None:
        """Who this node thinks leads: ``NodeInfo(id, address)`` or None."""
        server = self.call(requests.leader(), Server)
        if not server.address:
            return None
        return NodeInfo(server.id, server.address, 0)

    def register(self, client_id: int = 0) -> Welcome:
        """CLIENT request: register with the node (go-dqlite does this on the leader)."""
        return self.call(requests.client(client_id), Welcome)

    def open(self, database: str) -> int:
        """Open ``database`` on this connection (one per connection)."""
        db = self.call(requests.open(database), Db)
        self.db_id, self.database = db.id, database
        return db.id

    def _db(self) -> int:
        if self.db_id is None:
            raise ClientError("no database is open on this connection")
        return self.db_id

    # -- statements -----------------------------------------------------

    def _check_params(self, params) -> None:
        """More than 255 parameters need schema 1, which 1.11 cannot read: say
        so before sending (it would misread the request)."""
        if type(params) in (tuple, list) and len(params) > MAX_PARAMS:
            refused = self.capabilities.too_many_parameters(len(params))
            if refused:
                raise ClientError(refused + ". Nothing was sent")

    def prepare(self, sql: str) -> Stmt:
        return self.call(requests.prepare(self._db(), sql), Stmt)

    def exec(self, stmt_id: int, params=()) -> Result:
        self._check_params(params)
        return self.call(requests.exec(self._db(), stmt_id, params), Result)

    def query(self, stmt_id: int, params=()) -> RowStream:
        self._check_params(params)
        return self._start_stream(requests.query(self._db(), stmt_id, params))

    def finalize(self, stmt_id: int) -> None:
        self.call(requests.finalize(self._db(), stmt_id), Empty)

    def exec_sql(self, sql: str, params=()) -> Result:
        """Run every statement of ``sql`` (the server follows the tail); no rows."""
        self._check_params(params)
        return self.call(requests.exec_sql(self._db(), sql, params), Result)

    def query_sql(self, sql: str, params=(), *, fresh_schema: bool = False) -> RowStream:
        """Run the first statement of ``sql`` and stream its rows.

        ``fresh_schema`` first makes the server's connection reload a schema
        another connection changed: libdqlite 1.11 reads a statement's
        columns before stepping it, and a connection only notices a foreign
        schema change when it steps, so ``SELECT *`` would otherwise come back
        once with the old columns. It costs one round trip (pipelining it
        with the query meets Nagle's algorithm on the server: 40 ms).
        """
        self._check_params(params)
        if fresh_schema:
            self.exec_sql(_SCHEMA_CHECK)
        return self._start_stream(requests.query_sql(self._db(), sql, params))

    def _start_stream(self, request: bytes) -> RowStream:
        self._send(request)
        first = self._read()
        self._waiting = False
        if type(first) is not Rows:
            self._transport.close()
            raise ProtocolError(f"expected Rows from {self.address}, got {type(first).__name__}")
        stream = RowStream(self, first)
        self._empty_batches = 0
        if not first.done:
            self._stream = stream
            if not first.rows:
                self._empty_batch()
        return stream

    def decode_rows(self, body: bytes) -> Rows:
        """Decode a ROWS body from :meth:`next_rows_body`; a malformed one
        closes the connection and raises ProtocolError."""
        try:
            return self._rows.decode(body)
        except ProtocolError:
            self._stream = None
            self._transport.close()
            raise

    def next_rows_body(self, stream: RowStream) -> tuple[bytes, bool]:
        """The next batch of ``stream`` as its ROWS body, undecoded, and
        whether it is the last (see :meth:`RowStream.raw_batches`)."""
        rows = self.next_batch(stream, raw=True)
        if type(rows) is not tuple:  # decoded: the marker check failed (never seen)
            self._stream = None
            self._transport.close()
            raise ProtocolError(f"malformed ROWS body from {self.address}")
        body, done = rows
        if done:
            self._stream = None
        else:
            # The column section is the one of every batch: a body only
            # that long holds no rows.
            columns, section = self._raw_section
            if columns is not stream.columns:
                section = 8 + sum([(len(name.encode()) + 8) & -8 for name in stream.columns])
                self._raw_section = (stream.columns, section)
            if len(body) == section + 8:
                self._empty_batch()
        return body, done

    def next_batch(self, stream: RowStream, raw: bool = False):
        """The next batch of ``stream``'s rows (its RowStream asks; ``raw``:
        the ROWS body undecoded when one came). A result that failed or was
        lost ends the stream and raises."""
        if self._stream is not stream:
            raise ClientError("this result was closed")
        try:
            rows = self._read(raw)
        except ServerError:
            self._stream = None  # the query failed mid-way; the server is done with it
            raise
        except (ConnectionLost, RequestTimeout) as e:
            self._stream = None
            if isinstance(e, BrokenPeer):
                raise
            raise StatementLost(lost_message(self.address, e, False)) from None
        except ClientError:
            self._stream = None
            raise
        if raw and type(rows) is tuple:
            return rows
        if type(rows) is not Rows:
            self._transport.close()
            raise ProtocolError(f"expected Rows from {self.address}, got {type(rows).__name__}")
        if rows.done:
            self._stream = None
        elif not rows.rows:
            self._empty_batch()
        return rows

    def _empty_batch(self) -> None:
        """libdqlite 1.11 checks whether a row fits its 4 KB batch before the
        first step: when the column names alone fill it, it sends empty
        batches for ever. A run of them is that, not a result."""
        self._empty_batches += 1
        if self._empty_batches >= MAX_EMPTY_BATCHES:
            self._stream = None
            self._transport.close()
            raise ClientError(f"{self.address} cannot return this result: its column names "
                              "fill the server's 4 KB batch (libdqlite 1.11 then sends empty "
                              "batches for ever); select fewer or shorter-named columns")

    def stream_finished(self, stream: RowStream) -> None:
        """``stream`` read its last batch: the connection takes requests again."""
        if self._stream is stream:
            self._stream = None

    def interrupt_stream(self, stream: RowStream, grace: float | None) -> None:
        """Send INTERRUPT and discard rows until its EMPTY, within ``grace`` s.

        libdqlite reads the INTERRUPT only once the request it is running has
        finished (1.11 only after the query's last batch; measured the same on
        1.17 and 1.18). Past the grace period the connection is abandoned: on
        1.11 the socket is closed, which frees the node at once; newer
        servers read the rest in the background (see :meth:`abandon`).
        """
        if self._stream is not stream:
            return
        self._stream = None
        if self._transport.closed:
            return
        deadline = time.monotonic() + (self.timeout if grace is None else grace)
        try:
            self._transport.set_timeout(max(0.001, deadline - time.monotonic()))
            self._transport.send(requests.interrupt(self._db()))
        except (ClientError, OSError):
            self._transport.close()
            return
        transport = self._transport
        transport.keep_open = True
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StillQuiet("grace over")
                transport.set_timeout(remaining)
                msg_type, _schema, _body = transport.read_frame()
                if msg_type == _EMPTY:
                    return
                if msg_type not in (_ROWS, _FAILURE):
                    raise ProtocolError(f"unexpected message type {msg_type} after INTERRUPT")
        except StillQuiet:
            self.abandon(interrupted=True)
        except KeyboardInterrupt:
            self.abandon(interrupted=True)
            raise
        except (ClientError, ProtocolError, OSError):
            transport.close()
        finally:
            transport.keep_open = False

    def cancel(self, grace: float = 0.5) -> bool:
        """Stop the query being streamed, waiting at most ``grace`` seconds.

        Returns True when the server acknowledged in time (the connection is
        usable at once); False when the socket was abandoned instead (the
        next request must reconnect).
        """
        if self._waiting:
            # Interrupted while waiting for an answer (a KeyboardInterrupt in
            # the middle of a request): the answer would arrive later as the
            # answer to the next request, so this socket cannot be reused.
            self.abandon()
            return False
        stream = self._stream
        if stream is not None:
            stream.close(grace)
        return not self.closed

    # -- cluster admin --------------------------------------------------

    def cluster(self) -> list[NodeInfo]:
        """Every member with its role (CLUSTER format 1)."""
        return list(self.call(requests.cluster(), Servers).nodes)

    def add(self, node_id: int, address: str) -> None:
        """Add a node as a spare (assign it a role next)."""
        self.call(requests.add(node_id, address), Empty)

    def assign(self, node_id: int, role) -> None:
        """Give a node a role: voter, standby or spare (name or number)."""
        self.call(requests.assign(node_id, role), Empty)

    def remove(self, node_id: int) -> None:
        self.call(requests.remove(node_id), Empty)

    def transfer(self, node_id: int) -> None:
        """Hand leadership to ``node_id``."""
        self.call(requests.transfer(node_id), Empty)

    def describe(self) -> Metadata:
        """This node's failure domain and weight."""
        return self.call(requests.describe(), Metadata)

    def weight(self, weight: int) -> None:
        """Set this node's weight (the election preference of go-dqlite's app)."""
        self.call(requests.weight(weight), Empty)

    def dump(self, database: str) -> list[tuple[str, bytes]]:
        """The database file and its WAL as ``[(name, bytes), ...]``."""
        return list(self.call(requests.dump(database), Files).files)


__all__ = ["Connection", "ConnectError", "DEFAULT_TIMEOUT", "Server"]
