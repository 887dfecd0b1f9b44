""".import through the real ``dqlite`` command against real nodes.

Debian's ``sqlite3`` (3.40) is the oracle: the same file imported by both
gives the same CREATE TABLE text, rows and types. Where this shell differs
on purpose (a record with the wrong number of fields is an error, not
NULL-filled or cut) the test says so.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from dqlite_shell.client.session import Session
from tests.shell.conftest import run_dqlite

needs_sqlite3 = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs sqlite3")


def read(address: str, sql: str, database: str = "db") -> list[tuple]:
    session = Session([address], database, timeout=10)
    try:
        return session.execute(sql).fetchall()
    finally:
        session.close()


def typed_rows(table: str, columns: list[str]) -> str:
    picks = ", ".join(f"typeof({c}), {c}" for c in columns)
    return f"SELECT {picks} FROM {table} ORDER BY rowid"


def oracle(tmp_path, *commands: str) -> sqlite3.Connection:
    """Run ``sqlite3 DB COMMANDS...`` and open DB."""
    path = tmp_path / "oracle.db"
    done = subprocess.run(["sqlite3", str(path), *commands], capture_output=True, text=True,
                          timeout=30, cwd=tmp_path)
    assert done.returncode == 0, done
    return sqlite3.connect(path)


def imp(address, *lines, stdin=None, cwd=None):
    args = ["-s", address]
    for line in lines:
        args += ["-c", line]
    return run_dqlite(*args, stdin=stdin, cwd=cwd)


CSV = ('id,name,score,n\n1,alpha,2.5,7\n2,"b,""q""",3,\n3,"multi\nline",1e3,-4\n'
       '4,  spaced ,0x10,\r\n5,"",,\n')


@needs_sqlite3
def test_csv_matches_sqlite3(node, tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    run = imp(node.address, f".import --csv {path} t")
    assert run.status == 0 and run.err == "", run
    ref = oracle(tmp_path, f".import --csv {path} t")
    schema = "SELECT sql FROM sqlite_master WHERE name = 't'"
    assert read(node.address, schema) == ref.execute(schema).fetchall()
    query = typed_rows("t", ["id", "name", "score", "n"])
    assert read(node.address, query) == ref.execute(query).fetchall()
    assert len(read(node.address, query)) == 5


@needs_sqlite3
def test_existing_table_first_record_is_data_and_affinity_applies(node, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2.5\nx,7\n")
    create = "CREATE TABLE t(a INTEGER, b REAL)"
    run = imp(node.address, create, f".import --csv {path} t")
    assert run.status == 0, run
    ref = oracle(tmp_path, create, f".import --csv {path} t")
    query = typed_rows("t", ["a", "b"])
    assert read(node.address, query) == ref.execute(query).fetchall()
    assert read(node.address, "SELECT a FROM t")[0] == ("a",)  # the header went in as data
    run = imp(node.address, "DELETE FROM t", f".import --csv --skip 1 {path} t")
    assert run.status == 0, run
    assert read(node.address, query) == [("integer", 1, "real", 2.5), ("text", "x", "real", 7.0)]


@needs_sqlite3
def test_duplicate_and_empty_header_names_as_sqlite3(node, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text('a,A,b,,"q""x",a,x_1,b_7\n1,2,3,4,5,6,7,8\n')
    run = imp(node.address, f".import --csv {path} h")
    assert run.status == 0, run
    ref = subprocess.run(["sqlite3", str(tmp_path / "o.db"), f".import --csv {path} h"],
                         capture_output=True, text=True, timeout=30)
    assert run.err == ref.stderr  # "Columns renamed during .import ..."
    conn = sqlite3.connect(tmp_path / "o.db")
    schema = "SELECT sql FROM sqlite_master WHERE name = 'h'"
    assert read(node.address, schema) == conn.execute(schema).fetchall()


@needs_sqlite3
@pytest.mark.parametrize("setup, option, data", [
    ((), "--tsv", "a\tb\n1\t\"x\ty\"\n"),
    ((), "--ascii", "a\x1fb\x1e1\x1fline\nbreak\x1e2\x1f\x1e"),
    ((".mode csv",), "", "a,b\n1,2\n"),
    ((), "", 'a|b\n1|"x|y"\n'),  # list mode: the separator "|", quotes as sqlite3
])
def test_formats_match_sqlite3(node, tmp_path, setup, option, data):
    path = tmp_path / "f.txt"
    path.write_bytes(data.encode())
    command = f".import {option} {path} f".replace("  ", " ")
    sqlite3_setup = [".mode tabs"] if option == "--tsv" else list(setup)  # no --tsv in 3.40
    run = imp(node.address, *setup, command)
    assert run.status == 0 and run.err == "", run
    ref = oracle(tmp_path, *sqlite3_setup,
                 command.replace("--tsv ", "") if option == "--tsv" else command)
    query = typed_rows("f", ["a", "b"])
    assert read(node.address, query) == ref.execute(query).fetchall()
    assert read(node.address, query)


def test_jsonl_types_and_missing_keys(node, tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"a": 1, "b": "x", "c": 1.5, "d": null}\n\n{"a": 2, "c": 3}\n'
                    '{"b": "\\u00e9"}\n')
    run = imp(node.address, f".import --jsonl {path} j")
    assert run.status == 0 and run.err == "", run
    assert read(node.address, typed_rows("j", ["a", "b", "c", "d"])) == [
        ("integer", 1, "text", "x", "real", 1.5, "null", None),
        ("integer", 2, "null", None, "integer", 3, "null", None),
        ("null", None, "text", "é", "null", None, "null", None)]


@pytest.mark.parametrize("line, message", [
    ('{"a": 1, "z": 2}', "3: key 'z' is not a column of the first object (a, b)"),
    ('{"a": true}', "3: key 'a': a boolean cannot be a column value"),
    ('{"a": [1]}', "3: key 'a': an array cannot be a column value"),
    ('[1, 2]', "3: expected a JSON object, found an array"),
    ('{"a": 1', "3: not JSON"),
    ('{"a": NaN}', "3: not JSON"),
])
def test_jsonl_bad_lines_stop_with_file_and_line(node, tmp_path, line, message):
    path = tmp_path / "j.jsonl"
    path.write_text('{"a": 1, "b": 2}\n{"a": 3, "b": 4}\n' + line + '\n{"a": 9}\n')
    run = imp(node.address, f".import --jsonl {path} j")
    assert run.status == 1
    assert f"error: {path}:{message}" in run.err
    assert "2 rows were imported (lines 1-2); resume with --skip 2" in run.err
    assert read(node.address, "SELECT a FROM j ORDER BY rowid") == [(1,), (3,)]


def test_bad_row_keeps_the_rows_before_and_resume_finishes(node, tmp_path):
    lines = ["a,b,c"] + [f"{i},x{i},{i}" for i in range(1, 12001)]
    lines[9000] = "9000,short"  # line 9001 of the file
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    run = imp(node.address, f".import --csv {path} t")
    assert run.status == 1
    assert run.err.strip().endswith(
        f"{path}:9001: expected 3 columns, found 2; 8999 rows were imported "
        "(lines 2-9000); resume with --skip 9000"), run
    assert read(node.address, "SELECT count(*), max(CAST(a AS INTEGER)) FROM t") == [(8999, 8999)]
    lines[9000] = "9000,fixed,9000"
    path.write_text("\n".join(lines) + "\n")
    run = imp(node.address, f".import --csv --skip 9000 {path} t")
    assert run.status == 0, run
    assert read(node.address, "SELECT count(*), count(DISTINCT a) FROM t") == [(12000, 12000)]


def test_constraint_failure_inside_a_batch_names_its_line(node, tmp_path):
    rows = [f"{i},v{i}" for i in range(1, 7001)]
    rows[6000] = "17,dup"  # line 6002 (header first) repeats id 17
    path = tmp_path / "t.csv"
    path.write_text("id,v\n" + "\n".join(rows) + "\n")
    run = imp(node.address, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)",
              f".import --csv --skip 1 {path} t")
    assert run.status == 1
    assert (f"{path}:6002: UNIQUE constraint failed: t.id; 6000 rows were imported "
            "(lines 2-6001); resume with --skip 6001") in run.err, run
    assert read(node.address, "SELECT count(*), max(id) FROM t") == [(6000, 6000)]


def test_invalid_utf8_names_its_line(node, tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,ok\n2,\"two\nlines \xff\"\n3,x\n")
    run = imp(node.address, f".import --csv {path} t")
    assert run.status == 1
    assert (f"{path}:4: invalid UTF-8: byte 0xff; 1 row was imported (lines 2-2); "
            "resume with --skip 2") in run.err, run
    assert read(node.address, "SELECT * FROM t") == [("1", "ok")]


def test_all_or_nothing_leaves_nothing_not_even_the_table(node, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(8000)) + "1,2,3\n")
    run = imp(node.address, f".import --csv --all-or-nothing {path} t")
    assert run.status == 1
    assert (f"{path}:8002: expected 2 columns, found 3; nothing was imported (the load was "
            "one transaction, rolled back)") in run.err, run
    assert read(node.address, "SELECT count(*) FROM sqlite_master WHERE name = 't'") == [(0,)]
    path.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(8000)))
    run = imp(node.address, f".import --csv --all-or-nothing {path} t")
    assert run.status == 0, run
    assert read(node.address, "SELECT count(*) FROM t") == [(8000,)]


def test_inside_an_open_transaction_rows_join_it(node, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n2\n")
    run = imp(node.address, "CREATE TABLE t(a)", "BEGIN", f".import --csv --skip 1 {path} t",
              "ROLLBACK", f".import --csv {path} u", "SELECT 1")
    assert run.status == 0, run
    assert read(node.address, "SELECT count(*) FROM t") == [(0,)]
    assert read(node.address, "SELECT a FROM u") == [("1",), ("2",)]


def test_stdin_dash_and_command_source(node, tmp_path):
    run = imp(node.address, ".import --csv - t", stdin="a,b\n1,2\n")
    assert run.status == 0, run
    run = imp(node.address, ".import --csv '|printf \"a,b\\n3,4\\n\"' u")
    assert run.status == 0, run
    assert read(node.address, "SELECT * FROM t UNION ALL SELECT * FROM u") == [
        ("1", "2"), ("3", "4")]
    run = imp(node.address, ".import --csv '|printf \"a\\n1\\n\"; exit 3' v")
    assert run.status == 1
    assert "the command exited with status 3; the rows it printed were imported" in run.err


def test_stdin_dash_refused_when_stdin_is_the_script(node):
    run = run_dqlite("-s", node.address, stdin=".import --csv - t\na,b\n")
    assert run.status == 1
    assert run.err.strip() == ("<stdin>:1: error: .import -: standard input is the script being "
                               "run (give the data as a file, or the script with -c or .read)")


@pytest.mark.parametrize("args, message", [
    ("--schema temp f t", ".import --schema temp: a dqlite database has one schema, main"),
    ("--bogus f t", "unknown option --bogus"),
    ("--csv --jsonl f t", "--csv and --jsonl cannot go together"),
    ("--skip x f t", "--skip takes a count of records"),
    ("f t extra", "extra argument 'extra'"),
    ("--csv no-such-file t", "cannot open: no-such-file: No such file or directory"),
])
def test_bad_arguments_are_one_line(node, tmp_path, args, message):
    run = imp(node.address, f".import {args}", cwd=tmp_path)
    assert run.status == 1
    assert message in run.err and run.err.count("\n") == 1, run


def test_schema_main_and_read_only(node, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a\n1\n")
    run = imp(node.address, f".import --csv --schema main {path} t")
    assert run.status == 0, run
    assert read(node.address, "SELECT sql FROM sqlite_master WHERE name = 't'") == [
        ('CREATE TABLE "t"(\n"a" TEXT)',)]
    run = run_dqlite("-s", node.address, "--read-only", "-c", f".import --csv {path} t")
    assert run.status == 1 and "refused" in run.err, run
    assert read(node.address, "SELECT count(*) FROM t") == [(1,)]


def test_empty_file_and_header_only(node, tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    run = imp(node.address, f".import --csv {empty} e")
    assert run.status == 1 and f"{empty}: empty file" in run.err
    header = tmp_path / "h.csv"
    header.write_text("a,b\n")
    run = imp(node.address, f".import --csv {header} h")
    assert run.status == 0, run
    assert read(node.address, "SELECT count(*) FROM h") == [(0,)]
