""".restore FILE [--append]: a standalone SQLite file into a dqlite database,
checked table by table with Python's sqlite3."""

from __future__ import annotations

import io
import re
import sqlite3

import pytest

from dqlite_shell.shell.commands.registry import CommandError, UsageError
from dqlite_shell.shell.startup import run_script
from tests.shell.conftest import run_command as run
from tests.shell.test_sql_dump import SCHEMA, content, sqlite_file
from tests.support.chinook import TABLES, make_script


def restored(state, path: str, *flags: str) -> str:
    return run(state, " ".join([".restore", path, *flags]))


def counts(output: str) -> dict[str, tuple[int, int]]:
    """The table of row counts .restore prints: name -> (file, dqlite)."""
    out = {}
    for line in output.splitlines()[1:]:
        match = re.fullmatch(r"(\S+)\s+([\d,]+)\s+([\d,]+)", line)
        if match:
            out[match[1]] = (int(match[2].replace(",", "")), int(match[3].replace(",", "")))
    return out


def test_backup_then_restore_gives_the_same_content(shell, node, tmp_path):
    """A Chinook-shaped database (foreign keys, indexes, a view, a trigger):
    .backup, .restore into a new database, .backup again: every table the
    same, row for row and type for type, and the same schema."""
    state = shell([node.address])
    assert run_script(state, [(io.StringIO(make_script(3000)), "<chinook>")], True) == 0, \
        state.err.getvalue()
    first = str(tmp_path / "first.db")
    run(state, f".backup {first}")
    state.open("copy")
    output = restored(state, first)
    assert counts(output) == {name: (n, n) for name, n in _file_counts(first).items()}
    assert re.search(r"^restored 6 tables \(3,000 rows\), 4 indexes, 1 view, 1 trigger from "
                     rf"{re.escape(first)} in [\d.]+ s, [\d,]+ rows/s$", output, re.M), output
    second = str(tmp_path / "second.db")
    run(state, f".backup {second}")
    assert set(TABLES) <= set(content(first))
    assert content(second) == content(first)
    # foreign keys are enforced again on the shell's connection
    with pytest.raises(Exception, match="FOREIGN KEY constraint failed"):
        state.session.execute("INSERT INTO Album VALUES (9999, 'x', 123456)")


def _file_counts(path: str) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite%'")]
        result = {n: db.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    db.close()
    return result


def test_every_kind_of_value_and_table(shell, node, tmp_path):
    """REALs, BLOBs, NULL and '', odd names, AUTOINCREMENT, WITHOUT ROWID,
    generated columns, BOOLEAN/DATETIME columns holding other types."""
    source = sqlite_file(tmp_path, SCHEMA + "DELETE FROM \"odd name\" WHERE id = 3;"
                                   "INSERT INTO t(c) VALUES ('gap'), ('after');"
                                   "DELETE FROM t WHERE c = 'gap';")
    state = shell([node.address])
    output = restored(state, source)
    assert all(file == ours for file, ours in counts(output).values())
    copy = str(tmp_path / "copy.db")
    run(state, f".backup {copy}")
    assert content(copy) == content(source)
    # rowids are kept, also where they are no column (gaps included)
    with sqlite3.connect(source) as db:
        rowids = db.execute("SELECT rowid, * FROM t ORDER BY rowid").fetchall()
    db.close()
    assert state.session.execute("SELECT rowid, * FROM t ORDER BY rowid").fetchall() == rowids
    assert [r[0] for r in rowids] == [*range(1, 10), 11]
    # the AUTOINCREMENT counter is the file's (3), not the highest id left (2)
    state.session.execute("INSERT INTO \"odd name\"(\"select\") VALUES ('next')")
    assert state.session.execute("SELECT max(id) FROM \"odd name\"").fetchall() == [(4,)]


def test_children_before_parents_and_a_cycle(shell, node, tmp_path):
    source = sqlite_file(tmp_path, """
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id));
        CREATE TABLE parent (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES parent(id),
                             fav INTEGER REFERENCES child(id));
        INSERT INTO parent VALUES (1, NULL, 2), (2, 1, 1);
        INSERT INTO child VALUES (1, 1), (2, 2);
    """)
    state = shell([node.address])
    output = restored(state, source)
    assert counts(output) == {"child": (2, 2), "parent": (2, 2)}
    assert output.index("\nparent") < output.index("\nchild")  # parents first
    assert state.err.getvalue() == ""  # no key broken


def test_rows_that_break_a_foreign_key_are_loaded_and_counted(shell, node, tmp_path):
    source = sqlite_file(tmp_path, """
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (parent INTEGER REFERENCES parent(id));
        INSERT INTO child VALUES (7), (8);
    """)
    state = shell([node.address])
    assert counts(restored(state, source)) == {"parent": (0, 0), "child": (2, 2)}
    assert state.err.getvalue() == ("warning: 2 rows break a foreign key (PRAGMA "
                                    "foreign_key_check lists them)\n")


def test_a_database_with_tables_is_refused_unless_append(shell, node, tmp_path):
    source = sqlite_file(tmp_path, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE);"
                                   "INSERT INTO t VALUES (1, 'a'), (2, 'b');"
                                   "CREATE INDEX tv ON t(v); CREATE TABLE u (x);")
    state = shell([node.address])
    state.session.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    state.session.execute("CREATE VIEW zv AS SELECT 1")
    state.session.execute("INSERT INTO t VALUES (10, 'x')")
    with pytest.raises(CommandError) as info:
        restored(state, source)
    assert str(info.value) == ("database db already has tables: t, zv "
                               "(.restore --append adds to them)")
    assert state.session.execute("SELECT count(*) FROM sqlite_master").fetchall() == [(3,)]
    assert counts(restored(state, source, "--append")) == {"t": (2, 2), "u": (0, 0)}
    assert state.session.execute("SELECT id, v FROM t ORDER BY id").fetchall() == [
        (1, "a"), (2, "b"), (10, "x")]
    # again: the rows clash with those now here; the refused row is named
    with pytest.raises(CommandError) as info:
        restored(state, source, "--append")
    assert str(info.value).startswith(f"{source}:t:1: UNIQUE constraint failed: t.id")
    assert "row 1 of table t" in str(info.value)


def test_inside_minus_1_it_is_all_or_nothing(dqlite, node, tmp_path):
    source = sqlite_file(tmp_path, make_script(500))
    result = dqlite("-s", node.address, "-1", "-c", f".restore {source}",
                    "-c", "SELECT * FROM nosuch")
    assert result.status == 1
    assert result.err.endswith("<command 2>:1: error: no such table: nosuch\n"
                               "<command 2>: rolled back: nothing was applied\n")
    assert dqlite("-s", node.address, "-c", "SELECT count(*) FROM sqlite_master").out == "0\n"
    result = dqlite("-s", node.address, "-1", "-c", f".restore {source}")
    assert result.status == 0, result
    assert "restored 6 tables (500 rows)" in result.out


@pytest.mark.parametrize("setup,message", [
    (None, "cannot open {path}: No such file or directory"),
    ("text", "{path}: file is not a database"),
    ("virtual", "{path} has virtual tables, which .restore does not copy (the server "
                "may lack their module): v"),
])
def test_files_it_cannot_restore(shell, node, tmp_path, setup, message):
    path = tmp_path / "source.db"
    if setup == "text":
        path.write_text("hello, not a database\n" * 100)
    elif setup == "virtual":
        sqlite_file(tmp_path, "CREATE VIRTUAL TABLE v USING fts5(x); CREATE TABLE t (x);",
                    "source.db")
    state = shell([node.address])
    with pytest.raises(CommandError) as info:
        restored(state, str(path))
    assert str(info.value) == message.format(path=path)
    assert state.session.execute("SELECT count(*) FROM sqlite_master").fetchall() == [(0,)]


@pytest.mark.parametrize("line", [".restore", ".restore a b", ".restore --append",
                                  ".restore a --append --append"])
def test_wrong_arguments(shell, line):
    state = shell(["127.0.0.1:1"])
    with pytest.raises(UsageError) as info:
        run(state, line)
    assert str(info.value) == "usage: .restore FILE [--append]"
    assert state._session is None


def test_refused_when_read_only(dqlite, node, tmp_path):
    source = sqlite_file(tmp_path, "CREATE TABLE t (x);")
    result = dqlite("-s", node.address, "--read-only", "-c", f".restore {source}")
    assert result.status == 1
    assert result.err == ("<command>:1: error: refused: .restore writes to the database, and "
                          "the shell is read-only (--read-only): --write allows it\n")
    assert dqlite("-s", node.address, "-c", "SELECT count(*) FROM sqlite_master").out == "0\n"


def test_an_interrupted_restore_says_what_stayed(shell, node, tmp_path, monkeypatch):
    from dqlite_shell.shell import loader
    source = sqlite_file(tmp_path, make_script(2000))
    state = shell([node.address])
    original = loader.Loader.add

    def add(self, row, line):
        if self.source.endswith(":Track") and line == 1200:
            raise KeyboardInterrupt
        original(self, row, line)

    monkeypatch.setattr(loader.Loader, "add", add)
    with pytest.raises(KeyboardInterrupt):
        restored(state, source)
    said = re.fullmatch(rf"{re.escape(source)}: stopped in table Track after ([\d,]+) rows of "
                        r"it; restored before it: Artist, Album\n", state.err.getvalue())
    assert said, state.err.getvalue()
    kept = int(said[1].replace(",", ""))
    assert kept < 1200  # whole batches only: the one being filled is not sent
    assert state.session.execute("SELECT count(*) FROM Track").fetchall() == [(kept,)]
    assert not state.session.transaction.active
    assert state.session.execute("SELECT count(*) FROM Album").fetchall() == \
        [(_file_counts(source)["Album"],)]
