"""Slow, obviously-correct decoder of a ROWS body.

It defines what :func:`dqlite_shell.wire.rows.decode_rows` must return (the
fast decoder is tested against it) and produces the detailed error messages:
the fast decoder calls it whenever something looks wrong.

Layout of a ROWS body (``src/query.c``, ``src/tuple.c`` of libdqlite 1.11.1):

* uint64 column count ``n``, then ``n`` column names (text);
* zero or more rows, each:

  - a header of ``n`` 4-bit type codes, column ``i`` in byte ``i // 2`` (low
    nibble for even ``i``, high nibble for odd ``i``), zero-padded to a
    multiple of 8 bytes;
  - the values in column order, each a whole number of words: INTEGER int64,
    FLOAT float64, TEXT and ISO8601 text, BLOB uint64 length + data padded,
    NULL 8 bytes (content ignored), UNIXTIME int64, BOOLEAN uint64 (non-zero
    is True);

* one uint64 marker, which must be the last word of the body: ROWS_PART
  (``0xeeee...``, more batches follow) or ROWS_DONE (``0xffff...``).

The marker is told apart from a row header by its first word: a valid header
never contains the nibbles 0xe or 0xf, so neither marker can be a header.
Padding after text and blob values and NULL payloads are not checked (the
server leaves blob padding uninitialised); padding nibbles of the row header
must be zero (the server zeroes the header).
"""

from __future__ import annotations

from .codec import Decoder, pad8
from .constants import ROWS_DONE, ROWS_PART, ValueType
from .errors import ProtocolError
from .messages import Rows

#: Every value-type code, as plain ints.
VALID_TYPES = frozenset(int(t) for t in ValueType)


def row_header_size(n: int) -> int:
    """Size in bytes of the header of a row of ``n`` values."""
    return pad8((n + 1) // 2)


def decode_row_header(header: bytes, n: int, row: int = 0) -> list[int]:
    """Type codes of the ``n`` columns in a row header; ProtocolError if invalid."""
    if len(header) != row_header_size(n):
        raise ProtocolError(f"ROWS header of row {row} must be {row_header_size(n)} bytes, "
                            f"got {len(header)}")
    types = []
    for i in range(2 * len(header)):
        byte = header[i // 2]
        code = byte & 0x0F if i % 2 == 0 else byte >> 4
        if i < n:
            if code not in VALID_TYPES:
                raise ProtocolError(f"unknown value type {code} in ROWS header "
                                    f"for column {i} of row {row}")
            types.append(code)
        elif code != 0:
            raise ProtocolError(f"non-zero padding nibble {code} in ROWS header of row {row}")
    return types


def decode_rows_reference(body: bytes | bytearray | memoryview) -> Rows:
    """Decode one ROWS body value by value. Raises ProtocolError if malformed."""
    d = Decoder(body, "ROWS body")
    n = d.uint64()
    if n * 8 > d.remaining:
        raise ProtocolError(f"ROWS column count {n} does not fit in a body of {d.end} bytes")
    columns = []
    for i in range(n):
        try:
            columns.append(d.text(check_padding=False))
        except ProtocolError as exc:
            raise type(exc)(f"{exc} (name of column {i})") from None
    hsize = row_header_size(n)
    rows: list[tuple] = []
    while True:
        word = d.peek_uint64()
        if word is None:
            raise ProtocolError(
                f"truncated ROWS body: expected a row header or an end marker at offset {d.pos},"
                f" got {d.remaining} bytes (after row {len(rows)})"
            )
        if word == ROWS_PART or word == ROWS_DONE:
            d.skip(8)
            if d.remaining:
                raise ProtocolError(
                    f"trailing garbage in ROWS body: {d.remaining} bytes after the end marker "
                    f"at offset {d.pos - 8}"
                )
            return Rows(columns, rows, word == ROWS_DONE)
        r = len(rows)
        if n == 0:
            raise ProtocolError(f"ROWS body with zero columns has a row at offset {d.pos}")
        if d.remaining < hsize:
            raise ProtocolError(
                f"truncated ROWS body: expected {hsize} bytes of header for row {r} "
                f"at offset {d.pos},"
                f" got {d.remaining}"
            )
        header = d.buf[d.pos : d.pos + hsize]
        d.skip(hsize)
        types = decode_row_header(header, n, r)
        values = []
        for i, code in enumerate(types):
            try:
                values.append(d.value(code, f"column {i}", check_padding=False))
            except ProtocolError as exc:
                raise type(exc)(f"{exc} (column {i} of row {r})") from None
        rows.append(tuple(values))
