""".dbinfo and .vacuum through the real ``dqlite`` command, on the server of
this run (DQLITE_SHELL_SERVER): a table filled then mostly deleted shows a
high freelist; .vacuum shrinks it where the server allows VACUUM (1.18.2+)
and, elsewhere, says why in one line and changes nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3

import pytest

from dqlite_shell.client.connection import Connection
from dqlite_shell.shell.commands.data import database_files
from tests.shell.conftest import run_dqlite
from tests.support.server_expectations import RANGE, SINGLE_FILE_DUMP, VACUUM_ERROR

#: 2000 rows of 1000 bytes (about 500 pages), then 19 in 20 deleted.
FILL = ("CREATE TABLE v (b BLOB);\n"
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000) "
        "INSERT INTO v SELECT randomblob(1000) FROM c;\n"
        "DELETE FROM v WHERE rowid % 20 != 0;\n")
NAMES = ["database page size", "database page count", "freelist page count",
         "freelist percent", "database size", "text encoding", "user version",
         "application id", "schema cookie", "number of tables", "number of indexes",
         "number of triggers", "number of views", "schema size"]
VACUUM_REFUSAL = (
    f"this server (dqlite {RANGE}) may refuse VACUUM (1.13.0 to 1.18.1 do; 1.18.2 allows it); "
    "to shrink the database instead: .backup FILE, .open NEW, .restore FILE, then point the "
    "application at NEW")


def shell(address: str, *args: str, stdin: str = "", database: str = "db"):
    return run_dqlite("-s", address, *args, database, stdin=stdin)


def ok(address: str, *args: str, stdin: str = "", database: str = "db") -> str:
    result = shell(address, *args, stdin=stdin, database=database)
    assert (result.status, result.err) == (0, ""), result
    return result.out


def info(address: str, *args: str, database: str = "db") -> dict:
    """``.dbinfo ARGS`` in list mode, as {name: value text}."""
    out = ok(address, "-c", " ".join([".dbinfo", *args]), database=database)
    return dict(line.split("|", 1) for line in out.splitlines())


def filled(address: str) -> dict:
    ok(address, stdin=FILL)
    return info(address)


def dumped(address: str, name: str = "db"):
    """The files the node's DUMP returns for ``name`` (None: no such database)."""
    with Connection.connect(address) as conn:
        return database_files(conn.dump, name)


def sqlite_reads(files, tmp_path) -> tuple[int, int, int]:
    """(page size, page count, freelist count) as SQLite reads the dumped files."""
    main = tmp_path / "copy.db"
    main.write_bytes(files[0][1])
    if len(files) > 1 and files[1][1]:
        (tmp_path / "copy.db-wal").write_bytes(files[1][1])
    db = sqlite3.connect(main)
    try:
        return tuple(db.execute("SELECT * FROM pragma_page_size, pragma_page_count, "
                                "pragma_freelist_count").fetchone())
    finally:
        db.close()


def test_a_mostly_deleted_table_shows_a_high_freelist(node_process, tmp_path):
    address = node_process.address
    values = filled(address)
    assert list(values) == NAMES
    pages, free = int(values["database page count"]), int(values["freelist page count"])
    assert pages > 450 and free > 0.9 * pages
    assert float(values["freelist percent"]) == round(100 * free / pages, 1) > 90
    assert int(values["database size"]) == pages * int(values["database page size"])
    assert (values["number of tables"], values["number of indexes"], values["text encoding"]) \
        == ("1", "0", "UTF-8")
    # SQLite itself, reading the files the node holds, counts the same pages.
    assert sqlite_reads(dumped(address), tmp_path) == (
        int(values["database page size"]), pages, free)


@pytest.mark.parametrize("mode", ["json", "csv"])
def test_dbinfo_prints_in_the_output_format(node_process, mode):
    address = node_process.address
    ok(address, stdin=FILL)
    out = ok(address, "-f", mode, "--headers", "-c", ".dbinfo")
    if mode == "json":
        rows = [(r["name"], r["value"]) for r in json.loads(out)]
        assert isinstance(dict(rows)["database page count"], int)
    else:
        table = list(csv.reader(io.StringIO(out)))
        assert table[0] == ["name", "value"]
        rows = [tuple(r) for r in table[1:]]
    assert [name for name, _ in rows] == NAMES


def test_dbinfo_files_adds_the_sizes_dump_returns(node_process):
    address = node_process.address
    ok(address, stdin="CREATE TABLE t (x);\nINSERT INTO t VALUES (randomblob(50000));\n")
    result = shell(address, "-c", ".dbinfo --files")
    assert result.status == 0, result
    values = dict(line.split("|", 1) for line in result.out.splitlines())
    files = dumped(address)
    assert int(values["database file size"]) == len(files[0][1])
    names = list(values)
    assert names[:5] == NAMES[:5] and names[-9:] == NAMES[5:]
    if SINGLE_FILE_DUMP:
        assert "wal file size" not in values
        assert result.err == (f"note: this server (dqlite {RANGE}) folds the WAL into the "
                              "database file it sends: the WAL's own size cannot be learnt\n")
        assert int(values["database file size"]) == int(values["database size"])
    else:
        assert result.err == ""
        assert int(values["wal file size"]) == len(files[1][1]) > 0  # not checkpointed yet


def test_dbinfo_of_another_database_keeps_the_current_one(node_process):
    address = node_process.address
    ok(address, stdin="CREATE TABLE a (x);\nCREATE TABLE b (x);\nCREATE INDEX bx ON b (x);\n",
       database="other")
    ok(address, stdin="CREATE TABLE here (x);\n")
    result = shell(address, stdin=".dbinfo other\n.dbinfo\nSELECT name FROM sqlite_master;\n")
    assert result.status == 0, result
    lines = result.out.splitlines()
    other = dict(line.split("|", 1) for line in lines[:-15])
    current = dict(line.split("|", 1) for line in lines[-15:-1])
    assert (other["number of tables"], other["number of indexes"]) == ("2", "1")
    assert "database file size" in other  # DUMP told whether it exists: its size is known
    assert (current["number of tables"], current["number of indexes"]) == ("1", "0")
    assert lines[-1] == "here"  # the shell's own connection stayed on db


def test_dbinfo_of_a_missing_database_creates_nothing(node_process):
    address = node_process.address
    ok(address, stdin="CREATE TABLE here (x);\n")
    result = shell(address, "-c", ".dbinfo nosuch")
    assert (result.status, result.out) == (1, ""), result
    assert result.err == '<command>:1: error: the leader has no database "nosuch"\n'
    assert dumped(address, "nosuch") is None


def test_vacuum_shrinks_the_database_where_the_server_allows_it(node_process):
    address = node_process.address
    before = filled(address)
    data = ok(address, "-c", ".dump")
    result = shell(address, "-c", ".vacuum")
    if VACUUM_ERROR:  # 1.11 runs it although it is in the range that may refuse it
        assert (result.status, result.out) == (1, ""), result
        assert result.err == f"<command>:1: error: {VACUUM_REFUSAL}\n"
        assert info(address) == before
        assert ok(address, "-c", ".dump") == data
        return
    assert (result.status, result.err) == (0, ""), result
    pages, free = int(before["database page count"]), int(before["freelist page count"])
    size = int(before["database size"])
    rows = [line.split("|") for line in result.out.splitlines()]
    assert rows[0] == ["before", str(pages), str(free), str(size)]
    assert rows[1][0] == "after" and rows[1][2] == "0"
    after = info(address)
    assert int(after["database page count"]) == int(rows[1][1]) == pages - free
    assert int(after["database size"]) == int(rows[1][3]) < size / 10
    assert ok(address, "-c", ".dump") == data  # every row reads back the same


def test_vacuum_prints_in_the_output_format(node_process):
    address = node_process.address
    ok(address, stdin=FILL)
    result = shell(address, "-f", "json", "-c", ".vacuum")
    if VACUUM_ERROR:
        assert result.status == 1 and result.err.endswith(f"{VACUUM_REFUSAL}\n"), result
        return
    rows = json.loads(result.out)
    assert [sorted(r) for r in rows] == [["freelist count", "page count", "size", "vacuum"]] * 2
    assert [r["vacuum"] for r in rows] == ["before", "after"]


def test_vacuum_is_refused_read_only_before_anything_is_sent(node_process):
    address = node_process.address
    before = filled(address)
    result = shell(address, "--read-only", "-c", ".vacuum")
    assert (result.status, result.out) == (1, ""), result
    assert result.err == ("<command>:1: error: refused: .vacuum rewrites the database, and "
                          "the shell is read-only (--read-only): --write allows it\n")
    assert info(address) == before
    # .dbinfo only reads: it runs read-only.
    assert ok(address, "--read-only", "-c", ".dbinfo").startswith("database page size|")


def test_vacuum_inside_a_transaction_is_refused(node_process):
    address = node_process.address
    before = filled(address)
    result = shell(address, stdin="BEGIN;\n.vacuum\nROLLBACK;\n")
    assert result.status == 1, result
    assert result.err == ("<stdin>:2: error: .vacuum cannot run inside a transaction (after "
                          "BEGIN, or anywhere under -1): SQLite vacuums only outside one\n")
    assert info(address) == before


@pytest.mark.parametrize("line,usage", [
    (".dbinfo a b", "usage: .dbinfo [DATABASE] [--files]"),
    (".dbinfo --files --files", "usage: .dbinfo [DATABASE] [--files]"),
    (".vacuum now", "usage: .vacuum"),
])
def test_bad_arguments_are_one_usage_line(listener, line, usage):
    host, port = listener.getsockname()
    result = shell(f"{host}:{port}", "-c", line)
    assert (result.status, result.out) == (1, ""), result
    assert result.err == f"<command>:1: error: {usage}\n"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing connected


def test_vacuum_abbreviated_does_not_run(node_process):
    address = node_process.address
    result = shell(address, "-c", ".vac")
    assert result.status == 1 and "only its full name runs it" in result.err, result


@pytest.fixture(autouse=True)
def _no_stray_files(tmp_path, monkeypatch):
    """The shell runs in an empty dir, which must stay empty (.dbinfo --files
    reads the files into memory, never into the current dir as .dump ADDRESS does)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    yield
    assert os.listdir(cwd) == []
