"""The wire schema (wire/schema.py): one declaration per message, and the
pieces of wire knowledge that must live in one place only."""

import pathlib
import re
import struct

import pytest

from dqlite_shell.wire import (
    REQUESTS,
    RESPONSES,
    Db,
    Empty,
    Failure,
    Files,
    Metadata,
    ProtocolError,
    RequestType,
    ResponseType,
    Result,
    Rows,
    Server,
    Servers,
    Stmt,
    ValueType,
    Welcome,
    decode_response,
    encode_response,
    frames,
)
from dqlite_shell.wire.schema import fixed_struct, revision

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "dqlite_shell"

_MESSAGES = {ResponseType.FAILURE: Failure, ResponseType.SERVER: Server,
             ResponseType.WELCOME: Welcome, ResponseType.SERVERS: Servers, ResponseType.DB: Db,
             ResponseType.STMT: Stmt, ResponseType.RESULT: Result, ResponseType.ROWS: Rows,
             ResponseType.EMPTY: Empty, ResponseType.FILES: Files,
             ResponseType.METADATA: Metadata}


def test_every_message_is_declared():
    assert set(REQUESTS) == set(RequestType)
    assert set(RESPONSES) == set(ResponseType)


@pytest.mark.parametrize("rtype", sorted(ResponseType), ids=lambda t: t.name)
def test_response_fields_are_the_message_fields(rtype):
    cls = _MESSAGES[rtype]
    for rev, fields in RESPONSES[rtype].items():
        names = [f.name for f in fields if f.name != "unused"]
        if rtype == ResponseType.ROWS:
            assert names == ["rows"]  # columns, rows, done: the composite ROWS body
            continue
        # A revision may leave out trailing fields that have defaults (STMT 0: no tail_offset).
        assert names == list(cls._fields[:len(names)]), rev
        assert all(name in cls._field_defaults for name in cls._fields[len(names):])


def test_one_revision_ignores_the_schema_byte_several_check_it():
    assert revision(RESPONSES, ResponseType.RESULT, 3) == 0
    assert revision(RESPONSES, ResponseType.STMT, 1) == 1
    assert revision(REQUESTS, RequestType.QUERY_SQL, 0) == 0
    with pytest.raises(ProtocolError, match=r"^unsupported STMT schema 2 \(expected 0 or 1\)$"):
        revision(RESPONSES, ResponseType.STMT, 2)
    assert decode_response(ResponseType.RESULT, 3, struct.pack("<qQ", -1, 2)) == Result(-1, 2)


def test_unused_fields_are_pad_bytes_of_the_fixed_struct():
    assert fixed_struct(RESPONSES[ResponseType.DB][0]).format == "<I4x"
    assert fixed_struct(RESPONSES[ResponseType.EMPTY][0]).format == "<8x"
    assert fixed_struct(RESPONSES[ResponseType.FAILURE][0]) is None


def test_unused_fields_go_out_as_zeros_and_must_be_there():
    assert encode_response(Db(3))[8:] == struct.pack("<II", 3, 0)
    assert encode_response(Empty())[8:] == bytes(8)
    with pytest.raises(ProtocolError, match="truncated DB response"):
        decode_response(ResponseType.DB, 0, struct.pack("<I", 3))
    with pytest.raises(ProtocolError, match="trailing garbage in EMPTY response"):
        decode_response(ResponseType.EMPTY, 0, bytes(16))


def test_fixed_bodies_decode_alike_from_bytes_bytearray_and_memoryview():
    body = struct.pack("<IIQQ", 1, 2, 3, 4)
    for data in (body, bytearray(body), memoryview(body)):
        assert decode_response(ResponseType.STMT, 1, data) == Stmt(1, 2, 3, 4)
        assert decode_response(ResponseType.STMT, 0, data[:16]) == Stmt(1, 2, 3)


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path.read_text()


def test_the_frame_header_is_declared_once():
    declared = [name for name, text in _sources() if re.search(r"""["']<IBBH""", text)]
    assert declared == ["wire/frames.py"]
    from dqlite_shell.client import transport
    from dqlite_shell.wire import requests
    assert requests.HEADER is frames.HEADER
    assert transport._HEADER_UNPACK == frames.HEADER.unpack_from


def test_value_type_codes_come_from_value_type():
    from dqlite_shell.wire import _rowplan, codec, rows_reference
    assert rows_reference.VALID_TYPES == {int(t) for t in ValueType}
    assert (codec._INTEGER, codec._TEXT, codec._NULL, codec._BOOLEAN) == (
        ValueType.INTEGER, ValueType.TEXT, ValueType.NULL, ValueType.BOOLEAN)
    assert set(_rowplan._FIXED) == {ValueType.INTEGER, ValueType.FLOAT, ValueType.NULL,
                                    ValueType.UNIXTIME, ValueType.BOOLEAN}


def test_rows_module_keeps_no_mutable_global_cache():
    text = (PACKAGE / "wire" / "rows.py").read_text()
    assert not re.search(r"^\s*global\s", text, re.MULTILINE)
