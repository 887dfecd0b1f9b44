"""REPL completion (dqlite_shell.shell.completion) through prompt_toolkit's
completion API, on the schema of a real node: every name is inserted so that
the statement runs, and the statement is then run on the node."""

from __future__ import annotations

import ctypes
import ctypes.util
import time

import pytest
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.completion import SQL_KEYWORDS, SchemaCache, ShellCompleter
from tests.shell.conftest import run_command

SCHEMA = [
    'CREATE TABLE "odd name" ("select" INTEGER, "say ""hi""" TEXT, café TEXT, "x]y" TEXT)',
    'CREATE TABLE MixedCase (plain INTEGER)',
    'CREATE VIEW "it\'s a view" AS SELECT 7 AS seven',
    'INSERT INTO "odd name" VALUES (1, \'hi\', \'crème\', \'bracket\')',
    "INSERT INTO MixedCase VALUES (42)",
    "CREATE TABLE sqlitely (a)",  # not an internal sqlite_ table ('_' is a LIKE wildcard)
]


@pytest.fixture
def completer(shell, node):
    """(shell state on a node holding SCHEMA, a completer with its schema fetched)."""
    state = shell([node.address])
    for sql in SCHEMA:
        state.session.execute(sql)
    cache = SchemaCache(state)
    cache.refresh()
    deadline = time.monotonic() + 10
    while len(cache.tables) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(cache.tables) == ["MixedCase", "it's a view", "odd name", "sqlitely"]
    return state, ShellCompleter(cache, ["table", "csv"])


def offers(completer, before: str, after: str = "") -> dict[str, str]:
    """The completions offered with the cursor after ``before``: the text each
    one gives the whole line -> its meta (table, column, keyword...)."""
    found = {}
    for completion in completer.get_completions(Document(before + after, len(before)),
                                                CompleteEvent(completion_requested=True)):
        buffer = Buffer(document=Document(before + after, len(before)))
        buffer.apply_completion(completion)
        found[buffer.text] = completion.display_meta_text
    return found


def rows(state, sql):
    return state.session.execute(sql).fetchall()


def test_names_needing_quotes_are_inserted_quoted_and_run(completer):
    state, comp = completer
    line = "SELECT * FROM \"odd name\""
    assert offers(comp, "SELECT * FROM od") == {line: "table"}
    assert rows(state, line) == [(1, "hi", "crème", "bracket")]

    done = offers(comp, "SELECT sel", ' FROM "odd name"')
    assert done == {'SELECT "select" FROM "odd name"': "column",
                    'SELECT select FROM "odd name"': "keyword"}
    assert rows(state, 'SELECT "select" FROM "odd name"') == [(1,)]

    done = offers(comp, "SELECT sa", ' FROM "odd name"')
    assert done['SELECT "say ""hi""" FROM "odd name"'] == "column"
    assert rows(state, 'SELECT "say ""hi""" FROM "odd name"') == [("hi",)]

    assert offers(comp, "SELECT x") == {'SELECT "x]y"': "column"}
    assert offers(comp, "SELECT * FROM it") == {"SELECT * FROM \"it's a view\"": "table"}
    assert rows(state, "SELECT * FROM \"it's a view\"") == [(7,)]


def test_plain_names_stay_unquoted(completer):
    # SQLite matches names case-insensitively and reads non-ASCII letters as
    # identifier characters: neither needs quotes.
    state, comp = completer
    assert offers(comp, "SELECT * FROM mix") == {"SELECT * FROM MixedCase": "table"}
    assert offers(comp, "SELECT pla", " FROM MixedCase") == {
        "SELECT plain FROM MixedCase": "column", "SELECT plan FROM MixedCase": "keyword"}
    assert rows(state, "SELECT plain FROM MixedCase") == [(42,)]
    assert offers(comp, "SELECT caf", ' FROM "odd name"') == {
        'SELECT café FROM "odd name"': "column"}
    assert rows(state, 'SELECT café FROM "odd name"') == [("crème",)]


def test_an_opened_quote_is_completed_and_closed(completer):
    state, comp = completer
    assert offers(comp, 'SELECT * FROM "od') == {'SELECT * FROM "odd name"': "table"}
    assert offers(comp, 'SELECT * FROM "od', '" WHERE 1') == {
        'SELECT * FROM "odd name" WHERE 1': "table"}
    assert offers(comp, 'SELECT "say ""h', ' FROM "odd name"') == {
        'SELECT "say ""hi""" FROM "odd name"': "column"}
    assert offers(comp, "SELECT * FROM [od") == {"SELECT * FROM [odd name]": "table"}
    assert offers(comp, "SELECT [x") == {'SELECT "x]y"': "column"}  # [] cannot hold ]
    assert offers(comp, "SELECT * FROM `mi") == {"SELECT * FROM `MixedCase`": "table"}
    for line in ("SELECT * FROM [odd name]", "SELECT * FROM `MixedCase`",
                 'SELECT "x]y" FROM "odd name"'):
        assert rows(state, line)


def test_nothing_inside_strings_and_comments(completer):
    _state, comp = completer
    assert offers(comp, "SELECT 'od") == {}
    assert offers(comp, "SELECT 'it''s od") == {}
    assert offers(comp, "SELECT 1 -- od") == {}
    assert offers(comp, "SELECT /* od") == {}
    # ... but after them, as usual.
    assert offers(comp, "SELECT 'x', /* c */ od") == {"SELECT 'x', /* c */ \"odd name\"": "table"}


def test_dot_command_arguments_are_quoted_as_the_command_line_reads_them(completer):
    state, comp = completer
    assert offers(comp, ".schema od") == {".schema 'odd name'": ""}
    assert offers(comp, ".schema 'odd n") == {".schema 'odd name'": ""}
    assert offers(comp, ".schema it") == {".schema 'it'\"'\"'s a view'": ""}
    assert registry.split_args(".schema 'it'\"'\"'s a view'") == [".schema", "it's a view"]
    assert offers(comp, ".schema Mi") == {".schema MixedCase": ""}
    assert 'CREATE TABLE "odd name"' in run_command(state, ".schema 'odd name'")


def test_keywords_are_sqlites():
    # The names quoted as keywords are exactly the library's own list.
    lib = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    name, size = ctypes.c_char_p(), ctypes.c_int()
    library = set()
    for i in range(lib.sqlite3_keyword_count()):
        assert lib.sqlite3_keyword_name(i, ctypes.byref(name), ctypes.byref(size)) == 0
        library.add(name.value[:size.value].decode())
    assert SQL_KEYWORDS == library


def test_file_names_are_quoted_as_the_command_line_reads_them(tmp_path, monkeypatch):
    (tmp_path / "my file.sql").write_text("SELECT 1;\n")
    (tmp_path / "it's.sql").write_text("SELECT 2;\n")
    (tmp_path / "plain.sql").write_text("SELECT 3;\n")
    monkeypatch.chdir(tmp_path)

    class NoSchema:
        tables = columns = addresses = ()

    comp = ShellCompleter(NoSchema(), ["table"])
    assert set(offers(comp, ".read my")) == {".read 'my file.sql'"}
    assert set(offers(comp, ".read 'my f")) == {".read 'my file.sql'"}
    assert set(offers(comp, ".read pl")) == {".read plain.sql"}
    (line,) = offers(comp, ".read it")
    assert registry.split_args(line) == [".read", "it's.sql"]
