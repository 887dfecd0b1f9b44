"""``dqlite-node --cert/--key``: a TLS cluster of processes survives a SIGKILLed
leader; bad certificate files and foreign certificates fail in one line."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.app.local import LocalCluster
from tests.conftest import TEST_LATENCY_MS
from tests.support.certs import certs  # noqa: F401 - the fixture
from tests.support.processes import NODE_COMMAND


@pytest.fixture
def tls_processes(certs, tmp_path):  # noqa: F811
    with LocalCluster(3, str(tmp_path / "cluster"), processes=True,
                      network_latency_ms=TEST_LATENCY_MS, tls=certs.cluster.tuple()) as cluster:
        yield cluster


def node_command(*args, timeout=20):
    started = time.monotonic()
    result = subprocess.run(NODE_COMMAND + [str(a) for a in args], capture_output=True,
                            text=True, timeout=timeout)
    return result, time.monotonic() - started


def test_driver_writes_after_the_leader_is_killed(tls_processes, certs):  # noqa: F811
    cluster = tls_processes
    tls = dict(cert=certs.cluster.cert, key=certs.cluster.key, ca=certs.cluster.ca)
    conn = dbapi.connect(cluster.addresses, "db", timeout=15, autocommit=True, **tls)
    try:
        conn.execute("CREATE TABLE f (n INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO f VALUES (?)", [(i,) for i in range(5)])
        old = conn.leader
        cluster.kill(cluster.addresses.index(old))
        started = time.monotonic()
        conn.execute("INSERT INTO f VALUES (5)")  # elected and reached over TLS
        assert conn.leader != old
        assert time.monotonic() - started < 10
    finally:
        conn.close()
    alive = [a for a in cluster.addresses if a != old]
    check = dbapi.connect(alive, "db", timeout=10, **tls)
    try:
        assert check.execute("SELECT count(*), max(n) FROM f").fetchall() == [(6, 5)]
    finally:
        check.close()
    # Without TLS, the survivors refuse at once and say why.
    with pytest.raises(dbapi.OperationalError, match="the node may require TLS"):
        dbapi.connect(alive, "db", timeout=10)


def test_bad_certificate_files_exit_2(certs, tmp_path, free_address):  # noqa: F811
    cases = [
        (["--cert", tmp_path / "none.crt", "--key", certs.cluster.key],
         f"cannot read the certificate {tmp_path / 'none.crt'}: No such file or directory"),
        (["--cert", certs.cluster.cert, "--key", certs.other.key],
         f"cannot load the certificate {certs.cluster.cert} with the key {certs.other.key}: "
         f"key values mismatch"),
        (["--cert", certs.cluster.cert], "TLS needs both --cert and --key"),
    ]
    for args, message in cases:
        result, took = node_command("-a", free_address, "-d", tmp_path / "d", *args)
        assert (result.returncode, result.stdout) == (2, ""), result
        assert result.stderr == f"dqlite-node: error: {message}\n"
        assert took < 5
    # Nothing was left behind listening.
    with socket.socket() as s:
        host, port = free_address.rsplit(":", 1)
        s.bind((host, int(port)))


def test_taken_address_exits_2(certs, tmp_path, free_address):  # noqa: F811
    host, port = free_address.rsplit(":", 1)
    with socket.socket() as taken:
        taken.bind((host, int(port)))
        taken.listen()
        result, _ = node_command("-a", free_address, "-d", tmp_path / "d",
                                 "--cert", certs.cluster.cert, "--key", certs.cluster.key)
    assert result.returncode == 2
    assert result.stderr == f"dqlite-node: error: cannot bind {free_address}: " \
                            f"address already in use\n"


def test_node_without_a_certificate_is_told_to_give_one(tls_processes, tmp_path, free_address):
    result, took = node_command("-a", free_address, "-d", tmp_path / "plain",
                                "-j", tls_processes.addresses[0])
    assert result.returncode == 2
    assert result.stderr.startswith(f"dqlite-node: error: cannot join {free_address} to the "
                                    "cluster: "), result.stderr
    assert result.stderr.endswith(" (use --cert and --key)\n"), result.stderr
    assert took < 10  # a TLS mismatch does not wait for --timeout


def test_node_with_another_ca_cannot_join(tls_processes, certs, tmp_path, free_address):  # noqa: F811
    result, took = node_command("-a", free_address, "-d", tmp_path / "intruder",
                                "-j", tls_processes.addresses[0],
                                "--cert", certs.other.cert, "--key", certs.other.key)
    assert result.returncode == 2
    assert result.stderr == (
        f"dqlite-node: error: cannot join {free_address} to the cluster: "
        f"{tls_processes.addresses[0]}: TLS handshake failed: certificate verify failed: "
        f"self-signed certificate\n")
    assert took < 10  # the default --timeout is 30 s: a TLS mismatch does not wait for it
