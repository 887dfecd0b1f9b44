"""Mutual TLS end to end with in-process nodes: the cluster, our shell, Go's
shell, the driver, and the clear failures when the two sides do not agree."""

from __future__ import annotations

import os
import socket
import ssl
import struct
import subprocess
import sys
import time

import pytest

from dqlite_shell import dbapi
from dqlite_shell.app.join import join
from dqlite_shell.app.local import LocalCluster
from dqlite_shell.app.tls import TLSConfig, TLSConfigError
from dqlite_shell.app.tlsproxy import TLSFront
from dqlite_shell.client.errors import ClientError, TLSError
from dqlite_shell.client.leader import NodeStore, connect_leader
from dqlite_shell.native.errors import NodeError
from dqlite_shell.native.library import generate_node_id
from dqlite_shell.native.node import Node
from dqlite_shell.native.ports import release_port, reserve_address
from tests.conftest import TEST_LATENCY_MS
from tests.support.certs import certs  # noqa: F401 - the fixture
from tests.support.raw import HANDSHAKE, HEADER

#: Our console script, as users run it.
DQLITE = os.path.join(os.path.dirname(sys.executable), "dqlite")


@pytest.fixture(scope="module")
def tls_cluster(certs, tmp_path_factory):  # noqa: F811
    """Three in-process voters that speak mutual TLS only."""
    with LocalCluster(3, str(tmp_path_factory.mktemp("tls-cluster")),
                      network_latency_ms=TEST_LATENCY_MS, tls=certs.cluster.tuple()) as cluster:
        conn = dbapi.connect(cluster.addresses, "db", cert=certs.cluster.cert,
                             key=certs.cluster.key, autocommit=True)
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
        conn.execute("INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', NULL)")
        conn.close()
        yield cluster


def run(args, timeout=30):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQLITE_")}
    env["XDG_CONFIG_HOME"] = "/nonexistent"  # no user config file
    started = time.monotonic()
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                            timeout=timeout, env=env)
    return result, time.monotonic() - started


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# -- the cluster --------------------------------------------------------


def test_cluster_replicates_over_tls(tls_cluster, certs):  # noqa: F811
    conn = dbapi.connect(tls_cluster.addresses, "db", cert=certs.cluster.cert,
                         key=certs.cluster.key, ca=certs.cluster.ca, autocommit=True)
    try:
        # A commit needs a quorum: Raft reached the followers through TLS dials.
        conn.execute("CREATE TABLE big (n INTEGER, b BLOB)")
        blob = os.urandom(3 * 1024 * 1024 + 17)  # many TLS records, both pumps
        conn.execute("INSERT INTO big VALUES (1, ?)", (blob,))
        assert conn.execute("SELECT n, b FROM big").fetchall() == [(1, blob)]
        members = conn.session.cluster()
        assert sorted(m.address for m in members) == sorted(tls_cluster.addresses)
        assert {m.role for m in members} == {0}  # three voters
    finally:
        conn.close()


def test_every_node_answers_over_tls_only(tls_cluster, certs):  # noqa: F811
    context = TLSConfig(certs.cluster.cert, certs.cluster.key).client_context()
    for address in tls_cluster.addresses:
        with connect_leader(NodeStore([address]), 5, ssl_context=context) as conn:
            assert conn.address in tls_cluster.addresses
        with pytest.raises(TLSError, match="the node may require TLS"):
            connect_leader(NodeStore([address]), 5)


def test_our_shell_reads_over_tls(tls_cluster, certs):  # noqa: F811
    result, _ = run([DQLITE, "-s", tls_cluster.addresses[1], "--cert", certs.cluster.cert,
                     "--key", certs.cluster.key, "db", "-c", "SELECT k, v FROM t ORDER BY k"])
    assert (result.returncode, result.stdout, result.stderr) == (0, "a|1\nb|2\nc|\n", "")


def test_go_shell_reads_over_tls(tls_cluster, certs, go_shell):  # noqa: F811
    # Go checks our certificate against the cert itself and its first DNS name.
    result, _ = run([go_shell, "--cert", certs.cluster.cert, "--key", certs.cluster.key,
                     "-s", tls_cluster.addresses[2], "db", "SELECT k, v FROM t ORDER BY k"])
    assert (result.returncode, result.stdout, result.stderr) == (0, "a|1\nb|2\nc|<nil>\n", "")


# -- clients that do not agree with the nodes -----------------------------


def test_plaintext_shell_is_told_the_node_wants_tls(tls_cluster):
    result, took = run([DQLITE, "-s", ",".join(tls_cluster.addresses), "db", "-c", "SELECT 1"])
    assert result.returncode == 2
    assert result.stdout == ""
    line = one_error_line(result.stderr)
    assert "error: " in line
    assert (f"{tls_cluster.addresses[0]} closed the connection before answering: "
            f"the node may require TLS (use --cert and --key)") in line
    assert took < 5  # not the 10 s leader search


def test_tls_shell_is_told_the_node_does_not_speak_tls(node, certs):  # noqa: F811
    result, took = run([DQLITE, "-s", node.address, "--cert", certs.cluster.cert,
                        "--key", certs.cluster.key, "db", "-c", "SELECT 1"])
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.endswith(f"error: {node.address}: TLS handshake failed: "
                         f"the node does not speak TLS (drop --cert/--key?)"), line
    assert took < 5


def test_client_trusting_another_ca_is_refused(tls_cluster, certs):  # noqa: F811
    address = tls_cluster.addresses[0]
    result, took = run([DQLITE, "-s", address, "--cert", certs.other.cert,
                        "--key", certs.other.key, "db", "-c", "SELECT 1"])
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.endswith(f"error: {address}: TLS handshake failed: certificate verify failed: "
                         f"self-signed certificate"), line
    assert took < 5


def test_client_certificate_from_another_ca_is_refused(tls_cluster, certs):  # noqa: F811
    # The client trusts the nodes, but the nodes do not trust the client:
    # with TLS 1.3 that shows after the client's handshake, as an alert.
    started = time.monotonic()
    with pytest.raises(dbapi.OperationalError) as info:
        dbapi.connect(tls_cluster.addresses[:1], "db", cert=certs.other.cert, key=certs.other.key,
                      ca=certs.cluster.cert, timeout=10)
    assert str(info.value) == (f"{tls_cluster.addresses[0]}: TLS handshake failed: the node "
                               f"refused our certificate (tlsv1 alert unknown ca)")
    assert time.monotonic() - started < 5


def test_bad_handshakes_do_not_hurt_the_front(tls_cluster, certs):  # noqa: F811
    host, port = tls_cluster.addresses[0].rsplit(":", 1)
    payloads = {"plaintext dqlite": struct.pack("<Q", 1) + bytes(16),
                "a broken ClientHello": b"\x16\x03\x01\xff\xff" + bytes(300),
                "nothing": b""}
    for what, payload in payloads.items():
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            answer = b""
            while data := s.recv(4096):  # the front hangs up (a timeout fails the test)
                answer += data
            # Nothing, or one TLS alert record saying why.
            assert answer == b"" or (answer[:2] == b"\x15\x03" and len(answer) == 7), what
    conn = dbapi.connect(tls_cluster.addresses[:1], "db", cert=certs.cluster.cert,
                         key=certs.cluster.key, timeout=5)
    try:
        assert conn.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
    finally:
        conn.close()


# -- joining ------------------------------------------------------------


@pytest.mark.parametrize("who", ["trusts another CA", "is signed by another CA"])
def test_node_with_a_foreign_certificate_cannot_join(tls_cluster, certs, tmp_path, who):  # noqa: F811
    ca = certs.other.cert if who == "trusts another CA" else certs.cluster.cert
    tls = TLSConfig(certs.other.cert, certs.other.key, ca)
    address = reserve_address()
    front = TLSFront(address, tls)
    node = Node(address, tmp_path, node_id=generate_node_id(address),
                bind_address=front.bind_address, dial=front.dial)
    front.start()
    node.start()
    started = time.monotonic()
    try:
        with pytest.raises(ClientError) as info:
            join(node.id, address, tls_cluster.addresses, timeout=20,
                 ssl_context=tls.client_context())
        expected = ("certificate verify failed: self-signed certificate"
                    if who == "trusts another CA" else
                    "the node refused our certificate (tlsv1 alert unknown ca)")
        assert str(info.value).startswith(f"cannot join {address} to the cluster: ")
        assert expected in str(info.value)
        assert time.monotonic() - started < 5  # no waiting for a TLS mismatch to heal
    finally:
        node.stop()
        front.stop()
        release_port(int(address.rsplit(":", 1)[1]))
    conn = dbapi.connect(tls_cluster.addresses, "db", cert=certs.cluster.cert,
                         key=certs.cluster.key)
    try:
        assert address not in [m.address for m in conn.session.cluster()]
    finally:
        conn.close()


# -- the front and the config on their own ------------------------------------


def test_front_dial_fails_cleanly(tls_cluster, certs, free_address):  # noqa: F811
    with TLSFront(free_address, TLSConfig(certs.other.cert, certs.other.key)) as front:
        started = time.monotonic()
        with pytest.raises(ssl.SSLCertVerificationError):
            front.dial(tls_cluster.addresses[0])
        with pytest.raises(OSError):
            front.dial(reserve_address())  # nothing listens there
        assert time.monotonic() - started < 3
    with TLSFront(free_address, certs.cluster.tuple()) as front:
        sock = front.dial(tls_cluster.addresses[0])
        try:
            assert sock.getblocking()
            sock.sendall(HANDSHAKE + HEADER.pack(1, 0, 0, 0) + bytes(8))
            header = sock.recv(8)  # LEADER answered through the TLS link
            assert header[4] == 1  # a SERVER response
        finally:
            sock.close()


def test_front_on_a_taken_port(certs, free_address):  # noqa: F811
    host, port = free_address.rsplit(":", 1)
    with socket.socket() as taken:
        taken.bind((host, int(port)))
        taken.listen()
        front = TLSFront(free_address, certs.cluster.tuple())
        with pytest.raises(NodeError) as info:
            front.start()
    assert str(info.value) == f"cannot bind {free_address}: address already in use"
    assert info.value.code == 1
    front.stop()  # idempotent, also when never started
    front.stop()


def test_front_stop_cuts_connections(certs, node_factory, free_address):  # noqa: F811
    front = TLSFront(free_address, certs.cluster.tuple())
    front.start()
    node_factory(free_address, bind_address=front.bind_address, dial=front.dial)
    context = TLSConfig(*certs.cluster.tuple()).client_context()
    with connect_leader(NodeStore([free_address]), 5, ssl_context=context) as conn:
        front.stop()
        front.stop()
        with pytest.raises(ClientError):
            conn.leader()
    with pytest.raises(ClientError, match="connection refused"):
        connect_leader(NodeStore([free_address]), 0.5, ssl_context=context)


def test_tls_config_checks_files_eagerly(certs, tmp_path):  # noqa: F811
    cfg = TLSConfig(certs.cluster.cert, certs.cluster.key)
    assert cfg.ca == certs.cluster.cert  # one self-signed cert for the cluster
    server = cfg.server_context()
    assert server.verify_mode == ssl.CERT_REQUIRED
    assert server.minimum_version == ssl.TLSVersion.TLSv1_2
    assert cfg.client_context().check_hostname is False
    assert TLSConfig.coerce(None) is None
    assert TLSConfig.coerce(cfg) is cfg
    assert TLSConfig.coerce(certs.other.tuple()).cert == certs.other.cert
    with pytest.raises(TypeError):
        TLSConfig.coerce("cert.pem")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    cases = [
        ((tmp_path / "missing.crt", certs.cluster.key),
         f"cannot read the certificate {tmp_path / 'missing.crt'}: No such file or directory"),
        ((certs.cluster.cert, text), f"the key {text} is not a PEM file"),
        ((certs.cluster.cert, certs.other.key),
         f"cannot load the certificate {certs.cluster.cert} with the key {certs.other.key}: "
         f"key values mismatch"),
        ((certs.cluster.cert, certs.cluster.key, certs.cluster.key),
         f"cannot load the CA certificate {certs.cluster.key}"),
    ]
    for args, message in cases:
        with pytest.raises(TLSConfigError) as info:
            TLSConfig(*args)
        assert str(info.value).startswith(message), str(info.value)
        assert "\n" not in str(info.value)
