"""SQL text helpers, checked against SQLite itself where it can answer."""

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell import refusals, sqltext
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
    assert "crash" in refusals.is_refused("PRAGMA wal_checkpoint(TRUNCATE)")
    assert "crash" in refusals.is_refused("pragma main.wal_checkpoint")
    assert refusals.is_refused("PRAGMA user_version") is None
    assert refusals.is_refused("SELECT 'PRAGMA wal_checkpoint'") is None


@pytest.mark.parametrize("sql,refused", [
    ("PRAGMA journal_mode=delete", "journal_mode"),
    ("pragma JOURNAL_MODE('delete')", "journal_mode"),
    ("PRAGMA main.journal_mode = DELETE", "journal_mode"),
    ("/* a */ PRAGMA -- b\n \"main\" . [journal_mode] = 'off' ;", "journal_mode"),
    ("PRAGMA x.journal_mode=truncate", "journal_mode"),  # an attached file crashes too
    ("PRAGMA journal_mode=foo", "journal_mode"),  # any value but WAL crashes 1.11
    ("EXPLAIN PRAGMA journal_mode=memory", "journal_mode"),  # acts while compiled
    ("explain query plan PRAGMA journal_mode=persist", "journal_mode"),
    ("SELECT 1; PRAGMA journal_mode=delete", "journal_mode"),  # EXEC_SQL runs the tail
    ("PRAGMA locking_mode=EXCLUSIVE", "locking_mode"),
    ("PRAGMA main.locking_mode('exclusive')", "locking_mode"),
    ("PRAGMA page_size=8192", "page_size"),
    ("PRAGMA page_size = '512'", "page_size"),
    ("PRAGMA page_size=+65536", "page_size"),
    ("PRAGMA page_size=8192.0", "page_size"),  # SQLite reads the leading integer
    ("PRAGMA wal_checkpoint", "wal_checkpoint"),
    ("PRAGMA hard_heap_limit=1", "hard_heap_limit"),
    ("PRAGMA synchronous=FULL", "synchronous"),
    ("PRAGMA main.synchronous=1", "synchronous"),
    ("PRAGMA synchronous=whatever", "synchronous"),  # unknown words mean NORMAL
])
def test_crashing_pragma_forms_are_refused(sql, refused):
    reason = refusals.is_refused(sql)
    assert reason.startswith(f"PRAGMA {refused}") and "1.11" in reason and "\n" not in reason


@pytest.mark.parametrize("sql", [
    "PRAGMA journal_mode", "PRAGMA main.journal_mode", "PRAGMA journal_mode=wal",
    "PRAGMA journal_mode = 'WAL'", "PRAGMA temp.journal_mode=delete",
    "PRAGMA locking_mode", "PRAGMA locking_mode=normal", "PRAGMA temp.locking_mode=exclusive",
    "PRAGMA x.locking_mode=exclusive", "PRAGMA page_size", "PRAGMA page_size=4096",
    "PRAGMA page_size=4095", "PRAGMA page_size=-8192", "PRAGMA x.page_size=8192",
    "PRAGMA temp.page_size=8192", "EXPLAIN PRAGMA wal_checkpoint", "PRAGMA hard_heap_limit",
    "PRAGMA hard_heap_limit=0", "PRAGMA synchronous", "PRAGMA synchronous=off",
    "PRAGMA synchronous=0", "PRAGMA synchronous=false", "PRAGMA temp.synchronous=full",
    "PRAGMA soft_heap_limit=1", "PRAGMA user_version=3",
    "SELECT 'PRAGMA journal_mode=delete'", "SELECT 1 -- ; PRAGMA journal_mode=delete",
    "SELECT \"x;\" FROM t; SELECT 'PRAGMA page_size=8192'",
    "CREATE TABLE journal_mode(x)", "SELECT * FROM pragma_journal_mode",
    "INSERT INTO t VALUES ('pragma')", "",
])
def test_harmless_pragma_forms_are_not_refused(sql):
    assert refusals.is_refused(sql) is None


#: pragma -> (setup, read-back, is the read-back harmful on dqlite?)
_ORACLE = {
    "journal_mode": ("PRAGMA journal_mode=wal", "PRAGMA main.journal_mode", lambda v: v != "wal"),
    "locking_mode": ("", "PRAGMA main.locking_mode", lambda v: v == "exclusive"),
    "page_size": ("", "PRAGMA main.page_size", lambda v: v != 4096),
    "synchronous": ("PRAGMA synchronous=OFF", "PRAGMA main.synchronous", lambda v: v != 0),
}


@pytest.mark.parametrize("pragma,sql", [
    ("journal_mode", "PRAGMA journal_mode=delete"), ("journal_mode", "PRAGMA \"journal_mode\"=off"),
    ("journal_mode", "PRAGMA 'main'.journal_mode('truncate')"),
    ("journal_mode", "PRAGMA [main] . /* c */ journal_mode = [memory]"),
    ("journal_mode", "PRAGMA temp.journal_mode=delete"), ("journal_mode", "PRAGMA journal_mode"),
    ("journal_mode", "PRAGMA journal_mode=WAL"),
    ("locking_mode", "PRAGMA locking_mode=exclusive"), ("locking_mode", "PRAGMA locking_mode"),
    ("locking_mode", "PRAGMA main.locking_mode = 'EXCLUSIVE'"),
    ("locking_mode", "PRAGMA temp.locking_mode=exclusive"),
    ("page_size", "PRAGMA page_size=8192"), ("page_size", "PRAGMA page_size='1024'"),
    ("page_size", "PRAGMA page_size=4096"), ("page_size", "PRAGMA page_size=1000"),
    ("page_size", "PRAGMA page_size=8192.5"), ("page_size", "PRAGMA temp.page_size=8192"),
    ("page_size", "PRAGMA page_size=0x2000"), ("page_size", "PRAGMA page_size=' 8192'"),
    ("page_size", "PRAGMA page_size='+1024'"), ("synchronous", "PRAGMA synchronous=0x0"),
    ("synchronous", "PRAGMA synchronous=FULL"), ("synchronous", "PRAGMA synchronous=no"),
    ("synchronous", "PRAGMA main.synchronous(2)"), ("synchronous", "PRAGMA synchronous='off'"),
    ("synchronous", "PRAGMA temp.synchronous=extra"),
])
def test_refusal_reads_pragmas_as_sqlite_does(tmp_path, pragma, sql):
    """SQLite itself tells whether the text sets what crashes dqlite on main."""
    setup, read, harmful = _ORACLE[pragma]
    db = sqlite3.connect(tmp_path / "oracle.db", isolation_level=None)
    try:
        if setup:
            db.execute(setup).fetchall()
        db.execute(sql).fetchall()
        db.execute("CREATE TABLE IF NOT EXISTS t(x)")  # a new page size takes effect
        value = db.execute(read).fetchone()[0]
    finally:
        db.close()
    assert bool(refusals.is_refused(sql)) == harmful(value), value


@given(st.text(alphabet="pragma PRAGMA journal_mode=delete;'\"[]().-*/\n", max_size=60))
@settings(max_examples=300, deadline=None)
def test_is_refused_never_raises(sql):
    assert refusals.is_refused(sql) is None or "1.11" in refusals.is_refused(sql)


@pytest.mark.parametrize("name,fragment", [
    (":memory:", "crashes"), ("", "crashes"), ("file::memory:", "URI"), ("file:x.db", "URI"),
    ("file:x.db?mode=ro", "URI"), ("file::memory:?cache=shared", "URI"),
    ("a\0b", "NUL"), ("\udcff.db", "UTF-8"), ("x" * 505, "505 bytes"), ("é" * 253, "506 bytes"),
])
def test_refused_database_names(name, fragment):
    reason = refusals.refused_database(name)
    assert fragment in reason and "\n" not in reason


@pytest.mark.parametrize("name", [
    "app.db", ":MEMORY:", " :memory:", "FILE::memory:", "a/b", "../up", "..", "é.db", "db-wal",
    "x" * 504, "é" * 252,
])
def test_usable_database_names_are_not_refused(name):
    assert refusals.refused_database(name) is None
