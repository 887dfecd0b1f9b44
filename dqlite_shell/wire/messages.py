"""Decoded server responses (plain data, no behaviour).

Field layouts (``src/response.h`` of libdqlite 1.11.1) are declared in
:mod:`.schema`, with field names that are those of these tuples (the
docstrings recall them for readers); all integers are little-endian.
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

from collections.abc import Sequence
from typing import NamedTuple

from .constants import Role

# Named tuples, not dataclasses: eleven dataclasses cost several milliseconds
# of start-up (and pull in inspect), which `dqlite -c` cannot spare.


class Failure(NamedTuple):
    """FAILURE (0): uint64 code (an SQLite/dqlite error code), text message."""

    code: int
    message: str


class Server(NamedTuple):
    """SERVER (1), the answer to LEADER: uint64 id, text address.

    ``id == 0`` and ``address == ""`` mean that the node does not know the leader.
    """

    id: int
    address: str


class Welcome(NamedTuple):
    """WELCOME (2), the answer to CLIENT: uint64 heartbeat_timeout (milliseconds)."""

    heartbeat_timeout: int


class NodeInfo(NamedTuple):
    """One node of a SERVERS response: uint64 id, text address[, uint64 role].

    ``role`` is None when the CLUSTER request used format 0. An unknown role
    code is kept as a plain int.
    """

    id: int
    address: str
    role: Role | int | None = Role.VOTER


class Servers(NamedTuple):
    """SERVERS (3), the answer to CLUSTER: uint64 count, then the nodes."""

    nodes: Sequence[NodeInfo] = ()


class Db(NamedTuple):
    """DB (4), the answer to OPEN: uint32 id, uint32 padding."""

    id: int


class Stmt(NamedTuple):
    """STMT (5), the answer to PREPARE: uint32 db_id, uint32 id, uint64 params.

    Schema 1 (servers newer than 1.11.x, and only when asked for with a schema
    1 PREPARE) appends uint64 ``tail_offset``: the offset of the unprepared
    rest of the SQL text. It is None for schema 0, which 1.11.1 always uses.
    """

    db_id: int
    id: int
    params: int
    tail_offset: int | None = None


class Result(NamedTuple):
    """RESULT (6), the answer to EXEC/EXEC_SQL: last_insert_id, rows_affected.

    Both are uint64 on the wire; ``last_insert_id`` is decoded as int64 because
    the server casts SQLite's signed rowid, which can be negative.
    """

    last_insert_id: int
    rows_affected: int


class Rows(NamedTuple):
    """ROWS (7): one batch of a result set.

    ``done`` is False when the batch ended with the PART marker (more ROWS
    messages follow) and True for the DONE marker (the result set is
    complete). ``columns`` are repeated in every batch.
    """

    columns: list[str]
    rows: list[tuple]
    done: bool


class Empty(NamedTuple):
    """EMPTY (8): uint64 unused. The answer to FINALIZE, INTERRUPT, ADD ..."""


class Files(NamedTuple):
    """FILES (9), the answer to DUMP: uint64 count, then per file text name,
    uint64 size, data. 1.11.1 sends the database file then its WAL.
    """

    files: Sequence[tuple[str, bytes]] = ()


class Metadata(NamedTuple):
    """METADATA (10), the answer to DESCRIBE: uint64 failure_domain, uint64 weight."""

    failure_domain: int
    weight: int


Response = (Failure | Server | Welcome | Servers | Db | Stmt | Result | Rows | Empty | Files
            | Metadata)
