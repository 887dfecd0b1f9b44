""".import through the real ``dqlite`` command against real nodes.

Debian's ``sqlite3`` (3.40) is the oracle: the same file imported by both
gives the same CREATE TABLE text, rows and types. Where this shell differs
on purpose (a record with the wrong number of fields is an error, not
NULL-filled or cut) the test says so.
"""

from __future__ import annotations

import io
import os
import re
import signal
import sqlite3
import subprocess
import time

import pytest

from dqlite_shell.client.session import Session
from tests.shell.conftest import DQLITE, run_dqlite
from tests.support.processes import freeze
from tests.support.sqlite3_cli import needs_sqlite3


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
    ((".separator , ;",), "", 'a,b;1,"x;y";2,"q""\r\n";'),
    ((".separator : \\r",), "", 'a:b\r1:"x\ry"\r'),
    ((".mode ascii",), "", "a\x1fb\x1e1\x1f\"2\"\x1e"),
    ((".mode csv --crlf",), "", 'a,b\r\n1,"x\r\ny"\r\n'),
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
    assert run.err.strip() == ("<stdin>:1: error: .import -: standard input is where this shell "
                               "reads its commands (give the data as a file, or the commands "
                               "with -c or .read)")


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


# -- failover -------------------------------------------------------------------------

_OUTCOME = re.compile(r"(\d+) rows? (?:was|were) imported(?: \(lines (\d+)-(\d+)\))?"
                      r"(?:; the (\d+) rows of lines (\d+)-(\d+) may or may not)?")


def test_leader_killed_mid_import_never_imports_twice_or_loses_silently(cluster_factory,
                                                                        tmp_path):
    """Both outcomes are right, depending on when the leader dies: the batch
    it had not committed is sent to the new leader and the import finishes;
    or its COMMIT was under way and the import stops naming those lines."""
    cluster = cluster_factory(3, processes=True)
    session = Session(cluster.addresses, "db", timeout=15)
    session.execute("CREATE TABLE t (n INTEGER, a TEXT, b TEXT)")  # duplicates would show
    leader = session.leader_address
    session.close()
    total = 150_000
    path = tmp_path / "big.csv"
    path.write_text("".join(f"{i},a{i},b{i}\n" for i in range(1, total + 1)))
    proc = subprocess.Popen(DQLITE + ["-s", ",".join(cluster.addresses), "--timeout", "15",
                                      "-c", f".import --csv {path} t"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = Session(cluster.addresses, "db", timeout=15)
    deadline = time.monotonic() + 60
    while watcher.execute("SELECT count(*) FROM t").fetchall()[0][0] < 10_000:
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
        time.sleep(0.01)
    watcher.close()
    cluster.kill(cluster.addresses.index(leader))
    out, err = proc.communicate(timeout=120)
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        values = [n for (n,) in session.execute("SELECT n FROM t ORDER BY n").fetchall()]
    finally:
        session.close()
    assert len(values) == len(set(values)), "a row was imported twice"
    if proc.returncode == 0:
        assert err == "" and values == list(range(1, total + 1))
        return
    assert proc.returncode == 1, err
    found = _OUTCOME.search(err)
    assert found and "resume with --skip" in err, err
    rows, first, last = int(found[1]), int(found[2]), int(found[3])
    assert (first, last) == (1, rows)
    assert values[:rows] == list(range(1, rows + 1))
    rest = values[rows:]
    if found[4]:  # the batch whose COMMIT was under way: all of it or none
        lo, hi = int(found[5]), int(found[6])
        assert lo == rows + 1 and int(found[4]) == hi - lo + 1
        assert rest in ([], list(range(lo, hi + 1))), (lo, hi, rest[:3], len(rest))
    else:
        assert rest == []


def test_leader_frozen_during_a_commit_names_the_uncertain_lines(cluster_factory, shell):
    """The leader stops (SIGSTOP) just as a batch's COMMIT goes out: the
    loader never learns its fate, so it names that batch's lines as maybe
    imported, re-sends nothing, and the rows before it are in."""
    from dqlite_shell.shell.loader import Loader, LoadError
    cluster = cluster_factory(3, processes=True)
    state = shell(cluster.addresses)
    state.timeout = 2.0  # how long a node holding a statement may show no life
    session = state.session
    session.execute("CREATE TABLE t (n INTEGER)")
    leader = cluster.addresses.index(session.leader_address)
    execute, commits = session.execute, []

    def freezing(sql, params=()):
        if sql == "COMMIT":
            commits.append(sql)
            if len(commits) == 3:
                freeze(cluster.pid(leader))
        return execute(sql, params)

    session.execute = freezing
    loader = Loader(state, "t", ["n"], source="f.csv", batch_rows=1000)
    try:
        with pytest.raises(LoadError) as caught:
            for n in range(1, 10_001):
                loader.add([n], n + 1)
            loader.finish()
    finally:
        os.kill(cluster.pid(leader), signal.SIGCONT)
        cluster.kill(leader)
    error = caught.value
    assert (error.rows_committed, error.uncertain, error.resume_line) == (2000, (2002, 3001),
                                                                          3002)
    assert str(error).startswith("f.csv:2002: ")
    assert str(error).endswith("; 2000 rows were imported (lines 2-2001); the 1000 rows of "
                               "lines 2002-3001 may or may not have been imported (their "
                               "COMMIT was under way)")
    del session.execute
    values = [n for (n,) in read_all(cluster.addresses, "SELECT n FROM t ORDER BY n")]
    assert values in (list(range(1, 2001)), list(range(1, 3001)))
    assert len(commits) == 3  # nothing was sent again


def read_all(addresses, sql):
    session = Session(addresses, "db", timeout=15)
    try:
        return session.execute(sql).fetchall()
    finally:
        session.close()


# -- pieces ---------------------------------------------------------------------------

class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_a_terminal_only_after_its_delay():
    from dqlite_shell.shell.progress import Progress
    err = _Terminal()
    progress = Progress(err, position=lambda: 25_000_000, total=100_000_000, after=0, every=0)
    progress.started -= 2.0  # two seconds in: a quarter read, six seconds left
    progress.update(500_000)
    line = err.getvalue()
    assert line.startswith("\r\x1b[K500,000 rows, 25.0 MB of 100.0 MB, ")
    assert line.endswith(" rows/s, 6 s left")
    progress.close()
    assert err.getvalue().endswith("\r\x1b[K")
    quiet = _Terminal()
    Progress(quiet, after=60).update(1)  # not a second in yet
    piped = io.StringIO()
    Progress(piped, after=0, every=0).update(1)  # not a terminal
    assert quiet.getvalue() == piped.getvalue() == ""


@pytest.mark.parametrize("text, separator, rows", [
    ('a;b\r1;"x\ry";z\r\r', ";", [(1, ["a", "b"]), (2, ["1", "x\ry", "z"]), (4, [""])]),
    ('"q""x";"";\r', ";", [(1, ['q"x', "", ""])]),
])
def test_reader_for_other_row_separators(text, separator, rows):
    from dqlite_shell.shell.import_formats import delimited
    assert list(delimited(io.BytesIO(text.encode()), separator, "\r")) == rows


def test_conflict_rollback_undoes_the_batch_and_says_so(node, tmp_path):
    rows = [f"{i},v{i}" for i in range(1, 25_001)]
    rows[21_000] = "5,dup"  # line 21,002: id 5 again, in the second batch
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    run = imp(node.address, "CREATE TABLE t(id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK, v)",
              f".import --csv {path} t")
    assert run.status == 1
    found = re.search(rf"{re.escape(str(path))}:(\d+): UNIQUE constraint failed: t.id "
                      r"\(a row of lines (\d+)-(\d+)\); SQLite rolled the transaction back; "
                      r"20000 rows were imported \(lines 1-20000\); resume with --skip 20000$",
                      run.err.strip())
    assert found, run
    assert int(found[2]) <= 21_001 <= int(found[3])
    assert read(node.address, "SELECT count(*), max(id) FROM t") == [(20_000, 20_000)]


@pytest.mark.parametrize("block", [4, 7, 1 << 20])
def test_reader_blocks_keep_lines_and_stop_at_a_bad_byte(monkeypatch, block):
    from dqlite_shell.shell import import_formats
    from dqlite_shell.shell.import_formats import ReadError, delimited
    monkeypatch.setattr(import_formats, "_BLOCK", block)
    data = '\ufeffa,b\n"long\nfield é",2\n\n3,4'.encode()
    assert list(delimited(io.BytesIO(data), ",")) == [
        (1, ["a", "b"]), (2, ["long\nfield é", "2"]), (4, [""]), (5, ["3", "4"])]
    got = []
    with pytest.raises(ReadError) as caught:
        for record in delimited(io.BytesIO(b"a,b\n1,2\n3,\x00\n5,6\n"), ","):
            got.append(record)
    assert (got, caught.value.line, caught.value.message) == (
        [(1, ["a", "b"]), (2, ["1", "2"])], 3, "NUL byte (text values cannot hold one)")


def test_interrupt_says_what_is_in_and_where_to_resume(node, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("n\n" + "".join(f"{i}\n" for i in range(1, 400_001)))
    proc = subprocess.Popen(DQLITE + ["-s", node.address, "-c", f".import --csv {path} t"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watcher = Session([node.address], "db", timeout=10)
    try:
        deadline = time.monotonic() + 60
        while not watcher.execute("SELECT count(*) FROM sqlite_master WHERE name = 't'"
                                  ).fetchall()[0][0] or watcher.execute(
                                      "SELECT count(*) FROM t").fetchall()[0][0] < 20_000:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
            time.sleep(0.01)
    finally:
        watcher.close()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    found = re.match(rf"{re.escape(str(path))}:(\d+): interrupted; (\d+) rows were imported "
                     r"\(lines 2-(\d+)\)(?:; the (\d+) rows of lines \d+-\d+ may or may not "
                     r"have been imported \(their COMMIT was under way\))?; (?:check them, then "
                     r")?resume with --skip (\d+)\n", err)
    assert found, err
    rows, last, skip = int(found[2]), int(found[3]), int(found[5])
    assert last == rows + 1 and int(found[1]) == rows + 2
    count = read(node.address, "SELECT count(*) FROM t")[0][0]
    maybe = int(found[4] or 0)
    assert count in (rows, rows + maybe) and skip == 1 + rows + maybe
