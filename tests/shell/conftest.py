"""Running ``dqlite`` as a user runs it: a subprocess, stdin, stdout, exit status."""

import os
import subprocess
import sys

import pytest

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
    result = subprocess.run(DQLITE + [str(a) for a in args], input=stdin if stdin is not None
                            else "", capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})}, cwd=cwd)
    return Run(result)


@pytest.fixture
def dqlite():
    return run_dqlite
