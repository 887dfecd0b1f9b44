"""Real servers for the benchmarks: dqlite-node child processes on loopback,
on each server of the test matrix that is there (tests/native/servers.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

from dqlite_shell.native.ports import release_port, reserve_address

GO_SHELL = os.environ.get("DQLITE_SHELL_GO_SHELL", "/usr/bin/dqlite")


class NodeServer:
    """One ``dqlite-node`` child process with a fresh data dir."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dqlite-bench-")
        self.address = reserve_address()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dqlite_shell.app.node_cli", "--address", self.address,
             "--dir", self.dir], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if not self.proc.stdout.readline():
            raise RuntimeError("dqlite-node did not start")

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        release_port(int(self.address.rsplit(":", 1)[1]))
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


#: GNU time: it forks the command from a small process. The kernel keeps a
#: process's peak RSS across exec, and a child forked (or vforked) straight
#: from this big benchmark process starts with ours: wait4 then reported
#: 80-140 MB for a shell that peaked at 35 MB.
GNU_TIME = "/usr/bin/time"


def run_measured(args, stdin: bytes | None = None) -> tuple[float, float, bytes]:
    """Run a command; return (wall seconds, its own peak RSS in MB, stdout).

    The command runs under GNU time, which reads its resource usage (see
    :data:`GNU_TIME`); stdin and stdout go through temporary files so
    nothing else waits on it.
    """
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr, \
            tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as frss:
        if stdin is not None:
            fin.write(stdin)
            fin.seek(0)
        started = time.perf_counter()
        proc = subprocess.run([GNU_TIME, "-f", "%M", "-o", frss.name, *args],
                              stdin=fin, stdout=fout, stderr=ferr)
        wall = time.perf_counter() - started
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
        kilobytes = frss.read().strip().splitlines()
    if proc.returncode:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {err.decode()[-500:]}")
    return wall, int(kilobytes[-1]) / 1024, out


def go_available() -> bool:
    return os.access(GO_SHELL, os.X_OK)


def on_each_server(measure, *args) -> list:
    """The rows of ``measure(name, *args)`` for each server of :func:`matrix`,
    its nodes started inside that server's libdqlite."""
    rows: list = []
    for name in matrix():
        with on_server(name):
            rows.extend(measure(name, *args))
    return rows


def matrix() -> list[str]:
    """The servers to measure: 1.11 (the system's) and each built one."""
    from tests.native.servers import SERVERS
    return [name for name, server in SERVERS.items() if server.present]


@contextlib.contextmanager
def on_server(name: str):
    """Nodes started inside load server ``name``'s libdqlite (child processes
    inherit DQLITE_SHELL_LIBDQLITE); clients are the same either way."""
    from tests.native.servers import SERVERS
    before = os.environ.get("DQLITE_SHELL_LIBDQLITE")
    server = SERVERS[name]
    if server.prefix is None:
        os.environ.pop("DQLITE_SHELL_LIBDQLITE", None)
    else:
        os.environ["DQLITE_SHELL_LIBDQLITE"] = server.library
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DQLITE_SHELL_LIBDQLITE", None)
        else:
            os.environ["DQLITE_SHELL_LIBDQLITE"] = before


def label(text: str, name: str) -> str:
    """A row name with its server: ``SELECT ... [1.18]``."""
    return f"{text} [{name}]"
