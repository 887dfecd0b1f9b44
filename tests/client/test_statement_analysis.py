"""sqltext.analyse: one reading of a statement's text, handed down the layers."""

import io
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell import dbapi, sqltext
from dqlite_shell.client.session import Session
from dqlite_shell.client.transaction import TransactionState


@pytest.mark.parametrize("sql, fields", [
    ("SELECT * FROM t", dict(keyword="SELECT", kind=sqltext.READ, expands_star=True,
                             parameters=(), transaction=None, dml=False, single=True)),
    ("  -- c\n/* x */ insert into t values (:a, ?, ?5) returning *",
     dict(keyword="INSERT", kind=sqltext.WRITE_ROWS, parameters=(":a", None, None, None, "?5"),
          dml=True, expands_star=True)),
    ("WITH a AS (SELECT 1) DELETE FROM t", dict(keyword="WITH", kind=sqltext.WRITE, dml=True)),
    ("WITH a AS (SELECT 1) SELECT * FROM a", dict(kind=sqltext.READ, dml=False)),
    ("END TRANSACTION", dict(transaction="COMMIT", ends_transaction=True, savepoint=None)),
    ("rollback transaction to savepoint \"Sp\"", dict(transaction="ROLLBACK TO",
                                                       savepoint="SP", ends_transaction=False)),
    ("RELEASE SAVEPOINT [a]", dict(transaction="RELEASE", savepoint="A", ends_transaction=True)),
    ("SAVEPOINT 'x'", dict(transaction="SAVEPOINT", savepoint="X")),
    ("EXPLAIN QUERY PLAN SELECT 1", dict(query_plan=True, kind=sqltext.READ)),
    ("create table t (a)", dict(changes_schema=True, kind=sqltext.WRITE)),
    ("SELECT 1; -- c\n", dict(single=True, head="SELECT 1;", blank=False)),
    ("SELECT 1; SELECT 2", dict(single=False, head="SELECT 1;")),
    (" -- only\n", dict(blank=True, keyword="", kind=sqltext.UNKNOWN)),
    ("SELECT :returning, ? * 2", dict(kind=sqltext.READ, expands_star=False)),
    ("INSERT INTO t VALUES (:returning)", dict(kind=sqltext.WRITE)),
])
def test_analyse(sql, fields):
    statement = sqltext.analyse(sql)
    assert {name: getattr(statement, name) for name in fields} == fields


FRAGMENTS = st.sampled_from([
    "SELECT", "insert", "INTO", "t", "VALUES", "(", ")", "RETURNING", "WITH", "a", "AS", "DELETE",
    "FROM", "UPDATE", "SET", "WHERE", "*", ",", ".", "1", "2.5", "'s'", "'it''s'", '"q"', "[b]",
    "`c`", "-- c\n", "/* x */", "/*", "?", "?3", ":a", "@b", "$c", "BEGIN", "COMMIT", "END",
    "ROLLBACK", "TRANSACTION", "TO", "SAVEPOINT", "RELEASE", "EXPLAIN", "QUERY", "PLAN", ";", "-"])


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=12), st.sampled_from([" ", ""]))
def test_the_old_entry_points_read_the_analysis(parts, glue):
    sql = glue.join(parts)
    statement = sqltext.analyse(sql)
    assert sqltext.classify(sql) == statement.kind
    assert sqltext.parameters(sql) == list(statement.parameters)
    assert sqltext.first_keyword(sql) == statement.keyword
    assert sqltext.transaction_verb(sql) == statement.transaction
    assert sqltext.is_query_plan(sql) == statement.query_plan
    assert sqltext.expands_star(sql) == statement.expands_star
    # split_first is SQLite's own (complete_statement): the analysis agrees with it
    head, rest = sqltext.split_first(sql)
    assert statement.head == head and statement.single == sqltext.is_blank(rest)


@settings(max_examples=200, deadline=None)
@given(st.lists(FRAGMENTS, max_size=10))
def test_parameters_are_one_token_each(parts):
    """The completion's tokens and the analysis read a parameter alike."""
    sql = " ".join(parts)
    named = {name for name in sqltext.parameters(sql) if name}
    assert named <= {token for _, token in sqltext.tokens(sql)}


@pytest.mark.parametrize("script", [
    ["SAVEPOINT /* not this */ a", "RELEASE a"],
    ["BEGIN -- the BEGIN\n", "SAVEPOINT x", "ROLLBACK TO x", "END"],
    ["SAVEPOINT 'q'", "RELEASE \"Q\""],
])
def test_transaction_state_reads_the_analysis(script):
    state = TransactionState()
    db = sqlite3.connect(":memory:", isolation_level=None)
    for sql in script:
        db.execute(sql)
        state.observe(sqltext.analyse(sql))
        assert state.active == db.in_transaction, sql
    db.close()


def _misses() -> int:
    return sqltext.analyse.cache_info().misses


def test_one_statement_is_read_once_through_the_driver(node):
    conn = dbapi.connect([node.address], "db")
    try:
        conn.execute("CREATE TABLE reads (a, b)")
        conn.commit()
        sqltext.analyse.cache_clear()
        cur = conn.cursor()
        cur.execute("INSERT INTO reads VALUES (?, 17)", (1,))  # and the implicit BEGIN
        assert _misses() == 2
        conn.commit()  # COMMIT: one more text
        assert _misses() == 3
        cur.execute("INSERT INTO reads VALUES (?, 17)", (2,))  # known texts: none read again
        conn.commit()
        assert _misses() == 3
        assert cur.execute("SELECT count(*) FROM reads WHERE b = 17").fetchall() == [(2,)]
        assert _misses() == 4
    finally:
        conn.close()


def test_one_statement_is_read_once_through_the_session_and_the_shell(node):
    from dqlite_shell.shell import script
    from dqlite_shell.shell.script_input import Item
    from dqlite_shell.shell.state import ShellState

    session = Session([node.address], "db")
    try:
        session.execute("CREATE TABLE once (a)")
        sqltext.analyse.cache_clear()
        session.execute("INSERT INTO once VALUES (1)")
        session.execute(sqltext.analyse("SAVEPOINT s"))  # a caller's own analysis: kept
        session.execute("RELEASE s")
        assert _misses() == 3 and not session.transaction.active
    finally:
        session.close()
    state = ShellState([node.address], "db", out=io.StringIO(), err=io.StringIO())
    try:
        sqltext.analyse.cache_clear()
        script.run_item(state, Item(1, "SELECT a, * FROM once;", False))  # rails, routing, output
        assert _misses() == 1
        assert state.out.getvalue().split() == ["1|1"]
    finally:
        state.close()
