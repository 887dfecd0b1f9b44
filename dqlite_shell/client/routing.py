"""How a statement is sent, by what the text says and what the server can do.

The parts of :meth:`Session._run <dqlite_shell.client.session.Session>` that
depend on the server (see capabilities.py): classifying what the text does not
settle, RETURNING on servers that cannot run it as one QUERY_SQL, and refusing
what a node cannot take. Each works on one connection; the session keeps the
caches and the retry rules.
"""

from __future__ import annotations

from dqlite_shell import refusals, sqltext
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import SQLITE_IOERR_NOT_LEADER, ClientError, ServerError
from dqlite_shell.client.result import RowStream

SQLITE_ERROR = 1
#: libdqlite 1.11 answers QUERY on a statement without result columns with
#: SQLITE_ERROR and sqlite3_errmsg() of a connection that has no error, before
#: stepping the statement (src/query.c, query__batch). That answer means "not
#: run: send EXEC instead".
NO_COLUMNS_MESSAGE = "not an error"
#: What 1.15.1+ answers to EXPLAIN of a statement that writes (the EXPLAIN
#: goes through its write path, which refuses rows): the statement writes.
WRITE_REFUSES_ROWS = "rows yielded when none expected for EXEC request"
#: A write with rows on a server that cannot run it (capability rows_from_writes).
NO_ROWS_FROM_WRITES = ("this server (dqlite {range}) cannot return rows from a statement "
                       "that writes (RETURNING, EXPLAIN of a write); dqlite 1.18 can")


def is_plain(statement: sqltext.Statement) -> bool:
    """One statement without parameters: EXEC_SQL runs it in one round trip
    (with a tail it would run the rest too; with parameters unbound ones
    would be NULL instead of an error)."""
    return not statement.parameters and statement.single


def explain(conn: Connection, sql: str) -> str:
    """Classify a statement the text does not settle (PRAGMA, ...) from its
    program: ResultRow means rows; a write transaction (Transaction with
    P2 != 0) means it writes. EXPLAIN prepares, never runs, the statement.
    A 1.15.1+ server refuses EXPLAIN of a write: that refusal says WRITE."""
    try:
        rows = conn.query_sql("EXPLAIN " + sql).fetchall()
    except ServerError as e:
        if e.message == WRITE_REFUSES_ROWS:
            return sqltext.WRITE
        raise
    has_rows = any(r[1] == "ResultRow" for r in rows)
    writes = any(r[1] == "Transaction" and r[3] for r in rows)
    if has_rows:
        return sqltext.WRITE_ROWS if writes else sqltext.READ
    return sqltext.WRITE


def check_leader(conn: Connection) -> None:
    """Before refusing a statement for what this node cannot do: is it
    still the leader? If not (a rolling upgrade moved leadership), the
    statement goes to the new one, which may well run it."""
    leader = conn.leader()
    if leader is None or leader.address != conn.address:
        raise ServerError(SQLITE_IOERR_NOT_LEADER, "not leader")

def refuse(conn: Connection, sql: str, refused: refusals.Refusal) -> None:
    """Raise why ``sql`` is not sent; where a PREPARE of it is harmless, the
    server is asked first and its own refusal, if it makes one, passes on."""
    if refused.ask_server:
        stmt = conn.prepare(sql)  # a ServerError here is the server's answer
        conn.finalize(stmt.id)
    raise ClientError(refused.reason)


def write_rows(conn: Connection, sql: str, params, own: bool) -> RowStream:
    """A writing statement with rows (RETURNING), safely on libdqlite 1.11.

    1.11 runs QUERY outside Raft: a write that commits there never reaches
    the log and the node aborts. Inside a transaction the write stays in
    the connection until COMMIT, which goes through EXEC and Raft. So we
    wrap the statement in one when the user has none open (``own``), and
    read its (bounded: one per affected row) rows before committing.
    """
    if own:
        conn.exec_sql("BEGIN")
    try:
        stream = conn.query_sql(sql, params)
        rows = stream.fetchall()
        if own:
            conn.exec_sql("COMMIT")
    except BaseException:
        if own and not conn.closed:
            try:
                conn.exec_sql("ROLLBACK")
            except (ClientError, OSError):
                pass
        raise
    return RowStream.materialized(stream.columns, rows)
