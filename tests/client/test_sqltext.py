"""SQL text helpers, checked against SQLite itself where it can answer."""

import sqlite3

import pytest
from hypothesis import given, settings, strategies as st

from dqlite_shell import sqltext
from dqlite_shell.client.transaction import TransactionState


@pytest.mark.parametrize("sql,kind", [
    ("SELECT 1", sqltext.READ),
    ("  -- comment\n/* c */ values (1)", sqltext.READ),
    ("EXPLAIN INSERT INTO t VALUES (1)", sqltext.READ),
    ("WITH a AS (SELECT 1) SELECT * FROM a", sqltext.READ),
    ("WITH a(x) AS (VALUES (1)) INSERT INTO t SELECT x FROM a", sqltext.WRITE),
    ("WITH a AS (SELECT 1) DELETE FROM t RETURNING *", sqltext.WRITE_ROWS),
    ("INSERT INTO t VALUES ('returning')", sqltext.WRITE),
    ('INSERT INTO t ("returning") VALUES (1)', sqltext.WRITE),
    ("UPDATE t SET a = (SELECT 1 FROM x) RETURNING a", sqltext.WRITE_ROWS),
    ("replace into t values (1) returning rowid", sqltext.WRITE_ROWS),
    ("CREATE TABLE t (a)", sqltext.WRITE),
    ("begin immediate", sqltext.WRITE),
    ("PRAGMA user_version", sqltext.UNKNOWN),
    ("", sqltext.UNKNOWN),
])
def test_classify(sql, kind):
    assert sqltext.classify(sql) == kind


@pytest.mark.parametrize("sql,first,rest", [
    ("SELECT 1; SELECT 2", "SELECT 1;", " SELECT 2"),
    ("SELECT ';'; x", "SELECT ';';", " x"),
    ("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END; SELECT 3",
     "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END;", " SELECT 3"),
    ("SELECT 1 -- ; not the end", "SELECT 1 -- ; not the end", ""),
])
def test_split_first(sql, first, rest):
    assert sqltext.split_first(sql) == (first, rest)


def test_blank_and_first_keyword():
    assert sqltext.is_blank("  -- x\n /* y */ ")
    assert not sqltext.is_blank(" -- x\n 1")
    assert sqltext.first_keyword("/* c */ with x") == "WITH"


TOKENS = st.sampled_from(["?", "?2", "?7", ":a", ":b", "@a", "$c", "'?'", "'it''s :x'",
                          '"q?"', "[w?]", "-- ? :z\n", "/* ?3 */", ",", " ", "1", "x$y"])


@settings(max_examples=200, deadline=None)
@given(st.lists(TOKENS, max_size=12))
def test_parameter_count_matches_sqlite(tokens):
    sql = "SELECT " + " ".join(t if t not in (",", " ") else "1" for t in tokens) + " , 1"
    sql = sql.replace("x$y", "1")
    db = sqlite3.connect(":memory:")
    ours = sqltext.parameters(sql)
    try:
        db.execute(sql, [1] * len(ours))
    except sqlite3.ProgrammingError as e:  # a wrong count is what we must never give
        pytest.fail(f"{sql!r}: {e}")
    except sqlite3.OperationalError:
        pass  # not valid SQL; the count is moot
    finally:
        db.close()


@pytest.mark.parametrize("script,active", [
    (["BEGIN"], True),
    (["BEGIN", "COMMIT"], False),
    (["BEGIN", "END TRANSACTION"], False),
    (["SAVEPOINT a", "SAVEPOINT b", "RELEASE b"], True),
    (["SAVEPOINT a", "SAVEPOINT b", "RELEASE SAVEPOINT a"], False),
    (["BEGIN", "SAVEPOINT a", "RELEASE a"], True),
    (["BEGIN", "ROLLBACK TO a"], True),
    (["BEGIN", "ROLLBACK TRANSACTION TO SAVEPOINT a"], True),
    (["BEGIN", "ROLLBACK"], False),
    (['SAVEPOINT "Mixed"', "release mixed"], False),
])
def test_transaction_state_follows_sqlite(script, active):
    state = TransactionState()
    db = sqlite3.connect(":memory:", isolation_level=None)
    for sql in script:
        state.observe(sql)
        try:
            db.execute(sql)
        except sqlite3.OperationalError:
            pass
    assert state.active == active == db.in_transaction


@pytest.mark.parametrize("sql,expected", [
    ("SELECT * FROM t", True), ("select t.* from t", True), ("SELECT a, * FROM t", True),
    ("SELECT (SELECT * FROM x)", True), ("INSERT INTO t VALUES (1) RETURNING *", True),
    ("SELECT count(*) FROM t", False), ("SELECT a*b FROM t", False), ("SELECT 2 * 3", False),
    ('SELECT "*" FROM t', False), ("SELECT '*'", False), ("SELECT 1 -- *", False),
])
def test_expands_star(sql, expected):
    assert sqltext.expands_star(sql) is expected


def test_refused_statements():
    assert "crash" in sqltext.is_refused("PRAGMA wal_checkpoint(TRUNCATE)")
    assert "crash" in sqltext.is_refused("pragma main.wal_checkpoint")
    assert sqltext.is_refused("PRAGMA user_version") is None
    assert sqltext.is_refused("SELECT 'PRAGMA wal_checkpoint'") is None
