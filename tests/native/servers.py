"""The dqlite servers of the test matrix and where their libraries are.

"1.11" is the system's libdqlite (Debian's 1.11.1); "1.17" and "1.18" are
built by ``make servers`` (``native/build-servers.sh``) into
``.cache/dqlite/<version>/``. A process picks one with
``DQLITE_SHELL_LIBDQLITE``.

The whole suite runs once per server (``make test``): ``DQLITE_SHELL_SERVER``
names the server of a run (default 1.11), and :data:`CURRENT` is it. What a
test expects from a server follows from ``CURRENT.level`` (the capability
range of dqlite_shell/client/capabilities.py), never from a version compare
written in the test.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dqlite_shell.client.capabilities import AUTHORIZER, MIDDLE, OLD

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: Where ``make servers`` builds (its SERVERS_CACHE).
CACHE = os.environ.get("DQLITE_SHELL_SERVERS_CACHE", os.path.join(ROOT, ".cache", "dqlite"))


@dataclass(frozen=True)
class Server:
    """One server of the matrix: ``name`` ("1.18"), its release, its library
    (a path, or the system's soname) and the dir holding its ``dqlite.h``."""

    name: str
    release: str
    library: str
    include_dir: str
    prefix: str | None  # None: the system's
    level: int  # what the client's capability probes find (capabilities.RANGES)

    @property
    def present(self) -> bool:
        if self.prefix is None:
            return os.path.exists(os.path.join(self.include_dir, "dqlite.h"))
        return os.path.exists(self.library) and os.path.exists(
            os.path.join(self.include_dir, "dqlite.h"))

    def env(self) -> dict:
        """The environment of a child process that loads this server."""
        return {**os.environ, "DQLITE_SHELL_LIBDQLITE": self.library}


def _built(name: str, release: str, level: int) -> Server:
    prefix = os.path.join(CACHE, release)
    return Server(name, release, os.path.join(prefix, "lib", "libdqlite.so.0"),
                  os.path.join(prefix, "include"), prefix, level)


SERVERS = {
    "1.11": Server("1.11", "1.11.1", "libdqlite.so.0", "/usr/include", None, OLD),
    "1.17": _built("1.17", "1.17.3", MIDDLE),
    "1.18": _built("1.18", "1.18.6", AUTHORIZER),
}
#: The server this test run is for (DQLITE_SHELL_SERVER, default 1.11).
CURRENT = SERVERS[os.environ.get("DQLITE_SHELL_SERVER") or "1.11"]
#: The servers built from ../shared/dqlite.
BUILT = ("1.17", "1.18")


def environment(server: Server) -> dict:
    """The environment of a child process that loads ``server``'s library."""
    return dict(os.environ, DQLITE_SHELL_LIBDQLITE=server.library)


def require(server: Server) -> Server:
    """``server`` when it is there; else skip (fail in CI, where
    ``make test`` must have built it)."""
    import pytest

    from tests.conftest import IN_CI
    if not server.present:
        what = ("the system's libdqlite-dev" if server.prefix is None else
                f"dqlite {server.release} ({server.library}; `make servers` builds it "
                f"from ../shared/dqlite)")
        if IN_CI:
            pytest.fail(f"CI must test on {what}")
        pytest.skip(f"{what} is not there")
    return server
