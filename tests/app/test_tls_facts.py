"""What the client says when TLS is not agreed: typed facts without the
shell's options (the shell adds them: tests/app/test_tls.py checks its lines)."""

from __future__ import annotations

import pytest

from dqlite_shell.app.local import LocalCluster
from dqlite_shell.client.errors import NotTLS, TLSMismatch, TLSRequired
from dqlite_shell.client.leader import NodeStore, connect_leader
from dqlite_shell.client.tls import client_context
from dqlite_shell.shell.errors import describe
from tests.conftest import TEST_LATENCY_MS
from tests.support.certs import certs  # noqa: F401 - the fixture


@pytest.fixture(scope="module")
def tls_node(certs, tmp_path_factory):  # noqa: F811
    with LocalCluster(1, str(tmp_path_factory.mktemp("tls-node")),
                      network_latency_ms=TEST_LATENCY_MS, tls=certs.cluster.tuple()) as cluster:
        yield cluster.addresses[0]


def test_a_plaintext_client_is_told_the_node_may_require_tls(tls_node):
    with pytest.raises(TLSMismatch) as info:
        connect_leader(NodeStore([tls_node]), timeout=5)
    error = info.value
    assert [type(e) for e in error.causes.values()] == [TLSRequired]
    fact = f"{tls_node} closed the connection before answering: the node may require TLS"
    assert str(error) == fact
    assert describe(error) == fact + " (use --cert and --key)"


def test_a_tls_client_is_told_the_node_does_not_speak_tls(node, certs):  # noqa: F811
    context = client_context(certs.cluster.cert, certs.cluster.key)
    with pytest.raises(TLSMismatch) as info:
        connect_leader(NodeStore([node.address]), timeout=5, ssl_context=context)
    error = info.value
    assert [type(e) for e in error.causes.values()] == [NotTLS]
    fact = f"{node.address}: TLS handshake failed: the node does not speak TLS"
    assert str(error) == fact
    assert describe(error) == fact + " (drop --cert/--key?)"
