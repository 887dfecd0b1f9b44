"""What crashes or breaks a dqlite node, proven on throwaway ``dqlite-node``
processes of this run's server (DQLITE_SHELL_SERVER), and what our client
does about each on that server.

:data:`CASES` is the one table of expectations: for each case, what the
server does and what the client does, by capability level (the servers of
the matrix: OLD = 1.11.1, MIDDLE = 1.17.3, AUTHORIZER = 1.18.6).
:func:`expected` reads it for ``CURRENT.level``.

The bare tests send a case with a :class:`Connection`, which refuses
nothing, and check what the node does. The session tests send it through a
:class:`Session` and check the client's part: it refuses what crashes this
server without sending it, or asks the server by PREPARE, or sends it as it
is, and passes the server's own refusal on. If a bare test fails because a
node survived, that server no longer crashes on it: re-check the refusal
before relaxing it.
"""

from __future__ import annotations

import signal
from typing import NamedTuple

import pytest

from dqlite_shell import refusals
from dqlite_shell.client.capabilities import AUTHORIZER, MIDDLE, NOT_AUTHORIZED, OLD, RANGES
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ClientError, ConnectionLost, ServerError, StatementLost
from dqlite_shell.client.session import Session
from dqlite_shell.client.transport import Transport
from dqlite_shell.wire.constants import RequestType
from tests.native.servers import CURRENT

SIGABRT, SIGSEGV = -signal.SIGABRT, -signal.SIGSEGV


class Crash(NamedTuple):
    """The node dies: its exit status and a fragment of its stderr."""
    status: int
    stderr: str = ""


class Refuses(NamedTuple):
    """The server refuses the statement itself with this error; the node stays
    healthy."""
    code: int
    message: str


class Breaks(NamedTuple):
    """The node lives on, but the last step after the statement fails with
    this error; ``opens``: a new connection can still open a database."""
    code: int
    message: str
    opens: bool = True


#: The node hangs up on OPEN of the database, and stays healthy.
HANGS_UP = "hangs up"
#: Every step is answered; the node stays healthy.
WORKS = "works"

#: What the client does.
REFUSED = "refused"  # refuses it; nothing carrying it is sent
ASKED = "asked"  # sends only a PREPARE of it; the server's refusal passes on
SENT = "sent"  # sends it as it is; the server's answer passes on
WRAPPED = "wrapped"  # sends it inside BEGIN ... COMMIT (RETURNING on 1.11)

#: Who in the client decides: refusals.py, the session's routing by
#: capability (RETURNING), or nobody (the rows decide, not the text).
BY_REFUSALS, BY_ROUTING, UNREFUSABLE = "refusals", "routing", "unrefusable"


class Case(NamedTuple):
    """Open ``database``, exec ``before``, send ``statement`` (mode, sql; None
    when the database name is what harms), then exec ``after`` on the same
    connection (where the damage shows). ``at``: level -> (what the server
    does, what the client does), each from that level up."""
    id: str
    database: str
    statement: tuple[str, str] | None
    before: tuple[str, ...]
    after: tuple[str, ...]
    at: dict
    by: str = BY_REFUSALS


T = "t.db"
CREATE = "CREATE TABLE t(x)"
INSERT, INSERT2 = "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"
AUTH = Refuses(23, NOT_AUTHORIZED)  # 1.18.4+'s authorizer, at PREPARE


def _everywhere(outcome, action) -> dict:
    return {OLD: (outcome, action)}


def _name_crashes(database: str) -> Case:
    # OPEN succeeds; the first statement crashes the node, on every server.
    return Case(f"db-{database or 'empty'}", database, None, (), (CREATE,),
                _everywhere(Crash(SIGSEGV), REFUSED))


CASES = [
    Case("journal_mode", T, ("exec", "PRAGMA journal_mode=delete"), (), (), {
        OLD: (Crash(SIGABRT, "free(): invalid pointer"), REFUSED),
        MIDDLE: (Refuses(10, "only WAL mode is supported"), ASKED),
        AUTHORIZER: (AUTH, SENT)}),
    # Already while compiling: an EXPLAIN of it crashes 1.11 too.
    Case("explain-journal_mode", T, ("query", "EXPLAIN PRAGMA journal_mode=off"), (), (), {
        OLD: (Crash(SIGABRT, "free(): invalid pointer"), REFUSED),
        MIDDLE: (Refuses(10, "only WAL mode is supported"), ASKED),
        AUTHORIZER: (AUTH, SENT)}),
    # On a new database: the next statement crashes.
    Case("locking_mode", T, ("exec", "PRAGMA locking_mode=exclusive"), (), (CREATE,), {
        OLD: (Crash(SIGABRT, "vfsAmendWalIndexHeader"), REFUSED),
        AUTHORIZER: (AUTH, SENT)}),
    Case("page_size", T, ("exec", "PRAGMA page_size=8192"), (), (), {
        OLD: (Crash(SIGABRT, "munmap_chunk(): invalid pointer"), REFUSED),
        MIDDLE: (Refuses(10, "changing page size is not supported"), ASKED),
        AUTHORIZER: (AUTH, SENT)}),
    # Once the WAL has frames; 1.11 answers the checkpoint, the next write crashes.
    Case("wal_checkpoint", T, ("query", "PRAGMA wal_checkpoint"), (CREATE, INSERT), (INSERT2,), {
        OLD: (Crash(SIGSEGV), REFUSED),
        MIDDLE: (Refuses(10, "custom checkpoint not allowed"), ASKED),
        AUTHORIZER: (AUTH, SENT)}),
    Case("synchronous", T, ("exec", "PRAGMA synchronous=FULL"), (CREATE, INSERT), (INSERT2,), {
        OLD: (Crash(SIGABRT, "vfsWalWrite"), REFUSED),
        AUTHORIZER: (AUTH, SENT)}),
    # On an empty database every later write of the connection fails instead,
    # NORMAL too (harmless once the database has data).
    Case("synchronous-new-database", T, ("exec", "PRAGMA synchronous=FULL"), (), (CREATE,), {
        OLD: (Breaks(1034, "disk I/O error"), REFUSED),
        AUTHORIZER: (AUTH, SENT)}),
    Case("synchronous-normal-new-database", T, ("exec", "PRAGMA synchronous=NORMAL"), (),
         (CREATE,), {
             OLD: (Breaks(1034, "disk I/O error"), REFUSED),
             AUTHORIZER: (AUTH, SENT)}),
    # Process-wide: no server refuses it, and no new connection can open.
    Case("hard_heap_limit", T, ("exec", "PRAGMA hard_heap_limit=1"), (), (CREATE,),
         _everywhere(Breaks(7, "out of memory", opens=False), REFUSED)),
    Case("hard_heap_limit-outgrown", T, ("exec", "PRAGMA hard_heap_limit=1000000"), (),
         (CREATE,) + ("INSERT INTO t VALUES (randomblob(20000))",) * 30, {
             OLD: (Crash(SIGABRT, "maybeCheckpoint"), REFUSED),
             MIDDLE: (Breaks(7, "out of memory"), REFUSED)}),
    # The main database attached again: a write through it crashes 1.11.
    Case("attach-main", T, ("exec", "ATTACH 't.db' AS o"), (CREATE,),
         ("INSERT INTO o.t VALUES (1)",), {
             OLD: (Crash(SIGABRT, "vfsWalWrite"), REFUSED),
             MIDDLE: (Refuses(1, "too many attached databases - max 0"), SENT),
             AUTHORIZER: (AUTH, SENT)}),
    # Another database: a write through it breaks the connection on 1.11.
    Case("attach-other", T, ("exec", "ATTACH 'other.db' AS o"), (CREATE,),
         ("CREATE TABLE o.u(x)", INSERT), {
             OLD: (Breaks(11, "database disk image is malformed"), REFUSED),
             MIDDLE: (Refuses(1, "too many attached databases - max 0"), SENT),
             AUTHORIZER: (AUTH, SENT)}),
    # Bug E (docs/server-bugs.md): the next write aborts 1.11 and 1.17.
    Case("returning-query", T, ("query", "INSERT INTO t VALUES (1) RETURNING x"), (CREATE,),
         (INSERT2,), {
             OLD: (Crash(SIGABRT, "vfsFileShmLock"), WRAPPED),
             MIDDLE: (Crash(SIGABRT, "vfsFileShmLock"), REFUSED),
             AUTHORIZER: (WORKS, SENT)}, BY_ROUTING),
    _name_crashes(":memory:"),
    _name_crashes(""),
    _name_crashes("file::memory:"),
    _name_crashes("file:x.db?mode=memory"),
    Case("db-file:t.db", "file:t.db", None, (), (CREATE, INSERT), {
        OLD: (Crash(SIGABRT, "vfsFileShmLock"), REFUSED),
        MIDDLE: (Crash(SIGSEGV), REFUSED),
        AUTHORIZER: (WORKS, REFUSED)}),  # names are refused on every server
    Case("db-name-504-bytes", "x" * refusals.MAX_DATABASE_NAME, None, (), (CREATE,),
         _everywhere(WORKS, SENT)),
    Case("db-name-505-bytes", "x" * 505, None, (), (CREATE,), _everywhere(HANGS_UP, REFUSED)),
    # 1.17.3 dies of any name over 512 bytes; from about 540 at once (513-535:
    # at the next write or at stop, docs/server-bugs.md).
    Case("db-name-1000-bytes", "x" * 1000, None, (), (CREATE,), {
        OLD: (HANGS_UP, REFUSED),
        MIDDLE: (Crash(SIGSEGV), REFUSED),
        AUTHORIZER: (HANGS_UP, REFUSED)}),
    # Not refusable from the text: the rows decide (see the report of issue 12).
    Case("datetime-real", T, ("query", "SELECT ts FROM d1"),
         ("CREATE TABLE d1(ts DATETIME)", "INSERT INTO d1 VALUES (1.5)"), (),
         _everywhere(Crash(SIGABRT, "value_type: Assertion"), SENT), UNREFUSABLE),
    Case("boolean-text", T, ("query", "SELECT b FROM d1"),
         ("CREATE TABLE d1(b BOOLEAN)", "INSERT INTO d1 VALUES ('true')"), (),
         _everywhere(Crash(SIGABRT, "value_type: Assertion"), SENT), UNREFUSABLE),
]
IDS = [case.id for case in CASES]


def expected(case: Case, level: int = CURRENT.level) -> tuple[object, str]:
    """(what the server does, what the client does) on a server of ``level``:
    the row of the highest level at or below it (the keys are the levels of
    the matrix's servers; 1.18.3 alone, MODERN, was not measured)."""
    return case.at[max(start for start in case.at if start <= level)]


# -- helpers --------------------------------------------------------------

def _send(conn: Connection, mode: str, sql: str) -> tuple[int, str] | None:
    """Send one step; the server's error, if it answers with one."""
    try:
        if mode == "exec":
            conn.exec_sql(sql)
        else:
            conn.query_sql(sql).fetchall()
    except ServerError as e:
        return e.code, e.message
    return None


def _died(node) -> tuple[int, str]:
    """Wait (bounded) for the node to exit; its status and stderr."""
    node.proc.wait(timeout=10)
    return node.proc.returncode, node.stderr


def _assert_healthy(node, opens: bool = True) -> None:
    """SELECT 1 and a write on a new connection, then a clean stop (SIGTERM,
    exit 0). Where ``opens`` is False the node must hang up on OPEN instead."""
    if opens:
        with Connection.connect(node.address, timeout=5) as conn:
            conn.open(T)
            assert conn.query_sql("SELECT 1").fetchall() == [(1,)]
            conn.exec_sql("CREATE TABLE health(n)")
            conn.exec_sql("INSERT INTO health VALUES (1)")
            assert conn.query_sql("SELECT count(*) FROM health").fetchall() == [(1,)]
    else:
        with pytest.raises(ConnectionLost):
            with Connection.connect(node.address, timeout=5) as conn:
                conn.open("other.db")
    assert node.terminate() == 0


def _run(session: Session, sql: str):
    result = session.execute(sql)
    return result.fetchall() if hasattr(result, "fetchall") else result


@pytest.fixture
def requests_sent(monkeypatch) -> list[bytes]:
    """Every request the client's transports send, from now on."""
    sent: list[bytes] = []
    send = Transport.send

    def recording(self, data: bytes) -> None:
        sent.append(bytes(data))
        send(self, data)

    monkeypatch.setattr(Transport, "send", recording)
    return sent


def _carrying(sent: list[bytes], text: str) -> list[int]:
    """The types of the requests that carry ``text``."""
    wanted = text.encode("utf-8")
    return [data[4] for data in sent if wanted in data]


# -- the table itself -----------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_client_never_sends_what_crashes_this_server(case):
    """The table's client column is what refusals.py says on this server, and
    nothing that crashes or breaks this server is sent as it is."""
    outcome, action = expected(case)
    if case.by == UNREFUSABLE:
        assert action == SENT and refusals.refusal(case.statement[1], CURRENT.level) is None
        return
    assert not (action in (SENT, ASKED) and isinstance(outcome, (Crash, Breaks))), outcome
    if case.by == BY_ROUTING:
        return  # the session's routing, checked by the session test
    if case.statement is None:
        reason = refusals.refused_database(case.database)
        assert (action, bool(reason)) in ((REFUSED, True), (SENT, False)), reason
        return
    found = refusals.refusal(case.statement[1], CURRENT.level)
    said = SENT if found is None else ASKED if found.ask_server else REFUSED
    assert said == action, found
    if found is not None:
        assert found.reason.endswith(f"(this server: dqlite {RANGES[CURRENT.level]})")
        assert "\n" not in found.reason


# -- what the server does -------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_what_the_server_does(process_factory, case):
    outcome, _ = expected(case)
    node = process_factory()
    steps = [("exec", sql) for sql in case.before]
    steps += [case.statement] if case.statement else []
    steps += [("exec", sql) for sql in case.after]
    if isinstance(outcome, Crash):
        with pytest.raises(ConnectionLost):
            with Connection.connect(node.address, timeout=5) as conn:
                conn.open(case.database)
                for mode, sql in steps:
                    _send(conn, mode, sql)  # some answer an error first; a later one crashes
        rc, err = _died(node)
        assert (rc, outcome.stderr in err) == (outcome.status, True), err
        return
    if outcome == HANGS_UP:
        with pytest.raises(ConnectionLost):
            with Connection.connect(node.address, timeout=5) as conn:
                conn.open(case.database)
        _assert_healthy(node)
        return
    with Connection.connect(node.address, timeout=5) as conn:
        conn.open(case.database)
        for sql in case.before:
            conn.exec_sql(sql)
        said = _send(conn, *case.statement) if case.statement else None
        after = [_send(conn, "exec", sql) for sql in case.after]
    if isinstance(outcome, Refuses):
        assert said == (outcome.code, outcome.message)
        # What follows may fail (an attached name is unknown) but is answered.
    elif isinstance(outcome, Breaks):
        assert after[-1] == (outcome.code, outcome.message), after
    else:
        assert (said, after) == (None, [None] * len(after))
    _assert_healthy(node, opens=not isinstance(outcome, Breaks) or outcome.opens)


# -- what the client does -------------------------------------------------

def _refuses_name(node, case: Case, requests_sent: list[bytes]) -> None:
    with pytest.raises(ClientError, match="is refused") as refused:
        Session([node.address], case.database, timeout=5)
    assert refused.value.args[0] == refusals.refused_database(case.database)
    session = Session([node.address], T, timeout=5)
    try:
        with pytest.raises(ClientError, match="is refused"):
            session.use(case.database)
        assert session.database == T
    finally:
        session.close()
    assert requests_sent == []  # not even a connection


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_what_the_client_does(process_factory, requests_sent, case):
    outcome, action = expected(case)
    node = process_factory()
    if case.statement is None and action == REFUSED:
        _refuses_name(node, case, requests_sent)
        _assert_healthy(node)
        return
    session = Session([node.address], case.database, timeout=5)
    try:
        for sql in case.before:
            _run(session, sql)
        if case.statement is None:
            pass
        elif action == REFUSED:
            _assert_refused(session, case, requests_sent)
        elif action == WRAPPED or outcome == WORKS:
            # RETURNING: inside BEGIN ... COMMIT on 1.11, as it is on 1.18.
            assert _run(session, case.statement[1]) == [(1,)]
        elif isinstance(outcome, Refuses):
            del requests_sent[:]
            with pytest.raises(ServerError) as refused:
                _run(session, case.statement[1])
            assert (refused.value.code, refused.value.message) == outcome
            carried = set(_carrying(requests_sent, case.statement[1]))
            if action == ASKED:
                assert carried == {RequestType.PREPARE}
            else:
                assert carried, "sent as it is"
        else:  # a crash that cannot be refused: only this node goes down
            with pytest.raises(StatementLost):
                _run(session, case.statement[1])
            rc, err = _died(node)
            assert (rc, outcome.stderr in err) == (outcome.status, True), err
            return
        for sql in case.after:
            try:
                _run(session, sql)  # what crashes the node once the statement ran
            except ServerError:
                pass  # a name the refused ATTACH did not make
    finally:
        session.close()
    _assert_healthy(node)


def _assert_refused(session: Session, case: Case, requests_sent: list[bytes]) -> None:
    """The session refuses the statement with one line, and nothing that
    carries it reaches the node."""
    session.execute("SELECT 1").fetchall()  # connected: the probes are behind us
    del requests_sent[:]
    sql = case.statement[1]
    with pytest.raises(ClientError) as refused:
        _run(session, sql)
    assert not isinstance(refused.value, ServerError)
    if case.by == BY_ROUTING:  # the session's own line (session.py)
        assert "cannot return rows" in str(refused.value) and "\n" not in str(refused.value)
    else:
        assert str(refused.value) == refusals.refusal(sql, CURRENT.level).reason
    assert _carrying(requests_sent, sql) == []


# -- neighbours that must pass ------------------------------------------------

#: Forms next to the crashers that harm no server: never refused.
HARMLESS = [
    "PRAGMA journal_mode", "PRAGMA journal_mode=wal", "PRAGMA main.journal_mode='WAL'",
    "PRAGMA temp.journal_mode=delete", "PRAGMA locking_mode", "PRAGMA locking_mode=normal",
    "PRAGMA temp.locking_mode=exclusive", "PRAGMA page_size", "PRAGMA page_size=4096",
    "PRAGMA temp.page_size=8192", "PRAGMA synchronous=OFF", "PRAGMA synchronous",
    "PRAGMA hard_heap_limit", "PRAGMA soft_heap_limit=1000000", "EXPLAIN PRAGMA wal_checkpoint",
    "SELECT * FROM pragma_journal_mode", "VACUUM", "PRAGMA wal_autocheckpoint=1",
    "ATTACH ':memory:' AS m", "ATTACH DATABASE '' AS e", "EXPLAIN ATTACH 't.db' AS o",
    "PRAGMA optimize", "PRAGMA busy_timeout=100", "PRAGMA read_uncommitted=1",
]


def test_harmless_neighbours_are_not_refused_and_the_node_survives(node_process):
    assert [sql for sql in HARMLESS if refusals.is_refused(sql, CURRENT.level)] == []
    for database in (":MEMORY:", " :memory:", "FILE::memory:", "a/b", "..", "é.db"):
        assert refusals.refused_database(database) is None
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open("t.db")
        conn.exec_sql("CREATE TABLE t(x)")
        for sql in HARMLESS:
            _send(conn, "exec", sql)  # a row ("another row available") or a refusal (1.17+)
        conn.exec_sql("INSERT INTO t VALUES (1)")
        assert conn.query_sql("SELECT count(*) FROM t").fetchall() == [(1,)]
    for database in (":MEMORY:", "FILE::memory:", "é.db"):
        with Connection.connect(node_process.address, timeout=5) as conn:
            conn.open(database)
            conn.exec_sql("CREATE TABLE IF NOT EXISTS t(x)")
    _assert_healthy(node_process)


@pytest.mark.parametrize("sql,refused", [
    ("ATTACH 't.db' AS o", True), ("attach database 'other' as o", True),
    ("/* c */ ATTACH\n't.db' AS o", True), ("ATTACH ? AS o", True),
    ("ATTACH ':memory:' || 'x' AS o", True), ("SELECT 1; ATTACH 'x' AS o", True),
    ("ATTACH ':memory:' AS m", False), ("ATTACH DATABASE '' AS e", False),
    ("EXPLAIN ATTACH 't.db' AS o", False), ("SELECT 'ATTACH x'", False),
    ("CREATE TABLE attached(x)", False), ("DETACH o", False),
])
def test_attach_of_a_file_is_refused_on_1_11_only(sql, refused):
    assert bool(refusals.is_refused(sql, OLD)) is refused
    assert refusals.is_refused(sql, MIDDLE) is None  # 1.13+ attach nothing (limit 0)


def test_long_column_names_make_a_1_11_node_resend_empty_batches(node_process):
    """When a result's column names fill the node's 4 KB batch, libdqlite 1.11
    sends batches with no rows and never ends: the client stops it with one
    line instead of reading for ever, and the node goes on."""
    wide = ", ".join(f"column_{i:04d}" for i in range(400))
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open("t.db")
        conn.exec_sql(f"CREATE TABLE w({wide})")
        stream = conn.query_sql("SELECT * FROM w")
        with pytest.raises(ClientError, match="cannot return this result: its column names "
                                              "fill the server's 4 KB batch"):
            stream.fetchall()
        assert conn.closed
    with Connection.connect(node_process.address, timeout=5) as conn:
        conn.open("t.db")
        assert conn.query_sql("SELECT count(*) FROM w").fetchall() == [(0,)]
    assert node_process.running
