"""Schema and session dot-commands: what the database holds, the session's
database and timings, scripts, help and quitting (how results look:
:mod:`.formats`; where they go: :mod:`.output`)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, on_off, usage_error
from dqlite_shell.shell.commands.registry import (
    COMMAND,
    COMMANDS,
    DATABASE,
    FILE,
    ONOFF,
    TABLE,
    TEXT,
    CommandError,
    command,
    commands,
    resolve,
)

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

# -- schema ---------------------------------------------------------------------

_TABLES = ("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
           "AND substr(name, 1, 7) <> 'sqlite_' AND name LIKE ? ORDER BY name")
_SCHEMA = ("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
           "AND (name LIKE ?1 OR tbl_name LIKE ?1) ORDER BY rowid")
_INDEXES = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE ? ORDER BY name"


def _column(state: ShellState, sql: str, pattern: str) -> list:
    from dqlite_shell.shell import engine
    with failures():
        _, rows = engine.query(state, sql, (pattern,))
    return [row[0] for row in rows]


@command(".tables [PATTERN]", "List the tables and views (names matching the LIKE PATTERN)",
         args=(0, 1), complete=(TABLE,))
def tables(state: ShellState, args: list[str]) -> None:
    for name in _column(state, _TABLES, args[0] if args else "%"):
        state.print(_shown(state, name))


def _shown(state: ShellState, name: str) -> str:
    """A name as the terminal may show it (control characters escaped)."""
    from dqlite_shell.shell.output.base import is_terminal
    from dqlite_shell.shell.output.values import terminal_text
    return terminal_text(name) if is_terminal(state.out) else name


@command(".schema [PATTERN]",
         "Print the CREATE statements (of the tables matching the LIKE PATTERN)",
         args=(0, 1), complete=(TABLE,))
def schema(state: ShellState, args: list[str]) -> None:
    for sql in _column(state, _SCHEMA, args[0] if args else "%"):
        state.print(f"{sql};")


@command(".indexes [TABLE]", "List the indexes (of the tables matching the LIKE pattern TABLE)",
         args=(0, 1), complete=(TABLE,))
def indexes(state: ShellState, args: list[str]) -> None:
    for name in _column(state, _INDEXES, args[0] if args else "%"):
        state.print(_shown(state, name))


# -- session ------------------------------------------------------------------

@command(".open DATABASE", "Use DATABASE (dqlite creates it on first use)",
         args=(1, 1), complete=(DATABASE,))
def open_(state: ShellState, args: list[str]) -> None:
    if not args[0]:
        raise usage_error(".open")
    with failures():
        state.open(args[0])


@command(".databases", "List the databases this connection sees (main: the one .open names)")
def databases(state: ShellState, args: list[str]) -> None:
    """As sqlite3's .databases: NAME: FILE r/w, one line per database of
    PRAGMA database_list. dqlite's main is the database .open names (the
    current one, said so); temp and ATTACHed ones are the connection's own
    and are not replicated. r/o under --read-only."""
    from dqlite_shell.shell import engine
    with failures():
        _, rows = engine.query(state, "PRAGMA database_list")
    access = "r/o" if state.read_only else "r/w"
    for _, name, file in rows:
        shown = file or '""'  # sqlite3's way of saying none (temp, :memory:)
        current = " (current)" if name == "main" else ""
        state.print(_shown(state, f"{name}: {shown} {access}{current}"))


@command(".timeout MS", "Try a statement refused as busy (database is locked) again for up to "
         "MS milliseconds (default 5000; 0: fail at once)", args=(1, 1), complete=(TEXT,))
def timeout(state: ShellState, args: list[str]) -> None:
    try:
        ms = int(args[0])
    except ValueError:
        raise usage_error(".timeout", f"MS is a number of milliseconds, not {args[0]!r}") from None
    if ms < 0:
        raise usage_error(".timeout", "MS cannot be negative")
    state.busy_timeout = ms / 1000


@command(".timer on|off", "Print how long each statement took (on stderr), or not",
         args=(1, 1), complete=(ONOFF,))
def timer(state: ShellState, args: list[str]) -> None:
    state.settings.timer = on_off(".timer", args[0])


@command(".changes on|off", "Print the changes count after each write, or not",
         args=(1, 1), complete=(ONOFF,))
def changes(state: ShellState, args: list[str]) -> None:
    state.settings.changes = on_off(".changes", args[0])


@command(".bail on|off", "Stop a script at its first error, or go on",
         args=(1, 1), complete=(ONOFF,))
def bail(state: ShellState, args: list[str]) -> None:
    state.settings.bail = on_off(".bail", args[0])


@command(".read FILE", "Run the statements and commands of FILE", args=(1, 1), complete=(FILE,))
def read(state: ShellState, args: list[str]) -> None:
    from dqlite_shell.shell.script import run_path
    run_path(state, args[0])  # errors name the file (and its line)


#: The widest usage that shares its line with the summary in the .help list.
HELP_USAGE_WIDTH = 40


def help_width(listed) -> int:
    """The width of the usage column of the .help list."""
    return min(HELP_USAGE_WIDTH, max(len(c.usage) for c in listed))


@command(".help [COMMAND]", "List the commands, or say more about one",
         args=(0, 1), complete=(COMMAND,))
def help_(state: ShellState, args: list[str]) -> None:
    """A command may be abbreviated as sqlite3 3.40 takes it: .mo for .mode,
    .he for .headers (sqlite3's pick of .headers and .help); a prefix of
    several commands that sqlite3 does not resolve lists them. Commands that
    change the cluster or its data are abbreviated only as sqlite3 does."""
    if not args:
        listed = commands()
        width = help_width(listed)
        for cmd in listed:
            also = f" (also {', '.join(cmd.aliases)})" if cmd.aliases else ""
            if len(cmd.usage) > width:  # on a line of its own, as psql's \? does
                state.print(cmd.usage)
                state.print(f"{'':<{width}}  {cmd.summary}{also}")
            else:
                state.print(f"{cmd.usage:<{width}}  {cmd.summary}{also}")
        return
    name = args[0] if args[0].startswith(".") else "." + args[0]
    if not any(key.startswith(name) for key in COMMANDS):
        raise CommandError(f"unknown command {args[0]}; .help lists the commands")
    cmd = resolve(name)  # an abbreviation too; several are listed
    if state.offline is not None:  # dqlite --offline: what the command means there
        from dqlite_shell.shell.commands.offline import offline_variant
        try:
            cmd = offline_variant(state, cmd)
        except CommandError as e:
            state.print(f"{e} (online: {cmd.usage})")
            return
    state.print(f"usage: {cmd.usage}")
    state.print(cmd.summary)
    if cmd.aliases:
        state.print(f"Also: {', '.join(cmd.aliases)}")
    more = inspect.getdoc(cmd.func)
    if more:
        state.print()
        state.print(more)


@command(".quit", "Leave the shell")
def quit_(state: ShellState, args: list[str]) -> None:
    state.quit_requested = True


@command(".exit", "Leave the shell (same as .quit)")
def exit_(state: ShellState, args: list[str]) -> None:
    state.quit_requested = True
