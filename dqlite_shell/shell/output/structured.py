"""The JSON formats: ``json`` (one array) and ``jsonl`` (one object a line).

Each row is an object keyed by column name, in column order; a repeated
column name is repeated as a key, as ``sqlite3``'s ``.mode json`` does.
Values:

* NULL -> ``null``; integers -> numbers; ``bool`` -> ``1``/``0`` (what
  SQLite stores for a BOOLEAN column, and what ``sqlite3`` prints);
* REAL -> a number with all its digits (Python's shortest round-trip
  ``repr``, not SQLite's 15-digit text, so nothing is lost); NaN and
  infinities have no JSON number and are written as ``null`` (``sqlite3``
  writes ``1e999``, which strict parsers reject);
* text -> a string (non-ASCII written as is, UTF-8);
* BLOB -> a string holding the bytes in standard base64 (RFC 4648 with
  padding), as Go's ``encoding/json`` and so the Go shell's ``-f json`` do,
  whatever ``.blob`` says: JSON is for programs, which need one exact
  encoding (``jq -r .value | base64 -d`` gives the bytes back).

``headers`` and ``nullvalue`` do not apply.  JSON escapes the C0 control
characters itself; on a terminal, DEL and the C1 controls (U+0080-U+009F,
e.g. U+009B, a CSI to some terminals) are escaped too (``\\u009b``): the
same JSON value, and nothing from the data drives the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TextIO

from .base import Renderer
from .blobs import base64_text

try:  # json.encoder's C version, without the json package's decoder (~1.5 ms at start)
    from _json import encode_basestring as _quote
except ImportError:  # pragma: no cover - an interpreter without the C module
    from json.encoder import encode_basestring as _quote
_INF = float("inf")
# Outside strings JSON text is ASCII, so these only ever occur inside one.
_RAW_CONTROLS = re.compile(r"[\x7f-\x9f]")


def _escape_controls(text: str) -> str:
    if _RAW_CONTROLS.search(text) is None:
        return text
    return _RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_value(value) -> str:
    """One value as JSON text (see the module docstring)."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if isinstance(value, float):
        value = float(value)
        if value != value or value in (_INF, -_INF):
            return "null"
        return float.__repr__(value)
    if isinstance(value, str):
        return _quote(str.__str__(value))
    if isinstance(value, int):               # bool -> 1/0, UnixTime
        return int.__repr__(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return '"' + base64_text(value) + '"'
    return _quote(str(value))


class JsonlRenderer(Renderer):
    """``jsonl``: one JSON object per line; nothing for no rows."""

    def __init__(self, out: TextIO, columns: Sequence[str], **options):
        super().__init__(out, columns, **options)
        self._keys = [_quote(name) + ":" for name in self.columns]

    def _objects(self, batch: Sequence[Sequence]) -> list[str]:
        keys = self._keys
        objects = ["{" + ",".join([k + json_value(v) for k, v in zip(keys, row, strict=True)]) + "}"
                   for row in batch]
        return list(map(_escape_controls, objects)) if self.terminal else objects

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch, one object a line."""
        if not batch:
            return
        self.count += len(batch)
        self.out.write("\n".join(self._objects(batch)) + "\n")


class JsonRenderer(JsonlRenderer):
    """``json``: one array, streamed: ``[`` with the first row, ``,\\n``
    between rows, ``]`` on close; ``[]`` for no rows (``sqlite3`` prints
    nothing, which is not a JSON document)."""

    def rows(self, batch: Sequence[Sequence]) -> None:
        """Print a batch of array elements."""
        if not batch:
            return
        text = ",\n".join(self._objects(batch))
        self.out.write((",\n" if self.count else "[") + text)
        self.count += len(batch)

    def close(self) -> None:
        """Close the array (also after an error, so the output parses)."""
        if not self.closed:
            self.out.write("]\n" if self.count else "[]\n")
        super().close()
