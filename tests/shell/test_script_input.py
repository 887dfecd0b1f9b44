"""Script input: splitting into statements and dot-commands (linear, as
sqlite3 splits), and lines that cannot be SQL text."""

import sqlite3
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell import sqltext
from dqlite_shell.shell.script_input import InputError, Item, checked_lines, split_script


def _reference(lines):
    """The splitting rules written the simple (quadratic) way: the whole
    pending text is asked about on every line."""
    pending, start, items = [], 0, []

    def statements(text, line):
        while True:
            statement, rest = sqltext.split_first(text)
            if not sqlite3.complete_statement(statement):
                return ("" if sqltext.is_blank(text) else text), line
            if not sqltext.is_blank(statement.rstrip(";")):
                first = sqltext.skip_blank(statement)
                items.append(Item(line + statement.count("\n", 0, first), statement.strip(), False))
            line += statement.count("\n")
            text = rest

    for lineno, line in enumerate(lines, 1):
        text = "".join(pending)
        # as sqlite3: a dot-command inside a /* comment is part of the comment
        if not pending or sqltext.is_blank(text) and not sqltext.is_blank(text + "*/"):
            if line.lstrip().startswith("."):
                pending = []
                items.append(Item(lineno, line.strip(), True))
                continue
            if not pending:
                start = lineno
        pending.append(line)
        text = "".join(pending)
        if ";" in line and sqlite3.complete_statement(text):
            rest, start = statements(text, start)
            pending = [rest] if rest else []
    rest, start = statements("".join(pending), start)
    if rest:
        first = sqltext.skip_blank(rest)
        items.append(Item(start + rest.count("\n", 0, first), rest.strip(), False))
    return items


def split(text):
    return list(split_script(text.splitlines(keepends=True)))


FRAGMENTS = ["SELECT 1", "SELECT 'a;b'", ";", " ", "\n", "'", '"x;"', "[a;b]", "`;`", "-- c;\n",
             "/* ; */", "/*", "*/", ".tables\n", "  .headers on\n", "x", "-", "/",
             "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END",
             "EXPLAIN", "END", "BEGIN"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14))
def test_splitting_agrees_with_the_simple_rules(parts):
    text = "".join(parts)
    assert _sql_only(split(text)) == _sql_only(_reference(text.splitlines(keepends=True))), \
        repr(text)


def _sql_only(items):
    """Items with the comments before their SQL left out: a comment left open
    after a statement (``;/*``) stays with the next one when the linear
    splitter reads it, and the simple rules drop it once it closes on a line
    with a semicolon. SQLite ignores it either way; line numbers, statements
    and dot-commands must agree."""
    return [item._replace(text=item.text[sqltext.skip_blank(item.text):]) for item in items]


def test_statements_lines_and_dot_commands():
    script = ("-- a comment; with a semicolon\n"
              "SELECT 1; SELECT 'x;y';\n"
              "  .tables\n"
              "SELECT\n  2\n;\n"
              "/* a\n .not_a_command */ SELECT 3;\n"
              "CREATE TRIGGER t AFTER INSERT ON x BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
              "SELECT 4")
    assert split(script) == [
        Item(2, "-- a comment; with a semicolon\nSELECT 1;", False),
        Item(2, "SELECT 'x;y';", False),
        Item(3, ".tables", True),
        Item(4, "SELECT\n  2\n;", False),
        Item(8, "/* a\n .not_a_command */ SELECT 3;", False),
        Item(9, "CREATE TRIGGER t AFTER INSERT ON x BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;", False),
        Item(13, "SELECT 4", False),
    ]


@pytest.mark.parametrize("script", [";", ";;\n", "SELECT 1;;", "SELECT 1; ;\n", "/* c */ ;",
                                    "  ;\n;\n"])
def test_empty_statements_are_skipped(script):
    texts = [item.text for item in split(script)]
    assert texts == (["SELECT 1;"] if "SELECT" in script else [])


def test_a_statement_runs_as_soon_as_its_line_is_read():
    seen = []

    def lines():
        for line in ("SELECT 1; SELECT\n", "2;\n", "SELECT 3;\n"):
            seen.append(line)
            yield line
    for item in split_script(lines()):
        assert seen[-1].find(item.text.split()[-1]) >= 0  # no line read ahead
    assert len(seen) == 3


def _long_insert(rows):
    yield "INSERT INTO t VALUES\n"
    for i in range(rows):
        yield f"({i}, 'row {i}; with a semicolon', \"q\"),\n"
    yield "(0, 'end', 'x');\n"


def test_splitting_is_linear_in_the_lines_of_one_statement():
    timings = {}
    for rows in (20_000, 80_000):
        started = time.perf_counter()
        (item,) = split_script(_long_insert(rows))
        timings[rows] = time.perf_counter() - started
        assert item.line == 1 and item.text.count("\n") == rows + 1
    # 4x the lines: about 4x the time (it was 16x and more: 40k lines took 5 s).
    assert timings[80_000] < 8 * timings[20_000] + 0.05, timings


@pytest.mark.parametrize("line,message", [
    ("SELECT 1; -- caf\udcc3\udca9 ok? \udcff\n", "invalid UTF-8: byte 0xc3 at column 17"),
    ("SELECT '\x00';\n", "NUL byte at column 9 (SQL text cannot hold one)"),
])
def test_unusable_lines_name_their_line_and_column(line, message):
    lines = checked_lines(["SELECT 0;\n", "\n", line, "SELECT 2;\n"])
    assert next(lines) == "SELECT 0;\n" and next(lines) == "\n"
    with pytest.raises(InputError) as info:
        next(lines)
    assert (info.value.line, str(info.value)) == (3, message)


# -- end to end: the dqlite command on a real node ----------------------------------

import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402

from dqlite_shell.client.session import Session  # noqa: E402
from tests.shell.conftest import DQLITE  # noqa: E402
from tests.support.processes import wait_for_drains  # noqa: E402


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = "/nonexistent"
    return env


def _run(*args, stdin: bytes = b"", cwd=None):
    """``dqlite ARGS`` with bytes in and out (for input that is not UTF-8)."""
    return subprocess.run(DQLITE + list(args), input=stdin, capture_output=True, timeout=60,
                          env=_env(), cwd=cwd)


def _rows(address, sql):
    session = Session([address], "db")
    try:
        result = session.execute(sql)
        return result.fetchall() if hasattr(result, "fetchall") else None
    finally:
        session.close()


@pytest.mark.parametrize("bad,message", [
    (b"-- caf\xff\n", b"invalid UTF-8: byte 0xff at column 7"),
    (b"SELECT '\x00';\n", b"NUL byte at column 9 (SQL text cannot hold one)"),
])
def test_stdin_that_is_not_text_stops_at_its_line(node, bad, message):
    script = (b"CREATE TABLE u (n);\nINSERT INTO u VALUES (1);\n" + bad
              + b"INSERT INTO u VALUES (2);\n")
    run = _run("-s", node.address, stdin=script)
    assert (run.returncode, run.stderr) == (1, b"<stdin>:3: error: " + message + b"\n")
    assert _rows(node.address, "SELECT n FROM u") == [(1,)]


def test_command_text_that_is_not_utf8_names_its_line(node):
    run = _run("-s", node.address,
               "-c", b"CREATE TABLE c (n);\n-- \xe9t\xe9\nINSERT INTO c VALUES (1)")
    assert (run.returncode, run.stderr) == (1, b"<command>:2: error: invalid UTF-8: byte 0xe9 "
                                               b"at column 4\n")
    assert _rows(node.address, "SELECT count(*) FROM c") == [(0,)]


def test_read_of_a_file_that_is_not_utf8_names_file_and_line(node, tmp_path):
    script = tmp_path / "latin1.sql"
    script.write_bytes(b"SELECT 1;\nSELECT 'd\xe9j\xe0';\n")
    run = _run("-s", node.address, "-c", f"SELECT 0;\n.read {script}\nSELECT 2")
    assert run.returncode == 1 and run.stdout == b"0\n1\n"
    assert run.stderr == f"{script}:2: error: invalid UTF-8: byte 0xe9 at column 10\n".encode()


def test_read_of_a_file_that_reads_itself_stops_at_25_deep(node, tmp_path):
    script = tmp_path / "loop.sql"
    script.write_text(f"SELECT 'x';\n.read {script}\n")
    run = _run("-s", node.address, stdin=f".read {script}\n".encode())
    assert run.returncode == 1
    assert run.stdout == b"x\n" * 25
    assert run.stderr.decode() == (f"{script}:2: error: cannot read {script}: .read is nested "
                                   "25 deep (does a file read itself?)\n")


def test_several_c_run_in_order_and_empty_statements_are_skipped(node):
    run = _run("-s", node.address, "-c", "CREATE TABLE m (n);;", "-c", ";",
               "-c", "INSERT INTO m VALUES (1);; INSERT INTO m VALUES (2)",
               "-c", "SELECT count(*) FROM m")
    assert (run.returncode, run.stdout, run.stderr) == (0, b"2\n", b"")
    run = _run("-s", node.address, "-c", "SELECT 1", "-c", "SELECT 2;\nBAD", "-c", "SELECT 3")
    assert (run.returncode, run.stdout) == (1, b"1\n2\n")
    assert run.stderr.startswith(b"<command 2>:2: error: ") and run.stderr.count(b"\n") == 1
    run = _run("-s", node.address, "-c", "SELECT 1", "db", "SELECT 2")
    assert run.returncode == 2 and b"not both" in run.stderr


def test_a_closed_output_pipe_ends_the_script_quietly(node):
    many = ("SELECT 1 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 200000) SELECT x FROM c)")
    for extra in ([], ["--keep-going"]):
        child = subprocess.Popen(DQLITE + ["-s", node.address, *extra, "-c",
                                           f"CREATE TABLE IF NOT EXISTS p (n); {many}; {many}; "
                                           "INSERT INTO p VALUES (1)"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        assert child.stdout.readline() == b"1\n"
        child.stdout.close()  # as `| head -1` does
        _, err = child.communicate(timeout=60)
        assert (child.returncode, err) == (1, b"")
    assert _rows(node.address, "SELECT count(*) FROM p") == [(0,)]  # the script stopped
    wait_for_drains(node.address)  # the rest of the result, before the node stops


def test_open_inside_a_transaction_is_refused(node):
    run = _run("-s", node.address, "--keep-going", stdin=b"CREATE TABLE o (n);\nBEGIN;\n"
               b"INSERT INTO o VALUES (1);\n.open other\nINSERT INTO o VALUES (2);\nCOMMIT;\n")
    assert run.returncode == 1
    assert run.stderr == (b"<stdin>:4: error: .open cannot run inside a transaction (after "
                          b"BEGIN, or anywhere under -1): it would end the transaction\n")
    assert _rows(node.address, "SELECT n FROM o ORDER BY n") == [(1,), (2,)]


def test_single_transaction_refuses_open_before_anything_runs(node):
    run = _run("-s", node.address, "-1", "-c", "CREATE TABLE s1 (n);\nINSERT INTO s1 VALUES (1);\n"
               ".open other\nINSERT INTO s1 VALUES (2)")
    assert (run.returncode, run.stdout) == (1, b"")
    assert run.stderr.startswith(b"<command>:3: error: .open cannot run inside a transaction")
    assert run.stderr.endswith(b"; nothing was run\n") and run.stderr.count(b"\n") == 1
    assert _rows(node.address, "SELECT count(*) FROM sqlite_master WHERE name = 's1'") == [(0,)]
    # stdin is not read ahead: the refusal comes inside the transaction, which rolls back
    run = _run("-s", node.address, "-1", stdin=b"CREATE TABLE s2 (n);\nINSERT INTO s2 VALUES (1);\n"
               b".transfer 127.0.0.1:1\nINSERT INTO s2 VALUES (2);\n")
    assert run.returncode == 1
    lines = run.stderr.decode().splitlines()
    assert lines[0].startswith("<stdin>:3: error: .transfer cannot run inside a transaction")
    assert lines[1:] == ["<stdin>: rolled back: nothing was applied"]
    assert _rows(node.address, "SELECT count(*) FROM sqlite_master WHERE name = 's2'") == [(0,)]


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_says_where_the_script_stopped(node, signum, status):
    _rows(node.address, "CREATE TABLE g (n INTEGER PRIMARY KEY)")
    rows = 100_000
    child = subprocess.Popen(DQLITE + ["-s", node.address], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    writer = __import__("threading").Thread(target=_feed, args=(child.stdin, rows), daemon=True)
    writer.start()
    deadline = time.monotonic() + 60
    while _rows(node.address, "SELECT count(*) FROM g")[0][0] < 1000:
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.01)
    child.send_signal(signum)
    _, err = child.communicate(timeout=60)
    assert child.returncode == status
    (line,) = err.decode().splitlines(keepends=True)
    line = line.rstrip("\n")
    prefix, _, rest = line.partition(": interrupted; ")
    assert rest == "statements before this line were applied"
    stopped = int(prefix.split(":")[1])
    (count,) = _rows(node.address, "SELECT count(*) FROM g")[0]
    assert 1000 <= count < rows
    # Line N inserts N: every line before the one named ran; none after it did.
    assert _rows(node.address, f"SELECT count(*) FROM g WHERE n < {stopped}") == [(stopped - 1,)]
    assert count in (stopped - 1, stopped)


def _feed(pipe, rows):
    try:
        for n in range(1, rows + 1):
            pipe.write(f"INSERT INTO g VALUES ({n});\n".encode())
        pipe.close()
    except (BrokenPipeError, ValueError):
        pass


def test_results_that_cannot_be_written_stop_the_script_at_their_line(node):
    run = _run("-s", node.address, "--keep-going", stdin=b"CREATE TABLE f (n);\n.output /dev/full\n"
               b"SELECT 1;\nINSERT INTO f VALUES (1);\n")
    assert (run.returncode, run.stderr) == (
        1, b"<stdin>:3: error: cannot write the results: No space left on device\n")
    assert _rows(node.address, "SELECT count(*) FROM f") == [(0,)]
