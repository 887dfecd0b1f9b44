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
from .schema import REQUESTS, RESPONSES, Layout, body_reader, frame_encoder, revision

#: Revision 0 body layout of each request: (field name, kind) in wire order
#: (the field names are the parameter names of the encoders in
#: :mod:`.requests`). A view of :data:`.schema.REQUESTS`, which has every
#: revision.
REQUEST_LAYOUTS: dict[RequestType, Layout] = {t: revisions[0] for t, revisions in REQUESTS.items()}


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded request: its type, header schema and fields by name."""

    type: RequestType
    fields: dict = field(default_factory=dict)
    schema: int = 0


_REQUEST_READERS = {(t, revision): (tuple(f.name for f in fields), body_reader(fields))
                    for t, revisions in REQUESTS.items() for revision, fields in revisions.items()}


def decode_request(msg_type: int, schema: int, body: bytes | bytearray | memoryview) -> Request:
    """Decode a request body (strictly: trailing bytes raise ProtocolError).

    A request declared with several revisions (EXEC, QUERY, EXEC_SQL,
    QUERY_SQL) is read in the revision its header's ``schema`` names.
    """
    try:
        rtype = RequestType(msg_type)
    except ValueError:
        raise ProtocolError(f"unknown request type {msg_type}") from None
    names, read = _REQUEST_READERS[rtype, revision(REQUESTS, rtype, schema)]
    d = Decoder(body, f"{rtype.name} request")
    values = read(d)
    d.expect_end()
    return Request(rtype, dict(zip(names, values, strict=True)), schema)


#: The response type of each message class, and the encoders of the
#: responses whose layout the schema declares field by field.
_RESPONSE_TYPES = {Failure: ResponseType.FAILURE, Server: ResponseType.SERVER,
                   Welcome: ResponseType.WELCOME, Servers: ResponseType.SERVERS,
                   Db: ResponseType.DB, Stmt: ResponseType.STMT, Result: ResponseType.RESULT,
                   Rows: ResponseType.ROWS, Empty: ResponseType.EMPTY, Files: ResponseType.FILES,
                   Metadata: ResponseType.METADATA}
_COMPOSITE = {"nodes", "files", "rows"}
_RESPONSE_ENCODERS = {
    (t, revision): (tuple(f.name for f in fields), frame_encoder(t, revision, fields))
    for t, revisions in RESPONSES.items() for revision, fields in revisions.items()
    if not any(f.kind in _COMPOSITE for f in fields)
}


def _composite_body(resp: Response, cluster_format: int) -> bytes:
    """The body of a SERVERS, FILES or ROWS response."""
    if isinstance(resp, Rows):
        return encode_rows(resp.columns, resp.rows, resp.done)
    e = Encoder()
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
        return e.getvalue()
    if not isinstance(resp, Files):
        raise TypeError(f"not a composite response: {resp!r}")
    e.uint64(len(resp.files))
    for name, data in resp.files:
        e.text(name).blob(data)
    return e.getvalue()


def encode_response(resp: Response, *, cluster_format: int = CLUSTER_FORMAT_V1) -> bytes:
    """A complete response frame (header + body), as the 1.11.1 server sends it.

    A :class:`Stmt` with a ``tail_offset`` is sent with schema 1. Servers are
    encoded in ``cluster_format`` (format 1 needs every node's role).
    """
    msg_type = _RESPONSE_TYPES.get(type(resp))
    if msg_type is None:
        raise TypeError(f"not a response: {resp!r}")
    rev = 1 if isinstance(resp, Stmt) and resp.tail_offset is not None else 0
    encoder = _RESPONSE_ENCODERS.get((msg_type, rev))
    if encoder is None:
        return encode_frame(msg_type, _composite_body(resp, cluster_format))
    names, encode = encoder
    return encode(*[0 if name == "unused" else getattr(resp, name) for name in names])
