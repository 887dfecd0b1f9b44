"""Running one SQL statement for the shell and printing what it returns."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dqlite_shell.client.result import RowStream

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


def renderer(state: ShellState, out, columns: list[str], *, terminal: bool | None = None,
             query_plan: bool = False):
    """A renderer for the current settings (``.mode``, ``.headers``,
    ``.nullvalue``, ``.blob``, ``.separator``, ``.width``)."""
    from dqlite_shell.shell.output import make_renderer
    s = state.settings
    return make_renderer(s.mode, out, columns, headers=s.headers, nullvalue=s.nullvalue,
                         terminal=terminal, blob=s.blob, separator=s.separator,
                         row_separator=s.row_separator, widths=s.widths, query_plan=query_plan)


def show(state: ShellState, columns: list[str], batches: Iterable[list[tuple]], *,
         query_plan: bool = False, vertical: bool = False, stream: RowStream | None = None) -> int:
    """Print rows in the current ``.mode``; returns how many were printed.

    ``batches`` is consumed lazily, so a streamed result is printed in
    constant memory (the table, column and box formats hold a bounded number
    of rows). ``query_plan``: the statement was an EXPLAIN QUERY PLAN (drawn
    as sqlite3 draws it, see :mod:`dqlite_shell.shell.output.plan`).
    ``vertical``: ``\\G``, shown one column per line.

    The REPL, and the settings of :mod:`.screen` when given, go through
    :func:`.screen.show` (expanded view, ``.maxrows``, ``.pager``, ``.last``);
    scripts and pipes with the defaults stream straight to the renderer.

    ``stream``: the RowStream ``batches`` come from. When more batches are
    coming, the output is not a terminal and the format is list, csv, json,
    jsonl or table, they are printed by the compiled accelerator
    (:mod:`dqlite_shell._speedups`) from their raw bodies, byte for byte as
    the renderer would.
    """
    s = state.settings
    # Checked here, not in screen.py: a one-shot does not import it.
    if (state.interactive or vertical or s.expanded is not None or s.maxrows is not None
            or s.max_cell_width is not None):
        from dqlite_shell.shell import screen
        return screen.show(state, columns, batches, query_plan=query_plan, vertical=vertical)
    out = state.out
    shown = renderer(state, out, columns, query_plan=query_plan)
    if stream is not None and not stream.done:  # one batch: not worth loading it
        from dqlite_shell._speedups.printer import printer
        fast = printer(shown, out)
        if fast is not None:
            return fast.show(stream)
    count = 0
    try:
        for batch in batches:
            shown.rows(batch)
            count += len(batch)
    finally:
        shown.close()
        out.flush()
    return count


def query(state: ShellState, sql: str, params=()) -> tuple[list[str], list[tuple]]:
    """Run a read-only statement and return ``(columns, rows)`` (for commands
    that need the rows themselves, e.g. ``.tables``)."""
    result = state.session.execute(sql, params)
    if not isinstance(result, RowStream):
        return [], []
    return result.columns, result.fetchall()


def run_sql(state: ShellState, sql: str) -> None:
    """Run one statement, print its rows (or the changes count with
    ``.changes on``) and the time with ``.timer on``. Errors propagate."""
    from dqlite_shell import sqltext
    started = time.perf_counter()
    vertical = False
    if state.interactive:  # \G: the REPL's only (a script sends it, and it is refused)
        from dqlite_shell.shell.screen import vertical_statement
        body = vertical_statement(sql)
        if body is not None:
            sql, vertical = body, True
    result = state.session.execute(sql)
    if isinstance(result, RowStream):
        try:
            show(state, result.columns, result.batches(), query_plan=sqltext.is_query_plan(sql),
                 vertical=vertical, stream=result)
        except KeyboardInterrupt:
            raise  # the REPL cancels it, with a short grace (close() would wait)
        except BaseException:
            result.close(grace=0.5)
            raise
        result.close(grace=0.5)  # a no-op unless the rows were left unread (a pager quit)
    elif state.settings.changes:
        state.print(f"changes: {result.rows_affected}   last insert rowid: {result.last_insert_id}")
    if state.settings.timer:
        state.warn(f"Run Time: real {time.perf_counter() - started:.3f}")
