"""The REPL's history: a private file under ``$XDG_STATE_HOME/dqlite``."""

from __future__ import annotations

import os

from prompt_toolkit.history import FileHistory, History, InMemoryHistory


def history_path() -> str:
    """``$XDG_STATE_HOME/dqlite/history`` (default ``~/.local/state/dqlite/history``)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".local", "state")
    return os.path.join(base, "dqlite", "history")


def make_history(enabled: bool) -> History:
    """The history file (made private, 0600), or one in memory when ``enabled``
    is false (--no-history) or the file cannot be written."""
    if not enabled:
        return InMemoryHistory()
    path = history_path()
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
    except OSError:
        return InMemoryHistory()  # an unwritable home must not stop the shell
    return FileHistory(path)
