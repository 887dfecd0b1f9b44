"""The ``dqlite`` command as a child process fed as a script is piped: for
tests that signal nodes between the lines they send."""

from __future__ import annotations

import subprocess

from tests.shell.conftest import DQLITE


class ShellProcess:
    """``dqlite ARGS`` reading a script on a pipe; use it in a ``with`` block."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(DQLITE + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def send(self, text: str) -> None:
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def read_line(self) -> str:
        """The next line of results (the shell flushes after each statement)."""
        return self.proc.stdout.readline()

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """End the script; (exit status, what it wrote on stderr)."""
        self.proc.stdin.close()
        status = self.proc.wait(timeout)
        return status, self.proc.stderr.read()

    def __enter__(self) -> ShellProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            pipe.close()


def check_script_outcome(values: list[int], lines: int, status: int, err: str) -> None:
    """A script that inserted 1..``lines``, one per line, through faults:
    every row once and in order (exit 0), or it stopped at one line, with
    every line before it applied and none after it; that line's own row is
    there or not when its fate is unknown, and not there when the shell says
    nothing was applied (the node was lost while it prepared the statement)."""
    assert len(values) == len(set(values)), "a statement was applied twice"
    if status == 0:
        assert err == "" and values == list(range(1, lines + 1))
        return
    assert status == 1, err
    (message,) = err.splitlines()
    prefix, _, text = message.partition(": error: ")
    line = int(prefix.split(":")[1])
    assert values[:line - 1] == list(range(1, line)), "a statement before it is missing"
    if text.endswith("nothing was applied"):
        assert values == list(range(1, line)), message
    else:
        assert text.endswith("may or may not have been applied"), message
        assert set(values) - set(range(1, line + 1)) == set(), "a statement after it ran"
