"""Text that is not UTF-8 is a typed ProtocolError (InvalidUTF8), whichever
decoder meets it, so callers decide by type, not by the message's words."""

import struct

import pytest

from dqlite_shell.wire import (
    InvalidUTF8,
    ProtocolError,
    decode_rows,
    decode_rows_reference,
    encode_rows,
)
from dqlite_shell.wire.codec import Decoder

Q = struct.Struct("<Q").pack
DONE = b"\xff" * 8


def test_the_codec_raises_invalid_utf8():
    with pytest.raises(InvalidUTF8, match="invalid UTF-8 in text in m at offset 2"):
        Decoder(b"ab\xff\0\0\0\0\0", "m").text()


@pytest.mark.parametrize("decode", [decode_rows, decode_rows_reference])
@pytest.mark.parametrize("body, where", [
    (Q(1) + b"a\0" + bytes(6) + bytes([0x03]) + bytes(7) + b"h\xffi\0" + bytes(4) + DONE,
     "(column 0 of row 0)"),
    (Q(1) + b"\xc3(\0" + bytes(5) + DONE, "(name of column 0)"),
])
def test_rows_decoders_keep_the_type_and_say_where(decode, body, where):
    with pytest.raises(InvalidUTF8) as info:
        decode(body)
    assert str(info.value).endswith(where)


def test_other_malformed_text_is_not_invalid_utf8():
    with pytest.raises(ProtocolError) as info:
        Decoder(b"abcdefgh", "m").text()
    assert type(info.value) is ProtocolError
    body = encode_rows(["a"], [("ok",)])
    assert decode_rows(body).rows == [("ok",)]
