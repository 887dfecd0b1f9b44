"""What crashes a libdqlite 1.11 node, proven on throwaway ``dqlite-node``
processes, and the refusals (refusals.is_refused / refused_database) that keep
our client from ever sending it.

Each crash test starts its own node, sends the statement with a bare
:class:`Connection` (which does not refuse anything) and waits for that node
to die. If a test here fails because the node survived, the installed
libdqlite no longer crashes on it: re-check the refusal before relaxing it.
"""

from __future__ import annotations

import signal

import pytest

from dqlite_shell import refusals
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ClientError, ConnectionLost, ServerError
from dqlite_shell.client.session import Session

SIGABRT, SIGSEGV = -signal.SIGABRT, -signal.SIGSEGV

#: (id, database, steps, exit status, stderr fragment). A step is
#: ("exec" | "query", sql); the node dies during one of them.
CRASHES = [
    ("journal_mode", "t.db", [("exec", "PRAGMA journal_mode=delete")],
     SIGABRT, "free(): invalid pointer"),
    # Already while compiling: the EXPLAIN a client sends to classify it crashes too.
    ("explain-journal_mode", "t.db", [("query", "EXPLAIN PRAGMA journal_mode=off")],
     SIGABRT, "free(): invalid pointer"),
    ("locking_mode", "t.db", [("exec", "PRAGMA locking_mode=exclusive"),
                              ("exec", "CREATE TABLE t(x)")],
     SIGABRT, "vfsAmendWalIndexHeader"),
    ("page_size", "t.db", [("exec", "PRAGMA page_size=8192")],
     SIGABRT, "munmap_chunk(): invalid pointer"),
    ("wal_checkpoint", "t.db", [("exec", "CREATE TABLE t(x)"), ("exec", "INSERT INTO t VALUES (1)"),
                                ("query", "PRAGMA wal_checkpoint"),
                                ("exec", "INSERT INTO t VALUES (2)")],
     SIGSEGV, ""),
    ("db-memory", ":memory:", [("exec", "CREATE TABLE t(x)")], SIGSEGV, ""),
    ("db-empty", "", [("exec", "CREATE TABLE t(x)")], SIGSEGV, ""),
    ("db-uri-memory", "file::memory:", [("exec", "CREATE TABLE t(x)")], SIGSEGV, ""),
    ("db-uri-file", "file:t.db", [("exec", "CREATE TABLE t(x)"),
                                  ("exec", "INSERT INTO t VALUES (1)")],
     SIGABRT, "vfsFileShmLock"),
    # Not refusable from the text: the rows decide (see the report of issue 12).
    ("datetime-real", "t.db", [("exec", "CREATE TABLE d1(ts DATETIME)"),
                               ("exec", "INSERT INTO d1 VALUES (1.5)"),
                               ("query", "SELECT ts FROM d1")],
     SIGABRT, "value_type: Assertion"),
    ("boolean-text", "t.db", [("exec", "CREATE TABLE d1(b BOOLEAN)"),
                              ("exec", "INSERT INTO d1 VALUES ('true')"),
                              ("query", "SELECT b FROM d1")],
     SIGABRT, "value_type: Assertion"),
]

#: The crashes our client refuses before sending (by id).
REFUSED = {case[0] for case in CRASHES} - {"datetime-real", "boolean-text"}


def _send(conn: Connection, mode: str, sql: str) -> None:
    try:
        if mode == "exec":
            conn.exec_sql(sql)
        else:
            conn.query_sql(sql).fetchall()
    except ServerError:
        pass  # some steps fail first ("another row available"); the next one crashes


def _died(node) -> tuple[int, str]:
    """Wait (bounded) for the node to exit; its status and stderr."""
    _, err = node.proc.communicate(timeout=10)
    return node.proc.returncode, err


@pytest.mark.parametrize("name,database,steps,status,message", CRASHES,
                         ids=[case[0] for case in CRASHES])
def test_crashes_a_1_11_node(process_factory, name, database, steps, status, message):
    node = process_factory()
    with pytest.raises(ConnectionLost):
        with Connection.connect(node.address, timeout=5) as conn:
            conn.open(database)
            for mode, sql in steps:
                _send(conn, mode, sql)
    rc, err = _died(node)
    assert (rc, message in err) == (status, True), err


@pytest.mark.parametrize("name,database,steps,status,message",
                         [case for case in CRASHES if case[0] in REFUSED],
                         ids=sorted(REFUSED, key=[case[0] for case in CRASHES].index))
def test_every_refusable_crasher_is_refused(name, database, steps, status, message):
    reasons = [refusals.refused_database(database)] + [refusals.is_refused(sql) for _, sql in steps]
    refused = [r for r in reasons if r]
    assert len(refused) == 1, reasons
    assert "1.11" in refused[0] and "\n" not in refused[0]


#: Not crashes, but each leaves the node or the connection unusable.
BREAKS = [
    # Process-wide: the node stays up but cannot open a connection any more.
    ("hard_heap_limit", "PRAGMA hard_heap_limit=1"),
    # Every later write on this connection fails with a disk I/O error.
    ("synchronous", "PRAGMA synchronous=FULL"),
]


@pytest.mark.parametrize("name,sql", BREAKS, ids=[b[0] for b in BREAKS])
def test_breaks_a_1_11_node(process_factory, name, sql):
    node = process_factory()
    with Connection.connect(node.address, timeout=5) as conn:
        conn.open("t.db")
        try:
            conn.exec_sql(sql)
        except ServerError:
            pass  # the pragma answers with a row (EXEC says so) or already fails
        with pytest.raises(ServerError) as broken:
            conn.exec_sql("CREATE TABLE t(x)")
    assert broken.value.message in ("out of memory", "disk I/O error")
    if name == "hard_heap_limit":
        with pytest.raises(ConnectionLost):  # the node hangs up on OPEN
            with Connection.connect(node.address, timeout=5) as other:
                other.open("other.db")
    assert node.running
    assert "1.11" in refusals.is_refused(sql)


def test_too_long_database_name_loses_the_connection(node_process):
    longest = "x" * refusals.MAX_DATABASE_NAME
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open(longest)
        conn.exec_sql("CREATE TABLE t(x)")
    with pytest.raises(ConnectionLost):
        with Connection.connect(node_process.address, timeout=5) as conn:
            conn.open(longest + "x")
    assert node_process.running
    assert refusals.refused_database(longest) is None
    assert "longer than 504 bytes" in refusals.refused_database(longest + "x")


#: Forms next to the crashers that are harmless on a 1.11 node: never refused.
HARMLESS = [
    "PRAGMA journal_mode", "PRAGMA journal_mode=wal", "PRAGMA main.journal_mode='WAL'",
    "PRAGMA temp.journal_mode=delete", "PRAGMA locking_mode", "PRAGMA locking_mode=normal",
    "PRAGMA temp.locking_mode=exclusive", "PRAGMA page_size", "PRAGMA page_size=4096",
    "PRAGMA temp.page_size=8192", "PRAGMA synchronous=OFF", "PRAGMA synchronous",
    "PRAGMA hard_heap_limit", "PRAGMA soft_heap_limit=1000000", "EXPLAIN PRAGMA wal_checkpoint",
    "SELECT * FROM pragma_journal_mode", "VACUUM", "PRAGMA wal_autocheckpoint=1",
    "ATTACH ':memory:' AS m", "PRAGMA optimize",
]


def test_harmless_neighbours_are_not_refused_and_the_node_survives(node_process):
    assert [sql for sql in HARMLESS if refusals.is_refused(sql)] == []
    for database in (":MEMORY:", " :memory:", "FILE::memory:", "a/b", "..", "é.db"):
        assert refusals.refused_database(database) is None
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open("t.db")
        conn.exec_sql("CREATE TABLE t(x)")
        for sql in HARMLESS:
            try:
                conn.exec_sql(sql)
            except ServerError:
                pass  # "another row available": the pragma answered with a row
        conn.exec_sql("INSERT INTO t VALUES (1)")
        assert conn.query_sql("SELECT count(*) FROM t").fetchall() == [(1,)]
    for database in (":MEMORY:", "FILE::memory:", "é.db"):
        with Connection.connect(node_process.address, timeout=5) as conn:
            conn.open(database)
            conn.exec_sql("CREATE TABLE IF NOT EXISTS t(x)")
    assert node_process.running


def test_session_refuses_a_crasher_before_sending(node_process):
    session = Session([node_process.address], "t.db", timeout=5)
    try:
        with pytest.raises(ClientError, match="journal_mode is refused"):
            session.execute("/* c */ pragma MAIN.Journal_Mode('delete')")
        session.execute("CREATE TABLE t(x)")
    finally:
        session.close()
    assert node_process.running


def test_long_column_names_make_a_1_11_node_resend_empty_batches(node_process):
    """When a result's column names fill the node's 4 KB batch, libdqlite 1.11
    sends batches with no rows and never ends: the client stops it with one
    line instead of reading for ever, and the node goes on."""
    wide = ", ".join(f"column_{i:04d}" for i in range(400))
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open("t.db")
        conn.exec_sql(f"CREATE TABLE w({wide})")
        stream = conn.query_sql("SELECT * FROM w")
        with pytest.raises(ClientError, match="cannot return this result: its column names "
                                              "fill the server's 4 KB batch"):
            stream.fetchall()
        assert conn.closed
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open("t.db")
        assert conn.query_sql("SELECT count(*) FROM w").fetchall() == [(0,)]
    assert node_process.running
