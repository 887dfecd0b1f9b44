"""Request encoders: exact bytes from src/request.h (1.11.1), and round trips."""

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.wire import (
    REQUEST_LAYOUTS,
    ParameterError,
    ProtocolError,
    RequestType,
    Role,
    decode_frame,
    decode_request,
    requests,
)
from dqlite_shell.wire.schema import REQUESTS, frame_encoder
from tests.support.raw import HEADER

from .strategies import PARAM_VALUE, TEXT, UINT32, UINT64, canon


def header(words, msg_type, schema=0):
    return HEADER.pack(words, msg_type, schema, 0)


def test_leader_is_one_zero_word():
    assert requests.leader() == bytes([1, 0, 0, 0, 0, 0, 0, 0]) + bytes(8)


def test_client():
    assert requests.client(0x0102) == header(1, 1) + b"\x02\x01" + bytes(6)


def test_heartbeat():
    assert requests.heartbeat(7) == header(1, 2) + struct.pack("<Q", 7)


def test_open_text_uint64_text():
    assert requests.open("test.db") == header(3, 3) + b"test.db\0" + bytes(8) + bytes(8)
    assert requests.open("db", 6, "vfs1") == (
        header(3, 3) + b"db\0\0\0\0\0\0" + struct.pack("<Q", 6) + b"vfs1\0\0\0\0")


def test_prepare():
    assert requests.prepare(0, "SELECT 1") == header(3, 4) + bytes(8) + b"SELECT 1" + bytes(8)


def test_exec_uses_two_uint32_then_params():
    assert requests.exec(1, 2) == header(1, 5) + struct.pack("<II", 1, 2)
    assert requests.exec(0, 1, [1, "a"]) == (
        header(4, 5) + struct.pack("<II", 0, 1) + bytes([2, 1, 3, 0, 0, 0, 0, 0])
        + struct.pack("<q", 1) + b"a" + bytes(7)
    )


def test_query_and_finalize():
    assert requests.query(3, 4, [None]) == (
        header(3, 6) + struct.pack("<II", 3, 4) + bytes([1, 5]) + bytes(6) + bytes(8))
    assert requests.finalize(3, 4) == header(1, 7) + struct.pack("<II", 3, 4)


def test_exec_sql_and_query_sql():
    assert requests.exec_sql(0, "x") == header(2, 8) + bytes(8) + b"x" + bytes(7)
    assert requests.query_sql(0, "SELECT ?", [True]) == (
        header(5, 9) + bytes(8) + b"SELECT ?" + bytes(8) + bytes([1, 11]) + bytes(6)
        + struct.pack("<Q", 1)
    )


def test_cluster_admin_requests():
    assert requests.interrupt(0) == header(1, 10) + bytes(8)
    assert requests.connect(1, "a") == header(2, 11) + struct.pack("<Q", 1) + b"a" + bytes(7)
    assert requests.add(2, "127.0.0.1:9002") == (
        header(3, 12) + struct.pack("<Q", 2) + b"127.0.0.1:9002\0" + bytes(1))
    assert requests.assign(2, Role.SPARE) == header(2, 13) + struct.pack("<QQ", 2, 2)
    assert requests.assign(2, "standby") == header(2, 13) + struct.pack("<QQ", 2, 1)
    assert requests.assign(2, 0) == header(2, 13) + struct.pack("<QQ", 2, 0)
    assert requests.remove(3) == header(1, 14) + struct.pack("<Q", 3)
    assert requests.dump("test.db") == header(1, 15) + b"test.db\0"
    assert requests.cluster() == header(1, 16) + struct.pack("<Q", 1)
    assert requests.cluster(0) == header(1, 16) + bytes(8)
    assert requests.transfer(2) == header(1, 17) + struct.pack("<Q", 2)
    assert requests.describe() == header(1, 18) + bytes(8)
    assert requests.weight(9) == header(1, 19) + struct.pack("<Q", 9)


def test_every_request_type_has_an_encoder_and_a_layout():
    assert set(REQUEST_LAYOUTS) == set(RequestType)
    for rtype in RequestType:
        assert callable(getattr(requests, rtype.name.lower()))
    assert sorted(requests.__all__) == sorted(t.name.lower() for t in RequestType)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: requests.client(-1), "client_id must be an integer in [0, 2**64), got -1"),
        (lambda: requests.remove(2**64), "node_id must be an integer"),
        (lambda: requests.exec(2**32, 0), "db_id and stmt_id must be integers in [0, 2**32)"),
        (lambda: requests.finalize(0, -1), "db_id and stmt_id"),
        (lambda: requests.prepare(-1, "x"), "db_id must be an integer"),
        (lambda: requests.open("a\0b"), "NUL"),
        (lambda: requests.exec_sql(0, "SELECT 1\0"), "NUL"),
        (lambda: requests.assign(1, "leader"), "unknown Role 'leader'"),
        (lambda: requests.assign(1, -1), "node_id and role"),
        (lambda: requests.open("x", 1.5), "flags must be an integer"),
    ],
)
def test_bad_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)


def test_bad_params_raise_parameter_error():
    with pytest.raises(ParameterError, match="parameter 1: type set is not supported"):
        requests.query(0, 1, [{1}])


def _decode(frame):
    head, body = decode_frame(frame)
    return decode_request(head.type, head.schema, body)


@settings(max_examples=100, deadline=None)
@given(
    st.data(),
    st.sampled_from(sorted(RequestType)),
)
def test_round_trip_every_request(data, rtype):
    kinds = {"uint64": UINT64, "uint32": UINT32, "text": TEXT,
             "params": st.lists(PARAM_VALUE, max_size=8),
             "optional_uint64": st.sampled_from([0, 1, 2])}
    kwargs = {name: data.draw(kinds[kind], label=name) for name, kind in REQUEST_LAYOUTS[rtype]}
    if rtype == RequestType.LEADER:
        kwargs = {}
    frame = getattr(requests, rtype.name.lower())(**kwargs)
    request = _decode(frame)
    assert request.type == rtype and request.schema == 0
    expected = {"unused": 0} if rtype == RequestType.LEADER else kwargs
    assert canon(request.fields) == canon(expected)


def test_decode_request_accepts_legacy_assign_without_role():
    assert decode_request(13, 0, struct.pack("<Q", 4)).fields == {"node_id": 4, "role": 0}


def test_decode_request_errors():
    with pytest.raises(ProtocolError, match="unknown request type 20"):
        decode_request(20, 0, bytes(8))
    with pytest.raises(ProtocolError, match="trailing garbage in LEADER request"):
        decode_request(0, 0, bytes(16))
    body = requests.exec_sql(0, "SELECT ?", ["abc"])[8:]
    params_start = 24  # db_id + "SELECT ?\0" padded: a body cut there simply has no params
    assert decode_request(8, 0, body[:params_start]).fields["params"] == []
    for cut in range(len(body)):
        if cut != params_start:
            with pytest.raises(ProtocolError):
                decode_request(8, 0, body[:cut])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(RequestType)), st.binary(max_size=48))
def test_random_request_bodies_only_raise_protocol_error(rtype, body):
    try:
        decode_request(rtype, 0, body)
    except ProtocolError:
        pass


# ------------------------------------------------------------------ the schema and the fast paths

_KINDS = {"uint64": UINT64, "uint32": UINT32, "text": TEXT,
          "params": st.lists(PARAM_VALUE, max_size=8), "optional_uint64": UINT64}


def _schema_frame(rtype, revision, kwargs):
    fields = REQUESTS[rtype][revision]
    return frame_encoder(rtype, revision, fields)(*[kwargs[f.name] for f in fields])


@settings(max_examples=300, deadline=None)
@given(st.data(), st.sampled_from(sorted(RequestType)))
def test_every_encoder_sends_what_the_schema_declares(data, rtype):
    # The public encoders (fast paths included) and the encoder the schema
    # builds give the same bytes for any fields.
    kwargs = {f.name: data.draw(_KINDS[f.kind], label=f.name) for f in REQUESTS[rtype][0]}
    if rtype == RequestType.LEADER:
        assert requests.leader() == _schema_frame(rtype, 0, {"unused": 0})
        return
    assert getattr(requests, rtype.name.lower())(**kwargs) == _schema_frame(rtype, 0, kwargs)


_STATEMENTS = [RequestType.EXEC, RequestType.QUERY, RequestType.EXEC_SQL, RequestType.QUERY_SQL]


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(_STATEMENTS), st.integers(min_value=0, max_value=600))
def test_statement_fast_paths_match_the_schema_at_both_revisions(data, rtype, count):
    # Up to 255 parameters: revision 0 (one-byte count); more: revision 1
    # (four-byte count), which the fake server reads back.
    kwargs = {f.name: data.draw(_KINDS[f.kind], label=f.name)
              for f in REQUESTS[rtype][0] if f.kind != "params"}
    kwargs["params"] = data.draw(st.lists(PARAM_VALUE, min_size=count, max_size=count),
                                 label="params")
    revision = 0 if count <= 255 else 1
    frame = getattr(requests, rtype.name.lower())(**kwargs)
    assert frame == _schema_frame(rtype, revision, kwargs)
    request = _decode(frame)
    assert request.schema == revision
    assert canon(request.fields) == canon(kwargs)


def test_revision_1_with_few_parameters_reads_back():
    # go-dqlite's EncodeExecSQLV1: a four-byte count whatever the number.
    fields = REQUESTS[RequestType.EXEC_SQL][1]
    frame = frame_encoder(RequestType.EXEC_SQL, 1, fields)(7, "SELECT ?", [1])
    assert frame == header(5, 8, 1) + struct.pack("<Q", 7) + b"SELECT ?" + bytes(8) + bytes(
        [1, 0, 0, 0, 1, 0, 0, 0]) + struct.pack("<q", 1)
    assert _decode(frame).fields == {"db_id": 7, "sql": "SELECT ?", "params": [1]}
    with pytest.raises(ProtocolError, match="unsupported EXEC_SQL schema 2"):
        decode_request(RequestType.EXEC_SQL, 2, frame[8:])


def test_revision_0_refuses_more_than_255_parameters():
    encode = frame_encoder(RequestType.EXEC_SQL, 0, REQUESTS[RequestType.EXEC_SQL][0])
    with pytest.raises(ValueError, match="more than 255 parameters need revision 1"):
        encode(0, "x", [None] * 256)


def test_request_layouts_is_the_revision_0_view_of_the_schema():
    assert REQUEST_LAYOUTS == {t: revisions[0] for t, revisions in REQUESTS.items()}
    for revisions in REQUESTS.values():
        if len(revisions) > 1:  # revisions differ by the params count only
            assert [f.name for f in revisions[1]] == [f.name for f in revisions[0]]
            assert [f.kind for f in revisions[1]] == [
                "params32" if f.kind == "params" else f.kind for f in revisions[0]]


def test_schema_encoder_errors():
    encode = frame_encoder(RequestType.ASSIGN, 0, REQUESTS[RequestType.ASSIGN][0])
    with pytest.raises(TypeError, match="has 2 fields, got 1 values"):
        encode(1)
    encode = frame_encoder(RequestType.OPEN, 0, REQUESTS[RequestType.OPEN][0])
    with pytest.raises(TypeError, match="has 3 fields, got 2 values"):
        encode("a", 0)
