"""A real dqlite node running in this process, through libdqlite.

The node's own thread (started by libdqlite) serves clients and Raft peers;
the Python object only creates, starts, stops and destroys it.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from dqlite_shell.address import Address, AddressError, parse_address
from dqlite_shell.native.errors import NodeError
from dqlite_shell.native.library import has, load, require
from dqlite_shell.native.proxy import Proxy
from dqlite_shell.native.proxy import dial as default_dial
from dqlite_shell.wire.constants import Role

log = logging.getLogger(__name__)

#: The id with which a node bootstraps a new single-node cluster when its data
#: dir is new (libdqlite bootstraps ids 1 and this one, ``raft_digest("1", 0)``,
#: which is also go-dqlite's ``BootstrapID``).
BOOTSTRAP_ID = 0x2DC171858C3155BE

#: Signals a Python program may handle. The threads a node starts (libdqlite's
#: loop, libuv's pool, the proxy) block them, so the kernel gives them to a
#: thread that runs Python's handlers at once: taken by libdqlite's loop, a
#: SIGTERM waited for the main thread's next bytecode (forever, in a blocking
#: read). Faults (SIGSEGV, ...) stay unblocked: they belong to the thread.
_ASYNC_SIGNALS = frozenset(getattr(signal, name) for name in (
    "SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD",
    "SIGWINCH", "SIGPWR", "SIGTSTP", "SIGCONT") if hasattr(signal, name))


@contextmanager
def signals_left_to_python() -> Iterator[None]:
    """Threads started inside block :data:`_ASYNC_SIGNALS` (threads inherit
    the mask of the thread that starts them); this thread's mask comes back."""
    saved = signal.pthread_sigmask(signal.SIG_BLOCK, _ASYNC_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)


#: Options of later libdqlite releases: keyword -> (symbol, what errors call it).
#: Each is checked against the loaded library's symbols when a Node is made.
OPTIONS = {
    "busy_timeout_ms": ("dqlite_node_set_busy_timeout", "the busy timeout"),
    "snapshot_compression": ("dqlite_node_set_snapshot_compression", "snapshot compression"),
    "auto_recovery": ("dqlite_node_set_auto_recovery", "auto-recovery"),
    "block_size": ("dqlite_node_set_block_size", "the block size"),
}

#: The sizes dqlite_node_set_block_size takes (it answers only DQLITE_ERROR).
BLOCK_SIZES = tuple(512 << i for i in range(10))  # 512 B to 256 KiB


class Node:
    """One dqlite node: id, address and data dir.

    ``address`` is what clients and peers dial: ``host:port`` (IPv4),
    ``[v6]:port`` or ``@name`` (an abstract unix socket, reachable only from
    this process; ``@`` alone picks a unique name, read it from
    :attr:`address`). libdqlite 1.11 binds IPv4 and abstract sockets only, so
    for IPv6 the node binds a private abstract socket and a :class:`Proxy`
    serves the public address.

    ``dial(address) -> socket`` replaces libdqlite's connect function for
    Raft traffic to peers (it must return a connected, blocking socket whose
    fd libdqlite then owns); IPv6 nodes get a Python dialer by default, since
    libdqlite's own dials IPv4 only. ``bind_address`` makes the node listen
    there instead of on ``address`` (which stays its identity in the Raft
    configuration): the app's TLS proxy serves ``address`` and forwards to an
    abstract ``bind_address``. ``node_id`` defaults to
    :data:`BOOTSTRAP_ID`, so a node started on a new dir forms a new cluster.

    Options of later releases, each refused with :class:`NodeError` naming
    the release that has it when the loaded libdqlite lacks its symbol:

    * ``busy_timeout_ms`` (1.18.2+): how long a write waits in the node's
      write queue for the database lock before failing with SQLITE_BUSY (the
      library's default, 0, fails at once as older releases do);
    * ``snapshot_compression`` (1.16.2+): LZ4-compress Raft snapshots on disk
      (on by default where liblz4 was built in);
    * ``auto_recovery`` (1.16.0+): at start, delete data files found corrupt
      (on by default): a node starts in more cases, possibly losing data;
    * ``block_size`` (1.15.0+): the I/O block size of Raft log segments, one
      of :data:`BLOCK_SIZES`.

    :meth:`start`, :meth:`stop` and :meth:`close` are idempotent; a stopped
    node can be started again (same dir, same id). Usable as a context manager.
    """

    def __init__(self, address: str, data_dir: str | os.PathLike, *,
                 node_id: int | None = None,
                 network_latency_ms: int | None = None,
                 failure_domain: int | None = None,
                 snapshot_params: tuple[int, int] | None = None,
                 dial: Callable[[str], socket.socket] | None = None,
                 bind_address: str | None = None,
                 busy_timeout_ms: int | None = None,
                 snapshot_compression: bool | None = None,
                 auto_recovery: bool | None = None,
                 block_size: int | None = None):
        self._parsed = _bindable(address)
        self.address = str(self._parsed)
        self._bind = self._parsed
        self._proxy = None
        if bind_address is not None:
            # Someone else (the app's TLS proxy) serves ``address``.
            self._bind = _bindable(bind_address)
        elif self._parsed.family == socket.AF_INET6:
            self._bind = _private_abstract()
            self._proxy = Proxy(self._parsed, self._bind)
            dial = dial or default_dial
        self.dial = dial
        self._connect_cb = None
        self.data_dir = os.fspath(data_dir)
        self.id = BOOTSTRAP_ID if node_id is None else int(node_id)
        self.network_latency_ms = network_latency_ms
        self.failure_domain = failure_domain
        self.snapshot_params = snapshot_params
        _check_options(network_latency_ms, snapshot_params)
        load()  # fail here, in one line, when libdqlite is missing
        self.options = _later_options(busy_timeout_ms=busy_timeout_ms,
                                      snapshot_compression=snapshot_compression,
                                      auto_recovery=auto_recovery, block_size=block_size)
        self._lock = threading.Lock()
        self._node = None  # the dqlite_node*, while created
        self._running = False

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"<Node {self.id:#x} {self.address} {self.data_dir} {state}>"

    @property
    def bind_address(self) -> str:
        """Where libdqlite itself listens (``address`` unless a proxy serves it)."""
        return str(self._bind)

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Create and start the node; a no-op when it is running."""
        with self._lock:
            if self._running:
                return
            ffi, lib = load()
            if not os.path.isdir(self.data_dir):
                raise NodeError(f"data dir {self.data_dir} does not exist or is not a directory",
                                code=errno.ENOENT)
            if not os.access(self.data_dir, os.W_OK | os.X_OK):
                raise NodeError(f"data dir {self.data_dir} is not writable", code=errno.EACCES)
            _check_free(self._bind)
            if self._proxy is not None:  # our own proxy will bind the public address
                _check_free(self._parsed)
            self._create(ffi, lib)
            try:
                self._configure(ffi, lib)
                with signals_left_to_python():
                    rv = lib.dqlite_node_start(self._node)
                if rv != 0:
                    raise NodeError(f"cannot start node {self.address}", rv, self._errmsg(ffi, lib))
            except BaseException:
                lib.dqlite_node_destroy(self._node)
                self._node = None
                raise
            if self._proxy is not None:
                try:
                    with signals_left_to_python():
                        self._proxy.start()
                except OSError as e:
                    lib.dqlite_node_stop(self._node)
                    lib.dqlite_node_destroy(self._node)
                    self._node = None
                    raise NodeError(f"cannot bind {self.address}: {e.strerror}", code=1) from None
            self._running = True
            log.debug("started node %#x at %s in %s", self.id, self.address, self.data_dir)

    def _create(self, ffi, lib) -> None:
        out = ffi.new("dqlite_node **")
        rv = lib.dqlite_node_create(self.id, self.address.encode(), self.data_dir.encode(), out)
        if rv != 0:
            raise NodeError(f"cannot create node {self.address} in {self.data_dir}", code=rv)
        self._node = out[0]

    def _configure(self, ffi, lib) -> None:
        def check(rv, what):
            if rv != 0:
                raise NodeError(f"cannot set {what} of node {self.address}", rv,
                                self._errmsg(ffi, lib))

        if self.network_latency_ms is not None:
            check(lib.dqlite_node_set_network_latency_ms(self._node, self.network_latency_ms),
                  "network latency")
        if self.failure_domain is not None:
            check(lib.dqlite_node_set_failure_domain(self._node, self.failure_domain),
                  "failure domain")
        if self.snapshot_params is not None:
            threshold, trailing = self.snapshot_params
            check(lib.dqlite_node_set_snapshot_params(self._node, threshold, trailing),
                  "snapshot params")
        for name, value in self.options.items():
            symbol, what = OPTIONS[name]
            check(getattr(lib, symbol)(self._node, value), what)
        if self.dial is not None:
            self._connect_cb = ffi.callback("int(void *, const char *, int *)",
                                            self._connect_peer)
            check(lib.dqlite_node_set_connect_func(self._node, self._connect_cb, ffi.NULL),
                  "connect function")
        rv = lib.dqlite_node_set_bind_address(self._node, str(self._bind).encode())
        if rv != 0:
            # Never start a node without a listener: libdqlite aborts the process.
            raise NodeError(f"cannot bind {self.address}", rv, self._errmsg(ffi, lib))

    def _connect_peer(self, _arg, address, fd_out) -> int:
        # Runs on a libuv worker thread: never let an exception escape.
        try:
            ffi, _ = load()
            target = ffi.string(address).decode()
            if self.dial is None:  # only registered with a dial function
                return 1
            sock = self.dial(target)
            sock.setblocking(True)
            fd_out[0] = sock.detach()
            return 0
        except Exception as e:  # noqa: BLE001 - reported to raft as a failed dial
            log.debug("node %s: cannot dial peer: %s", self.address, e)
            return 1

    def _errmsg(self, ffi, lib) -> str:
        if self._node is None:
            return ""
        msg = lib.dqlite_node_errmsg(self._node)
        return ffi.string(msg).decode(errors="replace") if msg != ffi.NULL else ""

    def stop(self) -> None:
        """Stop the node and free it; committed data stays in the data dir."""
        with self._lock:
            if self._node is None:
                return
            ffi, lib = load()
            if self._proxy is not None:
                self._proxy.stop()
            try:
                if self._running:
                    rv = lib.dqlite_node_stop(self._node)
                    if rv != 0:
                        log.warning("node %s stopped with code %d: %s", self.address, rv,
                                    self._errmsg(ffi, lib))
            finally:
                lib.dqlite_node_destroy(self._node)
                self._node = None
                self._running = False

    close = stop

    def recover(self, nodes: Sequence[tuple[int, str, str | int]]) -> None:
        """Force the cluster configuration to ``nodes`` (id, address, role).

        For disaster recovery only (``dqlite_node_recover_ext``); the node must
        be stopped.
        """
        _check_configuration(nodes)
        with self._lock:
            if self._running:
                raise NodeError("recover needs a stopped node", code=2)
            ffi, lib = load()
            self._create(ffi, lib)
            try:
                infos = ffi.new("dqlite_node_info_ext[]", len(nodes))
                keep = []
                for info, (node_id, address, role) in zip(infos, nodes, strict=True):
                    addr = ffi.new("char[]", address.encode())
                    keep.append(addr)
                    info.size = ffi.sizeof("dqlite_node_info_ext")
                    info.id = node_id
                    info.address = int(ffi.cast("uintptr_t", addr))
                    info.dqlite_role = int(Role.parse(role))
                rv = lib.dqlite_node_recover_ext(self._node, infos, len(nodes))
                if rv != 0:
                    raise NodeError(f"cannot recover node {self.address}", rv,
                                    self._errmsg(ffi, lib))
            finally:
                lib.dqlite_node_destroy(self._node)
                self._node = None

    def _read_snapshots_as_written(self, lib) -> None:
        """1.18's raft reads a snapshot as its compression setting says (LZ4 by
        default), not as the file is: a dir written without compression then
        fails to load. Unless the option was given, set it to what the newest
        snapshot is."""
        if "snapshot_compression" in self.options:
            lib.dqlite_node_set_snapshot_compression(self._node,
                                                     self.options["snapshot_compression"])
            return
        from dqlite_shell.offline.snapshots import newest_is_compressed
        compressed = newest_is_compressed(self.data_dir)
        if compressed is not None and has("dqlite_node_set_snapshot_compression"):
            lib.dqlite_node_set_snapshot_compression(self._node, compressed)

    def describe_last_entry(self) -> tuple[int, int]:
        """``(index, term)`` of the last Raft log entry persisted in the data
        dir (libdqlite 1.17.0+), for a stopped node.

        Of the nodes of a cluster that lost its quorum, the most up to date
        has the highest term, then the highest index: the one to keep in
        :meth:`recover`. libdqlite may delete invalid segment files while
        reading them unless the node was made with ``auto_recovery=False``.
        """
        require("dqlite_node_describe_last_entry", "describing the last entry")
        with self._lock:
            if self._running:
                raise NodeError("describing the last entry needs a stopped node", code=2)
            if not os.path.isdir(self.data_dir):
                raise NodeError(f"data dir {self.data_dir} does not exist or is not a directory",
                                code=errno.ENOENT)
            ffi, lib = load()
            self._create(ffi, lib)
            try:
                if "auto_recovery" in self.options:
                    lib.dqlite_node_set_auto_recovery(self._node, self.options["auto_recovery"])
                self._read_snapshots_as_written(lib)
                index, term = ffi.new("uint64_t *"), ffi.new("uint64_t *")
                rv = lib.dqlite_node_describe_last_entry(self._node, index, term)
                if rv != 0:
                    raise NodeError(f"cannot read the last entry in {self.data_dir}", rv,
                                    self._errmsg(ffi, lib))
                return int(index[0]), int(term[0])
            finally:
                lib.dqlite_node_destroy(self._node)
                self._node = None

    def __enter__(self) -> Node:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_configuration(nodes) -> None:
    """libdqlite 1.11 aborts the process on a duplicate id or address in
    dqlite_node_recover_ext (it asserts), so those are refused here."""
    if not nodes:
        raise NodeError("a cluster configuration needs at least one node", code=2)
    ids, addresses = set(), set()
    for node_id, address, role in nodes:
        if node_id in ids or address in addresses:
            raise NodeError(f"node {node_id:#x} at {address} is listed twice", code=2)
        try:
            Role.parse(role)
        except ValueError:
            raise NodeError(f"node {node_id:#x}: unknown role {role!r}", code=2) from None
        ids.add(node_id)
        addresses.add(address)


def _check_options(latency_ms, snapshot_params) -> None:
    """Name the bad value here: libdqlite only answers DQLITE_MISUSE."""
    if latency_ms is not None and not 1 <= latency_ms <= 3_600_000:
        raise NodeError(f"network latency must be 1 to 3600000 ms, not {latency_ms}", code=2)
    if snapshot_params is not None:
        threshold, trailing = snapshot_params
        if trailing < 4 or trailing < threshold:
            raise NodeError(f"snapshot trailing ({trailing}) must be at least 4 and at least "
                            f"the threshold ({threshold})", code=2)


def _later_options(**given) -> dict:
    """The options given (not None), checked: the loaded library has each
    one's symbol, and values libdqlite would only answer MISUSE/ERROR to are
    named here."""
    options = {name: value for name, value in given.items() if value is not None}
    for name in options:
        symbol, what = OPTIONS[name]
        require(symbol, what)
    timeout = options.get("busy_timeout_ms")
    if timeout is not None and not 0 <= timeout <= 0xFFFFFFFF:
        raise NodeError(f"busy timeout must be 0 to 4294967295 ms, not {timeout}", code=2)
    size = options.get("block_size")
    if size is not None and size not in BLOCK_SIZES:
        raise NodeError(f"block size must be one of {', '.join(map(str, BLOCK_SIZES))}, "
                        f"not {size}", code=2)
    for flag in ("snapshot_compression", "auto_recovery"):
        if flag in options:
            options[flag] = bool(options[flag])
    return options


def _bindable(address: str) -> Address:
    try:
        parsed = parse_address(address)
    except AddressError as e:
        raise NodeError(str(e), code=2) from None
    if parsed.is_abstract and not parsed.host:
        # Not libdqlite's autobind: Raft must know the node's address before
        # it binds, so the name is chosen here.
        return _private_abstract()
    if parsed.family == socket.AF_INET:
        try:
            resolved = socket.gethostbyname(parsed.host)
        except OSError:
            raise NodeError(f"cannot bind {address}: unknown host {parsed.host!r}",
                            code=2) from None
        parsed = Address(socket.AF_INET, resolved, parsed.port)
    return parsed


def _private_abstract() -> Address:
    return Address(socket.AF_UNIX, f"dqlite-{os.getpid()}-{secrets.token_hex(6)}")


def _check_free(addr: Address) -> None:
    """Fail with a clear error when the address is taken.

    libdqlite's own bind reports only "error"; checking first names the cause.
    """
    with socket.socket(addr.family, socket.SOCK_STREAM) as s:
        if not addr.is_abstract:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr.sockaddr())
        except OSError as e:
            reason = "address already in use" if e.errno == errno.EADDRINUSE else e.strerror
            raise NodeError(f"cannot bind {addr}: {reason}", code=1) from None
