"""Storage dot-commands: ``.dbinfo`` (how big a database is and how much of
it is free pages) and ``.vacuum`` (rebuild it without them).

Why it matters in dqlite: a snapshot carries the whole database, free pages
included, so a database whose rows were mostly deleted (a kine table after
a compaction) still costs its full size in every snapshot, on every node.

What the servers let a client learn (measured on 1.11.1, 1.17.3, 1.18.6):

* page size, page count and freelist count: SQLite's pragma functions, in
  one SELECT, on every server. The page count includes the pages still in
  the WAL, so page count x page size is the size of the database a snapshot
  carries.
* the WAL's own size: only DUMP tells it, and DUMP sends the whole
  database, so only ``--files`` asks for it. Up to 1.18.2 DUMP returns the
  database file and the WAL as they are; from 1.18.3 it folds the WAL into
  the database file and sends an empty WAL (``single_file_dump``), so there
  the WAL's size cannot be learnt at all.
* VACUUM of the main database: 1.11 runs it, 1.13.0 to 1.18.1 refuse it
  ("too many attached databases - max 0"), 1.18.2 allows it again
  (``vacuum_main``). VACUUM INTO is no way round: 1.11 and 1.17 write the
  copy into the node's in-memory file system (nothing reaches the disk),
  1.18.4+ deny it ("authorization denied").
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, usage_error
from dqlite_shell.shell.commands.registry import DATABASE, TEXT, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.client.capabilities import Capabilities
    from dqlite_shell.shell.state import ShellState

FILES = "--files"

#: One round trip for every figure SQL can tell (sqlite3's .dbinfo fields
#: that a dqlite client can read; the file header's others need the file).
STATS_SQL = (
    "SELECT (SELECT page_size FROM pragma_page_size), "
    "(SELECT page_count FROM pragma_page_count), "
    "(SELECT freelist_count FROM pragma_freelist_count), "
    "(SELECT encoding FROM pragma_encoding), "
    "(SELECT user_version FROM pragma_user_version), "
    "(SELECT application_id FROM pragma_application_id), "
    "(SELECT schema_version FROM pragma_schema_version), "
    "(SELECT count(*) FROM sqlite_master WHERE type = 'table'), "
    "(SELECT count(*) FROM sqlite_master WHERE type = 'index'), "
    "(SELECT count(*) FROM sqlite_master WHERE type = 'trigger'), "
    "(SELECT count(*) FROM sqlite_master WHERE type = 'view'), "
    "(SELECT total(length(sql)) FROM sqlite_master)")
#: The name of each value STATS_SQL returns, as sqlite3's .dbinfo names it.
STATS_NAMES = ("database page size", "database page count", "freelist page count",
               "text encoding", "user version", "application id", "schema cookie",
               "number of tables", "number of indexes", "number of triggers",
               "number of views", "schema size")
#: What .vacuum reads before and after.
SIZE_SQL = ("SELECT (SELECT page_count FROM pragma_page_count), "
            "(SELECT freelist_count FROM pragma_freelist_count), "
            "(SELECT page_size FROM pragma_page_size)")


def freelist_percent(pages: int, free: int) -> float:
    """The share of the database's pages that are free, in percent (one decimal)."""
    return round(100.0 * free / pages, 1) if pages else 0.0


def info_rows(stats: tuple, files: list[tuple[str, bytes]] | None,
              server: Capabilities) -> list[tuple[str, object]]:
    """The (name, value) rows of ``.dbinfo`` from STATS_SQL's row and, when
    DUMP was asked, the files it returned."""
    stats = (*stats[:-1], int(stats[-1]))  # the schema size: total() is a float
    named = list(zip(STATS_NAMES, stats, strict=True))
    page_size, pages, free = stats[0], stats[1], stats[2]
    rows = named[:3] + [("freelist percent", freelist_percent(pages, free)),
                        ("database size", pages * page_size)]
    if files is not None:
        rows.append(("database file size", len(files[0][1])))
        if not server.has("single_file_dump"):
            rows.append(("wal file size", sum(len(data) for _, data in files[1:])))
    rows.extend(named[3:])
    return rows


def _other_database(state: ShellState, name: str):
    """STATS_SQL's row and the files of database ``name``, asked on a
    connection of its own: the shell's stays on its database. DUMP first:
    it is the one request that tells whether a database exists without
    creating it (OPEN, then any statement, creates it)."""
    from dqlite_shell import refusals
    from dqlite_shell.client.leader import connect_leader
    from dqlite_shell.shell.commands.data import database_files
    refused = refusals.refused_database(name)
    if refused:
        raise CommandError(refused)
    session = state.session
    with failures(f"dbinfo {json.dumps(name)}"):
        files = database_files(session.dump, name)
        if files is None:
            raise CommandError(f"the leader has no database {json.dumps(name)}")
        conn = connect_leader(session.store, state.timeout, ssl_context=session.ssl_context,
                              server_hostname=session.server_hostname)
        try:
            conn.open(name)
            stats = conn.query_sql(STATS_SQL).fetchall()[0]
        finally:
            conn.close()
    return stats, files


@command(f".dbinfo [DATABASE] [{FILES}]",
         "Page size and count, free pages and sizes of the database (or DATABASE)",
         args=(0, 2), complete=(DATABASE, TEXT))
def dbinfo(state: ShellState, args: list[str]) -> None:
    """Name/value rows in the current .mode, after sqlite3's .dbinfo:
    page size, page count, freelist page count and percent, database size
    (page count x page size: what every snapshot of it carries, free pages
    included), then the text encoding, user version, application id, schema
    cookie, the numbers of tables, indexes, triggers and views, and the
    schema's size. A high freelist percent means snapshots much bigger than
    the data: .vacuum (dqlite 1.18.2+) shrinks it.

    --files also asks the leader for the database's files (DUMP, which sends
    the whole database: it costs what a .backup costs) and adds their sizes:
    the database file, and up to dqlite 1.18.2 the WAL (from 1.18.3 DUMP
    folds the WAL into the database file, so its own size cannot be learnt).

    DATABASE: another database than the current one, asked on a connection
    of its own (the shell stays where it is). Whether it exists is asked
    with DUMP, which creates nothing but sends the whole database, so its
    file sizes are shown too."""
    from dqlite_shell.shell import engine
    words = [a for a in args if a != FILES]
    if len(words) > 1 or len(args) - len(words) > 1:
        raise usage_error(".dbinfo")
    want_files = len(words) != len(args)
    name = words[0] if words else state.database
    with failures("dbinfo"):
        server = state.session.server()
    if name != state.database:
        stats, files = _other_database(state, name)
    else:
        with failures("dbinfo"):
            stats = engine.query(state, STATS_SQL)[1][0]
            files = state.session.dump(name) if want_files else None
    rows = info_rows(tuple(stats), files, server)
    engine.show(state, ["name", "value"], [rows])
    if files is not None and server.has("single_file_dump"):
        state.warn(f"note: this server (dqlite {server.range}) folds the WAL into the "
                   "database file it sends: the WAL's own size cannot be learnt")


# -- .vacuum --------------------------------------------------------------------------

#: What 1.13.0 to 1.18.1 answer VACUUM (it attaches its temporary copy).
REFUSED_VACUUM = "too many attached databases - max 0"


def cannot_vacuum(server: Capabilities) -> str | None:
    """Why VACUUM may not run on ``server`` (one line), or None."""
    from dqlite_shell.client.capabilities import CAPABILITIES
    if server.has("vacuum_main"):
        return None
    since = next(c.since for c in CAPABILITIES if c.name == "vacuum_main")
    return (f"this server (dqlite {server.range}) may refuse VACUUM (1.13.0 to 1.18.1 do; "
            f"{since} allows it); to shrink the database instead: .backup FILE, .open NEW, "
            ".restore FILE, then point the application at NEW")


def _try_vacuum(server: Capabilities) -> bool:
    """Whether to send VACUUM although it may be refused: the oldest range
    holds 1.11, which runs it, and 1.13-1.15.0, which refuse it harmlessly
    (REFUSED_VACUUM); the client cannot tell them apart. 1.15.1-1.18.1 all
    refuse it: nothing is sent."""
    from dqlite_shell.client.capabilities import OLD
    return server.level == OLD


def _sizes(state: ShellState) -> tuple[int, int, int]:
    """(page count, freelist count, bytes) of the current database."""
    from dqlite_shell.shell import engine
    pages, free, page_size = engine.query(state, SIZE_SQL)[1][0]
    return pages, free, pages * page_size


@command(".vacuum", "Rebuild the database without its free pages (dqlite 1.18.2+), sizes "
         "before and after", changes=True)
def vacuum(state: ShellState, args: list[str]) -> None:
    """Runs VACUUM on the current database: SQLite copies the live pages
    into a new database and writes it back through the WAL, as one
    replicated transaction, so every node gets the smaller database and
    later snapshots shrink with it. Nothing is lost; while it runs the
    database takes no other writes, and the transaction carries every live
    page (one Raft entry the size of the vacuumed database).
    Prints the page count, freelist count and size before and after.

    dqlite 1.13.0 to 1.18.1 refuse VACUUM. On 1.15.1 to 1.18.1 it sends
    nothing; on the oldest range (1.11, which runs it, and 1.13-1.15.0,
    which the client cannot tell from 1.11) it tries. Where it is refused,
    it says what to do instead: .backup FILE, .open NEW, .restore FILE into
    a new database, and point the application at it. Refused under
    --read-only and inside a transaction (SQLite cannot VACUUM in one)."""
    from dqlite_shell.shell import engine
    if state.connected_to is not None and state.session.transaction.active:
        raise CommandError(".vacuum cannot run inside a transaction (after BEGIN, or "
                           "anywhere under -1): SQLite vacuums only outside one")
    with failures("vacuum"):
        server = state.session.server()
    why = cannot_vacuum(server)
    if why and not _try_vacuum(server):
        raise CommandError(why)
    from dqlite_shell.client.errors import ServerError
    with failures("vacuum"):
        before = _sizes(state)
        try:
            state.session.execute("VACUUM")
        except ServerError as e:
            if why and e.message == REFUSED_VACUUM:
                raise CommandError(why) from None
            raise
        after = _sizes(state)
    engine.show(state, ["vacuum", "page count", "freelist count", "size"],
                [[("before", *before), ("after", *after)]])
