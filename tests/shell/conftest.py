"""Running ``dqlite`` as a user runs it: a subprocess, stdin, stdout, exit status."""

import io
import os
import socket
import subprocess
import sys

import pytest

from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.state import ShellState

DQLITE = [sys.executable, "-m", "dqlite_shell"]


class Run:
    def __init__(self, result: subprocess.CompletedProcess):
        self.status = result.returncode
        self.out = result.stdout
        self.err = result.stderr

    def __repr__(self):
        return f"<exit {self.status}\nstdout: {self.out[-2000:]}\nstderr: {self.err[-2000:]}>"


def run_dqlite(*args, stdin: str | None = None, env=None, timeout=120, cwd=None) -> Run:
    """Run ``dqlite ARGS`` (stdin a pipe, stdout a pipe: not a terminal)."""
    # No developer's own config file or DQLITE_* variables leak into the tests.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    environment["XDG_CONFIG_HOME"] = os.path.join(os.path.dirname(__file__), "no-such-config")
    environment.update(env or {})
    result = subprocess.run(DQLITE + [str(a) for a in args], input=stdin if stdin is not None
                            else "", capture_output=True, text=True, timeout=timeout,
                            env=environment, cwd=cwd)
    return Run(result)


@pytest.fixture
def dqlite():
    return run_dqlite


@pytest.fixture
def shell():
    """``shell(servers)`` -> a ShellState writing into StringIOs; closed at teardown."""
    made = []

    def make(servers, database="db"):
        state = ShellState(list(servers), database, out=io.StringIO(), err=io.StringIO())
        made.append(state)
        return state

    yield make
    for state in made:
        state.close()


def run_command(state, line: str) -> str:
    """Run one dot-command on a ``shell`` state and return what it printed."""
    state.out.seek(0)
    state.out.truncate()
    registry.run(state, line)
    return state.out.getvalue()


@pytest.fixture
def listener():
    """An address that records whether anything connected to it (a dot-command
    with wrong arguments must connect to nothing)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.fixture
def repl(tmp_path, node_factory):
    """``repl(*args, env=..., dimensions=(rows, cols), cwd=...)``: the shell in a
    terminal (tests/support/repl.py). It asks for node_factory so that the
    terminals close before in-process nodes stop: a node stopped while a shell
    still reads a stream from it waits for that stream (1.18)."""
    from tests.support.repl import spawn_repl
    children = []

    def start(*args, **options):
        child = spawn_repl(tmp_path, *args, **options)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)
