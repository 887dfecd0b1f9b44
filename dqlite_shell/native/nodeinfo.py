"""The identity a node keeps in its data dir (``info.yaml``).

Same file name and keys as go-dqlite's app (``ID``, ``Address``, ``Role``), so
a restart on the same dir is the same node. Read and written as YAML by
``client.nodestore`` (the one place go-dqlite's node files are parsed), in the
layout go-dqlite writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

FILE_NAME = "info.yaml"


@dataclass(frozen=True)
class NodeInfo:
    id: int
    address: str
    role: int = 0


def path_in(data_dir: str) -> str:
    return os.path.join(data_dir, FILE_NAME)


def read(data_dir: str) -> NodeInfo | None:
    """The node info stored in ``data_dir``, or None when there is none.

    Raises ValueError naming the file and line for a file we cannot read.
    """
    from dqlite_shell.client.nodestore import parse_node_yaml
    path = path_in(data_dir)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    node = parse_node_yaml(text, path)
    if node.id is None:  # parse_node_yaml requires an ID; this tells mypy
        raise ValueError(f"{path}: no ID in it")
    return NodeInfo(node.id, node.address, node.role)


def write(data_dir: str, info: NodeInfo) -> None:
    """Store ``info`` atomically (write then rename)."""
    from dqlite_shell.atomic_write import write_atomically
    from dqlite_shell.client.nodestore import dump_yaml, node_yaml
    write_atomically(path_in(data_dir), dump_yaml(node_yaml(info.id, info.address, info.role)),
                     mode=0o644)
