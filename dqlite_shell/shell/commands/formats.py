"""Format dot-commands: how results look (``.mode``, ``.headers``,
``.nullvalue``, ``.blob``). The formats themselves live in
:mod:`dqlite_shell.shell.output`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import on_off, usage_error
from dqlite_shell.shell.commands.registry import BLOB, FORMAT, ONOFF, TEXT, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


@command(".mode FORMAT [--crlf]", "Print results in FORMAT (an unknown FORMAT lists them all; "
         "csv --crlf ends lines with CRLF)", args=(1, 2), complete=(FORMAT,))
def mode(state: "ShellState", args: list[str]) -> None:
    from dqlite_shell.shell import output
    try:
        state.settings.mode = output.resolve_format(" ".join(args))
    except ValueError as e:
        raise usage_error(".mode", str(e)) from None


@command(".blob [auto|hex|text|base64]",
         "Show BLOBs as X'hex' (default), b'text' if printable UTF-8 (auto), lossy "
         "text or base64; csv/json keep theirs",
         args=(0, 1), complete=(BLOB,))
def blob(state: "ShellState", args: list[str]) -> None:
    """auto shows a BLOB holding valid, printable UTF-8 (tabs and line breaks
    allowed) as b'...', so that it is never taken for a TEXT value, and any
    other BLOB as X'hex'. text decodes every BLOB as UTF-8, invalid bytes as
    U+FFFD: readable but lossy. Control characters are escaped on a terminal
    as for any text.

    csv, json and jsonl are for programs and keep one exact encoding whatever
    .blob says: csv the X'..' literal (hex), json and jsonl a base64 string
    (as the Go shell's -f json)."""
    from dqlite_shell.shell.output import resolve_blob
    if not args:
        state.print(state.settings.blob)
        return
    try:
        state.settings.blob = resolve_blob(args[0])
    except ValueError as e:
        raise usage_error(".blob", str(e)) from None


@command(".headers on|off", "Print column names before the rows, or not",
         args=(1, 1), complete=(ONOFF,))
def headers(state: "ShellState", args: list[str]) -> None:
    state.settings.headers = on_off(".headers", args[0])


@command(".nullvalue TEXT", "Print NULL as TEXT (default: nothing)",
         args=(1, 1), complete=(TEXT,))
def nullvalue(state: "ShellState", args: list[str]) -> None:
    state.settings.nullvalue = args[0]
