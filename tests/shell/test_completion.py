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


# -- completion that follows the statement (issue 17) ---------------------------

SHOP = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users, total REAL)",
    'CREATE TABLE "order items" (order_id INTEGER, line INTEGER, sku TEXT, '
    "FOREIGN KEY (order_id) REFERENCES orders(id))",
    "CREATE TABLE employees (id INTEGER PRIMARY KEY, "
    "boss_id INTEGER REFERENCES employees(id), ename TEXT)",
    "CREATE VIEW big_spenders AS SELECT user_id, total AS spent FROM orders WHERE total > 100",
    "CREATE TABLE gone (x)",
    "CREATE VIEW broken AS SELECT x FROM gone",  # its table dropped below
    "DROP TABLE gone",
    "INSERT INTO users VALUES (1, 'ann', 'ann@example.com'), (2, 'bob', NULL)",
    "INSERT INTO orders VALUES (10, 1, 150.0), (11, 2, 20.0)",
    "INSERT INTO \"order items\" VALUES (10, 1, 'tea')",
    "INSERT INTO employees VALUES (1, NULL, 'chief'), (2, 1, 'clerk')",
]


def _fetched(state, wanted: int) -> SchemaCache:
    cache = SchemaCache(state)
    cache.refresh()
    deadline = time.monotonic() + 10
    while len(cache.tables) < wanted and time.monotonic() < deadline:
        time.sleep(0.02)
    return cache


@pytest.fixture
def shop(shell, node):
    """(shell state on a node holding SHOP, a completer with its schema fetched)."""
    state = shell([node.address])
    for sql in SHOP:
        state.session.execute(sql)
    cache = _fetched(state, 6)
    assert cache.tables == ("big_spenders", "broken", "employees", "order items", "orders",
                            "users")
    return state, ShellCompleter(cache, ["table"])


def ordered(completer, before: str, after: str = "", requested: bool = True) -> list[str]:
    """The texts offered at the cursor after ``before``, in the order offered."""
    event = CompleteEvent(completion_requested=requested)
    return [c.text for c in completer.get_completions(Document(before + after, len(before)),
                                                     event)]


def test_the_schema_has_columns_per_table_and_the_foreign_keys(shop):
    _state, comp = shop
    schema = comp.cache.schema
    assert schema.columns_of("USERS") == ("id", "name", "email")
    assert schema.columns_of("order items") == ("order_id", "line", "sku")
    assert schema.columns_of("big_spenders") == ("user_id", "spent")  # a view's own names
    assert schema.columns_of("broken") == ()  # it fails; the others are still read
    assert schema.primary_keys["orders"] == ("id",)
    keys = {(k.child, k.child_columns, k.parent, k.parent_columns)
            for k in schema.foreign_keys}
    assert keys == {("orders", ("user_id",), "users", ("id",)),  # REFERENCES users: its key
                    ("order items", ("order_id",), "orders", ("id",)),
                    ("employees", ("boss_id",), "employees", ("id",))}


def test_a_qualifier_completes_only_its_tables_columns(shop):
    state, comp = shop
    assert offers(comp, "SELECT u.", " FROM users u") == {
        f"SELECT u.{c} FROM users u": "column" for c in ("id", "name", "email")}
    assert offers(comp, "SELECT o.t", " FROM orders AS o") == {
        "SELECT o.total FROM orders AS o": "column"}
    assert offers(comp, "SELECT i.s", ' FROM "order items" i') == {
        'SELECT i.sku FROM "order items" i': "column"}
    assert offers(comp, 'SELECT "order items".l', ' FROM "order items"') == {
        'SELECT "order items".line FROM "order items"': "column"}
    assert offers(comp, "SELECT users.na") == {"SELECT users.name": "column"}
    assert offers(comp, "SELECT s.", " FROM big_spenders s") == {
        "SELECT s.user_id FROM big_spenders s": "column",
        "SELECT s.spent FROM big_spenders s": "column"}
    # An opened quote after the qualifier: that table's columns, quoted.
    assert offers(comp, 'SELECT u."e', " FROM users u") == {
        'SELECT u."email" FROM users u': "column"}
    # A schema name: its tables.
    assert offers(comp, "SELECT * FROM main.us") == {"SELECT * FROM main.users": "table"}
    assert offers(comp, "SELECT main.users.na") == {"SELECT main.users.name": "column"}
    # Unknown qualifiers and subqueries: nothing.
    assert offers(comp, "SELECT zz.", " FROM users u") == {}
    assert offers(comp, "SELECT q.", " FROM (SELECT 1 AS one) q") == {}
    # WITH names with declared columns.
    assert offers(comp, "WITH r(a, b) AS (SELECT 1, 2) SELECT r.", " FROM r") == {
        "WITH r(a, b) AS (SELECT 1, 2) SELECT r.a FROM r": "column",
        "WITH r(a, b) AS (SELECT 1, 2) SELECT r.b FROM r": "column"}
    for line in ("SELECT u.email FROM users u", 'SELECT i.sku FROM "order items" i',
                 'SELECT "order items".line FROM "order items"', 'SELECT u."email" FROM users u'):
        assert rows(state, line)


def test_the_statements_own_columns_come_first(shop):
    _state, comp = shop
    got = ordered(comp, "SELECT e", " FROM users WHERE 1")
    assert got[0] == "email"
    assert got.index("employees") < got.index("ename")  # then other tables, their columns
    assert got.index("ename") < got.index("each")  # keywords last
    # The FROM clause may come after the cursor, among several statements.
    got = ordered(comp, "SELECT 1; SELECT na", " FROM orders o JOIN users u; SELECT 2")
    assert got[0] == "name"
    assert ordered(comp, "SELECT * FROM users WHERE na")[0] == "name"
    assert ordered(comp, "UPDATE orders SET t")[0] == "total"
    assert ordered(comp, "INSERT INTO orders (u")[:1] == ["user_id"]
    assert ordered(comp, "SELECT * FROM orders ORDER BY t")[0] == "total"
    # After FROM, tables (then keywords), no columns.
    got = ordered(comp, "SELECT * FROM o")
    assert got[:2] == ['"order items"', "orders"]
    assert "order_id" not in got and "or" in got
    assert ordered(comp, "SELECT * FROM users, o")[:2] == ['"order items"', "orders"]


def test_join_offers_foreign_key_joins_both_ways(shop):
    state, comp = shop
    got = ordered(comp, "SELECT * FROM users u JOIN ")
    assert got[0] == "orders o ON o.user_id = u.id"
    assert "users" in got and "orders" in got  # plain names follow
    got = ordered(comp, "SELECT * FROM orders JOIN ")
    assert set(got[:2]) == {"users ON users.id = orders.user_id",
                            '"order items" ON "order items".order_id = orders.id'}
    assert ordered(comp, "SELECT * FROM orders o JOIN ord")[0] == \
        '"order items" oi ON oi.order_id = o.id'
    got = ordered(comp, "SELECT * FROM employees e LEFT JOIN em")
    assert set(got[:2]) == {"employees e2 ON e2.id = e.boss_id",
                            "employees e2 ON e2.boss_id = e.id"}
    # A self-join without aliases gets one, or the statement would be ambiguous.
    assert ordered(comp, "SELECT * FROM employees JOIN em")[0] == \
        "employees e ON e.id = employees.boss_id"
    # Not while typing a blank, only on Tab.
    assert ordered(comp, "SELECT * FROM users u JOIN ", requested=False) == []
    for line in ("SELECT count(*) FROM users u JOIN orders o ON o.user_id = u.id",
                 'SELECT count(*) FROM orders o JOIN "order items" oi ON oi.order_id = o.id',
                 "SELECT count(*) FROM employees e LEFT JOIN employees e2 ON e2.id = e.boss_id",
                 "SELECT count(*) FROM employees JOIN employees e ON e.id = employees.boss_id"):
        assert rows(state, line)[0][0] >= 1, line


def test_on_offers_the_foreign_key_condition(shop):
    state, comp = shop
    assert ordered(comp, "SELECT * FROM users u JOIN orders o ON ")[0] == "o.user_id = u.id"
    assert ordered(comp, "SELECT * FROM users u JOIN orders o ON o")[0] == "o.user_id = u.id"
    got = ordered(comp, "SELECT * FROM users JOIN orders ON u")
    assert got[0] == "orders.user_id = users.id" or got[0] == "user_id"
    assert rows(state, "SELECT u.name FROM users u JOIN orders o ON o.user_id = u.id "
                       "ORDER BY o.id") == [("ann",), ("bob",)]


def test_open_completes_the_databases_the_shell_knows(shop, node):
    state, comp = shop
    assert offers(comp, ".open ") == {".open db": ""}
    state.open("other")
    comp.cache.refresh()  # as the REPL does after .open
    assert ordered(comp, ".open ") == ["db", "other"]  # the current one (other) last
    assert offers(comp, ".open o") == {".open other": ""}


def test_dot_command_options_are_skipped_and_completed(shop, tmp_path, monkeypatch):
    _state, comp = shop
    (tmp_path / "people.csv").write_text("n\n1\n")
    monkeypatch.chdir(tmp_path)
    assert set(offers(comp, ".import --csv pe")) == {".import --csv people.csv"}
    assert set(offers(comp, ".import --skip 1 pe")) == {".import --skip 1 people.csv"}
    assert set(offers(comp, ".import --csv people.csv us")) == {
        ".import --csv people.csv users"}
    assert set(offers(comp, ".import --skip ")) == set()  # the value of --skip
    assert ".import --csv" in offers(comp, ".import --c")
    assert set(offers(comp, ".once --bom pe")) == {".once --bom people.csv"}
    assert set(offers(comp, ".output pe")) == {".output people.csv"}
    for name in (".read", ".import", ".restore", ".once", ".output"):
        assert registry.FILE in registry.lookup(name).complete, name


def test_a_schema_of_thousands_of_tables_is_fetched_in_a_blink(node):
    from dqlite_shell.client.session import Session
    from dqlite_shell.shell.completion_schema import fetch
    session = Session([node.address], "db")
    session.execute("BEGIN")
    for i in range(2000):
        session.execute(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, a, b, c, d, e, f, g, h, "
                        f"up INTEGER REFERENCES t{max(i - 1, 0)}(id))")
    session.execute("COMMIT")
    started = time.monotonic()
    schema = fetch(session, 10.0)
    elapsed = time.monotonic() - started
    session.close()
    assert len(schema.tables) == 2000
    assert schema.columns_of("t1999") == ("id", "a", "b", "c", "d", "e", "f", "g", "h", "up")
    assert len(schema.foreign_keys) == 2000
    assert len(schema.all_columns) == 10
    assert elapsed < 3.0, elapsed  # about 0.3 s here; one query per kind, not per table
    # Completing against it stays quick, and the menu is bounded.
    comp = ShellCompleter(type("Cache", (), {"schema": schema})(), [])
    started = time.monotonic()
    got = ordered(comp, "SELECT * FROM t0 JOIN ")
    assert time.monotonic() - started < 0.5
    assert got[:3] == ["t0 t ON t.id = t0.up", "t0 t ON t.up = t0.id", "t1 ON t1.up = t0.id"]
    assert len(got) == 500


@pytest.mark.parametrize("statement, tables", [
    ("SELECT na FROM users", [("users", None)]),
    ("SELECT * FROM main.users AS u JOIN orders o ON o.user_id = u.id",
     [("users", "u"), ("orders", "o")]),
    ('SELECT * FROM "odd name" o, [x y] AS "q q", `b`', [("odd name", "o"), ("x y", "q q"),
                                                          ("b", None)]),
    ("SELECT * FROM a NATURAL LEFT JOIN b WHERE 1", [("a", None), ("b", None)]),
    ("SELECT * FROM main.", [(None, None)]),
    ("SELECT * FROM json_each(?) j, (SELECT 1) s", [(None, "j"), (None, "s")]),
    ("SELECT * FROM a WHERE x IN (SELECT y FROM b bb)", [("a", None), ("b", "bb")]),
    ("INSERT INTO t (a, b) VALUES (1, 2)", [("t", None)]),
    ("UPDATE OR REPLACE t SET a = 1", [("t", None)]),
    ("DELETE FROM t WHERE a", [("t", None)]),
    ("SELECT 1 IS DISTINCT FROM x", []),
    ("SELECT 'FROM t' -- FROM u\n", []),
])
def test_scope_reads_the_tables_and_aliases(statement, tables):
    from dqlite_shell.shell.completion_scope import scope
    assert [(r.name, r.alias) for r in scope(statement).tables] == tables


@pytest.mark.parametrize("before, kind, qualifier", [
    ("SELECT ", "column", None),
    ("SELECT u.", "qualified", "u"),
    ('SELECT "odd name".', "qualified", "odd name"),
    ("SELECT main.users.", "qualified", "users"),
    ("SELECT * FROM ", "table", None),
    ("SELECT * FROM a, ", "table", None),
    ("SELECT a, ", "column", None),
    ("SELECT * FROM a LEFT JOIN ", "join", None),
    ("SELECT * FROM a JOIN b AS x ON ", "on", None),
    ("SELECT * FROM a JOIN b ON x = 1 AND ", "column", None),
    ("SELECT * FROM a WHERE x IN (SELECT * FROM b, ", "table", None),
    ("INSERT INTO ", "table", None),
    ("UPDATE ", "table", None),
    ("DROP TABLE IF EXISTS ", "table", None),
    ("CREATE TABLE ", "column", None),  # a new name: nothing special
    ("CREATE INDEX i ON ", "table", None),
    ("CREATE TABLE c (p REFERENCES ", "table", None),
])
def test_context_says_what_belongs_at_the_cursor(before, kind, qualifier):
    from dqlite_shell.shell.completion_scope import context
    found = context(before)
    assert (found.kind, found.qualifier) == (kind, qualifier)


def test_statement_at_finds_the_statement_under_the_cursor():
    from dqlite_shell.shell.completion_scope import statement_at
    text = "SELECT ';'; SELECT 2 /* ; */; SELECT 3"
    assert statement_at(text, 3) == (0, 11)
    assert statement_at(text, 15) == (11, 29)
    assert statement_at(text, len(text)) == (29, len(text))


def test_aliases_are_short_and_never_keywords_or_taken():
    from dqlite_shell.shell.completion_scope import alias_for
    assert alias_for("user_orders", []) == "uo"
    assert alias_for("UserOrders", []) == "uo"
    assert alias_for("orders", ["o"]) == "o2"
    assert alias_for("odd name", []) == "on2"  # "on" is a keyword
    assert alias_for("2fa", []) == "t"


def _argument_words(completer, line: str) -> list[str]:
    document = Document(line, len(line))
    return [c.text for c in completer[1].get_completions(document, CompleteEvent())]


@pytest.mark.parametrize("line, words", [
    (".expanded ", ["auto", "on", "off"]),
    (".maxrows a", ["auto"]),
    (".pager ", ["on", "off", "auto"]),
    (".keys ", ["emacs", "vi"]),
    (".history ", ["all"]),
    (".prompt d", ["default"]),
    (".assign 1 s", ["standby", "spare"]),
])
def test_settings_complete_their_words(completer, line, words):
    assert _argument_words(completer, line) == words


def test_fav_completes_its_subcommands_and_the_saved_names(completer, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    from dqlite_shell.shell import favorites
    favorites.save("pods", "SELECT 1;")
    favorites.save("nodes", "SELECT 2;")
    assert _argument_words(completer, ".fav ") == ["save", "list", "delete", "pods", "nodes"]
    assert _argument_words(completer, ".fav delete p") == ["pods"]
    (tmp_path / "dqlite" / "favorites.toml").write_text("[broken")
    assert _argument_words(completer, ".fav ") == ["save", "list", "delete"]
