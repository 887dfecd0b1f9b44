"""Connections and threads: ``check_same_thread``, as in sqlite3."""

from __future__ import annotations

import threading

import pytest

from dqlite_shell import dbapi
from tests.dbapi.conftest import rows
from tests.dbapi.test_cursor import COUNT_TO

SAME_THREAD = "can only be used in that same thread"


def in_thread(work) -> dict:
    """Run ``work()`` in a new thread: ``{"value": ...}`` or ``{"error": ...}``."""
    out = {}

    def run():
        try:
            out["value"] = work()
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            out["error"] = e

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    return out


def test_another_thread_is_refused_and_the_owner_keeps_its_rows(connect):
    conn = connect()
    n = 20_000  # several batches: the result is still being streamed
    cur = conn.execute(COUNT_TO.format(n=n))
    first = cur.fetchmany(10)
    uses = {
        "cursor": conn.cursor, "execute": lambda: conn.execute("SELECT 2"),
        "executemany": lambda: conn.executemany("INSERT INTO x VALUES (?)", [(1,)]),
        "commit": conn.commit, "rollback": conn.rollback, "close": conn.close,
        "autocommit": lambda: setattr(conn, "autocommit", True),
        "isolation_level None": lambda: setattr(conn, "isolation_level", None),
        "cursor.execute": lambda: cur.execute("SELECT 3"), "fetchone": cur.fetchone,
        "fetchmany": cur.fetchmany, "fetchall": cur.fetchall, "next": lambda: next(cur),
        "cursor.close": cur.close, "with": lambda: conn.__exit__(None, None, None),
    }
    for name, use in uses.items():
        error = in_thread(use).get("error")
        assert isinstance(error, dbapi.ProgrammingError), (name, error)
        assert SAME_THREAD in str(error) and "check_same_thread=False" in str(error), name
    # Reading state sends nothing and is allowed, as in sqlite3.
    assert in_thread(lambda: (conn.in_transaction, cur.description[0][0])) == {
        "value": (False, "i")}
    assert first + cur.fetchall() == [(i,) for i in range(1, n + 1)]
    assert not conn.closed and conn.isolation_level == ""
    conn.close()


def test_shared_connection_serves_each_thread_its_own_rows(connect):
    conn = connect(autocommit=True, check_same_thread=False)
    assert conn.check_same_thread is False
    conn.execute("CREATE TABLE t (thread INTEGER, i INTEGER)")
    threads, rounds = 4, 40
    start = threading.Barrier(threads)

    def work(k: int):
        start.wait(10)
        for i in range(rounds):
            got = conn.execute("SELECT ?, ?, ? * ?", (k, i, k, i)).fetchall()
            assert got == [(k, i, k * i)], (k, i, got)
            conn.execute("INSERT INTO t VALUES (?, ?)", (k, i))
        return k

    outs = []
    runners = [threading.Thread(target=lambda k=k: outs.append(in_thread(lambda: work(k))))
               for k in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(60)
    assert sorted(o.get("value", o.get("error")) for o in outs) == list(range(threads))
    assert rows(conn, "SELECT thread, count(*), sum(i) FROM t GROUP BY thread") == [
        (k, rounds, rounds * (rounds - 1) // 2) for k in range(threads)]
    # Any thread may close it.
    assert in_thread(conn.close) == {"value": None} and conn.closed


def test_the_creating_thread_owns_the_connection(connect, servers, db, other):
    shared = in_thread(lambda: connect(check_same_thread=False))["value"]
    shared.execute("CREATE TABLE t (n)")
    shared.execute("INSERT INTO t VALUES (1)")
    shared.commit()
    assert rows(other, "SELECT n FROM t") == [(1,)]
    # A connection made by a thread that is still alive belongs to it.
    made, done, closed = [], threading.Event(), []

    def owner():
        made.append(dbapi.connect(servers, db))
        done.wait(30)
        made[0].close()
        closed.append(made[0].closed)

    thread = threading.Thread(target=owner)
    thread.start()
    try:
        for _ in range(300):  # bounded: 30 s
            if made:
                break
            done.wait(0.1)
        with pytest.raises(dbapi.ProgrammingError, match=SAME_THREAD):
            made[0].cursor()
        with pytest.raises(dbapi.ProgrammingError, match=SAME_THREAD):
            made[0].close()
        assert not made[0].closed
    finally:
        done.set()
        thread.join(30)
    assert closed == [True]
