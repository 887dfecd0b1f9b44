""".fav, .watch and .edit against a real node (the REPL's side, with a real
terminal: test_repl_reuse.py), and the favourites file's TOML."""

import os
import re
import signal
import stat
import subprocess
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dqlite_shell.client.errors import ServerError
from dqlite_shell.shell import favorites
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.registry import CommandError, UsageError
from tests.shell.conftest import DQLITE
from tests.shell.conftest import run_command as run

HEADER = re.compile(r"Every (\S+)s: (.*)  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


@pytest.fixture
def config(tmp_path, monkeypatch):
    """XDG_CONFIG_HOME in tmp_path for this process and the dqlite it runs;
    returns the environment for run_dqlite."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return {"XDG_CONFIG_HOME": str(home)}


def fav_file(config) -> str:
    return os.path.join(config["XDG_CONFIG_HOME"], "dqlite", "favorites.toml")


def make_table(address):
    from dqlite_shell.client.session import Session
    session = Session([address], "db")
    try:
        session.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        session.execute("INSERT INTO t VALUES (1, 'x y'), (2, 'O''Brien'), (3, NULL)")
    finally:
        session.close()


# -- the favourites file ----------------------------------------------------------------

names = st.text(min_size=1, max_size=20)
texts = st.text(max_size=200)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(names, texts, max_size=6))
def test_any_names_and_sql_read_back_exactly(saved):
    text = favorites.dumps(saved)
    loaded = tomllib.loads(text)["favorites"]
    assert loaded == saved
    assert list(loaded) == list(saved)  # in their order


@pytest.mark.parametrize("sql", ["SELECT 1;", "SELECT 'a'", "x'''y", "ends with '", "a\r\nb",
                                 "\nstarts with a newline", "tab\tand\x01control\x7f",
                                 "SELECT *\n  FROM t\n WHERE b = 'x';", 'quote " and \\ back'])
def test_awkward_sql_reads_back(sql):
    assert tomllib.loads(favorites.dumps({"q": sql}))["favorites"] == {"q": sql}


def test_several_lines_stay_readable():
    sql = "SELECT *\n  FROM t\n WHERE b = 'x';"
    assert favorites.dumps({"q": sql}).endswith("\"q\" = '''\n" + sql + "'''\n")
    assert favorites.dumps({"one": "SELECT 1;"}).endswith("\"one\" = 'SELECT 1;'\n")


def test_save_delete_private_atomic(tmp_path):
    file = str(tmp_path / "d" / "favorites.toml")
    assert favorites.load(file) == {}
    assert favorites.save("a", "SELECT 1;", file) is None
    assert favorites.save("b", "SELECT 2;", file) is None
    assert favorites.save("a", "SELECT 3;", file) == "SELECT 1;"
    assert favorites.load(file) == {"a": "SELECT 3;", "b": "SELECT 2;"}
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(file)).st_mode) == 0o700
    assert favorites.delete("a", file) is True
    assert favorites.delete("a", file) is False
    assert favorites.load(file) == {"b": "SELECT 2;"}
    assert os.listdir(os.path.dirname(file)) == ["favorites.toml"]  # no temporary file left


@pytest.mark.parametrize("content, message", [
    ('[favorites]\nx = "unterminated\n', r"favorites\.toml:2: "),
    ("[favorites]\nx = 3\n", r"favourite 'x' must be a string of SQL"),
    ("favorites = 3\n", r"favorites must be a table"),
    (b"[favorites]\nx = '\xff'\n", r"not UTF-8"),
])
def test_a_broken_file_is_one_line_naming_it(tmp_path, content, message):
    file = tmp_path / "favorites.toml"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content)
    with pytest.raises(favorites.FavoritesError) as info:
        favorites.load(str(file))
    assert str(file) in str(info.value) and "\n" not in str(info.value)
    assert re.search(message, str(info.value))


# -- placeholders -----------------------------------------------------------------------

@pytest.mark.parametrize("sql, args, expected", [
    ("SELECT $1, $2", ["a", "b"], "SELECT a, b"),
    ("SELECT $2, $1, $1", ["a", "b"], "SELECT b, a, a"),
    ("SELECT $1 FROM t WHERE x IN ($*)", ["a", "1", "2"], "SELECT a FROM t WHERE x IN (1, 2)"),
    ("SELECT $@", ["a", "O'B"], "SELECT 'a', 'O''B'"),
    ("SELECT 1", [], "SELECT 1"),
    ("SELECT $1, $10", [str(n) for n in range(1, 11)], None),  # $2..$9 missing
    ("SELECT $1", ["$2"], "SELECT $2"),  # an argument is not substituted again
])
def test_placeholders(sql, args, expected):
    if expected is None:
        with pytest.raises(favorites.FavoritesError, match=r"the query has no \$2"):
            favorites.substitute(sql, args)
    else:
        assert favorites.substitute(sql, args) == expected


@pytest.mark.parametrize("sql, args, message", [
    ("SELECT $1, $2", ["a"], "$2 has no value: only 1 argument given"),
    ("SELECT $1", [], "$1 has no value: no arguments given"),
    ("SELECT $1", ["a", "b"], "2 arguments given, but its last placeholder is $1"),
    ("SELECT 1", ["a"], "1 argument given, but it has no placeholder"),
    ("SELECT $1, $*", ["a"], "$* or $@ needs an argument after $1"),
])
def test_wrong_arguments_name_what_is_wrong(sql, args, message):
    with pytest.raises(favorites.FavoritesError) as info:
        favorites.substitute(sql, args)
    assert str(info.value) == message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=10), min_size=1, max_size=4))
def test_arguments_go_in_as_they_are(args):
    sql = " | ".join(f"${n}" for n in range(1, len(args) + 1))
    assert favorites.substitute(sql, args) == " | ".join(args)


# -- .fav -------------------------------------------------------------------------------

def test_fav_save_run_list_delete(dqlite, node, config):
    make_table(node.address)
    done = dqlite("-s", node.address, "-c", ".fav save byb SELECT a FROM t WHERE b = '$1';",
                  "-c", ".fav byb 'x y'", "-c", '.fav byb "O\'\'Brien"',
                  "-c", ".fav save n SELECT count(*) FROM t;", "-c", ".fav", env=config)
    assert (done.status, done.err) == (0, "")
    assert done.out == ("1\n2\n"
                        "byb|SELECT a FROM t WHERE b = '$1';\n"
                        "n|SELECT count(*) FROM t;\n")
    assert favorites.load(fav_file(config)) == {"byb": "SELECT a FROM t WHERE b = '$1';",
                                                "n": "SELECT count(*) FROM t;"}
    done = dqlite("-s", node.address, "--headers", "-c", ".fav delete byb", "-c", ".fav list",
                  "-c", ".fav n", env=config)
    assert (done.status, done.out, done.err) == (0, "name|sql\nn|SELECT count(*) FROM t;\n"
                                                    "count(*)\n3\n", "")


def test_fav_in_a_script_stops_at_missing_arguments(dqlite, node, config):
    make_table(node.address)
    script = (".fav save two SELECT $1 + $2;\n"
              ".fav two 1 2\n"
              ".fav two 1\n"
              "SELECT 'not reached';\n")
    done = dqlite("-s", node.address, stdin=script, env=config)
    assert done.status == 1
    assert done.out == "3\n"
    assert done.err == ("<stdin>:3: error: favourite 'two': $2 has no value: only 1 argument "
                        "given; nothing was run\n")


@pytest.mark.parametrize("line, message", [
    (".fav nope", "no favourite 'nope'; .fav list lists them"),
    (".fav delete nope", "no favourite 'nope'; .fav list lists them"),
    (".fav save list SELECT 1;", "usage: .fav"),
    (".fav save x", "usage: .fav"),
    (".fav save x .tables", "a favourite holds SQL, not dot-commands"),
    (".fav list x", "usage: .fav"),
])
def test_fav_mistakes_are_one_line(shell, config, line, message):
    state = shell(["127.0.0.1:1"])  # nothing is sent: no server needed
    with pytest.raises(CommandError) as info:
        run(state, line)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert not os.path.exists(fav_file(config))


def test_a_favourite_that_fails_is_the_command_error(shell, node, config):
    state = shell([node.address])
    run(state, ".fav save bad SELECT * FROM no_such_table;")
    with pytest.raises(ServerError, match="no such table: no_such_table"):
        run(state, ".fav bad")


def test_a_broken_favourites_file_is_one_error(dqlite, config):
    os.makedirs(os.path.dirname(fav_file(config)))
    with open(fav_file(config), "w") as f:
        f.write("[favorites\n")
    done = dqlite("-s", "127.0.0.1:1", "-c", ".fav list", env=config)
    assert done.status == 1
    assert done.err.startswith(f"<command>:1: error: {fav_file(config)}:1: ")
    assert len(done.err.splitlines()) == 1


def test_fav_under_once_sends_every_statement_to_the_file(shell, node, config, tmp_path):
    state = shell([node.address])
    run(state, ".fav save two SELECT 1; SELECT 2;")
    out = tmp_path / "once.txt"
    registry.run(state, f".once {out}")
    registry.run(state, ".fav two")
    assert out.read_text() == "1\n2\n"


# -- .watch -----------------------------------------------------------------------------

def headers_and_rest(out: str):
    lines = out.splitlines()
    return [HEADER.match(line).groups() for line in lines if line.startswith("Every")], \
        [line for line in lines if line and not line.startswith("Every")]


def test_watch_runs_n_times_with_a_header(dqlite, node):
    make_table(node.address)
    done = dqlite("-s", node.address, "-c",
                  ".watch 0.1 --count 3 SELECT count(*)   FROM t WHERE b <> 'x y';")
    assert (done.status, done.err) == (0, "")
    headers, rest = headers_and_rest(done.out)
    assert headers == [("0.1", "SELECT count(*) FROM t WHERE b <> 'x y';")] * 3
    assert rest == ["1"] * 3
    stamped = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "TIME", done.out)
    assert stamped == "Every 0.1s: SELECT count(*) FROM t WHERE b <> 'x y';  TIME\n\n1\n\n" * 3
    assert "\x1b" not in done.out  # no screen clearing into a pipe


def test_watch_repeats_the_last_statement(dqlite, node):
    make_table(node.address)
    done = dqlite("-s", node.address, "-c", "SELECT max(a) FROM t;", "-c", ".watch 0.1 --count 2")
    assert (done.status, done.err) == (0, "")
    headers, rest = headers_and_rest(done.out)
    assert headers == [("0.1", "SELECT max(a) FROM t;")] * 2
    assert rest == ["3"] * 3


def test_watch_stops_at_an_error(dqlite, node):
    done = dqlite("-s", node.address, "-c", ".watch 0.1 --count 5 SELECT * FROM missing;",
                  "-c", "SELECT 'not reached';")
    assert done.status == 1
    assert len([line for line in done.out.splitlines() if line.startswith("Every")]) == 1
    assert done.err == "<command 1>:1: error: no such table: missing\n"


@pytest.mark.parametrize("line, message", [
    (".watch 0.05 SELECT 1", "usage: .watch SECONDS [--count N] [SQL] (SECONDS is a number "
                             "from 0.1 to 86400, not '0.05')"),
    (".watch nan SELECT 1", "not 'nan'"),
    (".watch 1e9 SELECT 1", "not '1e9'"),
    (".watch 1 --count 0 SELECT 1", "--count takes a positive whole number, not '0'"),
    (".watch 1 --count", "--count N"),
    (".watch 1", "nothing to watch: give SQL, or run a statement first"),
    (".watch 1 .tables", ".watch runs SQL, not dot-commands"),
])
def test_watch_mistakes_are_one_line(shell, line, message):
    state = shell(["127.0.0.1:1"])
    with pytest.raises(CommandError) as info:
        run(state, line)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert state.connected_to is None  # nothing was sent


def test_ctrl_c_ends_a_watch_and_the_script_goes_on(node):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    child = subprocess.Popen(DQLITE + ["-s", node.address, "-c", ".watch 0.5 SELECT 6 * 7;",
                                       "-c", "SELECT 'after';"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=environment)
    try:
        seen = []
        for _ in range(20):  # two runs: header, blank line, result, blank line each
            seen.append(child.stdout.readline())
            if seen.count("42\n") == 2 and seen[-1] == "\n":
                break
        assert seen.count("42\n") == 2 and seen[-2:] == ["42\n", "\n"], seen
        child.send_signal(signal.SIGINT)  # the second run is over: the watch sleeps
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert (child.returncode, out, err) == (0, "after\n", "")


# -- .edit ------------------------------------------------------------------------------

@pytest.fixture
def sed_editor(tmp_path, monkeypatch):
    """$VISUAL: a script that runs ``sed -i EXPRESSION`` on the file, or exits 3."""
    def make(expression: str | None) -> None:
        path = tmp_path / "editor.sh"
        body = f"exec sed -i '{expression}' \"$1\"" if expression else "exit 3"
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o700)
        monkeypatch.setenv("VISUAL", str(path))
    return make


def test_edit_runs_the_edited_last_statement(shell, node, sed_editor):
    state = shell([node.address])
    state.interactive = True
    sed_editor("s/40 + 1/40 + 2/")
    from dqlite_shell.shell import script
    from dqlite_shell.shell.script_input import Item
    script.run_item(state, Item(1, "SELECT 40 + 1;", False))
    assert run(state, ".edit") == "42\n"
    assert state.last_sql == "SELECT 40 + 2;"  # what ran is the last statement now


def test_edit_file_edits_it_in_place_then_runs_it(shell, node, sed_editor, tmp_path):
    state = shell([node.address])
    state.interactive = True
    path = tmp_path / "q.sql"
    path.write_text("SELECT 'before';\nSELECT 2;\n")
    sed_editor("s/before/after/")
    assert run(state, f".edit {path}") == "after\n2\n"
    assert path.read_text() == "SELECT 'after';\nSELECT 2;\n"


def test_edit_with_a_failing_editor_runs_nothing(shell, node, sed_editor):
    state = shell([node.address])
    state.interactive = True
    sed_editor(None)
    state.last_sql = "SELECT 1;"
    with pytest.raises(CommandError) as info:
        run(state, ".edit")
    assert str(info.value) == "the editor editor.sh exited with status 3: nothing was run"
    assert state.out.getvalue() == ""


def test_edit_without_an_editor_says_so(shell, monkeypatch):
    state = shell(["127.0.0.1:1"])
    state.interactive = True
    monkeypatch.setenv("VISUAL", "/no/such/editor --flag")
    with pytest.raises(CommandError, match="cannot run the editor /no/such/editor: No such file"):
        run(state, ".edit")
    monkeypatch.delenv("VISUAL")
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(CommandError, match=r"^no editor: set \$VISUAL or \$EDITOR"):
        run(state, ".edit")


def test_edit_is_refused_in_scripts(dqlite, node, tmp_path):
    done = dqlite("-s", node.address, stdin="SELECT 1;\n.edit\nSELECT 2;\n",
                  env={"VISUAL": "/bin/false"})
    assert done.status == 1
    assert done.out == "1\n"
    assert done.err == ("<stdin>:2: error: .edit opens an editor, so it needs the interactive "
                        "shell (not a script or -c)\n")


def test_usage_is_checked_before_anything(shell):
    state = shell(["127.0.0.1:1"])
    with pytest.raises(UsageError):
        run(state, ".edit a b")
