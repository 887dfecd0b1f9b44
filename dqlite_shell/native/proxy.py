"""A TCP front for a node that libdqlite cannot bind itself.

libdqlite 1.11 binds IPv4 and abstract unix sockets only. For any other
listening address (IPv6 today, TLS in the app layer) the node binds a private
abstract socket and this proxy listens on the public address, copying bytes
both ways. Abstract sockets accept peers from the same process only, which the
proxy is. ``wrap`` (e.g. an ``ssl`` server context's ``wrap_socket``) is
applied to each accepted connection before bytes flow.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from dqlite_shell.address import Address

log = logging.getLogger(__name__)

_CHUNK = 256 * 1024


class Proxy:
    """Listen on ``listen`` and connect each client to ``target``."""

    def __init__(self, listen: Address, target: Address,
                 wrap: Callable[[socket.socket], socket.socket] | None = None):
        self.listen = listen
        self.target = target
        self.wrap = wrap
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._closing = False

    def start(self) -> None:
        sock = socket.socket(self.listen.family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(self.listen.sockaddr())
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self._listener = sock
        self._closing = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"dqlite-proxy {self.listen}")
        self._thread.start()

    def _accept_loop(self) -> None:
        listener = self._listener  # stop() sets the attribute to None
        if listener is None:
            return
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.wrap is not None:
                client = self.wrap(client)
            upstream = socket.socket(self.target.family, socket.SOCK_STREAM)
            upstream.connect(self.target.sockaddr())
        except OSError as e:
            log.debug("proxy %s: dropping a client: %s", self.listen, e)
            client.close()
            if upstream is not None:
                upstream.close()
            return
        with self._lock:
            if self._closing:
                client.close()
                upstream.close()
                return
            self._conns.update((client, upstream))
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()
        with self._lock:
            self._conns.difference_update((client, upstream))
        client.close()
        upstream.close()

    def stop(self) -> None:
        """Stop listening and cut every connection."""
        with self._lock:
            self._closing = True
            conns, self._conns = list(self._conns), set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


def _pump(src: socket.socket, dst: socket.socket) -> None:
    """Copy src to dst until either side closes, then half-close dst."""
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    try:
        while True:
            n = src.recv_into(buf)
            if not n:
                break
            dst.sendall(view[:n])
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def dial(address: str, timeout: float = 5.0) -> socket.socket:
    """Connect to a node address of any family (used for Raft traffic)."""
    from dqlite_shell.address import parse_address
    addr = parse_address(address)
    if addr.is_abstract:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(addr.sockaddr())
    else:
        sock = socket.create_connection((addr.host, addr.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(None)
    return sock
