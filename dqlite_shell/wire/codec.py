"""Primitive encoders and a bounds-checked decoder for message bodies.

All integers are little-endian. Every field starts on an 8-byte boundary except
inside the small fixed layouts (``uint32`` pairs, the one-byte parameter
header), exactly as the C serializer of libdqlite 1.11.1 lays them out
(``src/lib/serialize.h``):

* text: UTF-8 bytes, a zero terminator, zero padding to a multiple of 8;
* blob: uint64 length, the bytes, padding to a multiple of 8 (the server does
  *not* zero blob padding, so it is never checked);
* parameter tuple (``src/tuple.h``, params format): uint8 count, one uint8 type
  code per parameter, zero padding so that the header is a multiple of 8
  bytes, then the values.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from .constants import MAX_PARAMS, ValueType
from .converters import INT64_MAX as _INT64_MAX
from .converters import INT64_MIN as _INT64_MIN
from .converters import Unfit, convert, problem
from .errors import InvalidUTF8, ParameterError, ProtocolError
from .values import Iso8601, UnixTime

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")

_ZEROS = bytes(8)
#: _PAD[n % 8] is the padding after n bytes of a zero-terminated text.
_TEXT_PAD = [bytes(8 - i) for i in range(8)]
#: _BLOB_PAD[n % 8] is the padding after n bytes of blob data.
_BLOB_PAD = [bytes((8 - i) % 8) for i in range(8)]

# Value-type codes as plain ints, for the hot loops (taken from ValueType once).
_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL = (int(ValueType.INTEGER), int(ValueType.FLOAT),
                                         int(ValueType.TEXT), int(ValueType.BLOB),
                                         int(ValueType.NULL))
_UNIXTIME, _ISO8601, _BOOLEAN = (int(ValueType.UNIXTIME), int(ValueType.ISO8601),
                                 int(ValueType.BOOLEAN))


def pad8(n: int) -> int:
    """``n`` rounded up to a multiple of 8."""
    return (n + 7) & -8


def encode_text(value: str) -> bytes:
    """Encode ``value`` as zero-terminated UTF-8 padded to 8 bytes.

    Raises ``ValueError`` if ``value`` contains a NUL character (the server
    would silently truncate it) or cannot be encoded as UTF-8 (lone
    surrogates; ``UnicodeEncodeError`` is a ``ValueError``).
    """
    data = value.encode("utf-8")
    if b"\0" in data:
        raise ValueError(f"text contains a NUL character: {value[:40]!r}")
    return data + _TEXT_PAD[len(data) & 7]


def encode_blob(value: bytes | bytearray | memoryview) -> bytes:
    """Encode ``value`` as uint64 length + bytes + zero padding to 8 bytes."""
    data = bytes(value)
    n = len(data)
    return _U64.pack(n) + data + _BLOB_PAD[n & 7]


#: Value type -> encoder of a value adapted by its converter (see converters.py).
_ENCODERS = {
    ValueType.INTEGER: _I64.pack,
    ValueType.FLOAT: _F64.pack,
    ValueType.TEXT: encode_text,
    ValueType.ISO8601: encode_text,
    ValueType.BLOB: encode_blob,
    ValueType.NULL: lambda value: _ZEROS,
    ValueType.BOOLEAN: lambda value: _U64.pack(1 if value else 0),
}


def _encode_param(i: int, v: object) -> tuple[int, bytes]:
    """Type code and encoded value of parameter ``i`` (slow, general path:
    through the converters table)."""
    try:
        code, value = convert(v)
    except Unfit as e:
        raise problem(i, v, e) from None
    return code, _ENCODERS[code](value)


#: The 4-byte count's limit (SQLite's own is lower: SQLITE_MAX_VARIABLE_NUMBER).
_MAX_PARAMS_WIDE = 2**32 - 1


def encode_params(values) -> bytes:
    """The params tuple of ``values`` (see :func:`encode_params_schema`)."""
    return encode_params_schema(values)[0]


def encode_params_schema(values, wide: bool = False) -> tuple[bytes, int]:
    """Encode a sequence of statement parameters as a params tuple.

    An empty sequence encodes to ``b""``: the 1.11.1 server treats a body that
    ends before the tuple as "no parameters", and go-dqlite sends nothing too.

    Each value goes as :data:`.converters.CONVERTERS` says (``int`` ->
    INTEGER, ``str`` -> TEXT, ``datetime.date`` -> ISO8601 text, ...); a
    value it refuses raises :class:`ParameterError` with its message.

    Returns the bytes and the request schema that carries them: up to
    :data:`MAX_PARAMS` values the count is one byte (schema 0, every server);
    more take a 4-byte count (schema 1, dqlite 1.12+); ``wide`` asks for the
    4-byte count whatever the number (the ``params32`` kind of
    :mod:`.schema`). Type codes are one byte each either way.
    """
    if type(values) is not tuple and type(values) is not list:
        if isinstance(values, (Mapping, str, bytes, bytearray, memoryview)):
            raise ParameterError("parameters must be a sequence of values, "
                                 f"not {type(values).__name__}")
        values = tuple(values)
    n = len(values)
    if n == 0:
        return b"", 0
    if n <= MAX_PARAMS and not wide:
        head = 1
        codes = bytearray(pad8(n + 1))
        codes[0] = n
    elif n <= _MAX_PARAMS_WIDE:
        head = 4
        codes = bytearray(pad8(n + 4))
        _U32.pack_into(codes, 0, n)
    else:
        raise ParameterError(f"too many parameters: {n} (the protocol allows at most "
                             f"{_MAX_PARAMS_WIDE})")
    parts: list[bytes | bytearray] = [codes]
    append = parts.append
    i = 0
    v = None
    try:
        for i, v in enumerate(values):
            t = type(v)
            # Fast paths for the exact common types; everything else (subclasses,
            # out-of-range ints, NUL in text ...) goes through _encode_param.
            if t is int and _INT64_MIN <= v <= _INT64_MAX:
                codes[i + head] = _INTEGER
                append(_I64.pack(v))
            elif t is str and "\0" not in v:
                codes[i + head] = _TEXT
                data = v.encode()
                append(data)
                append(_TEXT_PAD[len(data) & 7])
            elif t is float:
                codes[i + head] = _FLOAT
                append(_F64.pack(v))
            elif v is None:
                codes[i + head] = _NULL
                append(_ZEROS)
            elif t is bytes:
                codes[i + head] = _BLOB
                append(_U64.pack(len(v)))
                append(v)
                append(_BLOB_PAD[len(v) & 7])
            elif t is Iso8601 and "\0" not in v:  # what the driver makes of dates
                codes[i + head] = _ISO8601
                data = v.encode()
                append(data)
                append(_TEXT_PAD[len(data) & 7])
            elif t is bool:
                codes[i + head] = _BOOLEAN
                append(_U64.pack(v))
            else:
                code, data = _encode_param(i, v)
                codes[i + head] = code
                append(data)
    except UnicodeEncodeError:  # lone surrogates in a str: let the slow path explain
        _encode_param(i, v)
        raise
    return b"".join(parts), (0 if head == 1 else 1)


class Encoder:
    """Append-only builder of a message body in a bytearray."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def __len__(self) -> int:
        return len(self.buf)

    def getvalue(self) -> bytes:
        """The bytes written so far."""
        return bytes(self.buf)

    def uint8(self, v: int) -> Encoder:
        self.buf += _pack(_U8, v, "uint8")
        return self

    def uint16(self, v: int) -> Encoder:
        self.buf += _pack(_U16, v, "uint16")
        return self

    def uint32(self, v: int) -> Encoder:
        self.buf += _pack(_U32, v, "uint32")
        return self

    def uint64(self, v: int) -> Encoder:
        self.buf += _pack(_U64, v, "uint64")
        return self

    def int64(self, v: int) -> Encoder:
        self.buf += _pack(_I64, v, "int64")
        return self

    def float64(self, v: float) -> Encoder:
        self.buf += _pack(_F64, v, "float64")
        return self

    def text(self, v: str) -> Encoder:
        self.buf += encode_text(v)
        return self

    def blob(self, v: bytes | bytearray | memoryview) -> Encoder:
        self.buf += encode_blob(v)
        return self

    def params(self, values) -> Encoder:
        self.buf += encode_params(values)
        return self

    def raw(self, data: bytes) -> Encoder:
        """Append ``data`` verbatim (no padding)."""
        self.buf += data
        return self


def _pack(st: struct.Struct, v, kind: str) -> bytes:
    try:
        return st.pack(v)
    except struct.error:
        raise ValueError(f"{kind} value out of range: {v!r}") from None


class Decoder:
    """Bounds-checked reader over a message body.

    ``data`` is converted to ``bytes`` once (no copy when it already is
    ``bytes``); ``what`` names the message in error messages. Every getter
    raises :class:`ProtocolError` -- never ``IndexError``, ``struct.error`` or
    ``UnicodeDecodeError`` -- on truncated or malformed input.
    """

    __slots__ = ("buf", "pos", "end", "what")

    def __init__(
        self, data: bytes | bytearray | memoryview, what: str = "message", pos: int = 0
    ) -> None:
        self.buf = data if type(data) is bytes else bytes(data)
        self.pos = pos
        self.end = len(self.buf)
        self.what = what

    @property
    def remaining(self) -> int:
        """Bytes left after the cursor."""
        return self.end - self.pos

    def _need(self, n: int) -> int:
        pos = self.pos
        if pos + n > self.end:
            raise ProtocolError(
                f"truncated {self.what}: expected {n} bytes at offset {pos}, "
                f"got {max(self.end - pos, 0)}"
            )
        self.pos = pos + n
        return pos

    def uint8(self) -> int:
        return self.buf[self._need(1)]

    def uint16(self) -> int:
        return _U16.unpack_from(self.buf, self._need(2))[0]

    def uint32(self) -> int:
        return _U32.unpack_from(self.buf, self._need(4))[0]

    def uint64(self) -> int:
        return _U64.unpack_from(self.buf, self._need(8))[0]

    def int64(self) -> int:
        return _I64.unpack_from(self.buf, self._need(8))[0]

    def float64(self) -> float:
        return _F64.unpack_from(self.buf, self._need(8))[0]

    def optional_uint64(self) -> int:
        """A uint64 that a body may leave out: 0 when nothing remains."""
        return self.uint64() if self.pos != self.end else 0

    def peek_uint64(self) -> int | None:
        """The next uint64 without consuming it, or None if fewer than 8 bytes remain."""
        if self.pos + 8 > self.end:
            return None
        return _U64.unpack_from(self.buf, self.pos)[0]

    def skip(self, n: int) -> None:
        """Consume ``n`` bytes."""
        self._need(n)

    def text(self, check_padding: bool = True) -> str:
        """Zero-terminated UTF-8 text padded to 8 bytes.

        With ``check_padding`` the padding bytes must be zero (the server
        always zeroes them).
        """
        buf, start = self.buf, self.pos
        nul = buf.find(b"\0", start, self.end)
        if nul < 0:
            raise ProtocolError(f"unterminated text in {self.what} at offset {start}")
        stop = start + pad8(nul - start + 1)
        if stop > self.end:
            raise ProtocolError(
                f"truncated {self.what}: text at offset {start} needs {stop - start} bytes"
                f" with padding, got {self.end - start}"
            )
        if check_padding and buf[nul:stop].count(0) != stop - nul:
            raise ProtocolError(f"non-zero padding after text in {self.what} at offset {nul + 1}")
        try:
            value = buf[start:nul].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidUTF8(
                f"invalid UTF-8 in text in {self.what} at offset {start + exc.start}: {exc.reason}"
            ) from None
        self.pos = stop
        return value

    def blob(self) -> bytes:
        """uint64 length + data padded to 8 bytes (padding content not checked)."""
        start = self.pos
        n = self.uint64()
        if pad8(n) > self.end - self.pos:
            self.pos = start
            raise ProtocolError(
                f"truncated {self.what}: blob at offset {start} announces {n} bytes,"
                f" only {self.end - start - 8} remain"
            )
        data = self.buf[self.pos : self.pos + n]
        self.pos += pad8(n)
        return data

    def params(self) -> list:
        """A params tuple (see :func:`encode_params`); an exhausted body means no params."""
        return self._params(1)

    def params32(self) -> list:
        """A params tuple with a four-byte count (revision 1 requests)."""
        return self._params(4)

    def _params(self, head: int) -> list:
        if self.pos == self.end:
            return []
        n = self.uint8() if head == 1 else self.uint32()
        codes = self.buf[self.pos : self.pos + n]
        self.skip(pad8(n + head) - head)
        values = []
        for i, code in enumerate(codes):
            values.append(self.value(code, f"parameter {i}"))
        return values

    def value(self, code: int, where: str = "value", check_padding: bool = True):
        """One value of type ``code``; ``where`` names it in error messages."""
        if code == _INTEGER:
            return self.int64()
        if code == _FLOAT:
            return self.float64()
        if code == _TEXT:
            return self.text(check_padding)
        if code == _BLOB:
            return self.blob()
        if code == _NULL:
            self.skip(8)
            return None
        if code == _UNIXTIME:
            return UnixTime(self.int64())
        if code == _ISO8601:
            return Iso8601(self.text(check_padding))
        if code == _BOOLEAN:
            return self.uint64() != 0
        raise ProtocolError(f"unknown value type {code} for {where} in {self.what}")

    def expect_end(self) -> None:
        """Raise ProtocolError if bytes remain after the cursor."""
        if self.pos != self.end:
            raise ProtocolError(
                f"trailing garbage in {self.what}: {self.end - self.pos} unexpected bytes "
                f"at offset {self.pos}"
            )
