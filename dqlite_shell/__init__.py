"""dqlite-shell: a shell, a pure-Python wire client and a PEP 249 driver for dqlite.

Layers:

* ``dqlite_shell.wire``   bytes <-> messages, no sockets
* ``dqlite_shell.client`` sockets, handshake, leader discovery, cluster admin
* ``dqlite_shell.dbapi``  the PEP 249 driver, on the client
* ``dqlite_shell.shell``  the ``dqlite`` command, on the client

Beside them ``dqlite_shell.native`` binds the system libdqlite (to run real
nodes), ``dqlite_shell.scratch`` starts local clusters of them, and
``dqlite_shell.app`` builds applications on native + client + dbapi.  The
layers are not a strict stack: docs/internals.md has what imports what
(checked by tests/test_docs.py).
"""

__version__ = "0.1.0"
