"""Whether a transaction is open, followed from the statements that succeed.

The protocol has no way to ask (``sqlite3_get_autocommit`` is not exposed), so
we track BEGIN / COMMIT / END / ROLLBACK / SAVEPOINT / RELEASE as SQLite
interprets them. It decides whether a statement may be retried on a new
leader and backs the driver's ``in_transaction``.
"""

from __future__ import annotations

import functools
import re

from dqlite_shell.sqltext import skip_blank

_WORDS = re.compile(r'[A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]')


@functools.lru_cache(maxsize=512)  # scripts repeat statements; observe() runs on each
def _words(sql: str, limit: int = 4) -> tuple[str, ...]:
    if not _MAY_MATTER.match(sql, skip_blank(sql)):
        return ()
    out = []
    for m in _WORDS.finditer(sql, skip_blank(sql)):
        word = m.group(0)
        out.append(word[1:-1] if word[0] in '"`[' else word.upper())
        if len(out) == limit:
            break
    return tuple(out)


_MAY_MATTER = re.compile(r"(?i)BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE")


class TransactionState:
    """Follows the transaction state of one connection."""

    def __init__(self) -> None:
        self.active = False
        self._by_savepoint = False
        self._savepoints: list[str] = []

    def reset(self) -> None:
        """The connection is gone: so is its transaction."""
        self.active = False
        self._by_savepoint = False
        self._savepoints.clear()

    def observe(self, sql: str) -> None:
        """Account for a statement that succeeded."""
        words = _words(sql)
        if not words:
            return
        first = words[0]
        if first == "BEGIN":
            self.active, self._by_savepoint = True, False
        elif first in ("COMMIT", "END"):
            self.reset()
        elif first == "ROLLBACK":
            rest = words[1:]
            if rest[:1] == ("TRANSACTION",):
                rest = rest[1:]
            if rest[:1] != ("TO",):
                self.reset()
        elif first == "SAVEPOINT" and len(words) > 1:
            if not self.active:
                self.active, self._by_savepoint = True, True
            self._savepoints.append(words[1].upper())
        elif first == "RELEASE" and len(words) > 1:
            name = words[2] if words[1] == "SAVEPOINT" and len(words) > 2 else words[1]
            name = name.upper()
            if name in self._savepoints:
                del self._savepoints[self._savepoints.index(name):]
                if not self._savepoints and self._by_savepoint:
                    self.reset()
