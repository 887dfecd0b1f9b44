"""Real dqlite nodes through the system's libdqlite (cffi, ABI mode).

Importing this package never needs libdqlite; the first native call raises
:class:`LibraryNotFound` with a one-line message when it is missing.
"""

from dqlite_shell.native.errors import LibraryNotFound, NativeError, NodeError
from dqlite_shell.native.library import available, generate_node_id, version, version_number
from dqlite_shell.native.node import BOOTSTRAP_ID, Node
from dqlite_shell.native.ports import release_port, reserve_address, reserve_port

__all__ = [
    "BOOTSTRAP_ID", "LibraryNotFound", "NativeError", "Node", "NodeError", "available",
    "generate_node_id", "release_port", "reserve_address", "reserve_port", "version",
    "version_number",
]
