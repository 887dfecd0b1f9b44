"""Completion for the REPL: SQL words, the open database's schema, dot-commands
and their arguments.

The schema and the cluster's addresses are fetched in a background thread on
a connection of their own, so completing never waits on the server.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Iterable

from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from dqlite_shell.shell.commands import registry

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

log = logging.getLogger(__name__)

KEYWORDS = """ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT
BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE
CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED
DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN
FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE
IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY LAST
LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER
OTHERS OUTER OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES
REGEXP REINDEX RELEASE RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT
SET STRICT TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING
VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT INTEGER TEXT REAL BLOB NUMERIC BOOLEAN
DATETIME""".split()

FUNCTIONS = """abs avg changes char coalesce count date datetime glob group_concat hex ifnull iif
instr json json_array json_extract json_group_array json_group_object json_object julianday
last_insert_rowid length like likelihood lower ltrim max min nullif printf quote random
randomblob replace round rtrim sign soundex sqlite_version strftime substr substring sum time
total total_changes trim typeof unicode unixepoch upper zeroblob row_number rank dense_rank
lag lead first_value last_value ntile""".split()

ON_OFF = ("on", "off")
ROLES = ("voter", "standby", "spare")


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
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()]
                columns: set[str] = set()
                for name in names:
                    quoted = '"' + name.replace('"', '""') + '"'
                    columns.update(r[1] for r in session.execute(
                        f"PRAGMA table_info({quoted})").fetchall())
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
        word = document.get_word_before_cursor(WORD=False)
        if not word or not (word[0].isalpha() or word[0] == "_"):
            return
        lower = word.lower()
        seen = set()
        for candidate, meta in self._sql_candidates():
            key = candidate.lower()
            if key.startswith(lower) and key not in seen and key != lower:
                seen.add(key)
                shown = candidate
                if meta == "keyword":  # in the case the user types keywords in
                    shown = candidate.upper() if word[0].isupper() else candidate.lower()
                yield Completion(shown, -len(word), display_meta=meta)

    def _sql_candidates(self):
        for name in self.cache.tables:
            yield name, "table"
        for name in self.cache.columns:
            yield name, "column"
        for name in FUNCTIONS:
            yield name, "function"
        for name in KEYWORDS:
            yield name, "keyword"

    def _command(self, text: str, document: Document, complete_event):
        words = text.split()
        if len(words) <= 1 and not text.endswith(" "):
            prefix = words[0] if words else "."
            for cmd in registry.commands():
                if cmd.name.startswith(prefix):
                    yield Completion(cmd.name, -len(prefix), display_meta=cmd.summary)
            return
        cmd = registry.lookup(words[0])
        if cmd is None:
            return
        position = len(words) - 1 if text.endswith(" ") else len(words) - 2
        current = "" if text.endswith(" ") else words[-1]
        if position >= len(cmd.complete):
            return
        kind = cmd.complete[position]
        if kind == registry.FILE:
            sub = Document(current, len(current))
            yield from self._paths.get_completions(sub, complete_event)
            return
        for candidate in self._choices(kind):
            if candidate.startswith(current) and candidate != current:
                yield Completion(candidate, -len(current))

    def _choices(self, kind: str) -> Iterable[str]:
        if kind == registry.ADDRESS:
            return self.cache.addresses
        if kind == registry.ROLE:
            return ROLES
        if kind == registry.FORMAT:
            return self.formats
        if kind == registry.ONOFF:
            return ON_OFF
        if kind == registry.TABLE:
            return self.cache.tables
        if kind == registry.COMMAND:
            return [c.name for c in registry.commands()]
        return ()


def history_path() -> str:
    """``$XDG_STATE_HOME/dqlite/history`` (default ``~/.local/state/dqlite/history``)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".local", "state")
    return os.path.join(base, "dqlite", "history")
