"""Where results go: standard output, a file (``.output FILE``), or the
standard input of a shell command (``.output '|COMMAND'``), whose own output
goes to the terminal.

:class:`~dqlite_shell.shell.state.ShellState` holds the current one; this
module opens and closes them. Closing a pipe waits for its command, so that
what it prints comes before the shell's next prompt or result, and says how
the command ended when it failed.
"""

from __future__ import annotations

import io
import signal
from typing import TYPE_CHECKING, TextIO

from dqlite_shell.shell.errors import CommandError

if TYPE_CHECKING:
    import subprocess

#: The names sqlite3 3.40 gives standard output and standard error.
STDOUT, STDERR = "stdout", "stderr"
#: sqlite3's ``--bom``: a UTF-8 byte-order mark first.
BOM = "\ufeff"


class PipeClosed(CommandError):
    """The command of ``|COMMAND`` stopped reading the results (EPIPE)."""


class Destination:
    """An open destination: ``name`` as ``.show`` prints it (``stdout``, a
    file's path, ``|COMMAND``) and the ``stream`` results are written to."""

    def __init__(self, name: str, stream: TextIO, process: subprocess.Popen | None = None,
                 owned: bool = True):
        self.name = name
        self.stream = stream
        self.process = process
        self._owned = owned  # closed by close() (not stdout or stderr)

    @property
    def command(self) -> str | None:
        """The shell command of a pipe, or None."""
        return self.name[1:] if self.process is not None else None

    @property
    def broken(self) -> bool:
        """The pipe's command stopped reading (a write failed with EPIPE)."""
        return isinstance(self.stream, _PipeStream) and self.stream.closed_by_reader

    def close(self) -> str | None:
        """Close the stream; for a pipe, wait for its command to finish.
        Returns what went wrong with the command (one line), or None. A file
        whose close fails (a full disk) raises OSError, closed all the same."""
        if not self._owned:
            self.stream.flush()
            return None
        if self.process is None:
            self.stream.close()
            return None
        try:
            self.stream.close()
        except (PipeClosed, BrokenPipeError):
            stdin = self.process.stdin  # opened with stdin=PIPE: never None
            assert stdin is not None
            try:
                stdin.close()  # the flush failed: close the descriptor alone
            except BrokenPipeError:
                pass
        status = self.process.wait()  # Ctrl-C interrupts it (and the command)
        what = f"the output command {self.command!r}"
        how = _ended(status)
        if how:
            return f"{what} {how}" + (" before reading all the results" if self.broken else "")
        return f"{what} stopped reading the results before their end" if self.broken else None


def _ended(status: int) -> str | None:
    """How a command that ended with ``status`` failed, or None for 0."""
    if status == 0:
        return None
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"


class _PipeStream(io.TextIOWrapper):
    """A command's standard input as text: a write the command no longer
    reads raises PipeClosed (one line for the user) instead of BrokenPipeError,
    which means that the shell's own reader left (``dqlite | head``)."""

    closed_by_reader = False

    def __init__(self, raw, command: str):
        super().__init__(raw, encoding="utf-8", newline="", errors="replace")
        self._command = command

    def _stopped(self) -> PipeClosed:
        self.closed_by_reader = True
        return PipeClosed(f"the output command {self._command!r} stopped reading the results "
                          "before their end")

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            raise self._stopped()
        try:
            return super().write(text)
        except BrokenPipeError:
            raise self._stopped() from None

    def flush(self) -> None:
        if self.closed_by_reader:
            return
        try:
            super().flush()
        except BrokenPipeError:
            raise self._stopped() from None


def open_destination(target: str, stdout: TextIO, stderr: TextIO,
                     bom: bool = False) -> Destination:
    """Open ``target``: ``|COMMAND`` (run by ``/bin/sh``, its standard output
    and error the shell's), ``stdout``, ``stderr``, or a file (truncated).
    Raises OSError when the file cannot be written."""
    if target.startswith("|"):
        command = target[1:].strip()
        if not command:
            raise CommandError("no command after '|'")
        # What the shell printed so far comes before what the command prints.
        stdout.flush()
        import subprocess  # here: ~2 ms of every start otherwise
        process = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE)
        destination = Destination("|" + command, _PipeStream(process.stdin, command), process)
    elif target == STDOUT:
        destination = Destination(STDOUT, stdout, owned=False)
    elif target == STDERR:
        destination = Destination(STDERR, stderr, owned=False)
    else:
        destination = Destination(target, open(target, "w", encoding="utf-8", newline=""))
    if bom:
        destination.stream.write(BOM)
    return destination
