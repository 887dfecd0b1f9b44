"""Readers of a stopped dqlite node's data dir (``dqlite --offline DIR``).

Each module follows the C sources that write the files (canonical/dqlite's
in-tree raft, src/raft/uv_*.c, for 1.17+; canonical/raft's src/uv_*.c for
1.11's libraft) and reads only: nothing here writes to the data dir.
Damaged bytes are reported as :class:`~.binary.Finding` lines
(``FILE: offset N: what``), never raised past the reader.
"""
