"""The Cursor API: description, rowcount, lastrowid, fetching, iteration,
streaming of large results."""

from __future__ import annotations

import pytest

from dqlite_shell import dbapi
from tests.dbapi.conftest import rows, scalar
from tests.support.server_expectations import RETURNING_REFUSAL

COUNT_TO = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {n}) "
            "SELECT i FROM r")


@pytest.fixture
def filled(conn):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER)")
    conn.executemany("INSERT INTO t (name, n) VALUES (?, ?)",
                     [(f"r{i}", i) for i in range(1, 11)])
    return conn


def test_description(filled):
    cur = filled.execute("SELECT id, name AS label, n * 2, NULL AS empty FROM t")
    assert cur.description == (
        ("id", None, None, None, None, None, None),
        ("label", None, None, None, None, None, None),
        ("n * 2", None, None, None, None, None, None),
        ("empty", None, None, None, None, None, None),
    )
    assert all(len(d) == 7 for d in cur.description)


def test_description_names(conn):
    cur = conn.execute('SELECT 1 AS "naïve 😀", 2 AS "a b", 3 AS "x", 4 AS "x"')
    assert [d[0] for d in cur.description] == ["naïve 😀", "a b", "x", "x"]
    assert cur.fetchall() == [(1, 2, 3, 4)]


@pytest.mark.parametrize("sql", [
    "CREATE TABLE x (a)", "INSERT INTO t (name) VALUES ('z')", "UPDATE t SET n = n",
    "DELETE FROM t WHERE id = 1", "PRAGMA user_version = 1", "BEGIN", "",
])
def test_no_description_for_statements_without_rows(filled, sql):
    cur = filled.cursor()
    cur.execute("SELECT 1")  # a previous description is cleared
    cur.execute(sql)
    assert cur.description is None
    # PEP 249: an error, where sqlite3 returns None and [].
    for fetch in (cur.fetchone, lambda: cur.fetchmany(5), cur.fetchall, lambda: list(cur)):
        with pytest.raises(dbapi.ProgrammingError, match="^no result set to fetch from: the "
                                                          "last statement returned no rows"):
            fetch()
    if sql == "BEGIN":
        filled.execute("ROLLBACK")


def test_fetching_before_any_execute_is_an_error(filled):
    cur = filled.cursor()
    for fetch in (cur.fetchone, cur.fetchmany, cur.fetchall, lambda: next(cur)):
        with pytest.raises(dbapi.ProgrammingError,
                           match="^no result set to fetch from: nothing was executed yet$"):
            fetch()
    # A failed statement leaves no result set either; a query that matched
    # nothing has one, and fetching it is not an error.
    with pytest.raises(dbapi.OperationalError):
        cur.execute("SELECT nope FROM t")
    with pytest.raises(dbapi.ProgrammingError, match="^no result set"):
        cur.fetchall()
    cur.execute("SELECT n FROM t WHERE n < 0")
    assert (cur.fetchone(), cur.fetchmany(3), cur.fetchall(), list(cur)) == (None, [], [], [])
    cur.execute("SELECT n FROM t WHERE n = 1")
    assert cur.fetchall() == [(1,)] and cur.fetchone() is None and cur.fetchall() == []


def test_rowcount(filled):
    cur = filled.cursor()
    assert cur.rowcount == -1
    cur.execute("UPDATE t SET n = n + 1 WHERE n > 5")
    assert cur.rowcount == 5
    cur.execute("DELETE FROM t WHERE n > 10")
    assert cur.rowcount == 1
    cur.execute("UPDATE t SET n = 0 WHERE id < 0")
    assert cur.rowcount == 0
    cur.execute("INSERT INTO t (name) VALUES ('a'), ('b')")
    assert cur.rowcount == 2
    cur.execute("WITH s AS (SELECT 1) DELETE FROM t WHERE name IN ('a', 'b')")
    assert cur.rowcount == 2
    cur.execute("SELECT * FROM t")
    assert cur.rowcount == -1
    cur.fetchall()
    assert cur.rowcount == -1
    cur.execute("CREATE TABLE y (a)")
    assert cur.rowcount == -1
    cur.execute("PRAGMA user_version = 2")
    assert cur.rowcount == -1


def test_rowcount_of_returning(filled):
    if RETURNING_REFUSAL is not None:  # 1.15.1-1.18.2: refused, nothing sent
        with pytest.raises(dbapi.OperationalError) as refused:
            filled.execute("UPDATE t SET n = -n WHERE id <= 3 RETURNING id")
        assert str(refused.value) == RETURNING_REFUSAL
        assert rows(filled, "SELECT id FROM t WHERE n < 0") == []
        assert filled.execute("UPDATE t SET n = -n WHERE id <= 3").rowcount == 3
        return
    cur = filled.execute("UPDATE t SET n = -n WHERE id <= 3 RETURNING id")
    assert sorted(cur.fetchall()) == [(1,), (2,), (3,)]
    assert cur.rowcount == 3  # as sqlite3: known once the rows are read


def test_executemany_rowcount(filled):
    cur = filled.executemany("UPDATE t SET n = 0 WHERE id = ? OR id = ?",
                             [(1, 2), (3, 99), (98, 99)])
    assert cur.rowcount == 3
    cur = filled.executemany("INSERT INTO t (name) VALUES (?)", iter([("x",), ("y",)]))
    assert cur.rowcount == 2
    cur = filled.executemany("INSERT INTO t (name) VALUES (:name)", [{"name": "z"}])
    assert cur.rowcount == 1
    cur = filled.executemany("INSERT INTO t (name) VALUES (?)", [])
    assert cur.rowcount == 0
    assert scalar(filled, "SELECT count(*) FROM t") == 13


def test_lastrowid(filled):
    cur = filled.cursor()
    assert cur.lastrowid is None
    cur.execute("INSERT INTO t (name) VALUES ('new')")
    assert cur.lastrowid == 11
    cur.execute("INSERT INTO t (id, name) VALUES (100, 'far')")
    assert cur.lastrowid == 100
    cur.execute("CREATE TABLE w (a TEXT PRIMARY KEY) WITHOUT ROWID")
    other = filled.execute("INSERT INTO t (name) VALUES ('next')")
    assert other.lastrowid == 101
    assert cur.lastrowid == 100  # each cursor keeps its own


def test_arraysize_and_fetchmany(filled):
    cur = filled.execute("SELECT n FROM t ORDER BY n")
    assert cur.arraysize == 1
    assert cur.fetchmany() == [(1,)]
    cur.arraysize = 4
    assert cur.fetchmany() == [(2,), (3,), (4,), (5,)]
    assert cur.fetchmany(2) == [(6,), (7,)]
    assert cur.fetchone() == (8,)
    assert cur.fetchmany(10) == [(9,), (10,)]
    assert cur.fetchmany() == []
    assert cur.fetchone() is None
    assert cur.fetchall() == []


def test_mixed_fetching(filled):
    cur = filled.execute("SELECT n FROM t ORDER BY n")
    assert cur.fetchone() == (1,)
    assert next(cur) == (2,)
    assert cur.fetchmany(2) == [(3,), (4,)]
    for (n,) in cur:
        if n == 7:
            break
    assert cur.fetchall() == [(8,), (9,), (10,)]


def test_iteration(filled):
    cur = filled.cursor()
    assert iter(cur) is cur
    assert [row for row in cur.execute("SELECT id FROM t WHERE id <= 3 ORDER BY id")] == [
        (1,), (2,), (3,)]
    with pytest.raises(StopIteration):
        next(cur)


def test_execute_returns_the_cursor(filled):
    cur = filled.cursor()
    assert cur.execute("SELECT 1") is cur
    assert cur.executemany("UPDATE t SET n = ? WHERE id = 0", [(1,)]) is cur
    assert cur.connection is filled
    assert filled.execute("SELECT 1").connection is filled


def test_setinputsizes_setoutputsize(filled):
    cur = filled.cursor()
    cur.setinputsizes([10, None])
    cur.setoutputsize(100)
    cur.setoutputsize(100, 0)
    assert cur.execute("SELECT 1").fetchall() == [(1,)]


def test_new_statement_on_half_read_cursor(conn, other):
    conn.execute("CREATE TABLE w (a)")
    cur = conn.cursor()
    cur.execute(COUNT_TO.format(n=100_000))
    assert cur.fetchmany(3) == [(1,), (2,), (3,)]
    cur.execute("SELECT 'next'")
    assert cur.fetchall() == [("next",)]
    # The connection is fully usable, writes included.
    cur.execute(COUNT_TO.format(n=50_000))
    assert cur.fetchone() == (1,)
    conn.execute("INSERT INTO w VALUES (1)")
    assert rows(other, "SELECT a FROM w") == [(1,)]
    assert scalar(conn, "SELECT count(*) FROM w") == 1


def test_close_half_read_cursor(conn):
    cur = conn.execute(COUNT_TO.format(n=100_000))
    assert cur.fetchone() == (1,)
    cur.close()
    assert scalar(conn, "SELECT 5") == 5


def test_other_cursor_interrupting_a_result(conn):
    first = conn.execute(COUNT_TO.format(n=100_000))
    assert first.fetchmany(3) == [(1,), (2,), (3,)]
    second = conn.execute("SELECT 'second'")
    assert second.fetchall() == [("second",)]
    # The first result was cut short: fetching says so instead of ending early.
    with pytest.raises(dbapi.ProgrammingError, match="discarded"):
        first.fetchall()
    first.execute("SELECT 'again'")
    assert first.fetchall() == [("again",)]


def test_other_cursor_after_small_result(conn):
    # A result that arrived whole is not lost when another statement runs.
    first = conn.execute(COUNT_TO.format(n=50))
    assert first.fetchone() == (1,)
    assert conn.execute("SELECT 2").fetchall() == [(2,)]
    assert first.fetchall() == [(i,) for i in range(2, 51)]


def test_streaming_a_large_result(conn):
    n = 300_000
    cur = conn.execute(COUNT_TO.format(n=n))
    cur.arraysize = 5000
    total = count = batches = 0
    while True:
        batch = cur.fetchmany()
        if not batch:
            break
        batches += 1
        assert len(batch) == 5000
        count += len(batch)
        total += sum(i for i, in batch)
    assert count == n and batches == n // 5000
    assert total == n * (n + 1) // 2
    assert cur.fetchone() is None


def test_iterating_a_large_result(conn):
    n = 100_000
    expected = 1
    for (i,) in conn.execute(COUNT_TO.format(n=n)):
        assert i == expected
        expected += 1
    assert expected == n + 1


def test_description_of_empty_large_query(conn):
    cur = conn.execute(COUNT_TO.format(n=10) + " WHERE i > 100")
    assert cur.description[0][0] == "i"
    assert cur.fetchall() == []
