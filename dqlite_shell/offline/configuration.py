"""Raft configurations as raft encodes them, in snapshot meta files and in
RAFT_CHANGE log entries (src/raft/configuration.c, configurationEncodeToBuf;
canonical/raft src/configuration.c): a format byte (1), the number of
servers (u64), then per server its id (u64), its address (NUL-terminated)
and its role (u8).

Roles are raft's numbers (src/raft.h: RAFT_STANDBY 0, RAFT_VOTER 1,
RAFT_SPARE 2), not the wire protocol's (wire.constants.Role: voter 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from dqlite_shell.offline.binary import cstring, u64
from dqlite_shell.wire.constants import Role

ENCODING_FORMAT = 1
#: raft's role numbers on disk, as the wire protocol's roles.
RAFT_ROLES = {0: Role.STANDBY, 1: Role.VOTER, 2: Role.SPARE}


@dataclass(frozen=True)
class Server:
    id: int
    address: str
    role: int  # raft's number on disk

    @property
    def role_name(self) -> str:
        role = RAFT_ROLES.get(self.role)
        return role.name.lower() if role is not None else f"role {self.role}"


def decode(data: bytes | memoryview) -> list[Server]:
    """The servers of an encoded configuration; ValueError says what is wrong."""
    if len(data) < 9:
        raise ValueError(f"configuration of {len(data)} bytes, too short")
    if data[0] != ENCODING_FORMAT:
        raise ValueError(f"configuration format {data[0]}, expected {ENCODING_FORMAT}")
    count = u64(data, 1)
    # Each server takes 10 bytes at least: an absurd count is damage.
    if count > len(data) // 10:
        raise ValueError(f"configuration claims {count} servers in {len(data)} bytes")
    offset, servers = 9, []
    for _ in range(count):
        if offset + 8 > len(data):
            raise ValueError("configuration cut short")
        node_id = u64(data, offset)
        address, offset = cstring(data, offset + 8)
        if offset >= len(data):
            raise ValueError("configuration cut short")
        servers.append(Server(node_id, address, data[offset]))
        offset += 1
    return servers


def describe(servers: list[Server]) -> str:
    """``id@address (role), ...`` on one line."""
    return ", ".join(f"{s.id}@{s.address} ({s.role_name})" for s in servers)
