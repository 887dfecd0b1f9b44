"""``dqlite-node`` as users run it: in the foreground, stopped by signals."""

import signal
import socket
import subprocess

import pytest

from tests.support.processes import NODE_COMMAND, NodeProcess, blocked_signals
from tests.support.raw import ask_leader


def _leader_of(address):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        return ask_leader(sock)[1:]


def _run(*args, timeout=30):
    return subprocess.run(NODE_COMMAND + list(args), capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_with_exit_0(node_process, sig):
    assert _leader_of(node_process.address) == (node_process.node_id, node_process.address)
    assert node_process._signal(sig) == 0
    with pytest.raises(OSError):
        _leader_of(node_process.address)


def test_every_thread_leaves_the_stop_signals_to_the_main_one(node_process):
    """A SIGTERM taken by one of libdqlite's threads used to wait for the
    main thread's next bytecode (up to an hour): every thread blocks the stop
    signals, and the main one takes them with sigwait."""
    pid = node_process.proc.pid
    masks = blocked_signals(pid)
    # The main thread (its tid is the pid) shows no mask while in sigwait,
    # which unblocks what it waits for; the others: libdqlite's loop at least.
    others = {tid: mask for tid, mask in masks.items() if tid != pid}
    stop = (1 << (signal.SIGTERM - 1)) | (1 << (signal.SIGINT - 1))
    assert others and all(mask & stop == stop for mask in others.values()), masks
    assert node_process.terminate() == 0


def test_sigkill_then_restart_on_the_same_dir_is_the_same_node(node_process):
    first_id = node_process.node_id
    assert node_process.kill() == -signal.SIGKILL
    again = NodeProcess(node_process.address, node_process.data_dir).start()
    try:
        assert again.node_id == first_id
        assert _leader_of(again.address) == (first_id, again.address)
    finally:
        assert again.terminate() == 0


def test_new_dir_is_created_and_remembers_the_address(tmp_path, free_address):
    data_dir = tmp_path / "a" / "b"
    proc = NodeProcess(free_address, str(data_dir)).start()
    try:
        info = (data_dir / "info.yaml").read_text()
        assert f"Address: {free_address}\n" in info
        assert f"ID: {proc.node_id}\n" in info
    finally:
        assert proc.terminate() == 0


def _assert_one_line_error(result, *words):
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("dqlite-node: error: ")
    for word in words:
        assert word in lines[0]


def test_taken_port_exits_2(node_process, tmp_path):
    result = _run("--address", node_process.address, "--dir", str(tmp_path / "other"))
    _assert_one_line_error(result, node_process.address, "already in use")
    assert _leader_of(node_process.address)[1] == node_process.address


def test_bad_flag_exits_2(tmp_path):
    _assert_one_line_error(_run("--adress", "127.0.0.1:1", "--dir", str(tmp_path)), "--adress")


def test_missing_flag_exits_2(tmp_path):
    _assert_one_line_error(_run("--dir", str(tmp_path)), "--address")


def test_dir_that_is_a_file_exits_2(tmp_path, free_address):
    path = tmp_path / "file"
    path.write_text("not a dir")
    _assert_one_line_error(_run("--address", free_address, "--dir", str(path)), str(path))


def test_bad_address_exits_2(tmp_path):
    _assert_one_line_error(_run("--address", "127.0.0.1:notaport", "--dir", str(tmp_path)),
                           "port must be")


def test_dir_of_another_node_exits_2(node_process, free_address):
    node_process.terminate()
    result = _run("--address", free_address, "--dir", node_process.data_dir)
    _assert_one_line_error(result, node_process.address, "belongs to")


def test_help_and_version():
    assert "--address" in _run("--help").stdout
    result = _run("--version")
    assert result.returncode == 0 and result.stdout.startswith("dqlite-node, version ")
