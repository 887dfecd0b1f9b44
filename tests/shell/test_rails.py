"""Safety rails (issue 13, section 4): read-only mode through the ``dqlite``
command on real nodes (nothing sent when refused), profiles read-only by
default on a product-made TLS cluster, the blob key and option; the
statement analysis behind them."""

from __future__ import annotations

import os

import pytest

from dqlite_shell import sqltext
from dqlite_shell.shell import rails
from dqlite_shell.shell.commands import registry
from tests.shell.conftest import run_dqlite
from tests.support.products import products  # noqa: F401 - the fixture

# -- the statement analysis ------------------------------------------------------

READS = [
    "SELECT 1", "  /* c */ select * from t", "VALUES (1), (2)", "EXPLAIN DELETE FROM t",
    "EXPLAIN QUERY PLAN UPDATE t SET a = 1",
    "WITH x AS (SELECT 1) SELECT * FROM x", "BEGIN", "BEGIN IMMEDIATE", "COMMIT", "END",
    "ROLLBACK", "SAVEPOINT s", "RELEASE s", "ROLLBACK TO s", "PRAGMA user_version",
    "PRAGMA main.user_version", "PRAGMA table_info(kine)", "PRAGMA table_info('kine')",
    "PRAGMA integrity_check", "PRAGMA quick_check(5)", "PRAGMA journal_mode",
    "PRAGMA foreign_keys", "PRAGMA index_list(kine)", "PRAGMA database_list",
    "SELECT 'DELETE FROM t'",
]
WRITES = [
    ("INSERT INTO t VALUES (1)", "INSERT writes"),
    ("REPLACE INTO t VALUES (1)", "REPLACE writes"),
    ("UPDATE t SET a = 1 WHERE b", "UPDATE writes"),
    ("DELETE FROM t RETURNING *", "DELETE writes"),
    ("WITH x AS (SELECT 1) DELETE FROM t", "WITH writes"),
    ("CREATE TABLE u (a)", "CREATE writes"),
    ("CREATE TEMP TABLE u (a)", "CREATE writes"),
    ("DROP TABLE t", "DROP writes"),
    ("ALTER TABLE t ADD b", "ALTER writes"),
    ("ATTACH 'x.db' AS x", "ATTACH writes"),
    ("ANALYZE", "ANALYZE writes"),
    ("VACUUM", "VACUUM writes"),
    ("REINDEX", "REINDEX writes"),
    ("PRAGMA user_version = 7", "PRAGMA user_version = ... sets a value"),
    ("EXPLAIN PRAGMA foreign_keys = 1", "PRAGMA foreign_keys = ... sets a value"),
    ("PRAGMA foreign_keys(1)", "PRAGMA foreign_keys(...) may change something"),
    ("PRAGMA cache_size(100)", "PRAGMA cache_size(...) may change something"),
    ("PRAGMA optimize", "PRAGMA optimize writes (it runs ANALYZE)"),
    ("PRAGMA incremental_vacuum", "PRAGMA incremental_vacuum may change something"),
    ("PRAGMA shrink_memory", "PRAGMA shrink_memory may change something"),
    ("PRAGMA no_such_pragma", "PRAGMA no_such_pragma may change something"),
    ("SELEC 1", "SELEC may write (the shell cannot tell that it only reads)"),
]


@pytest.mark.parametrize("sql", READS)
def test_reads_and_transaction_control_pass(sql):
    assert rails.statement_refusal(sql) is None


@pytest.mark.parametrize("sql,why", WRITES)
def test_what_could_write_is_refused(sql, why):
    assert rails.statement_refusal(sql).startswith(why)


def test_a_write_after_a_read_in_the_same_text_is_found(shell):
    state = shell(["127.0.0.1:1"])
    state.read_only = True
    assert rails.sql_refusal(state, "SELECT 1; SELECT 2") is None
    assert "DELETE writes" in rails.sql_refusal(state, "SELECT 1; DELETE FROM t")


@pytest.mark.parametrize("sql,expected", [
    ("DELETE FROM kine", ("DELETE", "TABLE", None, "kine", False)),
    ('delete from main."my t" where 1', ("DELETE", "TABLE", "main", "my t", True)),
    ("UPDATE OR IGNORE t SET a = (SELECT 1 WHERE 2)", ("UPDATE", "TABLE", None, "t", False)),
    ("UPDATE t SET a = 'WHERE'", ("UPDATE", "TABLE", None, "t", False)),
    ("WITH x AS (SELECT 1 WHERE 1) DELETE FROM t", ("DELETE", "TABLE", None, "t", False)),
    ("DROP TABLE IF EXISTS [a b]", ("DROP", "TABLE", None, "a b", False)),
    ("DROP INDEX temp.i", ("DROP", "INDEX", "temp", "i", False)),
    ("/* c */ DELETE -- x\n FROM t", ("DELETE", "TABLE", None, "t", False)),
    ("WITH x AS (SELECT 1) SELECT * FROM x", None),
    ("INSERT INTO t VALUES (1)", None),
    ("DELETE FROM", None),
])
def test_target_of_destructive_statements(sql, expected):
    found = sqltext.target(sql)
    assert (tuple(found) if found else None) == expected


def test_the_cluster_changing_commands_are_marked():
    changing = {c.name for c in registry.commands() if c.changes}
    assert changing == {".add", ".assign", ".remove", ".transfer", ".weight", ".reconfigure",
                        ".drop", ".restore", ".import", ".vacuum", ".recover"}
    asking = {c.name for c in registry.commands() if c.destructive}
    assert asking == {".assign", ".remove", ".reconfigure", ".drop"}


# -- through the dqlite command ----------------------------------------------------

def _count(address: str, table: str) -> str:
    run = run_dqlite("-s", address, "-c", f"SELECT count(*) FROM {table}")
    assert run.status == 0, run
    return run.out.strip()


def test_read_only_refuses_writes_in_a_script_and_runs_the_reads(node):
    setup = run_dqlite("-s", node.address, "-c",
                       "CREATE TABLE ro (a); INSERT INTO ro VALUES (1), (2)")
    assert setup.status == 0, setup
    script = ("SELECT count(*) FROM ro;\n"
              "INSERT INTO ro VALUES (3);\n"
              "PRAGMA user_version;\n"
              "BEGIN; SELECT a FROM ro WHERE a = 2; COMMIT;\n"
              "WITH x AS (SELECT 1)\n  DELETE FROM ro;\n"
              "PRAGMA table_info(ro);\n"
              "PRAGMA user_version = 9;\n"
              "ANALYZE;\n")
    run = run_dqlite("-s", node.address, "--read-only", "--keep-going", stdin=script)
    assert run.status == 1, run
    assert run.out == "2\n0\n2\n0|a||0||0\n", run
    hint = "and the shell is read-only (--read-only): --write allows it"
    assert run.err.splitlines() == [
        f"<stdin>:2: error: refused: INSERT writes, {hint}",
        f"<stdin>:5: error: refused: WITH writes, {hint}",
        f"<stdin>:8: error: refused: PRAGMA user_version = ... sets a value, {hint}",
        f"<stdin>:9: error: refused: ANALYZE writes, {hint}",
    ], run
    assert _count(node.address, "ro") == "2"
    user_version = run_dqlite("-s", node.address, "-c", "PRAGMA user_version")
    assert user_version.out == "0\n"
    # --bail (the default) stops at the first refusal.
    run = run_dqlite("-s", node.address, "--read-only", stdin="DELETE FROM ro;\nSELECT 'after';\n")
    assert (run.status, run.out) == (1, ""), run
    assert _count(node.address, "ro") == "2"


@pytest.mark.parametrize("line", ["INSERT INTO t VALUES (1)", "PRAGMA foreign_keys(1)",
                                  ".add 127.0.0.1:1", ".assign A spare", ".remove A",
                                  ".transfer A", ".weight A 3",
                                  ".reconfigure /nonexistent /nonexistent.yaml"])
def test_refused_before_anything_is_sent(listener, line):
    address = "{}:{}".format(*listener.getsockname())
    run = run_dqlite("-s", address, "--read-only", "-c", line.replace(" A", " " + address))
    assert run.status == 1, run
    assert run.err.startswith("<command>:1: error: refused: "), run
    assert len(run.err.splitlines()) == 1
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_read_only_runs_what_does_not_change_the_cluster(shared_cluster, tmp_path):
    address = shared_cluster.addresses[0]
    run = run_dqlite("-s", address, "--read-only", "-c",
                     ".open rails_other\n.cluster\n.leader\n"
                     f".describe {address}\nSELECT 'read'", cwd=tmp_path)
    assert run.status == 0, run
    assert run.out.splitlines()[-1] == "read"
    assert f"|{address}|voter" in run.out


def test_kine_helpers_work_read_only(node):
    setup = run_dqlite("-s", node.address, "k8s", stdin=(
        "CREATE TABLE kine (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
        "created INTEGER, deleted INTEGER, create_revision INTEGER NOT NULL, "
        "prev_revision INTEGER, lease INTEGER, value BLOB, old_value BLOB);\n"
        "INSERT INTO kine VALUES (1, '/registry/a', 1, 0, 1, 0, 0, "
        "CAST('{\"v\": 1}' AS BLOB), NULL);\n"))
    assert setup.status == 0, setup
    run = run_dqlite("-s", node.address, "--read-only", "k8s", "-c",
                     ".kine keys\n.kine get /registry/a\n.kine stats")
    assert run.status == 0, run
    assert "/registry/a" in run.out and '"v": 1' in run.out


def _config(tmp_path, text: str) -> dict:
    folder = tmp_path / "xdg"
    (folder / "dqlite").mkdir(parents=True, exist_ok=True)
    (folder / "dqlite" / "config.toml").write_text(text)
    return {"XDG_CONFIG_HOME": str(folder)}


def test_read_only_key_and_write_option(node, tmp_path):
    env = _config(tmp_path, "read_only = true\n")
    run = run_dqlite("-s", node.address, "-c", "CREATE TABLE by_config (a)", env=env)
    assert run.status == 1, run
    assert "the shell is read-only (read_only in " in run.err
    assert str(tmp_path / "xdg" / "dqlite" / "config.toml") in run.err
    run = run_dqlite("-s", node.address, "--write", "-c", "CREATE TABLE by_config (a)", env=env)
    assert (run.status, run.err) == (0, ""), run
    bad = _config(tmp_path, "read_only = 'yes'\n")
    run = run_dqlite("-s", node.address, "-c", "SELECT 1", env=bad)
    assert run.status == 2 and "read_only must be true or false" in run.err, run


def test_blob_key_and_option(node, tmp_path):
    run = run_dqlite("-s", node.address, "-c",
                     "CREATE TABLE blobs (b); INSERT INTO blobs VALUES (CAST('hi' AS BLOB))")
    assert run.status == 0, run
    env = _config(tmp_path, 'blob = "text"\n')
    run = run_dqlite("-s", node.address, "-c", "SELECT b FROM blobs", env=env)
    assert (run.status, run.out) == (0, "hi\n"), run
    run = run_dqlite("-s", node.address, "--blob", "base64", "-c", "SELECT b FROM blobs", env=env)
    assert (run.status, run.out) == (0, "aGk=\n"), run
    run = run_dqlite("-s", node.address, "-c", "SELECT b FROM blobs")
    assert (run.status, run.out) == (0, "X'6869'\n"), run
    bad = _config(tmp_path, 'format = "list"\nblob = "pretty"\n')
    run = run_dqlite("-s", node.address, "-c", "SELECT 1", env=bad)
    assert run.status == 2, run
    assert run.err.startswith("dqlite: error: ") and "config.toml:2: unknown BLOB display " \
        "'pretty'" in run.err, run
    run = run_dqlite("-s", node.address, "--blob", "pretty", "-c", "SELECT 1")
    assert run.status == 2 and "unknown BLOB display 'pretty'" in run.err, run


def test_profiles_default_to_read_only_on_a_product_cluster(products):  # noqa: F811
    from dqlite_shell.shell import profiles
    product = products["microk8s"]
    env = {profiles.ROOT_VARIABLE: product.root}

    def dqlite(*args, stdin=None):
        return run_dqlite("--profile", "microk8s", *args, stdin=stdin, env=env)

    run = dqlite("--write", "-c", "CREATE TABLE IF NOT EXISTS rails_kine (v BLOB); "
                                  "DELETE FROM rails_kine; "
                                  "INSERT INTO rails_kine VALUES (CAST('{\"a\":1}' AS BLOB))")
    assert run.status == 0, run
    run = dqlite(stdin="SELECT v FROM rails_kine;\nDELETE FROM rails_kine;\n")
    assert run.status == 1, run
    # Profiles show BLOBs as auto does: kine's values are mostly JSON.
    assert run.out == "b'{\"a\":1}'\n", run
    assert run.err == ("<stdin>:2: error: refused: DELETE writes, and the shell is read-only "
                       "(the microk8s profile's default): --write allows it\n"), run
    run = dqlite("-c", f".remove {product.cluster.addresses[0]}")
    assert run.status == 1 and "refused: .remove changes the cluster" in run.err, run
    run = dqlite("--blob", "hex", "-c", "SELECT count(*), v FROM rails_kine")
    assert (run.status, run.out) == (0, "1|X'7B2261223A317D'\n"), run
    assert os.environ.get(profiles.ROOT_VARIABLE) is None


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completions_know_the_new_options(shell, tmp_path):
    from tests.test_completions import _candidates
    assert _candidates(shell, "dqlite --read-", tmp_path) == ["--read-only"]
    assert _candidates(shell, "dqlite --au", tmp_path) == ["--audit-log"]
    assert "--write" in _candidates(shell, "dqlite --w", tmp_path)
    assert "--yes" in _candidates(shell, "dqlite --y", tmp_path)
    assert _candidates(shell, "dqlite --blob ", tmp_path) == ["auto", "base64", "hex", "text"]
