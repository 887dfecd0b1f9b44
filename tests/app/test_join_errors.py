"""app.join: a node id that is a member elsewhere is a typed error, told at once."""

import time

import pytest

from dqlite_shell.app.join import join
from dqlite_shell.client.errors import ClientError, MemberConflict


def test_a_member_at_another_address_fails_at_once(node):
    started = time.monotonic()
    with pytest.raises(ClientError) as info:
        join(node.id, "127.0.0.1:1", [node.address], timeout=30)
    assert time.monotonic() - started < 10  # not retried until the timeout
    assert str(info.value) == (f"cannot join 127.0.0.1:1 to the cluster: node id {node.id:#x} "
                               f"is a member at {node.address}, not 127.0.0.1:1")


def test_member_conflict_says_which_node_and_where():
    error = MemberConflict(0x2a, "10.0.0.1:9001", "10.0.0.2:9001")
    assert (error.node_id, error.member_address, error.address) == (
        0x2a, "10.0.0.1:9001", "10.0.0.2:9001")
    assert str(error) == "node id 0x2a is a member at 10.0.0.1:9001, not 10.0.0.2:9001"
    assert isinstance(error, ClientError)
