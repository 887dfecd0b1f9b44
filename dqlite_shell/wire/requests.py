"""Encoders of client requests: each function returns a complete frame.

Body layouts follow ``src/request.h`` of libdqlite 1.11.1 (and go-dqlite
1.11.5 ``internal/protocol/request.go``, which sends the same bytes). All
requests use schema 0 (the 1.11.1 server ignores the schema byte of requests),
but for statements with more than 255 parameters, which need schema 1 and a
1.12+ server (the caller checks: see client/capabilities.py).

Arguments out of range for their wire type (negative ids, ids over 2**64-1,
``db_id``/``stmt_id`` over 2**32-1 where the layout uses uint32) raise
``ValueError``; text containing NUL raises ``ValueError``; bad statement
parameters raise :class:`~dqlite_shell.wire.errors.ParameterError` (a
``ValueError``). ``open`` and ``exec`` shadow builtins on purpose, to mirror the
protocol names; import the module, not the names.
"""

from __future__ import annotations

import struct

from .codec import encode_params_schema, encode_text
from .constants import CLUSTER_FORMAT_V1, DESCRIBE_FORMAT_V0, RequestType, Role

__all__ = [
    "leader", "client", "heartbeat", "open", "prepare", "exec", "query", "finalize",
    "exec_sql", "query_sql", "interrupt", "connect", "add", "assign", "remove",
    "dump", "cluster", "transfer", "describe", "weight",
]

_HEADER = struct.Struct("<IBBH")
_HEADER_U64 = struct.Struct("<IBBHQ")  # header + a one-word body
_HEADER_U32X2 = struct.Struct("<IBBHII")  # header + two uint32 (db_id, stmt_id)
_U64 = struct.Struct("<Q")
_U64X2 = struct.Struct("<QQ")


def _u64_only(msg_type: int, value: int, what: str) -> bytes:
    try:
        return _HEADER_U64.pack(1, msg_type, 0, 0, value)
    except struct.error:
        raise ValueError(f"{what} must be an integer in [0, 2**64), got {value!r}") from None


def _u64(value: int, what: str) -> bytes:
    try:
        return _U64.pack(value)
    except struct.error:
        raise ValueError(f"{what} must be an integer in [0, 2**64), got {value!r}") from None


def _frame(msg_type: int, body: bytes, schema: int = 0) -> bytes:
    return _HEADER.pack(len(body) >> 3, msg_type, schema, 0) + body


def _db_stmt(msg_type: int, db_id: int, stmt_id: int, params: bytes, schema: int = 0) -> bytes:
    try:
        return _HEADER_U32X2.pack(1 + (len(params) >> 3), msg_type, schema, 0, db_id,
                                  stmt_id) + params
    except struct.error:
        raise ValueError(
            f"db_id and stmt_id must be integers in [0, 2**32), got {db_id!r} and {stmt_id!r}"
        ) from None


_LEADER = _HEADER_U64.pack(1, RequestType.LEADER, 0, 0, 0)


def leader() -> bytes:
    """LEADER: ask which node is the leader. Body: uint64 unused (0). Answer: SERVER."""
    return _LEADER


def client(client_id: int) -> bytes:
    """CLIENT: register a client id. Body: uint64 id. Answer: WELCOME."""
    return _u64_only(RequestType.CLIENT, client_id, "client_id")


def heartbeat(timestamp: int) -> bytes:
    """HEARTBEAT. Body: uint64 timestamp.

    Warning: libdqlite 1.11.1 does not dispatch this request; it sends no
    answer at all, so a client waiting for one hangs. Kept for completeness.
    """
    return _u64_only(RequestType.HEARTBEAT, timestamp, "timestamp")


def open(name: str, flags: int = 0, vfs: str = "") -> bytes:  # noqa: A001 - protocol name
    """OPEN a database. Body: text name, uint64 flags, text vfs. Answer: DB."""
    return _frame(RequestType.OPEN, encode_text(name) + _u64(flags, "flags") + encode_text(vfs))


def prepare(db_id: int, sql: str) -> bytes:
    """PREPARE one statement. Body: uint64 db_id, text sql. Answer: STMT.

    Sent with schema 0, so the answer has no tail offset (1.11.1 never sends one).
    """
    return _frame(RequestType.PREPARE, _u64(db_id, "db_id") + encode_text(sql))


def exec(db_id: int, stmt_id: int, params=()) -> bytes:  # noqa: A001 - protocol name
    """EXEC a prepared statement. Body: uint32 db_id, uint32 stmt_id, params. Answer: RESULT."""
    return _db_stmt(RequestType.EXEC, db_id, stmt_id, *encode_params_schema(params))


def query(db_id: int, stmt_id: int, params=()) -> bytes:
    """QUERY a prepared statement. Body: uint32 db_id, uint32 stmt_id, params. Answer: ROWS."""
    return _db_stmt(RequestType.QUERY, db_id, stmt_id, *encode_params_schema(params))


def finalize(db_id: int, stmt_id: int) -> bytes:
    """FINALIZE a prepared statement. Body: uint32 db_id, uint32 stmt_id. Answer: EMPTY."""
    return _db_stmt(RequestType.FINALIZE, db_id, stmt_id, b"")


def exec_sql(db_id: int, sql: str, params=()) -> bytes:
    """EXEC_SQL: run SQL text (several statements allowed; params bind to the first).

    Body: uint64 db_id, text sql, params. Answer: RESULT.
    """
    encoded, schema = encode_params_schema(params)
    return _frame(RequestType.EXEC_SQL, _u64(db_id, "db_id") + encode_text(sql) + encoded, schema)


def query_sql(db_id: int, sql: str, params=()) -> bytes:
    """QUERY_SQL: run one query given as text. Body: uint64 db_id, text sql, params. Answer: ROWS."""
    encoded, schema = encode_params_schema(params)
    return _frame(RequestType.QUERY_SQL, _u64(db_id, "db_id") + encode_text(sql) + encoded, schema)


def interrupt(db_id: int) -> bytes:
    """INTERRUPT the query whose ROWS are still coming. Body: uint64 db_id. Answer: EMPTY."""
    return _u64_only(RequestType.INTERRUPT, db_id, "db_id")


def connect(node_id: int, address: str) -> bytes:
    """CONNECT: raft's own node-to-node handshake. Body: uint64 id, text address.

    The server hands the socket over to raft and never answers; clients should
    not send this.
    """
    return _frame(RequestType.CONNECT, _u64(node_id, "node_id") + encode_text(address))


def add(node_id: int, address: str) -> bytes:
    """ADD a node (as spare). Body: uint64 id, text address. Answer: EMPTY."""
    return _frame(RequestType.ADD, _u64(node_id, "node_id") + encode_text(address))


def assign(node_id: int, role: Role | int | str) -> bytes:
    """ASSIGN a role to a node. Body: uint64 id, uint64 role. Answer: EMPTY.

    ``role`` is a :class:`Role`, its integer code, or its name (``"voter"``).
    """
    if isinstance(role, str):
        role = Role.from_name(role)
    try:
        body = _U64X2.pack(node_id, role)
    except struct.error:
        raise ValueError(f"node_id and role must be integers in [0, 2**64), got {node_id!r} and {role!r}") from None
    return _frame(RequestType.ASSIGN, body)


def remove(node_id: int) -> bytes:
    """REMOVE a node from the cluster. Body: uint64 id. Answer: EMPTY."""
    return _u64_only(RequestType.REMOVE, node_id, "node_id")


def dump(name: str) -> bytes:
    """DUMP a database. Body: text name. Answer: FILES (database, then WAL)."""
    return _frame(RequestType.DUMP, encode_text(name))


def cluster(format: int = CLUSTER_FORMAT_V1) -> bytes:  # noqa: A002 - protocol name
    """CLUSTER: list nodes. Body: uint64 format (1: with roles). Answer: SERVERS."""
    return _u64_only(RequestType.CLUSTER, format, "format")


def transfer(node_id: int) -> bytes:
    """TRANSFER leadership to a node. Body: uint64 id. Answer: EMPTY."""
    return _u64_only(RequestType.TRANSFER, node_id, "node_id")


def describe(format: int = DESCRIBE_FORMAT_V0) -> bytes:  # noqa: A002 - protocol name
    """DESCRIBE the node. Body: uint64 format (0). Answer: METADATA."""
    return _u64_only(RequestType.DESCRIBE, format, "format")


def weight(weight: int) -> bytes:
    """WEIGHT: set the node's weight. Body: uint64 weight. Answer: EMPTY."""
    return _u64_only(RequestType.WEIGHT, weight, "weight")
