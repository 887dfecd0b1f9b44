"""Running one SQL statement for the shell and printing what it returns."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterable

from dqlite_shell.client.result import RowStream


if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


def _renderer(state: "ShellState", out, columns: list[str], *, terminal: bool | None = None,
              query_plan: bool = False):
    """A renderer for the current settings (``.mode``, ``.headers``,
    ``.nullvalue``, ``.blob``, ``.separator``, ``.width``)."""
    from dqlite_shell.shell.output import make_renderer
    s = state.settings
    return make_renderer(s.mode, out, columns, headers=s.headers, nullvalue=s.nullvalue,
                         terminal=terminal, blob=s.blob, separator=s.separator,
                         row_separator=s.row_separator, widths=s.widths, query_plan=query_plan)


def show(state: "ShellState", columns: list[str], batches: Iterable[list[tuple]], *,
         query_plan: bool = False) -> int:
    """Print rows in the current ``.mode``; returns how many were printed.

    ``batches`` is consumed lazily, so a streamed result is printed in
    constant memory (the table, column and box formats hold a bounded number
    of rows). ``query_plan``: the statement was an EXPLAIN QUERY PLAN (drawn
    as sqlite3 draws it, see :mod:`dqlite_shell.shell.output.plan`).
    """
    if state.paging():
        return _show_paged(state, columns, batches, query_plan)
    renderer = _renderer(state, state.out, columns, query_plan=query_plan)
    count = 0
    try:
        for batch in batches:
            renderer.rows(batch)
            count += len(batch)
    finally:
        renderer.close()
        state.out.flush()
    return count


def _show_paged(state: "ShellState", columns, batches, query_plan: bool) -> int:
    """Stream the rows into ``$PAGER`` (default ``less -SRXF``, which prints a
    result that fits the screen and quits). Quitting the pager stops the
    result (the caller closes it), as ``git`` does."""
    import io
    import os
    import subprocess
    command = os.environ.get("PAGER") or "less -SRXF"
    pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE)
    out = io.TextIOWrapper(pager.stdin, encoding="utf-8", errors="replace", newline="")
    # The pager shows it on the terminal: escape as for one.
    renderer = _renderer(state, out, columns, terminal=True, query_plan=query_plan)
    count = 0
    try:
        for batch in batches:
            renderer.rows(batch)
            count += len(batch)
        renderer.close()
        out.close()
    except BrokenPipeError:
        pass  # the user left the pager: stop reading
    finally:
        try:
            out.close()
        except BrokenPipeError:
            pass
        pager.wait()
    return count


def query(state: "ShellState", sql: str, params=()) -> tuple[list[str], list[tuple]]:
    """Run a read-only statement and return ``(columns, rows)`` (for commands
    that need the rows themselves, e.g. ``.tables``)."""
    result = state.session.execute(sql, params)
    if not isinstance(result, RowStream):
        return [], []
    return result.columns, result.fetchall()


def run_sql(state: "ShellState", sql: str) -> None:
    """Run one statement, print its rows (or the changes count with
    ``.changes on``) and the time with ``.timer on``. Errors propagate."""
    from dqlite_shell import sqltext
    started = time.perf_counter()
    result = state.session.execute(sql)
    if isinstance(result, RowStream):
        try:
            show(state, result.columns, result.batches(), query_plan=sqltext.is_query_plan(sql))
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
