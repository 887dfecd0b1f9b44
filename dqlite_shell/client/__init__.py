"""Layer 2 of dqlite-shell: sockets, the handshake, the leader, cluster admin.

Typical use::

    from dqlite_shell.client import Session

    session = Session(["127.0.0.1:9001", "127.0.0.1:9002"], "app")
    session.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    for row in session.execute("SELECT n FROM t"):     # a RowStream
        print(row)
    session.close()

:class:`Session` finds the leader, follows it and routes each statement as
the server can take it; :class:`Connection` is one socket to one node;
:class:`RowStream` streams a result's rows; :class:`Result` is what a
statement without rows answers (``rows_affected``, ``last_insert_id``).
Everything the client raises is a :class:`ClientError` (malformed bytes
from a server: :class:`ProtocolError`); the classes are listed in
:data:`__all__`.

Names load with their module on first use (PEP 562), so importing this
package costs nothing on the shell's start-up path.
"""

_HOMES = {
    "Session": "session",
    "Connection": "connection",
    "RowStream": "result",
    "NodeStore": "leader",
    **dict.fromkeys(["BrokenPeer", "ClientError", "ConnectError", "ConnectionLost",
                     "JoinFailed", "LeadershipLost", "MemberConflict", "NoLeaderError", "NotDqlite",
                     "NotDqliteNodes", "NotTLS", "ParameterCountError", "ProtocolError",
                     "RequestNotSent", "RequestTimeout", "ServerError", "StatementLost",
                     "TLSError", "TLSHungUp", "TLSMismatch", "TLSRequired",
                     "TransactionLost"], "errors"),
}
# Answers of the wire layer that the client hands out as they are.
_WIRE = {"Result": "messages", "NodeInfo": "messages", "Metadata": "messages"}


def __getattr__(name: str):
    import importlib
    if name in _HOMES:
        module = importlib.import_module(f"{__name__}.{_HOMES[name]}")
    elif name in _WIRE:
        module = importlib.import_module(f"dqlite_shell.wire.{_WIRE[name]}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


__all__ = sorted([*_HOMES, *_WIRE])
