"""App clusters as child processes: SIGKILLed leaders, crash restarts,
failover under a bounded write load."""

import threading
import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.native.library import available
from dqlite_shell.native.ports import release_port, reserve_address
from dqlite_shell.wire.constants import Role
from tests.conftest import _require
from tests.support.app_process import AppProcess


@pytest.fixture
def app_cluster(tmp_path):
    """Three App processes forming one cluster: ``list[AppProcess]``."""
    _require(available(), "libdqlite")
    addresses = [reserve_address() for _ in range(3)]
    procs = []
    try:
        for i, address in enumerate(addresses):
            procs.append(AppProcess(address, str(tmp_path / f"app{i}"),
                                    join=addresses[:1] if i else ()).start())
        yield procs
    finally:
        for proc in procs:
            proc.kill()
        for address in addresses:
            release_port(int(address.rsplit(":", 1)[1]))


def leader_of(addresses) -> str:
    from dqlite_shell.client.leader import NodeStore, connect_leader
    with connect_leader(NodeStore(addresses), 30) as conn:
        return conn.address


def members_of(addresses):
    from dqlite_shell.client.leader import NodeStore, connect_leader
    with connect_leader(NodeStore(addresses), 30) as conn:
        return sorted((m.id, m.address, Role(m.role)) for m in conn.cluster())


def test_sigkilled_leader_loses_no_acknowledged_write(app_cluster):
    addresses = [p.address for p in app_cluster]
    assert {r for *_, r in members_of(addresses)} == {Role.VOTER}
    db = dbapi.connect(addresses, "kill", autocommit=True)
    db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    for k in range(200):
        db.execute("INSERT INTO t VALUES (?)", (k,))
    db.close()
    leader = next(p for p in app_cluster if p.address == leader_of(addresses))
    leader.kill()
    survivor = next(p for p in app_cluster if p is not leader)
    # Through the surviving node only: the driver finds the new leader.
    db = dbapi.connect([survivor.address], "kill", autocommit=True, timeout=30)
    db.execute("INSERT INTO t VALUES (?)", (200,))
    assert db.execute("SELECT count(*), min(k), max(k) FROM t").fetchall() == [(201, 0, 200)]
    assert leader_of([survivor.address]) != leader.address
    db.close()


def test_every_node_restarts_after_a_crash_as_the_same_cluster(app_cluster):
    addresses = [p.address for p in app_cluster]
    before = members_of(addresses)
    db = dbapi.connect(addresses, "crash", autocommit=True)
    db.execute("CREATE TABLE t (x TEXT)")
    db.executemany("INSERT INTO t VALUES (?)", [(f"row {i}",) for i in range(50)])
    db.close()
    for proc in app_cluster:
        proc.kill()
    for proc in app_cluster:  # same arguments as the first start, --join included
        proc.spawn()
    for proc in app_cluster:
        proc.wait_ready()
    assert members_of(addresses) == before  # same ids, no duplicate members
    assert {p.id for p in app_cluster} == {i for i, *_ in before}
    db = dbapi.connect(addresses, "crash", timeout=30)
    assert db.execute("SELECT count(*), max(x) FROM t").fetchall() == [(50, "row 9")]
    db.close()


#: Bounds of the load loop: writes, seconds.
LOAD_WRITES, LOAD_SECONDS, KILL_AFTER = 3000, 120.0, 500


def test_failover_under_load_keeps_every_acknowledged_write(app_cluster):
    addresses = [p.address for p in app_cluster]
    db = dbapi.connect(addresses, "load", autocommit=True, timeout=30)
    db.execute("CREATE TABLE acked (k INTEGER PRIMARY KEY)")
    acked, failed, last_ack, longest = [], 0, time.monotonic(), 0.0
    leader = next(p for p in app_cluster if p.address == leader_of(addresses))
    killed = []

    def killer():  # from another thread, so that a write may be in flight
        while len(acked) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.001)
        leader.kill()
        killed.append(leader)

    deadline = time.monotonic() + LOAD_SECONDS
    thread = threading.Thread(target=killer)
    thread.start()
    for k in range(LOAD_WRITES):
        if time.monotonic() > deadline:
            break
        try:
            db.execute("INSERT INTO acked VALUES (?)", (k,))
        except dbapi.Error:
            failed += 1  # fate unknown or no leader yet: not acknowledged
            continue
        now = time.monotonic()
        longest = max(longest, now - last_ack)
        last_ack = now
        acked.append(k)
    db.close()
    thread.join()
    assert killed and len(acked) > KILL_AFTER + 100, (len(acked), failed)
    survivors = [p.address for p in app_cluster if p is not leader]
    check = dbapi.connect(survivors, "load", timeout=30)
    present = {k for (k,) in check.execute("SELECT k FROM acked").fetchall()}
    check.close()
    missing = sorted(set(acked) - present)
    print(f"\nfailover under load: {len(acked)} acknowledged, {failed} failed, "
          f"longest unavailability {longest * 1000:.0f} ms, missing {len(missing)}")
    assert not missing
    assert longest < 15.0
