"""Smoke tests on each server of the matrix, through ``dqlite-node`` child
processes loading that server's library: clusters serve our client and
shell, the node options of later releases take effect (and are refused with
one line where the library lacks them). Mixed clusters: test_mixed_clusters.py."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.client.leader import NodeStore, connect_leader
from tests.native.servers import SERVERS, Server, require
from tests.shell.conftest import run_dqlite
from tests.support.processes import NODE_COMMAND

#: Raft timeouts as the rest of the suite's clusters (tests/conftest.py).
LATENCY = ["--network-latency-ms", "40"]


def start_cluster(server_nodes, servers: list[Server], extra_args=()) -> list:
    """Nodes on ``servers`` (one each, in order): the first bootstraps, the
    others join it as voters."""
    first = server_nodes(servers[0], [*LATENCY, *extra_args])
    nodes = [first]
    for server in servers[1:]:
        nodes.append(server_nodes(server, [*LATENCY, *extra_args, "--join", first.address]))
    return nodes


def loaded_library(node) -> str:
    """The libdqlite file mapped in a node process (Linux's /proc)."""
    with open(f"/proc/{node.proc.pid}/maps", encoding="utf-8") as f:
        paths = {line.split(None, 5)[5].strip() for line in f if "libdqlite" in line}
    assert len(paths) == 1, paths
    return os.path.realpath(paths.pop())


def assert_runs(node, server: Server) -> None:
    path = loaded_library(node)
    if server.prefix is None:
        assert not path.startswith(os.path.realpath(os.path.dirname(SERVERS["1.18"].prefix)))
    else:
        assert path.startswith(os.path.realpath(server.prefix) + "/"), path


def addresses(nodes) -> list[str]:
    return [n.address for n in nodes]


def leader_conn(nodes):
    return connect_leader(NodeStore(addresses(nodes)), 30)


def node_cli(server: Server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*NODE_COMMAND, *args], capture_output=True, text=True, timeout=60,
                          env=server.env())


def last_entry(server: Server, data_dir: str) -> tuple[int, int]:
    """``dqlite-node --describe-last-entry`` of ``data_dir``: (index, term)."""
    result = node_cli(server, "--describe-last-entry", "--dir", data_dir)
    assert result.returncode == 0, result.stderr
    # "DIR: last entry index N, term T"
    _, _, tail = result.stdout.strip().rpartition(": last entry index ")
    index, term = tail.split(", term ")
    return int(index), int(term)


@pytest.mark.servers("1.17", "1.18")
def test_a_cluster_serves_client_and_shell_and_tells_its_most_up_to_date_dir(
        dqlite_server, server_nodes):
    nodes = start_cluster(server_nodes, [dqlite_server] * 3)
    for node in nodes:
        assert_runs(node, dqlite_server)
    with leader_conn(nodes) as conn:
        assert sorted(n.address for n in conn.cluster()) == sorted(addresses(nodes))
    conn = dbapi.connect(addresses(nodes), "smoke", autocommit=True)
    try:
        conn.execute("CREATE TABLE t (n INTEGER, s TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"row {i}") for i in range(20)])
        # The shell, through another node of the list, reads what the driver wrote.
        shell = run_dqlite("-s", nodes[2].address, "smoke", "-c",
                           "SELECT count(*), sum(n), max(s) FROM t")
        assert (shell.status, shell.out, shell.err) == (0, "20|190|row 9\n", "")
        # One follower stops; the others go on writing without it.
        with leader_conn(nodes) as admin:
            leader = admin.leader().address
        behind = next(n for n in nodes if n.address != leader)
        behind.terminate()
        conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, "later") for i in range(5)])
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (25,)
    finally:
        conn.close()
    for node in nodes:
        node.terminate()
    entries = {n.address: last_entry(dqlite_server, n.data_dir) for n in nodes}
    # Raft's rule: the higher term, then the higher index, is more up to date.
    most = max(entries, key=lambda a: (entries[a][1], entries[a][0]))
    assert most != behind.address
    assert entries[most][0] >= entries[behind.address][0] + 5
    assert entries[most][1] >= 1


def _write_concurrently(address: str, writers: int, rows: int) -> tuple[int, int, float]:
    """``writers`` threads each INSERT ``rows`` rows, one autocommit statement
    at a time, with no client-side retry: (rows written, "database is
    locked" errors, seconds)."""
    conns = [dbapi.connect([address], "queue", autocommit=True, busy_timeout=0,
                           check_same_thread=False) for _ in range(writers)]
    conns[0].execute("CREATE TABLE IF NOT EXISTS t (w INTEGER, i INTEGER)")
    locked = [0] * writers
    barrier = threading.Barrier(writers)

    def write(w: int) -> None:
        barrier.wait(10)
        for i in range(rows):
            try:
                conns[w].execute("INSERT INTO t VALUES (?, ?)", (w, i))
            except dbapi.OperationalError as e:
                assert "locked" in str(e) or "busy" in str(e), e
                locked[w] += 1

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    written = conns[0].execute("SELECT count(*) FROM t").fetchone()[0]
    for c in conns:
        c.close()
    return written, sum(locked), elapsed


@pytest.mark.servers("1.18")
def test_busy_timeout_queues_concurrent_writers_instead_of_failing(dqlite_server, server_nodes):
    writers, rows = 4, 40
    plain = server_nodes(dqlite_server, LATENCY)
    queued = server_nodes(dqlite_server, [*LATENCY, "--busy-timeout-ms", "5000"])
    written, locked, plain_s = _write_concurrently(plain.address, writers, rows)
    assert locked > 0 and written == writers * rows - locked  # each refusal lost a row
    written, locked_queued, queued_s = _write_concurrently(queued.address, writers, rows)
    assert (written, locked_queued) == (writers * rows, 0)
    print(f"\n{writers} writers x {rows} rows on {dqlite_server.release}: without busy timeout "
          f"{locked} locked in {plain_s:.2f} s; with 5000 ms, 0 locked in {queued_s:.2f} s")


SNAPSHOT_SCRIPT = """
import os, sys, time
from dqlite_shell import dbapi
from dqlite_shell.native import Node, reserve_address
data_dir, compression = sys.argv[1], sys.argv[2] == "on"
node = Node(reserve_address(), data_dir, snapshot_params=(16, 16),
            snapshot_compression=compression, auto_recovery=False, block_size=4096)
with node:
    conn = dbapi.connect([node.address], "snap", autocommit=True)
    conn.execute("CREATE TABLE t (s TEXT)")
    for i in range(40):
        conn.execute("INSERT INTO t VALUES (?)", ("x" * 1000,))
    conn.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        snaps = [f for f in os.listdir(data_dir) if f.startswith("snapshot-") and
                 not f.endswith(".meta")]
        if snaps:
            break
        time.sleep(0.05)
    with open(os.path.join(data_dir, sorted(snaps)[-1]), "rb") as f:
        print(f.read(4).hex())
"""

#: The first bytes of an LZ4 frame (magic 0x184D2204, little endian).
LZ4_MAGIC = "04224d18"


@pytest.mark.servers("1.17", "1.18")
@pytest.mark.parametrize("compression", ["on", "off"])
def test_snapshot_compression_is_what_was_asked(dqlite_server, tmp_path, compression):
    # In a child process: Node in-process, with that server's library.
    result = subprocess.run([*NODE_COMMAND[:1], "-c", SNAPSHOT_SCRIPT, str(tmp_path), compression],
                            capture_output=True, text=True, timeout=60, env=dqlite_server.env())
    assert result.returncode == 0, result.stderr
    assert (result.stdout.strip() == LZ4_MAGIC) == (compression == "on"), result.stdout


LACKING = [
    ("1.11", "--busy-timeout-ms", "0", "1.18.2"),
    ("1.11", "--snapshot-compression", None, "1.16.2"),
    ("1.11", "--no-auto-recovery", None, "1.16.0"),
    ("1.11", "--block-size", "4096", "1.15.0"),
    ("1.17", "--busy-timeout-ms", "10", "1.18.2"),
]


@pytest.mark.parametrize("name, flag, value, release", LACKING,
                         ids=[f"{n}{f}" for n, f, _, _ in LACKING])
def test_an_option_the_library_lacks_is_one_error(tmp_path, free_address, name, flag, value,
                                                   release):
    server = require(SERVERS[name])
    args = [flag] if value is None else [flag, value]
    result = node_cli(server, "-a", free_address, "-d", str(tmp_path), *args)
    option = flag.replace("--no-", "--")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"dqlite-node: error: {option} needs dqlite {release} "
                                    f"or later ("), result.stderr
    assert result.stderr.count("\n") == 1 and "lacks it" in result.stderr
    assert os.listdir(tmp_path) == []  # nothing was started or written


def test_describe_last_entry_on_1_11_is_one_error(tmp_path):
    result = node_cli(require(SERVERS["1.11"]), "--describe-last-entry", "-d", str(tmp_path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("dqlite-node: error: --describe-last-entry needs "
                                    "dqlite 1.17.0 or later")


@pytest.mark.servers("1.18")
def test_bad_option_values_are_named(dqlite_server, tmp_path, free_address):
    result = node_cli(dqlite_server, "-a", free_address, "-d", str(tmp_path),
                      "--block-size", "1000")
    assert result.returncode == 2
    assert result.stderr == ("dqlite-node: error: block size must be one of 512, 1024, 2048, "
                             "4096, 8192, 16384, 32768, 65536, 131072, 262144, not 1000\n")
    result = node_cli(dqlite_server, "--describe-last-entry", "-d", str(tmp_path / "none"))
    assert (result.returncode, result.stderr) == (
        2, f"dqlite-node: error: data dir {tmp_path / 'none'} does not exist\n")


def test_app_refuses_an_option_the_library_lacks(tmp_path, free_address):
    from dqlite_shell.native import NodeError, library
    if library.has("dqlite_node_set_busy_timeout"):
        pytest.skip("this process loaded a libdqlite with a busy timeout")
    from dqlite_shell.app.app import App
    with pytest.raises(NodeError, match=r"^the busy timeout needs dqlite 1\.18\.2 or later"):
        App(tmp_path / "app", address=free_address, busy_timeout_ms=100)
    assert not os.path.exists(tmp_path / "app" / "info.yaml")  # the dir is left as it was
