"""Response decoding: hand-built bodies from src/response.h and gateway.c, round trips,
bad input."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.wire import (
    Db,
    Empty,
    Failure,
    Files,
    Metadata,
    NodeInfo,
    ProtocolError,
    ResponseType,
    Result,
    Role,
    Rows,
    Server,
    Servers,
    Stmt,
    Welcome,
    decode_frame,
    decode_response,
    encode_response,
)

from .strategies import INT64, TEXT, UINT32, UINT64, canon

Q = struct.Struct("<Q").pack


def test_failure():
    body = Q(1) + b"no such table: t\0" + bytes(7)
    assert decode_response(0, 0, body) == Failure(1, "no such table: t")


def test_server():
    assert decode_response(1, 0, Q(1) + b"127.0.0.1:9001\0\0") == Server(1, "127.0.0.1:9001")
    assert decode_response(1, 0, Q(0) + bytes(8)) == Server(0, "")


def test_welcome_db_stmt_result_empty_metadata():
    assert decode_response(2, 0, Q(15000)) == Welcome(15000)
    assert decode_response(4, 0, struct.pack("<II", 0, 0)) == Db(0)
    assert decode_response(5, 0, struct.pack("<IIQ", 0, 3, 2)) == Stmt(0, 3, 2, None)
    assert decode_response(5, 1, struct.pack("<IIQQ", 0, 3, 2, 17)) == Stmt(0, 3, 2, 17)
    assert decode_response(6, 0, Q(2**64 - 1) + Q(4)) == Result(-1, 4)  # rowid is a signed int64
    assert decode_response(8, 0, bytes(8)) == Empty()
    assert decode_response(10, 0, Q(3) + Q(7)) == Metadata(3, 7)


def test_servers_format_1_and_0():
    body1 = Q(2) + Q(1) + b"a:1\0\0\0\0\0" + Q(0) + Q(2) + b"b:2\0\0\0\0\0" + Q(2)
    assert decode_response(3, 0, body1) == Servers(
        [NodeInfo(1, "a:1", Role.VOTER), NodeInfo(2, "b:2", Role.SPARE)])
    assert decode_response(3, 0, body1).nodes[1].role is Role.SPARE
    body0 = Q(1) + Q(1) + b"a:1\0\0\0\0\0"
    assert decode_response(3, 0, body0, cluster_format=0) == Servers([NodeInfo(1, "a:1", None)])
    with pytest.raises(ProtocolError):  # format 1 expects a role the format-0 body lacks
        decode_response(3, 0, body0)
    unknown_role = Q(1) + Q(1) + b"a:1\0\0\0\0\0" + Q(7)
    assert decode_response(3, 0, unknown_role).nodes[0].role == 7


def test_files_as_dumped_by_gateway():
    page = bytes(range(256)) * 16
    body = Q(2) + b"test.db\0" + Q(len(page)) + page + b"test.db-wal\0" + bytes(4) + Q(0)
    assert decode_response(9, 0, body) == Files([("test.db", page), ("test.db-wal", b"")])


def test_rows_dispatch():
    body = (Q(1) + b"a\0" + bytes(6) + bytes([1]) + bytes(7) + struct.pack("<q", -5)
            + Q(0xFFFFFFFFFFFFFFFF))
    assert decode_response(7, 0, body) == Rows(["a"], [(-5,)], True)


ALL_RESPONSES = [
    Failure(1, "boom"),
    Failure(2**64 - 1, ""),
    Server(2, "node2:9001"),
    Welcome(15000),
    Servers([]),
    Servers([NodeInfo(1, "a", Role.VOTER), NodeInfo(2, "bé", Role.STANDBY),
             NodeInfo(3, "", Role.SPARE)]),
    Db(0),
    Stmt(0, 7, 3),
    Stmt(1, 2, 0, 11),
    Result(-(2**63), 2**64 - 1),
    Rows(["x", "y"], [(1, "a"), (None, b"b")], False),
    Empty(),
    Files([("db", b"12345678"), ("db-wal", b"")]),
    Metadata(1, 2**64 - 1),
]


@pytest.mark.parametrize("response", ALL_RESPONSES, ids=lambda r: type(r).__name__)
def test_round_trip_and_truncation_at_every_offset(response):
    frame = encode_response(response)
    header, body = decode_frame(frame)
    assert decode_response(header.type, header.schema, body) == response
    for cut in range(len(body)):
        with pytest.raises(ProtocolError):
            decode_response(header.type, header.schema, body[:cut])
    if header.type != ResponseType.ROWS:
        with pytest.raises(ProtocolError, match="trailing garbage"):
            decode_response(header.type, header.schema, body + bytes(8))


def test_stmt_schema_is_chosen_by_tail_offset():
    assert decode_frame(encode_response(Stmt(0, 1, 2)))[0].schema == 0
    assert decode_frame(encode_response(Stmt(0, 1, 2, 5)))[0].schema == 1
    with pytest.raises(ProtocolError, match="unsupported STMT schema 2"):
        decode_response(5, 2, bytes(24))


def test_unknown_response_type():
    with pytest.raises(ProtocolError, match="unknown response type 42"):
        decode_response(42, 0, bytes(8))
    with pytest.raises(ProtocolError, match="unknown response type 11"):
        decode_response(11, 0, bytes(8))


def test_invalid_utf8_in_failure_message():
    with pytest.raises(ProtocolError,
                       match=r"invalid UTF-8 in text in FAILURE response at offset 9"):
        decode_response(0, 0, Q(1) + b"a\xc3(" + bytes(5))


def test_absurd_counts_fail_fast():
    with pytest.raises(ProtocolError, match="SERVERS count 18446744073709551615 does not fit"):
        decode_response(3, 0, Q(2**64 - 1) + bytes(16))
    with pytest.raises(ProtocolError, match="FILES count 1000 does not fit"):
        decode_response(9, 0, Q(1000) + bytes(16))


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.builds(Failure, UINT64, TEXT),
        st.builds(Server, UINT64, TEXT),
        st.builds(Welcome, UINT64),
        st.builds(Servers, st.lists(st.builds(NodeInfo, UINT64, TEXT, st.sampled_from(list(Role))),
                                    max_size=4)),
        st.builds(Db, UINT32),
        st.builds(Stmt, UINT32, UINT32, UINT64, st.none() | UINT64),
        st.builds(Result, INT64, UINT64),
        st.builds(Files, st.lists(st.tuples(TEXT, st.binary(max_size=40)), max_size=3)),
        st.builds(Metadata, UINT64, UINT64),
    )
)
def test_round_trip_property(response):
    header, body = decode_frame(encode_response(response))
    assert canon(decode_response(header.type, header.schema, body)) == canon(response)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=12), st.integers(min_value=0, max_value=2),
       st.binary(max_size=64))
def test_random_bodies_only_raise_protocol_error(msg_type, schema, body):
    try:
        decode_response(msg_type, schema, body)
    except ProtocolError:
        pass


def _failure_fields(code, message):
    return Q(code) + message.encode() + b"\0" * (8 - len(message.encode()) % 8)


@pytest.mark.parametrize("rows", [[], [(1, "x")], [(1, "x"), (2, "y")] * 20])
def test_failure_after_partial_rows(rows):
    # 1.11.1 query_batch() appends the FAILURE to the ROWS it has begun:
    # column section, the rows stepped so far, then code and message.
    from dqlite_shell.wire import encode_rows

    body = encode_rows(["a", "b"], rows)[:-8] + _failure_fields(1, "integer overflow")
    assert decode_response(0, 0, body) == Failure(1, "integer overflow")


def test_failure_after_dump_file_count():
    body = Q(2) + _failure_fields(11, "failed to dump database")
    assert decode_response(0, 0, body) == Failure(11, "failed to dump database")


def test_unrecoverable_failure_keeps_the_original_error():
    with pytest.raises(ProtocolError, match="trailing garbage in FAILURE response: "
                                             "8 unexpected bytes at offset 16"):
        decode_response(0, 0, _failure_fields(1, "boom") + bytes(8))
