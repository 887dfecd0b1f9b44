"""The REPL's prompt: a format with backslash escapes, as pgcli's ``prompt``
(``\\u@\\h:\\d> ``) and psql's PROMPT1.

The default, ``\\m \\p\\d@\\h\\x\\s> ``, reads ``rw db@127.0.0.1:9001> ``;
``rw db@127.0.0.1:9001*> `` inside a transaction, ``!`` instead of ``*``
when the last statement failed in it, and ``rw db@127.0.0.1:9001
(disconnected)> `` once the connection to the leader is gone (the next
statement connects again). The prompt is drawn at every key press: nothing
here waits on the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState

DEFAULT_FORMAT = "\\m \\p\\d@\\h\\x\\s> "


def _mode(state: ShellState) -> str:
    from dqlite_shell.shell.rails import mode_name
    return "ro" if state.offline is not None else mode_name(state)


def _profile(state: ShellState) -> str:
    return f"{state.profile_name}:" if state.profile_name else ""


def _database(state: ShellState) -> str:
    offline = state.offline
    if offline is not None:
        return offline.database or offline.wanted
    return state.database


def _leader(state: ShellState) -> str:
    offline = state.offline
    if offline is not None:
        name = os.path.basename(offline.dir.path.rstrip("/")) or offline.dir.path
        return f"offline:{name}"
    return state.connected_to or (state.servers[0] if state.servers else "?")


def _user(state: ShellState) -> str:
    """dqlite has no users: the common name of the certificate the leader
    presented (with go-dqlite's cluster certificate, the one this shell
    presents too); empty without TLS or a connection."""
    if state.offline is not None or state.connection_lost:
        return ""
    try:
        cert = state.session.peer_certificate()
    except Exception:  # noqa: BLE001 - a prompt never fails
        return ""
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return ""


def _transaction(state: ShellState) -> str:
    if state.offline is not None or state.connection_lost or not state.in_transaction:
        return ""
    return "!" if state.last_failed else "*"


def _connection(state: ShellState) -> str:
    return " (disconnected)" if state.offline is None and state.connection_lost else ""


#: escape letter -> (what it shows, for .help and errors; its text)
ESCAPES: dict[str, tuple[str, Callable[[ShellState], str]]] = {
    "m": ("the mode: ro (read-only) or rw", _mode),
    "p": ("the profile's name and a colon (microk8s:), or nothing", _profile),
    "d": ("the database", _database),
    "h": ("the leader's address (the first server's until it is known)", _leader),
    "u": ("the common name of the TLS certificate the leader presented, or nothing", _user),
    "x": ("* inside a transaction, ! when the last statement failed in it", _transaction),
    "s": ("' (disconnected)' when the connection to the leader is lost", _connection),
    "n": ("a line break", lambda state: "\n"),
    "\\": ("a backslash", lambda state: "\\"),
}


def check_format(text: str) -> str | None:
    """What is wrong with prompt format ``text`` (one line), or None."""
    at = 0
    while True:
        at = text.find("\\", at)
        if at < 0:
            return None
        letter = text[at + 1:at + 2]
        if letter not in ESCAPES:
            shown = f"\\{letter}" if letter else "a \\ at the end"
            known = " ".join(f"\\{k}" for k in ESCAPES)
            return f"unknown prompt escape {shown} (known: {known})"
        at += 2


def expand(text: str, state: ShellState) -> str:
    """``text`` with its escapes replaced (an unknown one stays as it is)."""
    out, at = [], 0
    while True:
        found = text.find("\\", at)
        if found < 0:
            out.append(text[at:])
            return "".join(out)
        out.append(text[at:found])
        escape = ESCAPES.get(text[found + 1:found + 2])
        out.append(escape[1](state) if escape else text[found:found + 2])
        at = found + 2


def prompt_text(state: ShellState) -> str:
    """The prompt, from ``.prompt``'s format (the ``prompt`` key; default
    :data:`DEFAULT_FORMAT`): ``MODE [PROFILE:]DATABASE@LEADER> `` and the
    transaction and connection marks; offline ``ro DATABASE@offline:DIR> ``."""
    return expand(state.settings.prompt or DEFAULT_FORMAT, state)
