"""The ROWS decoders of wire/rows.py end to end (issue 18): ``cursor.fetchall()``
of the DB-API, and ``dqlite -c`` list and table output without the
accelerator (``DQLITE_SHELL_NO_SPEEDUPS=1``: with it, list decodes the
bodies itself), each with the ``compiled``, ``generic`` and ``reference``
decoder of benchmarks/wire_decode.py swapped into the client's connections.
One dqlite-node process; each measure alternates the decoders, best of
``--repeat``.

    python benchmarks/decoder_e2e.py [--rows 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from benchmarks.servers import run_measured  # noqa: E402
from benchmarks.wire_decode import decoders  # noqa: E402

# The shell with one decoder swapped in: argv[1] names it, the rest are dqlite's.
SHELL = """
import sys
import dqlite_shell.client.connection as connection
from benchmarks.wire_decode import decoders
make = decoders()[sys.argv.pop(1)]
class Swapped:
    def __init__(self):
        self.decode = make()
connection.RowsDecoder = Swapped
from dqlite_shell.shell.cli import main
sys.argv[0] = "dqlite"
main()
"""

TABLES = {
    "4col": "CREATE TABLE t4 (a INTEGER, b TEXT, c REAL, d INTEGER);"
            "INSERT INTO t4 WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
            "LIMIT {rows}) SELECT n, 'text ' || n, n * 0.25, n % 7 FROM s;",
    "nulls": "CREATE TABLE tn (a INTEGER, b TEXT, c REAL, d INTEGER);"
             "INSERT INTO tn WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
             "LIMIT {rows}) SELECT IIF(n % 5 = 0, NULL, n), IIF(n % 7 = 0, NULL, 'text ' || n),"
             " IIF(n % 3 = 0, NULL, n * 0.25), IIF(n % 2 = 0, NULL, n % 7) FROM s;",
}
SELECTS = {"4col": "SELECT a, b, c, d FROM t4", "nulls": "SELECT a, b, c, d FROM tn"}


class _Swapped:
    """A connection's decoder replaced by one of :func:`decoders`."""

    make = None

    def __init__(self):
        self.decode = type(self).make()


def _fetchall(address: str, select: str, name: str) -> float:
    import dqlite_shell.client.connection as connection
    from dqlite_shell import dbapi
    original = connection.RowsDecoder
    _Swapped.make = decoders()[name]
    connection.RowsDecoder = _Swapped  # type: ignore[misc, assignment]
    try:
        conn = dbapi.connect(address, "db")
        started = time.perf_counter()
        count = len(conn.cursor().execute(select).fetchall())
        wall = time.perf_counter() - started
        conn.close()
    finally:
        connection.RowsDecoder = original  # type: ignore[misc]
    return wall if count else float("nan")


def main(argv: list[str] | None = None) -> int:
    from dqlite_shell.app.local import LocalCluster
    from dqlite_shell.client.session import Session
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    names = list(decoders())
    with LocalCluster(1, processes=True) as cluster:
        address = cluster.addresses[0]
        session = Session([address], "db")
        session.execute_script("".join(t.format(rows=args.rows) for t in TABLES.values()))
        session.close()
        for shape, select in SELECTS.items():
            measures = {
                "fetchall": lambda n, s=select: _fetchall(address, s, n),
                "dqlite -c list": lambda n, s=select: run_measured(
                    ["env", "DQLITE_SHELL_NO_SPEEDUPS=1", sys.executable, "-c", SHELL, n,
                     "-s", address, "-f", "list", "-c", s])[0],
                "dqlite -c table": lambda n, s=select: run_measured(
                    ["env", "DQLITE_SHELL_NO_SPEEDUPS=1", sys.executable, "-c", SHELL, n,
                     "-s", address, "-f", "table", "-c", s])[0],
            }
            for what, measure in measures.items():
                best = dict.fromkeys(names, float("inf"))
                for _ in range(args.repeat):
                    for name in names:  # alternated: a busy moment hits all alike
                        best[name] = min(best[name], measure(name))
                base = best[names[0]]
                print(f"{shape} {args.rows:,} rows, {what}: " + ", ".join(
                    f"{n} {best[n]:.3f} s ({best[n] / base:.2f}x)" for n in names), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
