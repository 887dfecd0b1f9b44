"""Dot-commands for results that fit the screen: ``.expanded``,
``.maxrows``, ``.pager`` and ``.last`` (the logic: :mod:`dqlite_shell.shell.screen`,
:mod:`dqlite_shell.shell.pager`, :mod:`dqlite_shell.shell.last_result`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import usage_error
from dqlite_shell.shell.commands.registry import CommandError, choices, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


#: The defaults of the REPL's screen settings when none is set: (in the REPL, elsewhere).
_DEFAULTS = {"expanded": ("auto", "off"), "maxrows": ("auto", "0")}


def effective(state: ShellState, name: str) -> str:
    """The ``expanded`` or ``maxrows`` setting in effect, as ``.show`` prints it."""
    value = getattr(state.settings, name)
    if value is not None:
        return str(value)
    in_repl, elsewhere = _DEFAULTS[name]
    return in_repl if state.interactive else elsewhere


def _set(state: ShellState, name: str, args: list[str], parse) -> None:
    """Print the setting (no argument), or set it from ``args[0]`` through ``parse``."""
    if not args:
        default = "" if getattr(state.settings, name) is not None else " (the default)"
        state.print(effective(state, name) + default)
        return
    try:
        setattr(state.settings, name, parse(args[0]))
    except ValueError as e:
        raise usage_error(f".{name}", str(e)) from None


@command(".expanded [auto|on|off]", "Show table rows one column per line: when too wide for "
         "the terminal (auto), always (on) or never (off)", args=(0, 1),
         complete=(choices("auto", "on", "off"),))
def expanded(state: ShellState, args: list[str]) -> None:
    """As pgcli's \\x: each row as a -[ RECORD N ]- block, one "name | value"
    line per column. auto (the REPL's default; the expanded key of the
    config file) decides on the first 1000 rows, or on the rows .maxrows
    shows: when their table is wider than the terminal, the result is
    shown expanded. Only the table, box and column formats and tabulate's
    (grid, pipe, ...) change.
    Without a terminal (.output FILE, scripts) auto is off.

    A statement ending with \\G (SELECT * FROM t\\G) is shown expanded once,
    whatever the format; this works in the REPL only (a script sends the
    text as written, which the server refuses)."""
    from dqlite_shell.shell.screen import parse_expanded
    _set(state, "expanded", args, parse_expanded)


@command(".maxrows [N|auto|off]", "Show at most N rows of a table: the first and last ones "
         "(0 or off: all; auto: what fits the terminal)", args=(0, 1),
         complete=(choices("auto", "off"),))
def maxrows(state: ShellState, args: list[str]) -> None:
    """As DuckDB's shell: a longer result shows its first and last rows with
    a "(TOTAL rows, N shown)" line between them; .last shows it whole. The
    REPL's default is auto (the maxrows key of the config file): the
    terminal's height less 6 lines (expanded: as many records as fit, at
    least 2); elsewhere all rows. Only the table, box and column formats,
    tabulate's (grid, pipe, ...) and expanded results are cut. The rows shown appear when the result
    has ended: the middle ones are counted, not kept."""
    from dqlite_shell.shell.screen import parse_maxrows
    _set(state, "maxrows", args, parse_maxrows)


@command(".pager on|off|auto", "Page results on a terminal through $PAGER (default less "
         "-SRXF): always, never, or when a result does not fit the screen",
         args=(1, 1), complete=(choices("on", "off", "auto"),))
def pager(state: ShellState, args: list[str]) -> None:
    """auto holds what a result prints until it is more than a screenful or
    wider than the terminal, then starts the pager with it and streams the
    rest; a result that ends within the screen is printed directly. The
    default is off (the pager key of the config file sets the REPL's)."""
    from dqlite_shell.shell.screen import parse_pager
    try:
        state.settings.pager = parse_pager(args[0])
    except ValueError as e:
        raise usage_error(".pager", str(e)) from None


@command(".last", "Show the whole last result again, through the pager, without running "
         "it again")
def last(state: ShellState, args: list[str]) -> None:
    """Every row of the last result the REPL showed, whole cells, in the
    current .mode (expanded with .expanded on), through $PAGER on a
    terminal (else to the output). The rows were kept in a temporary file
    (mode 0600, in $XDG_RUNTIME_DIR or the temp dir, unlinked at once: it
    is gone when the next result replaces it or the shell ends), up to
    1 GB. Scripts keep no result."""
    from dqlite_shell.shell import screen
    spool = state.last_result
    if spool is None:
        raise CommandError("no result to show again: .last shows the rows of the last "
                           "statement the REPL ran")
    if spool.dropped:
        raise CommandError(f"the last result was not kept: {spool.dropped}; run it again "
                           "(with .maxrows 0, or .once FILE)")
    screen.show(state, spool.columns, spool.batches(), query_plan=spool.query_plan,
                whole=True, record=False)
    if not spool.complete:
        state.warn(f"(only the first {spool.rows} rows: the result was not read to its end)")
