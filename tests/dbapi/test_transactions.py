"""Transactions and ``autocommit``, with the rules of Python 3.12's sqlite3,
observed from a second connection."""

from __future__ import annotations

import pytest

from dqlite_shell import dbapi
from dqlite_shell.dbapi import LEGACY_TRANSACTION_CONTROL
from tests.dbapi.conftest import rows, scalar
from tests.support.server_expectations import RETURNING_REFUSAL


@pytest.fixture
def table(conn):
    conn.execute("CREATE TABLE t (v)")
    return "t"


def seen(other) -> list:
    return [r[0] for r in rows(other, "SELECT v FROM t ORDER BY rowid")]


# -- legacy mode (the default) ------------------------------------------------

def test_legacy_is_default(connect, table):
    conn = connect()
    assert conn.autocommit == LEGACY_TRANSACTION_CONTROL
    assert conn.isolation_level == ""
    assert not conn.in_transaction


@pytest.mark.parametrize("sql", [
    "INSERT INTO t VALUES (1)", "UPDATE t SET v = 2", "DELETE FROM t", "REPLACE INTO t VALUES (3)",
    "insert into t values (4)", "/* c */ INSERT INTO t VALUES (5) RETURNING v",
])
def test_legacy_implicit_begin_before_dml(connect, table, sql):
    conn = connect()
    if "RETURNING" in sql and RETURNING_REFUSAL is not None:
        # 1.15.1-1.18.2: refused before it is sent; the same DML without
        # RETURNING still opens the transaction.
        with pytest.raises(dbapi.OperationalError) as refused:
            conn.execute(sql)
        assert str(refused.value) == RETURNING_REFUSAL
        sql = sql[:sql.index(" RETURNING ")]
    cur = conn.execute(sql)
    if cur.description is not None:
        cur.fetchall()
    assert conn.in_transaction


@pytest.mark.parametrize("sql", [
    "SELECT * FROM t", "VALUES (1)", "PRAGMA user_version", "CREATE TABLE u (a)",
    "WITH x(a) AS (VALUES (1)) INSERT INTO t SELECT a FROM x",  # sqlite3 looks at the first word
])
def test_legacy_no_implicit_begin(connect, table, sql):
    conn = connect()
    cur = conn.execute(sql)
    if cur.description is not None:
        cur.fetchall()
    assert not conn.in_transaction


def test_legacy_commit_and_rollback(connect, other, table):
    conn = connect()
    conn.execute("INSERT INTO t VALUES ('a')")
    assert seen(other) == []  # uncommitted rows are invisible
    conn.commit()
    assert not conn.in_transaction
    assert seen(other) == ["a"]
    conn.execute("INSERT INTO t VALUES ('b')")
    conn.execute("UPDATE t SET v = v || '!'")
    assert conn.in_transaction
    assert rows(conn, "SELECT v FROM t ORDER BY rowid") == [("a!",), ("b!",)]  # its own writes
    conn.rollback()
    assert not conn.in_transaction
    assert seen(other) == ["a"]
    assert rows(conn, "SELECT v FROM t") == [("a",)]
    conn.commit()  # nothing open: no-ops
    conn.rollback()


def test_legacy_close_rolls_back(connect, other, table):
    conn = connect()
    conn.execute("INSERT INTO t VALUES ('lost')")
    conn.close()
    assert seen(other) == []


@pytest.mark.parametrize("level", ["DEFERRED", "IMMEDIATE", "EXCLUSIVE", "immediate"])
def test_legacy_isolation_levels(connect, other, table, level):
    conn = connect(isolation_level=level)
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.in_transaction
    assert seen(other) == []
    conn.commit()
    assert seen(other) == [1]


def test_legacy_isolation_level_none_is_autocommit(connect, other, table):
    conn = connect(isolation_level=None)
    conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.in_transaction
    assert seen(other) == [1]
    conn.rollback()  # nothing to roll back
    assert seen(other) == [1]
    conn.execute("BEGIN")  # explicit transactions still work
    conn.execute("INSERT INTO t VALUES (2)")
    assert seen(other) == [1]
    conn.rollback()
    assert not conn.in_transaction
    assert seen(other) == [1]


def test_legacy_setting_isolation_level_none_commits(connect, other, table):
    conn = connect()
    conn.execute("INSERT INTO t VALUES (1)")
    conn.isolation_level = None
    assert not conn.in_transaction
    assert seen(other) == [1]
    conn.isolation_level = "IMMEDIATE"
    conn.execute("INSERT INTO t VALUES (2)")
    assert conn.in_transaction
    with pytest.raises(dbapi.ProgrammingError):
        conn.isolation_level = "SOMETIMES"
    assert conn.isolation_level == "IMMEDIATE"


def test_legacy_user_transaction(connect, other, table):
    conn = connect()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (1)")  # no second BEGIN
    conn.execute("COMMIT")
    assert not conn.in_transaction
    assert seen(other) == [1]


def test_legacy_commit_of_a_half_read_result(connect, table):
    conn = connect()
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)])
    cur = conn.execute("SELECT v FROM t")
    assert cur.fetchone() == (0,)
    conn.commit()
    assert not conn.in_transaction
    assert scalar(conn, "SELECT count(*) FROM t") == 5000


# -- autocommit=True -----------------------------------------------------------

def test_autocommit_true(connect, other, table):
    conn = connect(autocommit=True)
    assert not conn.in_transaction
    conn.execute("INSERT INTO t VALUES (1)")
    assert not conn.in_transaction
    assert seen(other) == [1]  # visible at once
    conn.rollback()  # no-ops
    conn.commit()
    assert seen(other) == [1]


def test_autocommit_true_user_transactions(connect, other, table):
    conn = connect(autocommit=True, isolation_level="IMMEDIATE")  # ignored
    conn.execute("BEGIN")
    assert conn.in_transaction
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()  # does nothing: the transaction is the user's
    conn.rollback()
    assert conn.in_transaction
    assert seen(other) == []
    conn.execute("COMMIT")
    assert seen(other) == [1]
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t VALUES (2)")
    conn.execute("ROLLBACK")
    assert not conn.in_transaction
    assert seen(other) == [1]


# -- autocommit=False ----------------------------------------------------------

def test_autocommit_false_always_in_transaction(connect, other, table):
    conn = connect(autocommit=False)
    assert conn.in_transaction  # from the start
    conn.execute("INSERT INTO t VALUES (1)")
    assert seen(other) == []
    conn.commit()
    assert conn.in_transaction  # a new one begins
    assert seen(other) == [1]
    conn.execute("INSERT INTO t VALUES (2)")
    conn.rollback()
    assert conn.in_transaction
    assert seen(other) == [1]
    conn.execute("CREATE TABLE u (a)")  # DDL is transactional too
    conn.execute("INSERT INTO u VALUES (1)")
    assert rows(other, "SELECT name FROM sqlite_master WHERE name = 'u'") == []
    conn.commit()
    assert rows(other, "SELECT a FROM u") == [(1,)]


def test_autocommit_false_reads_inside_transaction(connect, other, table):
    conn = connect(autocommit=False)
    assert seen(conn) == []
    other.execute("INSERT INTO t VALUES ('new')")
    # A deferred transaction takes its snapshot at its first read.
    assert seen(conn) == []
    conn.commit()
    assert seen(conn) == ["new"]


def test_autocommit_false_close_rolls_back(connect, other, table):
    conn = connect(autocommit=False)
    conn.execute("INSERT INTO t VALUES ('lost')")
    conn.close()
    assert seen(other) == []


def test_autocommit_false_restores_transaction_after_user_commit(connect, other, table):
    conn = connect(autocommit=False)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.execute("COMMIT")
    assert not conn.in_transaction
    assert seen(other) == [1]
    conn.execute("INSERT INTO t VALUES (2)")  # begins again: nothing escapes commit()
    assert conn.in_transaction
    assert seen(other) == [1]
    conn.rollback()
    assert seen(other) == [1]


# -- switching ------------------------------------------------------------------

def test_switch_to_autocommit_commits(connect, other, table):
    conn = connect(autocommit=False)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.autocommit = True
    assert not conn.in_transaction
    assert seen(other) == [1]
    conn.autocommit = False
    assert conn.in_transaction
    conn.execute("INSERT INTO t VALUES (2)")
    assert seen(other) == [1]
    conn.autocommit = LEGACY_TRANSACTION_CONTROL  # keeps the open transaction
    assert conn.in_transaction
    conn.commit()
    assert not conn.in_transaction
    assert seen(other) == [1, 2]
    for bad in (1, 0, None, "on"):
        with pytest.raises(dbapi.ProgrammingError):
            conn.autocommit = bad
    assert conn.autocommit == LEGACY_TRANSACTION_CONTROL


# -- context manager ---------------------------------------------------------

@pytest.mark.parametrize("autocommit", [LEGACY_TRANSACTION_CONTROL, False])
def test_context_manager_commits(connect, other, table, autocommit):
    conn = connect(autocommit=autocommit)
    with conn as entered:
        assert entered is conn
        conn.execute("INSERT INTO t VALUES (1)")
    assert seen(other) == [1]
    assert not conn.closed
    assert rows(conn, "SELECT count(*) FROM t") == [(1,)]


@pytest.mark.parametrize("autocommit", [LEGACY_TRANSACTION_CONTROL, False])
def test_context_manager_rolls_back_on_error(connect, other, table, autocommit):
    conn = connect(autocommit=autocommit)
    with pytest.raises(ZeroDivisionError):
        with conn:
            conn.execute("INSERT INTO t VALUES (1)")
            raise ZeroDivisionError("an error inside the block")
    assert seen(other) == []
    assert not conn.closed
    with pytest.raises(dbapi.IntegrityError):
        with conn:
            conn.execute("CREATE TABLE IF NOT EXISTS k (a UNIQUE)")
            conn.execute("INSERT INTO k VALUES (1)")
            conn.execute("INSERT INTO t VALUES (2)")
            conn.execute("INSERT INTO k VALUES (1)")
    assert seen(other) == []
    with conn:
        conn.execute("INSERT INTO t VALUES (3)")
    assert seen(other) == [3]


def test_context_manager_autocommit_true(connect, other, table):
    conn = connect(autocommit=True)
    with pytest.raises(RuntimeError):
        with conn:
            conn.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError
    assert seen(other) == [1]  # autocommit: nothing to roll back


# -- transactions SQLite ended by itself ------------------------------------------

def test_rollback_after_sqlite_rolled_back(connect, other):
    conn = connect()
    conn.execute("CREATE TABLE u (a UNIQUE ON CONFLICT ROLLBACK)")
    conn.execute("INSERT INTO u VALUES (1)")
    conn.commit()
    conn.execute("INSERT INTO u VALUES (2)")
    with pytest.raises(dbapi.IntegrityError):
        conn.execute("INSERT INTO u VALUES (1)")  # SQLite rolls the transaction back
    conn.rollback()  # nothing left to roll back: no error
    assert not conn.in_transaction
    conn.execute("INSERT INTO u VALUES (3)")
    assert conn.in_transaction
    conn.commit()
    assert rows(other, "SELECT a FROM u ORDER BY a") == [(1,), (3,)]


def test_state_after_sqlite_rolled_back(connect, other):
    conn = connect()
    conn.execute("CREATE TABLE u (a UNIQUE ON CONFLICT ROLLBACK)")
    conn.execute("INSERT INTO u VALUES (1)")
    conn.commit()
    conn.execute("INSERT INTO u VALUES (2)")
    with pytest.raises(dbapi.IntegrityError):
        conn.execute("INSERT INTO u VALUES (1)")
    conn.execute("INSERT INTO u VALUES (3)")
    assert rows(other, "SELECT a FROM u ORDER BY a") == [(1,)]  # 3 is not committed yet
