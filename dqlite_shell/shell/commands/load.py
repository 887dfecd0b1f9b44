"""Loading dot-commands: ``.import``.

The reading is :mod:`dqlite_shell.shell.import_formats`'s, the sending
:mod:`dqlite_shell.shell.loader`'s; this module parses the command line,
opens the source and decides the table's columns.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from dqlite_shell.shell.commands import failures, usage_error
from dqlite_shell.shell.commands.registry import FILE, TABLE, CommandError, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

_FORMATS = ("--csv", "--tsv", "--jsonl", "--ascii")


@dataclass
class _Options:
    file: str
    table: str
    fmt: str | None = None
    skip: int = 0
    schema: str | None = None
    all_or_nothing: bool = False


@command(".import [--csv|--tsv|--jsonl|--ascii] [--skip N] [--schema S] [--all-or-nothing] "
         "FILE TABLE",
         "Import FILE (- for stdin, |COMMAND for its output) into TABLE, creating it from "
         "the header when it does not exist", args=(2, None), complete=(FILE, TABLE),
         changes=True)
def import_(state: ShellState, args: list[str]) -> None:
    """As sqlite3 3.40's .import: when TABLE does not exist, the first record
    (after --skip N records) names its columns, all TEXT, and the rest are
    its rows; when it exists every record is a row (--skip 1 skips a header).
    Values are bound as text, so the column affinities apply. The format is
    --csv (',' and quotes), --tsv (tabs), --ascii (0x1F between fields, 0x1E
    between records, no quotes), --jsonl (one JSON object per line: the first
    object's keys are the columns, created without a type so that numbers,
    strings and null keep their JSON type; a later object may have fewer
    keys, its missing values are NULL), or else the current separators
    (.mode and .separator set them; one character each) with csv quoting,
    none in .mode ascii. --schema: a dqlite database has one schema, main.
    FILE - is standard input (not when the script comes from it); |COMMAND
    reads what COMMAND prints.

    Rows go in batched transactions (up to 20,000 rows, one Raft round
    each). A bad record (a wrong number of fields, where sqlite3 fills or
    cuts; invalid UTF-8; a row the server refuses) stops the import: the
    rows before it stay, and the error says how many and which --skip
    resumes at the bad record. Inside a transaction opened with BEGIN the
    rows are added to it. If the leader is lost, a batch it had not
    committed is sent again to the new leader; one whose COMMIT was under
    way is named as maybe imported, and never sent twice. Progress shows
    on a terminal after a second.

    --all-or-nothing makes the whole import one transaction (with the
    CREATE TABLE): nothing stays unless all does. The leader holds it in
    memory until the COMMIT, which replicates it in one piece. Measured on 3
    loopback nodes with 1 kB rows: 150 MB (1.11.1) and 200 MB (1.18.6) went
    in (each node's memory grows about 5 times that); at 200 MB on 1.11.1
    and 500 MB on both the COMMIT failed with "leadership lost" (the import
    then says the whole file may or may not be in: at 200 MB it was, at
    500 MB it was not). Keep such imports well under 100 MB."""
    from dqlite_shell.shell import import_formats as formats
    from dqlite_shell.shell.loader import Loader, LoadError, table_name
    from dqlite_shell.shell.progress import Progress

    opts = _parse(args)
    target = table_name(opts.table, opts.schema)
    read, separators = _reader(state, opts.fmt)
    with _opened(state, opts.file) as (stream, size):
        counted = formats.CountingReader(stream)
        buffered = _buffered(counted)
        records = read(buffered, *separators)
        try:
            skipped = _skip(records, opts.skip)
            columns, header, first, prelude = _columns(state, opts, target, records)
        except formats.ReadError as e:
            raise CommandError(f"{opts.file}:{e.line}: {e.message}") from None
        if not columns:
            return
        progress = Progress(state.err, lambda: counted.count, size)
        loader = Loader(state, opts.table, columns, schema=opts.schema, source=opts.file,
                        all_or_nothing=opts.all_or_nothing, progress=progress,
                        prelude=prelude)
        try:
            _load(loader, records, first, columns, opts.fmt == "--jsonl")
            loader.finish()
        except LoadError as e:
            raise CommandError(_message(e, skipped + header)) from None
        except KeyboardInterrupt:
            state.warn(_message(loader.abort(), skipped + header))
            raise


def _parse(args: list[str]) -> _Options:
    """sqlite3's argument rules: options anywhere (one or two dashes), then
    FILE and TABLE."""
    positional: list[str] = []
    fmt, skip, schema, whole = None, 0, None, False
    words = iter(args)
    for word in words:
        option = "-" + word.lstrip("-") if word.startswith("-") and word != "-" else None
        if option is None:
            positional.append(word)
        elif "-" + option in _FORMATS:
            if fmt is not None and fmt != "-" + option:
                raise usage_error(".import", f"{fmt} and -{option} cannot go together")
            fmt = "-" + option
        elif option == "-skip":
            value = next(words, None)
            if value is None or not value.isdigit():
                raise usage_error(".import", "--skip takes a count of records")
            skip = int(value)
        elif option == "-schema":
            schema = next(words, None)
            if schema is None:
                raise usage_error(".import", "--schema takes a schema name")
            if schema.lower() != "main":
                raise CommandError(f".import --schema {schema}: a dqlite database has one "
                                   "schema, main")
        elif option == "-all-or-nothing":
            whole = True
        else:
            raise usage_error(".import", f"unknown option {word}")
    if len(positional) != 2:
        raise usage_error(".import", "FILE and TABLE" if len(positional) < 2
                          else f"extra argument {positional[2]!r}")
    return _Options(positional[0], positional[1], fmt, skip, schema, whole)


def _reader(state: ShellState, fmt: str | None):
    """The reader and its separators for ``fmt`` (None: the current mode)."""
    from dqlite_shell.shell import import_formats as formats
    if fmt == "--jsonl":
        return formats.jsonl, ()
    if fmt == "--csv":
        return formats.delimited, (",", "\n")
    if fmt == "--tsv":
        return formats.delimited, ("\t", "\n")
    if fmt == "--ascii":
        return formats.ascii_fields, (formats.UNIT_SEPARATOR, formats.RECORD_SEPARATOR)
    # The current separators (.mode sets its own, .separator any), read
    # with quotes unless the mode is ascii, as sqlite3 3.40 does.
    mode = state.settings.mode.split()[0]
    column, row = state.settings.separator, state.settings.row_separator
    if mode == "csv" and row == "\r\n":
        row = "\n"  # csv --crlf writes CRLF; reading, a CR before LF is dropped anyway
    # sqlite3's checks, in its words.
    if not column:
        raise CommandError("non-null column separator required for import")
    if len(column) > 1:
        raise CommandError("multi-character column separators not allowed for import")
    if not row:
        raise CommandError("non-null row separator required for import")
    if len(row) > 1:
        raise CommandError("multi-character row separators not allowed for import")
    if not column.isascii() or not row.isascii():
        raise CommandError(".import takes ASCII separators only (sqlite3 reads one byte)")
    if mode == "ascii":
        return formats.ascii_fields, (column, row)
    return formats.delimited, (column, row)


class _opened:
    """The source as a binary stream and its size when known: a file, stdin
    (``-``) or a command's output (``|COMMAND``, whose exit status is checked)."""

    def __init__(self, state: ShellState, name: str):
        self.state, self.name = state, name
        self.process: subprocess.Popen | None = None
        self.stream: BinaryIO | None = None

    def __enter__(self) -> tuple[BinaryIO, int | None]:
        name = self.name
        if name == "-":
            if self.state.interactive or getattr(self.state, "stdin_is_script", False):
                raise CommandError(".import -: standard input is where this shell reads its "
                                   "commands (give the data as a file, or the commands with -c "
                                   "or .read)")
            self.stream = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
            return self.stream, _size(self.stream)
        if name.startswith("|"):
            with failures(f"cannot run {name[1:]!r}"):
                self.process = subprocess.Popen(name[1:], shell=True, stdout=subprocess.PIPE,
                                                stdin=subprocess.DEVNULL)
            stream = self.process.stdout
            # stdout=PIPE (bufsize -1): a BufferedReader, typed only as IO[bytes] | None
            assert isinstance(stream, io.BufferedReader)
            self.stream = stream
            return stream, None
        with failures("cannot open"):
            self.stream = open(name, "rb", buffering=0)
        return self.stream, _size(self.stream)

    def __exit__(self, kind, error, trace) -> None:
        if self.process is None:
            if self.stream is not None and self.name != "-":
                self.stream.close()
            return
        if kind is not None:
            self.process.kill()
        if self.stream is not None:
            self.stream.close()
        status = self.process.wait()
        if kind is None and status != 0:
            raise CommandError(f"{self.name}: the command exited with status {status}; "
                               "the rows it printed were imported")


def _size(stream) -> int | None:
    try:
        info = os.fstat(stream.fileno())
    except OSError:
        return None
    import stat
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _buffered(raw) -> BinaryIO:
    import io
    return io.BufferedReader(raw, 1 << 16)


def _skip(records: Iterator, count: int) -> int:
    """Skip ``count`` records; returns how many there were."""
    skipped = 0
    for _ in range(count):
        if next(records, None) is None:
            break
        skipped += 1
    return skipped


def _columns(state: ShellState, opts: _Options, target: str, records: Iterator):
    """``(columns, header records read, first data record or None, prelude)``."""
    from dqlite_shell.client.result import RowStream
    from dqlite_shell.shell import import_formats as formats
    try:
        with failures():
            result = state.session.execute(f"SELECT * FROM {target} LIMIT 0")
        existing = result.columns if isinstance(result, RowStream) else []
        if isinstance(result, RowStream):
            result.close()
    except CommandError as e:
        if not str(e).startswith("no such table: "):
            raise
        existing = None
    first = next(records, None)
    if existing is not None:
        if opts.fmt == "--jsonl" and first is not None:
            return list(first[1]), 0, first, []
        return existing, 0, first, []
    if first is None:
        raise CommandError(f"{opts.file}: empty file")
    if opts.fmt == "--jsonl":
        columns = list(first[1])
        if not columns:
            raise CommandError(f"{opts.file}:{first[0]}: the first object has no keys")
        return columns, 0, first, [formats.create_table_sql(target, columns, typed=False)]
    columns, renames = formats.header_columns(first[1])
    if renames:
        state.warn(formats.renames_text(opts.file, renames))
    return columns, 1, next(records, None), [formats.create_table_sql(target, columns)]


def _load(loader, records: Iterator, first, columns: list[str], jsonl: bool) -> None:
    from dqlite_shell.shell.import_formats import ReadError
    known = set(columns)
    record = first
    while record is not None:
        line, fields = record
        if jsonl:
            extra = [k for k in fields if k not in known]
            if extra:
                loader.fail(line, f"key {extra[0]!r} is not a column of the first object "
                            f"({', '.join(columns)})")
            fields = [fields.get(c) for c in columns]
        loader.add(fields, line)
        try:
            record = next(records, None)
        except ReadError as e:
            loader.fail(e.line, e.message)


def _message(error, records_before: int) -> str:
    """The LoadError's line and where to resume: --skip counts records (JSON
    lines: objects), those before the first one not known to be in."""
    text = str(error)
    if error.rolled_back or error.in_open_transaction:
        return text
    skip = records_before + error.rows_committed + error.uncertain_rows
    if error.uncertain:
        return text + f"; check them, then resume with --skip {skip}"
    return text + f"; resume with --skip {skip}"
