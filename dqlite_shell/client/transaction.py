"""Whether a transaction is open, followed from the statements that succeed.

The protocol has no way to ask (``sqlite3_get_autocommit`` is not exposed), so
we track BEGIN / COMMIT / END / ROLLBACK / SAVEPOINT / RELEASE as SQLite
interprets them (their words are read by :func:`dqlite_shell.sqltext.analyse`).
It decides whether a statement may be retried on a new leader and backs the
driver's ``in_transaction``.
"""

from __future__ import annotations

from dqlite_shell.sqltext import Statement, analyse


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

    def observe(self, statement: Statement | str) -> None:
        """Account for a statement that succeeded (its text, or its analysis)."""
        if isinstance(statement, str):
            statement = analyse(statement)
        verb = statement.transaction
        if verb is None or verb == "ROLLBACK TO":
            return
        if verb == "BEGIN":
            self.active, self._by_savepoint = True, False
        elif verb in ("COMMIT", "ROLLBACK"):
            self.reset()
        elif statement.savepoint is None:
            return  # SAVEPOINT or RELEASE without a name: SQLite refused it
        elif verb == "SAVEPOINT":
            if not self.active:
                self.active, self._by_savepoint = True, True
            self._savepoints.append(statement.savepoint)
        elif statement.savepoint in self._savepoints:  # RELEASE
            del self._savepoints[self._savepoints.index(statement.savepoint):]
            if not self._savepoints and self._by_savepoint:
                self.reset()
