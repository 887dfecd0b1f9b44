"""Parameter styles, and bad parameters: a ProgrammingError naming the
parameter, raised before anything reaches the server."""

from __future__ import annotations

import datetime

import pytest

from dqlite_shell import dbapi
from dqlite_shell.client.capabilities import MIDDLE
from tests.dbapi.conftest import rows, scalar
from tests.native.servers import CURRENT


def test_qmark(conn):
    assert rows(conn, "SELECT ?, ?, ?", (1, "two", None)) == [(1, "two", None)]
    assert rows(conn, "SELECT ?, ?", [3, 4]) == [(3, 4)]


def test_numbered(conn):
    assert rows(conn, "SELECT ?2, ?1, ?2", ("a", "b")) == [("b", "a", "b")]
    assert rows(conn, "SELECT ?1 || ?1", ("x",)) == [("xx",)]


@pytest.mark.parametrize("sql", ["SELECT :a, :b, :a", "SELECT @a, @b, @a", "SELECT $a, $b, $a"])
def test_named(conn, sql):
    assert rows(conn, sql, {"b": 2, "a": 1, "unused": 3}) == [(1, 2, 1)]


def test_named_with_sequence(conn):
    # As sqlite3 (deprecated there): named parameters bound by position.
    assert rows(conn, "SELECT :x, :y", (5, 6)) == [(5, 6)]


def test_marks_inside_strings_and_comments_are_not_parameters(conn):
    sql = "SELECT '?', \"?\" IS NULL, ? /* ? :a */ -- ?\n, ':b'"
    assert rows(conn, sql, (1,)) == [("?", 0, 1, ":b")]
    assert rows(conn, "SELECT 'it''s ?', ?, [x?] FROM (SELECT 1 AS [x?])", (2,)) == [
        ("it's ?", 2, 1)]


def test_no_parameters(conn):
    assert rows(conn, "SELECT 1") == [(1,)]
    assert rows(conn, "SELECT 1", ()) == [(1,)]
    assert rows(conn, "SELECT 1", None) == [(1,)]
    assert rows(conn, "SELECT 1", {}) == [(1,)]


def test_255_parameters(conn):
    sql = "SELECT " + " + ".join(["?"] * 255)
    assert scalar(conn, sql, list(range(255))) == sum(range(255))


@pytest.fixture
def guarded(conn, other):
    """A connection whose requests fail the test; a trigger-counted table to
    show that nothing ran."""
    conn.execute("CREATE TABLE t (v)")
    conn.execute("CREATE TABLE hits (n)")
    conn.execute("CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO hits VALUES (1); END")
    legacy = conn  # also exercise the implicit BEGIN of legacy mode
    legacy.autocommit = dbapi.LEGACY_TRANSACTION_CONTROL

    def refuse(*args, **kwargs):
        raise AssertionError(f"sent to the server: {args}")

    session = legacy.session
    real = session.execute
    session.execute = refuse
    session.connect()._send = refuse  # the socket, below the session
    yield legacy
    session.execute = real
    del session.connect()._send
    assert not legacy.in_transaction  # no implicit BEGIN was sent either
    assert scalar(other, "SELECT count(*) FROM hits") == 0


def test_guard_catches_requests(guarded):
    with pytest.raises(AssertionError, match="sent to the server"):
        guarded.execute("SELECT 1")
    with pytest.raises(AssertionError, match="sent to the server"):
        guarded.session.connect().prepare("SELECT 1")


BAD = [
    ("INSERT INTO t VALUES (?)", (1 << 63,), r"parameter 1\b.*64-bit"),
    ("INSERT INTO t VALUES (?)", (-(1 << 63) - 1,), r"parameter 1\b.*64-bit"),
    ("INSERT INTO t VALUES (?)", (10 ** 30,), r"parameter 1\b.*64-bit"),
    ("INSERT INTO t VALUES (?), (?)", (1, object()), r"parameter 2\b.*object"),
    ("INSERT INTO t VALUES (?)", ([1, 2],), r"parameter 1\b.*list"),
    ("INSERT INTO t VALUES (?)", ({"a": 1},), r"parameter 1\b.*dict"),
    ("INSERT INTO t VALUES (?)", ((1, 2),), r"parameter 1\b.*tuple"),
    ("INSERT INTO t VALUES (?)", ({1},), r"parameter 1\b.*set"),
    ("INSERT INTO t VALUES (?)", (1j,), r"parameter 1\b.*complex"),
    ("INSERT INTO t VALUES (?)", (datetime.time(1, 2),), r"parameter 1\b.*time"),
    ("INSERT INTO t VALUES (:a)", {"a": object()}, r"parameter 1 \(:a\).*object"),
    ("INSERT INTO t VALUES (?), (?)", (1,), r"statement uses 2, and there are 1"),
    ("INSERT INTO t VALUES (?)", (1, 2), r"statement uses 1, and there are 2"),
    ("INSERT INTO t VALUES (1)", (1,), r"statement uses 0, and there are 1"),
    ("INSERT INTO t VALUES (?)", (), r"statement uses 1, and there are 0"),
    ("INSERT INTO t VALUES (:a), (:b)", {"a": 1}, r"binding parameter :b"),
    ("INSERT INTO t VALUES (@who)", {"whom": 1}, r"binding parameter @who"),
    ("INSERT INTO t VALUES (?)", {"1": 1}, r"binding 1 has no name.*dictionary"),
    ("INSERT INTO t VALUES (?2)", {"2": 1}, r"binding 1 has no name.*dictionary"),
    ("INSERT INTO t VALUES (?)", "a", r"unsupported type str"),
    ("INSERT INTO t VALUES (?)", b"a", r"unsupported type bytes"),
    ("INSERT INTO t VALUES (?)", 1, r"unsupported type int"),
    ("INSERT INTO t VALUES (?)", {1}, r"unsupported type set"),
    ("INSERT INTO t VALUES (?)", ("a\0b",), r"parameter 1\b.*NUL"),
    ("INSERT INTO t VALUES (?)", ("\ud800",), r"parameter 1\b.*unicode"),
    ("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)", (), r"one statement at a time"),
    ("INSERT INTO t VALUES (?); SELECT 1", (1,), r"one statement at a time"),
    ("SELECT 1; -- c\n;", (), r"one statement at a time"),
] + ([
    # 1.11 reads one byte of parameter count; 1.12+ take a 4-byte one (schema 1).
    ("INSERT INTO t SELECT " + ", ".join(["?"] * 256), tuple(range(256)),
     r"too many parameters: 256; this server \(dqlite 1\.11 to 1\.15\.0\) takes at most 255"),
] if CURRENT.level < MIDDLE else [])  # newer: tests/client/test_wide_params.py


@pytest.mark.parametrize("sql, parameters, message", BAD,
                         ids=[f"{i}-{m.split(chr(92))[0][:20]}" for i, (_, _, m) in enumerate(BAD)])
def test_bad_parameters_refused_before_sending(guarded, sql, parameters, message):
    with pytest.raises(dbapi.ProgrammingError, match=message):
        guarded.execute(sql, parameters)


def test_bad_parameters_in_executemany_refused_before_sending(guarded):
    with pytest.raises(dbapi.ProgrammingError, match=r"parameter 1\b.*64-bit"):
        guarded.executemany("INSERT INTO t VALUES (?)", [(1 << 64,), (1,)])


def test_bad_later_set_in_executemany_stops_there(conn, other):
    conn.execute("CREATE TABLE t (v)")
    with pytest.raises(dbapi.ProgrammingError, match=r"parameter 1\b.*object"):
        conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (object(),), (4,)])
    assert rows(other, "SELECT v FROM t") == [(1,), (2,)]


def test_connection_usable_after_bad_parameters(conn):
    with pytest.raises(dbapi.ProgrammingError):
        conn.execute("SELECT ?", (object(),))
    assert rows(conn, "SELECT ?", (1,)) == [(1,)]
