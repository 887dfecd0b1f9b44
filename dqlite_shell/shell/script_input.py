"""Script text: checking input lines and splitting them into statements and
dot-commands as they complete.

Statements end where SQLite says they do (``sqlite3.complete_statement``), so
strings, quoted identifiers, comments, triggers and several statements on one
line all work; a dot-command counts only at the start of a line with no
statement pending (not inside a comment either); empty statements (``;;``)
are skipped, as in sqlite3.

Splitting is linear in the size of the input: each character is scanned once
(in C, by one regular expression) to find the semicolons outside strings and
comments, and SQLite is asked about a statement only at those semicolons.
"""

# Annotations evaluated (no `from __future__ import annotations`): typing.NamedTuple
# would compile each field's string, ~2 ms of every start over the one-shot's modules.

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from dqlite_shell import sqltext


class Item(NamedTuple):
    """One unit of a script: a statement or a dot-command, with its line."""
    line: int
    text: str
    is_command: bool


class InputError(Exception):
    """A line of a script that cannot be SQL text (invalid UTF-8, a NUL byte)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


#: Characters that decoding UTF-8 with ``errors="surrogateescape"`` leaves for
#: bytes that are not UTF-8, and the NUL character (SQL text cannot hold one).
_UNUSABLE = re.compile("[\x00\udc80-\udcff]")


def checked_lines(lines: Iterable[str]) -> Iterator[str]:
    """``lines`` unchanged, until one holds a NUL or a byte that was not UTF-8
    (decoded with ``surrogateescape``): then InputError naming the line."""
    search = _UNUSABLE.search
    for lineno, line in enumerate(lines, 1):
        bad = search(line)
        if bad is not None:
            raise InputError(lineno, _unusable(bad.group(), bad.start() + 1))
        yield line


def _unusable(char: str, column: int) -> str:
    if char == "\x00":
        return f"NUL byte at column {column} (SQL text cannot hold one)"
    return f"invalid UTF-8: byte 0x{ord(char) - 0xdc00:02x} at column {column}"


# -- splitting --------------------------------------------------------------------

#: Everything up to the next semicolon outside strings, quoted names and
#: comments, or to where one of them starts and does not end. Atomic (``*+``)
#: so that it never backtracks: one pass over the text.
_CODE = re.compile(r"""(?:[^;'"`\[\-/]++|'[^']*+'|"[^"]*+"|`[^`]*+`|\[[^\]]*+\]"""
                   r"""|--[^\n]*+\n|/\*(?s:.*?)\*/|-(?!-)|/(?!\*))*+""")
#: What ends a string, quoted name or comment, by its first character.
_CLOSER = {"'": "'", '"': '"', "`": "`", "[": "]", "-": "\n", "/": "*/"}
_SPACE = re.compile(r"\s*")


def _semicolons(text: str, closer: str | None) -> tuple[list[int], str | None]:
    """The semicolons of ``text`` outside strings and comments, when it starts
    inside the construct that ``closer`` ends (None: in plain SQL); and what
    ends the construct ``text`` ends inside (None: none)."""
    found: list[int] = []
    pos, n = 0, len(text)
    while pos < n:
        if closer is not None:
            end = text.find(closer, pos)
            if end < 0:
                return found, closer
            pos, closer = end + len(closer), None
            continue
        code = _CODE.match(text, pos)
        assert code is not None  # the pattern matches the empty string too
        pos = code.end()
        if pos == n:
            break
        char = text[pos]
        if char == ";":
            found.append(pos)
            pos += 1
        else:
            closer = _CLOSER[char]
            pos += 1 if char in "'\"`[" else 2
    return found, closer


def _blank_line(line: str, in_comment: bool) -> tuple[bool, bool]:
    """Whether ``line`` holds only white space and comments (as
    :func:`sqltext.is_blank` sees it) when it starts ``in_comment``, and
    whether it ends inside a ``/*`` comment."""
    pos, n = 0, len(line)
    if in_comment:
        end = line.find("*/")
        if end < 0:
            return True, True
        pos = end + 2
    while True:
        space = _SPACE.match(line, pos)
        assert space is not None  # the pattern matches the empty string too
        pos = space.end()
        if pos == n:
            return True, False
        if line.startswith("--", pos):
            return True, False  # a line ends with its newline
        if not line.startswith("/*", pos):
            return False, False
        end = line.find("*/", pos + 2)
        if end < 0:
            return True, True
        pos = end + 2


class _Pending:
    """The text of the statement being read, with what is known about it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.line = 0  # the line number of the text's first character
        self.blank = True  # only white space and comments so far
        self.in_comment = False  # ...ending inside a /* comment
        self.scanned = 0  # lines scanned for semicolons
        self.size = 0  # their characters
        self.closer: str | None = None  # what ends the construct they end in

    def add(self, line: str, lineno: int) -> None:
        if not self.lines:
            self.line = lineno
        if self.blank:
            self.blank, self.in_comment = _blank_line(line, self.in_comment)
        self.lines.append(line)

    def statements(self) -> Iterator[Item]:
        """Scan the lines not scanned yet and yield the statements that are complete."""
        new = len(self.lines) - self.scanned
        chunk = self.lines[-1] if new == 1 else "".join(self.lines[self.scanned:])
        found, self.closer = _semicolons(chunk, self.closer)
        base, self.scanned, self.size = self.size, len(self.lines), self.size + len(chunk)
        if not found:
            return
        # A semicolon that does not end the statement (one inside CREATE
        # TRIGGER) never will: only those after it need asking about later.
        text = "".join(self.lines)
        done = 0
        for pos in found:
            statement = text[done:base + pos + 1]
            if not sqltext.complete_statement(statement):
                continue
            if not sqltext.is_blank(statement[:-1]):  # `;;` is no statement
                yield _item(statement, self.line)
            self.line += statement.count("\n")
            done = base + pos + 1
        if done:
            self._keep(text[done:])

    def _keep(self, rest: str) -> None:
        """After statements were taken: ``rest`` is what follows them."""
        if self.closer is None and sqltext.is_blank(rest):
            self.lines, self.blank, self.in_comment, rest = [], True, False, ""
        else:
            self.lines, self.blank = [rest], False
        self.scanned, self.size = len(self.lines), len(rest)

    def last(self) -> Iterator[Item]:
        """At the end of the input: what is left is a statement (the last one
        may lack its semicolon, as in sqlite3)."""
        text = "".join(self.lines)
        if not sqltext.is_blank(text):
            yield _item(text, self.line)


def split_script(lines: Iterable[str]) -> Iterator[Item]:
    """Yield the statements and dot-commands of ``lines`` as they complete."""
    pending = _Pending()
    for lineno, line in enumerate(lines, 1):
        if pending.blank and not pending.in_comment and line.lstrip().startswith("."):
            pending = _Pending()
            yield Item(lineno, line.strip(), True)
            continue
        pending.add(line, lineno)
        if ";" in line:
            yield from pending.statements()
    yield from pending.last()


def _item(statement: str, line: int) -> Item:
    first = sqltext.skip_blank(statement)
    return Item(line + statement.count("\n", 0, first), statement.strip(), False)
