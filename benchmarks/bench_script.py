"""Splitting a script into statements (no server): one INSERT of many lines,
the case that was quadratic. The Go shell has no equivalent (it reads one
statement per line), so its column is '-'."""

from __future__ import annotations

import time

from benchmarks.run import Row


def _insert(rows: int):
    yield "INSERT INTO t VALUES\n"
    for i in range(rows):
        yield f"({i}, 'row {i}; a semicolon in a string', NULL),\n"
    yield "(0, 'end', NULL);\n"


def _split_seconds(rows: int) -> float:
    from dqlite_shell.shell.script_input import checked_lines, split_script
    lines = list(_insert(rows))
    started = time.perf_counter()
    for _ in split_script(checked_lines(lines)):
        pass
    return time.perf_counter() - started


def run() -> list[Row]:
    small = min(_split_seconds(40_000) for _ in range(3))
    large = _split_seconds(1_000_000)
    return [
        Row("split a 40,000-line INSERT", small, None, "s", "was 5.4 s (quadratic)"),
        Row("split a 1,000,000-line INSERT", large, None, "s",
            f"{large / small:.0f}x the time of 25x fewer lines (linear: about 25x)"),
    ]
