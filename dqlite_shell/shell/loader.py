"""The batch loader: rows into one dqlite table, in batched transactions.

Used by ``.import`` (and ``.restore``). Rows go in as multi-row
``INSERT INTO t VALUES (?,?),(?,?)...`` statements with bound parameters
(never pasted into the SQL text), and a batch of rows makes one
transaction: ``BEGIN``; the inserts; ``COMMIT``. dqlite replicates at COMMIT,
so one batch costs one Raft round however many statements it holds. Memory
is bounded by one batch.

What happens to rows when something fails, in one place:

- A row the server refuses (a constraint, a type error ...): SQLite undid
  that one statement; its rows are sent again one by one, in the same
  transaction, up to the bad one, whose line is named; the batch's rows
  before it are committed (all-or-nothing: everything is rolled back). So
  after any :class:`LoadError`, every row before ``error.line`` is in and
  none from it on (but for ``uncertain``, below).
- The leader is lost while a batch is open (before its COMMIT was sent, or
  COMMIT refused as not-leader): the server rolled it back, so the batch is
  provably not in and is sent again to the new leader (at most
  :data:`RESENDS` times).
- The leader is lost while it ran a COMMIT: the batch may or may not be in.
  Nothing is re-sent; the error names the lines of that batch
  (``uncertain``).
- Inside a transaction the user opened, rows are added to it: no BEGIN or
  COMMIT of the loader's own; ``all_or_nothing`` makes the whole load one
  transaction of its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dqlite_shell.client.errors import ClientError, LeadershipLost, ServerError, TransactionLost
from dqlite_shell.sqltext import double_quoted
from dqlite_shell.wire.constants import MAX_PARAMS

if TYPE_CHECKING:
    from dqlite_shell.shell.progress import Progress
    from dqlite_shell.shell.state import ShellState


def table_name(table: str, schema: str | None = None) -> str:
    """``"schema"."table"`` or ``"table"``, as sqlite3's .import writes it."""
    return f"{double_quoted(schema)}.{double_quoted(table)}" if schema else double_quoted(table)

#: Values per transaction (one Raft round each), as rows: between 1,000
#: and 20,000 rows. Measured on 3 loopback nodes, 4 columns (rows/s, 1.11 /
#: 1.18): 1,000 rows 142k on 1.18; 5,000 312k / 391k; 20,000 354k / 415k;
#: 50,000 326k / 465k. 20,000 keeps a batch (what a failover re-sends) to a
#: few MB.
BATCH_VALUES = 80_000
BATCH_ROWS = 20_000
#: Parameters per INSERT statement where the server takes more than 255
#: (wire schema 1, dqlite 1.12+): below SQLite's default variable limit
#: (32766). 1.18, 5,000-row batches: 255 -> 249k rows/s, 1,000 -> 335k,
#: 4,000 -> 391k, 16,000 -> 361k. (SQL literals instead of parameters:
#: about 100k rows/s on both servers.)
WIDE_PARAMS = 4000
#: How many times a batch that provably did not run is sent to a new leader.
RESENDS = 3


class LoadError(ClientError):
    """A load stopped at ``line`` of ``source`` because of ``message``.

    ``rows_committed`` rows (lines ``first_line`` to ``last_line``) are in
    the database (or, inside the user's transaction, ``in_open_transaction``,
    added to it); ``resume_line`` is where a new load can start. When the
    leader was lost during a COMMIT, ``uncertain`` holds the lines
    ``(first, last)`` of the batch that may or may not be in, and
    ``resume_line`` is the line after it.
    """

    def __init__(self, source: str, line: int, message: str, *, rows_committed: int,
                 first_line: int | None, last_line: int | None, resume_line: int,
                 uncertain: tuple[int, int] | None = None, uncertain_rows: int = 0,
                 rolled_back: bool = False, in_open_transaction: bool = False):
        self.source, self.line, self.message = source, line, message
        self.rows_committed = rows_committed
        self.first_line, self.last_line = first_line, last_line
        self.resume_line = resume_line
        self.uncertain, self.uncertain_rows = uncertain, uncertain_rows
        self.rolled_back = rolled_back
        self.in_open_transaction = in_open_transaction
        super().__init__(f"{source}:{line}: {message}; {self.outcome()}")

    def outcome(self) -> str:
        """What is in the database now, in words."""
        if self.rolled_back and self.in_open_transaction:
            return "the open transaction was rolled back, with the rows added to it"
        if self.rolled_back:
            return "nothing was imported (the load was one transaction, rolled back)"
        rows = self.rows_committed
        where = "added to the open transaction" if self.in_open_transaction else "imported"
        text = (f"{rows} row{'' if rows == 1 else 's'} {'was' if rows == 1 else 'were'} "
                f"{where}")
        if rows:
            text += f" (lines {self.first_line}-{self.last_line})"
        if self.uncertain:
            first, last = self.uncertain
            text += (f"; the {self.uncertain_rows} rows of lines {first}-{last} may or may "
                     "not have been imported (their COMMIT was under way)")
        return text


@dataclass
class LoadReport:
    """What a finished load did."""
    rows: int
    batches: int
    seconds: float
    first_line: int | None
    last_line: int | None


class Loader:
    """Load rows into ``table`` (its ``columns`` in order) through ``state``'s
    session: :meth:`add` each row with the line it starts on in ``source``,
    then :meth:`finish`. Any failure raises :class:`LoadError` (a failure to
    reach any leader propagates as the client raised it). ``progress``: a
    :class:`Progress`, or None.

    Values are bound as they are given (str, int, float, bytes, None), so
    the column affinities apply as for any INSERT. ``batch_rows``: rows per
    transaction (default: :data:`BATCH_VALUES` values, 1,000 to 20,000
    rows). ``prelude``: statements
    (a CREATE TABLE) run at the start of the first transaction, so that an
    all-or-nothing load that fails leaves nothing behind.
    """

    def __init__(self, state: ShellState, table: str, columns: Sequence[str], *,
                 schema: str | None = None, source: str = "<stdin>",
                 all_or_nothing: bool = False, progress: Progress | None = None,
                 batch_rows: int | None = None, prelude: Sequence[str] = ()):
        if not columns:
            raise ValueError("a table to load needs columns")
        self.session = state.session
        self.source = source
        self.width = len(columns)
        self.progress = progress
        self._target = table_name(table, schema)
        self._names = "(" + ",".join(double_quoted(c) for c in columns) + ")"
        self.in_user_transaction = self.session.transaction.active
        self.all_or_nothing = all_or_nothing and not self.in_user_transaction
        self.batch_rows = batch_rows or min(BATCH_ROWS,
                                            max(1000, BATCH_VALUES // len(columns)))
        self._rows: list[Sequence] = []
        self._lines: list[int] = []
        self._per_statement = 0  # rows per INSERT, known once connected
        self._sql: dict[int, str] = {}
        self.committed = 0
        self.batches = 0
        self.first_line: int | None = None
        self.last_line: int | None = None
        self.started = time.monotonic()
        self._open = False  # all_or_nothing: our one transaction is open
        self._prelude = list(prelude)  # not yet committed
        self._inflight: tuple[int, int, int] | None = None  # the batch being sent
        self._committing = False  # its COMMIT (or the all-or-nothing one) is out

    # -- public API ---------------------------------------------------------

    def add(self, row: Sequence, line: int) -> None:
        """Queue one row (``line``: where it starts in the source); sends a
        batch when one is full. A row of the wrong width is refused here."""
        if len(row) != self.width:
            self._stop(line, f"expected {self.width} columns, found {len(row)}")
        self._rows.append(row)
        self._lines.append(line)
        if len(self._rows) >= self.batch_rows:
            self._send()

    def fail(self, line: int, message: str) -> None:
        """Stop the load at ``line`` for ``message`` (a bad row found by the
        reader): the rows queued before it are sent first, so that everything
        before ``line`` is in; raises LoadError."""
        self._stop(line, message)

    def finish(self) -> LoadReport:
        """Send what is queued (and COMMIT an all-or-nothing load)."""
        self._send(last=True)
        if self._open:
            self._committing = True
            try:
                self.session.execute("COMMIT")
            except (TransactionLost, ServerError) as e:
                self._open = False
                self._rollback()
                self._forget_all()
                raise self._error(self.last_line or 0, _reason(e), rolled_back=True) from None
            except LeadershipLost as e:
                # All of it or nothing: the one COMMIT's fate is unknown.
                self._open = False
                span, rows = (self.first_line or 0, self.last_line or 0), self.committed
                self._forget_all()
                raise self._error(span[1], _reason(e), uncertain=span,
                                  uncertain_rows=rows) from None
            finally:
                self._committing = False
            self._open = False
        if self.progress is not None:
            self.progress.close()
        return LoadReport(self.committed, self.batches, time.monotonic() - self.started,
                          self.first_line, self.last_line)

    def abort(self) -> LoadError:
        """Give the load up (an interrupt, a reader failure): the open batch,
        or the all-or-nothing transaction, is rolled back (a request still
        awaiting its answer gives its connection up, which rolls back too);
        committed batches stay. Returns (does not raise) the LoadError that
        says what is in: a COMMIT that was under way is uncertain."""
        if self.progress is not None:
            self.progress.close()
        inflight, self._inflight = self._inflight, None
        committing, self._committing = self._committing, False
        try:
            self.session.cancel()  # only gives the socket up while an answer is awaited
        except ClientError:
            pass
        if not self.in_user_transaction:
            self._rollback()
        self._open = False
        queued = self._lines
        self._rows, self._lines = [], []
        if inflight is not None:
            line = inflight[0]
        else:
            line = queued[0] if queued else (self.last_line or 0) + 1
        if committing and self.all_or_nothing:
            span, rows = (self.first_line or 0, self.last_line or 0), self.committed
            self._forget_all()
            return self._error(span[1], "interrupted", uncertain=span, uncertain_rows=rows)
        if committing and inflight is not None:
            return self._error(line, "interrupted", uncertain=inflight[:2],
                               uncertain_rows=inflight[2])
        return self._error(line, "interrupted",
                           rolled_back=self.all_or_nothing or (
                               self.in_user_transaction and not self.session.transaction.active))

    # -- sending ------------------------------------------------------------

    def _send(self, last: bool = False) -> None:
        """Send the queued rows as one batch (one transaction); ``last``:
        also when none are queued but the prelude has not run."""
        if not self._rows and not (last and self._prelude):
            return
        rows, lines = self._rows, self._lines
        self._rows, self._lines = [], []
        own = not (self.in_user_transaction or self.all_or_nothing)
        first, final = (lines[0], lines[-1]) if lines else (0, 0)
        self._inflight = (first, final, len(rows))
        for attempt in range(RESENDS + 1):
            try:
                self._begin(first)
                self._insert(rows, lines)
                if own:
                    self._commit(rows, lines)
                    self._prelude = []
                break
            except TransactionLost as e:
                # Rolled back by the server: nothing of this batch is in.
                if own and attempt < RESENDS:
                    continue
                raise self._error(first, _reason(e), rolled_back=not own) from None
            except LeadershipLost as e:
                # Not at COMMIT (that one is a LoadError already): an insert
                # whose answer never came. Taken as unknown, never re-sent
                # (in a transaction not ours, nothing of it is committed).
                if not own:
                    raise self._error(first, _reason(e), rolled_back=True) from None
                raise self._error(first, _reason(e), uncertain=(first, final),
                                  uncertain_rows=len(rows)) from None
        self._inflight = None
        self._account(rows, lines)
        if self.progress is not None:
            self.progress.update(self.committed)

    def _begin(self, line: int) -> None:
        """BEGIN (unless a transaction is open), then the prelude if it has
        not run in a transaction that stays."""
        if not (self.in_user_transaction or self._open):
            try:
                self.session.execute("BEGIN")
            except LeadershipLost:
                # The connection is gone and with it anything BEGIN opened.
                raise TransactionLost("the leader was lost at BEGIN") from None
            if self.all_or_nothing:
                self._open = True
        for sql in self._prelude:
            try:
                self.session.execute(sql)
            except ServerError as e:
                if not self.in_user_transaction:
                    self._rollback()
                self._open = False
                raise self._error(line, e.message, rolled_back=self.all_or_nothing) from None
        if self.in_user_transaction or self.all_or_nothing:
            self._prelude = []  # it stays in this transaction

    def _commit(self, rows, lines) -> None:
        first, last = (lines[0], lines[-1]) if lines else (0, 0)
        self._committing = True
        try:
            self.session.execute("COMMIT")
        except LeadershipLost as e:
            raise self._error(first, _reason(e), uncertain=(first, last),
                              uncertain_rows=len(rows)) from None
        except ServerError as e:
            # SQLite refused the COMMIT (a deferred foreign key ...): the
            # transaction is still open; nothing of the batch is in.
            self._rollback()
            raise self._error(first, e.message) from None
        finally:
            self._committing = False

    def _insert(self, rows, lines) -> None:
        """The rows as multi-row INSERTs; a refused one is found row by row."""
        per = self._rows_per_statement()
        for start in range(0, len(rows), per):
            chunk = rows[start:start + per]
            try:
                self.session.execute(self._statement(len(chunk)),
                                     [v for row in chunk for v in row])
            except ServerError as e:
                self._find_bad_row(rows, lines, start, e)

    def _find_bad_row(self, rows, lines, failed_at: int, error: ServerError) -> None:
        """A statement of the batch was refused: name the row. The rows
        before it in the batch are kept (committed, with a batch of our own),
        the rest is rolled back; raises LoadError."""
        end = min(len(rows), failed_at + self._rows_per_statement())
        if not self.session.transaction.active:
            self._rolled_back_by_sqlite(lines, lines[failed_at], error.message,
                                        f" (a row of lines {lines[failed_at]}-{lines[end - 1]})")
        single = self._statement(1)
        bad, message = None, error.message
        # Rows of this batch sent before the refused statement are in the
        # transaction already; try the refused statement's rows one by one.
        for i in range(failed_at, end):
            try:
                self.session.execute(single, list(rows[i]))
            except ServerError as e:
                bad, message = i, e.message
                break
        if bad is None:
            return  # went in one by one (a transient refusal): carry on
        if not self.session.transaction.active:
            self._rolled_back_by_sqlite(lines, lines[bad], message, "")
        if self.all_or_nothing:
            self._rollback()
            self._open = False
            raise self._error(lines[bad], message, rolled_back=True)
        if not self.in_user_transaction:
            self._commit(rows[:bad], lines[:bad] or [lines[bad]])
        self._account(rows[:bad], lines[:bad])
        raise self._error(lines[bad], message)

    def _rolled_back_by_sqlite(self, lines, line: int, message: str, where: str) -> None:
        """SQLite ended the transaction itself (ON CONFLICT ROLLBACK, RAISE
        (ROLLBACK) ...): nothing of this batch (or of the user's or the
        all-or-nothing transaction) is in; raises LoadError."""
        self._open = False
        message = f"{message}{where}; SQLite rolled the transaction back"
        if self.in_user_transaction or self.all_or_nothing:
            raise self._error(line, message, rolled_back=True) from None
        raise self._error(line, message, resume=lines[0]) from None

    def _rows_per_statement(self) -> int:
        if not self._per_statement:
            wide = self.session.server().has("schema_1")
            limit = WIDE_PARAMS if wide else MAX_PARAMS
            self._per_statement = max(1, limit // self.width)
        return self._per_statement

    def _statement(self, count: int) -> str:
        sql = self._sql.get(count)
        if sql is None:
            one = "(" + ",".join("?" * self.width) + ")"
            sql = self._sql[count] = (f"INSERT INTO {self._target}{self._names} VALUES "
                                      + ",".join([one] * count))
        return sql

    def _rollback(self) -> None:
        try:
            if self.session.transaction.active:
                self.session.execute("ROLLBACK")
        except ClientError:
            pass  # a lost connection rolled it back

    # -- bookkeeping ------------------------------------------------------------

    def _account(self, rows, lines) -> None:
        if not rows:
            return
        self.committed += len(rows)
        self.batches += 1
        if self.first_line is None:
            self.first_line = lines[0]
        self.last_line = lines[-1]

    def _forget_all(self) -> None:
        self.committed, self.first_line, self.last_line = 0, None, None

    def _stop(self, line: int, message: str) -> None:
        """A bad row at ``line``: what is queued before it goes in (unless the
        load is all or nothing, which is rolled back)."""
        if self.all_or_nothing:
            self._rows, self._lines = [], []
            self._rollback()
            self._open = False
            self._forget_all()
            raise self._error(line, message, rolled_back=True)
        self._send()
        raise self._error(line, message)

    def _error(self, line: int, message: str, *, uncertain=None, uncertain_rows=0,
               rolled_back=False, resume: int | None = None) -> LoadError:
        if self.progress is not None:
            self.progress.close()
        if rolled_back:
            self._forget_all()
        if resume is None:
            resume = uncertain[1] + 1 if uncertain else line
        return LoadError(self.source, line, message, rows_committed=self.committed,
                         first_line=self.first_line, last_line=self.last_line,
                         resume_line=resume, uncertain=uncertain,
                         uncertain_rows=uncertain_rows, rolled_back=rolled_back,
                         in_open_transaction=self.in_user_transaction)


def _reason(error: Exception) -> str:
    from dqlite_shell.shell.errors import describe
    return describe(error)


__all__ = ["BATCH_ROWS", "LoadError", "LoadReport", "Loader", "table_name"]
