"""The shell's dot-commands.

:mod:`.registry` holds the one table of commands; :mod:`.cluster`,
:mod:`.data` and :mod:`.session` register theirs on import (the registry
imports them on first use). The helpers here are shared by those modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dqlite_shell.shell.commands.registry import CommandError, UsageError, lookup

if TYPE_CHECKING:
    from dqlite_shell.client.connection import Connection
    from dqlite_shell.shell.state import ShellState

_ON = frozenset({"on", "yes", "true", "1"})
_OFF = frozenset({"off", "no", "false", "0"})


def usage_error(name: str, detail: str | None = None) -> UsageError:
    """The UsageError of command ``name``: its usage line, then ``detail``."""
    cmd = lookup(name)
    text = f"usage: {cmd.usage if cmd else name}"
    return UsageError(f"{text} ({detail})" if detail else text)


def on_off(name: str, value: str) -> bool:
    """``on``/``off`` (also yes/no, true/false, 1/0, any case); else usage."""
    word = value.strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise usage_error(name)


@contextmanager
def failures(what: str | None = None) -> Iterator[None]:
    """Turn client, server, native and OS errors into a one-line CommandError
    (:func:`~dqlite_shell.shell.errors.describe`), prefixed with ``what``
    when given.

    No reachable leader, and a lost leader or transaction, pass through
    unchanged: the caller treats those as it treats them for SQL (a script
    exits 2 without a leader and always stops on a lost transaction).
    """
    from dqlite_shell.client.errors import (
        ClientError,
        LeadershipLost,
        NoLeaderError,
        ProtocolError,
        TransactionLost,
    )
    from dqlite_shell.native.errors import NativeError
    from dqlite_shell.shell.errors import describe

    try:
        yield
    except (CommandError, NoLeaderError, LeadershipLost, TransactionLost):
        raise
    except (ClientError, ProtocolError, NativeError, OSError) as e:
        raise CommandError(f"{what}: {describe(e)}" if what else describe(e)) from None


@contextmanager
def node_connection(state: ShellState, address: str) -> Iterator[Connection]:
    """A connection to the one node at ``address`` (not the leader), for the
    commands that ask a node about itself (``.describe``, ``.weight``, ``.dump``)."""
    from dqlite_shell.client.connection import Connection

    with failures():
        conn = Connection.connect(address, state.timeout, state.ssl_context)
    try:
        yield conn
    finally:
        conn.close()
