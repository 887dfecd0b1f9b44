"""A TLS front for an in-process node, as go-dqlite's app does it.

The native node listens on a private abstract unix socket (reachable only
from this process); :class:`TLSFront` listens on the node's public TCP address,
does the TLS handshake with each client or peer and copies bytes both ways.
Outgoing Raft connections go through :meth:`TLSFront.dial`, which hands
libdqlite one end of a socketpair whose other end is piped over TLS.

Everything runs on one asyncio event loop thread per front: asyncio's TLS is
MemoryBIO based and single-threaded, whereas an ``SSLSocket`` read and written
by two threads at once is not safe.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import secrets
import socket
import ssl
import threading

from dqlite_shell.address import Address, AddressError, parse_address
from dqlite_shell.app.tls import TLSConfig
from dqlite_shell.native.errors import NodeError

log = logging.getLogger(__name__)

_CHUNK = 256 * 1024
#: How long a client may take over its TLS handshake before it is dropped.
HANDSHAKE_TIMEOUT = 10.0
#: How long :meth:`TLSFront.dial` waits for a peer's TCP connect and handshake.
DIAL_TIMEOUT = 5.0


class TLSFront:
    """Serve ``address`` (``host:port`` or ``[v6]:port``) over TLS for a node.

    The node must bind :attr:`bind_address` and dial peers with :meth:`dial`.
    :meth:`start` binds and serves; :meth:`stop` (idempotent) cuts everything.
    """

    def __init__(self, address: str, tls, *, dial_timeout: float = DIAL_TIMEOUT,
                 handshake_timeout: float = HANDSHAKE_TIMEOUT):
        try:
            self.address: Address = parse_address(address)
        except AddressError as e:
            raise NodeError(str(e), code=2) from None
        if self.address.is_abstract:
            raise NodeError(f"TLS needs a TCP address, not {address}", code=2)
        config = TLSConfig.coerce(tls)
        if config is None:
            raise TypeError("TLSFront needs a TLSConfig")
        self.tls: TLSConfig = config
        self.bind_address = f"@dqlite-{os.getpid()}-{secrets.token_hex(6)}"
        self.dial_timeout = dial_timeout
        self.handshake_timeout = handshake_timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task] = set()  # touched on the loop thread only

    def __repr__(self) -> str:
        state = "serving" if self._loop is not None else "stopped"
        return f"<TLSFront {self.address} -> {self.bind_address} {state}>"

    @property
    def serving(self) -> bool:
        return self._loop is not None

    # -- life cycle -----------------------------------------------------

    def start(self) -> None:
        """Bind the TCP listener (in this thread, so errors raise here) and serve."""
        with self._lock:
            if self._loop is not None:
                return
            sock = self._listen()
            loop = asyncio.new_event_loop()
            loop.set_exception_handler(_quiet_exceptions)
            thread = threading.Thread(target=_run_loop, args=(loop,), daemon=True,
                                      name=f"dqlite-tls {self.address}")
            thread.start()
            try:
                self._server = asyncio.run_coroutine_threadsafe(
                    asyncio.start_server(self._serve, sock=sock, limit=_CHUNK), loop).result(5)
            except BaseException:
                sock.close()
                loop.call_soon_threadsafe(loop.stop)
                thread.join(5)
                loop.close()
                raise
            self._loop, self._thread = loop, thread
            log.debug("TLS front %s serving %s", self.address, self.bind_address)

    def _listen(self) -> socket.socket:
        addr = self.address
        try:
            host = addr.host if addr.family == socket.AF_INET6 else socket.gethostbyname(addr.host)
        except OSError:
            raise NodeError(f"cannot bind {addr}: unknown host {addr.host!r}", code=2) from None
        sock = socket.socket(addr.family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, addr.port))
            sock.listen(128)
        except OSError as e:
            sock.close()
            reason = "address already in use" if e.errno == errno.EADDRINUSE else e.strerror
            raise NodeError(f"cannot bind {addr}: {reason}", code=1) from None
        sock.setblocking(False)
        return sock

    def stop(self) -> None:
        """Close the listener and every piped connection; idempotent."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None:  # start() sets both
                return
            self._loop = self._thread = None
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(5)
            except Exception as e:  # noqa: BLE001 - stopping must not fail
                log.debug("TLS front %s: unclean shutdown: %s", self.address, e)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
            if not thread.is_alive():
                loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> TLSFront:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- serving clients and peers -----------------------------------

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is None:  # only the tasks serving connections call it
            raise RuntimeError("TLSFront._track called outside a task")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._track()
        peer = writer.get_extra_info("peername")
        node = None
        cut = False
        try:
            # asyncio sets TCP_NODELAY on TCP transports already; dqlite's
            # small requests depend on it, so make sure.
            _nodelay(writer)
            tls = TLSStream(reader, writer, self.tls.server_context(), server_side=True)
            try:
                await asyncio.wait_for(tls.handshake(), self.handshake_timeout)
            except (TimeoutError, OSError) as e:
                # A plaintext client, a wrong CA, a port scanner: drop it only.
                log.debug("TLS front %s: handshake with %s failed: %s", self.address, peer,
                          e or "timed out")
                await _linger(reader, writer)
                return
            try:
                node = await asyncio.open_unix_connection(path="\0" + self.bind_address[1:],
                                                          limit=_CHUNK)
            except OSError as e:
                log.debug("TLS front %s: node unreachable: %s", self.address, e)
                return
            await _pipe(tls, *node)
        except asyncio.CancelledError:
            cut = True  # stop()
        except Exception as e:  # noqa: BLE001 - never let one connection hurt the loop
            log.debug("TLS front %s: connection from %s failed: %s", self.address, peer, e)
        finally:
            _end(writer, cut)
            if node is not None:
                _end(node[1], cut)

    # -- dialing peers --------------------------------------------------

    def dial(self, address: str) -> socket.socket:
        """Connect to a peer's ``address`` over TLS; return a blocking socket
        piped to it (for ``Node(dial=...)``, called from libdqlite's threads).

        Raises ``OSError`` (``ssl.SSLError`` for a failed handshake) when the
        peer cannot be reached; libdqlite then retries the peer later.
        """
        loop = self._loop
        if loop is None:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "the TLS front is stopped")
        addr = parse_address(address)
        if addr.is_abstract:
            raise OSError(errno.EAFNOSUPPORT, f"cannot dial {address} over TLS")
        ours, theirs = socket.socketpair()
        result = _Result()
        future = asyncio.run_coroutine_threadsafe(self._dial(addr, theirs, result), loop)
        try:
            if not result.ready.wait(self.dial_timeout + 1):
                raise TimeoutError(errno.ETIMEDOUT, f"connecting to {address} timed out")
            if result.error is not None:
                raise result.error
        except BaseException:
            future.cancel()
            ours.close()
            theirs.close()
            raise
        ours.setblocking(True)
        return ours

    async def _dial(self, addr: Address, local: socket.socket, result: _Result) -> None:
        self._track()
        remote = pipe = None
        cut = False
        try:
            try:
                remote = await asyncio.wait_for(
                    asyncio.open_connection(addr.host, addr.port, limit=_CHUNK), self.dial_timeout)
                _nodelay(remote[1])
                tls = TLSStream(*remote, self.tls.client_context(), server_side=False)
                await asyncio.wait_for(tls.handshake(), self.dial_timeout)
                pipe = await asyncio.open_connection(sock=local, limit=_CHUNK)
            except TimeoutError:
                result.fail(TimeoutError(errno.ETIMEDOUT, f"connecting to {addr} timed out"))
                return
            except Exception as e:  # noqa: BLE001 - handed to the dialing thread
                result.fail(e if isinstance(e, OSError) else OSError(str(e)))
                return
            result.succeed()
            await _pipe(tls, *pipe)
        except asyncio.CancelledError:
            cut = True
        except Exception as e:  # noqa: BLE001
            log.debug("TLS front %s: link to %s failed: %s", self.address, addr, e)
        finally:
            for conn in (remote, pipe):
                if conn is not None:
                    _end(conn[1], cut)
            if pipe is None:
                local.close()


class _Result:
    """The outcome of a dial, handed from the loop thread to libdqlite's."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def succeed(self) -> None:
        self.ready.set()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.ready.set()


class TLSStream:
    """TLS over an asyncio stream pair, with ``ssl.MemoryBIO``.

    Unlike asyncio's own TLS transport, a failed handshake still sends its
    alert (e.g. "unknown ca") before the connection is dropped, so the other
    side learns why. One coroutine may read while another writes: every
    ``SSLObject`` call runs whole on the loop thread.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 context: ssl.SSLContext, server_side: bool):
        self.reader, self.writer = reader, writer
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        # check_hostname is off on the client side (nodes are dialed by
        # address), so no server name is sent or checked.
        self._obj = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side)

    async def _flush(self) -> None:
        data = self._outgoing.read()
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def _feed(self) -> None:
        data = await self.reader.read(_CHUNK)
        if data:
            self._incoming.write(data)
        else:
            self._incoming.write_eof()

    async def handshake(self) -> None:
        while True:
            try:
                self._obj.do_handshake()
            except ssl.SSLWantReadError:
                await self._flush()
                await self._feed()
                continue
            except ssl.SSLError:
                try:
                    await self._flush()  # the alert that says why
                except OSError:
                    pass
                raise
            await self._flush()
            return

    async def read(self) -> bytes:
        """Decrypted bytes; ``b""`` once the peer has closed."""
        while True:
            try:
                data = self._obj.read(_CHUNK)
            except ssl.SSLWantReadError:
                await self._flush()  # e.g. an answer to a key update
                if self._incoming.eof:
                    return b""
                await self._feed()
                continue
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""
            if self._outgoing.pending:
                await self._flush()
            return data

    async def write(self, data: bytes) -> None:
        self._obj.write(data)
        await self._flush()

    async def close(self) -> None:
        """Send close_notify (without waiting for the peer's) and close."""
        try:
            self._obj.unwrap()
        except ssl.SSLError:
            pass  # SSLWantReadError: the peer's close_notify is not awaited
        try:
            await self._flush()
        except OSError:
            pass
        self.writer.close()


async def _pipe(tls: TLSStream, reader: asyncio.StreamReader,
                writer: asyncio.StreamWriter) -> None:
    """Copy between a TLS stream and a plain one until either side ends, then
    close both (as go-dqlite's proxy does)."""

    async def from_tls() -> None:
        while data := await tls.read():
            writer.write(data)
            await writer.drain()

    async def to_tls() -> None:
        while data := await reader.read(_CHUNK):
            await tls.write(data)

    tasks = [asyncio.ensure_future(from_tls()), asyncio.ensure_future(to_tls())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            log.debug("TLS link ended: %s", task.exception())
    await tls.close()
    writer.close()


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Hang up after a failed handshake so that the peer reads our alert.

    Closing with unread bytes pending sends a reset, which makes the peer's
    kernel drop the alert before it is read; so send FIN and discard what
    still comes, for a moment.
    """
    try:
        if writer.can_write_eof():
            writer.write_eof()
        await asyncio.wait_for(_discard(reader), 1.0)
    except (TimeoutError, OSError):
        pass


async def _discard(reader: asyncio.StreamReader) -> None:
    while await reader.read(_CHUNK):
        pass


def _end(writer: asyncio.StreamWriter, now: bool) -> None:
    """Close a connection: flushing what is queued, or with ``now`` at once."""
    if now:
        writer.transport.abort()
    elif not writer.transport.is_closing():
        writer.close()


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


def _quiet_exceptions(loop, context) -> None:
    # A peer that resets mid-handshake and the like: not worth more than debug.
    log.debug("TLS front: %s: %s", context.get("message"), context.get("exception"))
