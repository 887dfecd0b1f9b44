"""Format dot-commands: how results look (``.mode``, ``.separator``,
``.width``, ``.headers``, ``.nullvalue``, ``.blob``). The formats themselves live in
:mod:`dqlite_shell.shell.output`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import on_off, usage_error
from dqlite_shell.shell.commands.registry import BLOB, FORMAT, ONOFF, TEXT, command

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


@command(".mode [FORMAT [OPTIONS]]", "Print results in FORMAT; show the current one without "
         "(csv --crlf; column/box --wrap N --wordwrap on|off --quote; insert TABLE)",
         args=(0, None), complete=(FORMAT,))
def mode(state: ShellState, args: list[str]) -> None:
    """Formats (an unknown FORMAT lists them):
    {formats}

    table and tabulate's formats (grid to latex_booktabs, as litecli has
    them) size their columns on blocks of 1000 rows, each printed as a
    table of its own; .width sets widths; control characters are shown
    escaped (\\x1B, \\r).

    Choosing a format sets .separator's separators to its own, as sqlite3
    does: list | and a line feed, tabs a tab, csv , (csv --crlf: CRLF line
    ends), quote , and ascii 0x1F and 0x1E. .mode column also turns
    .headers on, unless .headers (or --headers/--no-headers) said otherwise.

    column and box size their columns over the whole result up to 1000
    rows; a longer result is printed in blocks of 1000 rows, each sized on
    its own with its own header (as table). .width sets widths. insert
    TABLE writes INSERT INTO TABLE (default "table"), with the column names
    when .headers is on.

    With no FORMAT, prints the current one as sqlite3 does: "current output
    mode: box --wrap 60 --wordwrap off --noquote" (and changes nothing;
    sqlite3's also sets list's separators and insert's table back)."""
    from dqlite_shell.shell import output
    settings = state.settings
    if not args:
        state.print(output.describe_format(settings.mode))
        return
    try:
        output.apply_format(settings, args)
    except ValueError as e:
        raise usage_error(".mode", str(e)) from None
    if settings.mode.split()[0] == "column" and not settings.headers_set:
        settings.headers = True


def _describe_formats() -> None:
    # .help .mode prints the docstring: the formats come from the one table.
    from dqlite_shell.shell.output import ALIASES, FORMAT_NOTES
    notes = {**FORMAT_NOTES, **{alias: f"= {name}" for alias, name in ALIASES.items()}}
    notes["tabs"] = "list with a tab separator"
    width = max(map(len, notes))
    listed = "\n    ".join(f"{name:<{width}}  {note}" for name, note in notes.items())
    mode.__doc__ = mode.__doc__.replace("{formats}", listed)


_describe_formats()


#: sqlite3's resolve_backslashes(): the escapes of dot-command arguments.
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\([0-7]{1,3}|.)", re.DOTALL)


def unescape(text: str) -> str:
    """``text`` with sqlite3's backslash escapes resolved: ``\\t``, ``\\n``,
    ``\\r``, ``\\a``, ``\\b``, ``\\v``, ``\\f``, ``\\\\``, ``\\"``, ``\\'``, and
    octal ``\\NNN``; before any other character the backslash is dropped."""
    def one(match: re.Match) -> str:
        code = match.group(1)
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        return _ESCAPES.get(code, code)
    return _ESCAPE.sub(one, text)


@command(".separator COL [ROW]", "Separate values with COL and rows with ROW in list, csv, "
         "quote and ascii (escapes: \\t \\n \\r \\\\ \\NNN)",
         args=(1, 2), complete=(TEXT, TEXT))
def separator(state: ShellState, args: list[str]) -> None:
    """As sqlite3's: COL goes between values and ROW after each row in the
    list, csv, quote and ascii formats (line ends its lines with ROW). The
    next .mode sets them to its own again (list: | and a line feed; csv: ,).
    Backslash escapes are resolved as sqlite3 resolves them: \\t a tab, \\n
    a line feed, \\r, \\\\, \\NNN an octal byte; quote an argument for a
    space (.separator ' | ')."""
    settings = state.settings
    settings.separator = unescape(args[0])
    if len(args) > 1:
        settings.row_separator = unescape(args[1])


#: The widest .width accepted (sqlite3 has no limit; a wider column only
#: pads every line with spaces).
MAX_WIDTH = 10_000


@command(".width [N ...]", "Set the widths of the columns in column, box and table "
         "(0: automatic, negative: right-aligned); none resets them",
         args=(0, None), complete=(TEXT,))
def width(state: ShellState, args: list[str]) -> None:
    """As sqlite3's: the Nth number is the Nth column's width in
    characters. A value longer than its width continues on the next line of
    its cell and a longer column name is cut; a negative width right-aligns
    the column; 0 (or a column past the last number) sizes the column to
    its values. .width with no number resets all."""
    widths = []
    for arg in args:
        text = arg.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit()) or int(digits) > MAX_WIDTH:
            raise usage_error(".width", f"{arg!r} is not a width: an integer from "
                              f"-{MAX_WIDTH} to {MAX_WIDTH}")
        widths.append(int(text))
    state.settings.widths = widths


@command(".blob [auto|hex|text|base64]",
         "Show BLOBs as X'hex' (default), b'text' if printable UTF-8 (auto), lossy "
         "text or base64; csv/json keep theirs",
         args=(0, 1), complete=(BLOB,))
def blob(state: ShellState, args: list[str]) -> None:
    """auto shows a BLOB holding valid, printable UTF-8 (tabs and line breaks
    allowed) as b'...', so that it is never taken for a TEXT value, and any
    other BLOB as X'hex'. text decodes every BLOB as UTF-8, invalid bytes as
    U+FFFD: readable but lossy. Control characters are escaped on a terminal
    as for any text.

    csv, json and jsonl are for programs and keep one exact encoding whatever
    .blob says: csv the X'..' literal (hex), json and jsonl a base64 string
    (as the Go shell's -f json)."""
    from dqlite_shell.shell.output import resolve_blob
    if not args:
        state.print(state.settings.blob)
        return
    try:
        state.settings.blob = resolve_blob(args[0])
    except ValueError as e:
        raise usage_error(".blob", str(e)) from None


@command(".headers on|off", "Print column names before the rows, or not",
         args=(1, 1), complete=(ONOFF,))
def headers(state: ShellState, args: list[str]) -> None:
    state.settings.headers = on_off(".headers", args[0])
    state.settings.headers_set = True  # .mode column leaves it alone, as in sqlite3


@command(".nullvalue TEXT", "Print NULL as TEXT (default: nothing)",
         args=(1, 1), complete=(TEXT,))
def nullvalue(state: ShellState, args: list[str]) -> None:
    state.settings.nullvalue = args[0]
