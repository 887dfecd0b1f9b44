"""The one table of dot-commands.

Each command is a small function ``func(state, args)`` registered with its
usage line and a one-line summary. The same table feeds ``.help``, the
REPL's completion, the man page check and the shell completions.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dqlite_shell.shell.errors import CommandError, UsageError  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


#: What an argument position completes to (used by the REPL and completions).
ADDRESS, ROLE, FORMAT, ONOFF, FILE, TABLE, DATABASE, COMMAND, TEXT, BLOB, KINE, FAVORITE = (
    "address", "role", "format", "on/off", "file", "table", "database", "command", "text",
    "blob display", "kine subcommand", "favourite")
#: A kind that is a fixed set of words: ``choices("auto", "on", "off")``.
_CHOICES = "one of: "


def choices(*words: str) -> str:
    """The completion kind of an argument that is one of ``words``."""
    return _CHOICES + " ".join(words)


def choice_words(kind: str) -> tuple[str, ...]:
    """The words of a :func:`choices` kind (none for another kind)."""
    return tuple(kind[len(_CHOICES):].split()) if kind.startswith(_CHOICES) else ()


@dataclass(frozen=True)
class Command:
    """A registered dot-command."""
    name: str  # ".tables"
    usage: str  # ".tables [PATTERN]"
    summary: str  # one line for .help
    func: Callable[[ShellState, list[str]], None]
    min_args: int = 0
    max_args: int | None = 0  # None: any number
    complete: tuple[str, ...] = ()  # what each argument position completes to
    aliases: tuple[str, ...] = field(default=())
    #: It changes the cluster (membership, roles, leader, weights) or a
    #: node's data: refused under --read-only (see shell/rails.py).
    changes: bool = False
    #: The REPL asks before running it (pgcli's destructive_warning).
    destructive: bool = False


COMMANDS: dict[str, Command] = {}

#: The dot-command line being run, as typed: for a command whose last argument
#: is SQL text, which splitting into words would unquote (.fav save, .watch).
current_line: ContextVar[str] = ContextVar("current_line", default="")

#: Dot-commands refused inside a transaction (a BEGIN, or the whole script
#: under -1): .open and .transfer would end it (a new connection, a new
#: leader), and the cluster changes would not be part of it (a ROLLBACK
#: could not undo them), as psql refuses \c in a transaction block.
NOT_IN_TRANSACTION = frozenset({".open", ".transfer", ".add", ".assign", ".remove", ".weight",
                                ".drop"})


def transaction_refusal(name: str) -> str | None:
    """Why dot-command ``name`` cannot run inside a transaction, or None."""
    if name not in NOT_IN_TRANSACTION:
        return None
    why = ("it would end the transaction" if name in (".open", ".transfer")
           else "its change would not be part of it")
    return (f"{name} cannot run inside a transaction (after BEGIN, or anywhere under -1): "
            f"{why}")


def command(usage: str, summary: str, *, args: tuple[int, int | None] = (0, 0),
            complete: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
            changes: bool = False, destructive: bool = False):
    """Register the decorated ``func(state, args)`` as the dot-command named
    by the first word of ``usage``; ``changes``: it changes the cluster (refused
    under --read-only); ``destructive``: the REPL asks first."""
    def register(func):
        name = usage.split()[0]
        cmd = Command(name, usage, summary, func, args[0], args[1], complete, aliases,
                      changes, destructive)
        for key in (name, *aliases):
            if key in COMMANDS:
                raise ValueError(f"dot-command {key} registered twice")
            COMMANDS[key] = cmd
        return func
    return register


def commands() -> list[Command]:
    """Every command once, sorted by name."""
    _load()
    return sorted({c.name: c for c in COMMANDS.values()}.values(), key=lambda c: c.name)


#: How sqlite3 3.40 resolves an abbreviation: for each command it shares
#: with this shell, the shortest prefix it takes for it (its
#: do_meta_command tries the commands in a fixed order, some with a minimum
#: length; measured with Debian's sqlite3 3.40.1: every longer prefix of the
#: name resolves to it too). A prefix that several of ours start with is
#: the one of them sqlite3 picks, if any. ``.o`` is .once: sqlite3's
#: .output/.once branch takes it, and ``o`` also abbreviates "once".
SQLITE3_PREFIXES = {
    ".backup": ".bac", ".bail": ".bai", ".changes": ".cha", ".databases": ".da",
    ".dump": ".d", ".eqp": ".eq", ".exit": ".ex", ".explain": ".exp", ".headers": ".h",
    ".help": ".hel", ".import": ".i", ".indexes": ".in", ".mode": ".m", ".nullvalue": ".n",
    ".once": ".o", ".open": ".op", ".output": ".ou", ".print": ".pri", ".quit": ".q",
    ".read": ".rea", ".restore": ".res", ".schema": ".sch", ".separator": ".se", ".show": ".sho",
    ".tables": ".ta", ".timeout": ".timeo", ".timer": ".timer", ".version": ".v",
    ".width": ".wi",
}


def resolve(name: str) -> Command:
    """The command ``name`` names: its name, an alias, or an abbreviation,
    as sqlite3 takes them (``.he`` is .headers, ``.mo`` .mode, ``.q``
    .quit): a prefix of one command, or of several when sqlite3 picks one
    of them (:data:`SQLITE3_PREFIXES`). Commands that change the cluster
    or its data are abbreviated only as sqlite3 abbreviates them (``.i``
    is .import; ``.tr`` is not .transfer). CommandError: no command, or
    several (they are listed)."""
    _load()
    cmd = COMMANDS.get(name)
    if cmd is not None:
        return cmd
    found = {c.name: c for key, c in COMMANDS.items() if key.startswith(name)}
    if len(name) < 2 or not name.startswith(".") or not found:
        raise CommandError(f"unknown command {name}; .help lists the commands")
    picked = [c for c in found.values()
              if c.name in SQLITE3_PREFIXES and name.startswith(SQLITE3_PREFIXES[c.name])]
    if len(picked) == 1:
        return picked[0]  # as sqlite3 3.40 takes it
    if len(found) > 1:
        raise CommandError(f"ambiguous command {name}: it abbreviates "
                           f"{', '.join(sorted(found))}")
    cmd = next(iter(found.values()))
    if cmd.changes or cmd.destructive:
        # A typo must not move the leader or drop data (sqlite3's .tr is .trace).
        raise CommandError(f"unknown command {name}: {cmd.name} changes the cluster or its "
                           "data, so only its full name runs it")
    return cmd


def lookup(name: str) -> Command | None:
    """The command ``name`` names (see :func:`resolve`), or None."""
    try:
        return resolve(name)
    except CommandError:
        return None


def _lexer(line) -> shlex.shlex:
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""  # backslashes stay: `.nullvalue \N` means the two characters
    return lexer


def split_args(line: str) -> list[str]:
    """A dot-command line's words, quoted as a POSIX shell would."""
    try:
        return list(_lexer(line))
    except ValueError as e:
        raise CommandError(f"cannot parse {line.strip()!r}: {e}") from None


def text_after(line: str, words: int) -> str:
    """What follows the first ``words`` words of ``line``, exactly as typed
    (stripped): SQL keeps its quotes. ``""`` when nothing does."""
    import io
    stream = io.StringIO(line)
    lexer = _lexer(stream)  # reads one character at a time: tell() is where it stopped
    try:
        for _ in range(words):
            if lexer.get_token() is None:
                return ""
    except ValueError as e:
        raise CommandError(f"cannot parse {line.strip()!r}: {e}") from None
    return line[stream.tell():].strip()


def run(state: ShellState, line: str) -> None:
    """Run one dot-command line; raises CommandError (UsageError for bad arguments)."""
    words = split_args(line)
    if not words:
        return
    cmd = resolve(words[0])
    args = words[1:]
    if state.offline is not None:  # dqlite --offline: its meaning there, or one line
        from dqlite_shell.shell.commands.offline import offline_variant
        cmd = offline_variant(state, cmd)
    if cmd.changes and state.read_only:
        from dqlite_shell.shell import rails
        raise rails.Refused(rails.command_refusal(state, cmd.name))
    refusal = transaction_refusal(cmd.name)
    if refusal and state.connected_to is not None and state.session.transaction.active:
        raise CommandError(refusal)
    if len(args) < cmd.min_args or (cmd.max_args is not None and len(args) > cmd.max_args):
        raise UsageError(f"usage: {cmd.usage}")
    token = current_line.set(line)
    try:
        cmd.func(state, args)
    finally:
        current_line.reset(token)


def _load() -> None:
    # The command modules register themselves on import.
    from dqlite_shell.shell.commands import (  # noqa: F401
        cluster,
        data,
        formats,
        health,
        kine,
        load,
        offline,  # noqa: F401
        output,
        recovery,  # noqa: F401
        repl_settings,  # noqa: F401
        reuse,  # noqa: F401
        screen,  # noqa: F401
        server,
        session,
        storage,  # noqa: F401
    )
