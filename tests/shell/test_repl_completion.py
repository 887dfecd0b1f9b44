"""Completion in the REPL, typed in a real pseudo-terminal (pexpect) against a
real node: each Tab's result is run, and the output proves what was inserted."""

import functools
import re
import sqlite3

import pexpect
import pytest

from dqlite_shell.client.session import Session

SHOP = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), "
    "total REAL)",
    "CREATE TABLE employees (id INTEGER PRIMARY KEY, ename TEXT)",
    'CREATE TABLE "odd name" (x TEXT)',
    "INSERT INTO users VALUES (1, 'ann', 'ann@example.com'), (2, 'bob', NULL)",
    "INSERT INTO orders VALUES (10, 1, 150.5)",
    "INSERT INTO \"odd name\" VALUES ('odd row')",
]


@pytest.fixture
def repl(repl, tmp_path):
    """The shell in a terminal, started in ``tmp_path/cwd`` (file completion)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return functools.partial(repl, cwd=cwd)


@pytest.fixture
def shop(repl, node):
    """A REPL in list mode with headers on a node holding SHOP, once its
    completion has the schema."""
    session = Session([node.address], "db")
    for sql in SHOP:
        session.execute(sql)
    session.close()
    child = repl("-s", node.address, "-f", "list")
    child.expect(PROMPT)
    child.send(".headers on\r")
    child.expect(PROMPT)
    offered(child, "SELECT * FROM use", "users")
    return child


PROMPT = r"db@127\.0\.0\.1:\d+>"


def offered(child, typed: str, shown: str, tries: int = 20) -> None:
    """Type ``typed`` until the completion menu shows ``shown`` (the schema
    is fetched in the background), then clear the line."""
    for _ in range(tries):
        child.send(typed)
        child.expect_exact(typed)
        found = child.expect([re.escape(shown), pexpect.TIMEOUT], timeout=0.5) == 0
        child.sendcontrol("u")
        if found:
            return
    raise AssertionError(f"{shown} was never offered after {typed!r}")


def tab(child, typed: str, menu: str, times: int = 1) -> None:
    """Type ``typed``, wait for the menu to show ``menu``, then press Tab
    ``times`` (each Tab selects the next completion, inserting it)."""
    child.send(typed)
    child.expect_exact(menu)
    child.send("\t" * times)


def leave(child) -> None:
    child.send("SELECT 'bye' || 'bye';\r")
    child.expect("byebye")
    child.expect(PROMPT)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_a_name_needing_quotes_is_inserted_quoted(shop):
    tab(shop, "SELECT * FROM od", '"odd name"')
    shop.send(";\r")
    shop.expect("odd row\r\n")
    leave(shop)


def test_alias_dot_completes_that_tables_columns(shop):
    tab(shop, "SELECT name FROM users u WHERE u.em", "email")
    shop.send(" IS NULL;\r")  # u.email IS NULL: bob only
    shop.expect("name\r\nbob\r\n")
    tab(shop, "SELECT * FROM orders o WHERE o.", "user_id", times=3)  # id, user_id, total
    shop.send(" > 100;\r")
    shop.expect("id\\|user_id\\|total\r\n10\\|1\\|150.5\r\n")
    leave(shop)


def test_the_statements_columns_come_first(shop):
    # email (users) before employees, ename (another table's column), EACH...
    tab(shop, "SELECT name FROM users WHERE e", "ename")
    shop.send(" IS NOT NULL;\r")
    shop.expect("name\r\nann\r\n")
    # The FROM clause after the cursor: type it, go back, complete.
    shop.send("SELECT  FROM orders;")
    shop.expect_exact("orders;")
    shop.send("\x1b[D" * len(" FROM orders;"))
    tab(shop, "tot", "total")
    shop.send(" ")  # closes the menu; Enter then runs the statement
    shop.send("\r")
    shop.expect("total\r\n150.5\r\n")
    leave(shop)


def test_join_offers_the_foreign_key_join(shop):
    tab(shop, "SELECT u.name, o.total FROM users u JOIN ord", "o.user_id = u.id")
    shop.send(";\r")
    shop.expect("name\\|total\r\nann\\|150.5\r\n")
    # After ON, on Tab: the condition.
    shop.send("SELECT count(*) AS n FROM orders o JOIN users u ON ")
    shop.expect_exact("ON")
    shop.send("\t")
    shop.expect_exact("o.user_id = u.id")  # the menu
    shop.send("\t;\r")
    shop.expect("n\r\n1\r\n")
    leave(shop)


def test_join_completion_follows_new_tables(shop):
    """The schema is fetched again after DDL: a new foreign key joins."""
    shop.send("CREATE TABLE pets (id INTEGER PRIMARY KEY, "
              "owner INTEGER REFERENCES users(id), pname TEXT);\r")
    shop.expect(PROMPT)
    shop.send("INSERT INTO pets VALUES (1, 2, 'rex');\r")
    shop.expect(PROMPT)
    offered(shop, "SELECT u.name, p.pname FROM users u JOIN pe", "p.owner = u.id")
    tab(shop, "SELECT u.name, p.pname FROM users u JOIN pe", "p.owner = u.id")
    shop.send(";\r")
    shop.expect("name\\|pname\r\nbob\\|rex\r\n")
    leave(shop)


def test_open_completes_the_databases_used(repl, node):
    child = repl("-s", node.address, "-f", "list")
    child.expect(PROMPT)
    child.send(".open inventory\r")
    child.expect(r"inventory@127\.0\.0\.1:\d+>")
    child.send(".open ledger\r")
    child.expect(r"ledger@127\.0\.0\.1:\d+>")
    child.send(".open \t")  # Tab: all of them, the current one last
    child.expect_exact("inventory")
    child.expect_exact("db")
    child.sendcontrol("u")
    tab(child, ".open inv", "inventory")
    child.send(" \r")  # the blank closes the menu (Enter would only take the completion)
    child.expect(r"inventory@127\.0\.0\.1:\d+>")
    leave_db(child, "inventory")


def leave_db(child, database: str) -> None:
    child.send("SELECT 'bye' || 'bye';\r")
    child.expect("byebye")
    child.expect(rf"{database}@127\.0\.0\.1:\d+>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_dot_commands_complete_file_names(repl, node, tmp_path):
    cwd = tmp_path / "cwd"
    child = repl("-s", node.address, "-f", "list")
    (cwd / "my script.sql").write_text("SELECT 'from' || ' the file';\n")
    (cwd / "people.csv").write_text("pid,who\n7,zoe\n")
    (cwd / "out.txt").write_text("")
    with sqlite3.connect(cwd / "source.db") as db:
        db.execute("CREATE TABLE fish (n)")
        db.execute("INSERT INTO fish VALUES (3)")
    db.close()
    child.expect(PROMPT)
    # A blank after each closes the menu (Enter would only take the completion).
    tab(child, ".read my", "my script.sql")
    child.send(" \r")
    child.expect("from the file\r\n")
    tab(child, ".import --csv pe", "people.csv")
    child.send(" people\r")
    child.expect(PROMPT)
    tab(child, ".restore --append so", "source.db")
    child.send(" \r")
    child.expect(PROMPT)
    tab(child, ".once ou", "out.txt")
    child.send(" \r")
    child.expect(PROMPT)
    child.send("SELECT who || '/' || n FROM people, fish;\r")
    child.expect(PROMPT)
    leave(child)
    assert (cwd / "out.txt").read_text() == "zoe/3\n"
