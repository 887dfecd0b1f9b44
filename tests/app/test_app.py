"""App in this process: bootstrap, join, roles, handover, restart, errors."""

import logging
import time

import pytest

from dqlite_shell.app import files
from dqlite_shell.native import nodeinfo
from dqlite_shell.native.errors import NodeError
from dqlite_shell.native.node import BOOTSTRAP_ID
from dqlite_shell.wire.constants import Role


def roles_of(app) -> dict[str, Role]:
    with app.leader() as conn:
        return {m.address: Role(m.role) for m in conn.cluster()}


def wait_for(check, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s (last: {result!r})")
        time.sleep(0.1)


def leader_address(app) -> str:
    with app.leader() as conn:
        return conn.address


def cluster(app_factory, size, **options):
    apps = [app_factory("n0", **options)]
    apps[0].ready(10)
    for i in range(1, size):
        apps.append(app_factory(f"n{i}", cluster=[apps[0].address], **options))
        apps[-1].ready(20)
    return apps


def test_single_node_bootstraps_and_serves_a_database(app_factory, tmp_path):
    app = app_factory("solo")
    app.ready(10)
    info = nodeinfo.read(str(tmp_path / "solo"))
    assert info.id == BOOTSTRAP_ID == app.id and info.address == app.address
    assert files.read_store(str(tmp_path / "solo")) == [app.address]
    db = app.open("appdb")
    cur = db.cursor()
    cur.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    cur.executemany("INSERT INTO t VALUES (?, ?)", [("a", 1), ("b", 2)])
    db.commit()
    assert cur.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [("a", 1), ("b", 2)]
    db.close()
    assert roles_of(app) == {app.address: Role.VOTER}


def test_joining_nodes_take_the_roles_the_cluster_needs(app_factory):
    # One stand-by wanted by every node: the leader's adjustments (every 0.5 s
    # here) follow its own numbers, and with the default 3 it promoted the
    # fifth node's spare as the test read the roles.
    first = app_factory("n0", standbys=1)
    first.ready(10)
    second = app_factory("n1", cluster=[first.address], standbys=1)
    second.ready(20)
    # Two nodes cannot have three voters: the newcomer stays a spare.
    assert roles_of(first) == {first.address: Role.VOTER, second.address: Role.SPARE}
    # A spare follows no leader, so a list with a spare first still works.
    third = app_factory("n2", cluster=[second.address, first.address], standbys=1)
    third.ready(20)
    # The third node makes itself a voter and promotes the spare too.
    assert set(roles_of(first).values()) == {Role.VOTER}
    fourth = app_factory("n3", cluster=[first.address], standbys=1)
    fourth.ready(20)
    fifth = app_factory("n4", cluster=[first.address], standbys=1)
    fifth.ready(20)
    roles = roles_of(first)
    assert roles[fourth.address] == Role.STANDBY and roles[fifth.address] == Role.SPARE
    assert list(roles.values()).count(Role.VOTER) == 3
    assert not files.joining(fourth.data_dir)
    # Every node learnt the whole membership.
    assert sorted(files.read_store(fifth.data_dir)) == sorted(roles)


def test_close_hands_leadership_and_vote_over(app_factory):
    apps = cluster(app_factory, 4)
    leader = next(a for a in apps if a.address == leader_address(apps[0]))
    others = [a for a in apps if a is not leader]
    db = others[0].open("handover")
    db.cursor().execute("CREATE TABLE t (x)")
    db.commit()
    leader.close()
    roles = roles_of(others[0])
    assert roles[leader.address] == Role.SPARE
    assert [roles[a.address] for a in others].count(Role.VOTER) == 3
    assert leader_address(others[0]) != leader.address
    cur = db.cursor()
    cur.execute("INSERT INTO t VALUES (42)")
    db.commit()
    assert others[1].open("handover").cursor().execute("SELECT x FROM t").fetchall() == [(42,)]
    leader.close()  # idempotent


def test_handover_holds_while_leaders_adjust_roles(app_factory, caplog, monkeypatch):
    # As under CPU load: leadership moves and nodes stop slowly, and leaders
    # check roles every 20 ms, so they see each half-done state of the
    # handover (one voter too many after the promotion, the leaving node an
    # online spare before it stops). Neither may undo the handover.
    from dqlite_shell.app import app as app_module
    from dqlite_shell.client.connection import Connection
    transfer, stop_node = Connection.transfer, app_module.stop_node

    def slow_transfer(self, node_id):
        time.sleep(0.3)
        transfer(self, node_id)

    def slow_stop(*args):
        time.sleep(0.3)
        stop_node(*args)

    caplog.set_level(logging.WARNING, logger="dqlite_shell.app")
    apps = cluster(app_factory, 4, roles_adjustment_frequency=0.02)
    leader = next(a for a in apps if a.address == leader_address(apps[0]))
    others = [a for a in apps if a is not leader]
    monkeypatch.setattr(Connection, "transfer", slow_transfer)
    monkeypatch.setattr(app_module, "stop_node", slow_stop)
    leader.close()
    roles = roles_of(others[0])
    assert roles[leader.address] == Role.SPARE
    assert sorted(roles[a.address] for a in others) == [Role.VOTER] * 3
    assert [r.getMessage() for r in caplog.records
            if r.name == "dqlite_shell.app.app" and r.levelno >= logging.WARNING
            and ("transfer" in r.getMessage() or "handover" in r.getMessage())] == []


def test_leader_replaces_a_lost_voter(app_factory):
    apps = cluster(app_factory, 4)
    lead = leader_address(apps[0])
    roles = roles_of(apps[0])
    victim = next(a for a in apps if roles[a.address] == Role.VOTER and a.address != lead)
    standby = next(a for a in apps if roles[a.address] == Role.STANDBY)
    victim.close(handover=False)  # as if it crashed
    survivor = next(a for a in apps if a is not victim)
    wait_for(lambda: roles_of(survivor)[standby.address] == Role.VOTER, what="standby promoted")
    wait_for(lambda: roles_of(survivor)[victim.address] == Role.SPARE, what="lost voter demoted")


def test_restart_on_the_same_dirs_is_the_same_cluster(app_factory):
    apps = cluster(app_factory, 3)
    ids = {a.address: a.id for a in apps}
    db = apps[1].open("restart")
    cur = db.cursor()
    cur.execute("CREATE TABLE t (x)")
    cur.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    db.commit()
    db.close()
    for app in apps:
        app.close(handover=False)
    # Restart with the same arguments as the first time (including --join).
    again = [app_factory("n0")] + [app_factory(f"n{i}", cluster=[apps[0].address])
                                    for i in (1, 2)]
    for app in again:
        app.ready(20)
    assert {a.address: a.id for a in again} == ids
    with again[0].leader() as conn:
        members = conn.cluster()
    assert sorted((m.id, m.address) for m in members) == sorted((i, a) for a, i in ids.items())
    assert all(Role(m.role) == Role.VOTER for m in members)
    rows = again[2].open("restart").cursor().execute("SELECT count(*), sum(x) FROM t").fetchall()
    assert rows == [(100, 4950)]


def test_ready_times_out_when_there_is_no_cluster_to_join(app_factory, free_address):
    app = app_factory("lonely", cluster=[free_address])
    with pytest.raises(TimeoutError, match="not ready after 1"):
        app.ready(1)
    assert files.joining(app.data_dir)


def test_bad_options_are_refused_in_one_line(app_factory, tmp_path):
    first = app_factory("n0")
    first.close(handover=False)
    with pytest.raises(NodeError,
                       match=r"belongs to the node at 127\.0\.0\.1:\d+, not 127.0.0.1:1"):
        app_factory("n0", address="127.0.0.1:1")
    with pytest.raises(ValueError, match="odd number of at least 3, not 2"):
        app_factory("n1", voters=2)
    taken = app_factory("n2")
    with pytest.raises(NodeError, match="address already in use"):
        app_factory("n3", address=taken.address)
    # The failed first start left nothing behind: another address works.
    assert app_factory("n3").address != taken.address


def test_app_logs_through_logging_and_works_as_a_context_manager(app_factory, tmp_path, caplog,
                                                                    free_address):
    from dqlite_shell.app.app import App
    caplog.set_level(logging.INFO, logger="dqlite_shell.app")
    with App(tmp_path / "ctx", address=free_address) as app:
        app.ready(10)
        assert app.open("x").cursor().execute("SELECT 1").fetchall() == [(1,)]
    assert not app.node.running
    assert any("ready" in r.getMessage() and r.name == "dqlite_shell.app.app"
               for r in caplog.records)
