"""Layer 1 of dqlite-shell: bytes <-> dqlite protocol messages, no sockets.

Typical client use::

    from dqlite_shell.wire import requests, encode_handshake, parse_header, decode_response

    sock.sendall(encode_handshake() + requests.leader())
    header = parse_header(recv_exactly(sock, 8))
    response = decode_response(header.type, header.schema, recv_exactly(sock, header.body_size))

Every decoder raises :class:`ProtocolError` (and nothing else) on malformed
input. Request encoders raise ``ValueError`` (:class:`ParameterError` for
statement parameters) on arguments they cannot encode.

Modules: :mod:`.constants`, :mod:`.errors`, :mod:`.values`, :mod:`.codec`
(primitives), :mod:`.frames` (handshake, headers), :mod:`.requests` (one
encoder per request), :mod:`.responses` (``decode_response``),
:mod:`.messages` (response dataclasses), :mod:`.rows` (the fast ROWS decoder
and the ROWS encoder), :mod:`.rows_reference` (the slow reference decoder),
:mod:`.serverside` (request decoding and response encoding, for fakes).
"""

from . import requests
from .codec import Decoder, Encoder, encode_blob, encode_params, encode_text
from .constants import (
    CLUSTER_FORMAT_V0,
    CLUSTER_FORMAT_V1,
    DESCRIBE_FORMAT_V0,
    HEADER_SIZE,
    MAX_BODY_SIZE,
    MAX_PARAMS,
    PROTOCOL_VERSION,
    ROWS_DONE,
    ROWS_PART,
    RequestType,
    ResponseType,
    Role,
    ValueType,
)
from .errors import ParameterError, ProtocolError
from .frames import Header, decode_frame, encode_frame, encode_handshake, encode_header, parse_header
from .messages import (
    Db,
    Empty,
    Failure,
    Files,
    Metadata,
    NodeInfo,
    Response,
    Result,
    Rows,
    Server,
    Servers,
    Stmt,
    Welcome,
)
from .responses import decode_response
from .rows import DEFAULT_PAGE_SIZE, decode_rows, encode_row, encode_rows, iter_row_batches
from .rows_reference import decode_rows_reference
from .serverside import REQUEST_LAYOUTS, Request, decode_request, encode_response
from .values import Iso8601, UnixTime

__all__ = [
    # constants
    "CLUSTER_FORMAT_V0", "CLUSTER_FORMAT_V1", "DESCRIBE_FORMAT_V0", "HEADER_SIZE", "MAX_BODY_SIZE",
    "MAX_PARAMS", "PROTOCOL_VERSION", "ROWS_DONE", "ROWS_PART", "DEFAULT_PAGE_SIZE",
    "RequestType", "ResponseType", "Role", "ValueType",
    # errors and value markers
    "ParameterError", "ProtocolError", "Iso8601", "UnixTime",
    # primitives and framing
    "Decoder", "Encoder", "encode_blob", "encode_params", "encode_text",
    "Header", "decode_frame", "encode_frame", "encode_handshake", "encode_header", "parse_header",
    # requests and responses
    "requests", "decode_response",
    "Db", "Empty", "Failure", "Files", "Metadata", "NodeInfo", "Response", "Result", "Rows",
    "Server", "Servers", "Stmt", "Welcome",
    # rows
    "decode_rows", "decode_rows_reference", "encode_row", "encode_rows", "iter_row_batches",
    # server side (tests, fakes)
    "REQUEST_LAYOUTS", "Request", "decode_request", "encode_response",
]
