"""Hand-built protocol bytes for smoke tests that must not depend on our client."""

import socket
import struct

#: The frame header (words of body, type, schema, unused), declared apart from
#: dqlite_shell.wire.frames: the tests' own reading of the protocol.
HEADER = struct.Struct("<IBBH")
HANDSHAKE = struct.pack("<Q", 1)  # protocol version 1


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def ask_leader(sock: socket.socket) -> tuple[int, int, bytes]:
    """Send the handshake and a LEADER request; return (type, node id, address)."""
    sock.sendall(HANDSHAKE)
    sock.sendall(HEADER.pack(1, 0, 0, 0) + bytes(8))  # LEADER: one unused word
    words, msg_type, _schema, _ = HEADER.unpack(recv_exactly(sock, 8))
    body = recv_exactly(sock, words * 8)
    (node_id,) = struct.unpack_from("<Q", body)
    address = body[8:body.index(b"\0", 8)].decode()
    return msg_type, node_id, address
