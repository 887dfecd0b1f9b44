"""A session with a cluster: always talks to the leader, follows it when it moves.

This is what the driver and the shell use: one connection to the leader with
one database open, a cache of prepared statements, and the rules for when a
statement may be retried on a new leader (only when the old one refused it
before running it, outside a transaction) and when its fate is unknown.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dqlite_shell import refusals, sqltext
from dqlite_shell._log import debug
from dqlite_shell.client import routing
from dqlite_shell.client.capabilities import Capabilities, CapabilityCache
from dqlite_shell.client.connection import DEFAULT_TIMEOUT, Connection
from dqlite_shell.client.drain import Drains
from dqlite_shell.client.errors import (
    BrokenPeer,
    ClientError,
    ConnectionLost,
    LeadershipLost,
    ParameterCountError,
    RequestNotSent,
    RequestTimeout,
    ServerError,
    StatementLost,
    TransactionLost,
    lost_message,
)
from dqlite_shell.client.leader import NodeStore, connect_leader, leader_among
from dqlite_shell.client.liveness import PROBE_EVERY, answers, watcher
from dqlite_shell.client.result import RowStream
from dqlite_shell.client.transaction import TransactionState
from dqlite_shell.wire.messages import Metadata, NodeInfo, Result

if TYPE_CHECKING:
    import ssl as _ssl

    from dqlite_shell.client.busy import BusyWait


#: How many times one statement that provably did not run (refused as
#: not-leader, or lost before it was sent) is taken to a new leader.
MAX_RETRIES = 5


class Prepared:
    """A writing statement prepared on the current connection."""
    __slots__ = ("id", "params")

    def __init__(self, id: int, params: int):  # noqa: A002 - the protocol's name
        self.id, self.params = id, params


class _Attempt:
    """How far one try of a statement got (what a failure means)."""
    __slots__ = ("kind", "sent", "running")

    def __init__(self):
        self.kind: str | None = None
        self.sent = False  # a request carrying it went out (even EXPLAIN, PREPARE)
        self.running = False  # the request that runs it went out: it may have run


class Session:
    """A connection to the leader of the cluster reachable through ``servers``.

    ``timeout`` bounds leader discovery (and is the default per-request
    timeout); ``busy_timeout`` is how long a statement refused as busy
    ("database is locked") is tried again. Use :meth:`execute` for SQL and
    the admin methods for the cluster; all reconnect as needed.
    """

    def __init__(self, servers: Iterable[str], database: str, *,
                 timeout: float = DEFAULT_TIMEOUT, request_timeout: float | None = None,
                 ssl_context: _ssl.SSLContext | None = None, server_hostname: str | None = None,
                 statement_cache: int = 64, busy_timeout: float = 0.0):
        refused = refusals.refused_database(database)
        if refused:
            raise ClientError(refused)
        self.store = NodeStore(servers)
        self.database = database
        self.timeout = timeout
        self.request_timeout = request_timeout or timeout
        #: How long a statement refused with SQLITE_BUSY is tried again.
        self.busy_timeout = busy_timeout
        self.ssl_context = ssl_context
        self.server_hostname = server_hostname
        self.transaction = TransactionState()
        self._cache_size = statement_cache
        self._conn: Connection | None = None
        self._prepared: OrderedDict[str, Prepared] = OrderedDict()
        self._kinds: dict[str, str] = {}  # statement text -> the kind the server showed
        #: What each node can do, probed once per address (see capabilities).
        self.capabilities = CapabilityCache()
        #: Cancelled results still being read to their end (see drain.py).
        self.drains = Drains()
        self._queried = False
        #: The node still running a statement we abandoned (see :meth:`cancel`).
        self.busy_address: str | None = None
        #: None: the connection has run no statement yet; True: learn the
        #: members before the next one; False: learnt.
        self._learn_members: bool | None = None

    # -- connection management ----------------------------------------

    def connect(self) -> Connection:
        """The leader connection with the database open: the open one, or a
        new one when there is none or the node has closed it (this dials)."""
        conn = self._conn
        if conn is None or conn.closed or conn.peer_closed():
            if conn is not None:
                self._drop()
            conn = self._connect()
        return conn

    @property
    def leader_address(self) -> str | None:
        return None if self._conn is None else self._conn.address

    @property
    def connected(self) -> bool:
        """A leader connection is open and the server has not closed it
        (checked locally, no round trip: a prompt asks at every key press)."""
        conn = self._conn
        return conn is not None and not conn.closed and not conn.peer_closed()

    def peer_certificate(self) -> dict | None:
        """The certificate the leader presented (TLS), from the open
        connection; None when there is none or no TLS (never connects)."""
        conn = self._conn
        return None if conn is None or conn.closed else conn.peer_certificate()

    def _connect(self) -> Connection:
        # LEADER + CLIENT + OPEN, as go-dqlite's connector: the members are
        # learnt later, only by sessions that outlive their first statement.
        conn = connect_leader(self.store, self.timeout, self.request_timeout,
                              self.ssl_context, self.server_hostname)
        try:
            if self.request_timeout > PROBE_EVERY:
                conn.watch(watcher(conn.address, self.store, self.timeout, self._dial,
                                   self._leader_among),
                           PROBE_EVERY, stall=self.timeout)
            conn.open(self.database)
            conn.capabilities = self.capabilities.of(conn)
            conn.drains = self.drains
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._prepared.clear()
        self._queried = False  # a new connection loads the schema when first used
        self._learn_members = None  # learnt before this connection's second statement
        return conn

    def server(self) -> Capabilities:
        """What the leader this session talks to can do (connects if needed)."""
        return self.connect().capabilities

    def _leader_among(self, addresses: list[str], timeout: float) -> str | None:
        return leader_among(addresses, timeout, self.ssl_context, self.server_hostname)

    def _dial(self, address: str, timeout: float) -> Connection:
        """A new connection to ``address`` with this session's TLS settings."""
        return Connection.connect(address, timeout, self.ssl_context, self.server_hostname)

    def _learn(self, conn: Connection) -> None:
        """Learn the cluster's members once per connection, from its second
        statement on: a later failover can then reach nodes the user did not
        list, and a one-shot command pays no extra round trip."""
        if self._learn_members is None:
            self._learn_members = True
            return
        self._learn_members = False
        self.store.learn(node.address for node in conn.cluster())

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._prepared.clear()
        if self.transaction.active:
            self.transaction.reset()

    def use(self, database: str) -> None:
        """Switch to another database (reconnects: one database per connection).

        Names that crash libdqlite 1.11 nodes are refused (ClientError) before
        anything changes."""
        refused = refusals.refused_database(database)
        if refused:
            raise ClientError(refused)
        if database != self.database:
            self._drop()
            self.database = database

    def close(self, drain_wait: float | None = None, hand_off: bool = False) -> None:
        """Close the connection. Cancelled results still draining are waited
        for (at most ``drain_wait`` s, default drain.DRAIN_LIMIT): a socket
        closed mid-stream leaks the statement on dqlite 1.18. ``hand_off``
        (a process about to exit) gives them to a child process instead."""
        self._drop()
        if hand_off:
            self.drains.hand_off()
        elif drain_wait is None:
            self.drains.wait()
        else:
            self.drains.wait(drain_wait)

    def cancel(self, grace: float = 0.5) -> str:
        """Stop what the connection is doing (Ctrl-C), within ``grace`` s.

        Returns ``"stopped"`` when the server acknowledged (the connection is
        usable at once). Otherwise the connection is given up and the next
        statement uses a new one: ``"result"`` when rows were streaming
        (1.11 is freed at once by the close; newer servers' rest of the
        result is read and thrown away in the background, see drain.py);
        ``"statement"`` when the node was still running the statement, which
        it finishes (libdqlite cannot stop one mid-way). :attr:`busy_address`
        then names a node that answers nothing else meanwhile (all but
        capability ``answers_while_running``).
        """
        conn = self._conn
        if conn is None or conn.closed:
            return "stopped"
        running = conn.waiting
        if conn.cancel(grace):
            return "stopped"
        if running and not conn.capabilities.has("answers_while_running"):
            self.busy_address = conn.address
        self._drop()
        return "statement" if running else "result"

    def node_answers(self, address: str, timeout: float) -> bool | None:
        """True when ``address`` answers a LEADER request on a new connection
        within ``timeout`` s (libdqlite 1.11 answers nothing while it runs a
        statement), False when it is silent, None when it cannot be reached."""
        return answers(address, self._dial, timeout)

    # -- statements ---------------------------------------------------

    def execute(self, sql: str | sqltext.Statement, params=()) -> Result | RowStream:
        """Run one statement; a :class:`RowStream` when it returns columns.

        ``sql`` is its text or, from a caller that has read it already, its
        :func:`sqltext.analyse` (the text is not read again).

        Goes on on a new leader (transparently) only when nothing can have
        run: the old leader refused the statement as not-leader, or the
        connection failed before the whole request was handed over; and never
        inside a transaction, which is lost with its leader
        (:class:`TransactionLost`). A statement that was sent and whose
        answer never came is never re-sent, not even a read (a statement that
        crashed one node would crash the next): :class:`StatementLost` says
        so, and the next statement connects afresh.
        """
        statement = sqltext.analyse(sql) if isinstance(sql, str) else sql
        retries = 0
        busy: BusyWait | None = None
        while True:
            in_transaction = self.transaction.active
            before = self._conn
            conn = self.connect()
            if in_transaction and conn is not before:
                raise TransactionLost("the connection to the leader was lost; the open "
                                      "transaction was rolled back")
            attempt = _Attempt()
            try:
                if self._learn_members is not False:
                    self._learn(conn)  # runs nothing of the statement
                result = self._run(conn, statement, params, attempt)
            except ServerError as e:
                if e.not_leader:
                    self._drop()
                    if in_transaction:
                        raise TransactionLost("leadership changed; the open transaction "
                                              "was rolled back") from None
                    retries += 1
                    if retries <= MAX_RETRIES:
                        # Nothing ran. The search for the new leader has its
                        # own timeout (a long wait on a frozen leader that
                        # finally refused must not use it up).
                        debug(__name__, "%s is not the leader any more; retrying", conn.address)
                        continue
                if e.leadership_lost:
                    self._drop()
                    raise LeadershipLost("leadership lost; this statement may or may not "
                                         "have been applied") from None
                if e.busy and self.busy_timeout > 0:
                    if busy is None:
                        from dqlite_shell.client.busy import BusyWait  # random: ~1 ms of a start
                        busy = BusyWait(self.busy_timeout)
                    if busy.again():
                        continue  # nothing was applied: as SQLite's busy handler
                if in_transaction:
                    self._recheck_transaction(conn)
                raise
            except (ConnectionLost, RequestTimeout) as e:
                self._drop()
                # The node may come back as another release (an upgrade).
                self.capabilities.forget(conn.address)
                if in_transaction and not statement.ends_transaction:
                    raise TransactionLost(f"{e}; the open transaction was rolled back") from None
                if isinstance(e, BrokenPeer):
                    raise
                if not attempt.sent or isinstance(e, RequestNotSent):
                    retries += 1
                    if retries <= MAX_RETRIES:
                        # Nothing ran; the leader search has its own timeout.
                        debug(__name__, "%s; nothing ran, retrying", e)
                        continue
                    raise
                raise StatementLost(lost_message(conn.address, e, attempt.kind != sqltext.READ,
                                                 preparing=not attempt.running)) from None
            self.transaction.observe(statement)
            return result

    def _run(self, conn: Connection, statement: sqltext.Statement, params, attempt: _Attempt):
        """Send the statement the way its kind and the server need (see
        sqltext.classify and capabilities).

        Rows come through QUERY_SQL, prepared afresh each time: libdqlite 1.11
        reads a statement's columns before stepping it, so a cached statement
        would report stale columns after a schema change, and it does not
        reset statements after their last row (an EXPLAIN would stay active).
        Writes with parameters go through cached prepared statements and EXEC;
        a write without any is one EXEC_SQL, one round trip (both answers have
        the changes and last row id). A server that runs any statement
        through QUERY_SQL (1.18) gets a statement the text does not settle,
        and RETURNING, as one QUERY_SQL, without EXPLAIN or a transaction.
        """
        sql = statement.text
        caps: Capabilities = conn.capabilities
        refused = refusals.refusal(sql, caps.level)
        if refused is not None:
            routing.check_leader(conn)
            attempt.sent = refused.ask_server
            routing.refuse(conn, sql, refused)
        rows_from_writes = caps.has("rows_from_writes")
        kind = self._kinds.get(sql) or statement.kind  # _kinds: what the server told
        if kind == sqltext.WRITE_ROWS and caps.has("queries_run_writes") and not rows_from_writes:
            # 1.15.1-1.17 refuse it, then abort at the next write (bug E).
            routing.check_leader(conn)
            raise ClientError(routing.NO_ROWS_FROM_WRITES.format(range=caps.range)
                              + ". Nothing was sent")
        # From the first request that carries the statement (even EXPLAIN or
        # PREPARE: some statements crash libdqlite 1.11 as they are compiled)
        # a lost answer is never followed by sending it again.
        attempt.sent = True
        if kind == sqltext.UNKNOWN and not rows_from_writes:
            kind = self._remember(sql, routing.explain(conn, sql))  # runs nothing
        attempt.kind = kind
        stmt = None
        direct = kind == sqltext.WRITE and not params and routing.is_plain(statement)
        if kind == sqltext.WRITE and not direct:
            stmt = self._prepare(conn, sql)  # runs nothing
            if stmt.params != len(params):
                raise ParameterCountError(stmt.params, len(params))
        if conn.peer_closed():
            # The node went away after it answered: what runs the statement
            # cannot reach it, so it cannot have run. Say so, so it is retried.
            raise RequestNotSent(f"{conn.address} closed the connection")
        attempt.running = True
        # A connection that has answered a query may hold a schema that
        # another connection changed since; a new one loads it when first used.
        stale_schema, self._queried = self._queried, True
        if direct:
            return conn.exec_sql(sql)
        if stmt is not None:
            return conn.exec(stmt.id, params)
        if kind == sqltext.WRITE_ROWS and not rows_from_writes:
            return routing.write_rows(conn, sql, params, own=not self.transaction.active)
        try:
            fresh = stale_schema and statement.expands_star
            stream = conn.query_sql(sql, params, fresh_schema=fresh)
        except ServerError as e:
            # A statement without result columns is refused before it runs
            # (only possible for text classified as READ by mistake).
            if e.code == routing.SQLITE_ERROR and e.message == routing.NO_COLUMNS_MESSAGE:
                self._kinds[sql] = attempt.kind = sqltext.WRITE
                return conn.exec_sql(sql, params)
            if e.message == routing.WRITE_REFUSES_ROWS:
                # 1.15.1-1.18.2 run a statement that writes through their
                # write path, which refuses rows (EXPLAIN of a write, ...).
                raise ClientError(routing.NO_ROWS_FROM_WRITES.format(range=caps.range)) from None
            raise
        if not stream.columns and stream.done:
            # A statement without rows sent as QUERY_SQL (1.18): no result set.
            return Result(0, 0)
        return stream

    def _remember(self, sql: str, kind: str) -> str:
        """Cache the kind of ``sql`` the server told (EXPLAIN)."""
        self._kinds[sql] = kind
        if len(self._kinds) > 4 * self._cache_size:
            self._kinds.pop(next(iter(self._kinds)))
        return kind

    def _recheck_transaction(self, conn: Connection) -> None:
        """After an error inside a transaction: is it still open?

        SQLite ends a transaction by itself on some errors (ON CONFLICT
        ROLLBACK, RAISE(ROLLBACK), SQLITE_FULL ...). A BEGIN tells: it fails
        inside a transaction, and otherwise opens one we close again.
        """
        try:
            conn.exec_sql("BEGIN")
        except ServerError:
            return  # still inside the transaction
        except ClientError:
            self._drop()
            return
        try:
            conn.exec_sql("ROLLBACK")
        except ClientError:
            self._drop()
        self.transaction.reset()

    def _prepare(self, conn: Connection, sql: str) -> Prepared:
        stmt = self._prepared.get(sql)
        if stmt is not None:
            self._prepared.move_to_end(sql)
            return stmt
        reply = conn.prepare(sql)
        stmt = Prepared(reply.id, reply.params)
        self._prepared[sql] = stmt
        if len(self._prepared) > self._cache_size:
            _, old = self._prepared.popitem(last=False)
            conn.finalize(old.id)
        return stmt

    def execute_script(self, sql: str) -> Result:
        """EXEC_SQL: every statement of ``sql`` in one request, no rows."""
        conn = self.connect()
        refused = refusals.is_refused(sql, conn.capabilities.level)
        if refused:
            raise ClientError(refused)
        try:
            result = conn.exec_sql(sql)
        except (ConnectionLost, RequestTimeout) as e:
            self._drop()
            if isinstance(e, (BrokenPeer, RequestNotSent)):
                raise
            raise StatementLost(lost_message(conn.address, e, True)) from None
        self.transaction.observe(sql)
        return result

    # -- cluster admin (always on the leader) ---------------------------

    def _admin(self, name: str, *args):
        conn = self.connect()
        try:
            return getattr(conn, name)(*args)
        except (ConnectionLost, RequestTimeout):
            self._drop()
            raise

    def leader(self) -> NodeInfo | None:
        return self._admin("leader")

    def cluster(self) -> list[NodeInfo]:
        nodes = self._admin("cluster")
        self.store.learn(n.address for n in nodes)
        return nodes

    def add(self, node_id: int, address: str) -> None:
        self._admin("add", node_id, address)

    def assign(self, node_id: int, role) -> None:
        self._admin("assign", node_id, role)

    def remove(self, node_id: int) -> None:
        self._admin("remove", node_id)

    def transfer(self, node_id: int) -> None:
        self._admin("transfer", node_id)

    def describe(self) -> Metadata:
        return self._admin("describe")

    def weight(self, weight: int) -> None:
        self._admin("weight", weight)

    def dump(self, database: str | None = None) -> list[tuple[str, bytes]]:
        return self._admin("dump", database or self.database)


__all__ = ["LeadershipLost", "ParameterCountError", "Session", "StatementLost",
           "TransactionLost"]
