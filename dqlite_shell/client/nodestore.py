"""Reading go-dqlite's node stores (what ``-s file://PATH`` names).

* a path ending in ``.yaml``: a YAML list of ``{ID, Address, Role}`` mappings
  (go-dqlite's ``YamlNodeStore`` and ``cluster.yaml``);
* any other path: an SQLite database with a ``servers(address)`` table
  (go-dqlite's ``DatabaseNodeStore``).

The YAML is the simple shape go-dqlite writes; it is parsed here by hand so
that no YAML library is needed at run time. Errors name the file and line.
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import NamedTuple


class NodeStoreError(ValueError):
    """A node store that cannot be read; the message names file and line."""


class StoredNode(NamedTuple):
    """One node of a store; ``id`` is None when the store does not say."""
    id: int | None
    address: str
    role: int = 0
    line: int = 0  # where a YAML store lists it


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
    return [StoredNode(None, str(address)) for (address,) in rows if address]


def read_yaml(path: str) -> list[StoredNode]:
    """Parse the YAML node store at ``path``."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        from dqlite_shell.client.tls import why_unreadable
        raise NodeStoreError(f"{path}: {why_unreadable(e)}") from None
    return parse_yaml(text, path)


_MAX_ID = 2**64 - 1
_KEYS = {"id": "ID", "address": "Address", "role": "Role"}
_ROLES = {"voter": 0, "standby": 1, "stand-by": 1, "spare": 2}


def _scalar(text: str, where: str) -> tuple[str, bool]:
    """A YAML scalar (plain, 'single' or "double" quoted, then an optional
    comment) -> (value, was_quoted)."""
    text = text.strip()
    if text.startswith('"'):
        end = 1
        while end < len(text) and text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            raise NodeStoreError(f"{where}: unterminated string")
        try:
            value = json.loads(text[:end + 1])
        except ValueError:
            raise NodeStoreError(f"{where}: bad escape in {text[:end + 1]}") from None
        rest = text[end + 1:]
    elif text.startswith("'"):
        end, value = 1, []
        while True:
            close = text.find("'", end)
            if close < 0:
                raise NodeStoreError(f"{where}: unterminated string")
            value.append(text[end:close])
            if text[close + 1:close + 2] == "'":
                value.append("'")
                end = close + 2
                continue
            break
        value, rest = "".join(value), text[close + 1:]
    else:
        value = text.split(" #", 1)[0].rstrip()
        if not value:
            raise NodeStoreError(f"{where}: missing value")
        if value[0] in "[{&*!|>%`":  # "@name" is let through: abstract socket addresses
            raise NodeStoreError(f"{where}: expected a plain value, got {text!r}")
        return value, False
    rest = rest.strip()
    if rest and not rest.startswith("#"):
        raise NodeStoreError(f"{where}: unexpected {rest!r} after the string")
    return value, True


def _set(item: dict, text: str, where: str) -> None:
    key, sep, value = text.partition(":")
    key = key.strip().strip("'\"")
    if not sep or not key or (value and not value[0].isspace()):
        raise NodeStoreError(f"{where}: expected 'Key: value'")
    field = _KEYS.get(key.lower())
    if field is None:
        return  # go's decoder ignores unknown fields
    if field in item:
        raise NodeStoreError(f"{where}: {field} given twice")
    value, _ = _scalar(value, where)
    if field == "Address":
        if not value:
            raise NodeStoreError(f"{where}: empty Address")
        item[field] = value
        return
    if field == "Role" and value.lower() in _ROLES:
        item[field] = _ROLES[value.lower()]
        return
    try:
        number = int(value, 16) if value.lower().startswith("0x") else int(value, 10)
    except ValueError:
        raise NodeStoreError(f"{where}: {field} must be a number, not {value!r}") from None
    if field == "ID" and not 0 < number <= _MAX_ID:
        raise NodeStoreError(f"{where}: ID must be from 1 to 2^64-1")
    if field == "Role" and number not in (0, 1, 2):
        raise NodeStoreError(f"{where}: Role must be 0 (voter), 1 (stand-by) or 2 (spare)")
    item[field] = number


def parse_yaml(text: str, path: str = "cluster.yaml") -> list[StoredNode]:
    """The nodes of go-dqlite's YAML node store or ``cluster.yaml``.

    Reads exactly that shape, a block list of mappings with the keys ID,
    Address and Role (Role defaults to voter, ID to None; keys are matched
    without regard to case, as go's decoder does)::

        - Address: 127.0.0.1:9001
          ID: 3297041220608546238
          Role: 0

    Raises NodeStoreError (a ValueError) naming ``path`` and the line.
    """
    items: list[tuple[int, dict]] = []  # (line of the "-", fields)
    item_indent = key_indent = None
    ended = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{path}:{lineno}"
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if ended:
            raise NodeStoreError(f"{where}: only one list of nodes is allowed")
        if "\t" in line[:len(line) - len(line.lstrip())]:
            raise NodeStoreError(f"{where}: tabs are not allowed in indentation")
        indent = len(line) - len(line.lstrip(" "))
        if stripped in ("---", "..."):
            if items:
                ended = True
            continue
        if stripped == "[]" and not items:
            ended = True
            continue
        if stripped == "-" or stripped.startswith("- "):
            if item_indent is not None and indent != item_indent:
                raise NodeStoreError(f"{where}: list items must line up with the first one")
            item_indent = indent
            item: dict = {}
            items.append((lineno, item))
            rest = stripped[1:].lstrip()
            key_indent = None
            if rest.startswith("{"):
                if not rest.split(" #", 1)[0].rstrip().endswith("}"):
                    raise NodeStoreError(f"{where}: expected '}}' at the end of the line")
                body = rest.split(" #", 1)[0].rstrip()[1:-1]
                for part in filter(None, (p.strip() for p in body.split(","))):
                    _set(item, part, where)
                key_indent = -1  # nothing may follow a flow mapping
            elif rest:
                key_indent = indent + len(stripped) - len(rest)
                _set(item, rest, where)
            continue
        if not items:
            raise NodeStoreError(f"{where}: expected a list of nodes ('- ID: ...')")
        if key_indent is None and indent > item_indent:
            key_indent = indent
        if indent != key_indent:
            raise NodeStoreError(f"{where}: bad indentation")
        _set(items[-1][1], stripped, where)
    if not items:
        raise NodeStoreError(f"{path}: no nodes")
    nodes: list[StoredNode] = []
    ids: dict[int, int] = {}
    addresses: dict[str, int] = {}
    for lineno, item in items:
        where = f"{path}:{lineno}"
        if "Address" not in item:
            raise NodeStoreError(f"{where}: this node has no Address")
        node_id, address = item.get("ID"), item["Address"]
        if node_id is not None and node_id in ids:
            raise NodeStoreError(f"{where}: ID {node_id} is also on line {ids[node_id]}")
        if address in addresses:
            raise NodeStoreError(f"{where}: Address {address} is also on line {addresses[address]}")
        ids[node_id], addresses[address] = lineno, lineno
        nodes.append(StoredNode(node_id, address, item.get("Role", 0), lineno))
    return nodes


