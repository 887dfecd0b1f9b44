"""The identity a node keeps in its data dir (``info.yaml``).

Same file name and keys as go-dqlite's app (``ID``, ``Address``, ``Role``), so
a restart on the same dir is the same node. Written and read by hand: three
scalar keys do not need a YAML library at run time.
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
    path = path_in(data_dir)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    values = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{path}:{lineno}: expected 'Key: value'")
        values[key.strip()] = value.strip().strip('"').strip("'")
    try:
        return NodeInfo(int(values["ID"], 0), values["Address"], int(values.get("Role", "0")))
    except KeyError as e:
        raise ValueError(f"{path}: missing key {e.args[0]}") from None
    except ValueError:
        raise ValueError(f"{path}: ID and Role must be numbers") from None


def write(data_dir: str, info: NodeInfo) -> None:
    """Store ``info`` atomically (write then rename)."""
    path = path_in(data_dir)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"Address: {info.address}\nID: {info.id}\nRole: {info.role}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
