"""Handshake and frame headers (src/message.h: uint32 words, uint8 type, uint8 schema,
uint16 extra)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.wire import (
    Header,
    ProtocolError,
    decode_frame,
    encode_frame,
    encode_handshake,
    encode_header,
    parse_header,
)


def test_handshake_is_version_one_as_uint64():
    assert encode_handshake() == b"\x01\x00\x00\x00\x00\x00\x00\x00"


def test_encode_frame_layout():
    assert encode_frame(7, bytes(16), schema=1) == b"\x02\x00\x00\x00\x07\x01\x00\x00" + bytes(16)
    assert encode_header(3, 8 * 0x01020304) == b"\x04\x03\x02\x01\x03\x00\x00\x00"


def test_encode_frame_refuses_unaligned_or_out_of_range():
    with pytest.raises(ValueError, match="multiple of 8 bytes, got 5"):
        encode_frame(1, b"12345")
    with pytest.raises(ValueError, match="cannot encode header"):
        encode_header(256, 8)
    with pytest.raises(ValueError, match="cannot encode header"):
        encode_header(1, 8 * 2**32)


def test_parse_header():
    header = parse_header(b"\x03\x00\x00\x00\x05\x01\x09\x00")
    assert header == Header(words=3, type=5, schema=1, extra=9)
    assert header.body_size == 24


def test_parse_header_wrong_size():
    with pytest.raises(ProtocolError, match="frame header must be 8 bytes, got 7"):
        parse_header(bytes(7))


def test_parse_header_oversized_body():
    big = encode_header(7, 8 * 2**25)  # 256 MiB is the default limit: accepted
    assert parse_header(big).body_size == 2**28
    with pytest.raises(ProtocolError, match=r"announces a 268435464-byte body \(type 7\), "
                                             r"more than the limit of 268435456"):
        parse_header(encode_header(7, 2**28 + 8))
    with pytest.raises(ProtocolError, match="more than the limit of 64 bytes"):
        parse_header(encode_header(1, 72), max_body_size=64)
    assert parse_header(b"\xff\xff\xff\xff\x00\x00\x00\x00", max_body_size=2**40).words == 2**32 - 1


def test_decode_frame_checks_length():
    frame = encode_frame(8, bytes(8))
    assert decode_frame(frame) == (Header(1, 8, 0, 0), bytes(8))
    for cut in range(len(frame)):
        with pytest.raises(ProtocolError):
            decode_frame(frame[:cut])
    with pytest.raises(ProtocolError,
                       match="oversized frame: header announces 8 body bytes, got 16"):
        decode_frame(frame + bytes(8))


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=8, max_size=8))
def test_any_header_parses_or_is_too_big(data):
    try:
        header = parse_header(data, max_body_size=2**20)
    except ProtocolError as exc:
        assert "more than the limit" in str(exc)
    else:
        assert encode_header(header.type, header.body_size, header.schema)[:6] == data[:6]
