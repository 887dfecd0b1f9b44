"""Primitive encoders and the bounds-checked Decoder."""

import datetime as dt
import decimal
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.wire import (
    Decoder,
    Encoder,
    Iso8601,
    ParameterError,
    ProtocolError,
    UnixTime,
    encode_blob,
    encode_params,
    encode_text,
)

from .strategies import PARAM_VALUE, canon

# ------------------------------------------------------------------ text/blob


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", b"\0" * 8),
        ("abcdefg", b"abcdefg\0"),
        ("abcdefgh", b"abcdefgh" + b"\0" * 8),
        ("é", b"\xc3\xa9" + b"\0" * 6),
    ],
)
def test_encode_text_pads_to_words(value, expected):
    assert encode_text(value) == expected


def test_encode_text_refuses_nul_and_surrogates():
    with pytest.raises(ValueError, match="NUL"):
        encode_text("a\0b")
    with pytest.raises(ValueError):
        encode_text("\ud800")


@pytest.mark.parametrize(
    "value, expected",
    [
        (b"", bytes(8)),
        (b"x", struct.pack("<Q", 1) + b"x" + bytes(7)),
        (bytearray(b"12345678"), struct.pack("<Q", 8) + b"12345678"),
        (memoryview(b"123456789"), struct.pack("<Q", 9) + b"123456789" + bytes(7)),
    ],
)
def test_encode_blob(value, expected):
    assert encode_blob(value) == expected


def test_encoder_chains_and_checks_ranges():
    e = (Encoder().uint8(1).uint8(2).uint16(3).uint32(4).uint64(5).int64(-6).float64(1.5)
         .text("a").blob(b"b"))
    assert e.getvalue() == (
        b"\x01\x02\x03\x00\x04\x00\x00\x00" + struct.pack("<Qqd", 5, -6, 1.5) + b"a" + bytes(7)
        + struct.pack("<Q", 1) + b"b" + bytes(7)
    )
    assert len(e) == 56
    for method, bad in [("uint8", 256), ("uint32", -1), ("uint64", 2**64), ("int64", 2**63)]:
        with pytest.raises(ValueError, match=f"{method} value out of range"):
            getattr(Encoder(), method)(bad)


# ------------------------------------------------------------------ decoder


def test_decoder_reads_every_primitive():
    data = (b"\x07\x00\x08\x00\x09\x00\x00\x00" + struct.pack("<Qqd", 2**64 - 1, -(2**63), -0.0)
            + b"hello\0\0\0" + struct.pack("<Q", 3) + b"abc" + b"\xaa" * 5)
    d = Decoder(memoryview(data))
    assert [d.uint8(), d.skip(1), d.uint16(), d.uint32()] == [7, None, 8, 9]
    assert d.uint64() == 2**64 - 1
    assert d.int64() == -(2**63)
    assert math.copysign(1, d.float64()) == -1.0
    assert d.text() == "hello"
    assert d.blob() == b"abc"  # blob padding is not checked: the server leaves it uninitialised
    assert d.remaining == 0
    d.expect_end()


@pytest.mark.parametrize(
    "method, data, message",
    [
        ("uint64", b"\x01\x02\x03", "truncated m: expected 8 bytes at offset 0, got 3"),
        ("uint32", b"", "truncated m: expected 4 bytes at offset 0, got 0"),
        ("float64", b"1234567", "truncated m: expected 8 bytes at offset 0, got 7"),
        ("text", b"abcdefgh", "unterminated text in m at offset 0"),
        ("text", b"abc\0", "truncated m: text at offset 0 needs 8 bytes with padding, got 4"),
        ("text", b"ab\0\0x\0\0\0", "non-zero padding after text in m at offset 3"),
        ("text", b"ab\xff\0\0\0\0\0", "invalid UTF-8 in text in m at offset 2: invalid start byte"),
        ("text", b"\xed\xa0\x80\0\0\0\0\0", "invalid UTF-8 in text in m at offset 0"),
        ("blob", struct.pack("<Q", 9) + b"123456789",
         "blob at offset 0 announces 9 bytes, only 9 remain"),
        ("blob", struct.pack("<Q", 2**64 - 1), "announces 18446744073709551615 bytes"),
    ],
)
def test_decoder_errors_are_protocol_errors(method, data, message):
    with pytest.raises(ProtocolError) as info:
        getattr(Decoder(data, "m"), method)()
    assert message in str(info.value)


def test_decoder_expect_end_reports_trailing_garbage():
    d = Decoder(bytes(16), "X response")
    d.uint64()
    with pytest.raises(ProtocolError,
                       match="trailing garbage in X response: 8 unexpected bytes at offset 8"):
        d.expect_end()


def test_decoder_unknown_value_type():
    with pytest.raises(ProtocolError, match="unknown value type 7 for parameter 0 in m"):
        Decoder(bytes(8), "m").value(7, "parameter 0")


def test_peek_does_not_consume():
    d = Decoder(struct.pack("<Q", 42))
    assert d.peek_uint64() == 42
    assert d.uint64() == 42
    assert d.peek_uint64() is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.lists(st.sampled_from(
    ["uint8", "uint16", "uint32", "uint64", "int64", "float64", "text", "blob", "params"]),
    max_size=8))
def test_decoder_never_raises_anything_but_protocol_error(data, calls):
    d = Decoder(data)
    try:
        for call in calls:
            getattr(d, call)()
    except ProtocolError:
        pass


# ------------------------------------------------------------------ params


def test_params_layout_from_tuple_c():
    # tuple.c, params format: count byte, one type byte each, pad header to 8.
    assert encode_params([1, "a"]) == (
        bytes([2, 1, 3, 0, 0, 0, 0, 0]) + struct.pack("<q", 1) + b"a" + bytes(7)
    )


def test_params_header_grows_by_words():
    seven = encode_params([None] * 7)
    assert seven[:8] == bytes([7, 5, 5, 5, 5, 5, 5, 5])
    assert seven[8:] == bytes(56)
    eight = encode_params([None] * 8)
    assert eight[:16] == bytes([8] + [5] * 8 + [0] * 7)
    assert len(eight) == 16 + 64


def test_no_params_is_empty():
    assert encode_params(()) == b""
    assert encode_params([]) == b""
    assert Decoder(b"").params() == []


@pytest.mark.parametrize(
    "value, code, payload",
    [
        (0, 1, struct.pack("<q", 0)),
        (-(2**63), 1, struct.pack("<q", -(2**63))),
        (2**63 - 1, 1, struct.pack("<q", 2**63 - 1)),
        (UnixTime(5), 1, struct.pack("<q", 5)),  # the server rejects UNIXTIME: sent as INTEGER
        (2.5, 2, struct.pack("<d", 2.5)),
        (float("inf"), 2, struct.pack("<d", float("inf"))),
        ("hé", 3, "hé".encode() + bytes(5)),
        (b"\0\1", 4, struct.pack("<Q", 2) + b"\0\1" + bytes(6)),
        (bytearray(b"x"), 4, struct.pack("<Q", 1) + b"x" + bytes(7)),
        (memoryview(b"y"), 4, struct.pack("<Q", 1) + b"y" + bytes(7)),
        (None, 5, bytes(8)),
        (True, 11, struct.pack("<Q", 1)),
        (False, 11, struct.pack("<Q", 0)),
        (Iso8601("2024-01-02"), 10, b"2024-01-02" + bytes(6)),
        (dt.datetime(2024, 1, 2, 3, 4, 5), 10, b"2024-01-02 03:04:05\0" + bytes(4)),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), 10,
         b"2024-01-02 03:04:05.000006+00:00\0" + bytes(7)),
        (dt.date(2024, 1, 2), 10, b"2024-01-02" + bytes(6)),
    ],
)
def test_each_param_type(value, code, payload):
    assert encode_params([value]) == bytes([1, code]) + bytes(6) + payload


class MyInt(int):
    pass


class MyStr(str):
    pass


def test_subclasses_use_the_base_type():
    assert encode_params([MyInt(3), MyStr("s")]) == (
        bytes([2, 1, 3]) + bytes(5) + struct.pack("<q", 3) + b"s" + bytes(7))


def test_one_megabyte_params():
    text, blob = "t" * 2**20, b"\xff" * 2**20
    data = encode_params([text, blob])
    assert len(data) == 8 + (2**20 + 8) + (8 + 2**20)
    assert Decoder(data).params() == [text, blob]


@pytest.mark.parametrize(
    "params, index, message",
    [
        ([1, 2**63], 1, "parameter 2: 9223372036854775808 does not fit in a 64-bit integer"),
        ([-(2**63) - 1], 0, "does not fit in a 64-bit integer"),
        (["ok", decimal.Decimal("1.5")], 1, "parameter 2: type Decimal is not supported"),
        ([object()], 0, "type object is not supported"),
        ([[1, 2]], 0, "type list is not supported"),
        ([dt.time(1, 2)], 0, "type time is not supported"),
        (["a\0b"], 0, "parameter 1: text containing a NUL character cannot be sent"),
        ([1, "\ud800"], 1, "parameter 2: text is not valid unicode"),
        ([MyStr("x\0")], 0, "NUL"),
    ],
)
def test_bad_params_raise_parameter_error(params, index, message):
    with pytest.raises(ParameterError) as info:
        encode_params(params)
    assert message in str(info.value)
    assert info.value.index == index
    assert isinstance(info.value, ValueError)


def test_more_than_255_params_take_a_4_byte_count_and_schema_1():
    from dqlite_shell.wire.codec import encode_params_schema
    narrow, schema = encode_params_schema([7] * 255)
    assert schema == 0 and narrow[0] == 255 and narrow[1:256] == b"\x01" * 255
    wide, schema = encode_params_schema([7, "x"] * 150)
    assert schema == 1 and struct.unpack_from("<I", wide) == (300,)
    # 4 + 300 type codes (304: a whole number of words), then the values
    assert wide[4:304] == b"\x01\x03" * 150 and len(wide) % 8 == 0
    assert wide[304:320] == struct.pack("<q", 7) + b"x" + bytes(7)


def test_too_many_params_and_mappings():
    with pytest.raises(ParameterError, match="not dict"):
        encode_params({"a": 1})
    with pytest.raises(ParameterError, match="not str"):
        encode_params("abc")


def test_params_accept_any_iterable():
    assert encode_params(iter([1])) == encode_params([1]) == encode_params((1,))


@settings(max_examples=200, deadline=None)
@given(st.lists(PARAM_VALUE, max_size=20))
def test_params_round_trip(values):
    decoded = Decoder(encode_params(values)).params()
    assert canon(decoded) == canon(values)
