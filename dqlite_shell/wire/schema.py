"""The wire schema: one declaration per message body, in wire order.

As go-dqlite's ``internal/protocol/schema.go`` does, each request and
response is declared once, as ``TYPE[:REVISION] field:kind ...``; the
encoders (:mod:`.requests`, :mod:`.serverside`) and decoders
(:mod:`.responses`, :mod:`.serverside`) are built from these tables, and the
few hand-written fast paths are tested against them byte for byte.

The revision is the ``schema`` byte of the frame header. A message declared
with one revision only ignores that byte (libdqlite 1.11.1 ignores it on
requests and always answers 0); one declared with several accepts only those.

Kinds (all little-endian; see :mod:`.codec`):

* ``uint32`` ``uint64`` ``int64``: fixed-width integers (two ``uint32`` fill
  one word);
* ``optional_uint64``: a ``uint64`` a body may leave out (decoded as 0);
* ``text``: zero-terminated UTF-8 padded to 8 bytes;
* ``params``: a parameter tuple with a one-byte count (revision 0);
  ``params32``: the same with a four-byte count (revision 1, dqlite 1.12+);
* ``nodes``, ``files``, ``rows``: the composite bodies of SERVERS, FILES and
  ROWS (see :mod:`.responses`, :mod:`.rows`).

Response field names are those of the named tuples of :mod:`.messages`;
fields named ``unused`` are zero on the way out and dropped on the way in.
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

import struct
from collections.abc import Callable
from typing import NamedTuple

from .codec import Decoder, encode_params_schema, encode_text
from .constants import MAX_PARAMS, RequestType, ResponseType
from .errors import ProtocolError
from .frames import HEADER

#: Struct format of each fixed-width kind.
FIXED_KINDS = {"uint32": "I", "uint64": "Q", "int64": "q", "optional_uint64": "Q"}
#: Kinds whose size depends on the value.
VARIABLE_KINDS = frozenset({"text", "params", "params32", "nodes", "files", "rows"})

#: Requests: ``src/request.h`` of libdqlite 1.11.1 (go-dqlite 1.11.5 sends
#: the same bytes). ASSIGN: 1.11.1 also accepts the legacy PROMOTE body,
#: without a role (voter). Statements with more than 255 parameters need
#: revision 1 and a 1.12+ server (see client/capabilities.py).
_REQUESTS = """
LEADER       unused:uint64
CLIENT       client_id:uint64
HEARTBEAT    timestamp:uint64
OPEN         name:text flags:uint64 vfs:text
PREPARE      db_id:uint64 sql:text
EXEC:0       db_id:uint32 stmt_id:uint32 params:params
EXEC:1       db_id:uint32 stmt_id:uint32 params:params32
QUERY:0      db_id:uint32 stmt_id:uint32 params:params
QUERY:1      db_id:uint32 stmt_id:uint32 params:params32
FINALIZE     db_id:uint32 stmt_id:uint32
EXEC_SQL:0   db_id:uint64 sql:text params:params
EXEC_SQL:1   db_id:uint64 sql:text params:params32
QUERY_SQL:0  db_id:uint64 sql:text params:params
QUERY_SQL:1  db_id:uint64 sql:text params:params32
INTERRUPT    db_id:uint64
CONNECT      node_id:uint64 address:text
ADD          node_id:uint64 address:text
ASSIGN       node_id:uint64 role:optional_uint64
REMOVE       node_id:uint64
DUMP         name:text
CLUSTER      format:uint64
TRANSFER     node_id:uint64
DESCRIBE     format:uint64
WEIGHT       weight:uint64
"""

#: Responses: ``src/response.h`` of libdqlite 1.11.1. STMT revision 1
#: (newer servers, answering a revision 1 PREPARE) appends the offset of
#: the unprepared tail of the SQL text. RESULT's last_insert_id is a uint64
#: on the wire holding SQLite's signed rowid, hence int64.
_RESPONSES = """
FAILURE      code:uint64 message:text
SERVER       id:uint64 address:text
WELCOME      heartbeat_timeout:uint64
SERVERS      nodes:nodes
DB           id:uint32 unused:uint32
STMT:0       db_id:uint32 id:uint32 params:uint64
STMT:1       db_id:uint32 id:uint32 params:uint64 tail_offset:uint64
RESULT       last_insert_id:int64 rows_affected:uint64
ROWS         rows:rows
EMPTY        unused:uint64
FILES        files:files
METADATA     failure_domain:uint64 weight:uint64
"""


class Field(NamedTuple):
    """One field of a message body."""

    name: str
    kind: str


Layout = tuple[Field, ...]


def _parse(text: str, types) -> dict:
    table: dict = {}
    for line in text.strip().splitlines():
        head, *fields = line.split()
        name, _, revision = head.partition(":")
        layout = tuple(Field(*f.split(":")) for f in fields)
        for f in layout:
            if f.kind not in FIXED_KINDS and f.kind not in VARIABLE_KINDS:
                raise ValueError(f"unknown kind {f.kind!r} in the wire schema ({line})")
        table.setdefault(types[name], {})[int(revision or 0)] = layout
    for msg_type, revisions in table.items():
        if len(revisions) == 1 and 0 not in revisions:
            raise ValueError(f"{msg_type.name}: a message with one revision has revision 0")
    return table


#: Every request: ``{RequestType: {revision: (Field, ...)}}``.
REQUESTS: dict[RequestType, dict[int, Layout]] = _parse(_REQUESTS, RequestType)
#: Every response: ``{ResponseType: {revision: (Field, ...)}}``.
RESPONSES: dict[ResponseType, dict[int, Layout]] = _parse(_RESPONSES, ResponseType)


def revision(table: dict, msg_type: int, schema: int) -> int:
    """The revision of a declared message that a header's ``schema`` byte
    selects: the only one when there is one (the byte is ignored), else the
    byte itself. Raises :class:`ProtocolError` for a revision not declared.
    """
    revisions = table[msg_type]
    if len(revisions) == 1:
        return next(iter(revisions))
    if schema in revisions:
        return schema
    name = type(next(iter(table)))(msg_type).name
    expected = " or ".join(str(r) for r in revisions)
    raise ProtocolError(f"unsupported {name} schema {schema} (expected {expected})")


def fixed_format(fields: Layout) -> str | None:
    """The struct format (without byte order) of an all-fixed layout, else None."""
    if any(f.kind not in FIXED_KINDS for f in fields):
        return None
    return "".join(FIXED_KINDS[f.kind] for f in fields)


def require_fixed_format(fields: Layout) -> str:
    """The struct format of ``fields``, which must be all fixed (else ValueError)."""
    fmt = fixed_format(fields)
    if fmt is None:
        raise ValueError(f"fields {[f.name for f in fields]} are not all fixed")
    return fmt


# ---------------------------------------------------------------- codecs built from layouts

_RANGES = {"uint32": "[0, 2**32)", "uint64": "[0, 2**64)", "optional_uint64": "[0, 2**64)",
           "int64": "[-2**63, 2**63)"}


def range_error(fields: Layout, values) -> ValueError:
    """The error for integers that do not fit ``fields``, naming them all."""
    names = " and ".join(f.name for f in fields)
    got = " and ".join(repr(v) for v in values)
    ranges = {_RANGES[f.kind] for f in fields}
    bounds = ranges.pop() if len(ranges) == 1 else "their ranges"
    if len(fields) == 1:
        return ValueError(f"{names} must be an integer in {bounds}, got {got}")
    return ValueError(f"{names} must be integers in {bounds}, got {got}")


def fixed_prefix(fields: Layout) -> Layout:
    """The fixed-width fields before the first variable one."""
    for i, f in enumerate(fields):
        if f.kind not in FIXED_KINDS:
            return fields[:i]
    return fields


def _params(values) -> bytes:
    data, wide = encode_params_schema(values)
    if wide:
        raise ValueError(f"more than {MAX_PARAMS} parameters need revision 1 (kind params32)")
    return data


def _params32(values) -> bytes:
    return encode_params_schema(values, wide=True)[0]


_VARIABLE_ENCODERS = {"text": encode_text, "params": _params, "params32": _params32}


def _fixed_segment(fields: Layout, start: int) -> Callable[[tuple], bytes]:
    st = struct.Struct("<" + require_fixed_format(fields))
    if st.size % 8:
        raise ValueError(f"fixed fields {[f.name for f in fields]} do not fill whole words")
    stop = start + len(fields)

    def segment(values: tuple) -> bytes:
        try:
            return st.pack(*values[start:stop])
        except struct.error:
            raise range_error(fields, values[start:stop]) from None
    return segment


def _variable_segment(kind: str, index: int) -> Callable[[tuple], bytes]:
    encode = _VARIABLE_ENCODERS[kind]
    return lambda values: encode(values[index])


def frame_encoder(msg_type: int, revision: int, fields: Layout) -> Callable[..., bytes]:
    """A function of the field values, in order, returning the whole frame
    (header included). Integers out of range raise ``ValueError`` naming the
    fields; text and params raise as :mod:`.codec` does."""
    msg_type, count = int(msg_type), len(fields)
    fmt = fixed_format(fields)
    if fmt is not None:
        st = struct.Struct(HEADER.format + fmt)
        words, rest = divmod(st.size - HEADER.size, 8)
        if rest:
            raise ValueError(f"fields of message {msg_type} do not fill whole words")

        if count == 1:  # most requests: no argument tuple
            def encode_one(value) -> bytes:
                try:
                    return st.pack(words, msg_type, revision, 0, value)
                except struct.error:
                    raise range_error(fields, (value,)) from None
            return encode_one

        def encode_fixed(*values) -> bytes:
            try:
                return st.pack(words, msg_type, revision, 0, *values)
            except struct.error:
                if len(values) != count:
                    raise TypeError(f"message {msg_type} has {count} fields, "
                                    f"got {len(values)} values") from None
                raise range_error(fields, values) from None
        return encode_fixed
    segments = []
    i = 0
    while i < count:
        kind = fields[i].kind
        if kind in FIXED_KINDS:
            j = i
            while j < count and fields[j].kind in FIXED_KINDS:
                j += 1
            segments.append(_fixed_segment(fields[i:j], i))
            i = j
        elif kind in _VARIABLE_ENCODERS:
            segments.append(_variable_segment(kind, i))
            i += 1
        else:
            raise ValueError(f"no generic encoder for kind {kind!r}")
    pack_header = HEADER.pack

    def encode(*values) -> bytes:
        if len(values) != count:
            raise TypeError(f"message {msg_type} has {count} fields, got {len(values)} values")
        body = b"".join([segment(values) for segment in segments])
        return pack_header(len(body) >> 3, msg_type, revision, 0) + body
    return encode


def body_reader(fields: Layout) -> Callable[[Decoder], tuple | list]:
    """A function reading the values of ``fields`` from a :class:`Decoder`
    (it does not check for trailing bytes)."""
    readers = []
    for f in fields:
        reader = getattr(Decoder, f.kind, None)
        if reader is None:
            raise ValueError(f"no generic decoder for kind {f.kind!r}")
        readers.append(reader)
    # One or two fields (most responses): no loop.
    if len(readers) == 1:
        (r0,) = readers
        return lambda d: (r0(d),)
    if len(readers) == 2:
        r0, r1 = readers
        return lambda d: (r0(d), r1(d))
    return lambda d: [read(d) for read in readers]


def fixed_struct(fields: Layout) -> struct.Struct | None:
    """One Struct reading an all-fixed layout, else None. Fields named
    ``unused`` are pad bytes: their values are not returned."""
    if fixed_format(fields) is None:
        return None
    return struct.Struct("<" + "".join(
        f"{struct.calcsize(FIXED_KINDS[f.kind])}x" if f.name == "unused" else FIXED_KINDS[f.kind]
        for f in fields))
