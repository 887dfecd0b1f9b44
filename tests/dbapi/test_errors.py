"""Errors mapped as CPython's sqlite3 maps them, with the SQLite codes."""

from __future__ import annotations

import threading
import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.native import release_port, reserve_address
from tests.dbapi.conftest import rows, scalar
from tests.support.server_expectations import RETURNING_REFUSAL


@pytest.mark.parametrize("sql, message", [
    ("SELEC 1", 'near "SELEC": syntax error'),
    ("SELECT * FROM missing", "no such table: missing"),
    ("INSERT INTO missing VALUES (1)", "no such table: missing"),
    ("SELECT nope FROM sqlite_master", "no such column: nope"),
    ("SELECT nofunc(1)", "no such function: nofunc"),
    ("CREATE TABLE sqlite_x (a)", "object name reserved for internal use: sqlite_x"),
    ("SELECT abs(-9223372036854775807 - 1)", "integer overflow"),
    ("COMMIT", "cannot commit - no transaction is active"),
    ("ROLLBACK", "cannot rollback - no transaction is active"),
    ("RELEASE nosuch", "no such savepoint: nosuch"),
])
def test_operational_errors(conn, sql, message):
    with pytest.raises(dbapi.OperationalError) as failed:
        conn.execute(sql).fetchall()
    assert str(failed.value) == message
    assert failed.value.sqlite_errorcode == 1
    assert failed.value.sqlite_errorname == "SQLITE_ERROR"
    assert isinstance(failed.value, dbapi.DatabaseError)
    assert rows(conn, "SELECT 1") == [(1,)]  # still usable


def test_runtime_error_while_streaming(conn):
    # The error comes with a later batch of rows, not from execute().
    cur = conn.execute("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
                       "WHERE i < 20000) SELECT i, CASE WHEN i = 19000 THEN "
                       "abs(-9223372036854775807 - 1) ELSE i END FROM r")
    got = cur.fetchmany(10)
    assert got[0] == (1, 1)
    with pytest.raises(dbapi.OperationalError, match="integer overflow"):
        cur.fetchall()
    assert rows(conn, "SELECT 2") == [(2,)]


@pytest.fixture
def constrained(conn):
    conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    conn.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                 "parent_id INTEGER REFERENCES parent (id), "
                 "name TEXT NOT NULL UNIQUE, n INTEGER CHECK (n > 0))")
    conn.execute("INSERT INTO parent VALUES (1)")
    conn.execute("INSERT INTO child VALUES (1, 1, 'a', 1)")
    return conn


@pytest.mark.parametrize("sql, name, message", [
    ("INSERT INTO child VALUES (2, 1, 'a', 1)", "SQLITE_CONSTRAINT_UNIQUE",
     "UNIQUE constraint failed: child.name"),
    ("INSERT INTO child VALUES (1, 1, 'b', 1)", "SQLITE_CONSTRAINT_PRIMARYKEY",
     "UNIQUE constraint failed: child.id"),
    ("INSERT INTO child VALUES (2, 1, NULL, 1)", "SQLITE_CONSTRAINT_NOTNULL",
     "NOT NULL constraint failed: child.name"),
    ("INSERT INTO child VALUES (2, 1, 'b', 0)", "SQLITE_CONSTRAINT_CHECK",
     "CHECK constraint failed: n > 0"),
    ("INSERT INTO child VALUES (2, 99, 'b', 1)", "SQLITE_CONSTRAINT_FOREIGNKEY",
     "FOREIGN KEY constraint failed"),
    ("DELETE FROM parent", "SQLITE_CONSTRAINT_FOREIGNKEY", "FOREIGN KEY constraint failed"),
    ("UPDATE child SET name = NULL RETURNING id", "SQLITE_CONSTRAINT_NOTNULL",
     "NOT NULL constraint failed: child.name"),
])
def test_integrity_errors(constrained, other, sql, name, message):
    if "RETURNING" in sql and RETURNING_REFUSAL is not None:
        # 1.15.1-1.18.2: refused before it is sent, so nothing is violated.
        with pytest.raises(dbapi.OperationalError) as refused:
            constrained.execute(sql).fetchall()
        assert str(refused.value) == RETURNING_REFUSAL
    else:
        with pytest.raises(dbapi.IntegrityError) as failed:
            constrained.execute(sql).fetchall()
        assert str(failed.value) == message
        assert failed.value.sqlite_errorname == name
        assert failed.value.sqlite_errorcode & 0xFF == 19
    assert rows(other, "SELECT * FROM child") == [(1, 1, "a", 1)]
    assert rows(other, "SELECT * FROM parent") == [(1,)]


def test_trigger_raise_is_integrity_error(conn):
    conn.execute("CREATE TABLE t (a)")
    conn.execute("CREATE TRIGGER no_b BEFORE INSERT ON t WHEN new.a = 'b' "
                 "BEGIN SELECT RAISE(ABORT, 'no b please'); END")
    with pytest.raises(dbapi.IntegrityError, match="^no b please$") as failed:
        conn.execute("INSERT INTO t VALUES ('b')")
    assert failed.value.sqlite_errorname == "SQLITE_CONSTRAINT_TRIGGER"


def test_datatype_mismatch(conn):
    conn.execute("CREATE TABLE r (id INTEGER PRIMARY KEY)")
    with pytest.raises(dbapi.IntegrityError, match="datatype mismatch") as failed:
        conn.execute("INSERT INTO r VALUES ('not an integer')")
    assert failed.value.sqlite_errorname == "SQLITE_MISMATCH"


def test_too_big_is_data_error(conn):
    with pytest.raises(dbapi.DataError) as failed:
        conn.execute("SELECT zeroblob(2000000000)").fetchall()
    assert failed.value.sqlite_errorname == "SQLITE_TOOBIG"


def test_foreign_keys_are_enforced(conn):
    assert scalar(conn, "PRAGMA foreign_keys") == 1


def test_deferred_foreign_key_fails_at_commit(constrained, connect, other):
    constrained.execute("CREATE TABLE late (p INTEGER REFERENCES parent (id) "
                        "DEFERRABLE INITIALLY DEFERRED)")
    legacy = connect()
    legacy.execute("INSERT INTO late VALUES (5)")  # fine until COMMIT
    with pytest.raises(dbapi.IntegrityError, match="FOREIGN KEY constraint failed"):
        legacy.commit()
    assert legacy.in_transaction  # as SQLite: the transaction stays open
    legacy.execute("INSERT INTO parent VALUES (5)")
    legacy.commit()
    assert not legacy.in_transaction
    assert rows(other, "SELECT p FROM late") == [(5,)]


def test_closed_cursor(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.close()
    cur.close()  # twice is fine
    for use in [lambda: cur.execute("SELECT 1"), cur.fetchone, cur.fetchall, cur.fetchmany,
                lambda: cur.executemany("INSERT INTO x VALUES (?)", []), lambda: next(cur)]:
        with pytest.raises(dbapi.ProgrammingError, match="closed cursor"):
            use()
    assert rows(conn, "SELECT 1") == [(1,)]


def test_closed_connection(connect):
    conn = connect(autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT 1")
    conn.close()
    conn.close()  # twice is fine
    assert conn.closed
    for use in [conn.cursor, conn.commit, conn.rollback, lambda: conn.execute("SELECT 1"),
                lambda: conn.executemany("SELECT 1", []), lambda: cur.execute("SELECT 1"),
                cur.fetchone, cur.fetchall, lambda: setattr(conn, "autocommit", False)]:
        with pytest.raises(dbapi.ProgrammingError, match="closed connection"):
            use()
    with conn:  # leaving the block of a closed connection does nothing
        pass


def test_cursor_closed_by_its_context_manager(conn):
    with conn.cursor() as cur:
        assert cur.execute("SELECT 3").fetchone() == (3,)
    with pytest.raises(dbapi.ProgrammingError):
        cur.fetchone()


def test_no_server_listening():
    address = reserve_address()  # reserved, nothing listens there
    try:
        started = time.monotonic()
        with pytest.raises(dbapi.OperationalError) as failed:
            dbapi.connect(address, timeout=1.0)
        elapsed = time.monotonic() - started
    finally:
        release_port(int(address.rsplit(":", 1)[1]))
    assert elapsed < 3.0
    assert address in str(failed.value)
    assert "connection refused" in str(failed.value)


def test_no_server_among_several(servers):
    dead = [reserve_address() for _ in range(2)]
    try:
        started = time.monotonic()
        with pytest.raises(dbapi.OperationalError, match="no leader found"):
            dbapi.connect(dead, timeout=0.5)
        assert time.monotonic() - started < 2.5
        # One live member among dead ones is enough.
        conn = dbapi.connect(dead + servers[:1], timeout=10)
        try:
            assert rows(conn, "SELECT 1") == [(1,)]
        finally:
            conn.close()
    finally:
        for address in dead:
            release_port(int(address.rsplit(":", 1)[1]))


@pytest.mark.parametrize("bad", ["not-an-address", "127.0.0.1:99999"])
def test_bad_address(bad):
    with pytest.raises(dbapi.OperationalError):
        dbapi.connect(bad, timeout=0.5)


def test_invalid_settings(servers, db):
    for kwargs in [{"autocommit": 1}, {"autocommit": 0}, {"autocommit": "yes"},
                   {"autocommit": None}, {"isolation_level": "SERIALIZABLE"},
                   {"isolation_level": "DEFERRED; DROP TABLE x"}]:
        with pytest.raises(dbapi.ProgrammingError):
            dbapi.connect(servers, db, **kwargs)


def test_bad_tls_files(servers, tmp_path):
    missing = str(tmp_path / "missing.crt")
    with pytest.raises(dbapi.InterfaceError) as failed:
        dbapi.connect(servers, cert=missing, key=missing)
    assert "missing.crt" in str(failed.value)


def test_locked_database_is_operational_error(connect):
    conn = connect(busy_timeout=0)
    conn.execute("CREATE TABLE t (v)")
    writer = connect()
    writer.execute("INSERT INTO t VALUES (1)")  # holds the write lock (legacy BEGIN)
    started = time.monotonic()
    with pytest.raises(dbapi.OperationalError, match="database is locked") as failed:
        conn.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - started < 1  # busy_timeout=0: at once
    assert failed.value.sqlite_errorname == "SQLITE_BUSY"
    assert failed.value.sqlite_errorcode & 0xFF == 5
    writer.rollback()
    conn.execute("INSERT INTO t VALUES (3)")
    assert rows(conn, "SELECT v FROM t") == [(3,)]


def test_busy_timeout_waits_for_the_lock_then_gives_up(connect):
    conn = connect(busy_timeout=0.5)
    conn.execute("CREATE TABLE bt (v)")
    conn.commit()
    writer = connect(check_same_thread=False)  # committed from a timer thread
    writer.execute("INSERT INTO bt VALUES (1)")  # holds the write lock
    started = time.monotonic()
    with pytest.raises(dbapi.OperationalError, match="database is locked"):
        conn.execute("INSERT INTO bt VALUES (2)")
    assert 0.5 <= time.monotonic() - started < 2
    conn.rollback()
    # Released while the other one waits: it goes through.
    releaser = threading.Timer(0.2, writer.commit)
    releaser.start()
    conn.execute("INSERT INTO bt VALUES (3)")
    conn.commit()
    releaser.join()
    assert rows(conn, "SELECT v FROM bt ORDER BY v") == [(1,), (3,)]


def test_concurrent_writers_wait_instead_of_failing(connect):
    """libdqlite 1.11 refuses a write while another is replicated; with the
    default busy_timeout (5 s, as sqlite3's timeout) four writers all get
    through."""
    setup = connect(autocommit=True)
    setup.execute("CREATE TABLE cw (thread, n)")
    failures = []

    def write(thread):
        conn = connect(autocommit=True, check_same_thread=False)  # closed by the fixture
        try:
            for n in range(50):
                conn.execute("INSERT INTO cw VALUES (?, ?)", (thread, n))
        except dbapi.Error as e:
            failures.append(e)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert rows(setup, "SELECT count(*) FROM cw") == [(200,)]


@pytest.mark.parametrize("code, cls, name", [
    (1, dbapi.OperationalError, "SQLITE_ERROR"),
    (2, dbapi.InternalError, "SQLITE_INTERNAL"),
    (5 | (2 << 8), dbapi.OperationalError, "SQLITE_BUSY"),
    (8, dbapi.OperationalError, "SQLITE_READONLY"),
    (10 | (40 << 8), dbapi.OperationalError, "SQLITE_IOERR_NOT_LEADER"),
    (11, dbapi.DatabaseError, "SQLITE_CORRUPT"),
    (13, dbapi.OperationalError, "SQLITE_FULL"),
    (18, dbapi.DataError, "SQLITE_TOOBIG"),
    (19 | (7 << 8), dbapi.IntegrityError, "SQLITE_CONSTRAINT_TRIGGER"),
    (19 | (12 << 8), dbapi.IntegrityError, "SQLITE_CONSTRAINT_DATATYPE"),
    (19 | (99 << 8), dbapi.IntegrityError, "SQLITE_CONSTRAINT"),
    (20, dbapi.IntegrityError, "SQLITE_MISMATCH"),
    (21, dbapi.InterfaceError, "SQLITE_MISUSE"),
    (25, dbapi.InterfaceError, "SQLITE_RANGE"),
    (26, dbapi.DatabaseError, "SQLITE_NOTADB"),
    (99, dbapi.DatabaseError, "code 99"),
])
def test_code_mapping(code, cls, name):
    from dqlite_shell.client.errors import ServerError
    from dqlite_shell.dbapi.exceptions import translate
    error = translate(ServerError(code, "message"))
    assert type(error) is cls
    assert error.sqlite_errorcode == code and error.sqlite_errorname == name
    assert str(error) == "message"


def test_client_error_mapping():
    from dqlite_shell.client.errors import (
        ConnectError,
        ConnectionLost,
        LeadershipLost,
        ParameterCountError,
        RequestTimeout,
        TransactionLost,
    )
    from dqlite_shell.dbapi.exceptions import translate
    from dqlite_shell.wire.errors import ParameterError, ProtocolError
    for error, cls in [(ConnectError("x"), dbapi.OperationalError),
                       (ConnectionLost("x"), dbapi.OperationalError),
                       (RequestTimeout("x"), dbapi.OperationalError),
                       (LeadershipLost("x"), dbapi.OperationalError),
                       (TransactionLost("x"), dbapi.OperationalError),
                       (ParameterCountError(2, 1), dbapi.ProgrammingError),
                       (ParameterError("x"), dbapi.ProgrammingError),
                       (ProtocolError("x"), dbapi.InterfaceError)]:
        assert type(translate(error)) is cls, error
    other = KeyError("x")
    assert translate(other) is other
