"""Scripts: SQL and dot-commands read line by line, run as they complete.

Splitting is :mod:`.script_input`'s job. Input is read and run one statement
at a time, so a script of any size runs in constant memory, and an error, an
unusable line or a signal is reported as ``NAME:LINE: ...``: everything before
that line ran.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TextIO

from dqlite_shell import sqltext
from dqlite_shell.client.errors import BrokenPeer, ClientError, NoLeaderError, NotDqlite
from dqlite_shell.client.session import LeadershipLost, TransactionLost
from dqlite_shell.shell import engine
from dqlite_shell.shell.destinations import PipeClosed
from dqlite_shell.shell.errors import CommandError, describe
from dqlite_shell.shell.script_input import InputError, Item, checked_lines, split_script
from dqlite_shell.wire.errors import ProtocolError

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

#: How deep ``.read`` may nest (sqlite3's limit): a file that reads itself stops there.
MAX_READ_DEPTH = 25
_read_depth: ContextVar[int] = ContextVar("read_depth", default=0)
#: Under -1 (--single-transaction) the whole run is one transaction: the
#: scripts' own BEGIN, COMMIT and END are absorbed into it (so that a dump's
#: ``BEGIN TRANSACTION; ... COMMIT;`` loads), and a ROLLBACK rolls the whole
#: run back and ends it. SAVEPOINT, RELEASE and ROLLBACK TO run as SQLite's.
one_transaction: ContextVar[bool | _Run] = ContextVar("one_transaction", default=False)

#: The errors a statement or a dot-command raises for its own failure; any
#: other exception is a bug or a stop (EPIPE, a signal) and is not disguised
#: as a statement's error.
STATEMENT_ERRORS = (CommandError, ClientError, ProtocolError)
#: The cluster cannot be reached or talked to (exit status 2): no leader, a
#: peer that is not dqlite, or one that broke off in the middle of a message.
PEER_FAILURES = (NoLeaderError, NotDqlite, BrokenPeer)
#: How writing the results can fail (to a file of .output): the script stops.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


class ScriptAborted(Exception):
    """A script stopped on an error that was already reported."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class RolledBack(CommandError):
    """A script run with -1 said ROLLBACK: the whole run was rolled back."""


class ConnectionFailed(Exception):
    """No leader could be reached: exit status 2."""


class Terminated(SystemExit):
    """SIGTERM, raised by the handler ``dqlite`` installs: exit status 143."""


def run_item(state: ShellState, item: Item) -> None:
    """Run one statement or dot-command (errors propagate). Read-only mode
    refuses what writes before anything is sent (``rails.Refused``); the
    audit log, when there is one, gets the outcome. Then a ``.once`` output
    ends (a pipe's command is waited for): a command that failed or stopped
    reading is the item's error."""
    try:
        _run_item(state, item)
    except BaseException as e:
        problem = state.item_done(_read_depth.get())
        if problem and isinstance(e, PipeClosed):
            raise CommandError(problem) from None  # with the command's exit status
        raise
    problem = state.item_done(_read_depth.get())
    if problem:
        raise CommandError(problem)


def _run_item(state: ShellState, item: Item) -> None:
    try:
        if _absorbed(state, item):
            pass
        elif item.is_command:
            from dqlite_shell.shell.commands import registry  # only scripts with dot-commands
            registry.run(state, item.text)
        else:
            state.last_sql = item.text  # for .edit and .watch, also when it fails
            if state.read_only:
                from dqlite_shell.shell import rails
                refusal = rails.sql_refusal(state, item.text)
                if refusal:
                    raise rails.Refused(refusal)
            engine.run_sql(state, item.text)
    except BaseException as e:
        if state.audit is not None:
            audit_item(state, item, e)
        raise
    if state.audit is not None:
        audit_item(state, item)


class _Run:
    """One -1 run: whether anything ran in its transaction yet."""
    ran = False


def _absorbed(state: ShellState, item: Item) -> bool:
    """Under -1: True for the script's own BEGIN, COMMIT or END, which the
    run's one transaction absorbs; a ROLLBACK rolls the run back (RolledBack).

    ``PRAGMA foreign_keys=...`` before anything else (a dump's first line)
    is run before the transaction, where SQLite honours it (inside one it
    ignores it, and dqlite enforces foreign keys by default: a dump whose
    rows come before the table they refer to would fail): the transaction,
    still empty, is ended and begun again around it."""
    run = one_transaction.get()
    if not run:
        return False
    if run is True:
        run = _Run()
        one_transaction.set(run)  # until the -1 run resets it
    if item.is_command:
        run.ran = True
        return False
    if not run.ran and sqltext.first_keyword(item.text) == "PRAGMA":
        parts = sqltext.pragma(item.text)
        if parts and parts.name == "FOREIGN_KEYS" and parts.form and not parts.explained:
            session = state.session
            session.execute("ROLLBACK")  # nothing ran in it
            try:
                engine.run_sql(state, item.text)
            finally:
                session.execute("BEGIN")
            return True
    verb = sqltext.transaction_verb(item.text)
    if verb == "ROLLBACK":
        if state.session.transaction.active:
            state.session.execute("ROLLBACK")
        raise RolledBack("ROLLBACK with -1 (--single-transaction) rolls back the whole run, "
                         "which is one transaction: nothing was applied")
    if verb in ("BEGIN", "COMMIT"):
        return True
    run.ran = True
    return False


def audit_item(state: ShellState, item: Item, error: BaseException | None = None,
               outcome: str | None = None) -> None:
    """Record ``item`` in the audit log (--audit-log, if given): ok, or
    what ``error`` makes of it."""
    from dqlite_shell.shell import audit, rails
    if state.audit is None:
        return
    message = None
    if outcome is None:
        if error is None:
            outcome = audit.OK
        elif isinstance(error, rails.Refused):
            outcome, message = audit.REFUSED, str(error)
        elif isinstance(error, (KeyboardInterrupt, Terminated)):
            outcome = audit.INTERRUPTED
        else:
            outcome, message = audit.ERROR, describe(error)
    state.audit.record(state, "command" if item.is_command else "sql", item.text.strip(),
                       outcome, message)


def run_lines(state: ShellState, lines: Iterable[str], name: str) -> int:
    """Run a script; returns how many items failed.

    Errors print ``NAME:LINE: error: MESSAGE``. With ``.bail on`` (the
    default for scripts) the first error stops the script (ScriptAborted);
    a line that is not UTF-8 text, a statement whose fate is unknown, or a
    lost transaction always stops it. No reachable leader raises
    ConnectionFailed. A closed output pipe (BrokenPipeError) ends it quietly;
    SIGINT and SIGTERM end it after saying where.
    """
    failures = 0
    items = split_script(checked_lines(lines))
    next_line = 1  # the first line of what has not run yet
    while not state.quit_requested:
        try:
            item = next(items, None)
        except InputError as e:
            state.warn(f"{name}:{e.line}: error: {e}")
            raise ScriptAborted(1) from None
        except (KeyboardInterrupt, Terminated) as e:
            _interrupted(state, e, name, next_line)
            raise
        if item is None:
            break
        try:
            run_item(state, item)
        except STATEMENT_ERRORS as e:
            if isinstance(e, PEER_FAILURES):
                state.warn(f"{name}:{item.line}: error: {describe(e)}")
                raise ConnectionFailed(str(e)) from None
            state.warn(f"{name}:{item.line}: error: {describe(e)}")
            if isinstance(e, (LeadershipLost, TransactionLost, RolledBack)):
                raise ScriptAborted(1) from None
            failures += 1
            state.errors += 1
            if state.settings.bail:
                raise ScriptAborted(1) from None
        except BrokenPipeError:
            raise  # the reader of the results left: stop quietly (cli), as sqlite3
        except OSError as e:
            if e.errno not in _OUTPUT_ERRNOS:
                raise  # a bug: the client reports its socket errors as ClientError
            state.warn(f"{name}:{item.line}: error: cannot write the results: "
                       f"{describe(e)}")
            _back_to_stdout(state)
            raise ScriptAborted(1) from None
        except (KeyboardInterrupt, Terminated) as e:
            _interrupted(state, e, name, item.line)
            raise
        next_line = item.line + item.text.count("\n") + 1
    return failures


def _back_to_stdout(state: ShellState) -> None:
    """Leave an .output file that cannot be written (its close fails again,
    but closes it: the error was reported)."""
    state.end_output()


def _interrupted(state: ShellState, error: BaseException, name: str, line: int) -> None:
    """Say once (nested ``.read`` scripts re-raise) where a signal stopped the script."""
    if getattr(error, "reported", False):
        return
    error.reported = True  # type: ignore[attr-defined]  # a mark read back with getattr above
    if state.connected_to is not None and state.session.transaction.active:
        what = "the open transaction is rolled back"
    else:
        what = "statements before this line were applied"
    state.warn(f"{name}:{line}: interrupted; {what}")


@contextmanager
def nested(what: str) -> Iterator[None]:
    """Run what a dot-command runs (a favourite's statements, edited text)
    one ``.read`` level deeper, as ``.read`` runs a file: a ``.once`` before
    the command covers all of it. CommandError beyond :data:`MAX_READ_DEPTH`."""
    depth = _read_depth.get()
    if depth >= MAX_READ_DEPTH:
        raise CommandError(f"{what} is nested {MAX_READ_DEPTH} deep (does it run itself?)")
    token = _read_depth.set(depth + 1)
    try:
        yield
    finally:
        _read_depth.reset(token)


def run_path(state: ShellState, path: str) -> None:
    """``.read FILE``: run a script file; errors name FILE and LINE."""
    depth = _read_depth.get()
    if depth >= MAX_READ_DEPTH:
        raise CommandError(f"cannot read {path}: .read is nested {MAX_READ_DEPTH} deep "
                           "(does a file read itself?)")
    try:
        f = open(path, encoding="utf-8", errors="surrogateescape")
    except OSError as e:
        raise CommandError(f"cannot open {path}: {e.strerror}") from None
    token = _read_depth.set(depth + 1)
    try:
        with f:
            run_lines(state, f, path)
    except OSError as e:  # reading the file failed (EISDIR, EIO): not the results
        if isinstance(e, BrokenPipeError):
            raise
        raise CommandError(f"cannot read {path}: {describe(e)}") from None
    finally:
        _read_depth.reset(token)


def open_stdin() -> TextIO:
    """Standard input as script text: UTF-8 whatever the locale, the bytes
    that are not UTF-8 kept (as surrogates) so that their line is reported."""
    return open(0, encoding="utf-8", errors="surrogateescape", closefd=False)


def command_text(text: str) -> TextIO:
    """A ``-c`` argument as script text (bytes of argv that were not UTF-8
    arrive as surrogates, and are reported with their line)."""
    return io.StringIO(text, newline=None)


def run_sources(state: ShellState, sources: list[tuple[TextIO, str]]) -> int:
    """Run scripts one after the other (``-c A -c B``) for an exit status
    (0, 1 or 2): an error that stops one stops them all."""
    failures, name = 0, "<stdin>"
    try:
        for stream, name in sources:
            failures += run_lines(state, stream, name)
            if state.quit_requested:
                break
    except ScriptAborted as e:
        status = e.status
    except ConnectionFailed:
        status = 2
    else:
        status = 1 if failures else 0
    # An .output left open ends with the scripts: a pipe's command that
    # failed is an error of the script.
    problem = state.end_output()
    if problem:
        state.warn(f"{name}: error: {problem}")
        status = status or 1
    return status


def refused_in_transaction(sources: list[tuple[TextIO, str]]) -> str | None:
    """``NAME:LINE: error: ...`` for the first dot-command of the in-memory
    sources (``-c`` text) that cannot run inside a transaction, or ROLLBACK
    (which would roll the whole run back), or None. Other streams (stdin) are
    not read ahead: they are refused when met, inside the transaction, which
    is then rolled back."""
    from dqlite_shell.shell.commands.registry import lookup, split_args, transaction_refusal
    for stream, name in sources:
        if not isinstance(stream, io.StringIO):
            continue
        try:
            for item in split_script(checked_lines(io.StringIO(stream.getvalue(), newline=None))):
                words = split_args(item.text) if item.is_command else []
                cmd = lookup(words[0]) if words else None
                refusal = transaction_refusal(cmd.name) if cmd else None
                if not item.is_command and sqltext.transaction_verb(item.text) == "ROLLBACK":
                    refusal = ("ROLLBACK cannot run with -1 (--single-transaction): the whole "
                               "run is one transaction, and it would roll it back")
                if refusal:
                    return f"{name}:{item.line}: error: {refusal}"
        except (InputError, CommandError):
            continue  # reported when the text runs
    return None


def run_stream(state: ShellState, stream: TextIO, name: str = "<stdin>") -> int:
    """Run a whole input stream; returns the exit status (0, 1 or 2)."""
    return run_sources(state, [(stream, name)])
