"""Starting a native node on its address, directly or behind a TLS front.

The one place that knows the order: the front binds the public address
first (a taken port then fails before the node exists), the node binds the
front's private abstract socket and dials peers through the front.
"""

from __future__ import annotations

from dqlite_shell.native.node import Node


def start_node(address: str, data_dir: str, tls=None, **options):
    """Start a :class:`Node` serving ``address`` (over mutual TLS when ``tls``,
    a :class:`~dqlite_shell.app.tls.TLSConfig`, is given).

    ``options`` go to :class:`Node`. Returns ``(node, front)``; ``front`` is
    None without TLS. Stop both with :func:`stop_node`.
    """
    front = None
    if tls is not None:
        from dqlite_shell.app.tlsproxy import TLSFront
        front = TLSFront(address, tls)
        options.update(bind_address=front.bind_address, dial=front.dial)
    node = Node(address, data_dir, **options)
    if front is not None:
        front.start()
    try:
        node.start()
    except BaseException:
        if front is not None:
            front.stop()
        raise
    return node, front


def stop_node(node: Node, front) -> None:
    """Stop what :func:`start_node` started; idempotent."""
    if front is not None:
        front.stop()
    node.stop()
