"""Decoding of server responses into the named tuples of :mod:`.messages`.

Layouts are declared in :mod:`.schema` (libdqlite 1.11.1 ``src/response.h``,
``src/gateway.c``) and the decoders are built from it; only the composite
bodies (SERVERS, FILES, ROWS) and the recovery of a FAILURE appended to a
half-built answer are written here. Responses must be exactly as long as
their layout: trailing bytes raise :class:`ProtocolError` (the server never
sends any).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

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
from .schema import RESPONSES, Layout, body_reader, fixed_struct, revision

__all__ = [
    "Db", "Empty", "Failure", "Files", "Metadata", "NodeInfo", "Response", "Result",
    "Rows", "Server", "Servers", "Stmt", "Welcome", "decode_response",
]

_TWO = (2).to_bytes(8, "little")

#: The message class of each response whose fields the schema declares one
#: by one (the others are composite: SERVERS, FILES, ROWS).
_PLAIN = {ResponseType.FAILURE: Failure, ResponseType.SERVER: Server, ResponseType.WELCOME: Welcome,
          ResponseType.DB: Db, ResponseType.STMT: Stmt, ResponseType.RESULT: Result,
          ResponseType.EMPTY: Empty, ResponseType.METADATA: Metadata}


def _plain_decoder(
    cls, fields: Layout, what: str
) -> Callable[[bytes | bytearray | memoryview], Response]:
    """A decoder of ``body -> cls`` for ``fields`` (``unused`` ones dropped).

    An all-fixed layout is read with one unpack when the body has exactly
    its size; any other body goes through :class:`Decoder`, which names
    what is wrong.
    """
    read = body_reader(fields)
    keep = [i for i, f in enumerate(fields) if f.name != "unused"]
    make = cls._make if len(keep) == len(cls._fields) else (lambda values: cls(*values))
    st = fixed_struct(fields)
    if st is None:
        if len(keep) != len(fields):
            raise ValueError(f"{what}: unused fields need an all-fixed layout")

        def decode(body) -> Response:
            d = Decoder(body, what)
            values = read(d)
            d.expect_end()
            return make(values)
        return decode

    def checked(body) -> list:
        d = Decoder(body, what)
        values = read(d)
        d.expect_end()
        return [values[i] for i in keep]

    size, unpack = st.size, st.unpack
    if not keep:
        constant = cls()

        def decode_constant(body) -> Response:
            if len(body) != size:
                checked(body)
            return constant
        return decode_constant

    def decode_fixed(body) -> Response:
        return make(unpack(body) if len(body) == size else checked(body))
    return decode_fixed


#: ``{type: {revision: decoder}}`` of the plain responses.
_DECODERS: dict[int, dict[int, Callable[[bytes | bytearray | memoryview], Response]]] = {
    int(t): {revision: _plain_decoder(cls, fields, f"{t.name} response")
             for revision, fields in RESPONSES[t].items()}
    for t, cls in _PLAIN.items()
}
_decode_failure = _DECODERS[int(ResponseType.FAILURE)][0]


def _failure(body) -> Failure:
    try:
        return cast(Failure, _decode_failure(body))  # the FAILURE decoder makes a Failure
    except ProtocolError:
        failure = _failure_after_partial_answer(body if type(body) is bytes else bytes(body))
        if failure is None:
            raise
        return failure


_DECODERS[int(ResponseType.FAILURE)][0] = _failure


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


def _count(d: Decoder, minimum_size: int, what: str) -> int:
    n = d.uint64()
    if n * minimum_size > d.remaining:
        raise ProtocolError(f"{what} count {n} does not fit in the {d.remaining} remaining bytes")
    return n


def _files(d: Decoder) -> Files:
    files = []
    for _ in range(_count(d, 16, "FILES")):
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


_ROWS, _SERVERS, _FILES = int(ResponseType.ROWS), int(ResponseType.SERVERS), int(ResponseType.FILES)


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
    decoders = _DECODERS.get(msg_type)
    if decoders is not None:
        if len(decoders) == 1:  # one revision: the schema byte is ignored
            return decoders[0](body)
        return decoders[revision(RESPONSES, msg_type, schema)](body)
    if msg_type == _ROWS:
        return decode_rows(body)
    if msg_type == _SERVERS:
        if cluster_format not in (CLUSTER_FORMAT_V0, CLUSTER_FORMAT_V1):
            raise ValueError(f"unknown cluster format {cluster_format}")
        d = Decoder(body, "SERVERS response")
        result: Servers | Files = _servers(d, cluster_format)
    elif msg_type == _FILES:
        d = Decoder(body, "FILES response")
        result = _files(d)
    else:
        raise ProtocolError(f"unknown response type {msg_type}")
    d.expect_end()
    return result
