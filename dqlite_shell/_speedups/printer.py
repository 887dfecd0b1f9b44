"""A streamed result printed through the accelerator: :func:`printer`
(the ``table`` grid: :mod:`.table_printer`).

The first batch of a result arrives decoded (the query's answer) and goes to
the pure-Python renderer; the batches after it come from
:meth:`RowStream.raw_batches` as ROWS bodies, which ``_format`` turns into
output bytes. A body it does not take (see format.c) is decoded and goes to
the renderer too, so the two paths interleave freely: the renderer's
``count`` is kept up to date for its header and its JSON punctuation.

Bytes gather in one buffer and go to ``out.buffer`` (the binary layer under
the text stream) 64 KiB at a time; the text layer is flushed before, so
whatever was written as text comes first.
"""

from __future__ import annotations

import codecs
import io
import os
from typing import TYPE_CHECKING, cast

from dqlite_shell._speedups import load
from dqlite_shell.shell.output import structured, text
from dqlite_shell.shell.output.blobs import BLOB_MODES, blob_formatter

if TYPE_CHECKING:
    from dqlite_shell._speedups.table_printer import TablePrinter
    from dqlite_shell.client.result import RowStream
    from dqlite_shell.shell.output.base import Renderer

#: format.c's numbers for the renderers it replaces, and for ``.blob``.
_FORMATS = {text.ListRenderer: 0, text.CsvRenderer: 1, structured.JsonRenderer: 2,
            structured.JsonlRenderer: 3}
_BLOBS = {"hex": 0, "auto": 1, "text": 2, "base64": 3}
_FALLBACK, _NO_ROOM = -1, -2

#: Bytes gathered before a write.
CHUNK = 1 << 16


def _binary(out) -> io.BufferedIOBase | None:
    """The binary buffer under ``out`` when bytes written there are what
    ``out`` itself would write: a plain UTF-8 text stream (sys.stdout, a
    file) that translates no line end."""
    if type(out) is not io.TextIOWrapper or os.linesep != "\n":
        return None  # a subclass (a pipe to a command) has its own write()
    try:
        if codecs.lookup(out.encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    return getattr(out, "buffer", None)


def printer(renderer: Renderer, out) -> Printer | TablePrinter | None:
    """A :class:`Printer` (or a :class:`.table_printer.TablePrinter`) doing
    ``renderer``'s work on ``out``, or None when the accelerator does not
    apply: not built or disabled, a format other than list, csv, json, jsonl
    and table (or a query plan), a terminal (whose escapes stay Python's), or
    a stream that is not plain UTF-8; for table, ``.width`` set, or a column
    name or NULL text that does not show as one line (see
    :func:`.table_printer.one_line`)."""
    module = load()
    kind = _FORMATS.get(type(renderer))
    if module is None or renderer.terminal or (kind is None and not _psql(renderer)):
        return None
    binary = _binary(out)
    if binary is None:
        return None
    blobs = {blob_formatter(mode): mode for mode in BLOB_MODES}
    blob = _BLOBS[blobs[renderer.blob]]
    if kind is None:
        from dqlite_shell._speedups.table_printer import TablePrinter, one_line
        from dqlite_shell.shell.output.table import TableRenderer
        names = [one_line(name) for name in renderer.columns]
        null = one_line(renderer.nullvalue)
        if not names or null is None or None in names:
            return None
        return TablePrinter(module, blob, cast(TableRenderer, renderer), out, binary,
                            cast("list[tuple[str, int]]", names), null)
    try:
        return Printer(module, kind, blob, renderer, out, binary)
    except (UnicodeEncodeError, _NoHeader):
        return None  # a separator the stream could not write: Python says so


def _psql(renderer: Renderer) -> bool:
    """Whether ``renderer`` draws the ``table`` grid, with no ``.width``."""
    from dqlite_shell.shell.output.table import TableRenderer
    return (type(renderer) is TableRenderer and renderer.tablefmt == "psql"
            and not any(renderer.widths))


class _NoHeader(Exception):
    pass


class Buffered:
    """What a printer shares: the output buffer (bytes gathered, written to
    ``out.buffer`` a chunk at a time, after any text ``out`` holds) and the
    renderer, which prints what the accelerator leaves to Python."""

    def __init__(self, ffi, renderer: Renderer, out, binary):
        self._ffi = ffi
        self.renderer, self._out, self._binary = renderer, out, binary
        self._buffer = bytearray(CHUNK * 2)
        self._view = ffi.from_buffer(self._buffer)
        self._used = 0
        self._text_dirty = True   # earlier output may wait in the text layer

    def _room(self, need: int) -> None:
        """Make room for ``need`` more bytes after the ``_used`` ones."""
        if self._used + need > len(self._buffer):
            self._write()
            if need > len(self._buffer):
                self._view = None
                self._buffer = bytearray(need)
                self._view = self._ffi.from_buffer(self._buffer)

    def _python(self, batch: list) -> None:
        """Rows for the renderer to print, after the bytes gathered."""
        self._write()
        self.renderer.rows(batch)
        self._text_dirty = True

    def _write(self) -> None:
        """Write the gathered bytes (after any text waiting in the text layer)."""
        if not self._used:
            return
        if self._text_dirty:
            self._out.flush()
            self._text_dirty = False
        used, self._used = self._used, 0
        with memoryview(self._buffer) as view:
            self._binary.write(view[:used])


class Printer(Buffered):
    """Prints one result as ``renderer`` would (see the module docstring)."""

    def __init__(self, module, kind: int, blob: int, renderer: Renderer, out, binary):
        super().__init__(module.ffi, renderer, out, binary)
        self._lib = module.lib
        self._kind = kind
        self._ncols = len(renderer.columns)
        ffi = self._ffi
        opt = self._opt = ffi.new("struct dq_options *")
        keep: list = []   # what opt points into
        self._keep = keep

        def chars(value: str) -> tuple:
            data = value.encode("utf-8")
            buffer = ffi.new("char[]", data)
            keep.append(buffer)
            return buffer, len(data)

        opt.format, opt.blob = kind, blob
        sep = getattr(renderer, "separator", ",")
        row_sep = getattr(renderer, "line_end" if kind == 1 else "row_separator", "\n")
        opt.sep, opt.sep_len = chars(sep)
        opt.row_sep, opt.row_sep_len = chars(row_sep)
        opt.null, opt.null_len = chars(renderer.nullvalue)
        keys = [structured.json_value(name).encode("utf-8") + b":" for name in renderer.columns]
        ends, end = [], 0
        for key in keys:
            end += len(key)
            ends.append(end)
        opt.keys, _ = chars("")
        if keys:
            joined = ffi.new("char[]", b"".join(keys))
            key_ends = ffi.new("size_t[]", ends)
            keep += [joined, key_ends]
            opt.keys, opt.key_ends = joined, key_ends
        #: Per value at most: a separator, NULL's text, a key, punctuation.
        self._per_value = 40 + len(sep.encode()) + len(row_sep.encode()) + opt.null_len \
            + max([len(k) for k in keys] or [0])
        self._out_len = ffi.new("size_t *")
        self._done = ffi.new("int *")
        self._header = b""
        if kind in (0, 1) and renderer.headers:
            from dqlite_shell.wire.rows import encode_rows
            columns = renderer.columns
            # A header line is a row of TEXT values holding the names.
            if not self._format(encode_rows(columns, [columns]), counted=False):
                raise _NoHeader
            self._header = bytes(self._buffer[:self._used])
            self._used = 0

    def show(self, stream: RowStream) -> int:
        """Print every remaining batch of ``stream``; close the renderer.
        Returns how many rows it has printed."""
        renderer = self.renderer
        try:
            for batch in stream.raw_batches():
                if not isinstance(batch, bytes):
                    self._python(batch)
                elif self._format(batch, self._lead()) is None:
                    self._python(stream.decode_body(batch).rows)
        finally:
            try:
                self._write()
            finally:
                renderer.close()
                self._out.flush()
        return renderer.count

    def _lead(self) -> bytes:
        """What goes before the next rows: the header, JSON's ``[`` or ``,``."""
        count = self.renderer.count
        if self._kind == 2:
            return b",\n" if count else b"["
        return self._header if count == 0 else b""

    def _format(self, body: bytes, lead: bytes = b"", counted: bool = True) -> int | None:
        """Format ``body`` into the buffer after ``lead`` (kept only when
        rows follow); the number of rows, or None (not taken)."""
        self._room(6 * len(body) + (len(body) // 8 + 1) * self._per_value + len(lead) + 64)
        start = self._used
        mark = start + len(lead)
        self._buffer[start:mark] = lead
        rows = self._lib.dq_format(self._opt, body, len(body), self._ncols, self._view + mark,
                                   len(self._buffer) - mark, self._out_len, self._done)
        if rows < 0:  # _FALLBACK; _NO_ROOM too, which the bound above rules out
            return None
        if rows:
            self._used = mark + self._out_len[0]
            if counted:
                self.renderer.count += rows
            if self._used >= CHUNK:
                self._write()
        return rows
