"""Scripts: SQL and dot-commands read line by line, run as they complete.

Statements end where SQLite says they do (``sqlite3.complete_statement``), so
strings, quoted identifiers, comments, triggers and several statements on one
line all work; a dot-command counts only at the start of a line with no
statement pending. Input is read and run one statement at a time, so a script
of any size runs in constant memory.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple, TextIO

from dqlite_shell import sqltext
from dqlite_shell.client.errors import ClientError, NoLeaderError, ServerError
from dqlite_shell.client.session import LeadershipLost, TransactionLost
from dqlite_shell.shell import engine
from dqlite_shell.shell.errors import CommandError
from dqlite_shell.wire.errors import ProtocolError

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


class Item(NamedTuple):
    """One unit of a script: a statement or a dot-command, with its line."""
    line: int
    text: str
    is_command: bool


def split_script(lines: Iterable[str]) -> Iterator[Item]:
    """Yield the statements and dot-commands of ``lines`` as they complete."""
    pending: list[str] = []
    start = 0  # line number of pending[0]
    for lineno, line in enumerate(lines, 1):
        if not pending or sqltext.is_blank("".join(pending)):
            if line.lstrip().startswith("."):
                pending = []
                yield Item(lineno, line.strip(), True)
                continue
            if not pending:
                start = lineno
        pending.append(line)
        if ";" not in line:
            continue
        text = "".join(pending)
        if not sqlite3.complete_statement(text):
            continue
        rest, start = yield from _statements(text, start)
        pending = [rest] if rest else []
    text = "".join(pending)
    rest, start = yield from _statements(text, start)
    if rest:  # the last statement may lack its semicolon, as in sqlite3
        yield _item(rest, start)


def _statements(text: str, line: int):
    """Yield each complete statement of ``text``; return (the rest, its line)."""
    while True:
        statement, rest = sqltext.split_first(text)
        if not sqlite3.complete_statement(statement):
            break
        if not sqltext.is_blank(statement):
            yield _item(statement, line)
        line += statement.count("\n")
        text = rest
    return ("" if sqltext.is_blank(text) else text), line


def _item(statement: str, line: int) -> Item:
    first = sqltext.skip_blank(statement)
    return Item(line + statement.count("\n", 0, first), statement.strip(), False)


class ScriptAborted(Exception):
    """A script stopped on an error that was already reported."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class ConnectionFailed(Exception):
    """No leader could be reached: exit status 2."""


def describe_error(error: Exception) -> str:
    """One line for the user."""
    if isinstance(error, ServerError):
        return error.message
    text = str(error) or type(error).__name__
    return text.splitlines()[0] if text else text


def run_item(state: "ShellState", item: Item) -> None:
    """Run one statement or dot-command (errors propagate)."""
    if item.is_command:
        from dqlite_shell.shell.commands import registry  # only scripts with dot-commands
        registry.run(state, item.text)
    else:
        engine.run_sql(state, item.text)


def run_lines(state: "ShellState", lines: Iterable[str], name: str) -> int:
    """Run a script; returns how many items failed.

    Errors print ``NAME:LINE: error: MESSAGE``. With ``.bail on`` (the
    default for scripts) the first error stops the script (ScriptAborted);
    a statement whose fate is unknown, or a lost transaction, always stops
    it. No reachable leader raises ConnectionFailed.
    """
    failures = 0
    for item in split_script(lines):
        if state.quit_requested:
            break
        try:
            run_item(state, item)
        except ScriptAborted:
            raise
        except NoLeaderError as e:
            state.warn(f"{name}:{item.line}: error: {describe_error(e)}")
            raise ConnectionFailed(str(e)) from None
        except (LeadershipLost, TransactionLost) as e:
            state.warn(f"{name}:{item.line}: error: {describe_error(e)}")
            raise ScriptAborted(1) from None
        except (CommandError, ClientError, ProtocolError, OSError, ValueError) as e:
            failures += 1
            state.errors += 1
            state.warn(f"{name}:{item.line}: error: {describe_error(e)}")
            if state.settings.bail:
                raise ScriptAborted(1) from None
    return failures


def run_path(state: "ShellState", path: str) -> None:
    """``.read FILE``: run a script file; errors name FILE and LINE."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise CommandError(f"cannot open {path}: {e.strerror}") from None
    with f:
        run_lines(state, f, path)


def run_stream(state: "ShellState", stream: TextIO, name: str = "<stdin>") -> int:
    """Run a whole input stream; returns the exit status (0, 1 or 2)."""
    try:
        failures = run_lines(state, stream, name)
    except ScriptAborted as e:
        return e.status
    except ConnectionFailed:
        return 2
    return 1 if failures else 0
