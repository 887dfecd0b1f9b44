"""The REPL's own dot-commands: ``.history``, ``.keys`` and ``.prompt``.

They reach the REPL through ``state.repl`` (its PromptSession, None in
scripts). Nothing here imports prompt_toolkit: one-shot runs stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import usage_error
from dqlite_shell.shell.commands.registry import CommandError, choices, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

#: What ``.keys`` and the ``keys`` key take.
KEY_MODES = ("emacs", "vi")

#: How many entries ``.history`` lists without N.
HISTORY_DEFAULT = 20


@command(".history [N|all]", "List the last N statements typed at the prompt (default 20); "
         "! marks those that failed", args=(0, 1), complete=(choices("all"),))
def history(state: ShellState, args: list[str]) -> None:
    """Numbered from the oldest the history file holds, so that a number
    stays the same; a multi-line statement is one entry, its lines
    indented. ! marks an entry that failed (an error, or Ctrl-C). Up and
    Down walk the same entries, a statement at a time; Ctrl-R searches
    them. With --no-history, the entries of this session only. A script
    has no history: .history there is an error."""
    count: int | None = HISTORY_DEFAULT
    if args:
        word = args[0].strip().lower()
        if word == "all":
            count = None
        elif word.isascii() and word.isdigit():
            count = int(word)
        else:
            raise usage_error(".history", f"{args[0]!r} is not a number of entries")
    entries = getattr(getattr(state.repl, "history", None), "entries", None)
    if entries is None:
        raise CommandError("no history here: .history lists what was typed at the interactive "
                           "prompt (scripts and -c have none)")
    listed = entries()
    first = max(len(listed) - count, 0) if count is not None else 0
    width = len(str(len(listed)))
    for number, entry in enumerate(listed[first:], first + 1):
        lines = entry.text.split("\n")
        state.print(f"{number:>{width + 2}} {'!' if entry.failed else ' '} {lines[0]}")
        for line in lines[1:]:
            state.print(f"{'':>{width + 2}}   {line}")


@command(".keys [emacs|vi]", "Edit the input with Emacs keys (the default) or vi's; "
         "print the setting without an argument", args=(0, 1),
         complete=(choices(*KEY_MODES),))
def keys(state: ShellState, args: list[str]) -> None:
    """The REPL's editing keys, at once (the keys key of the configuration
    file sets them at start). vi starts each input in insert mode; Escape
    goes to normal mode. In a script, the setting is kept (a .read from the
    prompt changes the prompt's) and does nothing else."""
    if not args:
        state.print(state.settings.keys)
        return
    mode = args[0].strip().lower()
    if mode not in KEY_MODES:
        raise usage_error(".keys", f"{args[0]!r}: the keys are emacs or vi")
    state.settings.keys = mode
    if state.repl is not None:
        from dqlite_shell.shell.repl_keys import EDITING_MODES
        state.repl.editing_mode = EDITING_MODES[mode]


@command(".prompt [FORMAT|default]", "Set the prompt: \\d database, \\h leader, \\u user, "
         "\\x transaction (* or !), \\m ro/rw ...; print it without an argument",
         args=(0, None), complete=(choices("default"),))
def prompt(state: ShellState, args: list[str]) -> None:
    """FORMAT is text with escapes, as pgcli's prompt ('\\u@\\h:\\d> ');
    quote it to end it with a space. The escapes:

    {escapes}

    default sets the default back: '{default}', which reads
    'rw db@127.0.0.1:9001> ', with * (or !) before the > inside a
    transaction and ' (disconnected)' when the connection to the leader is
    lost (the next statement connects again). Nothing the prompt shows asks
    a server. The prompt key of the configuration file sets it at start."""
    from dqlite_shell.shell.prompt import DEFAULT_FORMAT, check_format
    if not args:
        state.print(state.settings.prompt or DEFAULT_FORMAT)
        return
    text = " ".join(args)
    if text == "default":
        state.settings.prompt = None
        return
    problem = check_format(text)
    if problem:
        raise usage_error(".prompt", problem)
    state.settings.prompt = text


def _describe_escapes() -> None:
    # .help .prompt prints the docstring: the escapes come from the one table.
    from dqlite_shell.shell.prompt import DEFAULT_FORMAT, ESCAPES
    listed = "\n    ".join(f"\\{letter}  {what}" for letter, (what, _) in ESCAPES.items())
    prompt.__doc__ = prompt.__doc__.format(escapes=listed, default=DEFAULT_FORMAT)


_describe_escapes()
