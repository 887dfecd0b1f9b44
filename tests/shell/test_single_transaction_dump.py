"""``sqlite3 f.db .dump | dqlite -1``: under -1 the whole run is one
transaction; the script's own BEGIN, COMMIT and END are absorbed into it, a
ROLLBACK rolls the whole run back, SAVEPOINTs work as SQLite's."""

from __future__ import annotations

import subprocess

import pytest

from tests.shell.test_sql_dump import SCHEMA, sqlite3_text
from tests.support.sqlite3_cli import needs_sqlite3

pytestmark = needs_sqlite3


def tables(dqlite, address, database="db") -> str:
    result = dqlite("-s", address, database, "-c", "SELECT name FROM sqlite_master "
                    "WHERE type = 'table' ORDER BY name")
    assert result.status == 0, result
    return result.out


@pytest.mark.parametrize("single", [True, False], ids=["-1", "plain"])
def test_a_sqlite3_dump_loads(dqlite, node, tmp_path, single):
    path = str(tmp_path / "f.db")
    sqlite3_text(path, stdin=SCHEMA)
    text = sqlite3_text(path, ".dump")
    assert text.startswith("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
    result = dqlite("-s", node.address, *(["-1"] if single else []), stdin=text)
    assert (result.status, result.err) == (0, "")
    # loaded the same: our dump of it is sqlite3's dump of the file
    assert dqlite("-s", node.address, "-c", ".dump").out == text


def test_the_scripts_commit_is_absorbed_and_a_later_error_undoes_everything(dqlite, node):
    script = ("CREATE TABLE a (x);\nBEGIN;\nINSERT INTO a VALUES (1);\nCOMMIT;\n"
              "BEGIN TRANSACTION;\nINSERT INTO a VALUES (2);\nEND;\n"
              "INSERT INTO nosuch VALUES (3);\n")
    result = dqlite("-s", node.address, "-1", stdin=script)
    assert result.status == 1
    assert result.err == ("<stdin>:8: error: no such table: nosuch\n"
                          "<stdin>: rolled back: nothing was applied\n")
    assert tables(dqlite, node.address) == ""


def test_savepoints_work_as_sqlite_s(dqlite, node):
    script = ("CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nSAVEPOINT s;\n"
              "INSERT INTO a VALUES (2);\nROLLBACK TO s;\nINSERT INTO a VALUES (3);\n"
              "RELEASE s;\nSAVEPOINT t;\nINSERT INTO a VALUES (4);\nROLLBACK TRANSACTION TO t;\n"
              "RELEASE SAVEPOINT t;\nSELECT group_concat(x) FROM a;\n")
    result = dqlite("-s", node.address, "-1", stdin=script)
    assert (result.status, result.out, result.err) == (0, "1,3\n", "")
    assert dqlite("-s", node.address, "-c", "SELECT group_concat(x) FROM a").out == "1,3\n"


def test_a_rollback_on_stdin_undoes_the_whole_run_and_stops_it(dqlite, node):
    script = ("CREATE TABLE a (x);\nBEGIN;\nINSERT INTO a VALUES (1);\nROLLBACK;\n"
              "CREATE TABLE b (y);\n")
    result = dqlite("-s", node.address, "-1", stdin=script)
    assert result.status == 1
    assert result.err == ("<stdin>:4: error: ROLLBACK with -1 (--single-transaction) rolls "
                          "back the whole run, which is one transaction: nothing was applied\n")
    assert tables(dqlite, node.address) == ""


def test_a_rollback_in_command_text_is_refused_before_anything_runs(dqlite, node):
    result = dqlite("-s", node.address, "-1", "-c", "CREATE TABLE a (x);",
                    "-c", "INSERT INTO a VALUES (1);\nROLLBACK")
    assert result.status == 1
    assert result.err == ("<command 2>:2: error: ROLLBACK cannot run with -1 "
                          "(--single-transaction): the whole run is one transaction, and it "
                          "would roll it back; nothing was run\n")
    assert tables(dqlite, node.address) == ""


def test_without_minus_1_the_scripts_transactions_are_its_own(dqlite, node):
    script = ("CREATE TABLE a (x);\nBEGIN;\nINSERT INTO a VALUES (1);\nROLLBACK;\n"
              "INSERT INTO a VALUES (2);\n")
    result = dqlite("-s", node.address, stdin=script)
    assert (result.status, result.err) == (0, "")
    assert dqlite("-s", node.address, "-c", "SELECT x FROM a").out == "2\n"


def test_a_pipe_from_sqlite3(node, tmp_path):
    """The command line of the issue, through a real pipe."""
    path = str(tmp_path / "f.db")
    sqlite3_text(path, stdin="CREATE TABLE kv (k TEXT PRIMARY KEY, v);"
                            "INSERT INTO kv VALUES ('a', 1.5), ('b', x'00'), ('c', NULL);")
    from tests.shell.conftest import DQLITE
    pipe = subprocess.run(f"sqlite3 {path} .dump | {' '.join(DQLITE)} -s {node.address} -1",
                          shell=True, capture_output=True, text=True, timeout=60)
    assert (pipe.returncode, pipe.stderr) == (0, "")
    done = subprocess.run(DQLITE + ["-s", node.address, "-c", "SELECT k, v, typeof(v) FROM kv"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout == "a|1.5|real\nb|X'00'|blob\nc||null\n"


FOREIGN = """\
CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id));
CREATE TABLE parent (id INTEGER PRIMARY KEY);
INSERT INTO child VALUES (1, 10), (2, 20);
INSERT INTO parent VALUES (10), (20);
"""


def test_rows_before_the_table_they_refer_to(dqlite, node, tmp_path):
    """dqlite enforces foreign keys. The dump's first line, PRAGMA
    foreign_keys=OFF, is run before the -1 transaction (SQLite ignores it
    inside one), so the rows load in the dump's order, as in sqlite3."""
    path = str(tmp_path / "f.db")
    sqlite3_text(path, stdin=FOREIGN)
    text = sqlite3_text(path, ".dump")
    assert text.index("INSERT INTO child") < text.index("CREATE TABLE parent")
    result = dqlite("-s", node.address, "-1", stdin=text)
    assert (result.status, result.err) == (0, "")
    assert dqlite("-s", node.address, "-c", ".dump").out == text


def test_a_broken_foreign_key_loads_as_in_sqlite3(dqlite, node, tmp_path):
    path = str(tmp_path / "f.db")
    sqlite3_text(path, stdin=FOREIGN + "INSERT INTO child VALUES (3, 30);")
    result = dqlite("-s", node.address, "-1", stdin=sqlite3_text(path, ".dump"))
    assert (result.status, result.err) == (0, "")
    assert dqlite("-s", node.address, "-c", "SELECT count(*) FROM child").out == "3\n"


def test_foreign_keys_stay_enforced_when_the_script_leaves_them(dqlite, node):
    script = ("CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p REFERENCES p(id));\n"
              "INSERT INTO c VALUES (5);\n")
    result = dqlite("-s", node.address, "-1", stdin=script)
    assert result.status == 1
    assert result.err == ("<stdin>:3: error: FOREIGN KEY constraint failed\n"
                          "<stdin>: rolled back: nothing was applied\n")
    # after a statement, the PRAGMA is SQLite's no-op inside a transaction
    result = dqlite("-s", node.address, "-1", stdin="SELECT 1;\nPRAGMA foreign_keys=OFF;\n"
                    + script)
    assert result.status == 1 and "<stdin>:5: error: FOREIGN KEY constraint failed\n" \
        in result.err
    assert tables(dqlite, node.address) == ""
