""".version, .drop and VACUUM through the shell, on the server of this run
(DQLITE_SHELL_SERVER). What each server answers is in tests/support/server_expectations.py;
nodes run as child processes (a 1.18.6 node may abort, docs/server-bugs.md)."""

from __future__ import annotations

import functools
import json
import platform
import re
import time

import pexpect
import pytest

from dqlite_shell import __version__
from dqlite_shell.client.capabilities import CAPABILITIES, MODERN
from dqlite_shell.client.connection import Connection
from dqlite_shell.client.errors import ServerError
from dqlite_shell.shell.commands import registry
from dqlite_shell.shell.commands.registry import CommandError, UsageError
from tests.native.servers import SERVERS
from tests.shell.conftest import run_command as run
from tests.shell.conftest import run_dqlite
from tests.support.server_expectations import (
    CAN_DROP,
    DROP_REFUSAL,
    HAS,
    MISSING_DATABASE_MESSAGE,
    RANGE,
    VACUUM_ERROR,
)
from tests.support.waiting import wait_for

QUESTION = re.escape("Do you want to proceed? [y/N]:")
CLIENT_LINE = f"client: dqlite-shell {__version__} (Python {platform.python_version()})"
#: Runs only in the runs of servers that can drop a database (deselected, not
#: skipped, elsewhere: CI runs every test it collects).
only_where_drop_works = pytest.mark.on_servers(
    *[name for name, server in SERVERS.items() if server.level >= MODERN])


def dumped(address: str, name: str):
    """What the node at ``address`` answers to DUMP of ``name``: the files'
    names and sizes, or the failure's message."""
    with Connection.connect(address) as conn:
        try:
            return [(n, len(data)) for n, data in conn.dump(name)]
        except ServerError as e:
            return e.message


def gone(address: str, name: str) -> bool:
    return dumped(address, name) == MISSING_DATABASE_MESSAGE


def sql(servers: str, database: str, text: str) -> str:
    """Run ``text`` through the shell on a new connection; its output."""
    result = run_dqlite("-s", servers, database, stdin=text)
    assert result.status == 0, result
    return result.out


def make_database(address: str, name: str) -> None:
    sql(address, name, "CREATE TABLE t (a);\nINSERT INTO t VALUES (1), (2);\n")


# -- .version ---------------------------------------------------------------------

def test_version_says_the_client_the_server_range_and_each_capability(node_process):
    address = node_process.address
    result = run_dqlite("-s", address, "--headers", "-c", ".version")
    assert (result.status, result.err) == (0, ""), result
    lines = result.out.splitlines()
    assert lines[0] == CLIENT_LINE
    assert lines[1] == (f"server: dqlite {RANGE}, as the leader at {address} answers "
                        "(dqlite sends no version number)")
    assert lines[2] == "capability|has|since|use"
    rows = [tuple(line.split("|")) for line in lines[3:]]
    assert [(name, since, use) for name, _, since, use in rows] == [
        (c.name, c.since, c.use) for c in CAPABILITIES]
    has = {name: yes for name, yes, _, _ in rows}
    assert set(has.values()) <= {"yes", "no"}
    assert {name: has[name] == "yes" for name in HAS} == HAS


def test_version_in_json_is_one_document(node_process):
    address = node_process.address
    for fmt in ("json", "jsonl"):
        result = run_dqlite("-s", address, "-f", fmt, "-c", ".version")
        assert result.status == 0, result
        if fmt == "jsonl":
            assert len(result.out.splitlines()) == 1
        document = json.loads(result.out)
        assert document["client"] == CLIENT_LINE.removeprefix("client: ")
        assert document["server"] == {"leader": address, "releases": RANGE}
        assert [c["name"] for c in document["capabilities"]] == [c.name for c in CAPABILITIES]
        has = {c["name"]: c["has"] for c in document["capabilities"]}
        assert {name: has[name] for name in HAS} == HAS


def test_version_in_a_table(node_process):
    result = run_dqlite("-s", node_process.address, "-f", "table", "-c", ".version")
    assert result.status == 0, result
    lines = result.out.splitlines()
    assert lines[0] == CLIENT_LINE
    assert re.fullmatch(r"\| capability +\| has \| since +\| use +\|", lines[3])
    assert sum(1 for line in lines if line.startswith("| delete_database ")) == 1


def test_version_without_a_leader_still_says_the_client(free_address):
    result = run_dqlite("-s", free_address, "--timeout", "1s", "-c", ".version")
    assert result.status == 2, result
    assert result.out == CLIENT_LINE + "\n"
    assert result.err.startswith("<command>:1: error: no leader found within 1 s")
    assert len(result.err.splitlines()) == 1


# -- .drop ------------------------------------------------------------------------

def test_drop_deletes_a_database_or_says_why_not(node_process):
    address = node_process.address
    make_database(address, "victim")
    result = run_dqlite("-s", address, stdin=".drop victim\nSELECT 'after';\n")
    if CAN_DROP:
        assert (result.status, result.out, result.err) == (0, "after\n", ""), result
        assert wait_for(lambda: gone(address, "victim"))
        assert sql(address, "victim", ".tables\n") == ""  # a new connection: nothing there
    else:
        assert (result.status, result.out) == (1, ""), result
        assert result.err == f"<stdin>:1: error: {DROP_REFUSAL}\n"
        assert sql(address, "victim", "SELECT count(*) FROM t;\n") == "2\n"


def test_drop_of_the_current_database(shell, node_process):
    address = node_process.address
    state = shell([address], database="current")
    state.session.execute("CREATE TABLE t (a)")
    if not CAN_DROP:
        with pytest.raises(CommandError) as info:
            run(state, ".drop current")
        assert str(info.value) == DROP_REFUSAL
        assert run(state, ".tables") == "t\n"
        return
    assert run(state, ".drop current") == ""
    # The shell let go of its connection, so nothing keeps the database.
    assert state.connected_to is None
    assert wait_for(lambda: gone(address, "current"))
    # It stays on the name; the next statement starts a new, empty database.
    assert run(state, ".tables") == ""
    state.session.execute("CREATE TABLE again (a)")
    assert run(state, ".tables") == "again\n"


@only_where_drop_works
def test_a_client_that_holds_the_database_sees_it_empty_until_it_lets_go(shell, node_process):
    address = node_process.address
    holder = Connection.connect(address)
    try:
        holder.open("held")
        holder.exec_sql("CREATE TABLE t (a)")
        holder.exec_sql("INSERT INTO t VALUES (1)")
        state = shell([address])
        assert run(state, ".drop held") == ""
        assert holder.query_sql("SELECT count(*) FROM sqlite_master").fetchall() == [(0,)]
        assert isinstance(dumped(address, "held"), list)  # still there, empty
    finally:
        holder.close()
    assert wait_for(lambda: gone(address, "held"))


@only_where_drop_works
def test_drop_waits_out_a_writer_then_says_locked(shell, node_process):
    address = node_process.address
    writer = Connection.connect(address)
    try:
        writer.open("busy")
        writer.exec_sql("CREATE TABLE t (a)")
        writer.exec_sql("BEGIN")
        writer.exec_sql("INSERT INTO t VALUES (1)")
        state = shell([address])
        state.busy_timeout = 0.3
        started = time.monotonic()
        with pytest.raises(CommandError) as info:
            run(state, ".drop busy")
        assert str(info.value) == 'drop "busy": database is locked'
        assert time.monotonic() - started >= 0.3
        writer.exec_sql("COMMIT")
        assert writer.query_sql("SELECT count(*) FROM t").fetchall() == [(1,)]
    finally:
        writer.close()


def test_drop_of_a_missing_database_creates_nothing(shell, node_process):
    address = node_process.address
    state = shell([address])
    with pytest.raises(CommandError) as info:
        run(state, ".drop nosuch")
    if CAN_DROP:
        assert str(info.value) == 'the leader has no database "nosuch"'
        assert gone(address, "nosuch")
    else:
        assert str(info.value) == DROP_REFUSAL


@only_where_drop_works
def test_drop_deletes_the_database_on_every_node(cluster_factory):
    cluster = cluster_factory(3, processes=True)
    servers = ",".join(cluster.addresses)
    make_database(servers, "replicated")
    assert sql(servers, "db", ".drop replicated\n") == ""
    for address in cluster.addresses:
        assert wait_for(functools.partial(gone, address, "replicated")), address


@pytest.mark.parametrize("args", [("--read-only", "-c", ".drop db"), ("-1", "-c", ".drop db")])
def test_drop_is_refused_before_anything_is_sent(listener, args):
    address = "{}:{}".format(*listener.getsockname())
    result = run_dqlite("-s", address, *args)
    assert result.status == 1, result
    expected = ("refused: .drop deletes a database, and the shell is read-only (--read-only)"
                if "--read-only" in args else ".drop cannot run inside a transaction")
    assert result.err.startswith(f"<command>:1: error: {expected}"), result
    assert len(result.err.splitlines()) == 1
    with pytest.raises(BlockingIOError):
        listener.accept()


@pytest.mark.parametrize("line", [".drop", ".drop a b", ".version x"])
def test_wrong_arguments_give_the_usage_line_and_send_nothing(shell, listener, line):
    state = shell(["{}:{}".format(*listener.getsockname())])
    with pytest.raises(UsageError) as info:
        registry.run(state, line)
    assert str(info.value) == f"usage: {registry.lookup(line.split()[0]).usage}"
    assert state._session is None
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_drop_asks_first_in_the_repl(repl, node_process):  # noqa: F811
    address = node_process.address
    make_database(address, "asked")
    child = repl("-s", address)
    prompt = re.escape(f"rw db@{address}>")
    child.expect(prompt)
    child.send(".drop asked\r")
    if not CAN_DROP:
        child.expect(re.escape(f"error: {DROP_REFUSAL}"))
        assert "proceed" not in child.before
        child.expect(prompt)
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
        assert sql(address, "asked", ".tables\n") == "t\n"
        return
    child.expect(re.escape(f"You're about to run a destructive command on {address}: "
                           '.drop deletes database "asked" (') + r"\d+ bytes, 1 table\) " +
                 re.escape("from the cluster; this cannot be undone (.backup saves it first)"))
    child.expect(QUESTION)
    child.send("n\r")
    child.expect("Not run.")
    child.expect(prompt)
    assert sql(address, "asked", "SELECT count(*) FROM t;\n") == "2\n"
    child.send(".drop db\r")  # the current database: the question says so
    child.expect(re.escape("it is the shell's current database: the next statement starts "
                           "it again, empty"))
    child.expect(QUESTION)
    child.send("n\r")
    child.expect(prompt)
    child.send(".drop asked\r")
    child.expect(QUESTION)
    child.send("y\r")
    child.expect(prompt)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    assert wait_for(lambda: gone(address, "asked"))


@only_where_drop_works
def test_yes_does_not_ask(repl, node_process):  # noqa: F811
    address = node_process.address
    make_database(address, "unasked")
    child = repl("-s", address, "--yes")
    prompt = re.escape(f"rw db@{address}>")
    child.expect(prompt)
    child.send(".drop unasked\r")
    # The prompt is redrawn as keys are typed: wait for an answer instead.
    child.send("SELECT 'dro' || 'pped';\r")
    child.expect("dropped")
    assert "proceed" not in child.before
    child.expect(prompt)
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    assert wait_for(lambda: gone(address, "unasked"))


# -- VACUUM -----------------------------------------------------------------------

FILL = ("CREATE TABLE v (b BLOB);\n"
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000) "
        "INSERT INTO v SELECT randomblob(100) FROM c;\n"
        "DELETE FROM v WHERE rowid % 2 = 0;\n")
STATE = "PRAGMA page_count;\nPRAGMA integrity_check;\nSELECT count(*) FROM v;\n"


def test_vacuum_through_the_shell(cluster_factory):
    cluster = cluster_factory(3, processes=True)
    servers = ",".join(cluster.addresses)
    sql(servers, "db", FILL)
    pages, check, rows = sql(servers, "db", STATE).split()
    assert (check, rows) == ("ok", "1000")
    result = run_dqlite("-s", servers, stdin="VACUUM;\n")
    if VACUUM_ERROR:
        assert (result.status, result.out) == (1, ""), result
        assert result.err == f"<stdin>:1: error: {VACUUM_ERROR}\n"
        assert sql(servers, "db", STATE).split() == [pages, "ok", "1000"]
        return
    assert (result.status, result.out, result.err) == (0, "", ""), result
    vacuumed = sql(servers, "db", STATE).split()
    assert int(vacuumed[0]) < int(pages) and vacuumed[1:] == ["ok", "1000"]
    # Replicated: another node, made the leader, holds the vacuumed database.
    leader = sql(servers, "db", ".leader\n").strip()
    other = next(a for a in cluster.addresses if a != leader)
    sql(servers, "db", f".transfer {other}\n")
    assert wait_for(lambda: sql(servers, "db", ".leader\n").strip() == other)
    assert sql(servers, "db", STATE).split() == vacuumed
