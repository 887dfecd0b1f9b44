"""``dqlite-node --join`` and LocalCluster: membership that survives restarts,
and committed data that survives stopping and killing nodes (read with our client)."""

import pytest

from dqlite_shell.client.session import Session
from tests.support.processes import NodeProcess


def _members(addresses):
    session = Session(addresses, "db", timeout=15)
    try:
        return sorted((n.address, n.role) for n in session.cluster())
    finally:
        session.close()


def test_join_then_restart_never_joins_twice(process_factory, tmp_path):
    first = process_factory()
    second = process_factory(extra_args=["--join", first.address])
    third = process_factory(extra_args=["--join", f"{first.address},{second.address}",
                                        "--role", "standby"])
    expected = sorted([(first.address, 0), (second.address, 0), (third.address, 1)])
    assert _members([first.address]) == expected
    ids = (second.node_id, third.node_id)
    assert second.terminate() == 0 and third.kill() < 0
    again = [NodeProcess(p.address, p.data_dir, ["--join", first.address]).start()
             for p in (second, third)]
    try:
        assert (again[0].node_id, again[1].node_id) == ids
        assert _members([first.address]) == expected  # same members, no duplicates
    finally:
        for p in again:
            p.terminate()


def test_join_with_nobody_to_join_exits_2(tmp_path, free_address):
    import subprocess

    from dqlite_shell.native import reserve_address
    from tests.support.processes import NODE_COMMAND
    nobody = reserve_address()
    result = subprocess.run(NODE_COMMAND + ["--address", free_address, "--dir", str(tmp_path),
                                            "--join", nobody, "--timeout", "1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot join" in lines[0] and nobody in lines[0]


@pytest.mark.parametrize("stop", ["stop", "kill"])
def test_committed_rows_survive_restarting_every_node(cluster_factory, stop):
    cluster = cluster_factory(3, processes=True)
    session = Session(cluster.addresses, "db", timeout=15)
    session.execute("CREATE TABLE kept (n INTEGER PRIMARY KEY, s TEXT)")
    for i in range(50):
        session.execute("INSERT INTO kept VALUES (?, ?)", (i, f"v{i}"))
    session.close()
    for index in range(3):
        getattr(cluster, stop)(index)
    for index in range(3):
        cluster.start(index)
    session = Session(cluster.addresses, "db", timeout=15)
    try:
        rows = session.execute("SELECT n, s FROM kept ORDER BY n").fetchall()
        assert rows == [(i, f"v{i}") for i in range(50)]
        assert len(session.cluster()) == 3
    finally:
        session.close()


def test_in_process_node_keeps_data_across_restart(node):
    session = Session([node.address], "db")
    session.execute("CREATE TABLE k (v TEXT)")
    session.execute("INSERT INTO k VALUES ('kept')")
    session.close()
    node.stop()
    node.start()
    session = Session([node.address], "db")
    try:
        assert session.execute("SELECT v FROM k").fetchall() == [("kept",)]
    finally:
        session.close()
