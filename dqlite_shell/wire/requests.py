"""Encoders of client requests: each function returns a complete frame.

Body layouts are declared once, in :mod:`.schema` (``src/request.h`` of
libdqlite 1.11.1); the encoders are built from it, but for the four sent
per statement (``exec``, ``query``, ``exec_sql``, ``query_sql``), written by
hand for speed and tested against it. All requests use schema 0 (the 1.11.1
server ignores the schema byte of requests), but for statements with more
than 255 parameters, which need schema 1 and a 1.12+ server (the caller
checks: see client/capabilities.py).

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
from .frames import HEADER
from .schema import REQUESTS, fixed_prefix, frame_encoder, range_error, require_fixed_format

__all__ = [
    "leader", "client", "heartbeat", "open", "prepare", "exec", "query", "finalize",
    "exec_sql", "query_sql", "interrupt", "connect", "add", "assign", "remove",
    "dump", "cluster", "transfer", "describe", "weight",
]


def _encoder(rtype: RequestType):
    """The revision 0 encoder of ``rtype``, built from the schema."""
    return frame_encoder(rtype, 0, REQUESTS[rtype][0])


_client = _encoder(RequestType.CLIENT)
_heartbeat = _encoder(RequestType.HEARTBEAT)
_open = _encoder(RequestType.OPEN)
_prepare = _encoder(RequestType.PREPARE)
_finalize = _encoder(RequestType.FINALIZE)
_interrupt = _encoder(RequestType.INTERRUPT)
_connect = _encoder(RequestType.CONNECT)
_add = _encoder(RequestType.ADD)
_assign = _encoder(RequestType.ASSIGN)
_remove = _encoder(RequestType.REMOVE)
_dump = _encoder(RequestType.DUMP)
_cluster = _encoder(RequestType.CLUSTER)
_transfer = _encoder(RequestType.TRANSFER)
_describe = _encoder(RequestType.DESCRIBE)
_weight = _encoder(RequestType.WEIGHT)

_LEADER = _encoder(RequestType.LEADER)(0)

# Fast paths for the requests sent per statement: the header and the fixed
# fields before the SQL text or the params go in one pack. Their layouts come
# from the schema (tests/wire/test_requests.py checks them byte for byte
# against the encoders the schema builds, at both revisions).
_SQL_PREFIX = fixed_prefix(REQUESTS[RequestType.EXEC_SQL][0])  # db_id
_STMT_PREFIX = fixed_prefix(REQUESTS[RequestType.EXEC][0])  # db_id, stmt_id
_SQL_HEAD = struct.Struct(HEADER.format + require_fixed_format(_SQL_PREFIX))
_STMT_HEAD = struct.Struct(HEADER.format + require_fixed_format(_STMT_PREFIX))
_SQL_WORDS = (_SQL_HEAD.size - HEADER.size) >> 3
_STMT_WORDS = (_STMT_HEAD.size - HEADER.size) >> 3


def _sql(msg_type: int, db_id: int, sql: str, params) -> bytes:
    """EXEC_SQL or QUERY_SQL: db_id, text sql, params (revision by params count)."""
    encoded, schema = encode_params_schema(params)
    text = encode_text(sql)
    try:
        words = _SQL_WORDS + ((len(text) + len(encoded)) >> 3)
        head = _SQL_HEAD.pack(words, msg_type, schema, 0, db_id)
    except struct.error:
        raise range_error(_SQL_PREFIX, (db_id,)) from None
    return head + text + encoded


def _stmt(msg_type: int, db_id: int, stmt_id: int, params) -> bytes:
    """EXEC or QUERY: db_id, stmt_id, params (revision by params count)."""
    encoded, schema = encode_params_schema(params)
    try:
        words = _STMT_WORDS + (len(encoded) >> 3)
        head = _STMT_HEAD.pack(words, msg_type, schema, 0, db_id, stmt_id)
    except struct.error:
        raise range_error(_STMT_PREFIX, (db_id, stmt_id)) from None
    return head + encoded if encoded else head


def leader() -> bytes:
    """LEADER: ask which node is the leader. Body: uint64 unused (0). Answer: SERVER."""
    return _LEADER


def client(client_id: int) -> bytes:
    """CLIENT: register a client id. Body: uint64 id. Answer: WELCOME."""
    return _client(client_id)


def heartbeat(timestamp: int) -> bytes:
    """HEARTBEAT. Body: uint64 timestamp.

    Warning: libdqlite 1.11.1 does not dispatch this request; it sends no
    answer at all, so a client waiting for one hangs. Kept for completeness.
    """
    return _heartbeat(timestamp)


def open(name: str, flags: int = 0, vfs: str = "") -> bytes:  # noqa: A001 - protocol name
    """OPEN a database. Body: text name, uint64 flags, text vfs. Answer: DB."""
    return _open(name, flags, vfs)


def prepare(db_id: int, sql: str) -> bytes:
    """PREPARE one statement. Body: uint64 db_id, text sql. Answer: STMT.

    Sent with schema 0, so the answer has no tail offset (1.11.1 never sends one).
    """
    return _prepare(db_id, sql)


def exec(db_id: int, stmt_id: int, params=()) -> bytes:  # noqa: A001 - protocol name
    """EXEC a prepared statement. Body: uint32 db_id, uint32 stmt_id, params. Answer: RESULT."""
    return _stmt(RequestType.EXEC, db_id, stmt_id, params)


def query(db_id: int, stmt_id: int, params=()) -> bytes:
    """QUERY a prepared statement. Body: uint32 db_id, uint32 stmt_id, params. Answer: ROWS."""
    return _stmt(RequestType.QUERY, db_id, stmt_id, params)


def finalize(db_id: int, stmt_id: int) -> bytes:
    """FINALIZE a prepared statement. Body: uint32 db_id, uint32 stmt_id. Answer: EMPTY."""
    return _finalize(db_id, stmt_id)


def exec_sql(db_id: int, sql: str, params=()) -> bytes:
    """EXEC_SQL: run SQL text (several statements allowed; params bind to the first).

    Body: uint64 db_id, text sql, params. Answer: RESULT.
    """
    return _sql(RequestType.EXEC_SQL, db_id, sql, params)


def query_sql(db_id: int, sql: str, params=()) -> bytes:
    """QUERY_SQL: run one query given as text. Body: uint64 db_id, text sql, params.
    Answer: ROWS."""
    return _sql(RequestType.QUERY_SQL, db_id, sql, params)


def interrupt(db_id: int) -> bytes:
    """INTERRUPT the query whose ROWS are still coming. Body: uint64 db_id. Answer: EMPTY."""
    return _interrupt(db_id)


def connect(node_id: int, address: str) -> bytes:
    """CONNECT: raft's own node-to-node handshake. Body: uint64 id, text address.

    The server hands the socket over to raft and never answers; clients should
    not send this.
    """
    return _connect(node_id, address)


def add(node_id: int, address: str) -> bytes:
    """ADD a node (as spare). Body: uint64 id, text address. Answer: EMPTY."""
    return _add(node_id, address)


def assign(node_id: int, role: Role | int | str) -> bytes:
    """ASSIGN a role to a node. Body: uint64 id, uint64 role. Answer: EMPTY.

    ``role`` is a :class:`Role`, its integer code, or its name (``"voter"``).
    """
    if isinstance(role, str):
        role = Role.from_name(role)
    return _assign(node_id, role)


def remove(node_id: int) -> bytes:
    """REMOVE a node from the cluster. Body: uint64 id. Answer: EMPTY."""
    return _remove(node_id)


def dump(name: str) -> bytes:
    """DUMP a database. Body: text name. Answer: FILES (database, then WAL)."""
    return _dump(name)


def cluster(format: int = CLUSTER_FORMAT_V1) -> bytes:  # noqa: A002 - protocol name
    """CLUSTER: list nodes. Body: uint64 format (1: with roles). Answer: SERVERS."""
    return _cluster(format)


def transfer(node_id: int) -> bytes:
    """TRANSFER leadership to a node. Body: uint64 id. Answer: EMPTY."""
    return _transfer(node_id)


def describe(format: int = DESCRIBE_FORMAT_V0) -> bytes:  # noqa: A002 - protocol name
    """DESCRIBE the node. Body: uint64 format (0). Answer: METADATA."""
    return _describe(format)


def weight(weight: int) -> bytes:
    """WEIGHT: set the node's weight. Body: uint64 weight. Answer: EMPTY."""
    return _weight(weight)
