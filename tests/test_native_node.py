"""The cffi binding and the in-process Node class, against the real libdqlite."""

import socket

import pytest

from dqlite_shell import native
from dqlite_shell.native import BOOTSTRAP_ID, Node, NodeError, release_port, reserve_address
from tests.support.processes import run_python
from tests.support.raw import ask_leader

pytestmark = pytest.mark.usefixtures("libdqlite")


@pytest.fixture
def libdqlite(node_factory):
    return node_factory  # node_factory skips (outside CI only) when libdqlite is missing


def _leader_of(address):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        return ask_leader(sock)[1:]


def test_version_is_the_system_library():
    # Debian's 1.11.1 package reports 11000 (its header still says 1.10.0).
    assert native.version_number() >= 11000
    major, minor, release = (int(x) for x in native.version().split("."))
    assert major * 10000 + minor * 100 + release == native.version_number()


def test_generated_ids_are_random_and_nonzero():
    ids = {native.generate_node_id("127.0.0.1:9001") for _ in range(5)}
    assert len(ids) == 5 and 0 not in ids


def test_start_stop_close_are_idempotent_and_restart_keeps_identity(tmp_path, free_address):
    node = Node(free_address, tmp_path)
    assert not node.running
    node.start()
    node.start()
    assert node.running
    assert _leader_of(free_address) == (BOOTSTRAP_ID, free_address)
    node.stop()
    node.stop()
    assert not node.running
    with pytest.raises(OSError):
        _leader_of(free_address)
    node.start()  # same dir, same id
    assert _leader_of(free_address) == (BOOTSTRAP_ID, free_address)
    node.close()
    node.close()


def test_context_manager_stops_the_node(tmp_path, free_address):
    with Node(free_address, tmp_path) as node:
        assert node.running
    assert not node.running
    with pytest.raises(OSError):
        _leader_of(free_address)


def test_taken_port_raises_instead_of_aborting(node, tmp_path):
    other = Node(node.address, tmp_path)
    with pytest.raises(NodeError, match="address already in use") as info:
        other.start()
    assert node.address in str(info.value)
    assert not other.running
    assert _leader_of(node.address)[1] == node.address  # the first node is unharmed


def test_missing_data_dir(tmp_path, free_address):
    with pytest.raises(NodeError, match="does not exist"):
        Node(free_address, tmp_path / "missing").start()


@pytest.mark.parametrize("address,match", [
    ("127.0.0.1:99999", "port must be"),
    ("no-such-host.invalid:9001", "unknown host"),
    ("", "empty address"),
])
def test_unusable_addresses(tmp_path, address, match):
    with pytest.raises(NodeError, match=match):
        Node(address, tmp_path)


@pytest.mark.parametrize("options,match", [
    ({"snapshot_params": (1024, 2)}, r"snapshot trailing \(2\) must be at least 4"),
    ({"snapshot_params": (1024, 512)}, r"at least the threshold \(1024\)"),
    ({"network_latency_ms": 0}, "network latency must be 1 to 3600000 ms"),
])
def test_invalid_options_are_named(tmp_path, free_address, options, match):
    with pytest.raises(NodeError, match=match) as info:
        Node(free_address, tmp_path, **options)
    assert info.value.code == 2


def test_options_that_libdqlite_accepts(tmp_path, free_address):
    with Node(free_address, tmp_path, network_latency_ms=5, failure_domain=3,
              snapshot_params=(512, 1024)) as node:
        assert _leader_of(node.address)[1] == free_address


def test_raft_errors_carry_errmsg(tmp_path, free_address):
    with Node(free_address, tmp_path):
        pass
    # A snapshot that raft cannot load makes dqlite_node_start fail with an errmsg.
    (tmp_path / "snapshot-1-1-1").write_bytes(b"x" * 64)
    (tmp_path / "snapshot-1-1-1.meta").write_bytes(b"y" * 64)
    with pytest.raises(NodeError) as info:
        Node(free_address, tmp_path).start()
    assert info.value.errmsg.startswith("raft_start():")
    assert info.value.errmsg in str(info.value)


def test_recover_rewrites_the_configuration(tmp_path, free_address):
    with Node(free_address, tmp_path):
        pass
    new_address = reserve_address()
    try:
        node = Node(new_address, tmp_path)
        node.recover([(BOOTSTRAP_ID, new_address, "voter")])
        with node:
            assert _leader_of(new_address) == (BOOTSTRAP_ID, new_address)
    finally:
        release_port(int(new_address.rsplit(":", 1)[1]))


def test_ipv6_node_is_served_through_a_proxy(node_factory):
    port = native.reserve_port("::1")
    try:
        node = node_factory(f"[::1]:{port}")
        assert node.address == f"[::1]:{port}"
        for _ in range(3):  # each connection gets its own proxied stream
            with socket.create_connection(("::1", port), timeout=5) as sock:
                assert ask_leader(sock)[1:] == (node.id, node.address)
        node.stop()
        with pytest.raises(OSError):
            socket.create_connection(("::1", port), timeout=1)
        node.start()
        with socket.create_connection(("::1", port), timeout=5) as sock:
            assert ask_leader(sock)[1:] == (node.id, node.address)
    finally:
        release_port(port)


def test_taken_ipv6_port_raises(node_factory, tmp_path):
    port = native.reserve_port("::1")
    try:
        node = node_factory(f"[::1]:{port}")
        with pytest.raises(NodeError, match="address already in use"):
            Node(node.address, tmp_path).start()
    finally:
        release_port(port)


def test_reserved_ports_are_never_handed_out_twice():
    ports = [native.reserve_port() for _ in range(50)]
    try:
        assert len(set(ports)) == 50
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
        assert all(not low <= p <= high for p in ports)  # outgoing connections never get them
    finally:
        for p in ports:
            release_port(p)


@pytest.mark.parametrize("nodes,match", [
    ([], "at least one node"),
    ([(1, "127.0.0.1:1", "voter"), (1, "127.0.0.1:2", "voter")], "listed twice"),
    ([(1, "127.0.0.1:1", "voter"), (2, "127.0.0.1:1", "spare")], "listed twice"),
    ([(1, "127.0.0.1:1", "boss")], "unknown role"),
])
def test_recover_refuses_what_would_abort_libdqlite(tmp_path, free_address, nodes, match):
    with pytest.raises(NodeError, match=match):
        Node(free_address, tmp_path).recover(nodes)


_THREAD_MASKS = """
import os, signal, sys, tempfile
from dqlite_shell.native import Node, reserve_address
from tests.support.processes import blocked_signals
node = Node(reserve_address(), tempfile.mkdtemp())
node.start()
masks = blocked_signals(os.getpid())
node.stop()
term = 1 << (signal.SIGTERM - 1)
print(len(masks), masks[os.getpid()] & term, all(m & term for t, m in masks.items()
                                                 if t != os.getpid()))
"""


def test_node_threads_leave_signals_to_python():
    """libdqlite's threads block the signals Python handles, so that the
    kernel gives those to a thread that runs the handler (a SIGTERM taken by
    the node's loop waited for the main thread's next bytecode)."""
    run = run_python(_THREAD_MASKS)
    assert run.returncode == 0, run.stderr
    threads, main_blocks, others_block = run.stdout.split()
    assert int(threads) >= 2 and main_blocks == "0" and others_block == "True", run.stdout
