"""Completion for the REPL: SQL words, the open database's schema, dot-commands
and their arguments.

The schema and the cluster's addresses are fetched in a background thread on
a connection of their own, so completing never waits on the server.

Names are inserted so that the statement stays valid SQL: a table or column
name that is not a plain SQLite identifier, or is an SQLite keyword, goes in
double quotes, inner ones doubled (``"odd name"``, ``"select"``), others as
they are (SQLite matches names case-insensitively, so ``MixedCase`` needs no
quotes).  After an opening ``"``, `````` ` `````` or ``[`` the name is
completed and closed with the same quote.  Nothing is offered inside a
string literal or a comment.  A dot-command argument is quoted as the
dot-command line reads it (POSIX shell words: ``'odd name'``).

What is offered follows the statement under the cursor
(:mod:`.completion_scope`): after FROM, tables; after JOIN, foreign-key joins
(``orders o ON o.user_id = u.id``) then tables; after ``t.`` or ``alias.``,
that table's columns only; elsewhere the columns of the statement's tables
first, then other names, functions and keywords.  The schema comes from
:class:`~dqlite_shell.shell.completion_schema.SchemaCache`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from dqlite_shell.shell import completion_scope as where
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.completion_schema import Schema, SchemaCache  # SchemaCache: re-exported
from dqlite_shell.sqltext import SQL_KEYWORDS
from dqlite_shell.wire.constants import ROLE_NAMES

#: Words completed as keywords: SQLite's keywords, then type names and table
#: options, which SQLite does not reserve (a column may be called ``text``).
KEYWORDS = sorted(SQL_KEYWORDS) + """INTEGER TEXT REAL BLOB NUMERIC BOOLEAN DATETIME
STRICT""".split()

FUNCTIONS = """abs avg changes char coalesce count date datetime glob group_concat hex ifnull iif
instr json json_array json_extract json_group_array json_group_object json_object julianday
last_insert_rowid length like likelihood lower ltrim max min nullif printf quote random
randomblob replace round rtrim sign soundex sqlite_version strftime substr substring sum time
total total_changes trim typeof unicode unixepoch upper zeroblob row_number rank dense_rank
lag lead first_value last_value ntile""".split()

#: The schema names a dqlite connection has (ATTACH is refused).
_SCHEMAS = ("main", "temp")
#: A menu longer than this helps nobody; the rest comes as more is typed.
MAX_OFFERED = 500

ON_OFF = ("on", "off")

# SQLite's identifier characters (its tokenizer's IdChar): ASCII letters,
# digits, "_", "$" and every non-ASCII character; not a digit or "$" first.
# Written as the ASCII characters they are not: a class that spans up to
# U+10FFFF takes re ~5 ms to compile, at every start of the REPL.
_PLAIN_NAME = re.compile(r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"
                         r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*\Z")
_WORD_BEFORE = re.compile(r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]*\Z")
#: An identifier's opening quote -> its closing one.
_CLOSERS = {'"': '"', "`": "`", "[": "]"}


def quote_identifier(name: str) -> str:
    """``name`` as it must be written in SQL: as it is when it is a plain
    identifier and no keyword, else in double quotes (inner ones doubled)."""
    if _PLAIN_NAME.match(name) and name.upper() not in SQL_KEYWORDS:
        return name
    return enclose(name)


def enclose(name: str, quote: str = '"') -> str:
    """``name`` between ``quote`` (``"``, ````` or ``[``) and its closer, an
    inner closer doubled; ``[...]`` cannot hold ``]``, so such a name gets
    double quotes."""
    close = _CLOSERS[quote]
    if quote == "[":
        if "]" not in name:
            return "[" + name + "]"
        quote = close = '"'
    return quote + name.replace(close, close + close) + close


def _shell_word(value: str) -> str:
    """``value`` as one word of a dot-command line (quoted only when a blank
    or a quote would split or change it)."""
    if value and not any(c.isspace() or c in "'\"" for c in value):
        return value
    return shlex.quote(value) if value else "''"


def _quoted(sql: str, i: int, close: str) -> int:
    """Index after the token opened at ``i`` and closed by ``close`` (a
    doubled closer inside it is one character), or -1 when it is not closed."""
    while True:
        end = sql.find(close, i + 1)
        if end < 0:
            return -1
        if close in ("]",) or sql[end + 1:end + 2] != close:
            return end + 1
        i = end + 1


def open_token(sql: str) -> tuple[str, int]:
    """What the end of ``sql`` is inside: ``("code", -1)``, or the kind
    (``"string"``, ``"identifier"``, ``"comment"``) and start of the token
    left open there.  One pass over the text."""
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'" or c in _CLOSERS:
            end = _quoted(sql, i, "'" if c == "'" else _CLOSERS[c])
            if end < 0:
                return ("string" if c == "'" else "identifier"), i
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            if end < 0:
                return "comment", i
            i = end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                return "comment", i
            i = end + 2
        else:
            i += 1
    return "code", -1


def _shell_words(line: str) -> list[tuple[int, str]]:
    """A dot-command line's words as ``(start, value)``, read as
    :func:`~dqlite_shell.shell.commands.registry.split_args` reads them
    (POSIX quotes, no backslash escapes); the last word may be left open,
    and a line ending in a blank outside quotes ends with an empty word."""
    words: list[tuple[int, str]] = []
    start, value, quote, in_word = 0, [], "", False
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
            else:
                value.append(c)
        elif c.isspace():
            if in_word:
                words.append((start, "".join(value)))
                value, in_word = [], False
        else:
            if not in_word:
                start, in_word = i, True
            if c in "'\"":
                quote = c
            else:
                value.append(c)
    if in_word:
        words.append((start, "".join(value)))
    else:
        words.append((len(line), ""))
    return words


@dataclass(frozen=True)
class _Here:
    """The statement around the word being typed: its tables, what belongs
    at the word, and the tables named before it (those a JOIN joins to)."""
    scope: where.Scope
    context: where.Context
    before: tuple[where.TableRef, ...]


def _here(document: Document, typed: int, closed: int = 0) -> _Here:
    """Read the statement under the cursor, without the ``typed`` characters
    before the cursor (the word being completed) and ``closed`` after it."""
    text, cursor = document.text, document.cursor_position
    start, end = where.statement_at(text, cursor)
    before = text[start:cursor - typed]
    found = where.scope(before + " " + text[cursor + closed:end])
    return _Here(found, where.context(before),
                 tuple(r for r in found.tables if r.start < len(before)))


class ShellCompleter(Completer):
    """Completes dot-commands and their arguments, and SQL."""

    def __init__(self, cache: SchemaCache, formats: Iterable[str]):
        self.cache = cache
        self.formats = tuple(formats)
        self._paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event):
        text = document.text_before_cursor
        if text.lstrip().startswith(".") and "\n" not in text:
            yield from self._command(text.lstrip(), document, complete_event)
            return
        kind, start = open_token(text)
        if kind == "identifier":
            yield from self._quoted_names(document, text[start:])
        if kind != "code":
            return
        before = _WORD_BEFORE.search(text)
        assert before is not None  # the pattern matches the empty string too
        word = before.group()
        if word[:1].isdigit() or word[:1] == "$":
            return
        here = _here(document, len(word))
        if not word and not (here.context.kind == where.QUALIFIED or (
                complete_event.completion_requested
                and here.context.kind in (where.JOIN, where.ON))):
            return
        lower = word.lower()
        seen = set()
        for candidate, meta, shown in self._sql_candidates(self.cache.schema, here):
            if not candidate.lower().startswith(lower):
                continue
            if meta == "keyword":  # in the case the user types keywords in
                shown = candidate.upper() if word[:1].isupper() else candidate.lower()
            elif shown is None:
                shown = quote_identifier(candidate)
            key = shown.lower()
            if key not in seen and key != lower:
                seen.add(key)
                yield Completion(shown, -len(word), display_meta=meta)
                if len(seen) >= MAX_OFFERED:
                    return

    def _quoted_names(self, document: Document, typed: str):
        """Names completing an identifier whose opening quote the user typed
        (``typed`` starts with it); the quote is kept and closed."""
        quote = typed[0]
        close = _CLOSERS[quote]
        prefix = typed[1:]
        if quote != "[":
            prefix = prefix.replace(close + close, close)
        lower = prefix.lower()
        after = document.text_after_cursor
        here = _here(document, len(typed), 1 if after.startswith(close) else 0)
        seen = set()
        for name, meta in self._names(self.cache.schema, here):
            if name.lower().startswith(lower) and name not in seen:
                seen.add(name)
                shown = enclose(name, quote)
                if after.startswith(shown[-1]):  # the closing quote is there already
                    shown = shown[:-1]
                if shown != typed:
                    yield Completion(shown, -len(typed), display_meta=meta)
                if len(seen) >= MAX_OFFERED:
                    return

    def _names(self, schema: Schema, here: _Here) -> Iterator[tuple[str, str]]:
        """``(name, meta)``: the names that belong where the cursor is, the
        likeliest first."""
        context, scope = here.context, here.scope
        if context.kind == where.QUALIFIED:
            qualifier = context.qualifier or ""
            meta = "table" if qualifier.lower() in _SCHEMAS else "column"
            for name in self._qualified(schema, scope, qualifier):
                yield name, meta
            return
        if context.kind in (where.COLUMN, where.ON):
            for ref in scope.tables:
                for name in _columns(schema, scope, ref.name):
                    yield name, "column"
            for ref in scope.tables:
                if ref.alias:
                    yield ref.alias, "alias"
        for name in scope.ctes:
            yield name, "table"
        for name in schema.tables:
            yield name, "table"
        if context.kind in (where.COLUMN, where.ON):
            for name in schema.all_columns:
                yield name, "column"

    @staticmethod
    def _qualified(schema: Schema, scope: where.Scope, qualifier: str) -> Iterable[str]:
        """The columns ``qualifier.`` can be followed by: those of the table
        the statement calls so, else of the table or WITH name so named; the
        tables after ``main.`` or ``temp.``; nothing for an unknown name."""
        ref = scope.lookup(qualifier)
        if ref is not None:
            return _columns(schema, scope, ref.name)
        found = _columns(schema, scope, qualifier)
        if found or qualifier in scope.ctes:
            return found
        if qualifier.lower() in _SCHEMAS:
            return schema.tables
        return ()

    def _sql_candidates(self, schema: Schema, here: _Here):
        """``(name to match, meta, text to insert or None to quote name)``."""
        kind = here.context.kind
        if kind == where.JOIN:
            for table, text in where.joins(here.before, schema.foreign_keys, quote_identifier):
                yield table, "join", text
        elif kind == where.ON:
            for text in where.conditions(here.before, schema.foreign_keys, quote_identifier):
                yield text, "join", text
        for name, meta in self._names(schema, here):
            yield name, meta, None
        if kind in (where.QUALIFIED, where.JOIN):
            return
        if kind != where.TABLE:
            for name in FUNCTIONS:
                yield name, "function", name
        for name in KEYWORDS:
            yield name, "keyword", None

    def _command(self, text: str, document: Document, complete_event):
        words = _shell_words(text)
        if len(words) == 1:
            prefix = words[0][1] or "."
            for known in registry.commands():
                if known.name.startswith(prefix):
                    yield Completion(known.name, -len(prefix), display_meta=known.summary)
            return
        cmd = registry.lookup(words[0][1])
        if cmd is None:
            return
        start, current = words[-1]
        typed = text[start:]
        options = _options(cmd.usage)
        if options and current.startswith("-"):
            for option in options:
                if option.startswith(current) and option != current:
                    yield Completion(option, -len(typed))
            return
        position = _position([w for _, w in words[1:-1]], cmd.usage)
        if position is None or position >= len(cmd.complete):
            return
        kind = cmd.complete[position]
        if kind == registry.FILE:
            sub = Document(current, len(current))
            for path in self._paths.get_completions(sub, complete_event):
                word = current[:len(current) + path.start_position] + path.text
                yield Completion(_shell_word(word), -len(typed), display=path.display)
            return
        for candidate in self._choices(kind):
            shown = _shell_word(candidate)
            if candidate.startswith(current) and shown != typed:
                yield Completion(shown, -len(typed))

    def _choices(self, kind: str) -> Iterable[str]:
        if kind == registry.ADDRESS:
            return self.cache.schema.addresses
        if kind == registry.ROLE:
            return ROLE_NAMES
        if kind == registry.FORMAT:
            return self.formats
        if kind == registry.ONOFF:
            return ON_OFF
        if kind == registry.BLOB:
            from dqlite_shell.shell.output.blobs import BLOB_MODES
            return BLOB_MODES
        if kind == registry.KINE:
            from dqlite_shell.shell.commands.kine import SUBCOMMANDS
            return SUBCOMMANDS
        if kind == registry.TABLE:
            return self.cache.schema.tables
        if kind == registry.DATABASE:
            return self.cache.databases()
        if kind == registry.COMMAND:
            return [c.name for c in registry.commands()]
        if kind == registry.FAVORITE:
            return _favorites()
        return registry.choice_words(kind)



def _favorites() -> list[str]:
    """``.fav``'s words: its subcommands, then the saved names (a local file)."""
    from dqlite_shell.shell import favorites
    try:
        names = list(favorites.load())
    except ValueError:  # a broken file: .fav itself says what is wrong
        names = []
    return ["save", "list", "delete", *names]


def _columns(schema: Schema, scope: where.Scope, table: str | None) -> tuple[str, ...]:
    """The columns of ``table``: the schema's, or a WITH name's declared ones."""
    if table is None:
        return ()
    return schema.columns_of(table) or scope.ctes.get(table, ())


_OPTION = re.compile(r"--[a-z][a-z-]*")
_OPTION_WITH_VALUE = re.compile(r"(--[a-z][a-z-]*) [A-Z]")


def _options(usage: str) -> list[str]:
    """The ``--options`` a dot-command's usage line names."""
    return list(dict.fromkeys(_OPTION.findall(usage)))


def _position(words: list[str], usage: str) -> int | None:
    """Which positional argument comes after ``words`` (the arguments typed
    before the current one), options and their values not counted when the
    usage names options; None right after an option that takes a value."""
    if "--" not in usage:
        return len(words)
    takes_value = set(_OPTION_WITH_VALUE.findall(usage))
    position, value_next = 0, False
    for word in words:
        if value_next:
            value_next = False
        elif word.startswith("-") and len(word) > 1:
            value_next = "--" + word.lstrip("-") in takes_value
        else:
            position += 1
    return None if value_next else position
