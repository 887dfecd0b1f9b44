"""Statements of every kind through ``Cursor.execute`` against a real cluster.

Writes are checked from a second connection and, for DML, through Debian's Go
shell dialed at another member (it finds the leader itself and reads what
Raft committed).
"""

from __future__ import annotations

import pytest

from dqlite_shell import dbapi
from tests.dbapi.conftest import go_query, not_leader, rows, scalar
from tests.support.server_expectations import EXPLAIN_WRITE_REFUSAL, RETURNING_REFUSAL


@pytest.fixture
def people(conn):
    conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)")
    conn.executemany("INSERT INTO people (name, age) VALUES (?, ?)",
                     [("ann", 31), ("bob", 42), ("cid", 25)])
    return "people"


def names(cursor) -> list[str]:
    return [d[0] for d in cursor.description]


def test_select(conn, people):
    cur = conn.execute("SELECT id, name, age FROM people WHERE age > ? ORDER BY id", (30,))
    assert names(cur) == ["id", "name", "age"]
    assert cur.fetchall() == [(1, "ann", 31), (2, "bob", 42)]


def test_select_without_table(conn):
    cur = conn.execute("SELECT 1 AS one, 'two', NULL, 2.5")
    assert names(cur) == ["one", "'two'", "NULL", "2.5"]
    assert cur.fetchall() == [(1, "two", None, 2.5)]


def test_select_no_rows_has_description(conn, people):
    cur = conn.execute("SELECT name FROM people WHERE age > 100")
    assert names(cur) == ["name"]
    assert cur.fetchall() == []


def test_with_select(conn, people):
    cur = conn.execute("WITH old(n) AS (SELECT name FROM people WHERE age >= 30) "
                       "SELECT upper(n) FROM old ORDER BY n")
    assert cur.fetchall() == [("ANN",), ("BOB",)]


def test_recursive_with(conn):
    cur = conn.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                       "WHERE i < 5) SELECT i * i FROM c")
    assert cur.fetchall() == [(1,), (4,), (9,), (16,), (25,)]


def test_with_insert(conn, other, people):
    cur = conn.execute("WITH n(x) AS (VALUES ('dan'), ('eve')) "
                       "INSERT INTO people (name, age) SELECT x, 50 FROM n")
    assert cur.description is None
    assert cur.rowcount == 2
    assert rows(other, "SELECT name FROM people WHERE age = 50 ORDER BY name") == [
        ("dan",), ("eve",)]


def test_values(conn):
    cur = conn.execute("VALUES (1, 'a'), (2, 'b')")
    assert names(cur) == ["column1", "column2"]
    assert cur.fetchall() == [(1, "a"), (2, "b")]


def test_explain(conn, people):
    cur = conn.execute("EXPLAIN SELECT * FROM people")
    assert names(cur) == ["addr", "opcode", "p1", "p2", "p3", "p4", "p5", "comment"]
    opcodes = [r[1] for r in cur.fetchall()]
    assert opcodes[0] == "Init" and "ResultRow" in opcodes and "Halt" in opcodes


def test_explain_query_plan(conn, people):
    cur = conn.execute("EXPLAIN QUERY PLAN SELECT * FROM people WHERE id = 1")
    plan = cur.fetchall()
    assert len(plan) == 1
    assert "people" in plan[0][-1] and "INTEGER PRIMARY KEY" in plan[0][-1]


def explain_write(conn, sql):
    """EXPLAIN (QUERY PLAN) of a write: its rows, or, where the server
    refuses rows from a write (1.15.1-1.18.2), that one-line refusal and []."""
    if EXPLAIN_WRITE_REFUSAL is None:
        return conn.execute(sql).fetchall()
    with pytest.raises(dbapi.OperationalError) as refused:
        conn.execute(sql).fetchall()
    assert str(refused.value) == EXPLAIN_WRITE_REFUSAL
    return []


def test_explain_of_a_write_does_not_write(conn, other, people):
    explain_write(conn, "EXPLAIN DELETE FROM people")
    assert scalar(other, "SELECT count(*) FROM people") == 3


EXPLAIN_LEAVES_STATEMENT_ACTIVE = (
    "below the driver: Session caches EXPLAIN statements as prepared statements and runs them "
    "with QUERY; libdqlite 1.11 does not reset a statement after its last row, and SQLite only "
    "halts an EXPLAIN program on reset, so the EXPLAIN of a write stays an active writer: the "
    "next autocommit write is never committed (and COMMIT fails with 'SQL statements in "
    "progress')")


@pytest.mark.parametrize("explain", ["EXPLAIN", "EXPLAIN QUERY PLAN"])
def test_write_after_explain_of_a_write_is_committed(conn, other, people, explain):
    explained = explain_write(conn, f"{explain} INSERT INTO people (name) "
                                    "SELECT 'x' FROM people WHERE id = 1")
    assert bool(explained) == (EXPLAIN_WRITE_REFUSAL is None)
    conn.execute("INSERT INTO people (name) VALUES ('y')")
    assert not conn.in_transaction
    assert rows(other, "SELECT name FROM people WHERE id > 3") == [("y",)]


def test_commit_after_explain_of_a_write(connect, other, people):
    legacy = connect()
    explain_write(legacy, "EXPLAIN DELETE FROM people")
    legacy.execute("DELETE FROM people WHERE name = 'ann'")
    legacy.commit()
    assert scalar(other, "SELECT count(*) FROM people") == 2


def test_pragma_read_and_write(conn, other):
    cur = conn.execute("PRAGMA user_version")
    assert names(cur) == ["user_version"]
    assert cur.fetchall() == [(0,)]
    cur = conn.execute("PRAGMA user_version = 42")
    assert cur.description is None
    with pytest.raises(dbapi.ProgrammingError, match="^no result set"):
        cur.fetchall()
    assert scalar(conn, "PRAGMA user_version") == 42
    assert scalar(other, "PRAGMA user_version") == 42


def test_pragma_with_rows(conn, people):
    cur = conn.execute("PRAGMA table_info(people)")
    assert [(r[1], r[2]) for r in cur.fetchall()] == [
        ("id", "INTEGER"), ("name", "TEXT"), ("age", "INTEGER")]
    assert scalar(conn, "PRAGMA foreign_keys") == 1  # dqlite turns them on


def test_pragma_function_form(conn, people):
    assert rows(conn, "SELECT name FROM pragma_table_info('people') ORDER BY cid") == [
        ("id",), ("name",), ("age",)]


def test_create_alter_drop(conn, other):
    conn.execute("CREATE TABLE ddl (a INTEGER)")
    conn.execute("CREATE INDEX ddl_a ON ddl (a)")
    conn.execute("CREATE VIEW ddl_v AS SELECT a * 2 AS b FROM ddl")
    conn.execute("ALTER TABLE ddl ADD COLUMN c TEXT DEFAULT 'x'")
    conn.execute("ALTER TABLE ddl RENAME TO ddl2")
    conn.execute("INSERT INTO ddl2 (a) VALUES (21)")
    assert rows(other, "SELECT a, c FROM ddl2") == [(21, "x")]
    assert rows(other, "SELECT b FROM ddl_v") == [(42,)]
    assert rows(other, "SELECT type, name FROM sqlite_master ORDER BY name") == [
        ("table", "ddl2"), ("index", "ddl_a"), ("view", "ddl_v")]
    conn.execute("DROP VIEW ddl_v")
    conn.execute("DROP TABLE ddl2")
    assert rows(other, "SELECT name FROM sqlite_master") == []


def test_create_if_not_exists_and_drop_if_exists(conn):
    conn.execute("CREATE TABLE IF NOT EXISTS x (a)")
    conn.execute("CREATE TABLE IF NOT EXISTS x (a)")
    conn.execute("DROP TABLE IF EXISTS x")
    conn.execute("DROP TABLE IF EXISTS x")
    assert rows(conn, "SELECT name FROM sqlite_master") == []


def test_insert_update_delete(conn, other, people):
    cur = conn.execute("INSERT INTO people (name, age) VALUES (?, ?)", ("dan", 7))
    assert cur.rowcount == 1 and cur.lastrowid == 4 and cur.description is None
    cur = conn.execute("UPDATE people SET age = age + 1 WHERE age < 30")
    assert cur.rowcount == 2
    cur = conn.execute("DELETE FROM people WHERE name = 'bob'")
    assert cur.rowcount == 1
    cur = conn.execute("REPLACE INTO people (id, name, age) VALUES (1, 'ANN', 32)")
    assert cur.rowcount == 1
    assert rows(other, "SELECT id, name, age FROM people ORDER BY id") == [
        (1, "ANN", 32), (3, "cid", 26), (4, "dan", 8)]


def test_returning(conn, other, people, servers, db, go_shell):
    cur = conn.execute("INSERT INTO people (name, age) VALUES ('dan', 1), ('eve', 2) "
                       "RETURNING id, name")
    assert names(cur) == ["id", "name"]
    assert cur.fetchall() == [(4, "dan"), (5, "eve")]
    cur = conn.execute("UPDATE people SET age = age * 10 WHERE id > 3 RETURNING name, age")
    assert sorted(cur.fetchall()) == [("dan", 10), ("eve", 20)]
    cur = conn.execute("DELETE FROM people WHERE id = 1 RETURNING *")
    assert names(cur) == ["id", "name", "age"]
    assert cur.fetchall() == [(1, "ann", 31)]
    cur = conn.execute("INSERT INTO people (name, age) VALUES ('fay', 3) "
                       "ON CONFLICT DO NOTHING RETURNING age + 1 AS next")
    assert names(cur) == ["next"] and cur.fetchall() == [(4,)]
    expected = [(2, "bob", 42), (3, "cid", 25), (4, "dan", 10), (5, "eve", 20), (6, "fay", 3)]
    assert rows(other, "SELECT * FROM people ORDER BY id") == expected
    # Through Raft: the Go client, dialed at another member, sees the same rows.
    assert go_query(go_shell, not_leader(servers, conn), db,
                    "SELECT * FROM people ORDER BY id") == [
        f"{i}|{n}|{a}" for i, n, a in expected]


def test_with_insert_returning(conn, other, people):
    if RETURNING_REFUSAL is not None:  # 1.15.1-1.18.2: refused, nothing sent
        with pytest.raises(dbapi.OperationalError) as refused:
            conn.execute("WITH n(x) AS (VALUES ('gus')) "
                         "INSERT INTO people (name, age) SELECT x, 9 FROM n RETURNING id, age")
        assert str(refused.value) == RETURNING_REFUSAL
        assert scalar(other, "SELECT count(*) FROM people") == 3
        conn.execute("WITH n(x) AS (VALUES ('gus')) "
                     "INSERT INTO people (name, age) SELECT x, 9 FROM n")
        assert rows(other, "SELECT name FROM people WHERE id = 4") == [("gus",)]
        return
    cur = conn.execute("WITH n(x) AS (VALUES ('gus')) "
                       "INSERT INTO people (name, age) SELECT x, 9 FROM n RETURNING id, age")
    assert cur.fetchall() == [(4, 9)]
    assert rows(other, "SELECT name FROM people WHERE id = 4") == [("gus",)]


def test_dml_seen_by_go_shell_on_another_node(conn, people, servers, db, go_shell):
    conn.execute("INSERT INTO people (name, age) VALUES ('zed', NULL)")
    conn.execute("UPDATE people SET age = 0 WHERE name = 'cid'")
    conn.execute("DELETE FROM people WHERE name = 'bob'")
    assert go_query(go_shell, not_leader(servers, conn), db,
                    "SELECT id, name, age FROM people ORDER BY id") == [
        "1|ann|31", "3|cid|0", "4|zed|<nil>"]


def test_transaction_control_statements(conn, other, people):
    conn.execute("BEGIN")
    assert conn.in_transaction
    conn.execute("INSERT INTO people (name) VALUES ('t1')")
    conn.execute("SAVEPOINT a")
    conn.execute("INSERT INTO people (name) VALUES ('t2')")
    conn.execute("ROLLBACK TO a")
    conn.execute("SAVEPOINT b")
    conn.execute("INSERT INTO people (name) VALUES ('t3')")
    conn.execute("RELEASE b")
    conn.execute("RELEASE SAVEPOINT a")
    assert conn.in_transaction
    assert scalar(other, "SELECT count(*) FROM people") == 3  # nothing committed yet
    conn.execute("COMMIT")
    assert not conn.in_transaction
    assert rows(other, "SELECT name FROM people WHERE id > 3 ORDER BY id") == [("t1",), ("t3",)]

    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM people")
    conn.execute("ROLLBACK")
    assert not conn.in_transaction
    assert scalar(other, "SELECT count(*) FROM people") == 5
    conn.execute("BEGIN TRANSACTION")
    conn.execute("DELETE FROM people WHERE name = 't1'")
    conn.execute("END TRANSACTION")
    assert not conn.in_transaction
    assert scalar(other, "SELECT count(*) FROM people") == 4


def test_savepoint_as_transaction(conn, other, people):
    conn.execute("SAVEPOINT outer_sp")
    assert conn.in_transaction
    conn.execute("DELETE FROM people WHERE name = 'ann'")
    assert scalar(other, "SELECT count(*) FROM people") == 3
    conn.execute("RELEASE outer_sp")  # the outermost RELEASE commits
    assert not conn.in_transaction
    assert scalar(other, "SELECT count(*) FROM people") == 2


def test_comments_and_trailing_semicolon(conn, people):
    cur = conn.execute("-- leading comment\n/* block */ SELECT name FROM people WHERE id = 2; "
                       "-- trailing\n")
    assert cur.fetchall() == [("bob",)]
    cur = conn.execute("/* c */ INSERT INTO people (name) VALUES ('semi');")
    assert cur.rowcount == 1


def test_blank_statement(conn):
    cur = conn.execute("  -- nothing\n ")
    assert cur.description is None and cur.rowcount == -1
    with pytest.raises(dbapi.ProgrammingError, match="^no result set"):
        cur.fetchall()


def test_each_statement_kind_through_one_cursor(conn, people):
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM people")
    assert cur.fetchone() == (3,)
    if RETURNING_REFUSAL is None:
        cur.execute("INSERT INTO people (name) VALUES ('x') RETURNING id")
        assert cur.fetchone() == (4,)
    else:  # 1.15.1-1.18.2: refused before it is sent; the cursor goes on
        with pytest.raises(dbapi.OperationalError) as refused:
            cur.execute("INSERT INTO people (name) VALUES ('x') RETURNING id")
        assert str(refused.value) == RETURNING_REFUSAL
        cur.execute("INSERT INTO people (name) VALUES ('x')")
        assert cur.lastrowid == 4
    cur.execute("PRAGMA user_version = 3")
    assert cur.description is None
    cur.execute("PRAGMA user_version")
    assert cur.fetchone() == (3,)
    cur.execute("DELETE FROM people")
    assert cur.rowcount == 4
    cur.execute("VALUES (7)")
    assert cur.fetchall() == [(7,)]



STALE_COLUMNS = (
    "below the driver: Session reuses a prepared statement after the schema changed; SQLite "
    "re-prepares it inside sqlite3_step(), but libdqlite 1.11 reads the column count and names "
    "before the first step, so the rows come back cut to the old columns, under the old names")


def test_select_star_after_another_connection_adds_a_column(conn, other):
    conn.execute("CREATE TABLE s (a)")
    conn.execute("INSERT INTO s VALUES (1)")
    assert rows(conn, "SELECT * FROM s") == [(1,)]
    other.execute("ALTER TABLE s ADD COLUMN b DEFAULT 2")
    cur = conn.execute("SELECT * FROM s")
    assert [d[0] for d in cur.description] == ["a", "b"]
    assert cur.fetchall() == [(1, 2)]


def test_select_star_after_table_recreated(conn):
    conn.execute("CREATE TABLE s (v, w)")
    conn.execute("INSERT INTO s VALUES (1, 2)")
    assert rows(conn, "SELECT * FROM s") == [(1, 2)]
    conn.execute("DROP TABLE s")
    conn.execute("CREATE TABLE s (z, y, x)")
    conn.execute("INSERT INTO s VALUES (7, 8, 9)")
    cur = conn.execute("SELECT * FROM s")
    assert [d[0] for d in cur.description] == ["z", "y", "x"]
    assert cur.fetchall() == [(7, 8, 9)]


def test_statements_after_schema_change_of_their_own_table(conn):
    # Without SELECT *, a reused statement sees the new schema correctly.
    conn.execute("CREATE TABLE s (a)")
    conn.execute("INSERT INTO s VALUES (1)")
    assert rows(conn, "SELECT a FROM s") == [(1,)]
    conn.execute("ALTER TABLE s ADD COLUMN b DEFAULT 2")
    assert rows(conn, "SELECT a FROM s") == [(1,)]
    conn.execute("DROP TABLE s")
    with pytest.raises(dbapi.OperationalError, match="no such table: s"):
        conn.execute("SELECT a FROM s")
    conn.execute("CREATE TABLE s (a)")
    conn.execute("INSERT INTO s VALUES (5)")
    assert rows(conn, "SELECT a FROM s") == [(5,)]


def test_many_distinct_statements(conn, other):
    # More statements than the session caches; each still runs once, right.
    conn.execute("CREATE TABLE m (i)")
    conn.execute("BEGIN")
    for i in range(150):
        conn.execute(f"INSERT INTO m VALUES ({i})")
        assert rows(conn, f"SELECT {i} + 1") == [(i + 1,)]
    conn.execute("COMMIT")
    assert rows(other, "SELECT count(*), sum(i) FROM m") == [(150, sum(range(150)))]
