"""Free loopback ports that two nodes can never be handed at once.

Asking the kernel for port 0 and closing the socket races: the port is free
again and the same number can go to an outgoing connection or to another
caller before the node binds it. Instead we pick ports *below* the kernel's
ephemeral range (outgoing connections never get those), check that the port
binds, and hold a lock on it: an in-process set plus a Unix socket bound to
the abstract name ``dqlite-shell-port-PORT``, so other processes using this
module skip it too. Only one socket can hold a name; the name lives in no
file system (nothing is left behind, not even after SIGKILL) and is free
again as soon as :func:`release_port` closes the socket or the process ends.
"""

from __future__ import annotations

import random
import socket
import threading

_lock = threading.Lock()
_held: dict[int, socket.socket] = {}  # port -> the socket holding its name


def _claim(port: int) -> socket.socket | None:
    """The socket that now holds ``port``'s name, or None if a process does."""
    holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        holder.bind(f"\0dqlite-shell-port-{port}")
    except OSError:  # EADDRINUSE: another process holds it
        holder.close()
        return None
    return holder


def _candidate_range() -> range:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    if low > 12000:
        return range(10000, low)
    return range(high + 1, 65536)


def _binds(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # libdqlite binds with SO_REUSEADDR, so a port in TIME_WAIT is usable.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def reserve_port(host: str = "127.0.0.1", attempts: int = 200) -> int:
    """Return a free TCP port on ``host`` reserved for the caller."""
    candidates = _candidate_range()
    for _ in range(attempts):
        port = random.choice(candidates)
        with _lock:
            if port in _held:
                continue
            holder = _claim(port)
            if holder is None:
                continue
            if not _binds(host, port):
                holder.close()
                continue
            _held[port] = holder
            return port
    raise RuntimeError(f"no free port found on {host} after {attempts} attempts")


def release_port(port: int) -> None:
    """Give a reserved port back (a no-op for ports not reserved here)."""
    with _lock:
        holder = _held.pop(port, None)
    if holder is not None:
        holder.close()


def reserve_address(host: str = "127.0.0.1") -> str:
    """A reserved ``host:port`` (``[host]:port`` for IPv6) string."""
    port = reserve_port(host)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def wait_for_listener(address: str, timeout: float = 10.0) -> None:
    """Return once something accepts TCP connections on ``host:port``
    (raises TimeoutError after ``timeout`` s): for a server started as a
    child process, which has no other way to say it listens."""
    import time
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {address} after {timeout} s") from None
            time.sleep(0.05)
