"""Every statement runs exactly once.

Triggers on the target table append one row to ``hits`` per affected row, so
a statement sent twice (retried, or run once as QUERY and again as EXEC)
would show up as extra hits. Failing statements must leave no hits at all.
"""

from __future__ import annotations

import pytest

from dqlite_shell import dbapi
from tests.dbapi.conftest import rows, scalar
from tests.support.server_expectations import RETURNING_REFUSAL

SCHEMA = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE, n INTEGER DEFAULT 0)",
    "CREATE TABLE hits (what TEXT, id INTEGER)",
    "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO hits VALUES ('ins', new.id); END",
    "CREATE TRIGGER t_upd AFTER UPDATE ON t BEGIN INSERT INTO hits VALUES ('upd', new.id); END",
    "CREATE TRIGGER t_del AFTER DELETE ON t BEGIN INSERT INTO hits VALUES ('del', old.id); END",
]


class Counter:
    def __init__(self, observer):
        self.observer = observer
        self.last = 0

    def grew(self) -> int:
        """Hits since the previous call (as committed, seen by the observer)."""
        now = scalar(self.observer, "SELECT count(*) FROM hits")
        grew, self.last = now - self.last, now
        return grew


@pytest.fixture(params=["autocommit", "legacy"])
def writer(request, connect):
    """Statements run in autocommit mode, or in legacy mode and committed."""
    if request.param == "autocommit":
        conn = connect(autocommit=True)
        conn.finish = lambda: None
    else:
        conn = connect()
        conn.finish = conn.commit
    return conn


@pytest.fixture
def hits(conn, other):
    for sql in SCHEMA:
        conn.execute(sql)
    return Counter(other)


def run(conn, sql, parameters=()):
    cur = conn.execute(sql, parameters)
    out = cur.fetchall() if cur.description is not None else None
    conn.finish()
    return cur, out


def run_returning(writer, hits, sql, out, count):
    """Run ``sql`` (ending in RETURNING ...): its rows are ``out`` and it hits
    ``count`` rows. Where the server cannot return rows from a write
    (1.15.1-1.18.2) it is refused with nothing written, and the same write
    without RETURNING then runs once, so the data ends up the same."""
    if RETURNING_REFUSAL is None:
        _, got = run(writer, sql)
        assert sorted(got) == out and hits.grew() == count
        return
    with pytest.raises(dbapi.OperationalError) as refused:
        writer.execute(sql)
    assert str(refused.value) == RETURNING_REFUSAL
    writer.finish()
    assert hits.grew() == 0
    cur, _ = run(writer, sql[:sql.index(" RETURNING ")])
    assert cur.rowcount == count and hits.grew() == count


def test_each_statement_kind_runs_once(writer, hits, other):
    cur, _ = run(writer, "INSERT INTO t (v) VALUES (?)", ("a",))
    assert cur.rowcount == 1 and hits.grew() == 1
    cur, _ = run(writer, "INSERT INTO t (v) VALUES ('b'), ('c'), ('d')")
    assert cur.rowcount == 3 and hits.grew() == 3
    run_returning(writer, hits, "INSERT INTO t (v) VALUES ('e'), ('f') RETURNING id",
                  [(5,), (6,)], 2)
    cur, _ = run(writer, "WITH s(x) AS (VALUES ('g'), ('h')) INSERT INTO t (v) SELECT x FROM s")
    assert cur.rowcount == 2 and hits.grew() == 2
    run_returning(writer, hits, "WITH s(x) AS (VALUES ('i')) INSERT INTO t (v) SELECT x FROM s "
                                "RETURNING v", [("i",)], 1)
    cur, _ = run(writer, "UPDATE t SET n = n + 1 WHERE id <= 4")
    assert cur.rowcount == 4 and hits.grew() == 4
    run_returning(writer, hits, "UPDATE t SET n = n + 1 WHERE id > 7 RETURNING id",
                  [(8,), (9,)], 2)
    cur, _ = run(writer, "INSERT INTO t (v) VALUES ('a') ON CONFLICT (v) DO UPDATE SET n = 100")
    assert hits.grew() == 1  # the upsert's update fires the update trigger once
    cur, _ = run(writer, "REPLACE INTO t (id, v) VALUES (2, 'B')")
    assert hits.grew() == 1  # no recursive triggers: REPLACE's delete fires nothing
    run_returning(writer, hits, "DELETE FROM t WHERE id IN (3, 4) RETURNING v",
                  [("c",), ("d",)], 2)
    cur, _ = run(writer, "DELETE FROM t WHERE id = 5")
    assert cur.rowcount == 1 and hits.grew() == 1
    # Statements that touch no rows of t.
    for sql in ["SELECT * FROM t", "VALUES (1)", "PRAGMA user_version",
                "EXPLAIN SELECT * FROM t", "UPDATE t SET n = 0 WHERE id < 0"]:
        run(writer, sql)
        assert hits.grew() == 0, sql
    # Each counted change happened once to the data, too.
    assert rows(other, "SELECT id, v, n FROM t ORDER BY id") == [
        (1, "a", 100), (2, "B", 0), (6, "f", 0), (7, "g", 0), (8, "h", 1), (9, "i", 1)]
    assert rows(other, "SELECT what, count(*) FROM hits GROUP BY what ORDER BY what") == [
        ("del", 3), ("ins", 10), ("upd", 7)]


def test_executemany_runs_each_set_once(writer, hits):
    cur = writer.executemany("INSERT INTO t (v) VALUES (?)", [(f"m{i}",) for i in range(7)])
    writer.finish()
    assert cur.rowcount == 7 and hits.grew() == 7
    cur = writer.executemany("UPDATE t SET n = ? WHERE v = ?", [(1, "m0"), (2, "m1"), (3, "zz")])
    writer.finish()
    assert cur.rowcount == 2 and hits.grew() == 2
    if RETURNING_REFUSAL is not None:  # 1.15.1-1.18.2: refused, no set sent
        with pytest.raises(dbapi.OperationalError) as refused:
            writer.executemany("INSERT INTO t (v) VALUES (?) RETURNING id", [("r1",), ("r2",)])
        assert str(refused.value) == RETURNING_REFUSAL
        writer.finish()
        assert hits.grew() == 0
        return
    cur = writer.executemany("INSERT INTO t (v) VALUES (?) RETURNING id", [("r1",), ("r2",)])
    writer.finish()
    assert cur.rowcount == 2 and hits.grew() == 2
    assert cur.description is None
    with pytest.raises(dbapi.ProgrammingError, match="^no result set"):
        cur.fetchall()  # PEP 249: executemany gives no result set


@pytest.mark.parametrize("sql", [
    "INSERT INTO t (v) VALUES ('dup')",
    "INSERT INTO t (v) VALUES ('new1'), ('new2'), ('dup')",
    "INSERT INTO t (v) VALUES ('new1'), ('dup') RETURNING id",
    "WITH s(x) AS (VALUES ('new1'), ('dup')) INSERT INTO t (v) SELECT x FROM s",
    "WITH s(x) AS (VALUES ('new1'), ('dup')) INSERT INTO t (v) SELECT x FROM s RETURNING v",
    "UPDATE t SET v = 'dup' WHERE v = 'other'",
    "UPDATE t SET v = 'dup' RETURNING id",
])
def test_failing_statement_has_no_effect(writer, hits, other, sql):
    run(writer, "INSERT INTO t (v) VALUES ('dup'), ('other')")
    assert hits.grew() == 2
    if "RETURNING" in sql and RETURNING_REFUSAL is not None:
        with pytest.raises(dbapi.OperationalError) as refused:  # before it is sent
            writer.execute(sql).fetchall()
        assert str(refused.value) == RETURNING_REFUSAL
    else:
        with pytest.raises(dbapi.IntegrityError) as failed:
            writer.execute(sql).fetchall()
        assert failed.value.sqlite_errorname == "SQLITE_CONSTRAINT_UNIQUE"
    writer.finish()
    assert hits.grew() == 0
    assert rows(other, "SELECT v FROM t ORDER BY id") == [("dup",), ("other",)]
    # The connection is still usable and its next write counts once.
    run(writer, "INSERT INTO t (v) VALUES ('after')")
    assert hits.grew() == 1


def test_failing_executemany_keeps_earlier_sets(writer, hits, other):
    with pytest.raises(dbapi.IntegrityError):
        writer.executemany("INSERT INTO t (v) VALUES (?)", [("x1",), ("x2",), ("x1",), ("x3",)])
    writer.finish()
    assert hits.grew() == 2
    assert rows(other, "SELECT v FROM t ORDER BY id") == [("x1",), ("x2",)]


def test_failure_inside_user_transaction(conn, hits, other):
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t (v) VALUES ('k1')")
    returning = " RETURNING id"
    if RETURNING_REFUSAL is not None:
        # 1.15.1-1.18.2: RETURNING is refused before it is sent; the
        # transaction stays open, and the same writes go without it.
        with pytest.raises(dbapi.OperationalError) as refused:
            conn.execute("INSERT INTO t (v) VALUES ('k2') RETURNING id")
        assert str(refused.value) == RETURNING_REFUSAL
        assert conn.in_transaction
        returning = ""
    with pytest.raises(dbapi.IntegrityError):
        run_inside(conn, "INSERT INTO t (v) VALUES ('k2'), ('k1')" + returning)
    assert conn.in_transaction  # a failed statement keeps the transaction
    run_inside(conn, "INSERT INTO t (v) VALUES ('k3')" + returning)
    assert hits.grew() == 0
    conn.execute("COMMIT")
    assert hits.grew() == 2
    assert rows(other, "SELECT v FROM t ORDER BY id") == [("k1",), ("k3",)]


def run_inside(conn, sql):
    """Run ``sql`` and read its rows, if it has any, without committing."""
    cur = conn.execute(sql)
    if cur.description is not None:
        cur.fetchall()


def test_pragma_write_runs_once(conn, other):
    # A statement the text cannot classify (asked to the server with EXPLAIN).
    conn.execute("CREATE TABLE c (n INTEGER)")
    conn.execute("INSERT INTO c VALUES (0)")
    conn.execute("CREATE TRIGGER c_t AFTER UPDATE ON c BEGIN SELECT 1; END")
    conn.execute("PRAGMA user_version = 5")
    assert scalar(other, "PRAGMA user_version") == 5
    conn.execute("PRAGMA recursive_triggers = 1")  # a connection setting: no rows, no write
    assert scalar(conn, "PRAGMA recursive_triggers") == 1
    assert scalar(other, "PRAGMA recursive_triggers") == 0


def test_executemany_of_a_query_runs_nothing(conn, hits):
    calls = []
    real = conn.session.execute
    conn.session.execute = lambda *a, **k: calls.append(a) or real(*a, **k)
    with pytest.raises(dbapi.ProgrammingError, match="DML"):
        conn.executemany("SELECT ?", [(1,), (2,)])
    with pytest.raises(dbapi.ProgrammingError, match="DML"):
        conn.executemany("CREATE TABLE z (a)", [()])
    assert calls == []
