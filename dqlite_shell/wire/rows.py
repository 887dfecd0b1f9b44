"""ROWS bodies: the fast decoder (the hot path of every query) and the encoder.

The layout is documented in :mod:`.rows_reference`, whose slow decoder
defines the expected output. :class:`RowsDecoder` (and :func:`decode_rows`)
returns exactly what :func:`~.rows_reference.decode_rows_reference` returns
for every input; it gets its speed from code generated per row-header
pattern (see :mod:`._rowplan`), cached in the decoder (one per connection,
never shared between threads), and hands any input that looks wrong to the
reference decoder, which raises the detailed :class:`ProtocolError`.

Batch size: libdqlite 1.11.1 (``query__batch`` in ``src/query.c``) appends
rows to its write buffer while the buffer offset -- the 8-byte frame header
plus the body so far -- is below the memory page size (``sysconf
(_SC_PAGESIZE)``, 4096 on x86-64), then adds the marker. So a batch holds the
rows that start within the first page: its body is a little over 4088 bytes,
unless one row alone is bigger. :func:`iter_row_batches` reproduces this.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from ._rowplan import compile_run, generic_run, header_types
from .codec import encode_text
from .constants import ROWS_DONE, ROWS_PART, ValueType
from .messages import Rows
from .rows_reference import decode_rows_reference, row_header_size
from .values import Iso8601, UnixTime

__all__ = ["Rows", "RowsDecoder", "decode_rows", "decode_rows_reference", "encode_rows",
           "iter_row_batches", "DEFAULT_PAGE_SIZE"]

#: Page size of the server's write buffer on x86-64 (it is the OS page size,
#: e.g. 64 KiB on some arm64 and ppc64el kernels).
DEFAULT_PAGE_SIZE = 4096

_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_PART = _U64.pack(ROWS_PART)
_DONE = _U64.pack(ROWS_DONE)
_ZEROS = bytes(8)
_BLOB_PAD = [bytes((8 - i) % 8) for i in range(8)]

# ---------------------------------------------------------------- decoding

_FAST_PATH_ERRORS = (struct.error, ValueError, IndexError, OverflowError)


class RowsDecoder:
    """The fast ROWS decoder and its caches; one per connection.

    It keeps a run function per column count and row header (``{n: {header
    bytes: run}}``). A new pattern gets a generic run (no code generation);
    it is replaced by a compiled one once it has decoded ``compile_after``
    rows: compiling costs as much as decoding ~150 rows generically, so
    patterns seen once or twice (results with many nullable columns) are not
    worth it. At most ``max_plans`` patterns are cached and ``max_compiled``
    compiled. When a pattern should be compiled but the budget is spent, it
    stays generic -- unless it is hot (``hot`` rows): then all caches start
    over, so a long-lived connection adapts to the patterns of its current
    queries. It also remembers the last column section decoded.

    The caches belong to this object only: a decoder is not meant to be
    shared by threads (each connection, and each thread using
    :func:`decode_rows`, has its own).
    """

    __slots__ = ("plans", "compile_after", "max_plans", "max_compiled", "hot", "_plan_count",
                 "_compiled_count", "_last_columns")

    def __init__(self, *, compile_after: int = 8, max_plans: int = 4096, max_compiled: int = 256,
                 hot: int = 1000) -> None:
        #: Run functions per column count and row header pattern.
        self.plans: dict[int, dict[bytes, Callable[..., int]]] = {}
        self.compile_after, self.max_plans, self.max_compiled, self.hot = (
            compile_after, max_plans, max_compiled, hot)
        self._plan_count = 0
        self._compiled_count = 0
        #: Last column section decoded: (bytes up to the first row, n, names,
        #: size). A body starting with the same bytes has the same columns
        #: (the section parses the same way whatever follows).
        self._last_columns: tuple[bytes, int, list[str], int] | None = None

    def decode(self, body: bytes | bytearray | memoryview) -> Rows:
        """Decode one ROWS body (the bytes after the frame header).

        Values: INTEGER -> int, FLOAT -> float, TEXT -> str, BLOB -> bytes,
        NULL -> None, BOOLEAN -> bool, UNIXTIME -> :class:`UnixTime` (an int),
        ISO8601 -> :class:`Iso8601` (a str). Raises :class:`ProtocolError` on
        malformed input (unknown type code, truncation, invalid UTF-8, missing
        or misplaced end marker ...).
        """
        buf = body if type(body) is bytes else bytes(body)
        try:
            result = self._decode_fast(buf)
        except _FAST_PATH_ERRORS:
            result = None
        if result is None:
            # Something is off: the reference decoder says exactly what (or, if
            # the fast path was merely too cautious, decodes it).
            return decode_rows_reference(buf)
        return result

    def _columns(self, buf: bytes) -> tuple[int, list[str], int] | None:
        last = self._last_columns
        if last is not None and buf.startswith(last[0]):
            return last[1], last[2], last[3]
        blen = len(buf)
        n = _U64.unpack_from(buf, 0)[0]
        if n * 8 > blen - 8:
            return None
        names = []
        pos = 8
        index = buf.index
        for _ in range(n):
            end = index(b"\0", pos)
            names.append(buf[pos:end].decode())
            pos = (end + 8) & -8
        if pos > blen:
            return None
        self._last_columns = (buf[:pos], n, names, pos)
        return n, names, pos

    def _decode_fast(self, buf: bytes) -> Rows | None:
        """Decode ``buf``, or return None (or raise) if anything is unusual."""
        cols = self._columns(buf)
        if cols is None:
            return None
        n, names, pos = cols
        blen = len(buf)
        rows: list[tuple] = []
        if n:
            hsize = row_header_size(n)
            plans = self.plans.get(n)
            if plans is None:
                plans = self.plans.setdefault(n, {})
            append = rows.append
            latin = buf.decode("latin-1")
            index = latin.index
            while blen - pos != 8:
                key = buf[pos : pos + hsize]
                run = plans.get(key)
                if run is None:
                    run = self._plan(plans, key, n, hsize)
                    if run is None:
                        return None
                pos = run(buf, latin, pos, append, index, blen)
        if blen - pos != 8:
            return None
        marker = buf[pos:]
        if marker == _DONE:
            return Rows(list(names), rows, True)
        if marker == _PART:
            return Rows(list(names), rows, False)
        return None

    def _plan(self, plans: dict, key: bytes, n: int, hsize: int):
        """Generic run function for a new header pattern (None if the header is invalid)."""
        types = header_types(key, n, hsize)
        if types is None:
            return None
        if self._plan_count >= self.max_plans:
            self._reset()
        self._plan_count += 1

        def promote(uses: int) -> None:
            if self._compiled_count >= self.max_compiled:
                if uses < self.hot:
                    return
                self._reset()
                self._plan_count = 1
            self._compiled_count += 1
            plans[key] = compile_run(types, key)

        run = plans[key] = generic_run(types, hsize, promote, (self.compile_after, self.hot))
        return run

    def _reset(self) -> None:
        for table in self.plans.values():
            table.clear()
        self._plan_count = self._compiled_count = 0


_per_thread = threading.local()


def decode_rows(body: bytes | bytearray | memoryview) -> Rows:
    """Decode one ROWS body with this thread's own :class:`RowsDecoder`
    (see :meth:`RowsDecoder.decode`); a connection keeps its own instead."""
    try:
        decoder = _per_thread.rows_decoder
    except AttributeError:
        decoder = _per_thread.rows_decoder = RowsDecoder()
    return decoder.decode(body)


# ---------------------------------------------------------------- encoding


def _encode_value(v) -> tuple[int, bytes]:
    """Type code and encoding of one row value, chosen from its Python type."""
    if v is None:
        return ValueType.NULL, _ZEROS
    if isinstance(v, bool):
        return ValueType.BOOLEAN, _U64.pack(1 if v else 0)
    if isinstance(v, UnixTime):
        return ValueType.UNIXTIME, _I64.pack(v)
    if isinstance(v, int):
        try:
            return ValueType.INTEGER, _I64.pack(v)
        except struct.error:
            raise ValueError(f"integer {v} does not fit in int64") from None
    if isinstance(v, float):
        return ValueType.FLOAT, _F64.pack(v)
    if isinstance(v, Iso8601):
        return ValueType.ISO8601, encode_text(v)
    if isinstance(v, str):
        return ValueType.TEXT, encode_text(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        data = bytes(v)
        return ValueType.BLOB, _U64.pack(len(data)) + data + _BLOB_PAD[len(data) & 7]
    raise TypeError(f"cannot encode a {type(v).__name__} as a row value")


def encode_row(row: Sequence, n: int | None = None) -> bytes:
    """Header + values of one row; types follow the Python types of the values.

    ``None`` -> NULL, ``bool`` -> BOOLEAN, :class:`UnixTime` -> UNIXTIME, ``int``
    -> INTEGER, ``float`` -> FLOAT, :class:`Iso8601` -> ISO8601, ``str`` ->
    TEXT, bytes-like -> BLOB.
    """
    if n is not None and len(row) != n:
        raise ValueError(f"row has {len(row)} values, expected {n}")
    header = bytearray(row_header_size(len(row)))
    parts: list[bytes | bytearray] = [header]
    for i, v in enumerate(row):
        code, data = _encode_value(v)
        header[i >> 1] |= code << (4 * (i & 1))
        parts.append(data)
    return b"".join(parts)


def _column_section(columns: Sequence[str]) -> bytes:
    return _U64.pack(len(columns)) + b"".join(encode_text(c) for c in columns)


def encode_rows(columns: Sequence[str], rows: Iterable[Sequence], done: bool = True) -> bytes:
    """Encode one ROWS body: column count and names, the rows, then the
    DONE marker (``done=True``) or the PART marker."""
    n = len(columns)
    parts = [_column_section(columns)]
    parts += [encode_row(row, n) for row in rows]
    parts.append(_DONE if done else _PART)
    return b"".join(parts)


def iter_row_batches(
    columns: Sequence[str], rows: Iterable[Sequence], page_size: int = DEFAULT_PAGE_SIZE
) -> Iterator[bytes]:
    """Split a result set into ROWS bodies exactly as libdqlite 1.11.1 does.

    Rows are added to a batch while 8 (frame header) + body size < ``page_size``;
    the batch then ends with PART, or with DONE once the rows run out. Like
    the server, a result whose last batch is full is followed by a batch with
    no rows and DONE.
    """
    n = len(columns)
    section = _column_section(columns)
    iterator = iter(rows)
    while True:
        parts = [section]
        size = 8 + len(section)
        while size < page_size:
            try:
                row = next(iterator)
            except StopIteration:
                parts.append(_DONE)
                yield b"".join(parts)
                return
            data = encode_row(row, n)
            parts.append(data)
            size += len(data)
        parts.append(_PART)
        yield b"".join(parts)

