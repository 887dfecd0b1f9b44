"""Decoding of server responses into the named tuples of :mod:`.messages`.

Layouts are those of libdqlite 1.11.1 (``src/response.h``, ``src/gateway.c``).
Fixed-size responses must be exactly as long as their layout: trailing
bytes raise :class:`ProtocolError` (the server never sends any).
"""

from __future__ import annotations

from typing import Callable

from .codec import Decoder
from .constants import CLUSTER_FORMAT_V0, CLUSTER_FORMAT_V1, ResponseType, Role
from .errors import ProtocolError
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
from .rows import decode_rows
from .rows_reference import decode_row_header, row_header_size

__all__ = [
    "Db", "Empty", "Failure", "Files", "Metadata", "NodeInfo", "Response", "Result",
    "Rows", "Server", "Servers", "Stmt", "Welcome", "decode_response",
]

_EMPTY = Empty()
_TWO = (2).to_bytes(8, "little")


def _failure(d: Decoder, schema: int) -> Failure:
    try:
        failure = Failure(d.uint64(), d.text())
        d.expect_end()
    except ProtocolError:
        failure = _failure_after_partial_answer(d.buf)
        if failure is None:
            raise
        d.pos = d.end
    return failure


def _failure_at(buf: bytes, pos: int) -> Failure | None:
    """A Failure that fills ``buf[pos:]`` exactly, else None."""
    d = Decoder(buf, "FAILURE response", pos)
    try:
        failure = Failure(d.uint64(), d.text())
        d.expect_end()
    except ProtocolError:
        return None
    return failure


def _failure_after_partial_answer(buf: bytes) -> Failure | None:
    """Recover the failure that libdqlite 1.11.1 appends to a half-built answer.

    When stepping a query fails, 1.11.1 encodes the FAILURE after what it has
    already put in the response buffer: the ROWS column section and any rows
    of the current batch (``query_batch`` in ``src/gateway.c``); DUMP does the
    same after the FILES count. The failure is then the first row boundary
    from which ``code, message`` fills the rest of the body exactly (an
    earlier boundary cannot match: the code's high bytes are zero, so a text
    starting before the real failure ends inside the real code word).
    """
    if buf[:8] == _TWO:  # DUMP: the FILES count (always 2), then the failure
        failure = _failure_at(buf, 8)
        if failure is not None:
            return failure
    d = Decoder(buf, "FAILURE response")
    try:
        n = d.uint64()
        if n * 8 > d.remaining:
            raise ProtocolError("not a column section")
        for _ in range(n):
            d.text(check_padding=False)
        hsize = row_header_size(n)
        row = 0
        while True:
            failure = _failure_at(buf, d.pos)
            if failure is not None:
                return failure
            if n == 0 or d.remaining < hsize:
                break
            types = decode_row_header(buf[d.pos : d.pos + hsize], n, row)
            d.skip(hsize)
            for code in types:
                d.value(code, check_padding=False)
            row += 1
    except ProtocolError:
        pass
    return None


def _server(d: Decoder, schema: int) -> Server:
    return Server(d.uint64(), d.text())


def _welcome(d: Decoder, schema: int) -> Welcome:
    return Welcome(d.uint64())


def _db(d: Decoder, schema: int) -> Db:
    db_id = d.uint32()
    d.skip(4)
    return Db(db_id)


def _stmt(d: Decoder, schema: int) -> Stmt:
    if schema not in (0, 1):
        raise ProtocolError(f"unsupported STMT schema {schema} (expected 0 or 1)")
    db_id, stmt_id, params = d.uint32(), d.uint32(), d.uint64()
    return Stmt(db_id, stmt_id, params, d.uint64() if schema == 1 else None)


def _result(d: Decoder, schema: int) -> Result:
    return Result(d.int64(), d.uint64())


def _empty(d: Decoder, schema: int) -> Empty:
    d.skip(8)
    return _EMPTY


def _metadata(d: Decoder, schema: int) -> Metadata:
    return Metadata(d.uint64(), d.uint64())


def _count(d: Decoder, minimum_size: int, what: str) -> int:
    n = d.uint64()
    if n * minimum_size > d.remaining:
        raise ProtocolError(f"{what} count {n} does not fit in the {d.remaining} remaining bytes")
    return n


def _files(d: Decoder, schema: int) -> Files:
    files = []
    for i in range(_count(d, 16, "FILES")):
        name = d.text()
        files.append((name, d.blob()))
    return Files(files)


def _role(code: int) -> Role | int:
    try:
        return Role(code)
    except ValueError:
        return code


def _servers(d: Decoder, cluster_format: int) -> Servers:
    nodes = []
    for _ in range(_count(d, 16, "SERVERS")):
        node_id, address = d.uint64(), d.text()
        role = _role(d.uint64()) if cluster_format == CLUSTER_FORMAT_V1 else None
        nodes.append(NodeInfo(node_id, address, role))
    return Servers(nodes)


_DECODERS: dict[int, Callable[[Decoder, int], Response]] = {
    int(ResponseType.FAILURE): _failure,
    int(ResponseType.SERVER): _server,
    int(ResponseType.WELCOME): _welcome,
    int(ResponseType.DB): _db,
    int(ResponseType.STMT): _stmt,
    int(ResponseType.RESULT): _result,
    int(ResponseType.EMPTY): _empty,
    int(ResponseType.FILES): _files,
    int(ResponseType.METADATA): _metadata,
}


_ROWS, _SERVERS = int(ResponseType.ROWS), int(ResponseType.SERVERS)
_WHAT = {int(t): f"{t.name} response" for t in ResponseType}


def decode_response(
    msg_type: int,
    schema: int,
    body: bytes | bytearray | memoryview,
    *,
    cluster_format: int = CLUSTER_FORMAT_V1,
) -> Response:
    """Decode the body of a response whose header had ``msg_type`` and ``schema``.

    ``cluster_format`` must be the format of the CLUSTER request a SERVERS
    response answers: the response itself does not say whether nodes carry a
    role (format 1) or not (format 0, ``role=None``).

    Raises :class:`ProtocolError` for an unknown type, truncation, trailing
    bytes, invalid UTF-8, or anything else that does not match the layout.
    """
    if msg_type == _ROWS:
        return decode_rows(body)
    d = Decoder(body, _WHAT.get(msg_type, "response"))
    if msg_type == _SERVERS:
        if cluster_format not in (CLUSTER_FORMAT_V0, CLUSTER_FORMAT_V1):
            raise ValueError(f"unknown cluster format {cluster_format}")
        result = _servers(d, cluster_format)
    else:
        decoder = _DECODERS.get(msg_type)
        if decoder is None:
            raise ProtocolError(f"unknown response type {msg_type}")
        result = decoder(d, schema)
    d.expect_end()
    return result
