"""Loading rows: ``.import`` of a 1,000,000-row CSV (int, text, real, int),
``.restore`` of the same rows as an SQLite file, against the same kind of
rows piped as INSERT statements inside one BEGIN/COMMIT (as ``sqlite3 .dump``
writes them), on a 3-node loopback cluster of each server. Rows per second;
the Go shell has neither import nor restore."""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile

from benchmarks.run import Row
from benchmarks.servers import label, on_each_server, run_measured

OURS = [sys.executable, "-m", "dqlite_shell"]
ROWS = int(os.environ.get("BENCH_LOAD_ROWS", 1_000_000))
INSERTS = 20_000


def _csv(path: str, rows: int) -> None:
    with open(path, "w") as f:
        f.write("a,b,c,d\n")
        for start in range(1, rows + 1, 10_000):
            f.write("".join(f"{i},text {i},{i * 0.25},{i % 7}\n"
                            for i in range(start, min(rows, start + 9_999) + 1)))


def _sqlite_file(path: str, rows: int) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE rst (a INTEGER PRIMARY KEY, b TEXT, c REAL, d INTEGER)")
    db.executemany("INSERT INTO rst VALUES (?, ?, ?, ?)",
                   ((i, f"text {i}", i * 0.25, i % 7) for i in range(1, rows + 1)))
    db.commit()
    db.close()


def _dump(table: str, rows: int) -> bytes:
    body = "".join(f"INSERT INTO {table} VALUES({i},'text {i}',{i * 0.25},{i % 7});\n"
                   for i in range(1, rows + 1))
    return f"BEGIN TRANSACTION;\n{body}COMMIT;\n".encode()


def run() -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="dqlite-bench-load-") as folder:
        path = os.path.join(folder, "rows.csv")
        _csv(path, ROWS)
        size = os.path.getsize(path)
        sqlite_path = os.path.join(folder, "rows.db")
        _sqlite_file(sqlite_path, ROWS)
        rows.extend(on_each_server(_on_one_server, path, size, sqlite_path))
    return rows


def _on_one_server(name: str, path: str, size: int, sqlite_path: str) -> list[Row]:
    from dqlite_shell.app.local import LocalCluster
    from dqlite_shell.client.session import Session
    with LocalCluster(3, processes=True) as cluster:
        servers = ",".join(cluster.addresses)
        session = Session(cluster.addresses, "db")
        session.execute_script("CREATE TABLE imp (a INTEGER, b TEXT, c REAL, d INTEGER);"
                               "CREATE TABLE ins (a INTEGER, b TEXT, c REAL, d INTEGER);")
        wall, rss, _ = run_measured(OURS + ["-s", servers, "-c",
                                            f".import --csv --skip 1 {path} imp"])
        loaded = session.execute("SELECT count(*) FROM imp").fetchall()[0][0]
        assert loaded == ROWS, loaded
        restored, restored_rss, _ = run_measured(OURS + ["-s", servers, "restored", "-c",
                                                         f".restore {sqlite_path}"])
        session.use("restored")
        count = session.execute("SELECT count(*) FROM rst").fetchall()[0][0]
        assert count == ROWS, count
        piped = run_measured(OURS + ["-s", servers], _dump("ins", INSERTS))[0]
        session.close()
    return [
        Row(label(f".import of a {ROWS:,}-row CSV ({size / 1e6:.0f} MB)", name), ROWS / wall,
            None, "rows/s", f"{wall:.1f} s, peak RSS {rss:.0f} MB; 3 nodes"),
        Row(label(f".restore of the same rows as an SQLite file "
                  f"({os.path.getsize(sqlite_path) / 1e6:.0f} MB)", name), ROWS / restored,
            None, "rows/s", f"{restored:.1f} s, peak RSS {restored_rss:.0f} MB; 3 nodes"),
        Row(label(f"{INSERTS:,} INSERTs piped in BEGIN/COMMIT (.dump style)", name),
            INSERTS / piped, None, "rows/s", f"{piped:.1f} s"),
    ]
