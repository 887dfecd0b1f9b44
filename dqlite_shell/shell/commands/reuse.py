"""Editing and reusing statements: ``.edit`` (the last statement, or a file,
in ``$VISUAL``/``$EDITOR``), ``.fav`` (favourite queries, kept by
:mod:`dqlite_shell.shell.favorites`) and ``.watch`` (a statement run again
every few seconds, as psql's ``\\watch``)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, usage_error
from dqlite_shell.shell.commands.registry import (
    FAVORITE,
    FILE,
    TEXT,
    CommandError,
    command,
    current_line,
    text_after,
)

if TYPE_CHECKING:
    from dqlite_shell.shell.script_input import Item
    from dqlite_shell.shell.state import ShellState

#: .fav's own words, which cannot name a favourite.
_FAV_WORDS = ("save", "list", "delete")
#: .watch's interval bounds, in seconds.
WATCH_MIN, WATCH_MAX = 0.1, 86400.0
#: Home and erase the screen (what clear(1) sends to an xterm), on a terminal only.
CLEAR_SCREEN = "\x1b[H\x1b[2J"
#: How much of the statement .watch's header line shows.
_HEADER_SQL = 60


def _items(text: str, what: str) -> list[Item]:
    """``text`` split as a script is (statements and dot-commands)."""
    from dqlite_shell.shell.script_input import InputError, checked_lines, split_script
    try:
        return list(split_script(checked_lines(text.splitlines(keepends=True))))
    except InputError as e:
        raise CommandError(f"{what}: line {e.line}: {e}") from None


def _asked(state: ShellState, items: list[Item]) -> bool:
    """The REPL's question before destructive statements (rails.confirmed),
    asked of each item before any runs; False (said, and audited) when declined."""
    from dqlite_shell.shell import audit, rails, script
    for item in items:
        if not rails.confirmed(state, item):
            state.warn("Not run.")
            if state.audit is not None:
                script.audit_item(state, item, outcome=audit.DECLINED)
            return False
    return True


def run_text(state: ShellState, text: str, what: str) -> None:
    """Run the statements (and dot-commands) of ``text`` as if typed, asking
    first where the REPL asks; the first error stops the rest and is the
    command's error."""
    from dqlite_shell.shell import script
    items = _items(text, what)
    if not items or not _asked(state, items):
        return
    with script.nested(what):
        for item in items:
            script.run_item(state, item)


def _sql_argument(args: list[str], words: int) -> str:
    """The SQL after the first ``words`` arguments, as typed (quotes kept)."""
    line = current_line.get()
    if line:
        return text_after(line, words + 1)  # and the command's own name
    return " ".join(args[words:])  # called directly, not from a typed line


# -- .edit ------------------------------------------------------------------------

@command(".edit [FILE]", "Edit the last statement (or FILE) in $VISUAL or $EDITOR, then run it",
         args=(0, 1), complete=(FILE,))
def edit(state: ShellState, args: list[str]) -> None:
    """The editor is $VISUAL, else $EDITOR, else the first of editor, vi and
    nano that is installed. When it exits with status 0 the text runs, as
    typed (statements and dot-commands; the REPL asks before destructive
    ones); otherwise nothing runs. FILE is edited in place and kept. In the
    REPL, Ctrl-X Ctrl-E does the same with the input being typed. Scripts and
    -c have no terminal for an editor: there .edit is refused."""
    if not state.interactive:
        raise CommandError(".edit opens an editor, so it needs the interactive shell "
                           "(not a script or -c)")
    from dqlite_shell.shell import editor
    try:
        if args:
            editor.edit_file(args[0])
        else:
            text = editor.edit_text((state.last_sql or "").strip())
    except editor.EditorError as e:
        raise CommandError(f"{e}: nothing was run") from None
    if args:
        try:
            with open(args[0], encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
        except FileNotFoundError:
            raise CommandError(f"{args[0]} was not saved: nothing was run") from None
        except OSError as e:
            raise CommandError(f"cannot read {args[0]}: {e.strerror or e}") from None
    run_text(state, text, args[0] if args else ".edit")


# -- .fav -------------------------------------------------------------------------

@command(".fav [NAME [ARGS...]|save NAME SQL|delete NAME|list]",
         "Favourite queries: run one ($1, $2 ... replaced by ARGS), save, delete, list",
         args=(0, None), complete=(FAVORITE, FAVORITE))
def fav(state: ShellState, args: list[str]) -> None:
    """.fav save NAME SQL keeps SQL (the rest of the line, as typed) as NAME,
    replacing an older one of that name; .fav NAME ARGS... runs it; .fav
    list (or .fav alone) lists them; .fav delete NAME forgets one. They are
    kept in favorites.toml beside the configuration file (mode 0600).

    Placeholders, as litecli and pgcli have them: $1, $2 ... are the
    arguments, $* the remaining ones joined by ", ", $@ the same each quoted
    as an SQL string ('O''Brien'). Arguments are pasted into the SQL as text,
    not bound as values: quote them as the SQL needs (.fav pods "'default'").
    Too few or too many arguments run nothing and say which is missing."""
    from dqlite_shell.shell import favorites
    word = args[0] if args else "list"
    try:
        if word == "list":
            if len(args) > 1:
                raise usage_error(".fav", "list takes no arguments")
            _fav_list(state)
        elif word == "save":
            _fav_save(state, args)
        elif word == "delete":
            if len(args) != 2:
                raise usage_error(".fav", "delete NAME")
            with failures(f"cannot save {favorites.path()}"):
                if not favorites.delete(args[1]):
                    raise CommandError(f"no favourite {args[1]!r}; .fav list lists them")
        else:
            sql = favorites.load().get(word)
            if sql is None:
                raise CommandError(f"no favourite {word!r}; .fav list lists them")
            try:
                sql = favorites.substitute(sql, args[1:])
            except favorites.FavoritesError as e:
                raise CommandError(f"favourite {word!r}: {e}; nothing was run") from None
            run_text(state, sql, f"favourite {word!r}")
    except favorites.FavoritesError as e:
        raise CommandError(str(e)) from None


def _fav_save(state: ShellState, args: list[str]) -> None:
    from dqlite_shell.shell import favorites
    if len(args) < 3:
        raise usage_error(".fav", "save NAME SQL")
    name = args[1]
    if not name or name in _FAV_WORDS or any(c < " " or c == "\x7f" for c in name):
        raise usage_error(".fav", f"a favourite's NAME is not empty, not {', '.join(_FAV_WORDS)}"
                          " and has no control characters")
    sql = _sql_argument(args, 2)
    if sql.startswith("."):
        raise CommandError("a favourite holds SQL, not dot-commands")
    with failures(f"cannot save {favorites.path()}"):
        old = favorites.save(name, sql)
    if old is not None and old != sql and state.interactive:
        state.warn(f"favourite {name!r} replaced (it was: {' '.join(old.split())})")


def _fav_list(state: ShellState) -> None:
    from dqlite_shell.shell import engine, favorites
    saved = favorites.load()
    if not saved:
        if state.interactive:
            state.warn("no favourites yet: .fav save NAME SQL keeps one")
        return
    engine.show(state, ["name", "sql"], [list(saved.items())])


# -- .watch -----------------------------------------------------------------------

@command(".watch SECONDS [--count N] [SQL]",
         "Run SQL (or the last statement) every SECONDS until Ctrl-C (or N times)",
         args=(1, None), complete=(TEXT,))
def watch(state: ShellState, args: list[str]) -> None:
    """As psql's \\watch: each run starts with a line saying what runs, how
    often and when (Every 2s: SELECT ...  2026-01-31 12:00:00), after
    clearing the screen when results go to a terminal. Ctrl-C between runs
    ends the watch (the exit status stays 0); Ctrl-C while the statement runs
    interrupts it as it would any statement. An error stops the watch.
    SECONDS is 0.1 to 86400; --count N stops after N runs."""
    seconds = _seconds(args[0])
    count, words = None, 1
    if len(args) > 1 and args[1] == "--count":
        if len(args) < 3:
            raise usage_error(".watch", "--count N")
        count, words = _count(args[2]), 3
    sql = _sql_argument(args, words) if len(args) > words else ""
    sql = sql or (state.last_sql or "").strip()
    if not sql:
        raise CommandError("nothing to watch: give SQL, or run a statement first")
    items = _items(sql, ".watch")
    if any(item.is_command for item in items) or sql.startswith("."):
        raise CommandError(".watch runs SQL, not dot-commands")
    if not items or not _asked(state, items):
        return
    _watch(state, items, seconds, count, _header(state, seconds, sql))


def _watch(state: ShellState, items: list[Item], seconds: float, count: int | None,
           header: str) -> None:
    from dqlite_shell.shell import script
    from dqlite_shell.shell.output.base import is_terminal
    clear = state.out is state.stdout and is_terminal(state.out)
    runs = 0
    while True:
        if clear:
            state.out.write(CLEAR_SCREEN)
        state.print(f"{header}  {time.strftime('%Y-%m-%d %H:%M:%S')}")
        state.print()
        state.out.flush()
        with script.nested(".watch"):
            for item in items:
                script.run_item(state, item)
        try:
            # The blank line that ends a run is written once the statement is
            # over: from then on Ctrl-C ends the watch, not the statement.
            state.print()
            state.out.flush()
            runs += 1
            if count is not None and runs >= count:
                return
            time.sleep(seconds)
        except KeyboardInterrupt:
            return  # the way out of a watch: not an error


def _header(state: ShellState, seconds: float, sql: str) -> str:
    """``Every 2s: SELECT ...``: the statement on one line, shortened."""
    from dqlite_shell.shell.output.base import is_terminal
    from dqlite_shell.shell.output.values import terminal_text
    text = " ".join(sql.split())
    if len(text) > _HEADER_SQL:
        text = text[:_HEADER_SQL - 1] + "…"
    if is_terminal(state.out):
        text = terminal_text(text)
    return f"Every {seconds:g}s: {text}"


def _seconds(word: str) -> float:
    try:
        seconds = float(word)
    except ValueError:
        seconds = math.nan
    if not WATCH_MIN <= seconds <= WATCH_MAX:  # also NaN
        raise usage_error(".watch", f"SECONDS is a number from {WATCH_MIN:g} to "
                          f"{WATCH_MAX:g}, not {word!r}")
    return seconds


def _count(word: str) -> int:
    try:
        count = int(word)
    except ValueError:
        count = 0
    if count < 1:
        raise usage_error(".watch", f"--count takes a positive whole number, not {word!r}")
    return count
