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
"""

from __future__ import annotations

import logging
import re
import shlex
import threading
from typing import TYPE_CHECKING, Iterable

from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from dqlite_shell.shell.commands import registry
from dqlite_shell.sqltext import SQL_KEYWORDS

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

log = logging.getLogger(__name__)


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

ON_OFF = ("on", "off")
ROLES = ("voter", "standby", "spare")

# SQLite's identifier characters (its tokenizer's IdChar): ASCII letters,
# digits, "_", "$" and every non-ASCII character; not a digit or "$" first.
_PLAIN_NAME = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*\Z")
_WORD_BEFORE = re.compile(r"[A-Za-z0-9_$\x80-\U0010ffff]*\Z")
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


class SchemaCache:
    """Table, view and column names of the open database, and node addresses.

    :meth:`refresh` starts a background fetch on its own connection (bounded
    by a short timeout); readers always get the last complete answer.
    """

    def __init__(self, state: "ShellState", timeout: float = 2.0):
        self._state = state
        self._timeout = timeout
        self._lock = threading.Lock()
        self.tables: list[str] = []
        self.columns: list[str] = []
        self.addresses: list[str] = []
        self._running = False
        self._again = False

    def refresh(self) -> None:
        if self._state.offline is not None:
            return  # dqlite --offline: no cluster to ask
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._fetch, daemon=True, name="dqlite-schema").start()

    def _fetch(self) -> None:
        from dqlite_shell.client.session import Session
        while True:
            state = self._state
            session = Session(state.session.store.addresses() or state.servers, state.database,
                              timeout=self._timeout, ssl_context=state.ssl_context)
            try:
                names = [r[0] for r in session.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name").fetchall()]
                columns: set[str] = set()
                for name in names:
                    columns.update(r[1] for r in session.execute(
                        f"PRAGMA table_info({quote_identifier(name)})").fetchall())
                addresses = [n.address for n in session.cluster()]
                with self._lock:
                    self.tables, self.columns = names, sorted(columns)
                    self.addresses = addresses
            except Exception as e:  # noqa: BLE001 - completion must never break the prompt
                log.debug("schema refresh failed: %s", e)
            finally:
                session.close()
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False


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
            yield from self._quoted_names(text[start:], document.text_after_cursor)
        if kind != "code":
            return
        word = _WORD_BEFORE.search(text).group()
        if not word or word[0].isdigit() or word[0] == "$":
            return
        lower = word.lower()
        seen = set()
        for candidate, meta in self._sql_candidates():
            if not candidate.lower().startswith(lower):
                continue
            if meta == "keyword":  # in the case the user types keywords in
                shown = candidate.upper() if word[0].isupper() else candidate.lower()
            elif meta == "function":
                shown = candidate
            else:
                shown = quote_identifier(candidate)
            key = shown.lower()
            if key not in seen and key != lower:
                seen.add(key)
                yield Completion(shown, -len(word), display_meta=meta)

    def _quoted_names(self, typed: str, after: str):
        """Names completing an identifier whose opening quote the user typed
        (``typed`` starts with it); the quote is kept and closed."""
        quote = typed[0]
        close = _CLOSERS[quote]
        prefix = typed[1:]
        if quote != "[":
            prefix = prefix.replace(close + close, close)
        lower = prefix.lower()
        seen = set()
        for name, meta in self._names():
            if name.lower().startswith(lower) and name not in seen:
                seen.add(name)
                shown = enclose(name, quote)
                if after.startswith(shown[-1]):  # the closing quote is there already
                    shown = shown[:-1]
                if shown != typed:
                    yield Completion(shown, -len(typed), display_meta=meta)

    def _names(self):
        for name in self.cache.tables:
            yield name, "table"
        for name in self.cache.columns:
            yield name, "column"

    def _sql_candidates(self):
        yield from self._names()
        for name in FUNCTIONS:
            yield name, "function"
        for name in KEYWORDS:
            yield name, "keyword"

    def _command(self, text: str, document: Document, complete_event):
        words = _shell_words(text)
        if len(words) == 1:
            prefix = words[0][1] or "."
            for cmd in registry.commands():
                if cmd.name.startswith(prefix):
                    yield Completion(cmd.name, -len(prefix), display_meta=cmd.summary)
            return
        cmd = registry.lookup(words[0][1])
        if cmd is None:
            return
        position = len(words) - 2
        start, current = words[-1]
        typed = text[start:]
        if position >= len(cmd.complete):
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
            return self.cache.addresses
        if kind == registry.ROLE:
            return ROLES
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
            return self.cache.tables
        if kind == registry.COMMAND:
            return [c.name for c in registry.commands()]
        return ()

