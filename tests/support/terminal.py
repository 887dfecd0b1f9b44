"""Reading what a program wrote to a pseudo-terminal."""

from __future__ import annotations

import os


def read_terminal(leader: int) -> bytes:
    """Everything written to the terminal whose leader side is ``leader``,
    until its follower side is closed (EIO on Linux, or EOF)."""
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
