"""Output dot-commands: where results go (``.output``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import usage_error
from dqlite_shell.shell.commands.registry import FILE, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


@command(".output [FILE]", "Send results to FILE (truncated), or back to stdout without one",
         args=(0, 1), complete=(FILE,))
def output_(state: "ShellState", args: list[str]) -> None:
    path = args[0] if args else None
    if path == "":
        raise usage_error(".output")
    try:
        state.set_output(path)
    except OSError as e:
        state.set_output(None)  # never leave results going to a closed file
        raise CommandError(f"cannot write {path or 'the .output file'}: "
                           f"{e.strerror or e}") from None
