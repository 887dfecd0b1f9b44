"""Reading files for ``.import``: records with the line each starts on.

Every reader takes a binary stream and yields ``(line, fields)`` in constant
memory, decoding UTF-8 strictly: a byte that is not UTF-8, or a NUL (bound
text cannot hold one), is a :class:`ReadError` naming its line.

- :func:`delimited`: sqlite3's ``.import`` reader (csv_read_one_field) for a
  one-character column separator and row separator: a field that starts with
  ``"`` is quoted (``""`` inside is one ``"``, separators and line breaks are
  data); a ``\\r`` before the row separator is dropped; a UTF-8 BOM at the
  start is skipped; an empty line is a record of one empty field. With
  ``\\n`` rows it is Python's C csv reader (fast); other row separators take
  a small reader of the same rules.
- :func:`ascii_fields`: sqlite3's ascii_read_one_field: no quoting, and
  "lines" are records (sqlite3 counts row separators).
- :func:`jsonl`: one JSON object per line (blank lines skipped).

:func:`header_columns` turns a header record into column names as sqlite3
3.40 does (duplicates renamed); :func:`create_table_sql` writes its CREATE
TABLE text, byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from typing import BinaryIO

#: sqlite3's separators of ``.mode ascii`` (and ``.import --ascii``).
UNIT_SEPARATOR, RECORD_SEPARATOR = "\x1f", "\x1e"
_BOM = "\ufeff"
_INT64 = (-(1 << 63), (1 << 63) - 1)
#: Bytes read and decoded at a time.
_BLOCK = 1 << 20

Record = tuple[int, list]


class ReadError(Exception):
    """A record of the file that cannot be imported, at ``line``."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read from it (for progress)."""

    def __init__(self, raw: BinaryIO):
        # typing.BinaryIO declares no readinto; the files given here (raw or
        # buffered, from open() and Popen) all have it.
        assert isinstance(raw, (io.RawIOBase, io.BufferedIOBase))
        self.raw: io.RawIOBase | io.BufferedIOBase = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.count += n or 0
        return n


def _decode(data: bytes, line: int, newline: bytes = b"\n") -> tuple[str, ReadError | None]:
    """``data`` (starting at ``line``) as UTF-8 text, strictly: the text and
    None, or the text of the lines before the first bad one and its error."""
    nul = data.find(b"\x00")  # in UTF-8 a 0 byte is only ever NUL
    try:
        text = data[:nul].decode("utf-8") if nul >= 0 else data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad, message = e.start, f"invalid UTF-8: byte 0x{data[e.start]:02x}"
    else:
        if nul < 0:
            return text, None
        bad, message = nul, "NUL byte (text values cannot hold one)"
    good = data.rfind(newline, 0, bad) + 1
    return data[:good].decode("utf-8"), ReadError(line + data.count(newline, 0, bad), message)


def _lines(stream: BinaryIO, newline: bytes = b"\n") -> Iterator[str]:
    """Decoded lines (each with its ``newline``), the first without a BOM.

    Decoded a block at a time (cut after its last ``newline``): one decode
    and one C-level split per block, not per line."""
    before = 0  # lines in the blocks decoded so far
    separator = newline.decode()
    rest = bytearray()  # read, not yet decoded: a line's start
    first = True
    while True:
        block = stream.read(_BLOCK)
        if block:
            rest += block
            cut = rest.rfind(newline, max(0, len(rest) - len(block) - len(newline))) + 1
            if not cut:
                continue  # a line longer than a block: read on
            block = bytes(rest[:cut])
            del rest[:cut]
        elif rest:
            block, rest = bytes(rest), bytearray()
        else:
            return
        text, error = _decode(block, before + 1, newline)
        if first:
            first = False
            if text.startswith(_BOM):
                text = text[1:]
        lines: list[str]
        if not text:
            lines = []
        elif separator == "\n":
            lines = io.StringIO(text, newline="\n").readlines()  # splits at \n only
        else:
            lines = [piece + separator for piece in text.split(separator)]
            if lines[-1] == separator:
                lines.pop()
            elif not text.endswith(separator):
                lines[-1] = lines[-1][:-1]
        yield from lines
        if error is not None:
            raise error  # after the good lines before it
        before += len(lines)


def delimited(stream: BinaryIO, separator: str, row_separator: str = "\n") -> Iterator[Record]:
    """Records of a CSV-like file (see the module's docstring)."""
    if row_separator == "\n":
        yield from _csv_records(stream, separator)
    else:
        yield from _quoted_records(stream, separator, row_separator)


def _csv_records(stream: BinaryIO, separator: str) -> Iterator[Record]:
    csv.field_size_limit(sys.maxsize)  # a field may be as large as a value
    reader = csv.reader(_lines(stream), delimiter=separator, quotechar='"', doublequote=True,
                        strict=False, skipinitialspace=False)
    before = 0
    try:
        for fields in reader:
            # sqlite3 reads an empty line as one empty field.
            yield before + 1, fields or [""]
            before = reader.line_num
    except csv.Error as e:
        raise ReadError(reader.line_num, f"cannot read this line: {e}") from None


def _quoted_records(stream: BinaryIO, separator: str, row_separator: str) -> Iterator[Record]:
    """The same rules for a row separator other than ``\\n``."""
    pending: list[str] = []  # pieces of a record whose quoted field is open
    start = 0
    for number, piece in enumerate(_lines(stream, row_separator.encode()), 1):
        if not pending:
            start = number
        pending.append(piece)
        text = "".join(pending)
        fields = _split_fields(text.removesuffix(row_separator), separator)
        if fields is None:
            continue  # inside a quoted field: the separator was data
        pending = []
        yield start, fields
    if pending:
        raise ReadError(start, 'unterminated "-quoted field')


def _split_fields(text: str, separator: str) -> list[str] | None:
    """The fields of one record, or None while a quoted field is open."""
    if text.endswith("\r"):
        text = text[:-1]
    fields: list[str] = []
    pos, n = 0, len(text)
    while True:
        if pos < n and text[pos] == '"':
            value, pos = [], pos + 1
            while True:
                end = text.find('"', pos)
                if end < 0:
                    return None
                value.append(text[pos:end])
                if text.startswith('"', end + 1):
                    value.append('"')
                    pos = end + 2
                    continue
                pos = end + 1
                break
            # Text after the closing quote belongs to the field (as csv).
            stop = text.find(separator, pos)
            stop = n if stop < 0 else stop
            value.append(text[pos:stop])
            fields.append("".join(value))
            pos = stop
        else:
            stop = text.find(separator, pos)
            stop = n if stop < 0 else stop
            fields.append(text[pos:stop])
            pos = stop
        if pos >= n:
            return fields
        pos += 1
        if pos == n:
            fields.append("")
            return fields


def ascii_fields(stream: BinaryIO, separator: str = UNIT_SEPARATOR,
                 row_separator: str = RECORD_SEPARATOR) -> Iterator[Record]:
    """Records split by ``row_separator`` and fields by ``separator``, no
    quoting; the number of a record is its line (as sqlite3 counts them).
    An empty record ends the file for sqlite3's reader only at the end; here
    an empty record is skipped."""
    for number, piece in enumerate(_lines(stream, row_separator.encode()), 1):
        text = piece.removesuffix(row_separator)
        if not text:
            continue  # sqlite3 stops a record that has no first field
        yield number, text.split(separator)


def jsonl(stream: BinaryIO) -> Iterator[tuple[int, dict]]:
    """One JSON object per line, its values checked (see :func:`json_value`)."""
    for number, text in enumerate(_lines(stream), 1):
        if not text.strip():
            continue
        try:
            value = json.loads(text, parse_constant=_no_constant)
        except ValueError as e:
            raise ReadError(number, f"not JSON: {e}") from None
        if not isinstance(value, dict):
            raise ReadError(number, f"expected a JSON object, found {_json_kind(value)}")
        for key, item in value.items():
            if not _scalar(item):
                raise ReadError(number, f"key {key!r}: {_json_kind(item)} cannot be a column "
                                "value (numbers, strings and null can)")
        yield number, value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _scalar(value) -> bool:
    if value is None or isinstance(value, (str, float)):
        return True
    return type(value) is int and _INT64[0] <= value <= _INT64[1]


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer beyond 64 bits"
    kinds: dict[type, str] = {dict: "an object", list: "an array"}
    return kinds.get(type(value), type(value).__name__)


# -- the header -----------------------------------------------------------------

def header_columns(fields: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Column names from a header record, as sqlite3 3.40 names them: an
    empty name is ``?``; when two names are equal (ASCII case ignored),
    each of them gets ``_N``, N its position. Returns the names and the ``(old, new)`` renames."""
    names = [f or "?" for f in fields]
    counts: dict[str, int] = {}
    for name in names:
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    out, renames = [], []
    for position, name in enumerate(names, 1):
        new = f"{name}_{position}" if counts[name.lower()] > 1 else name
        if new != name:
            renames.append((name, new))
        out.append(new)
    return out, renames


def renames_text(source: str, renames: list[tuple[str, str]]) -> str:
    """sqlite3's note on renamed columns."""
    pairs = ",\n".join(f'"{old}" to "{new}"' for old, new in renames)
    return f"Columns renamed during .import {source} due to duplicates:\n{pairs}"


def create_table_sql(target: str, columns: list[str], typed: bool = True) -> str:
    """sqlite3 3.40's CREATE TABLE for an imported header: every column TEXT,
    four to a line. ``typed=False`` (JSON lines) declares no types, so that
    each value keeps its JSON type."""
    from dqlite_shell.sqltext import double_quoted
    kind = " TEXT" if typed else ""
    parts = []
    for i, name in enumerate(columns):
        if i:
            parts.append("," + (" " if i % 4 else "\n "))
        parts.append(double_quoted(name) + kind)
    return f"CREATE TABLE {target}(\n{''.join(parts)})"
