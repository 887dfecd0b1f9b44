"""``make bench``: every benchmark, side by side with Debian's Go tools, as ratios.

Each ``benchmarks/bench_*.py`` exposes ``run() -> list[Row]``; this script runs
them in one process run and prints one table, then the Ctrl-C table of
``benchmarks/cancel.py`` (per server and case). Arguments pick by name part.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import sys
from dataclasses import dataclass

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


@dataclass
class Row:
    """One measurement: ours, the Go tool's (None when there is no Go
    counterpart) and the floor (None when none is measured: the least any
    client could take, e.g. reading the wire and printing nothing)."""
    name: str
    ours: float
    go: float | None
    unit: str
    note: str = ""
    floor: float | None = None

    @property
    def ratio(self) -> str:
        return f"{self.ours / self.go:.2f}x" if self.go else "-"

    @property
    def floor_ratio(self) -> str:
        return f"{self.ours / self.floor:.2f}x" if self.floor else "-"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f}"


def main(names: list[str]) -> int:
    from tabulate import tabulate

    # Start-up first: its milliseconds are the most easily disturbed, and the
    # other groups leave the disk busy (15,000 INSERTs are still being written
    # back when they end).
    modules = sorted((p.stem for p in HERE.glob("bench_*.py")),
                     key=lambda m: (m != "bench_startup", m))
    if names:
        modules = [m for m in modules if any(n in m for n in names)]
    rows: list[Row] = []
    for name in modules:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(importlib.import_module(f"benchmarks.{name}").run())
    table = [(r.name, _number(r.ours), _number(r.go), _number(r.floor), r.unit, r.ratio,
              r.floor_ratio, r.note) for r in rows]
    if modules:
        print(tabulate(table, headers=["benchmark", "ours", "go", "floor", "unit", "ours/go",
                                       "ours/floor", "note"],
                       colalign=("left", "right", "right", "right", "left", "right", "right",
                                 "left"), disable_numparse=True, preserve_whitespace=True))
    # Ctrl-C per server: a table of its own (server x case), about 100 s.
    if not names or any(n in "cancel" for n in names):
        print("running cancel ...", file=sys.stderr, flush=True)
        if modules:
            print()
        print(importlib.import_module("benchmarks.cancel").section())
    return 0


if __name__ == "__main__":
    os.chdir(HERE.parent)
    sys.exit(main(sys.argv[1:]))
