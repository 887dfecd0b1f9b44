"""A socket to one node: dialing, the handshake, and reading whole frames.

Frames are read into one growing buffer with ``recv_into`` so that a stream of
small ROWS frames costs one system call per many frames, not two per frame.
"""

from __future__ import annotations

import errno
import select
import socket
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from dqlite_shell.address import Address, AddressError, parse_address
from dqlite_shell.client.errors import (
    BrokenPeer,
    ConnectError,
    ConnectionLost,
    NotDqlite,
    NotTLS,
    RequestNotSent,
    RequestTimeout,
    TLSError,
    TLSHungUp,
    TLSRequired,
    seconds,
)
from dqlite_shell.wire.constants import MAX_BODY_SIZE, ResponseType
from dqlite_shell.wire.errors import ProtocolError
from dqlite_shell.wire.frames import HEADER, encode_handshake

if TYPE_CHECKING:
    import ssl as _ssl

_HEADER_UNPACK = HEADER.unpack_from  # frames are parsed here, not by parse_header: speed
_RECV_SIZE = 256 * 1024
_MAX_RESPONSE_TYPE = max(ResponseType)
#: Once a message has begun, its bytes arrive together; this long a stall
#: inside one is a broken peer (callers may set a tighter bound).
DEFAULT_STALL_TIMEOUT = 10.0


class StillQuiet(RequestTimeout):
    """Nothing arrived within the timeout, and the socket stays open
    (:attr:`Transport.keep_open`)."""


class Transport:
    """A connected, handshaken socket that sends requests and reads frames."""

    def __init__(self, sock: socket.socket, address: str, max_body: int = MAX_BODY_SIZE):
        self.sock = sock
        self.address = address
        self.max_body = max_body
        self._buf = bytearray(_RECV_SIZE)
        self._start = 0  # first unread byte
        self._end = 0  # end of the bytes received
        self._timeout: float | None = None  # silence allowed before an answer begins
        self._tick: float | None = None  # the socket's own timeout (see set_timeout)
        self._quiet_since: float | None = None  # when the current silence began
        #: Silence allowed inside a message once it has begun.
        self.stall_timeout = DEFAULT_STALL_TIMEOUT
        #: True: the answer timeout raises StillQuiet and leaves the socket
        #: open (a grace period that may end in a drain), instead of closing.
        self.keep_open = False
        #: Called as ``on_silence(seconds)`` every ``probe_every`` s of waiting
        #: for an answer to begin; may raise to give up (the socket is closed).
        self.on_silence: Callable[[float], None] | None = None
        self.probe_every = 1.0
        self.closed = False
        self.tls = False
        self._answered = False  # any byte received yet (TLS mismatches show before)
        self._frames = 0  # frames read (the first one tells whether the peer speaks dqlite)

    @classmethod
    def dial(cls, address: str, timeout: float = 5.0,
             ssl_context: _ssl.SSLContext | None = None,
             server_hostname: str | None = None) -> Transport:
        """Connect to ``address``, optionally wrap it in TLS, send the handshake."""
        try:
            addr = parse_address(address)
        except AddressError as e:
            raise ConnectError(str(e)) from None
        try:
            sock = _connect(addr, timeout)
        except OSError as e:
            raise ConnectError(f"cannot connect to {address}: {_reason(e)}") from None
        if ssl_context is not None:
            try:
                hostname = server_hostname or (None if addr.is_abstract else addr.host)
                sock = ssl_context.wrap_socket(sock, server_hostname=hostname)
            except OSError as e:
                sock.close()
                failed = NotTLS if _plain_peer(e) else TLSError
                raise failed(f"{address}: TLS handshake failed: {_tls_reason(e)}") from None
        transport = cls(sock, address)
        transport.tls = ssl_context is not None
        transport.send(encode_handshake())
        return transport

    def set_timeout(self, timeout: float | None) -> None:
        """How long an answer may take to begin (None: for ever).

        The socket itself wakes up more often (the stall bound, the silence
        probe), so that a broken peer is noticed; see :meth:`_waited`.
        """
        if timeout != self._timeout:
            self._timeout = timeout
            self._set_tick()

    def _set_tick(self) -> None:
        tick = self._timeout
        for bound in (self.stall_timeout, self.probe_every if self.on_silence else None):
            if bound is not None and (tick is None or bound < tick):
                tick = bound
        if tick != self._tick:
            self.sock.settimeout(tick)
            self._tick = tick

    def watch(self, on_silence: Callable[[float], None] | None, every: float = 1.0) -> None:
        """Call ``on_silence(seconds)`` every ``every`` s while an answer has
        not begun (None stops it)."""
        self.on_silence, self.probe_every = on_silence, every
        self._set_tick()

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except TimeoutError:
            # Part of the request may be in the socket: the connection is
            # unusable, but the node never had the whole request.
            self.close()
            raise RequestNotSent(f"{self.address} did not accept the request in time") from None
        except OSError as e:
            self.close()
            if not self._answered:
                self._first_read_failed(e)
            raise RequestNotSent(f"connection to {self.address} lost: {_reason(e)}") from None

    def read_frame(self) -> tuple[int, int, bytes]:
        """Read one whole frame: ``(type, schema, body)``."""
        buf = self._buf
        while True:
            avail = self._end - self._start
            if avail >= 8:
                words, msg_type, schema, _ = _HEADER_UNPACK(buf, self._start)
                size = words * 8
                if not self._frames and (size > self.max_body or msg_type > _MAX_RESPONSE_TYPE):
                    self._not_dqlite(msg_type, size)
                if size > self.max_body:
                    self.close()
                    raise ProtocolError(f"{self.address} announced a {size}-byte message "
                                        f"(limit {self.max_body})")
                if avail >= 8 + size:
                    begin = self._start + 8
                    self._start = begin + size
                    self._frames += 1
                    return msg_type, schema, bytes(buf[begin:self._start])
                self._make_room(8 + size)
            self._fill()

    def _make_room(self, frame_size: int) -> None:
        if self._start and self._start + frame_size > len(self._buf):
            # Move the partial frame to the front.
            pending = self._end - self._start
            self._buf[:pending] = self._buf[self._start:self._end]
            self._start, self._end = 0, pending
        if frame_size > len(self._buf):
            self._buf.extend(bytes(frame_size - len(self._buf)))

    def _fill(self) -> None:
        if self._start == self._end:
            self._start = self._end = 0
        elif self._end == len(self._buf):
            self._make_room(len(self._buf))
        try:
            n = self.sock.recv_into(memoryview(self._buf)[self._end:])
        except TimeoutError:
            self._waited()
            return
        except OSError as e:
            self.close()
            if not self._answered:
                self._first_read_failed(e)
            raise ConnectionLost(f"connection to {self.address} lost: {_reason(e)}") from None
        if n == 0:
            partial = self._end - self._start
            self.close()
            if not self._answered:
                self._first_read_failed(None)
            where = f" in the middle of a message ({partial} bytes read)" if partial else ""
            raise ConnectionLost(f"{self.address} closed the connection{where}")
        self._end += n
        self._answered = True
        self._quiet_since = None

    def _waited(self) -> None:
        """The socket's timeout passed with nothing received: decide whether
        to go on waiting (return) or give up (close and raise)."""
        now = time.monotonic()
        if self._quiet_since is None:
            self._quiet_since = now - (self._tick or 0.0)
        quiet = now - self._quiet_since
        partial = self._end - self._start
        if self.keep_open and self._timeout is not None and quiet >= self._timeout:
            self._quiet_since = None
            raise StillQuiet(f"{self.address}: nothing within {seconds(self._timeout)} s")
        try:
            if partial and quiet >= self.stall_timeout:
                raise BrokenPeer(f"{self.address} stopped sending in the middle of a message "
                                 f"({partial} bytes read, then nothing for {seconds(quiet)} s): "
                                 "a broken peer")
            if self._timeout is not None and quiet >= self._timeout:
                raise RequestTimeout(f"{self.address} did not answer within "
                                     f"{seconds(self._timeout)} s")
            if self.on_silence is not None and not partial:
                self.on_silence(quiet)
        except BaseException:
            self.close()
            raise

    def _not_dqlite(self, msg_type: int, size: int) -> None:
        """The first answer's header makes no sense: name what is there."""
        head = bytes(self._buf[self._start:min(self._end, self._start + 32)])
        self.close()
        text = head.split(b"\r")[0].split(b"\n")[0].decode("ascii", "replace")
        if len(text) >= 4 and text.isprintable():
            shown = f"it answered {text!r}"
        else:
            shown = f"message type {msg_type}, {size} bytes announced, limit {self.max_body}"
        raise NotDqlite(f"{self.address} does not speak the dqlite protocol ({shown})")

    def _first_read_failed(self, error: OSError | None) -> None:
        """Name a TLS mismatch when the node hangs up before its first answer.

        A TLS node drops a plaintext client after failing the handshake (it
        read our protocol version as a ClientHello); with TLS 1.3 a node that
        refuses our certificate says so only after our handshake returned,
        in an alert on the first read.
        """
        ssl = sys.modules.get("ssl")
        if self.tls:
            if (ssl is not None and isinstance(error, ssl.SSLError)
                    and "ALERT" in (error.reason or "")):
                raise TLSError(f"{self.address}: TLS handshake failed: the node refused our "
                               f"certificate ({_tls_reason(error)})")
            if ssl is not None and isinstance(error, ssl.SSLEOFError):
                # Hung up without close_notify, the alert lost on the way.
                raise TLSHungUp(f"{self.address}: TLS handshake failed: the node hung up")
        elif error is None or error.errno in (errno.ECONNRESET, errno.EPIPE):
            raise TLSRequired(f"{self.address} closed the connection before answering: "
                              f"the node may require TLS")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass


def _connect(addr: Address, timeout: float) -> socket.socket:
    if addr.is_abstract:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(addr.sockaddr())
        except OSError:
            sock.close()
            raise
        return sock
    # An ASCII name as bytes (getaddrinfo takes them; typeshed says str): it
    # would encode a str with the idna codec (the same bytes for an ASCII
    # name) and load the codec, ~2 ms of a start.
    host = addr.host.encode("ascii") if addr.host.isascii() else addr.host
    sock = socket.create_connection((host, addr.port), timeout=timeout)  # type: ignore[arg-type]
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # A host that vanished (power, network) is noticed in about 11 s even
    # when nothing else would notice it.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in _KEEPALIVE:
        sock.setsockopt(socket.IPPROTO_TCP, option, value)
    return sock


_KEEPALIVE = [(getattr(socket, name), value) for name, value in
              (("TCP_KEEPIDLE", 5), ("TCP_KEEPINTVL", 2), ("TCP_KEEPCNT", 3))
              if hasattr(socket, name)]


def _plain_peer(e: OSError) -> bool:
    """Whether a failed TLS handshake met a node that does not speak TLS: a
    plain node reads our ClientHello as a protocol version and hangs up."""
    ssl = sys.modules["ssl"]
    if isinstance(e, ssl.SSLCertVerificationError):
        return False
    return isinstance(e, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError,
                          BrokenPipeError)) or (
        isinstance(e, ssl.SSLError) and e.reason == "WRONG_VERSION_NUMBER")


def _tls_reason(e: OSError) -> str:
    """Why a TLS handshake failed, for people."""
    ssl = sys.modules["ssl"]
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {e.verify_message}"
    if _plain_peer(e):
        return "the node does not speak TLS"
    if isinstance(e, ssl.SSLError) and e.reason:
        return e.reason.lower().replace("_", " ")
    return _reason(e)


def _reason(e: OSError) -> str:
    if isinstance(e, socket.timeout):
        return "timed out"
    if e.errno == errno.ECONNREFUSED:
        return "connection refused"
    return e.strerror or str(e)


def peer_closed(transport: Transport) -> bool:
    """True when the server has already closed this idle connection.

    A request sent on such a socket would be lost without ever running, so
    callers reconnect first instead of reporting an unknown outcome.
    """
    if transport.closed:
        return True
    sock = transport.sock
    ssl = sys.modules.get("ssl")  # no ssl module loaded: no TLS socket
    if ssl is not None and isinstance(sock, ssl.SSLSocket):
        return _tls_peer_closed(transport, ssl)
    try:
        # select first: recv on a socket with a timeout would wait for it.
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        data = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return False
    except (OSError, ValueError):
        return True
    return data == b""


def _tls_peer_closed(transport: Transport, ssl) -> bool:
    """:func:`peer_closed` for TLS, which has no MSG_PEEK: a readable idle
    socket carries either TLS housekeeping (TLS 1.3 session tickets, read and
    dropped here), the end of the connection, or stray data, which leaves the
    connection unusable."""
    sock = cast("_ssl.SSLSocket", transport.sock)  # peer_closed checked isinstance
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable and not sock.pending():
            return False
        timeout = sock.gettimeout()
        sock.setblocking(False)
        try:
            sock.recv(1)
        finally:
            sock.settimeout(timeout)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    except (OSError, ValueError):
        transport.close()
        return True
    transport.close()  # b"" (closed) or a byte nobody asked for
    return True
