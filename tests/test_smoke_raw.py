"""Raw smoke test: a hand-built handshake and LEADER request to real nodes."""

import socket

from dqlite_shell.native import BOOTSTRAP_ID
from tests.support.raw import ask_leader

SERVER = 1  # response type of LEADER


def _connect(address: str) -> socket.socket:
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=5)


def test_in_process_node_names_itself_leader(node):
    with _connect(node.address) as sock:
        msg_type, node_id, address = ask_leader(sock)
    assert msg_type == SERVER
    assert node_id == BOOTSTRAP_ID == node.id
    assert address == node.address


def test_child_process_node_names_itself_leader(node_process):
    with _connect(node_process.address) as sock:
        msg_type, node_id, address = ask_leader(sock)
    assert (msg_type, node_id, address) == (SERVER, node_process.node_id, node_process.address)


def test_abstract_socket_node_answers_in_process(node_factory):
    node = node_factory("@")
    assert node.address.startswith("@") and len(node.address) > 1
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect("\0" + node.address[1:])
        msg_type, node_id, address = ask_leader(sock)
    assert (msg_type, node_id, address) == (SERVER, node.id, node.address)
