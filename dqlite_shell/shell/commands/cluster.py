"""Cluster dot-commands: membership, roles, leadership and node metadata.

In ``list`` mode ``.cluster``, ``.leader`` and ``.describe`` print exactly
what go-dqlite 1.11.5's shell prints in its tabular format, and in ``json``
mode what it prints with ``--format json``.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands import failures, node_connection, usage_error
from dqlite_shell.shell.commands.registry import ADDRESS, ROLE, TEXT, CommandError, command
from dqlite_shell.wire.constants import Role

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState
    from dqlite_shell.wire.messages import NodeInfo

_MAX_ID = 2**64 - 1


def role_name(role) -> str:
    """A role as go-dqlite prints it (``stand-by``); None is a voter (1.11 omits it)."""
    try:
        return Role(0 if role is None else int(role)).go_name
    except ValueError:
        return "unknown role"


def parse_role(name: str) -> Role:
    """voter, standby (or stand-by, as ``.cluster`` prints it), spare, or 0-2."""
    return Role.parse(name)


def go_json(value) -> str:
    """What go's json.Marshal followed by json.Indent(.., "", "\\t") prints."""
    text = json.dumps(value, indent="\t", ensure_ascii=False)
    # encoding/json escapes HTML characters and the JS line separators.
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def go_quote(text: str) -> str:
    """Go's %q for ordinary strings."""
    return json.dumps(text, ensure_ascii=False)


def member(state: ShellState, address: str) -> NodeInfo:
    """The member at ``address`` (from the leader's configuration)."""
    with failures():
        nodes = state.session.cluster()
    for node in nodes:
        if node.address == address:
            return node
    raise CommandError(f"no node has address {go_quote(address)}")


def _show(state: ShellState, columns: list[str], rows: list[tuple]) -> None:
    from dqlite_shell.shell import engine
    engine.show(state, columns, [rows])


@command(".cluster", "List the members: id (hex), address and role")
def cluster(state: ShellState, args: list[str]) -> None:
    with failures():
        nodes = state.session.cluster()
    mode = state.settings.mode
    if mode == "list":
        for node in nodes:
            state.print(f"{node.id:x}|{node.address}|{role_name(node.role)}")
    elif mode == "json":
        state.print(go_json([{"ID": n.id, "Address": n.address, "Role": int(n.role or 0)}
                             for n in nodes]))
    else:
        _show(state, ["id", "address", "role"],
              [(f"{n.id:x}", n.address, role_name(n.role)) for n in nodes])


@command(".leader", "Print the leader's address (nothing when there is none)")
def leader(state: ShellState, args: list[str]) -> None:
    with failures():
        node = state.session.leader()
    if node is not None and node.address:
        state.print(node.address)


def _node_id(name: str, text: str) -> int:
    digits = text.lower().removeprefix("0x")
    try:
        value = int(digits, 16)
    except ValueError:
        raise usage_error(name, "ID is a hex number, as .cluster prints it") from None
    if not 0 < value <= _MAX_ID or digits.startswith(("+", "-")):
        raise usage_error(name, "ID is a hex number from 1 to ffffffffffffffff")
    return value


def _new_id(address: str) -> int:
    from dqlite_shell.native import LibraryNotFound, generate_node_id
    try:
        value = generate_node_id(address)
    except LibraryNotFound:
        value = 0
    while not value:
        value = secrets.randbits(63)
    return value


@command(".add ADDRESS [ID]",
         "Add the node at ADDRESS as a spare; ID in hex (default: a new one); prints the id",
         args=(1, 2), complete=(TEXT, TEXT), changes=True)
def add(state: ShellState, args: list[str]) -> None:
    address = args[0]
    node_id = _node_id(".add", args[1]) if len(args) > 1 else _new_id(address)
    with failures(f"add node {go_quote(address)}"):
        state.session.add(node_id, address)
    state.print(f"{node_id:x}")


@command(".assign ADDRESS voter|standby|spare", "Give the node at ADDRESS a role",
         args=(2, 2), complete=(ADDRESS, ROLE), changes=True, destructive=True)
def assign(state: ShellState, args: list[str]) -> None:
    address, name = args
    try:
        role = parse_role(name)
    except ValueError:
        raise usage_error(".assign") from None
    node = member(state, address)
    if node.role is not None and int(node.role) == role:
        return  # raft refuses to "change" a role to itself; there is nothing to do
    with failures(f"assign {role.label} to node {go_quote(address)}"):
        state.session.assign(node.id, role)


@command(".remove ADDRESS", "Remove the node at ADDRESS from the cluster",
         args=(1, 1), complete=(ADDRESS,), changes=True, destructive=True)
def remove(state: ShellState, args: list[str]) -> None:
    node = member(state, args[0])
    with failures(f"remove node {go_quote(args[0])}"):
        state.session.remove(node.id)


@command(".transfer ADDRESS", "Hand leadership to the (voter) node at ADDRESS",
         args=(1, 1), complete=(ADDRESS,), changes=True)
def transfer(state: ShellState, args: list[str]) -> None:
    node = member(state, args[0])
    with failures(f"transfer leadership to {go_quote(args[0])}"):
        state.session.transfer(node.id)


@command(".describe ADDRESS", "Print ADDRESS|FAILURE_DOMAIN|WEIGHT, asking that node itself",
         args=(1, 1), complete=(ADDRESS,))
def describe(state: ShellState, args: list[str]) -> None:
    address = args[0]
    with node_connection(state, address) as conn, failures(f"describe {go_quote(address)}"):
        meta = conn.describe()
    mode = state.settings.mode
    if mode == "list":
        state.print(f"{address}|{meta.failure_domain}|{meta.weight}")
    elif mode == "json":
        state.print(go_json({"FailureDomain": meta.failure_domain, "Weight": meta.weight}))
    else:
        _show(state, ["address", "failure_domain", "weight"],
              [(address, meta.failure_domain, meta.weight)])


@command(".weight ADDRESS N", "Set the weight (a non-negative integer) of the node at ADDRESS",
         args=(2, 2), complete=(ADDRESS, TEXT), changes=True)
def weight(state: ShellState, args: list[str]) -> None:
    address, text = args
    if not (text.isascii() and text.isdigit()) or int(text) > _MAX_ID:
        raise usage_error(".weight", "N is an integer from 0 to 2^64-1")
    with node_connection(state, address) as conn, \
            failures(f"set the weight of {go_quote(address)}"):
        conn.weight(int(text))
