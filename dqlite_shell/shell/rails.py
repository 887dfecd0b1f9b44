"""Safety rails for live control planes: read-only mode, and asking before
destructive statements and cluster changes in the REPL.

Read-only (``--read-only``, a profile's default, the ``read_only`` key)
refuses, before anything is sent:

* every statement that can write, as :func:`dqlite_shell.sqltext.classify`
  tells from the text: only READ statements (SELECT, VALUES, EXPLAIN, WITH ...
  SELECT) and transaction control (BEGIN, COMMIT, SAVEPOINT ...: they write
  nothing by themselves) run; INSERT, UPDATE, DELETE, REPLACE, RETURNING, DDL,
  ATTACH, ANALYZE (it writes sqlite_stat1), VACUUM and REINDEX are refused;
* PRAGMAs but their read-only forms. SQLite offers a PRAGMA as a table-valued
  function (``pragma_NAME``) only when it returns rows, and with an ``arg``
  column only when its one-argument form is a query: a ``PRAGMA NAME`` or
  ``PRAGMA NAME(ARG)`` runs when that function exists (asked of the local
  SQLite library: nothing is sent), except ``optimize``, which returns rows but
  runs ANALYZE. ``PRAGMA NAME = VALUE`` is refused. The server's EXPLAIN is
  not used to decide: setting pragmas (``foreign_keys(1)``) act while they are
  merely compiled, so even an EXPLAIN would change the connection;
* text the shell cannot classify (UNKNOWN), with the same reason;
* the dot-commands registered with ``changes=True`` (.add, .assign, .remove,
  .transfer, .weight, .reconfigure, .drop). ``.open`` writes nothing (a new database
  is only created by its first write), ``.kine``, ``.dump`` and ``.backup``
  only read the cluster: they run.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from dqlite_shell import sqltext
from dqlite_shell.shell.errors import CommandError

if TYPE_CHECKING:
    from dqlite_shell.shell.script_input import Item
    from dqlite_shell.shell.state import ShellState

#: Returns rows (so SQLite offers pragma_optimize) but runs ANALYZE, which writes.
_WRITING_QUERY_PRAGMAS = frozenset({"OPTIMIZE"})
_PRAGMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Refused(CommandError):
    """Refused by read-only mode before anything was sent (exit status 1 in scripts)."""


def mode_name(state: ShellState) -> str:
    """``ro`` or ``rw``, as the prompt shows the mode."""
    return "ro" if state.read_only else "rw"


def cluster_name(state: ShellState) -> str:
    """A short name for the cluster: the profile's name, else the leader's
    address (the first server's before the leader is known)."""
    if state.profile_name:
        return state.profile_name
    return state.connected_to or (state.servers[0] if state.servers else "?")


def _hint(state: ShellState) -> str:
    return f"the shell is read-only ({state.read_only_source}): --write allows it"


def sql_refusal(state: ShellState, sql: str) -> str | None:
    """Why read-only mode refuses ``sql`` (any of its statements), or None."""
    rest = sql
    for _ in range(len(sql) + 1):  # each turn consumes at least one statement
        if sqltext.is_blank(rest):
            return None
        statement, rest = sqltext.split_first(rest)
        why = statement_refusal(statement)
        if why:
            return f"refused: {why}, and {_hint(state)}"
    return None


def statement_refusal(statement: str) -> str | None:
    """What makes one statement unfit for read-only mode (a clause), or None."""
    parts = sqltext.pragma(statement)
    if parts is not None:
        return _pragma_refusal(parts)
    first = sqltext.first_keyword(statement)
    kind = sqltext.classify(statement)
    if kind == sqltext.READ or first in sqltext.TRANSACTION_CONTROL:
        return None
    if kind == sqltext.UNKNOWN:
        return f"{first or 'this statement'} may write (the shell cannot tell that it only reads)"
    return f"{first} writes"


def _pragma_refusal(parts: sqltext.Pragma) -> str | None:
    shown = f"PRAGMA {parts.name.lower()}"
    if parts.form == "=":
        return f"{shown} = ... sets a value"
    if parts.name in _WRITING_QUERY_PRAGMAS:
        return f"{shown} writes (it runs ANALYZE)"
    if not has_query_form(parts.name, parts.form == "("):
        what = f"{shown}(...)" if parts.form else shown
        return (f"{what} may change something (read-only runs only the PRAGMAs SQLite "
                "offers as table-valued functions)")
    return None


@functools.lru_cache(maxsize=256)
def has_query_form(name: str, with_argument: bool) -> bool:
    """Whether SQLite's PRAGMA ``name`` is a query without (or with one)
    argument: its table-valued function ``pragma_name`` exists (with an
    ``arg`` column). Asks the local SQLite library; sends nothing."""
    import sqlite3
    if not _PRAGMA_NAME.fullmatch(name):
        return False
    column = "arg" if with_argument else "*"
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(f"SELECT {column} FROM pragma_{name.lower()} LIMIT 0")
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return True


def command_refusal(state: ShellState, name: str) -> str:
    """The refusal of a dot-command that changes the cluster."""
    what = {".drop": "deletes a database", ".restore": "writes to the database",
            ".import": "writes to the database",
            ".vacuum": "rewrites the database"}.get(name, "changes the cluster")
    return f"refused: {name} {what}, and {_hint(state)}"


# -- asking first (the REPL) ------------------------------------------------------

def confirmed(state: ShellState, item: Item) -> bool:
    """True to run ``item``: it needs no confirmation (not destructive, not
    interactive, ``--yes``, or refused anyway by read-only mode), or the user
    said yes to what it will hit. The question goes to stderr, as pgcli's
    destructive_warning asks it (y/n, default no)."""
    if not state.confirm:
        return True
    if item.is_command:
        warning = _command_warning(state, item.text)
    elif state.read_only and sql_refusal(state, item.text):
        return True  # refused when it runs: nothing to ask
    else:
        warning = _sql_warning(state, item.text)
    if warning is None:
        return True
    state.warn(f"You're about to run a destructive command on {cluster_name(state)}: {warning}")
    return ask()


def ask() -> bool:
    """Ask "Do you want to proceed?" on the terminal; no (also Ctrl-C, Ctrl-D) is False."""
    import click
    try:
        return click.confirm("Do you want to proceed?", default=False, err=True)
    except (click.Abort, EOFError, KeyboardInterrupt):
        return False


def _quoted(schema: str | None, name: str) -> str:
    from dqlite_shell.shell.completion import enclose
    return f"{enclose(schema)}.{enclose(name)}" if schema else enclose(name)


def _shown(schema: str | None, name: str) -> str:
    from dqlite_shell.shell.completion import quote_identifier
    return f"{quote_identifier(schema)}.{quote_identifier(name)}" if schema else \
        quote_identifier(name)


def _rows(state: ShellState, schema: str | None, table: str) -> int | None:
    """How many rows ``table`` holds (None when it cannot be counted: no such
    table; the statement then fails by itself)."""
    from dqlite_shell.client.errors import ServerError
    from dqlite_shell.shell import engine
    try:
        _, rows = engine.query(state, f"SELECT count(*) FROM {_quoted(schema, table)}")
    except ServerError:
        return None
    return rows[0][0] if rows else None


def _object(state: ShellState, schema: str | None, kind: str, name: str):
    """``(name, table)`` of the schema object, as the schema spells them, or None."""
    from dqlite_shell.client.errors import ServerError
    from dqlite_shell.shell import engine
    master = "sqlite_temp_master" if (schema or "").lower() == "temp" else \
        f"{_quoted(schema, 'sqlite_master')}" if schema else "sqlite_master"
    try:
        _, rows = engine.query(state, f"SELECT name, tbl_name FROM {master} WHERE type = ? "
                                      "AND name = ? COLLATE NOCASE", (kind.lower(), name))
    except ServerError:
        return None
    return rows[0] if rows else None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _sql_warning(state: ShellState, sql: str) -> str | None:
    """What a DROP, or a DELETE or UPDATE without WHERE, will hit; None for
    other statements and for objects that do not exist."""
    target = sqltext.target(sql)
    if target is None or target.verb != "DROP" and target.where:
        return None
    where = f"database {state.database}"
    if target.verb != "DROP":
        count = _rows(state, target.schema, target.name)
        if count is None:
            return None
        table = _shown(target.schema, target.name)
        does = "deletes" if target.verb == "DELETE" else "changes"
        return (f"{target.verb} without WHERE {does} every row of table {table} "
                f"({_plural(count, 'row')}) in {where}")
    found = _object(state, target.schema, target.kind, target.name)
    if found is None:
        return None
    name, table = found
    shown = _shown(target.schema, name)
    if target.kind == "TABLE":
        count = _rows(state, target.schema, name)
        rows = f" and its {_plural(count, 'row')}" if count is not None else ""
        return f"DROP TABLE deletes table {shown}{rows} from {where}"
    return (f"DROP {target.kind} deletes {target.kind.lower()} {shown} "
            f"(on table {_shown(None, table)}) from {where}")


def _command_warning(state: ShellState, line: str) -> str | None:
    """What ``.remove``, ``.assign``, ``.reconfigure`` or ``.drop`` will
    change; None for other commands, and when there is nothing to warn about
    (no such node, a server that cannot drop, read-only mode, a transaction:
    the command refuses by itself)."""
    from dqlite_shell.shell.commands.registry import lookup, split_args, transaction_refusal
    try:
        words = split_args(line)
    except CommandError:
        return None
    cmd = lookup(words[0]) if words else None
    if cmd is None or not cmd.destructive or not cmd.min_args <= len(words) - 1 <= (
            cmd.max_args if cmd.max_args is not None else len(words)):
        return None
    if state.read_only and cmd.changes or (
            transaction_refusal(cmd.name) and state.connected_to is not None
            and state.session.transaction.active):
        return None  # refused when it runs: nothing to ask
    if cmd.name == ".drop":
        from dqlite_shell.shell.commands.server import drop_warning
        return drop_warning(state, words[1])
    if cmd.name == ".reconfigure":
        return (f".reconfigure forces the membership kept in {words[1]} to {words[2]}; "
                "this cannot be undone (back up every node's data first)")
    from dqlite_shell.shell.commands.cluster import parse_role, role_name
    nodes = {n.address: n for n in state.session.cluster()}
    node = nodes.get(words[1])
    if node is None:
        return None
    leader = state.connected_to
    who = (f"node {node.id:x} at {node.address}, now a {role_name(node.role)}"
           f"{' and the leader' if node.address == leader else ''}")
    if cmd.name == ".remove":
        return f".remove takes {who}, out of the cluster of {_plural(len(nodes), 'node')}"
    try:
        role = parse_role(words[2])
    except ValueError:
        return None  # a usage error, said by the command
    if int(node.role or 0) == int(role):
        return None  # nothing changes
    voters = sum(1 for n in nodes.values() if int(n.role or 0) == 0)
    return f".assign makes {who}, a {role_name(role)} ({_plural(voters, 'voter')} now)"
