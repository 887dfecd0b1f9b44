"""The files an app keeps in its data dir besides ``info.yaml``, named as
go-dqlite's app names them: ``cluster.yaml`` (the members last seen) and
``join`` (present while a new node has yet to be added to the cluster)."""

from __future__ import annotations

import os

from dqlite_shell.atomic_write import write_atomically
from dqlite_shell.client.nodestore import NodeStoreError, format_yaml, read_yaml

STORE_FILE = "cluster.yaml"
JOIN_FILE = "join"


def read_store(data_dir: str) -> list[str]:
    """Addresses in ``cluster.yaml``, or [] when there is none (or it is unreadable:
    it only says where to look for a leader, and the cluster is asked again)."""
    path = os.path.join(data_dir, STORE_FILE)
    if not os.path.exists(path):
        return []
    try:
        return [n.address for n in read_yaml(path)]
    except NodeStoreError:
        return []


def write_store(data_dir: str, members: list[tuple[int, str, int]]) -> None:
    """Replace ``cluster.yaml`` with ``members`` (id, address, role), atomically,
    byte for byte as go-dqlite's app writes it (``[]`` for none)."""
    write_atomically(os.path.join(data_dir, STORE_FILE), format_yaml(members))


def mark_joining(data_dir: str) -> None:
    write_atomically(os.path.join(data_dir, JOIN_FILE), "")


def joining(data_dir: str) -> bool:
    return os.path.exists(os.path.join(data_dir, JOIN_FILE))


def joined(data_dir: str) -> None:
    try:
        os.remove(os.path.join(data_dir, JOIN_FILE))
    except FileNotFoundError:
        pass


def forget(data_dir: str) -> None:
    """Remove what a failed first start wrote (``info.yaml`` too)."""
    for name in ("info.yaml", STORE_FILE, JOIN_FILE):
        try:
            os.remove(os.path.join(data_dir, name))
        except FileNotFoundError:
            pass
