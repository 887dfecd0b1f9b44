"""What the server of this test run answers, where that depends on the server:
DUMP, PRAGMA delete_database (``.drop``), VACUUM and what ``.version`` says.

Every expectation here is keyed on ``CURRENT.level`` (tests/native/servers.py),
in this one place; the tests import them and never compare versions themselves.
The values are literal, measured on 1.11.1, 1.17.3 and 1.18.6, not derived
from the client's capability table, so that a wrong row there fails a test.
"""

from __future__ import annotations

from dqlite_shell import wire
from dqlite_shell.client.capabilities import AUTHORIZER, MIDDLE, MODERN, OLD
from tests.native.servers import CURRENT

_LEVEL = CURRENT.level

#: 1.18.3+: DUMP returns the whole database in its main file and an empty WAL;
#: before, the WAL holds what was written since the last checkpoint.
SINGLE_FILE_DUMP = _LEVEL >= MODERN

#: What DUMP of a database the node does not have answers, on the wire.
MISSING_DATABASE_CODE = 1002  # DQLITE_NOTFOUND
MISSING_DATABASE_MESSAGE = "database does not exists"


def dump_of_missing(name: str):
    """The raw answer to DUMP of ``name``, a database the node does not have:
    two empty files up to 1.18.2, a failure from 1.18.3."""
    if SINGLE_FILE_DUMP:
        return wire.Failure(MISSING_DATABASE_CODE, MISSING_DATABASE_MESSAGE)
    return wire.Files([(name, b""), (name + "-wal", b"")])


#: The releases the client's probes place the server in (``.version``).
RANGE = {OLD: "1.11 to 1.15.0", MIDDLE: "1.15.1 to 1.18.2", MODERN: "1.18.3",
         AUTHORIZER: "1.18.4 or later"}[_LEVEL]

#: What ``.version`` says the server has, for the capabilities these tests
#: know (the client's table may grow meanwhile; a new row is checked only for
#: its shape until it is added here).
_KNOWN = ("queries_run_writes", "schema_1", "rows_from_writes", "single_file_dump",
          "delete_database", "vacuum_main", "authorizer")
_YES = {
    OLD: set(),
    MIDDLE: {"queries_run_writes", "schema_1"},
    MODERN: {"queries_run_writes", "schema_1", "rows_from_writes", "single_file_dump",
             "delete_database", "vacuum_main"},
    AUTHORIZER: set(_KNOWN),
}[_LEVEL]
HAS = {name: name in _YES for name in _KNOWN}

#: 1.18.3+ deletes a database; before, ``.drop`` refuses with this line.
CAN_DROP = _LEVEL >= MODERN
DROP_REFUSAL = None if CAN_DROP else (
    f"this server (dqlite {RANGE}) cannot delete a database; dqlite 1.18.3 can")

#: What VACUUM answers (None: it runs). 1.13.0 to 1.18.1 limit a connection
#: to 0 attached databases, and VACUUM attaches its temporary copy; 1.11.1
#: (the matrix's server of the oldest range) has no such limit yet, and 1.18.2
#: allows VACUUM of main again.
VACUUM_ERROR = {OLD: None, MIDDLE: "too many attached databases - max 0", MODERN: None,
                AUTHORIZER: None}[_LEVEL]

#: 1.15.1 to 1.18.2 cannot return rows from a statement that writes: their
#: QUERY path refuses it, and 1.17.3 then aborts at the next write (bug E), so
#: the client refuses RETURNING before sending anything. 1.11 (inside a
#: transaction the client opens) and 1.18.3+ (one QUERY_SQL) return the rows.
ROWS_FROM_WRITES = _LEVEL != MIDDLE
_NO_ROWS_FROM_WRITES = (
    "this server (dqlite 1.15.1 to 1.18.2) cannot return rows from a statement "
    "that writes (RETURNING, EXPLAIN of a write); dqlite 1.18 can")
#: The one line the driver raises (as OperationalError) for RETURNING, None
#: where the server returns its rows.
RETURNING_REFUSAL = None if ROWS_FROM_WRITES else _NO_ROWS_FROM_WRITES + ". Nothing was sent"
#: The one line for EXPLAIN (QUERY PLAN) of a write, which 1.15.1-1.18.2
#: refuse themselves (after compiling it, so nothing ran); None: it is explained.
EXPLAIN_WRITE_REFUSAL = None if ROWS_FROM_WRITES else _NO_ROWS_FROM_WRITES

#: Does a node answer a second connection (the client's liveness probe)
#: while one statement runs long? 1.11.1 and 1.17.3 answer nothing meanwhile,
#: so a client with a short timeout gives the node up; 1.18.6 answers, so the
#: statement may run longer than the timeout. (1.18.3 is not in the matrix.)
ANSWERS_WHILE_BUSY = {OLD: False, MIDDLE: False, MODERN: True, AUTHORIZER: True}[_LEVEL]
