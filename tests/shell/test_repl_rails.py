"""The REPL's rails in a real pseudo-terminal (pexpect) on real nodes: the
question before destructive commands (what it shows, no and yes, --yes), the
prompt's mode, cluster, database and leader, and refusals that leave the REPL
running."""

from __future__ import annotations

import json
import re

import pexpect

from tests.shell.conftest import run_dqlite
from tests.support.products import products  # noqa: F401 - the fixture

QUESTION = re.escape("Do you want to proceed? [y/N]:")


def _prompt(mode: str, database: str, address: str, cluster: str = "") -> str:
    return re.escape(f"{mode} {cluster}{database}@{address}>")


def _rows(address: str, table: str) -> str:
    run = run_dqlite("-s", address, "-c", f"SELECT count(*) FROM {table}")
    assert run.status == 0, run
    return run.out.strip()


def _leave(child) -> None:
    """Ctrl-D at a fresh prompt (after an answer: see test_repl.leave)."""
    child.send("SELECT 'bye' || 'bye';\r")
    child.expect("byebye")
    child.expect(r"@[^>]+>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_delete_update_and_drop_ask_first_showing_what_they_hit(repl, node):  # noqa: F811
    setup = run_dqlite("-s", node.address, "-c",
                       "CREATE TABLE victims (a); INSERT INTO victims VALUES (1), (2), (3);"
                       "CREATE INDEX victims_a ON victims (a)")
    assert setup.status == 0, setup
    child = repl("-s", node.address)
    prompt = _prompt("rw", "db", node.address)
    child.expect(prompt)
    # No: nothing is run, the rows stay.
    child.send("DELETE FROM victims;\r")
    child.expect(re.escape(f"You're about to run a destructive command on {node.address}: "
                           "DELETE without WHERE deletes every row of table victims (3 rows) "
                           "in database db"))
    child.expect(QUESTION)
    child.send("n\r")
    child.expect("Not run.")
    child.expect(prompt)
    assert _rows(node.address, "victims") == "3"
    # A WHERE: no question.
    child.send("UPDATE victims SET a = 10 WHERE a = 1;\r")
    child.expect(prompt)
    child.send("UPDATE victims SET a = a + 1;\r")
    child.expect(re.escape("UPDATE without WHERE changes every row of table victims (3 rows)"))
    child.expect(QUESTION)
    child.send("y\r")
    child.expect(prompt)
    assert run_dqlite("-s", node.address, "-c",
                      "SELECT group_concat(a) FROM victims").out == "11,3,4\n"
    child.send("DROP INDEX victims_a;\r")
    child.expect(re.escape("DROP INDEX deletes index victims_a (on table victims)"))
    child.expect(QUESTION)
    child.send("n\r")
    child.expect(prompt)
    child.send("DROP TABLE IF EXISTS Victims;\r")
    child.expect(re.escape("DROP TABLE deletes table victims and its 3 rows from database db"))
    child.expect(QUESTION)
    child.send("y\r")
    child.expect(prompt)
    # A table that does not exist: no question, SQLite's own error.
    child.send("DELETE FROM victims;\r")
    child.expect("error: no such table: victims")
    child.expect(prompt)
    _leave(child)
    assert _rows(node.address, "sqlite_master WHERE name LIKE 'victims%'") == "0"


def test_remove_and_assign_ask_first_naming_the_node(repl, cluster_factory):  # noqa: F811
    cluster = cluster_factory(3)
    leader, _, third = cluster.addresses
    nodes = json.loads(run_dqlite("-s", leader, "-f", "json", "-c", ".cluster").out)
    node_id = next(n["ID"] for n in nodes if n["Address"] == third)
    child = repl("-s", leader)
    prompt = _prompt("rw", "db", leader)
    child.expect(prompt)
    child.send(f".remove {third}\r")
    child.expect(re.escape(f".remove takes node {node_id:x} at {third}, now a voter, out of "
                           "the cluster of 3 nodes"))
    child.expect(QUESTION)
    child.send("n\r")
    child.expect("Not run.")
    child.expect(prompt)
    child.send(f".assign {third} spare\r")
    child.expect(re.escape(f".assign makes node {node_id:x} at {third}, now a voter, a spare "
                           "(3 voters now)"))
    child.expect(QUESTION)
    child.sendcontrol("c")  # Ctrl-C at the question is a no
    child.expect(prompt)
    # Still a voter, still a member.
    listed = run_dqlite("-s", leader, "-c", ".cluster").out
    assert f"{node_id:x}|{third}|voter" in listed
    child.send(f".remove {third}\r")
    child.expect(QUESTION)
    child.send("y\r")
    child.expect(prompt)
    _leave(child)
    assert third not in run_dqlite("-s", leader, "-c", ".cluster").out


def test_yes_and_one_shot_runs_do_not_ask(repl, node):  # noqa: F811
    setup = run_dqlite("-s", node.address, "-c",
                       "CREATE TABLE quiet (a); INSERT INTO quiet VALUES (1), (2)")
    assert setup.status == 0, setup
    child = repl("-s", node.address, "--yes")
    prompt = _prompt("rw", "db", node.address)
    child.expect(prompt)
    child.send("DELETE FROM quiet;\r")
    child.expect(prompt)
    assert "proceed" not in child.before
    _leave(child)
    assert _rows(node.address, "quiet") == "0"
    run = run_dqlite("-s", node.address, "-c", "INSERT INTO quiet VALUES (1); DELETE FROM quiet")
    assert (run.status, run.err) == (0, ""), run
    assert _rows(node.address, "quiet") == "0"


def test_read_only_prompt_and_refusals_in_the_repl(repl, node, tmp_path):  # noqa: F811
    log = tmp_path / "audit.jsonl"
    child = repl("-s", node.address, "--read-only", "--audit-log", str(log))
    child.expect(re.escape("read-only (--read-only; --write lifts it)"))
    prompt = _prompt("ro", "db", node.address)
    child.expect(prompt)
    child.send("CREATE TABLE nope (a);\r")
    child.expect(re.escape("error: refused: CREATE writes, and the shell is read-only "
                           "(--read-only): --write allows it"))
    child.expect(prompt)
    child.send("DROP TABLE sqlite_master;\r")  # refused, not asked about
    child.expect("error: refused: DROP writes")
    child.expect(prompt)
    child.send(".open other\r")
    child.expect(_prompt("ro", "other", node.address))
    child.send("SELECT 'still here';\r")
    child.expect("still here")
    _leave(child)
    outcomes = [(e["text"], e["outcome"]) for e in map(json.loads, log.read_text().splitlines())]
    assert outcomes == [("CREATE TABLE nope (a);", "refused"),
                        ("DROP TABLE sqlite_master;", "refused"), (".open other", "ok"),
                        ("SELECT 'still here';", "ok"), ("SELECT 'bye' || 'bye';", "ok")]


def test_declined_is_logged(repl, node, tmp_path):  # noqa: F811
    setup = run_dqlite("-s", node.address, "-c",
                       "CREATE TABLE kept (a); INSERT INTO kept VALUES (1)")
    assert setup.status == 0, setup
    log = tmp_path / "audit.jsonl"
    child = repl("-s", node.address, "--audit-log", str(log))
    child.expect(_prompt("rw", "db", node.address))
    child.send("DELETE FROM kept;\r")
    child.expect(QUESTION)
    child.send("n\r")
    child.expect(_prompt("rw", "db", node.address))
    _leave(child)
    event = json.loads(log.read_text().splitlines()[0])
    assert (event["text"], event["outcome"]) == ("DELETE FROM kept;", "declined")
    assert _rows(node.address, "kept") == "1"


def test_profile_prompt_names_the_cluster_and_is_read_only(repl, products):  # noqa: F811
    from dqlite_shell.shell import profiles
    product = products["k8s"]
    child = repl("--profile", "k8s", env={profiles.ROOT_VARIABLE: product.root})
    prompt = _prompt("ro", "k8s", product.cluster.addresses[0], cluster="k8s:")
    child.expect(prompt)
    child.send("INSERT INTO t VALUES (1);\r")
    child.expect(re.escape("(the k8s profile's default): --write allows it"))
    child.expect(prompt)
    _leave(child)
    child = repl("--profile", "k8s", "--write", env={profiles.ROOT_VARIABLE: product.root})
    child.expect(_prompt("rw", "k8s", product.cluster.addresses[0], cluster="k8s:"))
    _leave(child)
