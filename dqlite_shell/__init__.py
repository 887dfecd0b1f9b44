"""dqlite-shell: a shell, a pure-Python wire client and a PEP 249 driver for dqlite.

Layers (each imports only those below it):

* ``dqlite_shell.wire``   bytes <-> messages, no sockets
* ``dqlite_shell.client`` sockets, handshake, leader discovery, cluster admin
* ``dqlite_shell.dbapi``  the PEP 249 driver
* ``dqlite_shell.shell``  the ``dqlite`` command

Beside them ``dqlite_shell.native`` binds the system libdqlite (to run real
nodes) and ``dqlite_shell.app`` builds applications on native + dbapi.
"""

__version__ = "0.1.0"
