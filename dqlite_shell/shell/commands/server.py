"""Server dot-commands: ``.version`` (what the client learnt about the
server it talks to) and ``.drop`` (delete a database, dqlite 1.18.3+).

dqlite 1.18.3 deletes a database with ``PRAGMA delete_database``, which
anyone who may write can run, and only as the one statement of a write
transaction: ``BEGIN IMMEDIATE; PRAGMA delete_database; COMMIT`` (src/vfs.c:
without a write lock it fails, "must be run in a write transaction"; with any
other change in the transaction it is ignored without a word). The commit
empties the database on every node at once; the node frees it when its last
connection to it closes, and DUMP then answers "database does not exists".
Older servers do not know the pragma, and SQLite ignores a pragma it does not
know, so the shell never sends it to them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from typing import TYPE_CHECKING

from dqlite_shell.atomic_write import write_private
from dqlite_shell.shell.commands import failures
from dqlite_shell.shell.commands.cluster import go_json
from dqlite_shell.shell.commands.data import database_files
from dqlite_shell.shell.commands.registry import DATABASE, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.client.capabilities import Capabilities
    from dqlite_shell.shell.state import ShellState

#: The one sequence dqlite accepts (see the module's docstring).
DELETE_STATEMENTS = ("BEGIN IMMEDIATE", "PRAGMA delete_database", "COMMIT")
#: The release that brought PRAGMA delete_database (capabilities.CAPABILITIES).
DELETE_SINCE = "1.18.3"


# -- .version -----------------------------------------------------------------------

def client_version() -> str:
    """The client's name and version, as the REPL's banner says them."""
    from dqlite_shell import __version__
    return f"dqlite-shell {__version__} (Python {sys.version.split()[0]})"


@command(".version", "Print the client's version and what it learnt the server can do")
def version(state: ShellState, args: list[str]) -> None:
    """The server sends no version: the client places the leader in a range
    of releases from how it answers harmless requests (once per node), and
    every ability it relies on follows from that range. The table lists each
    ability: whether this server has it, the release that brought it, and
    what the client does with it. In json and jsonl modes all of it is one
    JSON document."""
    from dqlite_shell.shell import engine
    mode = state.settings.mode.split()[0]
    if mode not in ("json", "jsonl"):
        state.print(f"client: {client_version()}")
    with failures():
        server = state.session.server()
        leader = state.connected_to
    rows = server.table()
    if mode in ("json", "jsonl"):
        document = {"client": client_version(),
                    "server": {"leader": leader, "releases": server.range},
                    "capabilities": [{"name": name, "has": has == "yes", "since": since,
                                      "use": use} for name, has, since, use in rows]}
        state.print(go_json(document) if mode == "json" else
                    json.dumps(document, ensure_ascii=False))
        return
    state.print(f"server: dqlite {server.range}, as the leader at {leader} answers "
                "(dqlite sends no version number)")
    engine.show(state, ["capability", "has", "since", "use"], [rows])


# -- .drop ------------------------------------------------------------------------

def cannot_delete(server: Capabilities) -> str | None:
    """Why ``server`` cannot delete a database (one line), or None when it can."""
    if server.has("delete_database"):
        return None
    return (f"this server (dqlite {server.range}) cannot delete a database; "
            f"dqlite {DELETE_SINCE} can")


def _tables(files: list[tuple[str, bytes]]) -> int | None:
    """How many tables the dumped database holds (None when SQLite cannot read it)."""
    with tempfile.TemporaryDirectory(prefix="dqlite-drop-") as scratch:
        main = os.path.join(scratch, "db")
        write_private(main, files[0][1], False)
        wal = next((data for name, data in files[1:] if name.endswith("-wal")), b"")
        if wal:
            write_private(main + "-wal", wal, False)
        try:
            conn = sqlite3.connect(main)
            try:
                return conn.execute("SELECT count(*) FROM sqlite_master "
                                    "WHERE type = 'table'").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.Error:
            return None


def _checked(state: ShellState, name: str) -> list[tuple[str, bytes]]:
    """The files of database ``name`` on the leader, after checking that the
    leader can delete it. DUMP is the one request that tells whether a
    database exists without creating it (OPEN creates it)."""
    from dqlite_shell import refusals
    refused = refusals.refused_database(name)
    if refused:
        raise CommandError(refused)
    with failures():
        server = state.session.server()
    why = cannot_delete(server)
    if why:
        raise CommandError(why)
    with failures(f"drop {json.dumps(name)}"):
        files = database_files(state.session.dump, name)
    if files is None:
        raise CommandError(f"the leader has no database {json.dumps(name)}")
    return files


def drop_warning(state: ShellState, name: str) -> str | None:
    """What ``.drop name`` will delete, for the REPL's question; None when
    the command will refuse anyway (it says why itself)."""
    try:
        files = _checked(state, name)
    except CommandError:
        return None
    count = _tables(files)
    held = "" if count is None else f", {count} table{'' if count == 1 else 's'}"
    size = sum(len(data) for _, data in files)
    warning = (f".drop deletes database {json.dumps(name)} ({size} bytes{held}) from the "
               "cluster; this cannot be undone (.backup saves it first)")
    if name == state.database:
        warning += ("; it is the shell's current database: the next statement starts it "
                    "again, empty")
    return warning


@command(".drop DATABASE", f"Delete DATABASE from the cluster (dqlite {DELETE_SINCE} and later)",
         args=(1, 1), complete=(DATABASE,), changes=True, destructive=True)
def drop(state: ShellState, args: list[str]) -> None:
    """Runs BEGIN IMMEDIATE; PRAGMA delete_database; COMMIT on the leader, on
    a connection of its own. The commit empties the database on every node;
    each node frees it once no connection has it open (other clients still
    see it, empty, until they close). Dropping the shell's current database
    closes the shell's connection, so that it does not keep the database
    alive; the shell stays on that name, and its next statement opens a new,
    empty database there.

    Older servers ignore the pragma without a word, so on them the command
    refuses, saying so. A database the leader does not have is an error.
    Refused under --read-only, inside a transaction, and asked about first in
    the REPL (--yes does not ask)."""
    from dqlite_shell.client.busy import BusyWait
    from dqlite_shell.client.errors import ServerError
    from dqlite_shell.client.leader import connect_leader
    name = args[0]
    _checked(state, name)
    session = state.session
    with failures(f"drop {json.dumps(name)}"):
        conn = connect_leader(session.store, state.timeout, ssl_context=session.ssl_context,
                              server_hostname=session.server_hostname)
        try:
            conn.open(name)
            wait = BusyWait(state.busy_timeout)
            while True:  # another connection may hold the write lock for a while
                try:
                    conn.exec_sql(DELETE_STATEMENTS[0])
                    break
                except ServerError as e:
                    if not (e.busy and wait.again()):
                        raise
            for statement in DELETE_STATEMENTS[1:]:
                conn.exec_sql(statement)
        finally:
            conn.close()  # after a failure, closing rolls the transaction back
    if name == state.database:
        session.close()  # reconnects, and opens the name anew, when next used
