"""Reading go-dqlite's node stores (what ``-s file://PATH`` names), and the
YAML files go-dqlite keeps about nodes.

* a path ending in ``.yaml``: a YAML list of ``{ID, Address, Role}`` mappings
  (go-dqlite's ``YamlNodeStore`` and ``cluster.yaml``);
* any other path: an SQLite database with a ``servers(address)`` table
  (go-dqlite's ``DatabaseNodeStore``).

YAML is read and written with PyYAML (libyaml's C loader and dumper when it
is built with them). Importing it costs ~25 ms, so it is imported here, on
first use, by those who read or write YAML: never on the path of
``dqlite -s HOST:PORT``. Errors name the file and the line.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any, NamedTuple

from dqlite_shell.wire.constants import Role


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


# -- YAML through PyYAML --------------------------------------------------------

def _yaml():
    import yaml  # here, not at the top: see the module's docstring
    return yaml


def _loader(yaml):
    """libyaml's safe loader when PyYAML is built with it (faster), else PyYAML's own."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _error(path: str, e, text: str) -> NodeStoreError:
    """``PATH:LINE: not valid YAML: PROBLEM`` for PyYAML's error ``e`` about ``text``."""
    yaml = _yaml()
    if isinstance(e, yaml.reader.ReaderError):  # a control character: a position, no mark
        # libyaml counts the position in UTF-8 bytes, PyYAML's own reader in characters
        if _loader(yaml) is not yaml.SafeLoader:
            line = text.encode()[:e.position].count(b"\n") + 1
        else:
            line = text[:e.position].count("\n") + 1
        return NodeStoreError(f"{path}:{line}: not valid YAML: {e.reason} "
                              f"(character #x{e.character:04x})")
    mark, problem = getattr(e, "problem_mark", None), getattr(e, "problem", None)
    if mark is None or not problem:
        return NodeStoreError(f"{path}: not valid YAML: {str(e).splitlines()[0]}")
    context, start = getattr(e, "context", None), getattr(e, "context_mark", None)
    if context and start is not None and start.line != mark.line:
        problem += f" ({context} on line {start.line + 1})"
    elif context:
        problem += f" ({context})"
    return NodeStoreError(f"{path}:{mark.line + 1}: not valid YAML: {problem}")


def load_yaml(text: str, path: str) -> Any:
    """The data of the YAML document ``text`` (plain types only: PyYAML's safe
    loader). Raises NodeStoreError (a ValueError) naming ``path`` and the line."""
    yaml = _yaml()
    try:
        return yaml.load(text, Loader=_loader(yaml))
    except yaml.YAMLError as e:
        raise _error(path, e, text) from None


def dump_yaml(data: Any) -> str:
    """``data`` as block YAML, keys in the order given: the layout of go's
    yaml.v2, so ``[{"Address": .., "ID": .., "Role": ..}]`` comes out byte for byte
    as go-dqlite writes ``cluster.yaml`` (strings YAML would misread are quoted)."""
    yaml = _yaml()
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                     sort_keys=False, default_flow_style=False, allow_unicode=True)


def _compose(text: str, path: str):
    """The YAML node tree of ``text`` (it keeps each value's line), or None when empty."""
    yaml = _yaml()
    try:
        root = yaml.compose(text, Loader=_loader(yaml))
    except yaml.YAMLError as e:
        raise _error(path, e, text) from None
    if root is None or root.tag == _NULL:
        return None
    return root


# -- the nodes of go-dqlite's files ---------------------------------------------

_MAX_ID = 2**64 - 1
_KEYS = {"id": "ID", "address": "Address", "role": "Role"}
_NULL, _INT = "tag:yaml.org,2002:null", "tag:yaml.org,2002:int"


def _line(node) -> int:
    return node.start_mark.line + 1


def _kind(node) -> str:
    yaml = _yaml()
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a mapping" if isinstance(node, yaml.MappingNode) else repr(node.value)


def _value(field: str, node, where: str) -> int | str:
    """The value of ``field`` given as the YAML node ``node``, checked."""
    yaml = _yaml()
    if not isinstance(node, yaml.ScalarNode):
        raise NodeStoreError(f"{where}: expected a plain value for {field}, got {_kind(node)}")
    if node.tag == _NULL:
        raise NodeStoreError(f"{where}: missing value for {field}")
    text = node.value
    if field == "Address":  # go's decoder takes a scalar's text for a string (9001 too)
        if not text:
            raise NodeStoreError(f"{where}: empty Address")
        return text
    if field == "Role" and not text.isdigit():
        try:
            return int(Role.parse(text))  # voter, standby, stand-by, spare
        except ValueError:
            pass
    if node.tag != _INT:  # a bool, a float, a quoted number: go's decoder refuses them too
        raise NodeStoreError(f"{where}: {field} must be a number, not {text!r}")
    number = yaml.constructor.SafeConstructor().construct_yaml_int(node)  # 0x.., 1_000
    if field == "ID" and not 0 < number <= _MAX_ID:
        raise NodeStoreError(f"{where}: ID must be from 1 to 2^64-1")
    if field == "Role" and number not in (0, 1, 2):
        raise NodeStoreError(f"{where}: Role must be 0 (voter), 1 (stand-by) or 2 (spare)")
    return number


def _fields(node, path: str) -> dict:
    """The ID, Address and Role of the YAML mapping ``node``; keys are matched
    without regard to case, others are ignored (as go's decoder does)."""
    yaml = _yaml()
    if not isinstance(node, yaml.MappingNode):
        raise NodeStoreError(f"{path}:{_line(node)}: expected a node ('ID: ...', "
                             f"'Address: ...'), got {_kind(node)}")
    fields: dict = {}
    for key, value in node.value:
        where = f"{path}:{_line(key)}"
        field = _KEYS.get(key.value.lower()) if isinstance(key, yaml.ScalarNode) else None
        if field is None:
            continue
        if field in fields:
            raise NodeStoreError(f"{where}: {field} given twice")
        fields[field] = _value(field, value, where)
    return fields


def parse_yaml(text: str, path: str = "cluster.yaml") -> list[StoredNode]:
    """The nodes of go-dqlite's YAML node store or ``cluster.yaml``: a list of
    mappings with the keys ID, Address and Role (Role defaults to voter, ID to
    None; keys are matched without regard to case, as go's decoder does)::

        - Address: 127.0.0.1:9001
          ID: 3297041220608546238
          Role: 0

    Raises NodeStoreError (a ValueError) naming ``path`` and the line.
    """
    yaml = _yaml()
    root = _compose(text, path)
    if root is None or (isinstance(root, yaml.SequenceNode) and not root.value):
        raise NodeStoreError(f"{path}: no nodes")
    if not isinstance(root, yaml.SequenceNode):
        raise NodeStoreError(f"{path}:{_line(root)}: expected a list of nodes ('- ID: ...')")
    nodes: list[StoredNode] = []
    ids: dict[int, int] = {}
    addresses: dict[str, int] = {}
    for item in root.value:
        item_fields, lineno = _fields(item, path), _line(item)
        where = f"{path}:{lineno}"
        if "Address" not in item_fields:
            raise NodeStoreError(f"{where}: this node has no Address")
        node_id, address = item_fields.get("ID"), item_fields["Address"]
        if node_id is not None and node_id in ids:
            raise NodeStoreError(f"{where}: ID {node_id} is also on line {ids[node_id]}")
        if address in addresses:
            raise NodeStoreError(f"{where}: Address {address} is also on line {addresses[address]}")
        if node_id is not None:
            ids[node_id] = lineno
        addresses[address] = lineno
        nodes.append(StoredNode(node_id, address, item_fields.get("Role", 0), lineno))
    return nodes


def parse_node_yaml(text: str, path: str = "info.yaml") -> StoredNode:
    """The one node of go-dqlite's ``info.yaml`` (``ID``, ``Address``, ``Role``;
    Role defaults to voter). Raises NodeStoreError naming ``path`` and the line."""
    root = _compose(text, path)
    if root is None:
        raise NodeStoreError(f"{path}: empty")
    node_fields = _fields(root, path)
    for field in ("ID", "Address"):
        if field not in node_fields:
            raise NodeStoreError(f"{path}: no {field} in it")
    return StoredNode(node_fields["ID"], node_fields["Address"], node_fields.get("Role", 0),
                      _line(root))


def format_yaml(nodes: list[tuple[int, str, int]]) -> str:
    """``cluster.yaml`` for ``nodes`` (id, address, role), as go-dqlite writes it."""
    return dump_yaml([node_yaml(*node) for node in nodes])


def node_yaml(node_id: int, address: str, role: int = 0) -> dict:
    """One node as go-dqlite's files hold it (the keys in go-dqlite's order)."""
    return {"Address": address, "ID": node_id, "Role": role}
