"""The REPL's prompt text."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dqlite_shell.shell.state import ShellState


def prompt_text(state: "ShellState") -> str:
    """``MODE [CLUSTER:]DATABASE@LEADER> ``: ro (read-only) or rw, the
    profile's name for the cluster if any, the database and the leader (the
    first server until it is known); offline ``ro DATABASE@offline:DIR> ``."""
    from dqlite_shell.shell.rails import mode_name
    if state.offline is not None:  # dqlite --offline DIR: read-only, whatever the mode says
        offline = state.offline
        name = os.path.basename(offline.dir.path.rstrip("/")) or offline.dir.path
        return f"ro {offline.database or offline.wanted}@offline:{name}> "
    where = state.connected_to or (state.servers[0] if state.servers else "?")
    cluster = f"{state.profile_name}:" if state.profile_name else ""
    return f"{mode_name(state)} {cluster}{state.database}@{where}> "
