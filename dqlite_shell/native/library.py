"""Loading the system's libdqlite at run time (cffi ABI mode).

ABI mode is chosen on purpose (see docs/internals.md, "The native
binding"): the package installs and the client works on machines without
libdqlite or a compiler; only starting nodes needs the library, and a
missing one is reported in one line when a native feature is first used.
"""

from __future__ import annotations

import os
import threading

from dqlite_shell.native._cdef import OPTIONAL, cdef
from dqlite_shell.native.errors import LibraryNotFound, NodeError

#: Tried in order; DQLITE_SHELL_LIBDQLITE (a path or soname) goes first.
LIBRARY_NAMES = ("libdqlite.so.0", "libdqlite.so")

NOT_FOUND = "libdqlite not found: install libdqlite0 (apt-get install libdqlite0)"

_lock = threading.Lock()
_loaded = None


def load():
    """Return ``(ffi, lib)`` for libdqlite, loading it once.

    Raises :class:`LibraryNotFound` with a one-line message when the library
    (or cffi itself) is missing.
    """
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            _loaded = _open()
    return _loaded


def _open():
    try:
        import cffi
    except ImportError:  # pragma: no cover - cffi is a hard dependency
        raise LibraryNotFound(NOT_FOUND + " (and the cffi package is missing)") from None
    ffi = cffi.FFI()
    ffi.cdef(cdef())
    override = os.environ.get("DQLITE_SHELL_LIBDQLITE")
    names = (override,) if override else LIBRARY_NAMES
    for name in names:
        try:
            return ffi, ffi.dlopen(name)
        except OSError:
            continue
    raise LibraryNotFound(NOT_FOUND)


def available() -> bool:
    """True when libdqlite can be loaded."""
    try:
        load()
    except LibraryNotFound:
        return False
    return True


def has(symbol: str) -> bool:
    """True when the loaded libdqlite exports ``symbol`` (one of
    ``_cdef.OPTIONAL``): what a library can do is read from its symbols,
    never from its version number (Debian's 1.11.1 calls itself 1.10.0)."""
    _, lib = load()
    try:
        getattr(lib, symbol)
    except AttributeError:  # cffi's ABI mode resolves a symbol on first use
        return False
    return True


def require(symbol: str, option: str) -> None:
    """Raise :class:`NodeError` naming ``option`` and the first release that
    has ``symbol`` when the loaded libdqlite lacks it."""
    if not has(symbol):
        where = _mapped_file("libdqlite") or "libdqlite"
        raise NodeError(f"{option} needs dqlite {OPTIONAL[symbol][0]} or later "
                        f"({symbol}); the loaded {where} lacks it", code=2)


def version_number() -> int:
    """``dqlite_version_number()``: major*10000 + minor*100 + release."""
    _, lib = load()
    return lib.dqlite_version_number()


def version() -> str:
    """The library version as ``MAJOR.MINOR.RELEASE``."""
    n = version_number()
    return f"{n // 10000}.{n // 100 % 100}.{n % 100}"


def generate_node_id(address: str) -> int:
    """``dqlite_generate_node_id``: a random node id (the address seeds it)."""
    _, lib = load()
    return int(lib.dqlite_generate_node_id(address.encode()))


def version_and_file() -> tuple[str, str | None]:
    """libdqlite's own version number and the file it was loaded from (None
    when that cannot be told: /proc/self/maps is Linux only), without cffi:
    ``dqlite --version`` stays fast (ctypes loads in a few ms, cffi's cdef in
    a hundred and more). Raises LibraryNotFound."""
    import ctypes
    override = os.environ.get("DQLITE_SHELL_LIBDQLITE")
    for name in (override,) if override else LIBRARY_NAMES:
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    else:
        raise LibraryNotFound(NOT_FOUND)
    n = lib.dqlite_version_number()
    return f"{n // 10000}.{n // 100 % 100}.{n % 100}", _mapped_file("libdqlite")


def _mapped_file(part: str) -> str | None:
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.split(None, 5)
                if len(fields) == 6 and part in fields[5]:
                    return fields[5].strip()
    except OSError:
        pass
    return None


def debian_package(path: str, dpkg: str = "/var/lib/dpkg") -> tuple[str, str] | None:
    """``(package, version)`` of the installed Debian package that holds
    ``path``, from dpkg's own files (fast: no dpkg-query), or None.

    libdqlite's own number is not the package's (1.11.1 says 1.10.0), so this
    is what tells which release is loaded.
    """
    import glob
    for listing in glob.glob(os.path.join(dpkg, "info", "*dqlite*.list")):
        try:
            with open(listing, encoding="utf-8", errors="replace") as f:
                if path + "\n" not in f.read():
                    continue
        except OSError:
            continue
        package = os.path.basename(listing)[:-len(".list")].split(":")[0]
        try:
            with open(os.path.join(dpkg, "status"), encoding="utf-8", errors="replace") as f:
                status = f.read()
        except OSError:
            return None
        at = status.find(f"Package: {package}\n")
        while at >= 0:
            end = status.find("\n\n", at)
            paragraph = status[at:end if end >= 0 else len(status)]
            version = paragraph.find("\nVersion: ")
            if "ok installed" in paragraph and version >= 0:
                return package, paragraph[version + 10:].split("\n", 1)[0]
            at = status.find(f"Package: {package}\n", at + 1)
        return None
    return None
