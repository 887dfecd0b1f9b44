"""Interoperability with Debian's Go dqlite shell, an independent client.

Rows written by this driver read the same through the Go shell (``a|b``
lines, ``<nil>`` for NULL) and rows the Go shell writes read the same here.
The Go shell is pointed at a member other than our leader.
"""

from __future__ import annotations

from tests.dbapi.conftest import go_query, not_leader, rows

ROWS = [
    (1, "plain", 42, 1.5),
    (2, "émoji 😀 中文", -9223372036854775808, -0.25),
    (3, None, 9223372036854775807, None),
    (4, "", 0, 1e+300),
    (5, "pipe|inside", None, 3.0),
]


def go_lines(rows_):
    def show(v):
        if v is None:
            return "<nil>"
        if isinstance(v, float):
            return {1e300: "1e+300", 3.0: "3"}.get(v, repr(v))
        return str(v)
    return ["|".join(show(v) for v in row) for row in rows_]


def test_driver_writes_go_reads(conn, servers, db, go_shell):
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, i INTEGER, f REAL)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS)
    conn.execute("UPDATE t SET s = upper(s) WHERE id = 1 RETURNING id").fetchall()
    conn.execute("DELETE FROM t WHERE id = 4")
    expected = [(1, "PLAIN", 42, 1.5)] + ROWS[1:3] + ROWS[4:]
    assert go_query(go_shell, not_leader(servers, conn), db,
                    "SELECT id, s, i, f FROM t ORDER BY id") == go_lines(expected)
    assert go_query(go_shell, not_leader(servers, conn), db,
                    "SELECT count(*), sum(i IS NULL), total(f) FROM t") == ["4|1|4.25"]


def test_driver_transaction_commit_seen_by_go(connect, servers, db, go_shell):
    conn = connect(autocommit=False)
    conn.execute("CREATE TABLE t (a)")
    conn.execute("INSERT INTO t VALUES ('tx')")
    address = not_leader(servers, conn)
    assert go_query(go_shell, address, db,
                    "SELECT count(*) FROM sqlite_master WHERE name = 't'") == ["0"]
    conn.commit()
    assert go_query(go_shell, address, db, "SELECT a FROM t") == ["tx"]


def test_go_writes_driver_reads(conn, other, servers, db, go_shell):
    address = servers[-1]
    for sql in [
        "CREATE TABLE g (id INTEGER PRIMARY KEY, s TEXT, i INTEGER, f REAL, b BLOB)",
        "INSERT INTO g VALUES (1, 'from go', 7, 2.5, x'00ff10')",
        "INSERT INTO g VALUES (2, NULL, -9223372036854775808, NULL, NULL)",
        "INSERT INTO g VALUES (3, 'émoji 😀 中文', 9223372036854775807, -0.0, x'')",
        "UPDATE g SET i = i + 1 WHERE id = 1",
        "PRAGMA user_version = 12",
    ]:
        assert go_query(go_shell, address, db, sql) == []
    got = rows(conn, "SELECT * FROM g ORDER BY id")
    assert got == [
        (1, "from go", 8, 2.5, b"\x00\xff\x10"),
        (2, None, -9223372036854775808, None, None),
        (3, "émoji 😀 中文", 9223372036854775807, 0.0, b""),
    ]
    assert rows(other, "PRAGMA user_version") == [(12,)]
    # And our changes to Go's rows are seen by Go.
    conn.execute("UPDATE g SET s = 'changed' WHERE id = 2")
    assert go_query(go_shell, address, db, "SELECT s FROM g WHERE id = 2") == ["changed"]


def test_go_datetime_and_boolean_columns(conn, servers, db, go_shell):
    address = servers[0]
    go_query(go_shell, address, db, "CREATE TABLE d (dt DATETIME, b BOOLEAN)")
    go_query(go_shell, address, db, "INSERT INTO d VALUES ('2024-02-29 13:14:15', 1)")
    go_query(go_shell, address, db, "INSERT INTO d VALUES (NULL, 0)")
    assert rows(conn, "SELECT dt, b FROM d ORDER BY rowid") == [
        ("2024-02-29 13:14:15", True), (None, False)]
    assert go_query(go_shell, address, db, "SELECT dt, b FROM d ORDER BY rowid") == [
        "2024-02-29 13:14:15 +0000 UTC|true", "<nil>|false"]
