"""Reading go-dqlite's node stores (what ``-s file://PATH`` names).

* a path ending in ``.yaml``: a YAML list of ``{ID, Address, Role}`` mappings
  (go-dqlite's ``YamlNodeStore`` and ``cluster.yaml``);
* any other path: an SQLite database with a ``servers(address)`` table
  (go-dqlite's ``DatabaseNodeStore``).

The YAML is the simple shape go-dqlite writes; it is parsed here by hand so
that no YAML library is needed at run time. Errors name the file and line.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass

from dqlite_shell.wire.constants import Role


class NodeStoreError(ValueError):
    """A node store that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class StoredNode:
    id: int
    address: str
    role: int = 0


def read_store(path: str) -> list[StoredNode]:
    """The nodes of the store at ``path`` (YAML or SQLite, as go-dqlite decides)."""
    if path.endswith(".yaml"):
        return read_yaml(path)
    if not os.path.exists(path):
        raise NodeStoreError(f"{path}: no such file")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT address FROM servers").fetchall()
        finally:
            db.close()
    except sqlite3.Error as e:
        raise NodeStoreError(f"{path}: not a node store database: {e}") from None
    return [StoredNode(1, str(address)) for (address,) in rows if address]


def read_yaml(path: str) -> list[StoredNode]:
    """Parse go-dqlite's YAML list of ``{ID, Address, Role}``."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise NodeStoreError(f"{path}: {e.strerror}") from None
    items: list[tuple[int, dict[str, str]]] = []
    for lineno, raw in enumerate(lines, 1):
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#") or line.strip() in ("---", "[]"):
            continue
        stripped = line.lstrip()
        if stripped.startswith("- ") or stripped == "-":
            items.append((lineno, {}))
            stripped = stripped[1:].strip()
            if not stripped:
                continue
        elif not items or not line.startswith(" "):
            raise NodeStoreError(f"{path}:{lineno}: expected a list item '- Address: ...'")
        key, sep, value = stripped.partition(":")
        if not sep:
            raise NodeStoreError(f"{path}:{lineno}: expected 'Key: value'")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        items[-1][1][key.strip()] = value
    nodes = []
    for lineno, item in items:
        fields = {k.lower(): v for k, v in item.items()}
        if "address" not in fields:
            raise NodeStoreError(f"{path}:{lineno}: node without an Address")
        try:
            node_id = int(fields.get("id", "0"), 0)
        except ValueError:
            raise NodeStoreError(f"{path}:{lineno}: ID must be a number, not "
                                 f"{fields['id']!r}") from None
        role = fields.get("role", "0")
        try:
            role_value = int(role) if role.isdigit() else int(Role.from_name(role))
        except (ValueError, KeyError):
            raise NodeStoreError(f"{path}:{lineno}: unknown Role {role!r}") from None
        nodes.append(StoredNode(node_id, fields["address"], role_value))
    return nodes
