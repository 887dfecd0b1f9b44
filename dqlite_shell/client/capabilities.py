"""What the dqlite server behind a connection can do, learnt from its answers.

The handshake carries no version, so a client learns a server's abilities
from how it answers two harmless requests, once per node address:

1. ``QUERY_SQL "SELECT 1; SELECT 2"``. Up to 1.15.0 the server runs the
   first statement and ignores the rest; from 1.15.1 (when QUERY began to run
   writes through Raft) it answers "nonempty statement tail".
2. ``DUMP`` of a database that does not exist (asked only after probe 1 said
   1.15.1+). Up to 1.18.2 it answers two empty files; from 1.18.3 (DUMP folds
   the WAL in) it answers "database does not exists".
3. ``PREPARE "PRAGMA busy_timeout"`` (asked only after probe 2 said 1.18.3+;
   the read form acts on nothing). 1.18.4 added an authorizer that refuses
   it ("not authorized"); 1.18.3 prepares it, and the client finalizes it.

That puts a server in one of three ranges (:data:`RANGES`); every ability the
client relies on is one row of :data:`CAPABILITIES`, derived from the range.
Where a range is wider than what was measured, the row takes the safe side:
a 1.18.0-1.18.2 server is treated as 1.17 is. ``docs/capabilities.md``
explains each row and the tests that cover it.
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from dqlite_shell.client.errors import ServerError
from dqlite_shell.wire.constants import MAX_PARAMS

if TYPE_CHECKING:
    from dqlite_shell.client.connection import Connection

#: Probe 1: two statements in one QUERY_SQL; and what 1.15.1+ answers to it.
TWO_STATEMENTS = "SELECT 1; SELECT 2"
STATEMENT_TAIL_REFUSED = "nonempty statement tail"
#: What 1.18.3+ answers to DUMP of an unknown database (probe 2).
NO_SUCH_DATABASE = "database does not exists"
#: The database probe 2 asks for; DUMP of an unknown name reads nothing and
#: creates nothing on any version (src/gateway.c handle_dump).
PROBE_DATABASE = "dqlite-shell probe: no such database"

#: The ranges the probes tell apart, oldest first (index = Capabilities.level).
RANGES = ("1.11 to 1.15.0", "1.15.1 to 1.18.2", "1.18.3", "1.18.4 or later")
OLD, MIDDLE, MODERN, AUTHORIZER = 0, 1, 2, 3
#: Probe 3; what 1.18.4+ answers to it.
AUTHORIZER_PROBE = "PRAGMA busy_timeout"
NOT_AUTHORIZED = "not authorized"


class Capability(NamedTuple):
    """One ability the client relies on: the lowest range that has it, the
    release that brought it, and what the client does with it."""
    name: str
    level: int
    since: str
    use: str


#: Every ability the client relies on, in one place (``.version`` prints it).
CAPABILITIES = (
    Capability("queries_run_writes", MIDDLE, "1.15.1",
               "QUERY_SQL runs a write through Raft, so a PRAGMA is sent as it is "
               "instead of being classified with EXPLAIN (EXPLAIN of a write is refused)"),
    Capability("schema_1", MIDDLE, "1.12.0",
               "statements with more than 255 parameters (a 4-byte count)"),
    Capability("rows_from_writes", MODERN, "1.18",
               "a write that returns rows (RETURNING) goes as one QUERY_SQL, with no "
               "transaction around it; older servers refuse it, or crash (1.11)"),
    Capability("single_file_dump", MODERN, "1.18.3",
               "DUMP returns the whole database in its main file and an empty WAL"),
    Capability("delete_database", MODERN, "1.18.3", "PRAGMA delete_database (.drop)"),
    Capability("vacuum_main", MODERN, "1.18.2",
               "VACUUM of the main database (1.11 runs it too; 1.13.0 to 1.18.1 refuse it: "
               "'too many attached databases - max 0')"),
    Capability("drain_on_cancel", MIDDLE, "1.15.1",
               "a cancelled request is read to its end in the background: closing the "
               "socket mid-stream leaks the statement (1.18.6 then aborts at stop; the "
               "range up to 1.18.2 may hold such a server); 1.11 is freed at once by a "
               "close, which its one thread needs"),
    Capability("answers_while_running", MODERN, "1.18",
               "the node answers other clients while it runs a long statement (1.11 and "
               "1.17 answer nothing until it ends): after a Ctrl-C the next statement "
               "need not wait for it"),
    Capability("authorizer", AUTHORIZER, "1.18.4",
               "the server refuses the pragmas that break it (locking_mode, synchronous, "
               "journal_mode ...) itself; older ones crash on some, so the client refuses "
               "them (refusals.py says which, where)"),
)
_BY_NAME = {c.name: c for c in CAPABILITIES}


class Capabilities(NamedTuple):
    """What one server can do: ``level`` indexes :data:`RANGES`.

    (A NamedTuple, not a dataclass: dataclasses loads inspect, ~5 ms of the
    shell's start.)"""

    level: int

    def has(self, name: str) -> bool:
        """Whether the server has the capability ``name`` (see CAPABILITIES)."""
        return self.level >= _BY_NAME[name].level

    @property
    def range(self) -> str:
        """The releases the probes put this server in, e.g. ``1.18.3 or later``."""
        return RANGES[self.level]

    def too_many_parameters(self, count: int) -> str | None:
        """Why ``count`` parameters cannot be sent to this server, or None:
        more than 255 need schema 1, which 1.11 would misread."""
        if count <= MAX_PARAMS or self.has("schema_1"):
            return None
        return (f"too many parameters: {count}; this server (dqlite {self.range}) takes at "
                f"most {MAX_PARAMS} per statement, dqlite 1.12 and later take more")

    def table(self) -> list[tuple[str, str, str, str]]:
        """Rows of (capability, yes/no, since release, what the client does)."""
        return [(c.name, "yes" if self.level >= c.level else "no", c.since, c.use)
                for c in CAPABILITIES]


#: A server assumed before any probe (or when probing is impossible): the
#: oldest range, whose handling is safe everywhere but slower.
ASSUMED = Capabilities(OLD)


def probe(conn: "Connection") -> Capabilities:
    """Ask the server behind ``conn`` (a database open on it) what it can do.

    Runs nothing that reads or writes a database. A ServerError other than
    the two answers the probes look for (not leader, busy ...) propagates.
    """
    try:
        conn.query_sql(TWO_STATEMENTS).fetchall()
    except ServerError as e:
        if e.message != STATEMENT_TAIL_REFUSED:
            raise
    else:
        return Capabilities(OLD)
    try:
        conn.dump(PROBE_DATABASE)
    except ServerError as e:
        if e.message != NO_SUCH_DATABASE:
            raise
    else:
        return Capabilities(MIDDLE)
    try:
        stmt = conn.prepare(AUTHORIZER_PROBE)
    except ServerError as e:
        if e.message != NOT_AUTHORIZED:
            raise
        return Capabilities(AUTHORIZER)
    conn.finalize(stmt.id)
    return Capabilities(MODERN)


class CapabilityCache:
    """The capabilities of each node address a session has talked to.

    A node that went away may come back as another release (a rolling
    upgrade), so an address is forgotten when its connection is lost."""

    def __init__(self, probe_fn: Callable[["Connection"], Capabilities] = probe):
        self._known: dict[str, Capabilities] = {}
        self._probe = probe_fn

    def of(self, conn: "Connection") -> Capabilities:
        """The capabilities of ``conn``'s node, probing it the first time."""
        known = self._known.get(conn.address)
        if known is None:
            known = self._known[conn.address] = self._probe(conn)
        return known

    def forget(self, address: str) -> None:
        self._known.pop(address, None)


__all__ = ["ASSUMED", "CAPABILITIES", "Capabilities", "Capability", "CapabilityCache",
           "RANGES", "probe", "OLD", "MIDDLE", "MODERN", "AUTHORIZER"]
