"""The server's half of the wire: decode requests, encode responses.

Clients never need this module; tests and fake servers (fault injection) do.
It follows the same 1.11.1 layouts as :mod:`.requests` and :mod:`.responses`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .codec import Decoder, Encoder
from .constants import CLUSTER_FORMAT_V0, CLUSTER_FORMAT_V1, RequestType, ResponseType
from .errors import ProtocolError
from .frames import encode_frame
from .messages import (
    Db,
    Empty,
    Failure,
    Files,
    Metadata,
    Response,
    Result,
    Rows,
    Server,
    Servers,
    Stmt,
    Welcome,
)
from .rows import encode_rows

#: Body layout of each request: (field name, kind) in wire order. Field names
#: are the parameter names of the encoders in :mod:`.requests`.
REQUEST_LAYOUTS: dict[RequestType, tuple[tuple[str, str], ...]] = {
    RequestType.LEADER: (("unused", "uint64"),),
    RequestType.CLIENT: (("client_id", "uint64"),),
    RequestType.HEARTBEAT: (("timestamp", "uint64"),),
    RequestType.OPEN: (("name", "text"), ("flags", "uint64"), ("vfs", "text")),
    RequestType.PREPARE: (("db_id", "uint64"), ("sql", "text")),
    RequestType.EXEC: (("db_id", "uint32"), ("stmt_id", "uint32"), ("params", "params")),
    RequestType.QUERY: (("db_id", "uint32"), ("stmt_id", "uint32"), ("params", "params")),
    RequestType.FINALIZE: (("db_id", "uint32"), ("stmt_id", "uint32")),
    RequestType.EXEC_SQL: (("db_id", "uint64"), ("sql", "text"), ("params", "params")),
    RequestType.QUERY_SQL: (("db_id", "uint64"), ("sql", "text"), ("params", "params")),
    RequestType.INTERRUPT: (("db_id", "uint64"),),
    RequestType.CONNECT: (("node_id", "uint64"), ("address", "text")),
    RequestType.ADD: (("node_id", "uint64"), ("address", "text")),
    # 1.11.1 also accepts the legacy PROMOTE layout without a role (voter).
    RequestType.ASSIGN: (("node_id", "uint64"), ("role", "optional_uint64")),
    RequestType.REMOVE: (("node_id", "uint64"),),
    RequestType.DUMP: (("name", "text"),),
    RequestType.CLUSTER: (("format", "uint64"),),
    RequestType.TRANSFER: (("node_id", "uint64"),),
    RequestType.DESCRIBE: (("format", "uint64"),),
    RequestType.WEIGHT: (("weight", "uint64"),),
}


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded request: its type, header schema and fields by name."""

    type: RequestType
    fields: dict = field(default_factory=dict)
    schema: int = 0


def decode_request(msg_type: int, schema: int, body: bytes | bytearray | memoryview) -> Request:
    """Decode a request body (strictly: trailing bytes raise ProtocolError)."""
    try:
        rtype = RequestType(msg_type)
    except ValueError:
        raise ProtocolError(f"unknown request type {msg_type}") from None
    d = Decoder(body, f"{rtype.name} request")
    fields: dict[str, object] = {}
    for name, kind in REQUEST_LAYOUTS[rtype]:
        if kind == "optional_uint64":
            fields[name] = d.uint64() if d.remaining else 0
        else:
            fields[name] = getattr(d, kind)()
    d.expect_end()
    return Request(rtype, fields, schema)


def _encode_body(resp: Response, cluster_format: int) -> tuple[int, int, bytes]:
    """(type, schema, body) of a response."""
    e = Encoder()
    if isinstance(resp, Failure):
        return ResponseType.FAILURE, 0, e.uint64(resp.code).text(resp.message).getvalue()
    if isinstance(resp, Server):
        return ResponseType.SERVER, 0, e.uint64(resp.id).text(resp.address).getvalue()
    if isinstance(resp, Welcome):
        return ResponseType.WELCOME, 0, e.uint64(resp.heartbeat_timeout).getvalue()
    if isinstance(resp, Servers):
        if cluster_format not in (CLUSTER_FORMAT_V0, CLUSTER_FORMAT_V1):
            raise ValueError(f"unknown cluster format {cluster_format}")
        e.uint64(len(resp.nodes))
        for node in resp.nodes:
            e.uint64(node.id).text(node.address)
            if cluster_format == CLUSTER_FORMAT_V1:
                if node.role is None:
                    raise ValueError(f"node {node.id} has no role, needed by cluster format 1")
                e.uint64(node.role)
        return ResponseType.SERVERS, 0, e.getvalue()
    if isinstance(resp, Db):
        return ResponseType.DB, 0, e.uint32(resp.id).uint32(0).getvalue()
    if isinstance(resp, Stmt):
        e.uint32(resp.db_id).uint32(resp.id).uint64(resp.params)
        if resp.tail_offset is None:
            return ResponseType.STMT, 0, e.getvalue()
        return ResponseType.STMT, 1, e.uint64(resp.tail_offset).getvalue()
    if isinstance(resp, Result):
        return ResponseType.RESULT, 0, e.int64(resp.last_insert_id).uint64(resp.rows_affected).getvalue()
    if isinstance(resp, Rows):
        return ResponseType.ROWS, 0, encode_rows(resp.columns, resp.rows, resp.done)
    if isinstance(resp, Empty):
        return ResponseType.EMPTY, 0, e.uint64(0).getvalue()
    if isinstance(resp, Files):
        e.uint64(len(resp.files))
        for name, data in resp.files:
            e.text(name).blob(data)
        return ResponseType.FILES, 0, e.getvalue()
    if isinstance(resp, Metadata):
        return ResponseType.METADATA, 0, e.uint64(resp.failure_domain).uint64(resp.weight).getvalue()
    raise TypeError(f"not a response: {resp!r}")


def encode_response(resp: Response, *, cluster_format: int = CLUSTER_FORMAT_V1) -> bytes:
    """A complete response frame (header + body), as the 1.11.1 server sends it.

    A :class:`Stmt` with a ``tail_offset`` is sent with schema 1. Servers are
    encoded in ``cluster_format`` (format 1 needs every node's role).
    """
    msg_type, schema, body = _encode_body(resp, cluster_format)
    return encode_frame(msg_type, body, schema)
