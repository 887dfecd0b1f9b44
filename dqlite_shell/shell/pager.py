"""Paging results in the REPL: ``.pager on`` sends every result through
``$PAGER`` (default ``less -SRXF``); ``.pager auto`` only one that does not
fit the screen.

``auto`` decides without holding an unbounded result: what is written is
held until it is more lines than the screen has (less one, for the next
prompt) or a line is wider than the screen; then the pager starts with
what was held and gets the rest as it comes.  A result that ends within a
screen is printed directly.  (The grids write a block of up to 1000 rows
at once: that block is the most ever held.)

Quitting the pager stops the result (the caller closes it), as ``git`` does.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

DEFAULT_PAGER = "less -SRXF"


def pager_command() -> str:
    """``$PAGER``, or ``less -SRXF`` (it prints a result that fits the screen and quits)."""
    return os.environ.get("PAGER") or DEFAULT_PAGER


class Pager:
    """``$PAGER`` running, with its standard input as a text stream (:attr:`stream`)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(pager_command(), shell=True, stdin=subprocess.PIPE)
        assert self.process.stdin is not None  # stdin=PIPE
        self.stream = io.TextIOWrapper(self.process.stdin, encoding="utf-8", errors="replace",
                                       newline="")

    def close(self) -> None:
        """End its input and wait for the user to leave it."""
        try:
            self.stream.close()
        except BrokenPipeError:
            pass  # the user left it first
        self.process.wait()


class AutoPager(io.TextIOBase):
    """A text stream to the terminal ``out`` (of ``size`` columns and lines)
    that turns into the pager once what was written does not fit it."""

    def __init__(self, out: TextIO, size: tuple[int, int]):
        super().__init__()
        self.out = out
        self.columns, self.lines = size
        self.held: list[str] = []
        self.used = 0
        self.pager: Pager | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.pager is not None:
            return self.pager.stream.write(text)
        from dqlite_shell.shell.screen import fits
        self.held.append(text)
        self.used += text.count("\n")
        if self.used >= self.lines or not fits(text, self.columns):
            self.pager = Pager()
            held, self.held = "".join(self.held), []
            self.pager.stream.write(held)
        return len(text)

    def flush(self) -> None:
        if self.pager is not None:
            self.pager.stream.flush()

    def finish(self) -> None:
        """Print what is held, or let the pager have the rest and wait for it."""
        if self.pager is not None:
            self.pager.close()
        else:
            self.out.write("".join(self.held))
            self.held = []
            self.out.flush()


def _to_terminal(state: ShellState) -> bool:
    if not (state.interactive and state.out is state.stdout):
        return False
    try:
        return state.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def destination(state: ShellState, size: tuple[int, int] | None,
                force: bool = False) -> Iterator[tuple[TextIO | AutoPager, bool | None]]:
    """``(stream, terminal)`` to print one result on: the pager's input
    (``.pager on``, or ``force``), an :class:`AutoPager` (``.pager auto``),
    or the output itself; ``terminal`` is what the renderer should assume
    (None: ask the stream).  Quitting the pager (a broken pipe) ends the
    result quietly."""
    mode = state.settings.pager
    if not _to_terminal(state) or not (force or mode is True or mode == "auto" and size):
        yield state.out, None
        return
    stream: Pager | AutoPager
    if force or mode is True:
        stream = Pager()
    else:
        assert size is not None  # "auto" pages only a terminal of known size
        stream = AutoPager(state.stdout, size)
    try:
        yield (stream.stream if isinstance(stream, Pager) else stream), True
    except BrokenPipeError:
        pass  # the user left the pager: stop reading
    finally:
        if isinstance(stream, Pager):
            stream.close()
        else:
            try:
                stream.finish()
            except BrokenPipeError:
                pass
