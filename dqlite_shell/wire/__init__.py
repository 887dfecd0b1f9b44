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
(primitives), :mod:`.frames` (handshake, the frame header), :mod:`.schema`
(the one declaration of every message body), :mod:`.requests` (one encoder
per request), :mod:`.responses` (``decode_response``), :mod:`.messages`
(response named tuples), :mod:`.rows` (the fast ROWS decoder,
:class:`RowsDecoder`, one per connection, and the ROWS encoder),
:mod:`.rows_reference` (the slow reference decoder), :mod:`.serverside`
(request decoding and response encoding, for fakes).
"""

# Names load with their module on first use (PEP 562), so a client that
# needs only requests and responses does not pay for the rest at start-up.
_HOMES = {
    **dict.fromkeys(['Decoder', 'Encoder', 'encode_blob', 'encode_params', 'encode_text'], "codec"),
    **dict.fromkeys(['CLUSTER_FORMAT_V0', 'CLUSTER_FORMAT_V1', 'DESCRIBE_FORMAT_V0',
                     'HEADER_SIZE', 'MAX_BODY_SIZE', 'MAX_PARAMS', 'PROTOCOL_VERSION',
                     'ROWS_DONE', 'ROWS_PART', 'RequestType', 'ResponseType', 'Role',
                     'ValueType'], "constants"),
    **dict.fromkeys(['InvalidUTF8', 'ParameterError', 'ProtocolError'], "errors"),
    **dict.fromkeys(['Header', 'decode_frame', 'encode_frame', 'encode_handshake',
                     'encode_header', 'parse_header'], "frames"),
    **dict.fromkeys(['Db', 'Empty', 'Failure', 'Files', 'Metadata', 'NodeInfo', 'Response',
                     'Result', 'Rows', 'Server', 'Servers', 'Stmt', 'Welcome'], "messages"),
    **dict.fromkeys(['decode_response'], "responses"),
    **dict.fromkeys(['DEFAULT_PAGE_SIZE', 'RowsDecoder', 'decode_rows', 'encode_row',
                     'encode_rows', 'iter_row_batches'], "rows"),
    **dict.fromkeys(['decode_rows_reference'], "rows_reference"),
    **dict.fromkeys(['REQUEST_LAYOUTS', 'Request', 'decode_request', 'encode_response'],
                    "serverside"),
    **dict.fromkeys(['REQUESTS', 'RESPONSES'], "schema"),
    **dict.fromkeys(['Iso8601', 'UnixTime'], "values"),
}


def __getattr__(name: str):
    import importlib
    if name == "requests":
        return importlib.import_module(f"{__name__}.requests")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
    "RowsDecoder", "decode_rows", "decode_rows_reference", "encode_row", "encode_rows",
    "iter_row_batches",
    # server side (tests, fakes)
    "REQUEST_LAYOUTS", "Request", "decode_request", "encode_response",
    # the schema: one declaration per message
    "REQUESTS", "RESPONSES",
]
