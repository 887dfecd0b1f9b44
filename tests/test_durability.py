"""Committed data survives stopping (and killing) a node: restart on the same dir, read back.

Debian's Go shell is the client here (our own wire client arrives with the client
issue and gets its own version of this test); it doubles as a check that the
go-dqlite oracle fixtures work against our nodes.
"""

import subprocess

import pytest

from tests.support.processes import NodeProcess


def go(go_shell, address, sql):
    result = subprocess.run([go_shell, "-s", address, "db", sql], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_committed_rows_survive_a_restart(go_shell, process_factory, stop):
    node = process_factory()
    go(go_shell, node.address, "CREATE TABLE t (n INTEGER, s TEXT, f REAL)")
    for i in range(20):
        go(go_shell, node.address, f"INSERT INTO t VALUES ({i}, 'row {i}', {i}.5)")
    getattr(node, stop)()
    again = NodeProcess(node.address, node.data_dir).start()
    try:
        expected = "".join(f"{i}|row {i}|{i}.5\n" for i in range(20))
        assert go(go_shell, again.address, "SELECT n, s, f FROM t ORDER BY n") == expected
        assert go(go_shell, again.address, ".cluster") == \
            f"{again.node_id:x}|{again.address}|voter\n"
    finally:
        assert again.terminate() == 0


def test_in_process_node_keeps_data_across_restart(go_shell, node):
    go(go_shell, node.address, "CREATE TABLE k (v TEXT)")
    go(go_shell, node.address, "INSERT INTO k VALUES ('kept')")
    node.stop()
    node.start()
    assert go(go_shell, node.address, "SELECT v FROM k") == "kept\n"


def test_go_demo_fixture_serves_http(go_demo_factory):
    import urllib.request
    _proc, api, _db = go_demo_factory()
    request = urllib.request.Request(f"http://{api}/greeting", data=b"hello", method="PUT")
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.read() == b"done\n"  # the Go demo answers with a newline
    with urllib.request.urlopen(f"http://{api}/greeting", timeout=30) as reply:
        assert reply.read() == b"hello\n"
